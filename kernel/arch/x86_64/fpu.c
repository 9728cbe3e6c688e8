/* FPU state switching (Intel SDM vol. 1, chapter 13: XSAVE). */
#include "arch/x86_64/fpu.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/string.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE    (1ull << 18)
#define XCR0_X87 1
#define XCR0_SSE 2
#define XCR0_AVX 4

size_t fpu_state_size = 512;
bool fpu_uses_xsave;
static uint64_t xcr0;
static uint8_t initial_state[4096] __aligned(64);

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void fpu_init_cpu(void)
{
	static bool sized;
	uint32_t a, b, c, d;
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 26)) { /* XSAVE */
		write_cr4(read_cr4() | CR4_OSXSAVE);
		if (!sized) {
			cpuid(0xd, 0, &a, &b, &c, &d);
			xcr0 = XCR0_X87 | XCR0_SSE | (a & XCR0_AVX);
		}
		xsetbv(0, xcr0);
		fpu_uses_xsave = true;
	}
	__asm__ volatile("fninit");
	if (!sized) {
		if (fpu_uses_xsave) {
			cpuid(0xd, 0, &a, &b, &c, &d);
			fpu_state_size = b; /* size for the components enabled in XCR0 */
		}
		if (fpu_state_size > sizeof(initial_state))
			fpu_state_size = sizeof(initial_state);
		memset(initial_state, 0, sizeof(initial_state));
		uint32_t mxcsr = 0x1f80; /* all exceptions masked, round to nearest */
		__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
		fpu_save(initial_state);
		sized = true;
		pr_info("fpu: %s, %zu bytes of state per thread (XCR0 0x%llx)\n",
			fpu_uses_xsave ? "XSAVE" : "FXSAVE", fpu_state_size, (unsigned long long)xcr0);
	}
}

void fpu_init_state(void *area)
{
	memcpy(area, initial_state, fpu_state_size);
}

void fpu_save(void *area)
{
	if (fpu_uses_xsave)
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

void fpu_restore(const void *area)
{
	if (fpu_uses_xsave)
		__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}
