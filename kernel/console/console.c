/* kprintf and friends: format, append to the log ring, echo to the consoles. */
#include "console/console.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "console/klog.h"
#include "lib/cmdline.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"

/*
 * console_lock serialises the log line being assembled and every console's output, kernel
 * messages and terminal output alike (two CPUs drawing on one screen would corrupt its cursor).
 * It is taken with interrupts off. A CPU that already holds it (a fault inside a console
 * driver, reported through kprintf) goes on without it rather than deadlock; console_write,
 * the panic path, never takes it.
 */
static spinlock_t console_lock = SPINLOCK_INIT;
static int console_owner = -1; /* the CPU holding console_lock */

/* Returns whether the lock was taken (false: this CPU already had it); *irq is for unlock. */
static bool console_lock_take(uint64_t *irq)
{
	*irq = irq_save();
	int me = (int)cpu_id();
	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me)
		return false;
	spin_lock_raw(&console_lock);
	__atomic_store_n(&console_owner, me, __ATOMIC_RELAXED);
	return true;
}

static void console_lock_drop(bool taken, uint64_t irq)
{
	if (taken) {
		__atomic_store_n(&console_owner, -1, __ATOMIC_RELAXED);
		spin_unlock_raw(&console_lock);
	}
	irq_restore(irq);
}

void console_write_one(struct console *con, const char *s, size_t n)
{
	uint64_t irq;
	bool taken = console_lock_take(&irq);
	con->write(con, s, n);
	console_lock_drop(taken, irq);
}

/* Like Linux: a message is shown when its level is below this; 7 hides only debug. */
int console_loglevel = 7;

static struct console *consoles;
static uint64_t (*clock_ns)(void);

static uint8_t log_buf[128 * 1024] __aligned(8);
static struct klog_ring ring;
static bool ring_ready;

/* The line being assembled: text arrives in pieces until a newline ends the record. */
static char line[KLOG_TEXT_MAX + 1];
static size_t line_len;
static int line_level;
static uint64_t line_ts;

static void ensure_ring(void)
{
	if (!ring_ready) {
		klog_ring_init(&ring, log_buf, sizeof(log_buf));
		ring_ready = true;
	}
}

const struct klog_ring *klog_ring(void)
{
	ensure_ring();
	return &ring;
}

void klog_set_clock(uint64_t (*now_ns)(void))
{
	clock_ns = now_ns;
}

/* Like Linux, a console that appears late first gets the log written so far. */
static void replay_log(struct console *con)
{
	static struct klog_record rec; /* ~1 KiB; consoles register one at a time */
	uint64_t seq = 0;
	ensure_ring();
	while (klog_ring_read(&ring, &seq, &rec)) {
		if (rec.level >= console_loglevel)
			continue;
		con->write(con, rec.text, rec.len);
		con->write(con, "\n", 1);
	}
}

void console_register(struct console *con)
{
	uint64_t irq;
	bool taken = console_lock_take(&irq);
	replay_log(con);
	con->next = consoles;
	consoles = con;
	console_lock_drop(taken, irq);
}

void console_unregister(struct console *con)
{
	for (struct console **p = &consoles; *p; p = &(*p)->next) {
		if (*p == con) {
			*p = con->next;
			return;
		}
	}
}

struct console *console_find(const char *name)
{
	for (struct console *c = consoles; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void console_write(const char *s, size_t n)
{
	for (struct console *c = consoles; c; c = c->next)
		c->write(c, s, n);
}

static void flush_line(void)
{
	ensure_ring();
	klog_ring_append(&ring, (uint8_t)line_level, line_ts, line, line_len);
	line_len = 0;
}

static void emit(int level, const char *text, size_t n)
{
	uint64_t irq;
	bool taken = console_lock_take(&irq);
	bool show = level < console_loglevel;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (line_len == 0 && c != '\n') {
			line_level = level;
			line_ts = clock_ns ? clock_ns() : 0;
			if (show && clock_ns) {
				char stamp[24];
				int k = snprintf(stamp, sizeof(stamp), "[%5llu.%06llu] ",
						 (unsigned long long)(line_ts / 1000000000),
						 (unsigned long long)(line_ts / 1000 % 1000000));
				console_write(stamp, (size_t)k);
			}
		}
		if (c == '\n') {
			flush_line();
		} else if (line_len < KLOG_TEXT_MAX) {
			line[line_len++] = c;
		}
	}
	if (show)
		console_write(text, n);
	console_lock_drop(taken, irq);
}

void vklog(int level, const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	emit(level, buf, (size_t)n);
}

void klog(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vklog(LOG_INFO, fmt, ap);
	va_end(ap);
}

static int parse_loglevel(const char *val)
{
	if (!val || val[0] < '0' || val[0] > '9')
		return -1;
	int v = 0;
	for (const char *p = val; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100)
			return -1;
		v = v * 10 + (*p - '0');
	}
	console_loglevel = v;
	return 0;
}
KPARAM("loglevel", parse_loglevel);

static int parse_quiet(const char *val)
{
	(void)val;
	console_loglevel = 4; /* errors and worse */
	return 0;
}
KPARAM("quiet", parse_quiet);

static int parse_debug(const char *val)
{
	(void)val;
	console_loglevel = 10;
	return 0;
}
KPARAM("debug", parse_debug);
