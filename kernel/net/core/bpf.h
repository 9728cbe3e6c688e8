/*
 * Classic BPF (Linux's SO_ATTACH_FILTER, <linux/filter.h>): a checker that refuses hostile
 * programs before they are attached, and an interpreter that runs a checked one over a packet.
 * Pure code (no locks, no allocation), shared by every socket that takes a filter and tested
 * on the host (tests/unit/test_bpf.c).
 */
#pragma once

#include "lib/types.h"

#define BPF_MAXINSNS 4096 /* Linux's limit */
#define BPF_MEMWORDS 16

/* struct sock_filter: one instruction. */
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
_Static_assert(sizeof(struct bpf_insn) == 8, "struct sock_filter");

/* struct sock_fprog as user space passes it (x86_64: the pointer at offset 8). */
struct bpf_fprog_u {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter; /* user pointer to len instructions */
};
_Static_assert(sizeof(struct bpf_fprog_u) == 16, "struct sock_fprog");

/* A checked program, as a socket keeps it. */
struct bpf_prog {
	uint16_t len;
	struct bpf_insn insns[];
};

/*
 * Whether insns[0..len) is a program Linux would accept: 1..BPF_MAXINSNS instructions, known
 * opcodes only, every jump forward and inside the program, no division or modulo by a
 * constant zero, scratch memory indices below BPF_MEMWORDS and read only after a store on every
 * path, and a return as the last instruction. 0 or -EINVAL.
 */
int bpf_check(const struct bpf_insn *insns, unsigned len);
/*
 * Runs a checked program over pkt[0..len): how many bytes of the packet to keep (0: drop it).
 * Loads outside the packet end the program with 0, as on Linux.
 */
uint32_t bpf_run(const struct bpf_prog *prog, const uint8_t *pkt, size_t len);
