/* Kernel command-line tokenizer and option dispatch. Pure code: unit-tested on the host. */
#include "lib/cmdline.h"

#include "lib/string.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(const char **pos, struct cmdline_param *out)
{
	const char *p = *pos;
	while (is_space(*p))
		p++;
	if (!*p) {
		*pos = p;
		return false;
	}
	if (p[0] == '-' && p[1] == '-' && (p[2] == '\0' || is_space(p[2]))) {
		*pos = p + 2;
		return false;
	}

	*out = (struct cmdline_param){ 0 };
	bool quoted = false, in_val = false;
	size_t klen = 0, vlen = 0;
	for (; *p && (quoted || !is_space(*p)); p++) {
		char c = *p;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (!in_val && c == '=') {
			in_val = true;
			out->has_val = true;
			continue;
		}
		if (in_val) {
			if (vlen < CMDLINE_VAL_MAX - 1)
				out->val[vlen++] = c;
			else
				out->truncated = true;
		} else {
			if (klen < CMDLINE_KEY_MAX - 1)
				out->key[klen++] = c;
			else
				out->truncated = true;
		}
	}
	*pos = p;
	return true;
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	struct cmdline_param prm;
	const char *pos = cmdline;
	bool found = false;
	while (cmdline_next(&pos, &prm)) {
		if (strcmp(prm.key, key) != 0)
			continue;
		found = true;
		if (val && size)
			strlcpy(val, prm.val, size);
	}
	return found;
}

bool cmdline_has(const char *cmdline, const char *key)
{
	return cmdline_get(cmdline, key, NULL, 0);
}

/* Did an earlier parameter already carry this key? (report each unknown key once) */
static bool seen_before(const char *cmdline, const char *upto, const char *key)
{
	struct cmdline_param prm;
	const char *pos = cmdline;
	while (pos < upto && cmdline_next(&pos, &prm))
		if (pos < upto && strcmp(prm.key, key) == 0)
			return true;
	return false;
}

int cmdline_apply(const char *cmdline, const struct kparam *table, const struct kparam *table_end,
		  void (*report_unknown)(const char *key),
		  void (*report_invalid)(const char *key, const char *val))
{
	struct cmdline_param prm;
	const char *pos = cmdline;
	int unknown = 0;
	while (cmdline_next(&pos, &prm)) {
		const struct kparam *kp;
		for (kp = table; kp < table_end; kp++)
			if (strcmp(kp->name, prm.key) == 0)
				break;
		if (kp == table_end) {
			if (!seen_before(cmdline, pos, prm.key)) {
				unknown++;
				if (report_unknown)
					report_unknown(prm.key);
			}
			continue;
		}
		if (kp->handler(prm.has_val ? prm.val : NULL) < 0 && report_invalid)
			report_invalid(prm.key, prm.val);
	}
	return unknown;
}
