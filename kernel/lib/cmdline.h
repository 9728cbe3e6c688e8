/*
 * The kernel command line, split the way Linux does: words separated by spaces, each
 * "key" or "key=value"; double quotes group spaces ("key=a b" or key="a b") and are removed;
 * everything after a lone "--" belongs to init and is not a kernel option.
 */
#pragma once

#include "lib/types.h"

#define CMDLINE_KEY_MAX 64
#define CMDLINE_VAL_MAX 256

struct cmdline_param {
	char key[CMDLINE_KEY_MAX];
	char val[CMDLINE_VAL_MAX];
	bool has_val;
	bool truncated; /* key or value did not fit and was cut */
};

/*
 * Reads the next parameter from *pos, advancing it. Returns false at the end (or at "--",
 * leaving *pos just after it so the caller can hand the rest to init).
 */
bool cmdline_next(const char **pos, struct cmdline_param *out);

/* Finds key; copies its value (or "" when it has none) into val. Last occurrence wins. */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t size);
bool cmdline_has(const char *cmdline, const char *key);

/* A handler for one kernel option, registered with KPARAM(); val is NULL for a bare key. */
struct kparam {
	const char *name;
	int (*handler)(const char *val);
};

/*
 * Calls the handler of every parameter found in [table, table_end). Unknown parameters are
 * passed to report_unknown once per distinct name; a handler that fails (negative return)
 * is passed to report_invalid. Returns the number of distinct unknown names.
 */
int cmdline_apply(const char *cmdline, const struct kparam *table, const struct kparam *table_end,
		  void (*report_unknown)(const char *key),
		  void (*report_invalid)(const char *key, const char *val));

#define KPARAM_CAT2(a, b) a##b
#define KPARAM_CAT(a, b)  KPARAM_CAT2(a, b)
#define KPARAM(name, fn)                                                                     \
	static const struct kparam KPARAM_CAT(__kparam_, __LINE__)                          \
		__attribute__((used, section(".kparam"), aligned(8))) = { name, fn }
