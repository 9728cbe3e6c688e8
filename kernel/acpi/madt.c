/*
 * MADT parser: the processors' local APICs, the I/O APICs, how ISA IRQs are rewired to global
 * system interrupts, and the NMI wiring. Malformed entries are skipped, never trusted.
 */
#include "acpi/acpi.h"
#include "acpi/layout.h"
#include "lib/errno.h"
#include "lib/string.h"

/* The smallest length each known entry type may have (later spec revisions may append fields). */
static size_t madt_entry_min(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:      return sizeof(struct madt_lapic);
	case MADT_IOAPIC:     return sizeof(struct madt_ioapic);
	case MADT_OVERRIDE:   return sizeof(struct madt_override);
	case MADT_NMI_SOURCE: return sizeof(struct madt_nmi_source);
	case MADT_LAPIC_NMI:  return sizeof(struct madt_lapic_nmi);
	case MADT_LAPIC_ADDR: return sizeof(struct madt_lapic_addr);
	case MADT_X2APIC:     return sizeof(struct madt_x2apic);
	case MADT_X2APIC_NMI: return sizeof(struct madt_x2apic_nmi);
	default:              return 0;
	}
}

static void madt_add_cpu(struct acpi_madt *m, uint32_t apic_id, uint32_t uid, uint32_t flags,
			 bool x2apic)
{
	/* Neither enabled nor online-capable: the processor is unusable and the spec says to ignore it. */
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)))
		return;
	/* Some firmware lists a processor both as a local APIC and as an x2APIC: keep the first. */
	for (size_t i = 0; i < m->cpu_count; i++)
		if (m->cpus[i].apic_id == apic_id)
			return;
	if (m->cpu_count == ACPI_MAX_CPUS) {
		m->skipped++;
		return;
	}
	bool enabled = flags & MADT_CPU_ENABLED;
	m->cpus[m->cpu_count++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.acpi_uid = uid,
		.enabled = enabled,
		.online_capable = !enabled && (flags & MADT_CPU_ONLINE_CAPABLE),
		.x2apic = x2apic,
	};
}

static void madt_add_lapic_nmi(struct acpi_madt *m, uint32_t uid, uint8_t lint, uint16_t flags)
{
	if (m->lapic_nmi_count == ACPI_MAX_NMIS) {
		m->skipped++;
		return;
	}
	m->lapic_nmis[m->lapic_nmi_count++] = (struct acpi_lapic_nmi){ .acpi_uid = uid, .lint = lint, .flags = flags };
}

static void madt_entry(struct acpi_madt *m, const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LAPIC: {
		const struct madt_lapic *l = (const void *)e;
		/* 0xff is the xAPIC broadcast ID, never a processor. */
		if (l->apic_id == 0xff)
			m->skipped++;
		else
			madt_add_cpu(m, l->apic_id, l->acpi_uid, l->flags, false);
		break;
	}
	case MADT_X2APIC: {
		const struct madt_x2apic *x = (const void *)e;
		if (x->apic_id == 0xffffffffu)
			m->skipped++;
		else
			madt_add_cpu(m, x->apic_id, x->acpi_uid, x->flags, true);
		break;
	}
	case MADT_IOAPIC: {
		const struct madt_ioapic *io = (const void *)e;
		if (m->ioapic_count == ACPI_MAX_IOAPICS || io->addr == 0) {
			m->skipped++;
			break;
		}
		m->ioapics[m->ioapic_count++] = (struct acpi_ioapic){
			.id = io->id, .addr = io->addr, .gsi_base = io->gsi_base,
		};
		break;
	}
	case MADT_OVERRIDE: {
		const struct madt_override *o = (const void *)e;
		if (m->override_count == ACPI_MAX_OVERRIDES) {
			m->skipped++;
			break;
		}
		m->overrides[m->override_count++] = (struct acpi_override){
			.bus = o->bus, .source = o->source, .gsi = o->gsi, .flags = o->flags,
		};
		break;
	}
	case MADT_NMI_SOURCE: {
		const struct madt_nmi_source *n = (const void *)e;
		if (m->nmi_source_count == ACPI_MAX_NMIS) {
			m->skipped++;
			break;
		}
		m->nmi_sources[m->nmi_source_count++] = (struct acpi_nmi_source){ .gsi = n->gsi, .flags = n->flags };
		break;
	}
	case MADT_LAPIC_NMI: {
		const struct madt_lapic_nmi *n = (const void *)e;
		madt_add_lapic_nmi(m, n->acpi_uid, n->lint, n->flags);
		break;
	}
	case MADT_X2APIC_NMI: {
		const struct madt_x2apic_nmi *n = (const void *)e;
		madt_add_lapic_nmi(m, n->acpi_uid, n->lint, n->flags);
		break;
	}
	case MADT_LAPIC_ADDR: {
		const struct madt_lapic_addr *a = (const void *)e;
		if (a->addr)
			m->lapic_addr = a->addr;
		else
			m->skipped++;
		break;
	}
	}
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_madt *out)
{
	memset(out, 0, sizeof(*out));
	size_t tlen = acpi_table_len(table, len, "APIC", sizeof(struct acpi_madt_raw));
	if (!tlen)
		return -EINVAL;

	const struct acpi_madt_raw *t = table;
	out->lapic_addr = t->lapic_addr;
	out->flags = t->flags;

	const uint8_t *base = table;
	size_t off = sizeof(*t);
	while (off < tlen) {
		size_t left = tlen - off;
		/* An entry without room for its type and length, or one that claims less than those
		 * two bytes or more than what is left, leaves no way to find the next one. */
		if (left < 2 || base[off + 1] < 2 || base[off + 1] > left) {
			out->skipped++;
			break;
		}
		const uint8_t *e = base + off;
		size_t elen = e[1];
		size_t min = madt_entry_min(e[0]);
		if (min == 0 || elen < min)
			out->skipped++; /* unknown type, or too short for its type */
		else
			madt_entry(out, e);
		off += elen;
	}
	return 0;
}

/* Reads the MADT kept in `acpi`, which tables.c defines (the host unit tests bring their own). */
uint32_t acpi_isa_irq_to_gsi(uint8_t isa_irq, uint16_t *flags)
{
	for (size_t i = 0; i < acpi.madt.override_count; i++) {
		const struct acpi_override *o = &acpi.madt.overrides[i];
		if (o->bus == 0 && o->source == isa_irq) {
			if (flags)
				*flags = o->flags;
			return o->gsi;
		}
	}
	if (flags)
		*flags = 0;
	return isa_irq;
}
