// unit-deps: kernel/net/core/bpf.c kernel/lib/string.c
/*
 * Classic BPF: busybox udhcpc's filter (UDP to port 68, unfragmented) run over real-shaped
 * packets, each instruction class, packet-bounds handling (a load past the end drops the
 * packet) and the checker refusing hostile programs: jumps out of range, division by a zero
 * constant, bad scratch indices, unknown opcodes, no final return, empty or oversized programs.
 */
#include "unit.h"

#include "host_prefix.h"

#include <stdlib.h>

#include "lib/string.h"

#include "net/core/bpf.h"

#define STMT(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define JUMP(c, k, t, f) { (uint16_t)(c), (uint8_t)(t), (uint8_t)(f), (uint32_t)(k) }

/* busybox's filter, from <linux/filter.h> opcodes written out. */
static const struct bpf_insn udhcpc_filter[] = {
	STMT(0x30, 9),               /* ldb [9]: IP protocol */
	JUMP(0x15, 17, 0, 6),        /* jeq #17 (UDP) */
	STMT(0x28, 6),               /* ldh [6]: flags and fragment offset */
	JUMP(0x45, 0x1fff, 4, 0),    /* jset #0x1fff: a fragment */
	STMT(0xb1, 0),               /* ldxb 4*([0]&0xf) */
	STMT(0x48, 2),               /* ldh [x+2]: UDP destination port */
	JUMP(0x15, 68, 0, 1),        /* jeq #68 */
	STMT(0x06, 0x7fffffff),      /* ret #0x7fffffff */
	STMT(0x06, 0),               /* ret #0 */
};

static struct bpf_prog *prog_of(const struct bpf_insn *in, unsigned n)
{
	struct bpf_prog *p = malloc(sizeof(*p) + n * sizeof(*in));
	p->len = (uint16_t)n;
	memcpy(p->insns, in, n * sizeof(*in));
	return p;
}

/* An IPv4/UDP packet to dport with frag bits and a 20-byte header. */
static void udp_packet(uint8_t *p, size_t len, uint8_t proto, uint16_t frag, uint16_t dport)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[9] = proto;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
}

TEST(udhcpc_filter)
{
	unsigned n = sizeof(udhcpc_filter) / sizeof(udhcpc_filter[0]);
	CHECK(bpf_check(udhcpc_filter, n) == 0);
	struct bpf_prog *p = prog_of(udhcpc_filter, n);
	uint8_t pkt[300];
	udp_packet(pkt, sizeof(pkt), 17, 0x4000, 68); /* DF set: not a fragment */
	CHECK(bpf_run(p, pkt, sizeof(pkt)) == 0x7fffffff);
	udp_packet(pkt, sizeof(pkt), 17, 0, 67);
	CHECK(bpf_run(p, pkt, sizeof(pkt)) == 0);
	udp_packet(pkt, sizeof(pkt), 6, 0, 68);
	CHECK(bpf_run(p, pkt, sizeof(pkt)) == 0);
	udp_packet(pkt, sizeof(pkt), 17, 0x2001, 68); /* a fragment */
	CHECK(bpf_run(p, pkt, sizeof(pkt)) == 0);
	/* An IP header length pointing past the end: the indirect load fails, the packet drops. */
	udp_packet(pkt, 24, 17, 0, 68);
	pkt[0] = 0x4f;
	CHECK(bpf_run(p, pkt, 24) == 0);
	/* Shorter than the loads need. */
	CHECK(bpf_run(p, pkt, 5) == 0);
	CHECK(bpf_run(p, pkt, 0) == 0);
	free(p);
}

TEST(alu_memory_and_misc)
{
	static const struct bpf_insn in[] = {
		STMT(0x80, 0),         /* ld len */
		STMT(0x04, 3),         /* add #3 */
		STMT(0x24, 2),         /* mul #2 */
		STMT(0x02, 5),         /* st M[5] */
		STMT(0x01, 7),         /* ldx #7 */
		STMT(0x9c, 0),         /* mod x */
		STMT(0x03, 6),         /* stx M[6] */
		STMT(0x07, 0),         /* tax */
		STMT(0x60, 5),         /* ld M[5] */
		STMT(0x3c, 0),         /* div x */
		STMT(0x64, 4),         /* lsh #4 */
		STMT(0x74, 1),         /* rsh #1 */
		STMT(0x84, 0),         /* neg */
		STMT(0x84, 0),         /* neg */
		STMT(0x16, 0),         /* ret a */
	};
	unsigned n = sizeof(in) / sizeof(in[0]);
	CHECK(bpf_check(in, n) == 0);
	struct bpf_prog *p = prog_of(in, n);
	uint8_t pkt[10] = { 0 };
	/* len 10: (10+3)*2 = 26; 26 % 7 = 5 -> x; 26 / 5 = 5; <<4 = 80; >>1 = 40. */
	CHECK(bpf_run(p, pkt, 10) == 40);
	free(p);
}

TEST(division_by_zero_x_drops)
{
	static const struct bpf_insn in[] = {
		STMT(0x00, 9),         /* ld #9 */
		STMT(0x01, 0),         /* ldx #0 */
		STMT(0x3c, 0),         /* div x */
		STMT(0x06, 100),       /* ret #100 */
	};
	CHECK(bpf_check(in, 4) == 0);
	struct bpf_prog *p = prog_of(in, 4);
	uint8_t pkt[4] = { 0 };
	CHECK(bpf_run(p, pkt, 4) == 0);
	free(p);
}

TEST(jumps_and_loads)
{
	static const struct bpf_insn in[] = {
		STMT(0x20, 0),         /* ld [0] (word) */
		JUMP(0x15, 0x01020304, 1, 0),
		STMT(0x06, 1),         /* ret #1 */
		JUMP(0x25, 0x01020303, 0, 2), /* jgt */
		JUMP(0x35, 0x01020304, 0, 1), /* jge */
		STMT(0x05, 1),         /* ja +1 */
		STMT(0x06, 2),
		STMT(0x06, 3),
	};
	unsigned n = sizeof(in) / sizeof(in[0]);
	CHECK(bpf_check(in, n) == 0);
	struct bpf_prog *p = prog_of(in, n);
	uint8_t pkt[4] = { 1, 2, 3, 4 };
	CHECK(bpf_run(p, pkt, 4) == 3);
	pkt[3] = 5;
	CHECK(bpf_run(p, pkt, 4) == 1);
	CHECK(bpf_run(p, pkt, 3) == 0); /* the word load runs past the end */
	free(p);
}

TEST(hostile_programs_refused)
{
	static const struct bpf_insn jump_out[] = { JUMP(0x15, 0, 5, 0), STMT(0x06, 0) };
	CHECK(bpf_check(jump_out, 2) < 0);
	static const struct bpf_insn ja_out[] = { STMT(0x05, 1), STMT(0x06, 0) };
	CHECK(bpf_check(ja_out, 2) < 0);
	static const struct bpf_insn ja_huge[] = { STMT(0x05, 0xffffffff), STMT(0x06, 0) };
	CHECK(bpf_check(ja_huge, 2) < 0);
	static const struct bpf_insn div0[] = { STMT(0x34, 0), STMT(0x06, 0) };
	CHECK(bpf_check(div0, 2) < 0);
	static const struct bpf_insn mod0[] = { STMT(0x94, 0), STMT(0x06, 0) };
	CHECK(bpf_check(mod0, 2) < 0);
	static const struct bpf_insn mem_bad[] = { STMT(0x02, 16), STMT(0x06, 0) };
	CHECK(bpf_check(mem_bad, 2) < 0);
	static const struct bpf_insn ldmem_bad[] = { STMT(0x60, 99), STMT(0x06, 0) };
	CHECK(bpf_check(ldmem_bad, 2) < 0);
	static const struct bpf_insn no_ret[] = { STMT(0x00, 1) };
	CHECK(bpf_check(no_ret, 1) < 0);
	static const struct bpf_insn last_jump[] = { STMT(0x00, 1), JUMP(0x15, 0, 0, 0) };
	CHECK(bpf_check(last_jump, 2) < 0);
	static const struct bpf_insn unknown[] = { STMT(0xff, 0), STMT(0x06, 0) };
	CHECK(bpf_check(unknown, 2) < 0);
	static const struct bpf_insn ret_x[] = { STMT(0x0e, 0) };
	CHECK(bpf_check(ret_x, 1) < 0);
	static const struct bpf_insn high[] = { STMT(0x106, 0) };
	CHECK(bpf_check(high, 1) < 0);
	CHECK(bpf_check(no_ret, 0) < 0);
	struct bpf_insn *big = calloc(BPF_MAXINSNS + 1, sizeof(*big));
	for (unsigned i = 0; i <= BPF_MAXINSNS; i++)
		big[i] = (struct bpf_insn)STMT(0x06, 0);
	CHECK(bpf_check(big, BPF_MAXINSNS) == 0);
	CHECK(bpf_check(big, BPF_MAXINSNS + 1) < 0);
	free(big);
}

/* Random programs: whatever the checker accepts runs to a return without leaving the packet. */
TEST(random_programs_terminate)
{
	srand(1234);
	uint8_t pkt[64];
	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)rand();
	unsigned accepted = 0;
	for (int round = 0; round < 200000; round++) {
		struct bpf_insn in[6];
		unsigned n = 1 + (unsigned)rand() % 6;
		for (unsigned i = 0; i < n; i++) {
			in[i].code = (uint16_t)(rand() & 0xff);
			in[i].jt = (uint8_t)(rand() % 4);
			in[i].jf = (uint8_t)(rand() % 4);
			in[i].k = rand() % 3 ? (uint32_t)(rand() % 80) : (uint32_t)rand();
		}
		if (bpf_check(in, n) != 0)
			continue;
		accepted++;
		struct bpf_prog *p = prog_of(in, n);
		(void)bpf_run(p, pkt, (size_t)(rand() % 65));
		free(p);
	}
	CHECK(accepted > 100);
}
