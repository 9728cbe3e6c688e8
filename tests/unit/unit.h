/*
 * A minimal host unit-test harness. Each test file defines cases with TEST(name) { ... } and
 * checks with CHECK*; unit_main.c runs every case and prints one line per case:
 *   PASS unit/<file>/<case>      or      FAIL unit/<file>/<case>: <file>:<line>: <what>
 * A case stops at its first failed check. Built with -fsanitize=address,undefined.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
	struct unit_case *next;
};

void unit_register(struct unit_case *c);
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern bool unit_failed;

#define TEST(name)                                                               \
	static void test_##name(void);                                           \
	static struct unit_case unit_case_##name = { #name, test_##name, NULL }; \
	__attribute__((constructor)) static void unit_reg_##name(void)           \
	{                                                                        \
		unit_register(&unit_case_##name);                                \
	}                                                                        \
	static void test_##name(void)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
			return;                                             \
		}                                                           \
	} while (0)

#define CHECK_INT(a, b)                                                                          \
	do {                                                                                     \
		long long va_ = (long long)(a), vb_ = (long long)(b);                            \
		if (va_ != vb_) {                                                                \
			unit_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b, vb_); \
			return;                                                                  \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                      \
	do {                                                                                 \
		const char *sa_ = (a), *sb_ = (b);                                           \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                 \
			unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,   \
				  sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                 \
			return;                                                              \
		}                                                                            \
	} while (0)
