/* ktests for procfs: every file reads, and the formats parse against their sources. */
#include "arch/x86_64/percpu.h"
#include "console/console.h"
#include "drivers/pci/pci.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "irq/irq_internal.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"

#define PBUF 65536

/* kmain may not mount /proc yet; procfs_init does nothing the second time. */
static bool proc_ready(void)
{
	if (vfs_init())
		return false;
	procfs_init();
	struct kstat st;
	return vfs_stat(NULL, "/proc/version", true, &st) == 0;
}

/* Reads the whole file in small pieces (so offsets matter); its length or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	size_t got = 0;
	ssize_t n;
	while (got < size - 1 && (n = vfs_read(f, buf + got, size - 1 - got < 100 ? size - 1 - got : 100)) > 0)
		got += (size_t)n;
	file_put(f);
	buf[got] = 0;
	return (ssize_t)got;
}

static unsigned count_lines_starting(const char *buf, const char *prefix)
{
	unsigned n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = buf; *p;) {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

static const char *find_line(const char *buf, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (const char *p = buf; *p;) {
		if (strncmp(p, prefix, pl) == 0)
			return p;
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static uint64_t parse_u64(const char **pp)
{
	const char *p = *pp;
	while (*p == ' ' || *p == '\t')
		p++;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return v;
}

static const char *const proc_files[] = {
	"/proc/meminfo", "/proc/cpuinfo", "/proc/uptime", "/proc/loadavg", "/proc/stat",
	"/proc/mounts", "/proc/filesystems", "/proc/cmdline", "/proc/version",
	"/proc/interrupts", "/proc/kmsg", "/proc/bus/pci/devices",
};

KTEST(procfs_files_read)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++) {
		ssize_t n = slurp(proc_files[i], buf, PBUF);
		if (n <= 0) {
			vfree(buf);
			ktest_fail_at(__FILE__, __LINE__, "%s: read gave %ld", proc_files[i], (long)n);
			return;
		}
	}
	/* Read-only, and nothing can be created. */
	struct file *f;
	KT_ASSERT_EQ(vfs_open(NULL, "/proc/version", O_WRONLY, 0, &f), -EACCES);
	KT_ASSERT(vfs_open(NULL, "/proc/newfile", O_WRONLY | O_CREAT, 0644, &f) < 0);
	/* Seeking: SEEK_END is the generated length, and pread sees the same snapshot. */
	KT_ASSERT_EQ(vfs_open(NULL, "/proc/version", O_RDONLY, 0, &f), 0);
	int64_t end = vfs_lseek(f, 0, SEEK_END);
	char head[9] = { 0 };
	ssize_t pr = vfs_pread(f, head, 8, 0);
	file_put(f);
	KT_ASSERT(end > 16);
	KT_ASSERT_EQ(pr, 8);
	KT_ASSERT(memcmp(head, "Ferrite ", 8) == 0);
	vfree(buf);
}

KTEST(procfs_meminfo)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	ssize_t n = slurp("/proc/meminfo", buf, PBUF);
	struct pmm_stats ps;
	pmm_get_stats(&ps);
	const char *p = find_line(buf, "MemTotal:");
	const char *fr = find_line(buf, "MemFree:");
	uint64_t total = 0, free = 0;
	bool kb = false;
	if (p) {
		p += 9;
		total = parse_u64(&p);
		kb = strncmp(p, " kB\n", 4) == 0;
	}
	if (fr) {
		fr += 8;
		free = parse_u64(&fr);
	}
	vfree(buf);
	KT_ASSERT(n > 0);
	KT_ASSERT(p && fr && kb);
	KT_ASSERT_EQ(total, ps.total_pages * 4);
	KT_ASSERT(free > 0 && free <= total);
}

KTEST(procfs_cpuinfo)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	ssize_t n = slurp("/proc/cpuinfo", buf, PBUF);
	unsigned procs = count_lines_starting(buf, "processor\t: ");
	unsigned names = count_lines_starting(buf, "model name\t: ");
	vfree(buf);
	KT_ASSERT(n > 0);
	KT_ASSERT_EQ(procs, cpu_count);
	KT_ASSERT_EQ(names, cpu_count);
}

KTEST(procfs_mounts)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	ssize_t n = slurp("/proc/mounts", buf, PBUF);
	bool root = find_line(buf, "rootfs / tmpfs rw 0 0\n") != NULL;
	bool proc = find_line(buf, "proc /proc proc rw 0 0\n") != NULL;
	ssize_t m = slurp("/proc/filesystems", buf, PBUF);
	bool fs_tmpfs = find_line(buf, "nodev\ttmpfs\n") != NULL;
	bool fs_proc = find_line(buf, "nodev\tproc\n") != NULL;
	vfree(buf);
	KT_ASSERT(n > 0 && m > 0);
	KT_ASSERT(root);
	KT_ASSERT(proc);
	KT_ASSERT(fs_tmpfs);
	KT_ASSERT(fs_proc);
}

KTEST(procfs_nested_mount_path)
{
	KT_ASSERT(proc_ready());
	int err = vfs_mkdir(NULL, "/kt_procm", 0755);
	KT_ASSERT(err == 0 || err == -EEXIST);
	err = vfs_mkdir(NULL, "/kt_procm/a", 0755);
	KT_ASSERT(err == 0 || err == -EEXIST);
	KT_ASSERT_EQ(vfs_mount("kt_t1", "/kt_procm/a", "tmpfs", 0, NULL), 0);
	KT_ASSERT_EQ(vfs_mkdir(NULL, "/kt_procm/a/b", 0755), 0);
	KT_ASSERT_EQ(vfs_mount("kt_t2", "/kt_procm/a/b", "tmpfs", 0, NULL), 0);
	char *buf = vmalloc(PBUF);
	bool ok1 = false, ok2 = false;
	if (buf && slurp("/proc/mounts", buf, PBUF) > 0) {
		ok1 = find_line(buf, "kt_t1 /kt_procm/a tmpfs rw 0 0\n") != NULL;
		ok2 = find_line(buf, "kt_t2 /kt_procm/a/b tmpfs rw 0 0\n") != NULL;
	}
	vfree(buf);
	KT_ASSERT_EQ(vfs_umount("/kt_procm/a/b"), 0);
	KT_ASSERT_EQ(vfs_umount("/kt_procm/a"), 0);
	KT_ASSERT(ok1);
	KT_ASSERT(ok2);
}

KTEST(procfs_interrupts)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	ssize_t n = slurp("/proc/interrupts", buf, PBUF);
	/* The tick's row: the local APIC timer ("LOC:"), or IRQ 0 (the PIT) on the 8259 PIC. */
	const char *row = irq_mode == IRQ_MODE_APIC ? "LOC:" : "  0:";
	const char *p = find_line(buf, row);
	uint64_t loc0 = 0;
	if (p) {
		p += 4;
		loc0 = parse_u64(&p);
	}
	bool header = strncmp(buf, "           CPU0", 15) == 0;
	vfree(buf);
	KT_ASSERT(n > 0);
	KT_ASSERT(header);
	KT_ASSERT(p);
	KT_ASSERT(loc0 > 0);
}

KTEST(procfs_pci_devices)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	ssize_t n = slurp("/proc/bus/pci/devices", buf, PBUF);
	unsigned lines = 0;
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	unsigned devs = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		devs++;
	vfree(buf);
	KT_ASSERT(devs > 0);
	KT_ASSERT_EQ(lines, devs);
}

/* Names listed by getdents64 on dir, NUL-separated into names; the count or -errno. */
static int list_dir(const char *dir, char *names, size_t size)
{
	struct file *d;
	int err = vfs_open(NULL, dir, O_RDONLY | O_DIRECTORY, 0, &d);
	if (err)
		return err;
	char dbuf[128]; /* small: several getdents64 calls, positions must carry over */
	ssize_t n;
	size_t used = 0;
	int count = 0;
	while ((n = vfs_getdents64(d, dbuf, sizeof(dbuf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dbuf + off);
			size_t l = strlen(e->d_name);
			if (used + l + 1 < size) {
				memcpy(names + used, e->d_name, l + 1);
				used += l + 1;
			}
			count++;
			off += e->d_reclen;
		}
	}
	file_put(d);
	names[used] = 0;
	return n < 0 ? (int)n : count;
}

static bool has_name(const char *names, const char *name)
{
	for (const char *p = names; *p; p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			return true;
	return false;
}

KTEST(procfs_getdents)
{
	KT_ASSERT(proc_ready());
	char names[1024];
	int n = list_dir("/proc", names, sizeof(names));
	static const char *const want[] = { ".", "..", "meminfo", "cpuinfo", "uptime", "loadavg", "stat",
					    "mounts", "filesystems", "cmdline", "version", "interrupts",
					    "kmsg", "bus", "partitions", "diskstats", "net", "sysvipc", "self",
					    "thread-self" };
	int pids = 0; /* and one directory per process (procfs_pid_ktest.c tests them) */
	for (const char *p = names; *p; p += strlen(p) + 1)
		pids += *p >= '1' && *p <= '9';
	KT_ASSERT_EQ(n, (int)(sizeof(want) / sizeof(want[0])) + pids);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		KT_ASSERT(has_name(names, want[i]));
	KT_ASSERT_EQ(list_dir("/proc/bus", names, sizeof(names)), 3);
	KT_ASSERT(has_name(names, "pci"));
	KT_ASSERT_EQ(list_dir("/proc/bus/pci", names, sizeof(names)), 3);
	KT_ASSERT(has_name(names, "devices"));
	KT_ASSERT_EQ(list_dir("/proc/net", names, sizeof(names)), 8);
	KT_ASSERT(has_name(names, "dev") && has_name(names, "route") && has_name(names, "arp") &&
		  has_name(names, "udp") && has_name(names, "tcp") && has_name(names, "packet"));
	KT_ASSERT_EQ(list_dir("/proc/sysvipc", names, sizeof(names)), 5);
	KT_ASSERT(has_name(names, "shm") && has_name(names, "msg") && has_name(names, "sem"));
	struct kstat st;
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/bus/pci", true, &st), 0);
	KT_ASSERT(S_ISDIR(st.mode));
	KT_ASSERT_EQ(vfs_stat(NULL, "/proc/nope", true, &st), -ENOENT);
}

KTEST(procfs_misc_formats)
{
	KT_ASSERT(proc_ready());
	char buf[512];
	KT_ASSERT(slurp("/proc/uptime", buf, sizeof(buf)) > 0);
	const char *p = buf;
	parse_u64(&p);
	KT_ASSERT(*p == '.');
	KT_ASSERT(slurp("/proc/loadavg", buf, sizeof(buf)) > 0);
	KT_ASSERT(buf[1] == '.' || buf[2] == '.');
	char *big = vmalloc(PBUF);
	KT_ASSERT(big);
	ssize_t n = slurp("/proc/stat", big, PBUF);
	bool cpu = strncmp(big, "cpu  ", 5) == 0;
	unsigned percpu = count_lines_starting(big, "cpu") - 1;
	bool btime = find_line(big, "btime ") != NULL;
	bool intr = find_line(big, "intr ") != NULL;
	vfree(big);
	KT_ASSERT(n > 0 && cpu && btime && intr);
	KT_ASSERT_EQ(percpu, cpu_count);
	n = slurp("/proc/cmdline", buf, sizeof(buf));
	KT_ASSERT(n > 0 && buf[n - 1] == '\n');
	bool found = false;
	for (const char *q = buf; *q && !found; q++)
		found = strncmp(q, "ktest", 5) == 0;
	KT_ASSERT(found);
}

/* "name value" from /proc/stat, or -1. */
static int64_t stat_value(const char *buf, const char *name)
{
	const char *p = find_line(buf, name);
	if (!p)
		return -1;
	p += strlen(name);
	return (int64_t)parse_u64(&p);
}

/* The idle column (the fourth number) of a "cpuN" line of /proc/stat, or -1. */
static int64_t stat_cpu_idle(const char *buf, unsigned cpu)
{
	char label[16];
	snprintf(label, sizeof(label), "cpu%u ", cpu);
	const char *p = find_line(buf, label);
	if (!p)
		return -1;
	p += strlen(label);
	uint64_t v = 0;
	for (int i = 0; i < 4; i++)
		v = parse_u64(&p);
	return (int64_t)v;
}

/* uptime's fields in hundredths of a second. */
static bool read_uptime(uint64_t *up, uint64_t *idle)
{
	char buf[64];
	if (slurp("/proc/uptime", buf, sizeof(buf)) <= 0)
		return false;
	const char *p = buf;
	*up = parse_u64(&p) * 100;
	if (*p++ != '.')
		return false;
	*up += parse_u64(&p);
	*idle = parse_u64(&p) * 100;
	if (*p++ != '.')
		return false;
	*idle += parse_u64(&p);
	return *p == '\n';
}

/* A CPU with nothing to run is idle: a 200 ms sleep shows in uptime, stat and ctxt. */
KTEST(procfs_idle_and_switches)
{
	KT_ASSERT(proc_ready());
	char *a = vmalloc(PBUF), *b = vmalloc(PBUF);
	KT_ASSERT(a && b);
	unsigned me = cpu_id();
	uint64_t up0, idle0, up1, idle1;
	bool ok0 = read_uptime(&up0, &idle0);
	ssize_t n0 = slurp("/proc/stat", a, PBUF);
	uint64_t ns0 = sched_cpu_idle_ns(me);
	thread_sleep_ns(200000000);
	uint64_t ns1 = sched_cpu_idle_ns(me);
	ssize_t n1 = slurp("/proc/stat", b, PBUF);
	bool ok1 = read_uptime(&up1, &idle1);
	int64_t cpu_idle0 = stat_cpu_idle(a, me), cpu_idle1 = stat_cpu_idle(b, me);
	int64_t ctxt0 = stat_value(a, "ctxt "), ctxt1 = stat_value(b, "ctxt ");
	vfree(a);
	vfree(b);
	KT_ASSERT(ok0 && ok1 && n0 > 0 && n1 > 0);
	KT_ASSERT(idle1 >= idle0 + 10);                    /* 0.10 s of the 0.2 s, at least */
	KT_ASSERT(idle1 <= idle0 + (up1 - up0 + 2) * cpu_count); /* 2: rounding to 0.01 s */
	KT_ASSERT(ns1 >= ns0 + 100000000ull);
	KT_ASSERT(cpu_idle0 >= 0 && cpu_idle1 >= cpu_idle0 + 10);
	KT_ASSERT(ctxt0 >= 0 && ctxt1 >= ctxt0 + 2);       /* to idle and back */
}

static void sleep_100ms(void *arg)
{
	(void)arg;
	thread_sleep_ns(100000000);
}

/* loadavg's "R/T last" and stat's processes follow the threads. */
KTEST(procfs_thread_counts)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	slurp("/proc/stat", buf, PBUF);
	int64_t procs0 = stat_value(buf, "processes ");
	struct thread *t = thread_create("kt-proc", sleep_100ms, NULL, NULL);
	KT_ASSERT(t);
	unsigned tid = t->tid;
	char la[128];
	ssize_t n = slurp("/proc/loadavg", la, sizeof(la));
	slurp("/proc/stat", buf, PBUF);
	int64_t procs1 = stat_value(buf, "processes ");
	int64_t running = stat_value(buf, "procs_running ");
	thread_join(t);
	vfree(buf);
	/* "a.aa b.bb c.cc R/T last" */
	const char *p = la;
	for (int i = 0; i < 3; i++) {
		parse_u64(&p);
		KT_ASSERT(*p == '.');
		p++;
		parse_u64(&p);
	}
	uint64_t r = parse_u64(&p);
	KT_ASSERT(n > 0 && *p == '/');
	p++;
	uint64_t total = parse_u64(&p);
	uint64_t last = parse_u64(&p);
	KT_ASSERT(*p == '\n');
	struct sched_stats st;
	sched_get_stats(&st);
	KT_ASSERT(r >= 1 && r <= total);                   /* the reader itself runs */
	KT_ASSERT(total >= 2);                             /* it and the sleeper */
	KT_ASSERT(total <= st.threads + 1);
	KT_ASSERT(last >= tid);
	KT_ASSERT(procs0 >= 0 && procs1 >= procs0 + 1);
	KT_ASSERT(running >= 1);
}

/* A type registered after every mount still shows up, in order, "nodev" only without a device. */
static int kt_blkfs_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	(void)type;
	(void)dev;
	(void)data;
	(void)out;
	return -ENODEV;
}

static struct fs_type kt_blkfs = { .name = "kt_blkfs", .flags = FS_REQUIRES_DEV, .mount = kt_blkfs_mount };

KTEST(procfs_filesystems)
{
	KT_ASSERT(proc_ready());
	int err = vfs_register_fs(&kt_blkfs);
	KT_ASSERT(err == 0 || err == -EBUSY);
	char buf[1024];
	KT_ASSERT(slurp("/proc/filesystems", buf, sizeof(buf)) > 0);
	const char *tmpfs = find_line(buf, "nodev\ttmpfs\n"), *proc = find_line(buf, "nodev\tproc\n");
	const char *blk = find_line(buf, "\tkt_blkfs\n");
	KT_ASSERT(tmpfs == buf); /* registered first, by vfs_init */
	KT_ASSERT(proc && proc > tmpfs);
	KT_ASSERT(find_line(buf, "nodev\tdevtmpfs\n"));
	KT_ASSERT(blk && blk > proc);
	KT_ASSERT(!find_line(buf, "nodev\tkt_blkfs\n"));
}

/* Prints every file (for eyeballing the formats): ktest=procfs_dump. */
KTEST_MANUAL(procfs_dump)
{
	KT_ASSERT(proc_ready());
	char *buf = vmalloc(PBUF);
	KT_ASSERT(buf);
	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++) {
		if (strcmp(proc_files[i], "/proc/kmsg") == 0)
			continue; /* it is the log itself */
		slurp(proc_files[i], buf, PBUF);
		kprintf("==== %s\n", proc_files[i]);
		for (char *p = buf; *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = 0;
			kprintf("%s\n", p);
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	ssize_t n = slurp("/proc/kmsg", buf, PBUF);
	kprintf("==== /proc/kmsg: %ld bytes, first line: %.60s\n", (long)n, buf);
	vfree(buf);
}

/* Busy for 11 s (two 5 s samples): the 1-minute load average must rise above 0.00. */
KTEST_MANUAL(procfs_loadavg)
{
	KT_ASSERT(proc_ready());
	uint64_t end = clock_monotonic_ns() + 11000000000ull;
	while (clock_monotonic_ns() < end)
		__asm__ volatile("pause");
	char buf[128];
	KT_ASSERT(slurp("/proc/loadavg", buf, sizeof(buf)) > 0);
	kprintf("procfs: loadavg after 11 s busy: %s", buf);
	KT_ASSERT(strncmp(buf, "0.00 ", 5) != 0);
}
