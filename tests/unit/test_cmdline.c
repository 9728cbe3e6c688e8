// unit-deps: kernel/lib/cmdline.c kernel/lib/string.c
/*
 * Host tests for kernel/lib/cmdline.c: the tokenizer (spaces, quotes, key=value, "--"),
 * cmdline_get/cmdline_has, and cmdline_apply's dispatch and reporting. A seeded-random test
 * renders known parameter lists as command lines in many spellings and checks that they parse
 * back and dispatch exactly as a simple model says.
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

/* Host helpers: defined before host_prefix.h renames the libc names to the kernel's. */
static int host_strcmp(const char *a, const char *b) { return strcmp(a, b); }
static size_t host_strlen(const char *s) { return strlen(s); }
static void *host_memset(void *d, int c, size_t n) { return memset(d, c, n); }

/* Appends formatted text to a log string (the record of what the handlers saw). */
__attribute__((format(printf, 3, 4))) static void logf_(char *log, size_t size, const char *fmt, ...)
{
	size_t n = strlen(log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(log + n, size - n, fmt, ap);
	va_end(ap);
}

#include "host_prefix.h"

#include "lib/cmdline.h"

#define CHECK_HSTR(a, b)                                                                        \
	do {                                                                                    \
		const char *sa_ = (a), *sb_ = (b);                                              \
		if (!sa_ || !sb_ || host_strcmp(sa_, sb_) != 0) {                               \
			unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,      \
				  sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                  \
			return;                                                                 \
		}                                                                               \
	} while (0)

/* Is the next parameter key (with val, or bare when val is NULL)? Records a failure if not. */
static bool next_is(const char **pos, const char *key, const char *val, int line)
{
	struct cmdline_param prm;
	if (!cmdline_next(pos, &prm)) {
		unit_fail(__FILE__, line, "no parameter, expected \"%s\"", key);
		return false;
	}
	if (host_strcmp(prm.key, key) != 0 || prm.has_val != (val != NULL) ||
	    host_strcmp(prm.val, val ? val : "") != 0 || prm.truncated) {
		unit_fail(__FILE__, line, "got key \"%s\" %s val \"%s\"%s, expected \"%s\" %s \"%s\"",
			  prm.key, prm.has_val ? "with" : "without", prm.val,
			  prm.truncated ? " (truncated)" : "", key, val ? "with" : "without",
			  val ? val : "");
		return false;
	}
	return true;
}

#define NEXT(pos, k, v)                                  \
	do {                                             \
		if (!next_is(&(pos), k, v, __LINE__))    \
			return;                          \
	} while (0)

#define END(pos)                                                 \
	do {                                                     \
		struct cmdline_param p_;                         \
		CHECK(!cmdline_next(&(pos), &p_));               \
	} while (0)

TEST(empty_and_blank)
{
	const char *s = "", *p = s;
	END(p);
	CHECK(p == s);
	s = " \t\r\n  ";
	p = s;
	END(p);
	CHECK(p == s + host_strlen(s)); /* left at the end, not before the blanks */
	END(p);
}

TEST(bare_keys_and_values)
{
	const char *p = "quiet root=/dev/sda1 loglevel=7 ro";
	NEXT(p, "quiet", NULL);
	NEXT(p, "root", "/dev/sda1");
	NEXT(p, "loglevel", "7");
	NEXT(p, "ro", NULL);
	END(p);
	END(p); /* stays at the end */
}

TEST(all_blank_kinds_separate)
{
	const char *p = "\ta\nb\r\nc  \t d=1\n";
	NEXT(p, "a", NULL);
	NEXT(p, "b", NULL);
	NEXT(p, "c", NULL);
	NEXT(p, "d", "1");
	END(p);
}

TEST(equals_signs)
{
	const char *p = "key= =val a=b=c ==";
	NEXT(p, "key", "");          /* empty value is still a value */
	NEXT(p, "", "val");
	NEXT(p, "a", "b=c");         /* only the first '=' splits */
	NEXT(p, "", "=");
	END(p);
}

TEST(quotes_group_and_vanish)
{
	const char *p = "key=\"a b\" \"k2=c d\" \"bare word\" e=\"\" f=x\"y z\"w g=\"1\"\"2\"";
	NEXT(p, "key", "a b");
	NEXT(p, "k2", "c d");
	NEXT(p, "bare word", NULL);
	NEXT(p, "e", "");
	NEXT(p, "f", "xy zw");
	NEXT(p, "g", "12");
	END(p);
}

TEST(quoted_blanks_of_every_kind)
{
	const char *p = "m=\"a\tb\nc\" n";
	NEXT(p, "m", "a\tb\nc");
	NEXT(p, "n", NULL);
	END(p);
}

TEST(unterminated_quote_runs_to_the_end)
{
	const char *p = "a k=\"x y -- z";
	NEXT(p, "a", NULL);
	NEXT(p, "k", "x y -- z");
	END(p);
}

TEST(double_dash_ends_kernel_options)
{
	const char *s = "a=1 b -- init=/bin/sh single";
	const char *p = s;
	NEXT(p, "a", "1");
	NEXT(p, "b", NULL);
	END(p);
	/* Left just after "--": the rest is init's, and still tokenizes. */
	CHECK(p == s + 8);
	NEXT(p, "init", "/bin/sh");
	NEXT(p, "single", NULL);
	END(p);
}

TEST(double_dash_forms)
{
	const char *s = "--", *p = s;
	END(p);
	CHECK(p == s + 2);
	s = "x --";
	p = s;
	NEXT(p, "x", NULL);
	END(p);
	CHECK(p == s + 4);
	s = "x --\ty";
	p = s;
	NEXT(p, "x", NULL);
	END(p);
	CHECK(*p == '\t');
	/* Only a lone "--" is special. */
	p = "--x ---  a-- --=1 -";
	NEXT(p, "--x", NULL);
	NEXT(p, "---", NULL);
	NEXT(p, "a--", NULL);
	NEXT(p, "--", "1");
	NEXT(p, "-", NULL);
	END(p);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	host_memset(s, c, n);
	s[n] = '\0';
	return s;
}

TEST(longest_key_and_value_fit)
{
	char *k = repeat('k', CMDLINE_KEY_MAX - 1), *v = repeat('v', CMDLINE_VAL_MAX - 1);
	char *line = malloc(CMDLINE_KEY_MAX + CMDLINE_VAL_MAX + 8);
	line[0] = '\0';
	logf_(line, CMDLINE_KEY_MAX + CMDLINE_VAL_MAX + 8, "%s=%s x", k, v);
	const char *p = line;
	struct cmdline_param prm;
	CHECK(cmdline_next(&p, &prm));
	CHECK(!prm.truncated);
	CHECK_HSTR(prm.key, k);
	CHECK_HSTR(prm.val, v);
	NEXT(p, "x", NULL);
	free(k);
	free(v);
	free(line);
}

TEST(overlong_key_and_value_are_cut)
{
	size_t klen = CMDLINE_KEY_MAX + 10, vlen = CMDLINE_VAL_MAX + 50;
	char *k = repeat('k', klen), *v = repeat('v', vlen);
	char *line = malloc(klen + vlen + 16);
	line[0] = '\0';
	logf_(line, klen + vlen + 16, "%s=%s next", k, v);

	const char *p = line;
	struct cmdline_param prm;
	CHECK(cmdline_next(&p, &prm));
	CHECK(prm.truncated);
	CHECK_INT(host_strlen(prm.key), CMDLINE_KEY_MAX - 1);
	CHECK_INT(host_strlen(prm.val), CMDLINE_VAL_MAX - 1);
	CHECK(prm.has_val);
	NEXT(p, "next", NULL); /* the rest of the long word was consumed, not split off */

	/* Only the key too long. */
	line[0] = '\0';
	logf_(line, klen + vlen + 16, "%s=1", k);
	p = line;
	CHECK(cmdline_next(&p, &prm));
	CHECK(prm.truncated);
	CHECK_HSTR(prm.val, "1");
	/* Only the value too long. */
	line[0] = '\0';
	logf_(line, klen + vlen + 16, "a=%s", v);
	p = line;
	CHECK(cmdline_next(&p, &prm));
	CHECK(prm.truncated);
	CHECK_HSTR(prm.key, "a");
	free(k);
	free(v);
	free(line);
}

TEST(next_resets_the_previous_param)
{
	const char *p = "abcdef=123456 x";
	struct cmdline_param prm;
	CHECK(cmdline_next(&p, &prm));
	CHECK(cmdline_next(&p, &prm));
	CHECK_HSTR(prm.key, "x");
	CHECK_HSTR(prm.val, "");
	CHECK(!prm.has_val);
}

TEST(get_last_occurrence_wins)
{
	char val[32] = "untouched";
	const char *line = "console=ttyS0 quiet console=tty0 root=/dev/vda -- console=ttyS1";
	CHECK(cmdline_get(line, "console", val, sizeof(val)));
	CHECK_HSTR(val, "tty0"); /* not the one after "--" */
	CHECK(cmdline_get(line, "quiet", val, sizeof(val)));
	CHECK_HSTR(val, ""); /* a bare key reads as empty */
	host_memset(val, 0, sizeof(val));
	val[0] = 'u';
	CHECK(!cmdline_get(line, "consol", val, sizeof(val)));  /* no prefix matches */
	CHECK(!cmdline_get(line, "console=tty0", val, sizeof(val)));
	CHECK(!cmdline_get(line, "ttyS0", val, sizeof(val)));   /* values are not keys */
	CHECK_HSTR(val, "u");                                   /* untouched when absent */
	CHECK(cmdline_get("a=1 a", "a", val, sizeof(val)));
	CHECK_HSTR(val, "");                                    /* the later bare key wins */
	CHECK(cmdline_get("a a=2", "a", val, sizeof(val)));
	CHECK_HSTR(val, "2");
}

TEST(get_truncates_to_the_buffer)
{
	char val[5] = "zzzz";
	CHECK(cmdline_get("init=/sbin/init", "init", val, sizeof(val)));
	CHECK_HSTR(val, "/sbi");
	CHECK(cmdline_get("init=/sbin/init", "init", val, 0)); /* size 0: found, nothing written */
	CHECK_HSTR(val, "/sbi");
	CHECK(cmdline_get("init=/sbin/init", "init", NULL, 0));
	CHECK(cmdline_get("k=\"a b\"", "k", val, sizeof(val)));
	CHECK_HSTR(val, "a b");
}

TEST(has)
{
	CHECK(cmdline_has("quiet", "quiet"));
	CHECK(cmdline_has("a=1 nosmp b", "nosmp"));
	CHECK(cmdline_has("nosmp=0", "nosmp"));
	CHECK(!cmdline_has("nosmpx", "nosmp"));
	CHECK(!cmdline_has("", "nosmp"));
	CHECK(!cmdline_has("a -- nosmp", "nosmp"));
	CHECK(cmdline_has("\"two words\"", "two words"));
}

/* ---- cmdline_apply ---- */

static char events[4096];

static void note_unknown(const char *key)
{
	logf_(events, sizeof(events), "?%s;", key);
}

static void note_invalid(const char *key, const char *val)
{
	logf_(events, sizeof(events), "!%s=%s;", key, val ? val : "(null)");
}

static int h_quiet(const char *val)
{
	logf_(events, sizeof(events), "quiet(%s);", val ? val : "NULL");
	return 0;
}

/* Accepts only a single decimal digit. */
static int h_loglevel(const char *val)
{
	logf_(events, sizeof(events), "loglevel(%s);", val ? val : "NULL");
	if (!val || val[0] < '0' || val[0] > '9' || val[1])
		return -22;
	return 0;
}

static int h_root(const char *val)
{
	logf_(events, sizeof(events), "root(%s);", val ? val : "NULL");
	return val ? 1 : -2; /* positive is success too */
}

static const struct kparam table[] = {
	{ "quiet", h_quiet },
	{ "loglevel", h_loglevel },
	{ "root", h_root },
};
#define TABLE table, table + sizeof(table) / sizeof(table[0])

TEST(apply_dispatches_in_order)
{
	events[0] = '\0';
	int n = cmdline_apply("root=/dev/sda quiet loglevel=3 quiet= root", TABLE, note_unknown,
			      note_invalid);
	CHECK_INT(n, 0);
	CHECK_HSTR(events, "root(/dev/sda);quiet(NULL);loglevel(3);quiet();root(NULL);!root=;");
}

TEST(apply_reports_failing_handlers_as_invalid)
{
	events[0] = '\0';
	CHECK_INT(cmdline_apply("loglevel=x loglevel loglevel=\"1 2\" loglevel=9", TABLE,
				note_unknown, note_invalid), 0);
	CHECK_HSTR(events, "loglevel(x);!loglevel=x;loglevel(NULL);!loglevel=;"
			   "loglevel(1 2);!loglevel=1 2;loglevel(9);");
}

TEST(apply_reports_each_unknown_name_once)
{
	events[0] = '\0';
	int n = cmdline_apply("foo bar=1 quiet foo=2 baz bar foo \"foo\" fo foo2", TABLE, note_unknown,
			      note_invalid);
	CHECK_HSTR(events, "?foo;?bar;quiet(NULL);?baz;?fo;?foo2;");
	CHECK_INT(n, 5);
}

TEST(apply_stops_at_double_dash)
{
	events[0] = '\0';
	int n = cmdline_apply("quiet x -- quiet y x", TABLE, note_unknown, note_invalid);
	CHECK_HSTR(events, "quiet(NULL);?x;");
	CHECK_INT(n, 1);
}

TEST(apply_without_callbacks_or_table)
{
	events[0] = '\0';
	CHECK_INT(cmdline_apply("loglevel=bad a b a", TABLE, NULL, NULL), 2);
	CHECK_HSTR(events, "loglevel(bad);");
	events[0] = '\0';
	CHECK_INT(cmdline_apply("quiet root=x quiet", table, table, note_unknown, note_invalid), 2);
	CHECK_HSTR(events, "?quiet;?root;");
	CHECK_INT(cmdline_apply("", TABLE, note_unknown, note_invalid), 0);
	CHECK_INT(cmdline_apply("   -- foo", TABLE, note_unknown, note_invalid), 0);
	CHECK_HSTR(events, "?quiet;?root;");
}

/* Two over-long unknown keys are told apart by what survives of them, like everything else. */
TEST(apply_unknown_overlong_keys)
{
	char *a = repeat('a', CMDLINE_KEY_MAX + 5);
	char line[3 * CMDLINE_KEY_MAX + 32];
	line[0] = '\0';
	logf_(line, sizeof(line), "%s=1 %sb=2 %s", a, a, a);
	events[0] = '\0';
	CHECK_INT(cmdline_apply(line, TABLE, note_unknown, note_invalid), 1);
	free(a);
}

/* ---- seeded-random: render a known parameter list, parse it back ---- */

struct tok {
	const char *key;
	char val[24];
	bool has_val;
};

static const char *const keys[] = { "quiet", "loglevel", "root", "console", "init", "x.y", "a-b",
				    "nokaslr", "mem" };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void rand_val(char *v, size_t size, bool spaces)
{
	static const char chars[] = "abcXYZ019/.,:=-_";
	size_t n = (size_t)rand() % (size - 1);
	for (size_t i = 0; i < n; i++)
		v[i] = spaces && rand() % 4 == 0 ? " \t"[rand() % 2] : chars[rand() % (sizeof(chars) - 1)];
	v[n] = '\0';
}

static void add_blanks(char *line, size_t size, bool at_least_one)
{
	int n = rand() % 3 + (at_least_one ? 1 : 0);
	for (int i = 0; i < n; i++)
		logf_(line, size, "%c", " \t\n\r"[rand() % 4]);
}

/* Writes t in one of several equivalent spellings. */
static void render(char *line, size_t size, const struct tok *t)
{
	bool blanks = false;
	for (const char *c = t->val; *c; c++)
		blanks |= *c == ' ' || *c == '\t';
	int style = rand() % 4;
	if (!t->has_val) {
		logf_(line, size, style == 0 ? "\"%s\"" : "%s", t->key);
	} else if (style == 0 || (blanks && style == 1)) {
		logf_(line, size, "%s=\"%s\"", t->key, t->val);
	} else if (style == 1 || blanks) {
		logf_(line, size, "\"%s=%s\"", t->key, t->val);
	} else if (style == 2 && t->val[0]) {
		/* quotes around part of the value */
		size_t cut = (size_t)rand() % host_strlen(t->val);
		logf_(line, size, "%s=%.*s\"%s\"", t->key, (int)cut, t->val, t->val + cut);
	} else {
		logf_(line, size, "%s=%s", t->key, t->val);
	}
}

static int apply_rand_handler(int which, const char *val)
{
	logf_(events, sizeof(events), "%s(%s);", keys[which], val ? val : "NULL");
	return val && val[0] == '-' ? -1 : 0;
}
static int rh0(const char *v) { return apply_rand_handler(0, v); }
static int rh1(const char *v) { return apply_rand_handler(1, v); }
static int rh2(const char *v) { return apply_rand_handler(2, v); }
static int rh3(const char *v) { return apply_rand_handler(3, v); }
/* keys[4..] are unknown to this table */
static const struct kparam rand_table[] = { { "quiet", rh0 }, { "loglevel", rh1 }, { "root", rh2 },
					    { "console", rh3 } };

TEST(random_lines_parse_back)
{
	srand(12345);
	static char line[4096], want[4096];
	struct tok toks[24];
	for (int iter = 0; iter < 3000; iter++) {
		int ntok = rand() % 24, dash = rand() % 3 == 0 ? rand() % (ntok + 1) : -1;
		line[0] = want[0] = '\0';
		add_blanks(line, sizeof(line), false);
		for (int i = 0; i < ntok; i++) {
			if (i == dash) {
				logf_(line, sizeof(line), "--");
				add_blanks(line, sizeof(line), true);
			}
			toks[i].key = keys[rand() % NKEYS];
			toks[i].has_val = rand() % 3 != 0;
			toks[i].val[0] = '\0';
			if (toks[i].has_val)
				rand_val(toks[i].val, sizeof(toks[i].val), rand() % 3 == 0);
			render(line, sizeof(line), &toks[i]);
			add_blanks(line, sizeof(line), true);
		}
		int nkern = dash >= 0 ? dash : ntok; /* parameters before "--" */

		/* Tokenizer: exactly the kernel's parameters, then init's after a "--". */
		const char *p = line;
		struct cmdline_param prm;
		for (int i = 0; i < ntok; i++) {
			if (i == dash)
				CHECK(!cmdline_next(&p, &prm));
			CHECK(cmdline_next(&p, &prm));
			CHECK_HSTR(prm.key, toks[i].key);
			CHECK_INT(prm.has_val, toks[i].has_val);
			CHECK_HSTR(prm.val, toks[i].val);
			CHECK(!prm.truncated);
		}
		CHECK(!cmdline_next(&p, &prm));

		/* cmdline_get: the last occurrence before "--". */
		for (size_t k = 0; k < NKEYS; k++) {
			int last = -1;
			for (int i = 0; i < nkern; i++)
				if (toks[i].key == keys[k])
					last = i;
			char val[32] = "sentinel";
			CHECK_INT(cmdline_get(line, keys[k], val, sizeof(val)), last >= 0);
			CHECK_HSTR(val, last >= 0 ? toks[last].val : "sentinel");
		}

		/* cmdline_apply: handlers in order, failures reported, unknown names once. */
		bool seen[NKEYS] = { false };
		int unknown = 0;
		for (int i = 0; i < nkern; i++) {
			size_t k = 0;
			while (keys[k] != toks[i].key)
				k++;
			if (k >= 4) {
				if (!seen[k]) {
					logf_(want, sizeof(want), "?%s;", keys[k]);
					unknown++;
				}
				seen[k] = true;
				continue;
			}
			const char *v = toks[i].has_val ? toks[i].val : NULL;
			logf_(want, sizeof(want), "%s(%s);", keys[k], v ? v : "NULL");
			if (v && v[0] == '-')
				logf_(want, sizeof(want), "!%s=%s;", keys[k], v);
		}
		events[0] = '\0';
		CHECK_INT(cmdline_apply(line, rand_table, rand_table + 4, note_unknown, note_invalid), unknown);
		CHECK_HSTR(events, want);
	}
}
