/* AF_UNIX sockets (af_unix.c) and the address parsing they share with the unit tests. */
#pragma once

#include "lib/types.h"

#define UNIX_FAMILY   1   /* AF_UNIX */
#define UNIX_PATH_MAX 108
#define UNIX_PATH_OFF 2   /* offsetof(struct sockaddr_un, sun_path) */

struct sockaddr_un_k {
	uint16_t sun_family;
	char sun_path[UNIX_PATH_MAX];
};

enum { UNIX_ADDR_AUTOBIND = 1, UNIX_ADDR_ABSTRACT, UNIX_ADDR_PATH };

/*
 * What a sockaddr_un of len bytes names: UNIX_ADDR_AUTOBIND (only the family: bind picks an
 * abstract name), UNIX_ADDR_ABSTRACT (sun_path[0] == 0; the name is every byte after it),
 * UNIX_ADDR_PATH (a file name, ended by the first NUL or len) or -EINVAL (too short or long,
 * another family, a path with no room for its NUL). *norm_len: the length getsockname reports.
 */
int unix_addr_parse(const void *addr, int len, int *norm_len);

/* Registers AF_UNIX with the socket layer (boot). */
void unix_init(void);
/* Live AF_UNIX sockets (for leak tests). */
long unix_sock_count(void);
