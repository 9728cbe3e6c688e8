/* ktests for the console layer: a message logged is a message stored in the ring. */
#include "console/console.h"
#include "console/klog.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "test/ktest.h"

KTEST(klog_records_messages)
{
	const struct klog_ring *r = klog_ring();
	uint64_t before = r->next_seq;
	pr_notice("ktest: klog probe %d %s\n", 42, "xyzzy");
	KT_ASSERT_EQ(r->next_seq, before + 1);

	static struct klog_record rec; /* ~1 KiB: keep it off the stack */
	uint64_t seq = before;
	KT_ASSERT(klog_ring_read(r, &seq, &rec));
	KT_ASSERT_EQ(rec.level, LOG_NOTICE);
	KT_ASSERT(strcmp(rec.text, "ktest: klog probe 42 xyzzy") == 0);
}

KTEST(kprintf_formats)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%5d|%-4x|%08llx|%s|%c|%zu", -42, 0xab, 0x1234ull, "ok", 'z', (size_t)7);
	KT_ASSERT(strcmp(buf, "  -42|ab  |00001234|ok|z|7") == 0);
}
