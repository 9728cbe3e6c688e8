// unit-deps: kernel/acpi/madt.c kernel/acpi/fadt.c kernel/acpi/mcfg.c kernel/acpi/hpet.c kernel/acpi/checksum.c kernel/lib/string.c
/*
 * ACPI table parsers on QEMU's real tables (captured by tools/acpi-capture.sh into
 * tests/unit/data/acpi/<machine>-smp<N>/<SIG>.bin), then on corrupted and hand-made ones.
 * Every table handed to a parser sits at the very end of its own malloc'd block, so a read
 * past the length the parser was given is caught by ASan. Offsets here are written out from
 * the specification, independently of the kernel's structures.
 */
#include "unit.h"

#include <stdlib.h>

#include "host_prefix.h"

#include "acpi/acpi.h"
#include "lib/errno.h"
#include "lib/string.h"

/* tables.c (not linked here) defines it in the kernel; acpi_isa_irq_to_gsi reads it. */
struct acpi_info acpi;

#define DATA "tests/unit/data/acpi/"

static const char *const bios_configs[] = {
	"pc-smp1", "pc-smp2", "pc-smp4", "pc-smp8", "q35-smp1", "q35-smp2", "q35-smp4", "q35-smp8",
};
static const char *const all_configs[] = {
	"pc-smp1", "pc-smp2", "pc-smp4", "pc-smp8", "q35-smp1", "q35-smp2", "q35-smp4", "q35-smp8",
	"q35-ovmf-smp4",
};

/* ---- blobs at the end of their allocation; all released when the suite ends ---- */

#define MAX_TRACKED 256
static void *tracked[MAX_TRACKED];

static void track(void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (!tracked[i]) {
			tracked[i] = p;
			return;
		}
	abort(); /* a test leaks blobs: free them in the loop */
}

/* Gives back a blob early (loops that make many). */
static void blob_free(void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == p)
			tracked[i] = NULL;
	free(p);
}

__attribute__((destructor)) static void blobs_release(void)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		free(tracked[i]);
}

/* A copy of src[0, len) in a block of exactly len bytes. */
static uint8_t *at_end(const void *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		abort();
	if (len)
		memcpy(p, src, len);
	track(p);
	return p;
}

/* Loads a captured table; NULL (and *len 0) when the file does not exist. */
static uint8_t *load(const char *config, const char *sig, size_t *len)
{
	char path[256] = DATA; /* host_prefix.h takes snprintf for the kernel's */
	if (strlen(path) + strlen(config) + strlen(sig) + 6 > sizeof(path))
		abort();
	strcat(path, config);
	strcat(path, "/");
	strcat(path, sig);
	strcat(path, ".bin");
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	*len = n;
	return at_end(buf, n);
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

/* Makes the checksum byte (offset 9) right again after an edit. */
static void fix_checksum(uint8_t *t, size_t len)
{
	uint8_t sum = 0;
	t[9] = 0;
	for (size_t i = 0; i < len; i++)
		sum += t[i];
	t[9] = (uint8_t)-sum;
}

/* The first n bytes of a table as a table of its own (length field and checksum fixed). */
static uint8_t *cut_table(const uint8_t *t, size_t n)
{
	uint8_t *c = at_end(t, n);
	if (n >= 8)
		put32(c + 4, (uint32_t)n);
	if (n >= 10)
		fix_checksum(c, n);
	return c;
}

/* ---- hand-made tables ---- */

struct tb {
	uint8_t b[8192];
	size_t n;
};

static void tb_bytes(struct tb *t, const void *p, size_t n)
{
	if (t->n + n > sizeof(t->b))
		abort();
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_u8(struct tb *t, uint8_t v) { tb_bytes(t, &v, 1); }
static void tb_u16(struct tb *t, uint16_t v) { uint8_t b[2]; put16(b, v); tb_bytes(t, b, 2); }
static void tb_u32(struct tb *t, uint32_t v) { uint8_t b[4]; put32(b, v); tb_bytes(t, b, 4); }
static void tb_u64(struct tb *t, uint64_t v) { uint8_t b[8]; put64(b, v); tb_bytes(t, b, 8); }

/* A header with signature sig and `extra` zero bytes after it. */
static void tb_start(struct tb *t, const char *sig, size_t extra)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = 1;
	memcpy(t->b + 10, "FERRIT", 6);
	t->n = 36 + extra;
}

static uint8_t *tb_done(struct tb *t, size_t *len)
{
	put32(t->b + 4, (uint32_t)t->n);
	fix_checksum(t->b, t->n);
	*len = t->n;
	return at_end(t->b, t->n);
}

/* An MADT header: LAPIC address 0xfee00000, PC-AT flag. */
static void madt_start(struct tb *t)
{
	tb_start(t, "APIC", 8);
	put32(t->b + 36, 0xfee00000);
	put32(t->b + 40, 1);
}

static void e_lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	tb_u8(t, 0); tb_u8(t, 8); tb_u8(t, uid); tb_u8(t, id); tb_u32(t, flags);
}

static void e_ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	tb_u8(t, 1); tb_u8(t, 12); tb_u8(t, id); tb_u8(t, 0); tb_u32(t, addr); tb_u32(t, gsi);
}

static void e_override(struct tb *t, uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
	tb_u8(t, 2); tb_u8(t, 10); tb_u8(t, bus); tb_u8(t, src); tb_u32(t, gsi); tb_u16(t, flags);
}

static void e_nmi_source(struct tb *t, uint16_t flags, uint32_t gsi)
{
	tb_u8(t, 3); tb_u8(t, 8); tb_u16(t, flags); tb_u32(t, gsi);
}

static void e_lapic_nmi(struct tb *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	tb_u8(t, 4); tb_u8(t, 6); tb_u8(t, uid); tb_u16(t, flags); tb_u8(t, lint);
}

static void e_lapic_addr(struct tb *t, uint64_t addr)
{
	tb_u8(t, 5); tb_u8(t, 12); tb_u16(t, 0); tb_u64(t, addr);
}

static void e_x2apic(struct tb *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	tb_u8(t, 9); tb_u8(t, 16); tb_u16(t, 0); tb_u32(t, id); tb_u32(t, flags); tb_u32(t, uid);
}

static void e_x2apic_nmi(struct tb *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
	tb_u8(t, 10); tb_u8(t, 12); tb_u16(t, flags); tb_u32(t, uid); tb_u8(t, lint);
	tb_u8(t, 0); tb_u8(t, 0); tb_u8(t, 0);
}

static struct acpi_madt madt; /* 8 KiB: not on the stack */

/* ---- the captured tables ---- */

TEST(captures_present_and_checksummed)
{
	static const char *const sigs[] = { "RSDT", "XSDT", "FACP", "APIC", "HPET", "MCFG", "WAET" };
	for (size_t c = 0; c < sizeof(all_configs) / sizeof(all_configs[0]); c++) {
		size_t found = 0;
		for (size_t s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++) {
			size_t len;
			uint8_t *t = load(all_configs[c], sigs[s], &len);
			if (!t)
				continue;
			found++;
			CHECK(len >= 36);
			CHECK(memcmp(t, sigs[s], 4) == 0);
			CHECK_INT(get32(t + 4), len);
			CHECK(acpi_checksum_ok(t, len));
		}
		CHECK(found >= 5); /* root, FACP, APIC, HPET, WAET at least */
	}
}

TEST(checksum_catches_any_changed_byte)
{
	size_t len;
	uint8_t *t = load("q35-smp8", "APIC", &len);
	CHECK(t);
	for (size_t i = 0; i < len; i++) {
		t[i] ^= 0x10;
		CHECK(!acpi_checksum_ok(t, len));
		t[i] ^= 0x10;
	}
	CHECK(acpi_checksum_ok(t, len));
	CHECK(!acpi_checksum_ok(t, len - 1) || t[len - 1] == 0);
	CHECK(acpi_checksum_ok(t, 0)); /* nothing sums to zero */
	CHECK(!acpi_checksum_ok(NULL, 4));
}

TEST(madt_cpus_match_smp)
{
	static const struct { const char *config; size_t cpus; } want[] = {
		{ "pc-smp1", 1 },  { "pc-smp2", 2 },  { "pc-smp4", 4 },  { "pc-smp8", 8 },
		{ "q35-smp1", 1 }, { "q35-smp2", 2 }, { "q35-smp4", 4 }, { "q35-smp8", 8 },
		{ "q35-ovmf-smp4", 4 },
	};
	for (size_t c = 0; c < sizeof(want) / sizeof(want[0]); c++) {
		size_t len;
		uint8_t *t = load(want[c].config, "APIC", &len);
		CHECK(t);
		CHECK_INT(acpi_parse_madt(t, len, &madt), 0);
		CHECK_INT(madt.cpu_count, want[c].cpus);
		for (size_t i = 0; i < madt.cpu_count; i++) {
			CHECK_INT(madt.cpus[i].apic_id, i);
			CHECK_INT(madt.cpus[i].acpi_uid, i);
			CHECK(madt.cpus[i].enabled);
			CHECK(!madt.cpus[i].online_capable);
			CHECK(!madt.cpus[i].x2apic);
		}
		CHECK_INT(madt.skipped, 0);
	}
}

TEST(madt_interrupt_wiring)
{
	for (size_t c = 0; c < sizeof(all_configs) / sizeof(all_configs[0]); c++) {
		size_t len;
		uint8_t *t = load(all_configs[c], "APIC", &len);
		CHECK(t);
		CHECK_INT(acpi_parse_madt(t, len, &madt), 0);
		CHECK_INT(madt.lapic_addr, 0xfee00000);
		CHECK_INT(madt.flags, 1); /* PC-AT 8259s */
		CHECK_INT(madt.ioapic_count, 1);
		CHECK_INT(madt.ioapics[0].id, 0);
		CHECK_INT(madt.ioapics[0].addr, 0xfec00000);
		CHECK_INT(madt.ioapics[0].gsi_base, 0);

		/* QEMU: IRQ0 -> GSI2 (the PIT on the IOAPIC's pin 2), then the PCI IRQs 5, 9, 10, 11
		 * identity-mapped but level-triggered, active high. */
		CHECK_INT(madt.override_count, 5);
		CHECK_INT(madt.overrides[0].bus, 0);
		CHECK_INT(madt.overrides[0].source, 0);
		CHECK_INT(madt.overrides[0].gsi, 2);
		CHECK_INT(madt.overrides[0].flags, 0);
		static const uint8_t level_irqs[] = { 5, 9, 10, 11 };
		for (int i = 0; i < 4; i++) {
			const struct acpi_override *o = &madt.overrides[1 + i];
			CHECK_INT(o->bus, 0);
			CHECK_INT(o->source, level_irqs[i]);
			CHECK_INT(o->gsi, level_irqs[i]);
			CHECK_INT(o->flags & ACPI_TRIGGER_MASK, ACPI_TRIGGER_LEVEL);
			CHECK_INT(o->flags & ACPI_POLARITY_MASK, 1); /* active high */
		}

		CHECK_INT(madt.lapic_nmi_count, 1);
		CHECK_INT(madt.lapic_nmis[0].acpi_uid, 0xff); /* all processors */
		CHECK_INT(madt.lapic_nmis[0].lint, 1);
		CHECK_INT(madt.lapic_nmis[0].flags, 0);
		CHECK_INT(madt.nmi_source_count, 0);
		CHECK_INT(madt.skipped, 0);
	}
}

TEST(isa_irq_to_gsi)
{
	memset(&acpi, 0, sizeof(acpi));
	uint16_t flags = 0xffff;
	CHECK_INT(acpi_isa_irq_to_gsi(0, &flags), 0); /* no MADT: identity */
	CHECK_INT(flags, 0);

	size_t len;
	uint8_t *t = load("q35-smp4", "APIC", &len);
	CHECK(t);
	CHECK_INT(acpi_parse_madt(t, len, &acpi.madt), 0);
	acpi.has_madt = true;
	flags = 0xffff;
	CHECK_INT(acpi_isa_irq_to_gsi(0, &flags), 2);
	CHECK_INT(flags, 0);
	CHECK_INT(acpi_isa_irq_to_gsi(9, &flags), 9);
	CHECK_INT(flags, ACPI_TRIGGER_LEVEL | 1);
	flags = 0xffff;
	CHECK_INT(acpi_isa_irq_to_gsi(1, &flags), 1);
	CHECK_INT(flags, 0);
	CHECK_INT(acpi_isa_irq_to_gsi(2, NULL), 2);
	CHECK_INT(acpi_isa_irq_to_gsi(15, NULL), 15);

	/* Only bus 0 (ISA) overrides count. */
	acpi.madt.overrides[0].bus = 1;
	CHECK_INT(acpi_isa_irq_to_gsi(0, &flags), 0);
	memset(&acpi, 0, sizeof(acpi));
}

TEST(fadt_pc_acpi1)
{
	for (int smp = 0; smp < 4; smp++) {
		size_t len;
		struct acpi_fadt f;
		uint8_t *t = load(bios_configs[smp], "FACP", &len);
		CHECK(t);
		CHECK_INT(len, 116); /* QEMU's pc machine: an ACPI 1.0 FADT */
		CHECK_INT(acpi_parse_fadt(t, len, &f), 0);
		CHECK_INT(f.sci_irq, 9);
		CHECK_INT(f.smi_cmd, 0xb2);
		CHECK_INT(f.acpi_enable, 0xf1);
		CHECK_INT(f.acpi_disable, 0xf0);
		CHECK_INT(f.pm1a_evt, 0x600);
		CHECK_INT(f.pm1a_cnt, 0x604);
		CHECK_INT(f.pm1b_evt, 0);
		CHECK_INT(f.pm1_evt_len, 4);
		CHECK_INT(f.pm1_cnt_len, 2);
		CHECK_INT(f.pm_timer.space_id, 1);
		CHECK_INT(f.pm_timer.address, 0x608);
		CHECK_INT(f.pm_timer.bit_width, 32);
		CHECK(!f.pm_timer_32bit);
		CHECK(!f.reset_supported);
		CHECK_INT(f.century, 0x32);
		CHECK_INT(f.iapc_boot_arch, 0);
		CHECK_INT(f.flags, 0x80a5);
		CHECK(!f.hw_reduced);
		CHECK_INT(f.dsdt, 0xffe0040);
		CHECK_INT(f.facs, 0xffe0000);
	}
}

TEST(fadt_q35_acpi2)
{
	for (int c = 4; c < 9; c++) {
		size_t len;
		struct acpi_fadt f;
		uint8_t *t = load(all_configs[c], "FACP", &len);
		CHECK(t);
		CHECK_INT(len, 244);
		CHECK_INT(acpi_parse_fadt(t, len, &f), 0);
		CHECK_INT(f.sci_irq, 9);
		CHECK_INT(f.acpi_enable, 2);
		CHECK_INT(f.acpi_disable, 3);
		CHECK_INT(f.pm1a_evt, 0x600);
		CHECK_INT(f.pm1a_cnt, 0x604);
		CHECK_INT(f.pm_timer.space_id, 1);
		CHECK_INT(f.pm_timer.address, 0x608);
		CHECK_INT(f.pm_timer.bit_width, 32);
		CHECK(!f.pm_timer_32bit);
		CHECK(f.reset_supported);
		CHECK_INT(f.reset_reg.space_id, 1);
		CHECK_INT(f.reset_reg.bit_width, 8);
		CHECK_INT(f.reset_reg.address, 0xcf9);
		CHECK_INT(f.reset_value, 0xf);
		CHECK_INT(f.century, 0x32);
		CHECK_INT(f.iapc_boot_arch, 2); /* 8042 present */
		CHECK(!f.hw_reduced);
		if (c == 8) { /* OVMF places the tables in its own memory */
			CHECK_INT(f.dsdt, 0xf77a000);
			CHECK_INT(f.facs, 0xf7dd000);
		} else {
			CHECK_INT(f.dsdt, 0xffe0040);
			CHECK_INT(f.facs, 0xffe0000);
		}
	}
}

TEST(fadt_short_revisions)
{
	size_t len;
	struct acpi_fadt f;
	uint8_t *full = load("q35-smp4", "FACP", &len);
	CHECK(full);
	/* Legacy PM timer port changed, so it shows which of the two was used. */
	put32(full + 76, 0x700);
	fix_checksum(full, len);
	CHECK_INT(acpi_parse_fadt(full, len, &f), 0);
	CHECK_INT(f.pm_timer.address, 0x608); /* X_PM_TMR_BLK wins */

	/* Cut to ACPI 1.0 size and revision: everything after Flags is absent. */
	uint8_t *v1 = cut_table(full, 116);
	v1[8] = 1;
	fix_checksum(v1, 116);
	CHECK_INT(acpi_parse_fadt(v1, 116, &f), 0);
	CHECK(!f.reset_supported);
	CHECK_INT(f.reset_reg.address, 0);
	CHECK_INT(f.pm_timer.address, 0x700);
	CHECK_INT(f.pm_timer.space_id, 1);
	CHECK_INT(f.iapc_boot_arch, 0);
	CHECK_INT(f.dsdt, 0xffe0040);
	CHECK_INT(f.sci_irq, 9);
	CHECK_INT(f.century, 0x32);

	/* RESET_VALUE (offset 128) is the last byte of the reset fields. */
	uint8_t *r = cut_table(full, 129);
	CHECK_INT(acpi_parse_fadt(r, 129, &f), 0);
	CHECK(f.reset_supported);
	CHECK_INT(f.reset_value, 0xf);
	CHECK_INT(f.iapc_boot_arch, 2);
	r = cut_table(full, 128);
	CHECK_INT(acpi_parse_fadt(r, 128, &f), 0);
	CHECK(!f.reset_supported);

	/* X_PM_TMR_BLK (208..219) cut in half: the 32-bit port is used. */
	r = cut_table(full, 214);
	CHECK_INT(acpi_parse_fadt(r, 214, &f), 0);
	CHECK_INT(f.pm_timer.address, 0x700);
	r = cut_table(full, 220);
	CHECK_INT(acpi_parse_fadt(r, 220, &f), 0);
	CHECK_INT(f.pm_timer.address, 0x608);

	/* Shorter than ACPI 1.0: not an FADT that can be trusted. */
	for (size_t n = 0; n < 116; n++) {
		uint8_t *s = cut_table(full, n);
		CHECK_INT(acpi_parse_fadt(s, n, &f), -EINVAL);
		blob_free(s);
	}
}

TEST(fadt_field_choices)
{
	size_t len;
	struct acpi_fadt f;
	uint8_t *t = load("q35-smp2", "FACP", &len);
	CHECK(t);

	put64(t + 140, 0x123456789000ull); /* X_DSDT preferred over DSDT */
	put64(t + 132, 0xabc000);          /* X_FIRMWARE_CTRL over FIRMWARE_CTRL */
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_fadt(t, len, &f), 0);
	CHECK_INT(f.dsdt, 0x123456789000ull);
	CHECK_INT(f.facs, 0xabc000);

	/* No X_PM_TMR_BLK and a PM_TMR_LEN other than 4: no PM timer. */
	memset(t + 208, 0, 12);
	t[91] = 3;
	/* Flags: TMR_VAL_EXT, HW_REDUCED_ACPI, and RESET_REG_SUP cleared. */
	put32(t + 112, (get32(t + 112) | (1u << 8) | (1u << 20)) & ~(1u << 10));
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_fadt(t, len, &f), 0);
	CHECK_INT(f.pm_timer.address, 0);
	CHECK(f.pm_timer_32bit);
	CHECK(f.hw_reduced);
	CHECK(!f.reset_supported);

	/* A 64-bit PM1a block takes precedence over the port. */
	put64(t + 148 + 4, 0x1600);
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_fadt(t, len, &f), 0);
	CHECK_INT(f.pm1a_evt, 0x1600);
}

TEST(fadt_rejects)
{
	size_t len, mlen;
	struct acpi_fadt f;
	uint8_t *t = load("q35-smp1", "FACP", &len);
	uint8_t *m = load("q35-smp1", "APIC", &mlen);
	CHECK(t && m);
	CHECK_INT(acpi_parse_fadt(m, mlen, &f), -EINVAL); /* not an FADT */
	CHECK_INT(acpi_parse_fadt(NULL, 0, &f), -EINVAL);
	/* The length field claims more than the buffer holds. */
	for (size_t n = 0; n < len; n += 7) {
		uint8_t *s = at_end(t, n);
		CHECK_INT(acpi_parse_fadt(s, n, &f), -EINVAL);
		blob_free(s);
	}
}

TEST(mcfg_q35)
{
	for (int c = 4; c < 9; c++) {
		size_t len;
		struct acpi_mcfg m;
		uint8_t *t = load(all_configs[c], "MCFG", &len);
		CHECK(t);
		CHECK_INT(len, 60);
		CHECK_INT(acpi_parse_mcfg(t, len, &m), 0);
		CHECK_INT(m.count, 1);
		CHECK_INT(m.segments[0].base, 0xb0000000);
		CHECK_INT(m.segments[0].segment, 0);
		CHECK_INT(m.segments[0].bus_start, 0);
		CHECK_INT(m.segments[0].bus_end, 255);
	}
}

TEST(mcfg_absent_on_pc)
{
	for (int c = 0; c < 4; c++) {
		size_t len;
		CHECK(load(bios_configs[c], "APIC", &len)); /* the capture is there... */
		CHECK(!load(bios_configs[c], "MCFG", &len)); /* ...without an MCFG: PCI, not PCIe */
	}
}

TEST(mcfg_variants)
{
	struct tb t;
	struct acpi_mcfg m;
	size_t len;

	tb_start(&t, "MCFG", 8);
	uint8_t *p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_mcfg(p, len, &m), 0);
	CHECK_INT(m.count, 0);

	/* Two good allocations, one with bus_start > bus_end, one with a zero base, then a
	 * partial allocation that must not be read. */
	tb_start(&t, "MCFG", 8);
	tb_u64(&t, 0xe0000000); tb_u16(&t, 0); tb_u8(&t, 0); tb_u8(&t, 63); tb_u32(&t, 0);
	tb_u64(&t, 0xd0000000); tb_u16(&t, 1); tb_u8(&t, 9); tb_u8(&t, 8); tb_u32(&t, 0);
	tb_u64(&t, 0); tb_u16(&t, 2); tb_u8(&t, 0); tb_u8(&t, 8); tb_u32(&t, 0);
	tb_u64(&t, 0x4000000000ull); tb_u16(&t, 3); tb_u8(&t, 16); tb_u8(&t, 31); tb_u32(&t, 0);
	tb_u64(&t, 0xc0000000);
	p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_mcfg(p, len, &m), 0);
	CHECK_INT(m.count, 2);
	CHECK_INT(m.segments[0].base, 0xe0000000);
	CHECK_INT(m.segments[0].bus_end, 63);
	CHECK_INT(m.segments[1].base, 0x4000000000ull);
	CHECK_INT(m.segments[1].segment, 3);
	CHECK_INT(m.segments[1].bus_start, 16);
	CHECK_INT(m.segments[1].bus_end, 31);

	/* More allocations than the array holds: the first ones are kept. */
	tb_start(&t, "MCFG", 8);
	for (int i = 0; i < ACPI_MAX_MCFG + 4; i++) {
		tb_u64(&t, 0x100000000ull * (i + 1)); tb_u16(&t, i); tb_u8(&t, 0); tb_u8(&t, 255); tb_u32(&t, 0);
	}
	p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_mcfg(p, len, &m), 0);
	CHECK_INT(m.count, ACPI_MAX_MCFG);
	CHECK_INT(m.segments[ACPI_MAX_MCFG - 1].segment, ACPI_MAX_MCFG - 1);

	/* Shorter than the 44-byte header, wrong signature, length past the buffer. */
	tb_start(&t, "MCFG", 4);
	p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_mcfg(p, len, &m), -EINVAL);
	uint8_t *q = load("q35-smp1", "MCFG", &len);
	CHECK(q);
	CHECK_INT(acpi_parse_mcfg(q, len - 1, &m), -EINVAL);
	q[0] = 'X';
	CHECK_INT(acpi_parse_mcfg(q, len, &m), -EINVAL);
}

TEST(hpet_captured)
{
	for (size_t c = 0; c < sizeof(all_configs) / sizeof(all_configs[0]); c++) {
		size_t len;
		struct acpi_hpet h;
		uint8_t *t = load(all_configs[c], "HPET", &len);
		CHECK(t);
		CHECK_INT(len, 56);
		CHECK_INT(acpi_parse_hpet(t, len, &h), 0);
		CHECK_INT(h.base, 0xfed00000);
		CHECK_INT(h.number, 0);
		CHECK_INT(h.min_tick, 0); /* QEMU leaves the minimum periodic tick at 0 */
		CHECK_INT(h.event_timer_block_id, 0x8086a201);
	}
}

TEST(hpet_rejects)
{
	size_t len;
	struct acpi_hpet h;
	uint8_t *t = load("pc-smp1", "HPET", &len);
	CHECK(t);

	put16(t + 53, 0x80); /* min tick at 53, unaligned */
	t[52] = 2;           /* HPET number */
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_hpet(t, len, &h), 0);
	CHECK_INT(h.min_tick, 0x80);
	CHECK_INT(h.number, 2);

	for (size_t n = 0; n < len; n++) {
		uint8_t *s = cut_table(t, n);
		CHECK_INT(acpi_parse_hpet(s, n, &h), -EINVAL);
		blob_free(s);
	}
	t[40] = 1; /* the block in I/O space: unusable */
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_hpet(t, len, &h), -EINVAL);
	t[40] = 0;
	put64(t + 44, 0);
	fix_checksum(t, len);
	CHECK_INT(acpi_parse_hpet(t, len, &h), -EINVAL);
	CHECK_INT(acpi_parse_hpet(t, len - 1, &h), -EINVAL);
}

/* ---- corrupted and hand-made MADTs ---- */

TEST(madt_buffer_shorter_than_length_field)
{
	size_t len;
	uint8_t *t = load("q35-smp8", "APIC", &len);
	CHECK(t);
	for (size_t n = 0; n < len; n++) {
		uint8_t *s = at_end(t, n);
		CHECK_INT(acpi_parse_madt(s, n, &madt), -EINVAL);
		blob_free(s);
	}
	/* A length field below the fixed part is no better. */
	uint8_t *s = at_end(t, len);
	put32(s + 4, 40);
	CHECK_INT(acpi_parse_madt(s, len, &madt), -EINVAL);
	put32(s + 4, (uint32_t)len);
	memcpy(s, "APIX", 4);
	CHECK_INT(acpi_parse_madt(s, len, &madt), -EINVAL);
}

TEST(madt_truncated_tables)
{
	size_t len;
	uint8_t *t = load("pc-smp8", "APIC", &len);
	CHECK(t);
	/* Where each entry starts in the real table: 8 LAPICs, IOAPIC, 5 overrides, LAPIC NMI. */
	size_t starts[32], nstarts = 0;
	for (size_t off = 44; off < len; off += t[off + 1])
		starts[nstarts++] = off;
	CHECK_INT(nstarts, 15);

	for (size_t n = 0; n <= len; n++) {
		uint8_t *s = cut_table(t, n);
		int err = acpi_parse_madt(s, n, &madt);
		if (n < 44) {
			CHECK_INT(err, -EINVAL);
		} else {
			CHECK_INT(err, 0);
			size_t whole = 0;
			bool boundary = false;
			for (size_t i = 0; i < nstarts; i++) {
				size_t end = i + 1 < nstarts ? starts[i + 1] : len;
				if (end <= n)
					whole++;
				boundary |= end == n;
			}
			boundary |= n == 44;
			CHECK_INT(madt.cpu_count, whole < 8 ? whole : 8);
			CHECK_INT(madt.ioapic_count, whole > 8);
			CHECK_INT(madt.skipped, boundary ? 0 : 1); /* the cut entry */
		}
		blob_free(s);
	}
}

TEST(madt_zero_and_tiny_entry_lengths)
{
	for (uint8_t bad_len = 0; bad_len < 2; bad_len++) {
		struct tb t;
		size_t len;
		madt_start(&t);
		e_lapic(&t, 0, 0, 1);
		tb_u8(&t, 1);
		tb_u8(&t, bad_len); /* would loop forever or underflow if trusted */
		e_lapic(&t, 1, 1, 1);
		uint8_t *p = tb_done(&t, &len);
		CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
		CHECK_INT(madt.cpu_count, 1);
		CHECK_INT(madt.ioapic_count, 0);
		CHECK_INT(madt.skipped, 1);
	}
}

TEST(madt_entry_running_past_the_end)
{
	struct tb t;
	size_t len;
	madt_start(&t);
	e_lapic(&t, 0, 0, 1);
	e_ioapic(&t, 0, 0xfec00000, 0);
	tb_u8(&t, 2);
	tb_u8(&t, 200); /* an override claiming 200 bytes, 8 left */
	tb_u32(&t, 0);
	tb_u16(&t, 0);
	uint8_t *p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 1);
	CHECK_INT(madt.ioapic_count, 1);
	CHECK_INT(madt.override_count, 0);
	CHECK_INT(madt.skipped, 1);

	/* A lone trailing byte: no room for a length. */
	madt_start(&t);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0);
	p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 1);
	CHECK_INT(madt.skipped, 1);

	/* The real table, with its last entry's length pushed past the end. */
	uint8_t *r = load("q35-smp2", "APIC", &len);
	CHECK(r);
	CHECK_INT(r[len - 6], 4); /* the LAPIC NMI entry closes QEMU's MADT */
	r[len - 5] = 7;
	fix_checksum(r, len);
	CHECK_INT(acpi_parse_madt(r, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 2);
	CHECK_INT(madt.override_count, 5);
	CHECK_INT(madt.lapic_nmi_count, 0);
	CHECK_INT(madt.skipped, 1);
}

TEST(madt_unknown_and_short_entries)
{
	struct tb t;
	size_t len;
	madt_start(&t);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0x7f); tb_u8(&t, 6); tb_u32(&t, 0xdeadbeef); /* unknown type */
	tb_u8(&t, 0x10); tb_u8(&t, 2);                         /* unknown, empty */
	tb_u8(&t, 1); tb_u8(&t, 8); tb_u8(&t, 3); tb_u8(&t, 0); tb_u32(&t, 0xfec00000); /* IOAPIC cut to 8 */
	tb_u8(&t, 9); tb_u8(&t, 12); tb_u16(&t, 0); tb_u32(&t, 7); tb_u32(&t, 1);        /* x2APIC cut to 12 */
	e_override(&t, 0, 0, 2, 0);
	/* A longer LAPIC entry than ACPI 6.5 defines: later revisions may append fields. */
	tb_u8(&t, 0); tb_u8(&t, 12); tb_u8(&t, 1); tb_u8(&t, 1); tb_u32(&t, 1); tb_u32(&t, 0);
	uint8_t *p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 2);
	CHECK_INT(madt.cpus[1].apic_id, 1);
	CHECK_INT(madt.ioapic_count, 0);
	CHECK_INT(madt.override_count, 1);
	CHECK_INT(madt.skipped, 4);

	/* The real table with one override's type changed to an unknown one. */
	uint8_t *r = load("pc-smp1", "APIC", &len);
	CHECK(r);
	CHECK_INT(r[64], 2); /* LAPIC at 44, IOAPIC at 52, the first override at 64 */
	r[64] = 0x42;
	fix_checksum(r, len);
	CHECK_INT(acpi_parse_madt(r, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 1);
	CHECK_INT(madt.ioapic_count, 1);
	CHECK_INT(madt.override_count, 4);
	CHECK_INT(madt.overrides[0].source, 5);
	CHECK_INT(madt.lapic_nmi_count, 1);
	CHECK_INT(madt.skipped, 1);
}

TEST(madt_array_overflows_keep_the_first)
{
	struct tb t;
	size_t len;
	madt_start(&t);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 44; i++)
		e_x2apic(&t, i, 1, i);
	for (uint8_t i = 0; i < ACPI_MAX_IOAPICS + 4; i++)
		e_ioapic(&t, i, 0xfec00000 + i * 0x1000u, i * 24u);
	for (uint8_t i = 0; i < ACPI_MAX_OVERRIDES + 8; i++)
		e_override(&t, 0, i, i + 100u, 0xd);
	for (uint8_t i = 0; i < ACPI_MAX_NMIS + 2; i++)
		e_lapic_nmi(&t, i, 0, 1);
	for (uint8_t i = 0; i < ACPI_MAX_NMIS + 3; i++)
		e_nmi_source(&t, 0, i);
	uint8_t *p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
	CHECK_INT(madt.cpu_count, ACPI_MAX_CPUS);
	CHECK_INT(madt.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	CHECK(madt.cpus[0].x2apic);
	CHECK_INT(madt.ioapic_count, ACPI_MAX_IOAPICS);
	CHECK_INT(madt.ioapics[ACPI_MAX_IOAPICS - 1].gsi_base, (ACPI_MAX_IOAPICS - 1) * 24);
	CHECK_INT(madt.override_count, ACPI_MAX_OVERRIDES);
	CHECK_INT(madt.overrides[ACPI_MAX_OVERRIDES - 1].gsi, ACPI_MAX_OVERRIDES - 1 + 100);
	CHECK_INT(madt.lapic_nmi_count, ACPI_MAX_NMIS);
	CHECK_INT(madt.nmi_source_count, ACPI_MAX_NMIS);
	CHECK_INT(madt.skipped, 44 + 4 + 8 + 2 + 3);
}

TEST(madt_x2apic_flags_and_overrides)
{
	struct tb t;
	size_t len;
	madt_start(&t);
	e_lapic(&t, 0, 0, 1);
	e_x2apic(&t, 0, 1, 0);         /* the same processor again: kept once */
	e_x2apic(&t, 300, 1, 300);     /* beyond the 8-bit xAPIC IDs */
	e_lapic(&t, 1, 1, 0);          /* neither enabled nor online-capable: ignored */
	e_lapic(&t, 2, 2, 2);          /* online-capable: may be hot-added */
	e_lapic(&t, 3, 0xff, 1);       /* the broadcast ID is no processor */
	e_lapic_addr(&t, 0x1fee00000ull);
	e_nmi_source(&t, 0xd, 7);
	e_x2apic_nmi(&t, 5, 0xffffffff, 1);
	e_lapic_nmi(&t, 2, 0, 0);
	uint8_t *p = tb_done(&t, &len);
	CHECK_INT(acpi_parse_madt(p, len, &madt), 0);
	CHECK_INT(madt.cpu_count, 3);
	CHECK_INT(madt.cpus[0].apic_id, 0);
	CHECK(!madt.cpus[0].x2apic);
	CHECK_INT(madt.cpus[1].apic_id, 300);
	CHECK_INT(madt.cpus[1].acpi_uid, 300);
	CHECK(madt.cpus[1].x2apic);
	CHECK(madt.cpus[1].enabled);
	CHECK_INT(madt.cpus[2].apic_id, 2);
	CHECK(!madt.cpus[2].enabled);
	CHECK(madt.cpus[2].online_capable);
	CHECK_INT(madt.lapic_addr, 0x1fee00000ull);
	CHECK_INT(madt.nmi_source_count, 1);
	CHECK_INT(madt.nmi_sources[0].gsi, 7);
	CHECK_INT(madt.nmi_sources[0].flags, 0xd);
	CHECK_INT(madt.lapic_nmi_count, 2);
	CHECK_INT(madt.lapic_nmis[0].acpi_uid, 0xffffffff);
	CHECK_INT(madt.lapic_nmis[0].lint, 1);
	CHECK_INT(madt.lapic_nmis[0].flags, 5);
	CHECK_INT(madt.lapic_nmis[1].acpi_uid, 2);
	CHECK_INT(madt.lapic_nmis[1].lint, 0);
	CHECK_INT(madt.skipped, 1);
}

TEST(parsers_refuse_other_tables)
{
	size_t len;
	struct acpi_fadt f;
	struct acpi_mcfg m;
	struct acpi_hpet h;
	uint8_t *hpet = load("q35-smp1", "HPET", &len);
	CHECK(hpet);
	CHECK_INT(acpi_parse_madt(hpet, len, &madt), -EINVAL);
	CHECK_INT(acpi_parse_fadt(hpet, len, &f), -EINVAL);
	CHECK_INT(acpi_parse_mcfg(hpet, len, &m), -EINVAL);
	uint8_t *mcfg = load("q35-smp1", "MCFG", &len);
	CHECK(mcfg);
	CHECK_INT(acpi_parse_hpet(mcfg, len, &h), -EINVAL);
	CHECK_INT(acpi_parse_madt(NULL, 0, &madt), -EINVAL);
}
