/*
 * procfs: read-only files generated in Linux's formats (see proc(5)).
 *
 * The tree is a static table: each entry names its parent directory and, for a regular file,
 * a generator `size_t gen(char *buf, size_t size)` that writes at most size - 1 bytes plus a
 * NUL and returns the length of the whole text (like snprintf). open() runs the generator into
 * a buffer kept in file->private (growing it until the text fits), so every read of that open
 * file sees the same snapshot; release frees it. Inodes are made on lookup (ino = table index
 * + 1) and freed when the dentry cache lets go of them.
 *
 * Generators run from open, i.e. under vfs_lock (vfs_open holds it), which is what lets
 * mounts/filesystems walk the mount table and the fs-type list without taking it again.
 *
 * Notes on the numbers:
 *   - meminfo: Cached and Dirty are the page cache's (mm/page_cache.h); MemAvailable adds its
 *     clean pages to MemFree (the shrinker can free those that are not mapped). The buffer
 *     cache is not counted (Buffers 0) and the slab has no shrinker (all of Slab is SUnreclaim).
 *   - uptime/stat: idle time is the scheduler's per-CPU time in the idle thread; uptime's
 *     second field sums it over the CPUs, as Linux does. In stat (USER_HZ = 100) a CPU's time
 *     since it started scheduling is idle or "system": there is no user mode, and interrupt
 *     time is not told apart yet.
 *   - loadavg: the scheduler's 1/5/15-minute averages (kernel/sched/loadavg.c), runnable and
 *     total threads, the newest thread id. stat: ctxt, processes (threads created since boot),
 *     procs_running from the scheduler; procs_blocked is 0 (no uninterruptible sleep yet).
 *   - kmsg: the whole kernel log ring as plain text ("<level>[seconds.micros] text" per
 *     record), read without consuming anything; Linux's consuming /proc/kmsg comes with syslog.
 *   - filesystems: every registered type in registration order, "nodev" unless FS_REQUIRES_DEV.
 */
#include "fs/procfs.h"
#include "fs/procfs_internal.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "block/block.h"
#include "arch/x86_64/vectors.h"
#include "console/console.h"
#include "console/klog.h"
#include "drivers/pci/pci.h"
#include "fs/internal.h"
#include "init/init.h"
#include "ipc/ipc.h"
#include "irq/irq.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page_cache.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "net/net.h"
#include "net/tcp/tcp.h"
#include "sched/sched.h"
#include "sched/sched_math.h"
#include "time/clock.h"

#define LOAD_INT(x) ((x) >> SCHED_FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (SCHED_FIXED_1 - 1)) * 100)

/* ---- generators ---- */

static size_t gen_meminfo(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	struct pmm_stats ps;
	struct slab_stats ss;
	pmm_get_stats(&ps);
	slab_get_stats(&ss);
	uint64_t kb = 4096 / 1024;
	uint64_t slab_kb = (ss.slab_bytes + ss.large_bytes) / 1024;
	struct pcache_stats pcs;
	pcache_get_stats(&pcs);
#define ROW(name, v) sb_printf(&s, "%-16s%8llu kB\n", name ":", (unsigned long long)(v))
	ROW("MemTotal", ps.total_pages * kb);
	ROW("MemFree", ps.free_pages * kb);
	ROW("MemAvailable", (ps.free_pages + pcs.pages - pcs.dirty) * kb);
	ROW("Buffers", 0);
	ROW("Cached", pcs.pages * kb);
	ROW("SwapCached", 0);
	ROW("SwapTotal", 0);
	ROW("SwapFree", 0);
	ROW("Dirty", pcs.dirty * kb);
	ROW("Slab", slab_kb);
	ROW("SReclaimable", 0);
	ROW("SUnreclaim", slab_kb);
	ROW("VmallocTotal", (VMALLOC_END - VMALLOC_START) / 1024);
#undef ROW
	return sb_done(&s);
}

static void cpuid_str(uint32_t leaf, char *out)
{
	uint32_t r[4];
	cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
	memcpy(out, r, 16);
}

struct flag_bit {
	uint8_t reg; /* 0: leaf 1 EDX, 1: leaf 1 ECX, 2: 0x80000001 EDX, 3: 0x80000001 ECX, 4: leaf 7 EBX */
	uint8_t bit;
	const char *name;
};

/* In Linux's order (by word, then bit). */
static const struct flag_bit flag_bits[] = {
	{ 0, 0, "fpu" },   { 0, 1, "vme" },     { 0, 2, "de" },     { 0, 3, "pse" },
	{ 0, 4, "tsc" },   { 0, 5, "msr" },     { 0, 6, "pae" },    { 0, 7, "mce" },
	{ 0, 8, "cx8" },   { 0, 9, "apic" },    { 0, 11, "sep" },   { 0, 12, "mtrr" },
	{ 0, 13, "pge" },  { 0, 14, "mca" },    { 0, 15, "cmov" },  { 0, 16, "pat" },
	{ 0, 17, "pse36" }, { 0, 19, "clflush" }, { 0, 23, "mmx" }, { 0, 24, "fxsr" },
	{ 0, 25, "sse" },  { 0, 26, "sse2" },   { 0, 28, "ht" },
	{ 2, 11, "syscall" }, { 2, 20, "nx" },  { 2, 26, "pdpe1gb" }, { 2, 27, "rdtscp" },
	{ 2, 29, "lm" },
	{ 1, 0, "pni" },   { 1, 1, "pclmulqdq" }, { 1, 9, "ssse3" }, { 1, 12, "fma" },
	{ 1, 13, "cx16" }, { 1, 19, "sse4_1" }, { 1, 20, "sse4_2" }, { 1, 21, "x2apic" },
	{ 1, 22, "movbe" }, { 1, 23, "popcnt" }, { 1, 24, "tsc_deadline_timer" },
	{ 1, 25, "aes" },  { 1, 26, "xsave" },  { 1, 28, "avx" },   { 1, 29, "f16c" },
	{ 1, 30, "rdrand" }, { 1, 31, "hypervisor" },
	{ 3, 0, "lahf_lm" }, { 3, 5, "abm" },
	{ 4, 0, "fsgsbase" }, { 4, 3, "bmi1" }, { 4, 5, "avx2" }, { 4, 7, "smep" },
	{ 4, 8, "bmi2" },  { 4, 9, "erms" },    { 4, 18, "rdseed" }, { 4, 20, "smap" },
};

/* CPUID runs on the CPU that opens the file; every CPU is assumed to be the same model. */
static size_t gen_cpuinfo(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	uint32_t a, b, c, d, max_ext;
	char vendor[13] = { 0 }, model[49] = { 0 };
	cpuid(0, 0, &a, &b, &c, &d);
	uint32_t max_basic = a;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	cpuid(1, 0, &a, &b, &c, &d);
	uint32_t regs[5] = { d, c, 0, 0, 0 };
	unsigned family = (a >> 8) & 0xf, modelno = (a >> 4) & 0xf, stepping = a & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family >= 6)
		modelno |= ((a >> 16) & 0xf) << 4;
	cpuid(0x80000000, 0, &max_ext, &b, &c, &d);
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		regs[2] = d;
		regs[3] = c;
	}
	if (max_basic >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		regs[4] = b;
	}
	if (max_ext >= 0x80000004) {
		cpuid_str(0x80000002, model);
		cpuid_str(0x80000003, model + 16);
		cpuid_str(0x80000004, model + 32);
	}
	unsigned phys_bits = 36, virt_bits = 48;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		phys_bits = a & 0xff;
		virt_bits = (a >> 8) & 0xff;
	}
	const char *mname = model;
	while (*mname == ' ')
		mname++;
	if (!*mname)
		mname = "unknown";
	uint64_t khz = clock_info.tsc_hz / 1000;
	unsigned siblings = 0;
	for (unsigned i = 0; i < cpu_count; i++)
		siblings += cpus[i].online;

	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct cpu *cp = &cpus[i];
		if (!cp->online)
			continue;
		sb_printf(&s, "processor\t: %u\n", cp->id);
		sb_printf(&s, "vendor_id\t: %s\n", vendor);
		sb_printf(&s, "cpu family\t: %u\n", family);
		sb_printf(&s, "model\t\t: %u\n", modelno);
		sb_printf(&s, "model name\t: %s\n", mname);
		sb_printf(&s, "stepping\t: %u\n", stepping);
		sb_printf(&s, "cpu MHz\t\t: %llu.%03llu\n", (unsigned long long)(khz / 1000),
			  (unsigned long long)(khz % 1000));
		sb_printf(&s, "physical id\t: %u\n", cp->package);
		sb_printf(&s, "siblings\t: %u\n", siblings);
		sb_printf(&s, "core id\t\t: %u\n", cp->core);
		sb_printf(&s, "apicid\t\t: %u\n", cp->apic_id);
		sb_printf(&s, "fpu\t\t: yes\n");
		sb_printf(&s, "flags\t\t:");
		for (size_t f = 0; f < sizeof(flag_bits) / sizeof(flag_bits[0]); f++)
			if (regs[flag_bits[f].reg] & (1u << flag_bits[f].bit))
				sb_printf(&s, " %s", flag_bits[f].name);
		if (clock_info.tsc_invariant)
			sb_printf(&s, " constant_tsc nonstop_tsc");
		sb_printf(&s, "\n");
		sb_printf(&s, "address sizes\t: %u bits physical, %u bits virtual\n\n", phys_bits, virt_bits);
	}
	return sb_done(&s);
}

/* Seconds with two decimals, as uptime and loadavg print them. */
static void put_centis(struct sbuf *s, uint64_t ns)
{
	uint64_t cs = ns / 10000000ull;
	sb_printf(s, "%llu.%02llu", (unsigned long long)(cs / 100), (unsigned long long)(cs % 100));
}

static size_t gen_uptime(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	uint64_t idle = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (cpus[i].online)
			idle += sched_cpu_idle_ns(i);
	put_centis(&s, clock_monotonic_ns());
	sb_printf(&s, " ");
	put_centis(&s, idle);
	sb_printf(&s, "\n");
	return sb_done(&s);
}

static size_t gen_loadavg(char *buf, size_t size)
{
	unsigned long avg[3];
	struct sched_stats st;
	sched_loadavg(avg);
	sched_get_stats(&st);
	struct sbuf s = SB(buf, size);
	for (int i = 0; i < 3; i++) {
		unsigned long v = avg[i] + SCHED_FIXED_1 / 200; /* rounds to hundredths, as Linux */
		sb_printf(&s, "%lu.%02lu ", LOAD_INT(v), LOAD_FRAC(v));
	}
	sb_printf(&s, "%u/%u %u\n", st.running, st.threads, st.last_tid);
	return sb_done(&s);
}

/* /proc/stat counts in USER_HZ: 100 per second. */
static unsigned long long to_user_hz(uint64_t ns)
{
	return (unsigned long long)(ns / 10000000ull);
}

/* "user nice system idle iowait irq softirq steal guest guest_nice" */
static void put_cpu_line(struct sbuf *s, const char *label, uint64_t busy_ns, uint64_t idle_ns)
{
	sb_printf(s, "%-4s 0 0 %llu %llu 0 0 0 0 0 0\n", label, to_user_hz(busy_ns), to_user_hz(idle_ns));
}

static size_t gen_stat(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	static uint64_t busy[MAX_CPUS], idle[MAX_CPUS]; /* 1 KiB: off the stack; under vfs_lock */
	uint64_t busy_sum = 0, idle_sum = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!cpus[i].online)
			continue;
		idle[i] = sched_cpu_idle_ns(i);
		uint64_t up = sched_cpu_uptime_ns(i);
		busy[i] = up > idle[i] ? up - idle[i] : 0;
		busy_sum += busy[i];
		idle_sum += idle[i];
	}
	put_cpu_line(&s, "cpu", busy_sum, idle_sum);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!cpus[i].online)
			continue;
		char label[16];
		snprintf(label, sizeof(label), "cpu%u", cpus[i].id);
		put_cpu_line(&s, label, busy[i], idle[i]);
	}
	struct sched_stats st;
	sched_get_stats(&st);
	uint64_t intr = 0;
	for (unsigned v = VEC_PIC_BASE; v < 256; v++)
		for (unsigned i = 0; i < MAX_CPUS; i++)
			if (cpus[i].online)
				intr += irq_vector_count(v, i);
	sb_printf(&s, "intr %llu\n", (unsigned long long)intr);
	sb_printf(&s, "ctxt %llu\n", (unsigned long long)st.switches);
	sb_printf(&s, "btime %llu\n", (unsigned long long)clock_info.boot_unix_seconds);
	sb_printf(&s, "processes %llu\n", (unsigned long long)st.created);
	sb_printf(&s, "procs_running %u\n", st.running);
	sb_printf(&s, "procs_blocked 0\n");
	return sb_done(&s);
}

/* Writes m's mount point as an absolute path (vfs_lock held). */
static void put_mount_path(struct sbuf *s, struct mount *m)
{
	const char *parts[64];
	size_t lens[64];
	unsigned n = 0;
	struct dentry *d = m->mountpoint;
	struct mount *mnt = m->parent;
	while (d && mnt && n < 64) {
		if (d == mnt->root) {
			if (!mnt->mountpoint)
				break;
			d = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		if (d->parent == d)
			break;
		parts[n] = d->name;
		lens[n++] = d->len;
		d = d->parent;
	}
	if (!n)
		sb_printf(s, "/");
	while (n--)
		sb_printf(s, "/%.*s", (int)lens[n], parts[n]);
}

size_t procfs_gen_mounts(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	for (struct mount *m = vfs_mount_list(); m; m = m->next) {
		sb_printf(&s, "%s ", m->source[0] ? m->source : "none");
		put_mount_path(&s, m);
		sb_printf(&s, " %s %s 0 0\n", m->sb && m->sb->type ? m->sb->type->name : "unknown",
			  (m->flags & MS_RDONLY) ? "ro" : "rw");
	}
	return sb_done(&s);
}

static void put_fs_type(const struct fs_type *t, void *ctx)
{
	sb_printf(ctx, "%s\t%s\n", (t->flags & FS_REQUIRES_DEV) ? "" : "nodev", t->name);
}

static size_t gen_filesystems(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	vfs_for_each_fs(put_fs_type, &s);
	return sb_done(&s);
}

static size_t gen_cmdline(char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s\n", boot_info.cmdline);
}

static size_t gen_version(char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "Ferrite version " FERRITE_VERSION " (gcc version " __VERSION__
				") #1 SMP " __DATE__ " " __TIME__ "\n");
}

static void irq_row(struct sbuf *s, const char *label, unsigned vector, const char *name)
{
	sb_printf(s, "%s ", label);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (cpus[i].online)
			sb_printf(s, "%10llu ", (unsigned long long)irq_vector_count(vector, i));
	sb_printf(s, " %s\n", name ? name : "");
}

static size_t gen_interrupts(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	sb_printf(&s, "%11s", "");
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (cpus[i].online)
			sb_printf(&s, "CPU%-8u", cpus[i].id);
	sb_printf(&s, "\n");
	/* Device vectors: PIC and IOAPIC rows by IRQ/GSI number, MSI rows by vector. */
	for (unsigned v = VEC_PIC_BASE; v <= VEC_MSI_LAST; v++) {
		const char *name = irq_vector_name(v);
		uint64_t sum = 0;
		for (unsigned i = 0; i < MAX_CPUS; i++)
			if (cpus[i].online)
				sum += irq_vector_count(v, i);
		if (!name && !sum)
			continue;
		unsigned num = v < VEC_GSI_BASE ? v - VEC_PIC_BASE : v <= VEC_GSI_LAST ? v - VEC_GSI_BASE : v;
		char label[8];
		snprintf(label, sizeof(label), "%3u:", num);
		const char *kind = v < VEC_GSI_BASE ? "XT-PIC" : v <= VEC_GSI_LAST ? "IO-APIC" : "PCI-MSI";
		char full[64];
		snprintf(full, sizeof(full), "%-8s %s", kind, name ? name : "");
		irq_row(&s, label, v, full);
	}
	irq_row(&s, "LOC:", VEC_LAPIC_TIMER, "Local timer interrupts");
	irq_row(&s, "RES:", SCHED_IPI_VECTOR, "Rescheduling interrupts");
	irq_row(&s, "CAL:", VEC_IPI_CALL, "Function call interrupts");
	irq_row(&s, "ERR:", VEC_LAPIC_ERROR, "APIC error interrupts");
	irq_row(&s, "SPU:", VEC_SPURIOUS, "Spurious interrupts");
	return sb_done(&s);
}

static size_t gen_kmsg(char *buf, size_t size)
{
	struct sbuf s = SB(buf, size);
	/* FIXME: read without the console's lock; a record being appended may be skipped. */
	const struct klog_ring *r = klog_ring();
	static struct klog_record rec; /* too big for the stack; generators run under vfs_lock */
	uint64_t seq = 0;
	while (klog_ring_read(r, &seq, &rec)) {
		uint64_t us = rec.ts_ns / 1000;
		sb_printf(&s, "<%u>[%5llu.%06llu] %s\n", rec.level, (unsigned long long)(us / 1000000),
			  (unsigned long long)(us % 1000000), rec.text);
	}
	return sb_done(&s);
}

static size_t gen_pci_devices(char *buf, size_t size)
{
	return pci_format_proc_devices(buf, size);
}

/* ---- the tree ---- */

struct proc_entry {
	const char *name;
	int parent; /* index of the directory; -1 for the root */
	size_t (*gen)(char *buf, size_t size); /* NULL: a directory */
};

enum { P_ROOT, P_BUS = 12, P_PCI = 13, P_NET = 17, P_SYSVIPC = 24 };

static const struct proc_entry proc_table[] = {
	[P_ROOT] = { "", -1, NULL },
	{ "meminfo", P_ROOT, gen_meminfo },
	{ "cpuinfo", P_ROOT, gen_cpuinfo },
	{ "uptime", P_ROOT, gen_uptime },
	{ "loadavg", P_ROOT, gen_loadavg },
	{ "stat", P_ROOT, gen_stat },
	{ "mounts", P_ROOT, procfs_gen_mounts },
	{ "filesystems", P_ROOT, gen_filesystems },
	{ "cmdline", P_ROOT, gen_cmdline },
	{ "version", P_ROOT, gen_version },
	{ "interrupts", P_ROOT, gen_interrupts },
	{ "kmsg", P_ROOT, gen_kmsg },
	[P_BUS] = { "bus", P_ROOT, NULL },
	[P_PCI] = { "pci", P_BUS, NULL },
	{ "devices", P_PCI, gen_pci_devices },
	{ "partitions", P_ROOT, blk_format_partitions },
	{ "diskstats", P_ROOT, blk_format_diskstats },
	[P_NET] = { "net", P_ROOT, NULL },
	{ "dev", P_NET, net_format_proc_dev },
	{ "route", P_NET, net_format_proc_route },
	{ "arp", P_NET, net_format_proc_arp },
	{ "udp", P_NET, net_format_proc_udp },
	{ "tcp", P_NET, net_format_proc_tcp },
	{ "packet", P_NET, net_format_proc_packet },
	[P_SYSVIPC] = { "sysvipc", P_ROOT, NULL },
	{ "shm", P_SYSVIPC, ipc_format_proc_shm },
	{ "msg", P_SYSVIPC, ipc_format_proc_msg },
	{ "sem", P_SYSVIPC, ipc_format_proc_sem },
};
#define NR_PROC (sizeof(proc_table) / sizeof(proc_table[0]))
_Static_assert(NR_PROC == P_SYSVIPC + 4, "P_BUS/P_PCI/P_NET/P_SYSVIPC must match the table");

static const struct inode_ops proc_dir_iops;
static const struct file_ops proc_dir_fops, proc_file_fops;

static int entry_index(struct inode *inode)
{
	return (int)(inode->ino - 1);
}

static struct inode *proc_make_inode(struct super_block *sb, int idx)
{
	struct inode *inode = inode_alloc(sb);
	if (!inode)
		return NULL;
	inode->ino = (uint64_t)idx + 1;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	if (proc_table[idx].gen) {
		inode->mode = S_IFREG | 0444;
		inode->nlink = 1;
		inode->fop = &proc_file_fops;
	} else {
		inode->mode = S_IFDIR | 0555;
		inode->nlink = 2;
		for (unsigned i = 0; i < NR_PROC; i++)
			if (proc_table[i].parent == idx && !proc_table[i].gen)
				inode->nlink++;
		inode->iop = &proc_dir_iops;
		inode->fop = &proc_dir_fops;
	}
	return inode;
}

static struct inode *proc_lookup(struct inode *dir, const char *name, size_t len)
{
	int d = entry_index(dir);
	for (unsigned i = 1; i < NR_PROC; i++) {
		if (proc_table[i].parent != d)
			continue;
		if (strlen(proc_table[i].name) == len && memcmp(proc_table[i].name, name, len) == 0) {
			struct inode *inode = proc_make_inode(dir->sb, (int)i);
			return inode ? inode : ERR_PTR(-ENOMEM);
		}
	}
	if (d == P_ROOT)
		return procfs_pid_lookup_root(dir->sb, name, len);
	return NULL;
}

static int proc_readdir(struct file *f, filldir_t fill, void *ctx)
{
	int d = entry_index(f->inode);
	uint64_t pos = f->pos;
	if (pos == 0) {
		if (fill(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
			return 0;
		pos = 1;
	}
	if (pos == 1) {
		int p = proc_table[d].parent < 0 ? d : proc_table[d].parent;
		if (fill(ctx, "..", 2, (uint64_t)p + 1, DT_DIR, 2))
			return 0;
		pos = 2;
	}
	/* Position 2 + i is table entry i (1-based table index). */
	for (unsigned i = (unsigned)(pos - 1); i < NR_PROC; i++) {
		if (proc_table[i].parent != d)
			continue;
		const char *n = proc_table[i].name;
		if (fill(ctx, n, strlen(n), i + 1, proc_table[i].gen ? DT_REG : DT_DIR, i + 2))
			return 0;
	}
	if (d == P_ROOT)
		return procfs_pid_readdir_root(f, fill, ctx, NR_PROC + 1);
	return 0;
}

static void buf_free(char *p, bool vm)
{
	if (vm)
		vfree(p);
	else
		kfree(p);
}

int procfs_generate(struct proc_buf *pb, int (*gen)(struct sbuf *s, void *ctx), void *ctx)
{
	size_t size = 4096;
	for (int tries = 0; tries < 8; tries++) {
		bool vm = size > 4 * 4096;
		char *data = vm ? vmalloc(size) : kmalloc(size);
		if (!data)
			return -ENOMEM;
		struct sbuf s = SB(data, size);
		int err = gen(&s, ctx);
		size_t len = sb_done(&s);
		if (err) {
			buf_free(data, vm);
			return err;
		}
		if (len < size) {
			pb->data = data;
			pb->len = len;
			pb->vmalloced = vm;
			return 0;
		}
		buf_free(data, vm);
		size = len + len / 4 + 4096; /* room for what appears meanwhile (log lines) */
	}
	return -EAGAIN;
}

void procfs_buf_free(struct proc_buf *pb)
{
	if (pb->data)
		buf_free(pb->data, pb->vmalloced);
	pb->data = NULL;
}

ssize_t procfs_buf_read(const struct proc_buf *pb, void *buf, size_t len, uint64_t *pos)
{
	if (*pos >= pb->len)
		return 0;
	if (len > pb->len - *pos)
		len = pb->len - *pos;
	memcpy(buf, pb->data + *pos, len);
	*pos += len;
	return (ssize_t)len;
}

/* The static table's generators write into a plain buffer. */
static int gen_table_entry(struct sbuf *s, void *ctx)
{
	size_t (*gen)(char *, size_t) = ctx;
	s->len = gen(s->buf, s->size);
	return 0;
}

static int proc_open(struct inode *inode, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	const struct proc_entry *e = &proc_table[entry_index(inode)];
	struct proc_buf *pb = kzalloc(sizeof(*pb));
	if (!pb)
		return -ENOMEM;
	int err = procfs_generate(pb, gen_table_entry, (void *)e->gen);
	if (err) {
		kfree(pb);
		return err;
	}
	f->private = pb;
	return 0;
}

static void proc_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct proc_buf *pb = f->private;
	if (!pb)
		return;
	procfs_buf_free(pb);
	kfree(pb);
	f->private = NULL;
}

static ssize_t proc_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	return procfs_buf_read(f->private, buf, len, pos);
}

static int64_t proc_llseek(struct file *f, int64_t off, int whence)
{
	const struct proc_buf *pb = f->private; /* generated at open; its length never changes */
	return vfs_llseek_end(f, off, whence, pb->len);
}

static int proc_setattr(struct inode *inode, const struct iattr *attr)
{
	(void)inode;
	(void)attr;
	return -EPERM;
}

static const struct inode_ops proc_dir_iops = { .lookup = proc_lookup, .setattr = proc_setattr };
static const struct file_ops proc_dir_fops = { .readdir = proc_readdir };
static const struct file_ops proc_file_fops = {
	.open = proc_open,
	.release = proc_release,
	.read = proc_read,
	.llseek = proc_llseek,
};

static void proc_evict(struct inode *inode)
{
	if (inode->ino >= PROC_PID_INO_BASE)
		procfs_pid_evict(inode);
	kfree(inode);
}

static const struct super_ops proc_sops = { .evict_inode = proc_evict };

static int proc_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	(void)dev;
	(void)data;
	struct super_block *sb = kzalloc(sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->type = type;
	sb->sop = &proc_sops;
	sb->dev = vfs_alloc_anon_dev();
	sb->magic = PROC_SUPER_MAGIC;
	sb->block_size = 4096;
	struct inode *root = proc_make_inode(sb, P_ROOT);
	if (!root) {
		kfree(sb);
		return -ENOMEM;
	}
	sb->root = d_make_root(root);
	if (!sb->root) {
		kfree(sb);
		return -ENOMEM;
	}
	*out = sb;
	return 0;
}

static void proc_kill_sb(struct super_block *sb)
{
	kfree(sb);
}

static struct fs_type proc_fs_type = { .name = "proc", .mount = proc_mount, .kill_sb = proc_kill_sb };

int procfs_init(void)
{
	static int state; /* 0: not yet, 1: running/done */
	if (__atomic_exchange_n(&state, 1, __ATOMIC_ACQ_REL))
		return 0;
	int err = vfs_register_fs(&proc_fs_type);
	if (err && err != -EBUSY)
		goto fail;
	err = vfs_mkdir(NULL, "/proc", 0555);
	if (err && err != -EEXIST)
		goto fail;
	err = vfs_mount("proc", "/proc", "proc", 0, NULL);
	if (err)
		goto fail;
	pr_info("procfs: mounted at /proc\n");
	return 0;
fail:
	pr_err("procfs: cannot mount /proc: error %d\n", err);
	__atomic_store_n(&state, 0, __ATOMIC_RELEASE);
	return err;
}
