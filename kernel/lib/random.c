/*
 * The CSPRNG (see random.h). State: a 256-bit ChaCha20 key, a 64-bit request counter used as
 * the nonce (so no two requests share a key stream even if a key repeated), and reseed
 * bookkeeping. Seeding and mixing absorb 32-byte chunks: key ^= chunk, then key = the first 32
 * bytes of ChaCha20(key, counter 0, a domain-separating nonce): a one-way step (the block
 * function adds its input back), so the old key cannot be recovered from the new one.
 *
 * Entropy sources, best first: RDSEED (CPUID.(7,0):EBX[18]), RDRAND (CPUID.1:ECX[30]), each
 * retried a bounded number of times while CF=0; always also the low bits of TSC deltas around
 * work whose duration varies (cpuid exits under a hypervisor, cache and interrupt effects).
 * FIXME: under TCG without RDRAND, jitter is close to deterministic; interrupt timing should
 * be mixed in once the IRQ layer offers a hook.
 */
#include "lib/random.h"
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/chacha20.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define RANDOM_RESEED_BYTES (1u << 20)
#define RANDOM_RESEED_TSC   (1ull << 32) /* ~1-2 s of cycles on current CPUs */
#define HW_RETRIES          32
#define JITTER_SAMPLES      256

static spinlock_t rng_lock = SPINLOCK_INIT;
static uint32_t rng_key[CHACHA20_KEY_WORDS];
static uint64_t rng_requests;
static uint64_t bytes_since_seed;
static uint64_t tsc_at_seed;
static bool seeded, have_rdrand, have_rdseed;

bool random_has_rdrand(void)
{
	return have_rdrand;
}

bool random_has_rdseed(void)
{
	return have_rdseed;
}

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < HW_RETRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok)
			return true;
	}
	return false;
}

static bool rdseed64(uint64_t *v)
{
	for (int i = 0; i < HW_RETRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok)
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

static void detect_hw(void)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	uint32_t max_leaf = a;
	cpuid(1, 0, &a, &b, &c, &d);
	have_rdrand = c & (1u << 30);
	if (max_leaf >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		have_rdseed = b & (1u << 18);
	}
}

/* key ^= chunk; key = ChaCha20(key, 0, domain)[0..31]. Caller holds rng_lock. */
static void absorb(const uint32_t chunk[CHACHA20_KEY_WORDS], uint32_t domain)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	const uint32_t nonce[3] = { 0x46657272 /* "Ferr" */, domain, 0xffffffffu };
	for (int i = 0; i < CHACHA20_KEY_WORDS; i++)
		rng_key[i] ^= chunk[i];
	chacha20_block(rng_key, 0, nonce, block);
	for (int i = 0; i < CHACHA20_KEY_WORDS; i++)
		rng_key[i] = chacha20_le32(block + 4 * i);
	memset(block, 0, sizeof(block));
}

static void absorb_bytes(const void *buf, size_t n, uint32_t domain)
{
	const uint8_t *p = buf;
	while (n) {
		uint32_t chunk[CHACHA20_KEY_WORDS] = { 0 };
		size_t take = n < sizeof(chunk) ? n : sizeof(chunk);
		memcpy(chunk, p, take);
		chunk[CHACHA20_KEY_WORDS - 1] ^= (uint32_t)take << 24; /* length, against padding ambiguity */
		absorb(chunk, domain);
		p += take;
		n -= take;
	}
}

/* Timing jitter: TSC deltas around a cpuid (serialising; a VM exit under a hypervisor). */
static void gather_jitter(void)
{
	uint32_t chunk[CHACHA20_KEY_WORDS];
	uint64_t prev = rdtsc();
	for (int s = 0; s < JITTER_SAMPLES; s += CHACHA20_KEY_WORDS) {
		for (int i = 0; i < CHACHA20_KEY_WORDS; i++) {
			uint32_t a, b, c, d;
			cpuid(0, 0, &a, &b, &c, &d);
			uint64_t now = rdtsc();
			chunk[i] = (uint32_t)(now - prev) ^ (uint32_t)(now << 16) ^ (uint32_t)(now >> 32);
			prev = now;
		}
		absorb(chunk, 1);
	}
	memset(chunk, 0, sizeof(chunk));
}

static void gather_hw(void)
{
	uint64_t words[CHACHA20_KEY_WORDS / 2];
	/* 4 chunks of 256 bits each: RDSEED output is full entropy; RDRAND's is conditioned. */
	for (int round = 0; round < 4; round++) {
		bool got = false;
		for (int i = 0; i < CHACHA20_KEY_WORDS / 2; i++) {
			uint64_t v = 0;
			bool ok = (have_rdseed && rdseed64(&v)) || (have_rdrand && rdrand64(&v));
			got |= ok;
			words[i] = ok ? v : rdtsc();
		}
		if (!got)
			break;
		absorb((const uint32_t *)words, 2);
	}
	memset(words, 0, sizeof(words));
}

/* Caller holds rng_lock. */
static void reseed_locked(void)
{
	if (!seeded)
		detect_hw();
	gather_hw();
	gather_jitter();
	uint64_t t = rdtsc();
	absorb_bytes(&t, sizeof(t), 3);
	tsc_at_seed = t;
	bytes_since_seed = 0;
	seeded = true;
}

void random_init(void)
{
	uint64_t fl = spin_lock_irqsave(&rng_lock);
	bool first = !seeded;
	if (first)
		reseed_locked();
	spin_unlock_irqrestore(&rng_lock, fl);
	if (first)
		pr_info("random: ChaCha20 CSPRNG seeded from %s%sTSC jitter\n", have_rdseed ? "RDSEED, " : "",
			have_rdrand ? "RDRAND, " : "");
}

void random_mix(const void *buf, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&rng_lock);
	if (!seeded)
		reseed_locked();
	absorb_bytes(buf, n, 4);
	spin_unlock_irqrestore(&rng_lock, fl);
}

/* Large requests are served in pieces so interrupts are not held off for long. */
#define PIECE 4096

static void generate_piece(uint8_t *out, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&rng_lock);
	if (!seeded || bytes_since_seed >= RANDOM_RESEED_BYTES || rdtsc() - tsc_at_seed >= RANDOM_RESEED_TSC)
		reseed_locked();
	uint64_t req = rng_requests++;
	const uint32_t nonce[3] = { (uint32_t)req, (uint32_t)(req >> 32), 0 };
	uint8_t block[CHACHA20_BLOCK_SIZE];
	/* Block 0 becomes the next key (fast key erasure); blocks 1.. are output. */
	chacha20_block(rng_key, 0, nonce, block);
	uint32_t cur_key[CHACHA20_KEY_WORDS];
	memcpy(cur_key, rng_key, sizeof(cur_key));
	for (int i = 0; i < CHACHA20_KEY_WORDS; i++)
		rng_key[i] = chacha20_le32(block + 4 * i);
	bytes_since_seed += n;
	spin_unlock_irqrestore(&rng_lock, fl);

	/* The rest runs without the lock: cur_key is ours alone now. */
	uint32_t ctr = 1;
	while (n) {
		chacha20_block(cur_key, ctr++, nonce, block);
		size_t take = n < sizeof(block) ? n : sizeof(block);
		memcpy(out, block, take);
		out += take;
		n -= take;
	}
	memset(block, 0, sizeof(block));
	memset(cur_key, 0, sizeof(cur_key));
	__asm__ volatile("" : : "r"(block), "r"(cur_key) : "memory");
}

void get_random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		size_t take = n < PIECE ? n : PIECE;
		generate_piece(p, take);
		p += take;
		n -= take;
	}
}
