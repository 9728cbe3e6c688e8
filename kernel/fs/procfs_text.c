/*
 * procfs's text: PID names and maps lines (the buffers they append to are lib/sbuf.c's). Nothing
 * here touches kernel state, so the host unit tests (tests/unit/test_procfs_text.c) run it as is.
 */
#include "fs/procfs_internal.h"
#include "lib/printf.h"
#include "lib/string.h"

int procfs_parse_number(const char *name, size_t len)
{
	if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
		return -1;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

void procfs_maps_line(struct sbuf *s, const struct procfs_map *m)
{
	size_t line = s->len;
	sb_printf(s, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", (unsigned long long)m->start,
		  (unsigned long long)m->end, (m->prot & 1) ? 'r' : '-', (m->prot & 2) ? 'w' : '-',
		  (m->prot & 4) ? 'x' : '-', m->shared ? 's' : 'p', (unsigned long long)m->off, m->major,
		  m->minor, (unsigned long long)m->ino);
	if (m->name) {
		/* Linux pads the name to column 73 (seq_pad after a 72-column width). */
		sb_pad(s, line, 72);
		sb_printf(s, " %s", m->name);
	}
	sb_printf(s, "\n");
}
