/*
 * The classic BPF checker and interpreter (see bpf.h). The checker is strict so that the
 * interpreter needs no run-time guard except the packet bounds: jumps only go forward (every
 * program ends), a constant divisor is never zero (a zero X divisor returns 0, as Linux) and
 * scratch indices are in range. Scratch memory starts zeroed, so unlike Linux the checker does
 * not insist that it is written before it is read.
 */
#include "net/core/bpf.h"

#include "lib/errno.h"

/* Instruction classes and fields (<linux/bpf_common.h>). */
#define BPF_CLASS(c) ((c) & 0x07)
#define BPF_LD   0x00
#define BPF_LDX  0x01
#define BPF_ST   0x02
#define BPF_STX  0x03
#define BPF_ALU  0x04
#define BPF_JMP  0x05
#define BPF_RET  0x06
#define BPF_MISC 0x07

#define BPF_SIZE(c) ((c) & 0x18)
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10

#define BPF_MODE(c) ((c) & 0xe0)
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#define BPF_LEN 0x80
#define BPF_MSH 0xa0

#define BPF_OP(c) ((c) & 0xf0)
#define BPF_ADD 0x00
#define BPF_SUB 0x10
#define BPF_MUL 0x20
#define BPF_DIV 0x30
#define BPF_OR  0x40
#define BPF_AND 0x50
#define BPF_LSH 0x60
#define BPF_RSH 0x70
#define BPF_NEG 0x80
#define BPF_MOD 0x90
#define BPF_XOR 0xa0

#define BPF_JA   0x00
#define BPF_JEQ  0x10
#define BPF_JGT  0x20
#define BPF_JGE  0x30
#define BPF_JSET 0x40

#define BPF_SRC(c) ((c) & 0x08)
#define BPF_K 0x00
#define BPF_X 0x08

#define BPF_RVAL(c) ((c) & 0x18)
#define BPF_A 0x10

#define BPF_MISCOP(c) ((c) & 0xf8)
#define BPF_TAX 0x00
#define BPF_TXA 0x80

/* Whether code is one of the opcodes Linux's classic checker knows (ancillary loads aside). */
static bool bpf_code_known(uint16_t code)
{
	if (code & 0xff00)
		return false;
	switch (BPF_CLASS(code)) {
	case BPF_LD:
		switch (BPF_MODE(code)) {
		case BPF_IMM: case BPF_LEN:
			return BPF_SIZE(code) == BPF_W;
		case BPF_ABS: case BPF_IND:
			return BPF_SIZE(code) != 0x18;
		case BPF_MEM:
			return BPF_SIZE(code) == BPF_W;
		}
		return false;
	case BPF_LDX:
		switch (BPF_MODE(code)) {
		case BPF_IMM: case BPF_LEN: case BPF_MEM:
			return BPF_SIZE(code) == BPF_W;
		case BPF_MSH:
			return BPF_SIZE(code) == BPF_B;
		}
		return false;
	case BPF_ST: case BPF_STX:
		return code == BPF_CLASS(code);
	case BPF_ALU:
		if (BPF_OP(code) == BPF_NEG)
			return code == (BPF_ALU | BPF_NEG);
		return BPF_OP(code) <= BPF_XOR;
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA)
			return code == (BPF_JMP | BPF_JA);
		return BPF_OP(code) <= BPF_JSET;
	case BPF_RET:
		return (code & ~0x18) == BPF_RET && BPF_RVAL(code) != 0x18 && BPF_RVAL(code) != BPF_X;
	case BPF_MISC:
		return code == (BPF_MISC | BPF_TAX) || code == (BPF_MISC | BPF_TXA);
	}
	return false;
}

int bpf_check(const struct bpf_insn *insns, unsigned len)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (unsigned i = 0; i < len; i++) {
		const struct bpf_insn *in = &insns[i];
		uint16_t code = in->code;
		unsigned cls = BPF_CLASS(code);
		if (!bpf_code_known(code))
			return -EINVAL;
		bool mem_ref = ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(code) == BPF_MEM) ||
			       cls == BPF_ST || cls == BPF_STX;
		if (mem_ref && in->k >= BPF_MEMWORDS)
			return -EINVAL;
		if (cls == BPF_ALU && BPF_SRC(code) == BPF_K && in->k == 0 &&
		    (BPF_OP(code) == BPF_DIV || BPF_OP(code) == BPF_MOD))
			return -EINVAL;
		if (cls == BPF_JMP) {
			unsigned left = len - i - 1; /* instructions after this one */
			if (BPF_OP(code) == BPF_JA ? in->k >= left : (in->jt >= left || in->jf >= left))
				return -EINVAL;
		}
	}
	/* The last instruction cannot fall through or jump, so every path ends in a return. */
	return BPF_CLASS(insns[len - 1].code) == BPF_RET ? 0 : -EINVAL;
}

/* Loads size bytes (1, 2 or 4) big-endian at off; false when outside the packet. */
static bool bpf_load(const uint8_t *pkt, size_t len, uint32_t off, unsigned size, uint32_t *out)
{
	if (off > len || size > len - off)
		return false;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = (v << 8) | pkt[off + i];
	*out = v;
	return true;
}

static unsigned bpf_size(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

static uint32_t bpf_alu(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV: return a / v; /* v != 0: checked, or tested by the caller */
	case BPF_MOD: return a % v;
	case BPF_OR:  return a | v;
	case BPF_AND: return a & v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return v < 32 ? a << v : 0;
	case BPF_RSH: return v < 32 ? a >> v : 0;
	case BPF_NEG: return -a;
	}
	return a;
}

uint32_t bpf_run(const struct bpf_prog *prog, const uint8_t *pkt, size_t len)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct bpf_insn *in = &prog->insns[pc];
		uint16_t code = in->code;
		uint32_t v;
		switch (BPF_CLASS(code)) {
		case BPF_LD:
			switch (BPF_MODE(code)) {
			case BPF_IMM: a = in->k; break;
			case BPF_LEN: a = (uint32_t)len; break;
			case BPF_MEM: a = mem[in->k]; break;
			case BPF_ABS:
			case BPF_IND: {
				uint32_t off = in->k + (BPF_MODE(code) == BPF_IND ? x : 0);
				if ((BPF_MODE(code) == BPF_IND && off < x) ||
				    !bpf_load(pkt, len, off, bpf_size(code), &a))
					return 0; /* outside the packet (or the sum wrapped) */
				break;
			}
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(code)) {
			case BPF_IMM: x = in->k; break;
			case BPF_LEN: x = (uint32_t)len; break;
			case BPF_MEM: x = mem[in->k]; break;
			case BPF_MSH: /* the IP header length: 4 * (pkt[k] & 0xf) */
				if (!bpf_load(pkt, len, in->k, 1, &v))
					return 0;
				x = (v & 0xf) << 2;
				break;
			}
			break;
		case BPF_ST: mem[in->k] = a; break;
		case BPF_STX: mem[in->k] = x; break;
		case BPF_ALU:
			v = BPF_SRC(code) == BPF_X ? x : in->k;
			if ((BPF_OP(code) == BPF_DIV || BPF_OP(code) == BPF_MOD) && v == 0)
				return 0;
			a = bpf_alu(BPF_OP(code), a, v);
			break;
		case BPF_JMP: {
			if (BPF_OP(code) == BPF_JA) {
				pc += in->k;
				break;
			}
			v = BPF_SRC(code) == BPF_X ? x : in->k;
			bool t;
			switch (BPF_OP(code)) {
			case BPF_JEQ: t = a == v; break;
			case BPF_JGT: t = a > v; break;
			case BPF_JGE: t = a >= v; break;
			default: t = (a & v) != 0; break;
			}
			pc += t ? in->jt : in->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(code) == BPF_A ? a : in->k;
		case BPF_MISC:
			if (code == (BPF_MISC | BPF_TAX))
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0; /* unreachable for a checked program */
}
