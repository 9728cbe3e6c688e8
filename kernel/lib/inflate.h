/*
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding from one memory buffer into another, for the
 * initramfs. Hostile input is expected: nothing is read past in_len or written past out_cap, every
 * loop is bounded by the input or the output, and nothing recurses or allocates.
 */
#pragma once

#include "lib/types.h"

#define INFLATE_FAST_BITS 10 /* codes up to this long decode with one table look-up */

/* One Huffman code: a direct table for short codes, canonical counts for the rest. */
struct inflate_huff {
	uint16_t fast[1 << INFLATE_FAST_BITS]; /* length << 12 | symbol, 0: longer code or none */
	uint16_t count[16];                    /* codes of each length */
	uint16_t sym[288];                     /* symbols ordered by (length, value) */
};

/*
 * The decoder's tables, 13.5 KiB: too big for a 16 KiB kernel stack, so the caller provides it
 * (kmalloc, a static). It needs no initialisation and keeps nothing between calls; one state must
 * not serve two decodes at once. The functions themselves use under 1 KiB of stack.
 */
struct inflate_state {
	struct inflate_huff lit;  /* literal/length code */
	struct inflate_huff dist; /* distance code; the code-length code while a header is read */
	uint8_t lens[320];        /* code lengths of a dynamic block */
	uint32_t crc[8][256];     /* CRC-32 tables for slicing by 8, built by the gzip calls */
};

/*
 * Decodes one raw DEFLATE stream (up to and including its final block) from in into out, which
 * must not overlap; back-references may reach anywhere into out[0..]. *in_used (if not NULL) gets
 * the bytes the stream took, its last partial byte included; *out_len (if not NULL) the bytes
 * written, also on failure. Returns 0, -EINVAL (corrupt or truncated stream) or -ENOSPC (out_cap
 * too small: out is then full, *out_len == out_cap).
 */
int inflate_raw(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
		void *out, size_t out_cap, size_t *out_len);

/* True when p starts like a gzip member (magic 1f 8b, method 8 = deflate). */
bool gzip_is_gzip(const void *p, size_t n);

/*
 * The ISIZE of the last 4 bytes: the uncompressed size (mod 2^32) of a single-member file, to size
 * the output buffer. Only a hint: it is attacker-controlled (cap it), concatenated members
 * make it the last member's size only, and padding after the file hides it. 0 if n is too small.
 */
size_t gzip_isize(const void *in, size_t n);

/*
 * Decodes one gzip member: header (FTEXT/FHCRC/FEXTRA/FNAME/FCOMMENT), deflate data and trailer
 * (CRC32 and ISIZE checked). *in_used gets the member's length, so a caller can go on with what
 * follows (Linux's initramfs may append another archive). Returns 0, -EINVAL (bad header, flags or
 * stream; truncated), -ENOSPC (out_cap too small) or -EIO (header CRC16, CRC32 or ISIZE mismatch).
 */
int gzip_inflate_member(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
			void *out, size_t out_cap, size_t *out_len);

/*
 * Decodes every member of a gzip file back to back into out (as gzip -d does); zero bytes after
 * the last member are allowed, anything else after it is -EINVAL. Errors as gzip_inflate_member;
 * *out_len gets the bytes written, also on failure. On -ENOSPC a caller that trusted gzip_isize
 * may retry with a bigger buffer.
 */
int gzip_inflate(struct inflate_state *st, const void *in, size_t in_len, void *out,
		 size_t out_cap, size_t *out_len);

/* CRC-32 (IEEE 802.3, as gzip): start with crc = 0, feed the running value back in. */
uint32_t gzip_crc32(uint32_t crc, const void *p, size_t n);
