/*
 * Private to the socket system calls (sys_socket.c: creation, names, connections, options;
 * sys_socket_msg.c: data and control messages): user-memory helpers.
 */
#pragma once

#include "net/socket.h"

struct iovec_k {
	void *base;
	size_t len;
};

/* The socket at fd with a file reference in *fp, or NULL with *err (-EBADF, -ENOTSOCK). */
struct socket *sockfd_get(int fd, struct file **fp, int *err);
/* A user address of len bytes into kaddr (SOCK_ADDR_MAX bytes): 0, -EINVAL or -EFAULT. */
int addr_from_user(const void *uaddr, int len, char *kaddr);
/* Copies an address out, truncated to the caller's room; *ulen gets the real length. */
int addr_to_user(const char *kaddr, int len, void *uaddr, int *ulen);
/* flags with MSG_DONTWAIT added for a non-blocking socket. */
unsigned sock_io_flags(struct socket *sock, unsigned flags);
