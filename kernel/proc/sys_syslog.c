/*
 * syslog(2) (klogctl): the kernel log ring as text, "<level>[seconds.micros] text" per record,
 * for dmesg. READ_ALL returns the newest records that fit, CLEAR hides what came before from
 * later reads, SIZE_BUFFER and SIZE_UNREAD tell sizes. The console-level actions are accepted
 * and ignored. FIXME: READ does not block when nothing is unread (no wait queue on the ring).
 */
#include "console/console.h"
#include "console/klog.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "proc/syscall.h"

enum {
	SYSLOG_CLOSE, SYSLOG_OPEN, SYSLOG_READ, SYSLOG_READ_ALL, SYSLOG_READ_CLEAR, SYSLOG_CLEAR,
	SYSLOG_CONSOLE_OFF, SYSLOG_CONSOLE_ON, SYSLOG_CONSOLE_LEVEL, SYSLOG_SIZE_UNREAD, SYSLOG_SIZE_BUFFER,
};

static struct mutex syslog_lock = MUTEX_INIT;
static uint64_t clear_seq; /* READ_ALL starts here (CLEAR moves it) */
static uint64_t read_seq;  /* READ consumes from here */

/* Formats the records from *seq on into buf (NULL: only counts); returns the length. */
static size_t format_from(uint64_t seq, char *buf, size_t size, struct klog_record *rec, uint64_t *end_seq)
{
	const struct klog_ring *r = klog_ring();
	size_t len = 0;
	while (klog_ring_read(r, &seq, rec)) {
		uint64_t us = rec->ts_ns / 1000;
		size_t room = buf && len < size ? size - len : 0;
		int n = snprintf(room ? buf + len : NULL, room, "<%u>[%5llu.%06llu] %s\n", rec->level,
				 (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000), rec->text);
		if (buf && (size_t)n >= room)
			break; /* only whole records */
		len += (size_t)n;
	}
	if (end_seq)
		*end_seq = seq;
	return len;
}

static int64_t read_records(uint64_t *from, char *ubuf, int len, bool newest)
{
	struct klog_record *rec = kmalloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	size_t total = format_from(*from, NULL, 0, rec, NULL);
	char *text = total ? vmalloc(total + 1024) : NULL;
	int64_t ret = 0;
	if (total && !text) {
		ret = -ENOMEM;
	} else if (total) {
		uint64_t end;
		total = format_from(*from, text, total + 1024, rec, &end);
		size_t start = 0;
		/* READ_ALL keeps the newest whole lines that fit; READ the oldest. */
		if (total > (size_t)len && newest) {
			start = total - (size_t)len;
			while (start < total && (start == 0 || text[start - 1] != '\n'))
				start++;
		}
		size_t n = total - start;
		if (n > (size_t)len) {
			n = (size_t)len;
			while (n > 0 && text[start + n - 1] != '\n')
				n--;
		}
		if (copy_to_user(ubuf, text + start, n))
			ret = -EFAULT;
		else
			ret = (int64_t)n;
		if (!newest && ret > 0)
			*from = end; /* FIXME: a partial READ consumes the records it could not return */
		vfree(text);
	}
	kfree(rec);
	return ret;
}

static int64_t sys_syslog(int type, char *ubuf, int len)
{
	if (type < SYSLOG_CLOSE || type > SYSLOG_SIZE_BUFFER)
		return -EINVAL;
	if (type != SYSLOG_READ_ALL && type != SYSLOG_SIZE_BUFFER && !privileged())
		return -EPERM;
	if ((type == SYSLOG_READ || type == SYSLOG_READ_ALL || type == SYSLOG_READ_CLEAR) && (!ubuf || len < 0))
		return -EINVAL;
	if (type == SYSLOG_CONSOLE_LEVEL && (len < 1 || len > 8))
		return -EINVAL;
	int64_t ret = 0;
	mutex_lock(&syslog_lock);
	const struct klog_ring *r = klog_ring();
	switch (type) {
	case SYSLOG_READ:
		if (read_seq < clear_seq)
			read_seq = clear_seq;
		ret = len ? read_records(&read_seq, ubuf, len, false) : 0;
		break;
	case SYSLOG_READ_ALL:
	case SYSLOG_READ_CLEAR: {
		uint64_t from = clear_seq;
		ret = len ? read_records(&from, ubuf, len, true) : 0;
		if (type == SYSLOG_READ_CLEAR && ret >= 0)
			clear_seq = r->next_seq;
		break;
	}
	case SYSLOG_CLEAR:
		clear_seq = r->next_seq;
		break;
	case SYSLOG_SIZE_UNREAD: {
		struct klog_record *rec = kmalloc(sizeof(*rec));
		ret = rec ? (int64_t)format_from(read_seq > clear_seq ? read_seq : clear_seq, NULL, 0, rec, NULL)
			  : -ENOMEM;
		kfree(rec);
		break;
	}
	case SYSLOG_SIZE_BUFFER:
		ret = (int64_t)r->size;
		break;
	default: /* open, close, console off/on/level */
		break;
	}
	mutex_unlock(&syslog_lock);
	return ret;
}
SYSCALL(103, syslog);
