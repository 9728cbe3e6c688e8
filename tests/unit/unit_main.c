/* Runs every registered unit-test case; see unit.h for the output format. */
#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"

#ifndef UNIT_SUITE
#define UNIT_SUITE "unknown"
#endif

static struct unit_case *cases, **tail = &cases;
bool unit_failed;
static char why[1024];

void unit_register(struct unit_case *c)
{
	*tail = c; /* keep file order */
	tail = &c->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(why, sizeof(why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - (size_t)n, fmt, ap);
	va_end(ap);
	unit_failed = true;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (struct unit_case *c = cases; c; c = c->next) {
		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		unit_failed = false;
		c->fn();
		if (unit_failed) {
			printf("FAIL unit/%s/%s: %s\n", UNIT_SUITE, c->name, why);
			failed++;
		} else {
			printf("PASS unit/%s/%s\n", UNIT_SUITE, c->name);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
