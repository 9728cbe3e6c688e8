/* execve: replacing a process's program. */
#pragma once

#include "lib/types.h"

#define EXEC_ARG_MAX (256 * 1024) /* bytes of argument and environment strings */

/* Argument and environment strings gathered in kernel memory. */
struct exec_args {
	char *buf;       /* argc strings, then envc strings, each NUL-terminated */
	size_t used, cap;
	int argc, envc;
};

int exec_args_init(struct exec_args *a);
void exec_args_free(struct exec_args *a);
/* Appends one string (kernel memory). */
int exec_args_push(struct exec_args *a, const char *s, bool env);
/* Gathers a NULL-terminated user array of user strings. */
int exec_args_from_user(struct exec_args *a, const char *const *uarray, bool env);

/*
 * Replaces the current process's program with path: 0 on success (the caller returns to user
 * mode through the rewritten frame), or -errno with the old program intact.
 */
int do_execve(const char *path, struct exec_args *args);
