// unit-deps: kernel/net/unix/unix_addr.c
/*
 * Host tests for AF_UNIX address parsing (kernel/net/unix/unix_addr.c): which kind of name a
 * sockaddr_un of each length carries, the normalised length getsockname reports, and the
 * rejection of short, long, foreign and unterminated addresses (hostile syscall input).
 */
#include "unit.h"

#include <stddef.h>
#include <stdlib.h>


#include "lib/errno.h"
#include "net/unix/unix.h"

static int parse(const struct sockaddr_un_k *a, int len, int *norm)
{
	*norm = -1;
	return unix_addr_parse(a, len, norm);
}

static struct sockaddr_un_k path_addr(const char *p)
{
	struct sockaddr_un_k a;
	memset(&a, 0, sizeof(a));
	a.sun_family = UNIX_FAMILY;
	memcpy(a.sun_path, p, strlen(p));
	return a;
}

TEST(path_with_nul)
{
	struct sockaddr_un_k a = path_addr("/tmp/s");
	int norm;
	CHECK_INT(parse(&a, 2 + 7, &norm), UNIX_ADDR_PATH);
	CHECK_INT(norm, 2 + 7);
	/* The whole structure as length (what many programs pass): the path still ends at its NUL. */
	CHECK_INT(parse(&a, sizeof(a), &norm), UNIX_ADDR_PATH);
	CHECK_INT(norm, 2 + 7);
}

TEST(path_without_nul_gets_one)
{
	struct sockaddr_un_k a = path_addr("abc");
	int norm;
	CHECK_INT(parse(&a, 2 + 3, &norm), UNIX_ADDR_PATH);
	CHECK_INT(norm, 2 + 4);
}

TEST(path_filling_sun_path_is_rejected)
{
	struct sockaddr_un_k a;
	memset(&a, 'x', sizeof(a));
	a.sun_family = UNIX_FAMILY;
	int norm;
	CHECK_INT(parse(&a, sizeof(a), &norm), -EINVAL);
	a.sun_path[UNIX_PATH_MAX - 1] = 0; /* 107 characters and a NUL: the longest path */
	CHECK_INT(parse(&a, sizeof(a), &norm), UNIX_ADDR_PATH);
	CHECK_INT(norm, (int)sizeof(a));
}

TEST(abstract_counts_every_byte)
{
	struct sockaddr_un_k a;
	memset(&a, 0, sizeof(a));
	a.sun_family = UNIX_FAMILY;
	memcpy(a.sun_path + 1, "n\0m", 3);
	int norm;
	CHECK_INT(parse(&a, 2 + 4, &norm), UNIX_ADDR_ABSTRACT);
	CHECK_INT(norm, 6);
	CHECK_INT(parse(&a, 2 + 1, &norm), UNIX_ADDR_ABSTRACT); /* the empty abstract name */
	CHECK_INT(norm, 3);
}

TEST(autobind_and_bad_lengths)
{
	struct sockaddr_un_k a = path_addr("x");
	int norm;
	CHECK_INT(parse(&a, 2, &norm), UNIX_ADDR_AUTOBIND);
	CHECK_INT(parse(&a, 1, &norm), -EINVAL);
	CHECK_INT(parse(&a, 0, &norm), -EINVAL);
	CHECK_INT(parse(&a, -5, &norm), -EINVAL);
	CHECK_INT(parse(&a, (int)sizeof(a) + 1, &norm), -EINVAL);
}

TEST(foreign_family)
{
	struct sockaddr_un_k a = path_addr("x");
	a.sun_family = 2; /* AF_INET */
	int norm;
	CHECK_INT(parse(&a, 4, &norm), -EINVAL);
	a.sun_family = 0x0101; /* AF_UNIX in the low byte only */
	CHECK_INT(parse(&a, 4, &norm), -EINVAL);
}

/* Random bytes at every length never read past len (ASan watches) and give sane answers. */
TEST(random_input)
{
	srand(7);
	for (int i = 0; i < 20000; i++) {
		int len = rand() % 120 - 5;
		unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
		for (int j = 0; j < len; j++)
			buf[j] = (unsigned char)(rand() % 4 == 0 ? 0 : rand());
		if (len >= 2 && rand() % 2) {
			buf[0] = UNIX_FAMILY;
			buf[1] = 0;
		}
		int norm = -1;
		int r = unix_addr_parse(buf, len, &norm);
		CHECK(r == -EINVAL || (r >= UNIX_ADDR_AUTOBIND && r <= UNIX_ADDR_PATH));
		if (r > 0)
			CHECK(norm >= 2 && norm <= (int)sizeof(struct sockaddr_un_k) && norm <= len + 1);
		free(buf);
	}
}
