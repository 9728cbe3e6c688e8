// unit-deps: kernel/fs/procfs_text.c kernel/lib/sbuf.c kernel/lib/printf.c kernel/lib/string.c
/*
 * Host tests for procfs's text helpers (kernel/fs/procfs_text.c): PID names as Linux accepts
 * them, and /proc/PID/maps lines against lines copied from Linux's own output. The buffer they
 * append to (kernel/lib/sbuf.c) has its own tests in test_sbuf.c.
 */
#include "unit.h"

#include "host_prefix.h"

#include "fs/procfs_internal.h"
#include "lib/string.h"

TEST(pid_names)
{
	CHECK_INT(procfs_parse_number("1", 1), 1);
	CHECK_INT(procfs_parse_number("32767", 5), 32767);
	CHECK_INT(procfs_parse_number("0", 1), 0);
	CHECK_INT(procfs_parse_number("123456789", 9), 123456789);
	CHECK_INT(procfs_parse_number("1234567890", 10), -1); /* would overflow an int soon */
	CHECK_INT(procfs_parse_number("01", 2), -1);
	CHECK_INT(procfs_parse_number("", 0), -1);
	CHECK_INT(procfs_parse_number("+1", 2), -1);
	CHECK_INT(procfs_parse_number("-1", 2), -1);
	CHECK_INT(procfs_parse_number("1a", 2), -1);
	CHECK_INT(procfs_parse_number("self", 4), -1);
	CHECK_INT(procfs_parse_number("12x", 2), 12); /* only len bytes count */
}

static const char *maps_line(const struct procfs_map *m)
{
	static char buf[256];
	struct sbuf s = SB(buf, sizeof(buf));
	procfs_maps_line(&s, m);
	sb_done(&s);
	return buf;
}

/* Lines as Linux 6.1 prints them (cat /proc/self/maps). */
TEST(maps_lines_match_linux)
{
	struct procfs_map file = { .start = 0x5635b984f000, .end = 0x5635b9851000, .off = 0, .ino = 247134,
				   .prot = 1, .major = 0xfe, .minor = 0, .name = "/usr/bin/cat" };
	CHECK_STR(maps_line(&file), "5635b984f000-5635b9851000 r--p 00000000 fe:00 247134"
				    "                     /usr/bin/cat\n");
	struct procfs_map text = file;
	text.start = 0x5635b9851000;
	text.end = 0x5635b9856000;
	text.off = 0x2000;
	text.prot = 5;
	CHECK_STR(maps_line(&text), "5635b9851000-5635b9856000 r-xp 00002000 fe:00 247134"
				    "                     /usr/bin/cat\n");
	struct procfs_map heap = { .start = 0x559508b44000, .end = 0x559508b65000, .prot = 3, .name = "[heap]" };
	CHECK_STR(maps_line(&heap), "559508b44000-559508b65000 rw-p 00000000 00:00 0"
				    "                          [heap]\n");
	struct procfs_map anon = { .start = 0x7f2b9b413000, .end = 0x7f2b9b435000, .prot = 3 };
	CHECK_STR(maps_line(&anon), "7f2b9b413000-7f2b9b435000 rw-p 00000000 00:00 0 \n");
	/* Short addresses keep eight digits; a shared mapping says s. */
	struct procfs_map low = { .start = 0x400000, .end = 0x401000, .prot = 7, .shared = true };
	CHECK_STR(maps_line(&low), "00400000-00401000 rwxs 00000000 00:00 0 \n");
	/* A prefix past column 72 still leaves a space before the name. */
	struct procfs_map wide = { .start = 0x7f0000000000, .end = 0x7f0000001000, .off = 0xffffffffffull,
				   .ino = 18446744073709551615ull, .prot = 1, .major = 0xfff, .minor = 0xfffff,
				   .name = "/x" };
	CHECK_STR(maps_line(&wide), "7f0000000000-7f0000001000 r--p ffffffffff fff:fffff 18446744073709551615  /x\n");
}
