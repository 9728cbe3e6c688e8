/*
 * cpio newc iterator; see cpio.h. Written from the format's description (man 5 cpio): a 110-byte
 * ASCII header, the name with its NUL, padding to 4 bytes, the data, padding to 4 bytes; offsets
 * count from the start of the archive.
 */
#include "fs/cpio.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

#define CPIO_TRAILER "TRAILER!!!"

/* Header fields after the 6-byte magic, 8 hex digits each, in archive order. */
enum {
	F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR, F_DEVMINOR,
	F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK, F_COUNT,
};
_Static_assert(6 + 8 * F_COUNT == CPIO_HEADER_SIZE, "newc header size");

bool cpio_is_newc(const void *p, size_t n)
{
	return n >= 6 && memcmp(p, "07070", 5) == 0 &&
	       (((const char *)p)[5] == '1' || ((const char *)p)[5] == '2');
}

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
	it->state = 0;
}

/* Exactly 8 hex digits, either case: no sign, prefix or space. */
static bool hex8(const uint8_t *p, uint32_t *v)
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++) {
		unsigned c = p[i], d;
		if (c - '0' < 10)
			d = c - '0';
		else if ((c | 0x20) - 'a' < 6)
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static int cpio_parse(struct cpio_iter *it, struct cpio_entry *out)
{
	const uint8_t *h = it->buf + it->pos;
	size_t left = it->len - it->pos; /* the caller checked pos <= len */
	uint32_t f[F_COUNT];

	if (left < CPIO_HEADER_SIZE || !cpio_is_newc(h, left))
		return -EINVAL; /* also an archive that ends without a trailer */
	for (int i = 0; i < F_COUNT; i++)
		if (!hex8(h + 6 + 8 * i, &f[i]))
			return -EINVAL;

	/* namesize counts the NUL: at least one character and the NUL. */
	uint32_t namesize = f[F_NAMESIZE];
	if (namesize < 2 || namesize > left - CPIO_HEADER_SIZE)
		return -EINVAL;
	const char *name = (const char *)h + CPIO_HEADER_SIZE;
	if (name[namesize - 1] != '\0' || memchr(name, 0, namesize - 1))
		return -EINVAL;

	/* Offsets from the archive start; pos + header + namesize <= len, so nothing overflows. */
	size_t data_off = align4(it->pos + CPIO_HEADER_SIZE + namesize);
	bool trailer = namesize == sizeof(CPIO_TRAILER) && memcmp(name, CPIO_TRAILER, namesize) == 0;
	if (trailer) {
		/* The end: the archive may stop right after the name, without the padding. */
		it->pos = MIN(data_off, it->len);
		return 0;
	}
	uint32_t size = f[F_FILESIZE];
	if (data_off > it->len || size > it->len - data_off)
		return -EINVAL;
	const uint8_t *data = it->buf + data_off;

	/* 070702: the sum of the data bytes. GNU cpio fills it in for regular files only. */
	if (h[5] == '2' && (f[F_MODE] & 0170000) == 0100000) {
		uint32_t sum = 0;
		for (uint32_t i = 0; i < size; i++)
			sum += data[i];
		if (sum != f[F_CHECK])
			return -EIO;
	}

	out->name = name;
	out->name_len = namesize - 1;
	out->mode = f[F_MODE];
	out->uid = f[F_UID];
	out->gid = f[F_GID];
	out->nlink = f[F_NLINK];
	out->mtime = f[F_MTIME];
	out->ino = f[F_INO];
	out->dev_major = f[F_DEVMAJOR];
	out->dev_minor = f[F_DEVMINOR];
	out->rdev_major = f[F_RDEVMAJOR];
	out->rdev_minor = f[F_RDEVMINOR];
	out->data = data;
	out->size = size;
	/* May pass len when the padding is missing; the next call then finds no header. */
	it->pos = align4(data_off + size);
	return 1;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *out)
{
	if (it->state != 0)
		return it->state == 1 ? 0 : it->state;
	int ret = it->pos <= it->len ? cpio_parse(it, out) : -EINVAL;
	if (ret <= 0)
		it->state = ret == 0 ? 1 : ret;
	return ret;
}
