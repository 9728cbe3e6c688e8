/*
 * Finding the ACPI tables: the RSDP (from the boot loader, else the BIOS areas), the XSDT or
 * RSDT, and every table they list. No table is used before its length and checksum are checked;
 * bad ones are reported, counted and skipped. The interesting ones go to the parsers.
 */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "arch/x86_64/memlayout.h"
#include "boot/bootinfo.h"
#include "console/console.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/vmm.h"

struct acpi_info acpi;

static bool acpi_off;  /* acpi=off */
static bool acpi_dump; /* acpidump: print every verified table in hex (tools/acpi-capture.sh) */

static int param_acpi(const char *val)
{
	if (val && strcmp(val, "off") == 0) {
		acpi_off = true;
		return 0;
	}
	return -EINVAL;
}
KPARAM("acpi", param_acpi);

static int param_acpidump(const char *val)
{
	(void)val;
	acpi_dump = true;
	return 0;
}
KPARAM("acpidump", param_acpidump);

/* The direct map spans 64 TiB; nothing above can be reached through it. */
#define ACPI_PHYS_LIMIT (1ull << 46)

#define EBDA_SEG_PTR   0x40e
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END   0x100000

/*
 * Makes [pa, pa+len) readable and returns it. Firmware tables often sit in reserved memory
 * that the direct map leaves out; only then is the range mapped (write-back, like RAM).
 */
static const void *acpi_map(paddr_t pa, size_t len)
{
	if (!pa || !len || pa >= ACPI_PHYS_LIMIT || len > ACPI_PHYS_LIMIT - pa)
		return NULL;
	for (paddr_t page = pa & PAGE_MASK; page < pa + len; page += PAGE_SIZE)
		if (vmm_translate(kernel_pml4, (vaddr_t)phys_to_virt(page), NULL, NULL) < 0)
			return ioremap(pa, len, 0);
	return phys_to_virt(pa);
}

/* A signature as a printable string (firmware bytes are not trusted to be text). */
static void sig_str(char out[5], const char *sig)
{
	for (int i = 0; i < 4; i++)
		out[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? sig[i] : '?';
	out[4] = 0;
}

static void acpi_dump_table(const char *sig, paddr_t pa, const uint8_t *t, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char line[2 * 32 + 1];

	pr_info("acpidump: %s @0x%llx len %zu\n", sig, (unsigned long long)pa, len);
	for (size_t off = 0; off < len; off += 32) {
		size_t n = MIN(len - off, (size_t)32);
		for (size_t i = 0; i < n; i++) {
			line[2 * i] = hex[t[off + i] >> 4];
			line[2 * i + 1] = hex[t[off + i] & 15];
		}
		line[2 * n] = 0;
		pr_info("acpidump: %s %04zx %s\n", sig, off, line);
	}
}

/*
 * Maps the table at pa and checks it: the expected signature (when given), a length between
 * the header size and ACPI_TABLE_MAX_LEN, and the checksum. Returns it with *len set, or NULL
 * after reporting and counting it as bad.
 */
static const struct acpi_sdt_hdr *acpi_table_get(paddr_t pa, const char *expect, uint32_t *len)
{
	char sig[5] = "????";
	const struct acpi_sdt_hdr *h = acpi_map(pa, ACPI_HDR_LEN);
	if (!h) {
		pr_warn("acpi: table at 0x%llx cannot be mapped, skipped\n", (unsigned long long)pa);
		goto bad;
	}
	sig_str(sig, h->signature);
	if (expect && memcmp(h->signature, expect, 4) != 0) {
		pr_warn("acpi: expected %s at 0x%llx, found '%s', skipped\n", expect,
			(unsigned long long)pa, sig);
		goto bad;
	}
	uint32_t n = h->length;
	if (n < ACPI_HDR_LEN || n > ACPI_TABLE_MAX_LEN) {
		pr_warn("acpi: %s at 0x%llx: length %u out of range, skipped\n", sig,
			(unsigned long long)pa, n);
		goto bad;
	}
	h = acpi_map(pa, n);
	if (!h) {
		pr_warn("acpi: %s at 0x%llx: %u bytes cannot be mapped, skipped\n", sig,
			(unsigned long long)pa, n);
		goto bad;
	}
	if (!acpi_checksum_ok(h, n)) {
		pr_warn("acpi: %s at 0x%llx: bad checksum, skipped\n", sig, (unsigned long long)pa);
		goto bad;
	}
	if (acpi_dump)
		acpi_dump_table(sig, pa, (const uint8_t *)h, n);
	*len = n;
	return h;
bad:
	acpi.bad_tables++;
	return NULL;
}

static bool rsdp_v1_ok(const void *p)
{
	return memcmp(p, "RSD PTR ", 8) == 0 && acpi_checksum_ok(p, ACPI_RSDP_V1_LEN);
}

/* Looks for the RSDP on 16-byte boundaries of [start, end); copies it out and returns its address. */
static paddr_t rsdp_scan(paddr_t start, paddr_t end, struct acpi_rsdp *out)
{
	const uint8_t *area = acpi_map(start, end - start);
	if (!area)
		return 0;
	for (paddr_t pa = start; pa + ACPI_RSDP_V1_LEN <= end; pa += 16) {
		const uint8_t *p = area + (pa - start);
		if (!rsdp_v1_ok(p))
			continue;
		size_t len = ACPI_RSDP_V1_LEN;
		if (p[15] >= 2) {
			const void *full = acpi_map(pa, sizeof(*out));
			if (full) {
				p = full;
				len = sizeof(*out);
			}
		}
		memset(out, 0, sizeof(*out));
		memcpy(out, p, len);
		return pa;
	}
	return 0;
}

/* The RSDP: the loader's copy when it has a valid one, else the BIOS areas. */
static bool rsdp_find(const struct bootinfo *bi, struct acpi_rsdp *r, paddr_t *pa, const char **from)
{
	if (bi->rsdp_len >= ACPI_RSDP_V1_LEN && rsdp_v1_ok(bi->rsdp)) {
		memset(r, 0, sizeof(*r));
		memcpy(r, bi->rsdp, MIN(bi->rsdp_len, sizeof(*r)));
		*pa = bi->rsdp_paddr;
		*from = "from the boot loader";
		return true;
	}
	if (bi->rsdp_len)
		pr_warn("acpi: the boot loader's RSDP copy is invalid; scanning the BIOS areas\n");

	*from = "found in the BIOS area";
	const uint16_t *seg = acpi_map(EBDA_SEG_PTR, 2);
	paddr_t ebda = seg ? (paddr_t)*seg << 4 : 0;
	/* The EBDA lies just below the 640 KiB mark when a BIOS sets one up. */
	if (ebda >= 0x80000 && ebda < 0xa0000 && (*pa = rsdp_scan(ebda, ebda + 1024, r)))
		return true;
	return (*pa = rsdp_scan(BIOS_ROM_START, BIOS_ROM_END, r)) != 0;
}

/* For revision 2+: whether the extended part (XSDT address, checksum over `length`) is sound. */
static bool rsdp_ext_ok(const struct acpi_rsdp *r, paddr_t pa)
{
	if (r->length < sizeof(*r) || r->length > PAGE_SIZE) {
		pr_warn("acpi: RSDP length %u out of range; using the RSDT\n", r->length);
		return false;
	}
	const void *full = r;
	if (r->length > sizeof(*r)) /* room for fields of later revisions: check the original */
		full = pa ? acpi_map(pa, r->length) : NULL;
	if (!full || !acpi_checksum_ok(full, r->length)) {
		pr_warn("acpi: RSDP extended checksum %s; using the RSDT\n", full ? "bad" : "not checkable");
		return false;
	}
	return true;
}

static const char *plural(size_t n, const char *word_s)
{
	return n == 1 ? "" : word_s;
}

static void report_madt(const struct acpi_madt *m)
{
	size_t enabled = 0;
	for (size_t i = 0; i < m->cpu_count; i++)
		enabled += m->cpus[i].enabled;
	char extra[96] = "";
	if (m->nmi_source_count)
		snprintf(extra, sizeof(extra), ", %zu NMI source%s", m->nmi_source_count,
			 plural(m->nmi_source_count, "s"));
	char skipped[48] = "";
	if (m->skipped)
		snprintf(skipped, sizeof(skipped), ", %u entr%s skipped", m->skipped,
			 m->skipped == 1 ? "y" : "ies");
	pr_info("acpi: MADT: %zu CPU%s (%zu enabled), %zu IOAPIC%s, %zu override%s, %zu LAPIC NMI%s%s, "
		"LAPIC at 0x%llx%s%s\n",
		m->cpu_count, plural(m->cpu_count, "s"), enabled, m->ioapic_count,
		plural(m->ioapic_count, "s"), m->override_count, plural(m->override_count, "s"),
		m->lapic_nmi_count, plural(m->lapic_nmi_count, "s"), extra,
		(unsigned long long)m->lapic_addr, m->flags & 1 ? ", 8259 PICs" : "", skipped);
}

/* "port 0xcf9", "at 0xfed00000", ... for a register given by a GAS. */
static void gas_str(char *buf, size_t size, const struct acpi_gas *g)
{
	unsigned long long a = (unsigned long long)g->address;
	switch (g->space_id) {
	case ACPI_SPACE_IO:     snprintf(buf, size, "port 0x%llx", a); break;
	case ACPI_SPACE_MEMORY: snprintf(buf, size, "at 0x%llx", a); break;
	case ACPI_SPACE_PCI:    snprintf(buf, size, "in PCI config space 0x%llx", a); break;
	default:                snprintf(buf, size, "in address space %u at 0x%llx", g->space_id, a); break;
	}
}

static void report_fadt(const struct acpi_fadt *f)
{
	char timer[64], reset[96], century[24], where[56];

	if (f->pm_timer.address) {
		gas_str(where, sizeof(where), &f->pm_timer);
		snprintf(timer, sizeof(timer), "PM timer %s (%s)", where, f->pm_timer_32bit ? "32-bit" : "24-bit");
	} else {
		strlcpy(timer, "no PM timer", sizeof(timer));
	}
	if (f->reset_supported) {
		gas_str(where, sizeof(where), &f->reset_reg);
		snprintf(reset, sizeof(reset), "reset register %s value 0x%x", where, f->reset_value);
	} else {
		strlcpy(reset, "no reset register", sizeof(reset));
	}
	if (f->century)
		snprintf(century, sizeof(century), "century 0x%x", f->century);
	else
		strlcpy(century, "no century", sizeof(century));
	pr_info("acpi: FADT: SCI %u, %s, %s, %s%s\n", f->sci_irq, timer, reset, century,
		f->hw_reduced ? ", hardware-reduced" : "");
}

static void report_mcfg(const struct acpi_mcfg *m)
{
	char buf[512];
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < m->count && n < sizeof(buf); i++) {
		const struct acpi_mcfg_segment *s = &m->segments[i];
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%ssegment %u buses %u-%u at 0x%llx",
				      i ? "; " : "", s->segment, s->bus_start, s->bus_end,
				      (unsigned long long)s->base);
	}
	pr_info("acpi: MCFG: %s\n", m->count ? buf : "no usable allocations");
}

/* Hands one verified table to its parser and reports what it holds. */
static void acpi_use_table(const struct acpi_sdt_hdr *h, uint32_t len, paddr_t pa, uint32_t *dsdt32)
{
	char sig[5];
	int err = 0;

	sig_str(sig, h->signature);
	if (memcmp(sig, "APIC", 4) == 0 && !acpi.has_madt) {
		err = acpi_parse_madt(h, len, &acpi.madt);
		if (!err) {
			acpi.has_madt = true;
			report_madt(&acpi.madt);
		}
	} else if (memcmp(sig, "FACP", 4) == 0 && !acpi.has_fadt) {
		err = acpi_parse_fadt(h, len, &acpi.fadt);
		if (!err) {
			acpi.has_fadt = true;
			*dsdt32 = ((const struct acpi_fadt_raw *)h)->dsdt;
			report_fadt(&acpi.fadt);
		}
	} else if (memcmp(sig, "MCFG", 4) == 0 && !acpi.has_mcfg) {
		err = acpi_parse_mcfg(h, len, &acpi.mcfg);
		if (!err) {
			acpi.has_mcfg = true;
			report_mcfg(&acpi.mcfg);
		}
	} else if (memcmp(sig, "HPET", 4) == 0 && !acpi.has_hpet) {
		/* Only the first timer block is used; later ones are listed but ignored. */
		err = acpi_parse_hpet(h, len, &acpi.hpet);
		if (!err) {
			acpi.has_hpet = true;
			pr_info("acpi: HPET: at 0x%llx, min tick %u\n", (unsigned long long)acpi.hpet.base,
				acpi.hpet.min_tick);
		}
	} else if (memcmp(sig, "SSDT", 4) == 0) {
		if (acpi.ssdt_count < ACPI_MAX_SSDTS)
			acpi.ssdts[acpi.ssdt_count++] = pa;
		else
			pr_warn("acpi: more than %d SSDTs, SSDT at 0x%llx ignored\n", ACPI_MAX_SSDTS,
				(unsigned long long)pa);
	} else if (memcmp(sig, "APIC", 4) == 0 || memcmp(sig, "FACP", 4) == 0 ||
		   memcmp(sig, "MCFG", 4) == 0) {
		pr_warn("acpi: second %s at 0x%llx ignored\n", sig, (unsigned long long)pa);
	}
	if (err) {
		pr_warn("acpi: %s at 0x%llx is malformed (%d), skipped\n", sig, (unsigned long long)pa, err);
		acpi.bad_tables++;
	}
}

/* The DSDT the FADT names: X_DSDT when it checks out, else the 32-bit pointer. */
static void acpi_find_dsdt(uint32_t dsdt32)
{
	uint32_t len;
	paddr_t pa = acpi.fadt.dsdt;
	const struct acpi_sdt_hdr *h = pa ? acpi_table_get(pa, "DSDT", &len) : NULL;
	if (!h && dsdt32 && dsdt32 != pa) {
		pa = dsdt32;
		h = acpi_table_get(pa, "DSDT", &len);
	}
	if (!h) {
		pr_warn("acpi: no usable DSDT\n");
		return;
	}
	acpi.dsdt = pa;
	acpi.dsdt_len = len;
	pr_info("acpi: DSDT: %u bytes at 0x%llx (AML revision %u), %zu SSDT%s\n", len,
		(unsigned long long)pa, h->revision, acpi.ssdt_count, plural(acpi.ssdt_count, "s"));
}

int acpi_init(const struct bootinfo *bi)
{
	memset(&acpi, 0, sizeof(acpi));
	if (acpi_off) {
		pr_info("acpi: disabled by acpi=off\n");
		return -ENODEV;
	}

	struct acpi_rsdp rsdp;
	paddr_t rsdp_pa = 0;
	const char *from;
	if (!rsdp_find(bi, &rsdp, &rsdp_pa, &from)) {
		pr_warn("acpi: no RSDP found; running without ACPI\n");
		return -ENODEV;
	}

	acpi.revision = rsdp.revision;
	memcpy(acpi.oem_id, rsdp.oem_id, 6);
	for (int i = 0; i < 6; i++)
		if (acpi.oem_id[i] < 0x20 || acpi.oem_id[i] >= 0x7f)
			acpi.oem_id[i] = '?';
	for (int i = 5; i >= 0 && acpi.oem_id[i] == ' '; i--)
		acpi.oem_id[i] = 0;

	/* The root table: the XSDT (64-bit entries) when ACPI 2.0+ offers a sound one, else the RSDT. */
	const struct acpi_sdt_hdr *root = NULL;
	uint32_t root_len = 0;
	size_t entry_size = 4;
	paddr_t root_pa = 0;
	if (rsdp.revision >= 2) {
		if (rsdp_ext_ok(&rsdp, rsdp_pa)) {
			if (rsdp.xsdt) {
				root_pa = rsdp.xsdt;
				root = acpi_table_get(root_pa, "XSDT", &root_len);
				entry_size = 8;
			}
		} else {
			acpi.bad_tables++;
		}
	}
	if (!root && rsdp.rsdt) {
		root_pa = rsdp.rsdt;
		root = acpi_table_get(root_pa, "RSDT", &root_len);
		entry_size = 4;
	}
	if (!root) {
		pr_warn("acpi: RSDP revision %u %s, but no usable RSDT or XSDT; running without ACPI\n",
			rsdp.revision, from);
		memset(&acpi, 0, sizeof(acpi));
		return -EINVAL;
	}
	acpi.present = true;
	pr_info("acpi: RSDP revision %u (%s at 0x%llx), OEM %s, %s\n", rsdp.revision,
		entry_size == 8 ? "XSDT" : "RSDT", (unsigned long long)root_pa, acpi.oem_id, from);

	size_t count = (root_len - ACPI_HDR_LEN) / entry_size;
	char list[256] = "";
	size_t list_n = 0;
	uint32_t dsdt32 = 0;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = (const uint8_t *)root + ACPI_HDR_LEN + i * entry_size;
		uint64_t pa = 0;
		memcpy(&pa, e, entry_size); /* entries are not naturally aligned */
		if (!pa) {
			pr_warn("acpi: %s entry %zu is null, skipped\n", entry_size == 8 ? "XSDT" : "RSDT", i);
			acpi.bad_tables++;
			continue;
		}
		uint32_t len;
		const struct acpi_sdt_hdr *h = acpi_table_get(pa, NULL, &len);
		if (!h)
			continue;
		char sig[5];
		sig_str(sig, h->signature);
		if (list_n < sizeof(list))
			list_n += (size_t)snprintf(list + list_n, sizeof(list) - list_n, " %s", sig);
		acpi_use_table(h, len, pa, &dsdt32);
	}
	if (acpi.has_fadt)
		acpi_find_dsdt(dsdt32);
	char bad[48] = "";
	if (acpi.bad_tables)
		snprintf(bad, sizeof(bad), "; %u bad table%s skipped", acpi.bad_tables,
			 plural(acpi.bad_tables, "s"));
	pr_info("acpi: %zu table%s in the %s:%s%s\n", count, plural(count, "s"),
		entry_size == 8 ? "XSDT" : "RSDT", list, bad);
	return 0;
}
