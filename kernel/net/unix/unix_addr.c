/*
 * AF_UNIX address checking, free of kernel state so the host unit tests can run it: what kind
 * of name a struct sockaddr_un of a given length carries, and its normalised length.
 */
#include "net/unix/unix.h"
#include "lib/errno.h"

int unix_addr_parse(const void *addr, int len, int *norm_len)
{
	const unsigned char *a = addr;
	if (len < (int)UNIX_PATH_OFF || len > (int)sizeof(struct sockaddr_un_k))
		return -EINVAL;
	if ((a[0] | a[1] << 8) != UNIX_FAMILY)
		return -EINVAL;
	if (len == (int)UNIX_PATH_OFF) {
		*norm_len = len;
		return UNIX_ADDR_AUTOBIND;
	}
	const unsigned char *path = a + UNIX_PATH_OFF;
	int room = len - (int)UNIX_PATH_OFF;
	if (path[0] == 0) {
		*norm_len = len; /* abstract: every byte counts, NULs included */
		return UNIX_ADDR_ABSTRACT;
	}
	/* A path ends at its first NUL or at len; Linux reports it with the NUL counted. */
	int n = 0;
	while (n < room && path[n])
		n++;
	if (n >= UNIX_PATH_MAX)
		return -EINVAL; /* no room left for the terminating NUL */
	*norm_len = (int)UNIX_PATH_OFF + n + 1;
	return UNIX_ADDR_PATH;
}
