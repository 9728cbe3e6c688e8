/* How the 256 interrupt vectors are used. */
#pragma once

#define VEC_PIC_BASE       0x20 /* legacy 8259: IRQ 0-15 (acpi=off / noapic) */
#define VEC_GSI_BASE       0x30 /* IOAPIC: GSI n arrives on VEC_GSI_BASE + n */
#define VEC_GSI_LAST       0x9f
#define VEC_MSI_FIRST      0xa0 /* MSI/MSI-X vectors handed out by irq_alloc_msi */
#define VEC_MSI_LAST       0xdf
#define VEC_LAPIC_TIMER    0xe0
#define VEC_IPI_CALL       0xf0 /* run a function on another CPU */
#define VEC_IPI_PING       0xf1 /* ktests: IPI round trips */
#define VEC_LAPIC_ERROR    0xfe
#define VEC_SPURIOUS       0xff
