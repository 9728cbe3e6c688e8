/*
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding, written from the RFCs. Huffman codes decode
 * through a direct table indexed by the next INFLATE_FAST_BITS input bits; the rare longer codes
 * walk the canonical code length by length. Bits are read LSB first from a 64-bit buffer
 * (x86_64 is little-endian, so eight input bytes load as one word).
 */
#include "lib/inflate.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

/* CRC-32 with the reflected polynomial 0xedb88320, one table entry per byte value. */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

uint32_t gzip_crc32(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * Slicing by 8 for the output check, about four times the speed: crc[k][v] is the CRC update
 * for byte v followed by k zero bytes, so eight bytes fold in with eight independent look-ups.
 */
static void crc_build(struct inflate_state *st)
{
	for (unsigned i = 0; i < 256; i++)
		st->crc[0][i] = crc_table[i];
	for (unsigned k = 1; k < 8; k++)
		for (unsigned i = 0; i < 256; i++) {
			uint32_t c = st->crc[k - 1][i];
			st->crc[k][i] = (c >> 8) ^ crc_table[c & 0xff];
		}
}

static uint32_t crc_fast(const struct inflate_state *st, const uint8_t *b, size_t n)
{
	const uint32_t(*t)[256] = st->crc;
	uint32_t crc = ~0u;
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;
		__builtin_memcpy(&w, b, 8);
		uint32_t lo = crc ^ (uint32_t)w, hi = (uint32_t)(w >> 32);
		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		      t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		      t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
	}
	while (n--)
		crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Input bits and output bytes of one decode. */
struct bits {
	const uint8_t *in;
	size_t in_len, pos; /* pos: next input byte to load into buf */
	/*
	 * buf holds cnt unconsumed bits, the next one in bit 0. Bits above cnt are zero or the
	 * stream's own next bits (a wide load takes part of one byte ahead), so OR-ing that byte in
	 * again on the next refill changes nothing.
	 */
	uint64_t buf;
	unsigned cnt;
	uint8_t *out;
	size_t cap, n; /* n: bytes written */
};

/* Tops buf up to at least 56 bits while input remains. Requires cnt < 64. */
static inline void refill(struct bits *b)
{
	if (likely(b->in_len - b->pos >= 8)) {
		uint64_t v;
		__builtin_memcpy(&v, b->in + b->pos, 8);
		b->buf |= v << b->cnt;
		b->pos += (63 - b->cnt) >> 3; /* the whole bytes that fitted */
		b->cnt |= 56;                 /* = cnt + 8 * those bytes */
		return;
	}
	while (b->cnt < 56 && b->pos < b->in_len) {
		b->buf |= (uint64_t)b->in[b->pos++] << b->cnt;
		b->cnt += 8;
	}
}

/* Makes n <= 32 bits available; false when the input ends first. */
static inline bool need(struct bits *b, unsigned n)
{
	if (b->cnt < n)
		refill(b);
	return b->cnt >= n;
}

static inline uint32_t take(struct bits *b, unsigned n)
{
	uint32_t v = (uint32_t)(b->buf & ((1ull << n) - 1));
	b->buf >>= n;
	b->cnt -= n;
	return v;
}

/*
 * Builds a decoder for the code lengths lens[0..n) (each 0..15, n <= 288). An over-subscribed
 * code is refused; an incomplete one is accepted, and its unused codes fail when decoded.
 */
static int huff_build(struct inflate_huff *h, const uint8_t *lens, unsigned n)
{
	uint16_t offs[16];
	unsigned len, i;
	int left = 1;

	memset(h->count, 0, sizeof(h->count));
	for (i = 0; i < n; i++)
		h->count[lens[i]]++;
	h->count[0] = 0;
	for (len = 1; len <= 15; len++) {
		left = (left << 1) - h->count[len];
		if (left < 0)
			return -EINVAL;
	}
	offs[1] = 0;
	for (len = 1; len < 15; len++)
		offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
	for (i = 0; i < n; i++)
		if (lens[i])
			h->sym[offs[lens[i]]++] = (uint16_t)i;

	/*
	 * Canonical codes are handed out in (length, symbol) order, which is sym[]'s order. The
	 * stream sends a code's first bit first, so the table is indexed by the code bit-reversed,
	 * and every index whose low len bits match decodes to it.
	 */
	memset(h->fast, 0, sizeof(h->fast));
	unsigned code = 0, idx = 0;
	for (len = 1; len <= INFLATE_FAST_BITS; len++) {
		for (unsigned k = 0; k < h->count[len]; k++, code++) {
			unsigned rev = 0;
			for (unsigned bit = 0; bit < len; bit++)
				rev |= ((code >> bit) & 1) << (len - 1 - bit);
			uint16_t e = (uint16_t)(len << 12 | h->sym[idx++]);
			for (unsigned j = rev; j < (1u << INFLATE_FAST_BITS); j += 1u << len)
				h->fast[j] = e;
		}
		code <<= 1;
	}
	return 0;
}

/* Decodes one symbol; -EINVAL for an unused code or when the input ends inside the code. */
static inline int huff_decode(struct bits *b, const struct inflate_huff *h)
{
	unsigned len, sym;

	if (b->cnt < 15)
		refill(b);
	unsigned e = h->fast[b->buf & ((1u << INFLATE_FAST_BITS) - 1)];
	if (likely(e)) {
		len = e >> 12;
		sym = e & 0x1ff;
	} else {
		/*
		 * A long code: walk the canonical code one length at a time. first is the first code
		 * of the current length and idx the index in sym[] of its symbol.
		 */
		uint64_t bits = b->buf;
		unsigned code = 0, first = 0, idx = 0;
		for (len = 1;; len++) {
			if (len > 15)
				return -EINVAL;
			code |= bits & 1;
			bits >>= 1;
			unsigned count = h->count[len];
			if (code - first < count) {
				sym = h->sym[idx + code - first];
				break;
			}
			idx += count;
			first = (first + count) << 1;
			code <<= 1;
		}
	}
	if (unlikely(len > b->cnt))
		return -EINVAL; /* the code ran past the end of the input */
	b->buf >>= len;
	b->cnt -= len;
	return (int)sym;
}

/* RFC 1951 3.2.5: length codes 257..285 and distance codes 0..29. */
static const uint16_t len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};

static inline __attribute__((always_inline)) int inflate_codes_in(struct bits *b,
								  const struct inflate_state *st)
{
	for (;;) {
		int sym = huff_decode(b, &st->lit);
		if (sym < 256) {
			if (sym < 0)
				return sym;
			if (unlikely(b->n == b->cap))
				return -ENOSPC;
			b->out[b->n++] = (uint8_t)sym;
			continue;
		}
		if (sym == 256)
			return 0;
		sym -= 257;
		if (sym >= 29)
			return -EINVAL; /* 286 and 287 exist only in the fixed code and mean nothing */
		if (!need(b, len_extra[sym]))
			return -EINVAL;
		size_t len = len_base[sym] + take(b, len_extra[sym]);

		int ds = huff_decode(b, &st->dist);
		if (ds < 0)
			return ds;
		if (ds >= 30)
			return -EINVAL;
		if (!need(b, dist_extra[ds]))
			return -EINVAL;
		size_t dist = dist_base[ds] + take(b, dist_extra[ds]);
		if (dist > b->n)
			return -EINVAL; /* before the start of the output */
		int full = 0;
		if (unlikely(len > b->cap - b->n)) {
			len = b->cap - b->n; /* fill the output, as far as it goes */
			full = -ENOSPC;
		}

		uint8_t *d = b->out + b->n;
		const uint8_t *s = d - dist;
		b->n += len;
		if (dist >= len && len >= 64) {
			memcpy(d, s, len);
		} else {
			/* Overlapping copies repeat the last dist bytes; short ones are not worth a call. */
			while (len--)
				*d++ = *s++;
		}
		if (full)
			return full;
	}
}

/* Decodes the symbols of a Huffman block up to its end-of-block code. */
static int inflate_codes(struct bits *b, const struct inflate_state *st)
{
	/* On a local copy the compiler keeps the bit buffer and counters in registers. */
	struct bits l = *b;
	int err = inflate_codes_in(&l, st);
	*b = l;
	return err;
}

static int inflate_stored(struct bits *b)
{
	/* Back to a byte boundary: drop the partial byte, give back the whole ones buffered. */
	b->pos -= b->cnt >> 3;
	b->buf = 0;
	b->cnt = 0;
	if (b->in_len - b->pos < 4)
		return -EINVAL;
	const uint8_t *p = b->in + b->pos;
	unsigned len = p[0] | p[1] << 8, nlen = p[2] | p[3] << 8;
	if ((len ^ nlen) != 0xffff)
		return -EINVAL;
	b->pos += 4;
	if (len > b->in_len - b->pos)
		return -EINVAL;
	unsigned fit = (unsigned)MIN((size_t)len, b->cap - b->n);
	memcpy(b->out + b->n, b->in + b->pos, fit);
	b->pos += fit;
	b->n += fit;
	return fit == len ? 0 : -ENOSPC;
}

static int inflate_fixed(struct bits *b, struct inflate_state *st)
{
	unsigned i;
	for (i = 0; i < 144; i++)
		st->lens[i] = 8;
	for (; i < 256; i++)
		st->lens[i] = 9;
	for (; i < 280; i++)
		st->lens[i] = 7;
	for (; i < 288; i++)
		st->lens[i] = 8;
	for (i = 0; i < 30; i++)
		st->lens[288 + i] = 5; /* codes 30 and 31 are left unused, so they fail */
	int err = huff_build(&st->lit, st->lens, 288);
	if (!err)
		err = huff_build(&st->dist, st->lens + 288, 30);
	if (!err)
		err = inflate_codes(b, st);
	return err;
}

static int inflate_dynamic(struct bits *b, struct inflate_state *st)
{
	static const uint8_t order[19] = {
		16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
	};
	uint8_t clens[19] = { 0 };
	unsigned nlit, ndist, nclen, i;
	int err;

	if (!need(b, 14))
		return -EINVAL;
	nlit = take(b, 5) + 257;
	ndist = take(b, 5) + 1;
	nclen = take(b, 4) + 4;
	if (nlit > 286 || ndist > 30)
		return -EINVAL;
	for (i = 0; i < nclen; i++) {
		if (!need(b, 3))
			return -EINVAL;
		clens[order[i]] = (uint8_t)take(b, 3);
	}
	/* The code-length code borrows the distance decoder until the lengths are read. */
	err = huff_build(&st->dist, clens, 19);
	if (err)
		return err;

	/* One sequence of lengths: repeats may run from the literal into the distance lengths. */
	for (i = 0; i < nlit + ndist;) {
		int sym = huff_decode(b, &st->dist);
		if (sym < 0)
			return sym;
		if (sym < 16) {
			st->lens[i++] = (uint8_t)sym;
			continue;
		}
		unsigned rep, val = 0;
		if (sym == 16) {
			if (i == 0 || !need(b, 2))
				return -EINVAL;
			val = st->lens[i - 1];
			rep = 3 + take(b, 2);
		} else if (sym == 17) {
			if (!need(b, 3))
				return -EINVAL;
			rep = 3 + take(b, 3);
		} else {
			if (!need(b, 7))
				return -EINVAL;
			rep = 11 + take(b, 7);
		}
		if (rep > nlit + ndist - i)
			return -EINVAL;
		while (rep--)
			st->lens[i++] = (uint8_t)val;
	}
	if (st->lens[256] == 0)
		return -EINVAL; /* no end-of-block code: the block could never end */

	err = huff_build(&st->lit, st->lens, nlit);
	if (!err)
		err = huff_build(&st->dist, st->lens + nlit, ndist);
	if (!err)
		err = inflate_codes(b, st);
	return err;
}

int inflate_raw(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
		void *out, size_t out_cap, size_t *out_len)
{
	struct bits b = { .in = in, .in_len = in_len, .out = out, .cap = out_cap };
	unsigned final;
	int err;

	/* Every block takes at least 3 bits, so the loop ends with the input. */
	do {
		if (!need(&b, 3)) {
			err = -EINVAL;
			break;
		}
		final = take(&b, 1);
		switch (take(&b, 2)) {
		case 0:
			err = inflate_stored(&b);
			break;
		case 1:
			err = inflate_fixed(&b, st);
			break;
		case 2:
			err = inflate_dynamic(&b, st);
			break;
		default:
			err = -EINVAL;
			break;
		}
	} while (!err && !final);

	if (in_used)
		*in_used = b.pos - (b.cnt >> 3); /* the last partial byte counts as used */
	if (out_len)
		*out_len = b.n;
	return err;
}

/* RFC 1952 2.3.1 header flags. */
#define GZ_FTEXT    0x01
#define GZ_FHCRC    0x02
#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10
#define GZ_FRESERVED 0xe0

#define GZ_MIN_MEMBER 20 /* 10-byte header, an empty 2-byte fixed block, 8-byte trailer */

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool gzip_is_gzip(const void *p, size_t n)
{
	const uint8_t *b = p;
	return n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8;
}

size_t gzip_isize(const void *in, size_t n)
{
	if (n < GZ_MIN_MEMBER || !gzip_is_gzip(in, n))
		return 0;
	return le32((const uint8_t *)in + n - 4);
}

/* Skips a zero-terminated header string at *pos; false when it runs off the end. */
static bool skip_string(const uint8_t *p, size_t n, size_t *pos)
{
	const uint8_t *nul = memchr(p + *pos, 0, n - *pos);
	if (!nul)
		return false;
	*pos = (size_t)(nul - p) + 1;
	return true;
}

/* gzip_inflate_member with st->crc already built. */
static int gz_member(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
		     void *out, size_t out_cap, size_t *out_len)
{
	const uint8_t *p = in;
	size_t pos = 10, used, n = 0;
	int err;

	if (out_len)
		*out_len = 0;
	if (in_len < 10 || !gzip_is_gzip(p, in_len))
		return -EINVAL;
	unsigned flg = p[3]; /* then MTIME, XFL, OS: nothing to check */
	if (flg & GZ_FRESERVED)
		return -EINVAL;
	if (flg & GZ_FEXTRA) {
		if (in_len - pos < 2)
			return -EINVAL;
		size_t xlen = p[pos] | p[pos + 1] << 8;
		pos += 2;
		if (xlen > in_len - pos)
			return -EINVAL;
		pos += xlen;
	}
	if ((flg & GZ_FNAME) && !skip_string(p, in_len, &pos))
		return -EINVAL;
	if ((flg & GZ_FCOMMENT) && !skip_string(p, in_len, &pos))
		return -EINVAL;
	if (flg & GZ_FHCRC) {
		if (in_len - pos < 2)
			return -EINVAL;
		if ((gzip_crc32(0, p, pos) & 0xffff) != (unsigned)(p[pos] | p[pos + 1] << 8))
			return -EIO;
		pos += 2;
	}

	err = inflate_raw(st, p + pos, in_len - pos, &used, out, out_cap, &n);
	if (out_len)
		*out_len = n;
	if (err)
		return err;
	pos += used;
	if (in_len - pos < 8)
		return -EINVAL;
	if (le32(p + pos) != crc_fast(st, out, n) || le32(p + pos + 4) != (uint32_t)n)
		return -EIO;
	if (in_used)
		*in_used = pos + 8;
	return 0;
}

int gzip_inflate_member(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
			void *out, size_t out_cap, size_t *out_len)
{
	crc_build(st);
	return gz_member(st, in, in_len, in_used, out, out_cap, out_len);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int gzip_inflate(struct inflate_state *st, const void *in, size_t in_len, void *out,
		 size_t out_cap, size_t *out_len)
{
	const uint8_t *p = in;
	uint8_t *o = out;
	size_t pos = 0, total = 0;
	int err;

	crc_build(st);
	/* Each member takes at least GZ_MIN_MEMBER bytes, so the loop ends with the input. */
	do {
		size_t used = 0, n = 0;
		/* A member's back-references stay within its own output: it starts at o + total. */
		err = gz_member(st, p + pos, in_len - pos, &used, o + total, out_cap - total, &n);
		total += n;
		pos += used;
	} while (!err && pos < in_len && !all_zero(p + pos, in_len - pos));

	if (out_len)
		*out_len = total;
	return err;
}
