/*
 * Checks the tree tests/system/fs/initramfs.sh packs: nested directories, a symlink, a hard link,
 * an empty file, ownership, and a 5 MiB file whose CRC-32 and size come on the command line
 * (initrd_check=CRC,SIZE, both in hex).
 */
#include "fs/vfs.h"
#include "lib/cmdline.h"
#include "lib/inflate.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "lib/compiler.h"
#include "test/ktest.h"

static uint64_t want_crc, want_size;
static bool have_check;

static uint64_t parse_hex(const char **p)
{
	uint64_t v = 0;
	for (; **p; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v * 16 + (uint64_t)d;
	}
	return v;
}

static int param_initrd_check(const char *val)
{
	if (!val)
		return -1;
	want_crc = parse_hex(&val);
	if (*val++ != ',')
		return -1;
	want_size = parse_hex(&val);
	have_check = true;
	return 0;
}
KPARAM("initrd_check", param_initrd_check);

static ssize_t read_all(const char *path, void *buf, size_t cap)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err < 0)
		return err;
	size_t total = 0;
	for (;;) {
		ssize_t n = vfs_read(f, (uint8_t *)buf + total, MIN(cap - total, (size_t)65536));
		if (n <= 0) {
			file_put(f);
			return n < 0 ? n : (ssize_t)total;
		}
		total += (size_t)n;
		if (total == cap)
			break;
	}
	file_put(f);
	return (ssize_t)total;
}

KTEST_MANUAL(initramfs_tree)
{
	KT_ASSERT(have_check);
	struct kstat st, st2;
	char buf[64];

	KT_ASSERT_EQ(vfs_stat(NULL, "/a/b/c", true, &st), 0);
	KT_ASSERT(S_ISDIR(st.mode));
	KT_ASSERT_EQ(read_all("/a/b/c/deep.txt", buf, sizeof(buf)), 5);
	KT_ASSERT(memcmp(buf, "deep\n", 5) == 0);
	KT_ASSERT_EQ(vfs_stat(NULL, "/a/b/c/deep.txt", true, &st), 0);
	KT_ASSERT_EQ(st.mode & 07777, 0640);
	KT_ASSERT_EQ(st.uid, 1234);
	KT_ASSERT_EQ(st.gid, 5678);

	KT_ASSERT_EQ(vfs_readlink(NULL, "/link", buf, sizeof(buf)), 14);
	KT_ASSERT(memcmp(buf, "a/b/c/deep.txt", 14) == 0);
	KT_ASSERT_EQ(read_all("/link", buf, sizeof(buf)), 5); /* followed */

	KT_ASSERT_EQ(vfs_stat(NULL, "/hard1", true, &st), 0);
	KT_ASSERT_EQ(vfs_stat(NULL, "/hard2", true, &st2), 0);
	KT_ASSERT_EQ(st.ino, st2.ino);
	KT_ASSERT_EQ(st.nlink, 2);
	KT_ASSERT_EQ(read_all("/hard2", buf, sizeof(buf)), 6);
	KT_ASSERT(memcmp(buf, "shared", 6) == 0);

	KT_ASSERT_EQ(vfs_stat(NULL, "/empty", true, &st), 0);
	KT_ASSERT_EQ(st.size, 0);

	KT_ASSERT_EQ(vfs_stat(NULL, "/big.bin", true, &st), 0);
	KT_ASSERT_EQ(st.size, want_size);
	void *big = vmalloc(want_size + 1);
	KT_ASSERT(big);
	ssize_t n = read_all("/big.bin", big, want_size + 1);
	uint32_t crc = n > 0 ? gzip_crc32(0, big, (size_t)n) : 0;
	vfree(big);
	KT_ASSERT_EQ(n, (ssize_t)want_size);
	KT_ASSERT_EQ(crc, want_crc);
}
