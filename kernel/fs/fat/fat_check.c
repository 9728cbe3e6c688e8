/*
 * FAT's pure logic: boot-sector validation, FAT entry encoding, directory entries and long
 * names (UTF-16 <-> UTF-8, checksums, slot assembly), 8.3 name generation, and FAT time.
 * Every input here may be hostile (a corrupt or crafted disk): nothing is trusted unchecked.
 */
#include "fs/fat/fat_layout.h"

#include "lib/errno.h"
#include "lib/string.h"

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int fat_parse_bpb(const uint8_t *bs, uint64_t dev_bytes, struct fat_geom *g)
{
	memset(g, 0, sizeof(*g));
	/* The jump instruction every formatter writes; the 55 AA mark is not required (Linux). */
	if (bs[0] != 0xeb && bs[0] != 0xe9)
		return -EINVAL;
	g->bps = fat_le16(bs + 11);
	g->spc = bs[13];
	uint32_t reserved = fat_le16(bs + 14);
	g->nfats = bs[16];
	g->root_entries = fat_le16(bs + 17);
	uint32_t total16 = fat_le16(bs + 19);
	uint8_t media = bs[21];
	uint32_t fat16 = fat_le16(bs + 22);
	uint32_t total32 = fat_le32(bs + 32);
	if (!pow2(g->bps) || g->bps < 512 || g->bps > 4096 || !pow2(g->spc))
		return -EINVAL;
	g->cluster_size = g->bps * g->spc;
	if (g->cluster_size > 65536 || !reserved || !g->nfats || g->nfats > 4)
		return -EINVAL;
	if (media != 0xf0 && media < 0xf8)
		return -EINVAL;
	g->total_sectors = total16 ? total16 : total32;
	bool fat32 = fat16 == 0;
	g->fat_sectors = fat32 ? fat_le32(bs + 36) : fat16;
	if (!g->fat_sectors || !g->total_sectors)
		return -EINVAL;
	if (fat32 && g->root_entries)
		return -EINVAL;
	if (!fat32 && !g->root_entries)
		return -EINVAL;
	if (g->total_sectors > dev_bytes / g->bps)
		return -EINVAL;
	g->fat_start = reserved;
	uint64_t root_bytes = (uint64_t)g->root_entries * FAT_DIRENT_SIZE;
	uint64_t root_sectors = (root_bytes + g->bps - 1) / g->bps;
	uint64_t root_start = reserved + (uint64_t)g->nfats * g->fat_sectors;
	uint64_t data_start = root_start + root_sectors;
	if (data_start >= g->total_sectors)
		return -EINVAL;
	g->root_start = (uint32_t)root_start;
	g->data_start = (uint32_t)data_start;
	uint64_t clusters = (g->total_sectors - data_start) / g->spc;
	if (fat32)
		g->bits = 32;
	else
		g->bits = clusters < 4085 ? 12 : 16;
	if (!fat32 && clusters >= 65525)
		return -EINVAL; /* a FAT16 BPB cannot describe that many */
	if (clusters > 0x0ffffff5 - 1 || clusters < 1)
		return -EINVAL;
	/* A FAT smaller than the data area: only the clusters it can number exist. */
	uint64_t capacity = (uint64_t)g->fat_sectors * g->bps * 8 / g->bits;
	if (capacity < 3)
		return -EINVAL;
	if (clusters > capacity - 2)
		clusters = capacity - 2;
	g->clusters = (uint32_t)clusters;
	g->mirror = true;
	if (fat32) {
		uint16_t ext = fat_le16(bs + 40);
		if (fat_le16(bs + 42) != 0)
			return -EINVAL; /* an unknown FAT32 version */
		if (ext & 0x80) {
			g->mirror = false;
			g->active_fat = ext & 0x0f;
			if (g->active_fat >= g->nfats)
				return -EINVAL;
		}
		g->root_cluster = fat_le32(bs + 44);
		if (g->root_cluster < 2 || g->root_cluster > g->clusters + 1)
			return -EINVAL;
		uint32_t fsinfo = fat_le16(bs + 48);
		g->fsinfo_sector = fsinfo && fsinfo < reserved ? fsinfo : 0;
	}
	return 0;
}

uint32_t fat_entry_decode(uint32_t bits, uint32_t n, const uint8_t *p)
{
	if (bits == 12) {
		uint32_t w = fat_le16(p);
		return (n & 1) ? w >> 4 : w & 0xfff;
	}
	if (bits == 16)
		return fat_le16(p);
	return fat_le32(p) & 0x0fffffff;
}

void fat_entry_encode(uint32_t bits, uint32_t n, uint8_t *p, uint32_t v)
{
	if (bits == 12) {
		uint32_t w = fat_le16(p);
		if (n & 1)
			w = (w & 0x000f) | (v & 0xfff) << 4;
		else
			w = (w & 0xf000) | (v & 0xfff);
		fat_put16(p, (uint16_t)w);
	} else if (bits == 16) {
		fat_put16(p, (uint16_t)v);
	} else {
		fat_put32(p, (fat_le32(p) & 0xf0000000) | (v & 0x0fffffff));
	}
}

uint32_t fat_eoc(uint32_t bits)
{
	return bits == 12 ? 0xfff : bits == 16 ? 0xffff : 0x0fffffff;
}

enum fat_next fat_classify(const struct fat_geom *g, uint32_t v)
{
	uint32_t eoc_min = g->bits == 12 ? 0xff8 : g->bits == 16 ? 0xfff8 : 0x0ffffff8;
	if (v == 0)
		return FAT_NEXT_FREE;
	if (v >= eoc_min)
		return FAT_NEXT_EOC;
	if (v >= 2 && v <= g->clusters + 1)
		return FAT_NEXT_CLUSTER;
	return FAT_NEXT_BAD;
}

/* ---- names ---- */

uint8_t fat_lfn_checksum(const uint8_t short_name[11])
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + short_name[i]);
	return sum;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A byte of an 8.3 name as shown. Bytes past ASCII are in the OEM code page, which we do not
 * translate (0x05 stands for a first byte 0xE5, also OEM); what no name may hold ('/', NUL,
 * control characters) only appears on a corrupt disk. */
static char shown_char(uint8_t c)
{
	return c >= 0x80 || c < 0x20 || c == '/' ? '_' : (char)c;
}

size_t fat_short_to_str(const uint8_t sn[11], uint8_t case_bits, char *out)
{
	size_t n = 0;
	int base = 8, ext = 3;
	while (base > 0 && sn[base - 1] == ' ')
		base--;
	while (ext > 0 && sn[8 + ext - 1] == ' ')
		ext--;
	for (int i = 0; i < base; i++) {
		char ch = shown_char(sn[i]);
		out[n++] = (case_bits & FAT_CASE_LOWER_BASE) ? lower(ch) : ch;
	}
	if (!base)
		out[n++] = '_'; /* a corrupt all-blank name still needs a name */
	if (ext) {
		out[n++] = '.';
		for (int i = 0; i < ext; i++) {
			char ch = shown_char(sn[8 + i]);
			out[n++] = (case_bits & FAT_CASE_LOWER_EXT) ? lower(ch) : ch;
		}
	}
	out[n] = 0;
	return n;
}

int fat_utf16_to_utf8(const uint16_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = in[i];
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 1 >= n || in[i + 1] < 0xdc00 || in[i + 1] > 0xdfff)
				return -1;
			c = 0x10000 + ((c - 0xd800) << 10) + (in[i + 1] - 0xdc00);
			i++;
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			return -1;
		}
		if (c == 0 || c == '/')
			return -1;
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = 0;
	return (int)o;
}

int fat_utf8_to_utf16(const char *in, size_t len, uint16_t *out)
{
	size_t o = 0;
	const uint8_t *s = (const uint8_t *)in;
	for (size_t i = 0; i < len;) {
		uint32_t c = s[i];
		int extra;
		if (c < 0x80) {
			extra = 0;
		} else if ((c & 0xe0) == 0xc0) {
			extra = 1;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3;
			c &= 0x07;
		} else {
			return -1;
		}
		for (int k = 1; k <= extra; k++) {
			if (i + (size_t)k >= len || (s[i + k] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past Unicode are not UTF-8. */
		static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
		if (c < min[extra] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return -1;
		i += (size_t)extra + 1;
		if (c >= 0x10000) {
			if (o + 2 > FAT_LFN_MAX)
				return -2;
			c -= 0x10000;
			out[o++] = (uint16_t)(0xd800 + (c >> 10));
			out[o++] = (uint16_t)(0xdc00 + (c & 0x3ff));
		} else {
			if (o + 1 > FAT_LFN_MAX)
				return -2;
			out[o++] = (uint16_t)c;
		}
	}
	return (int)o;
}

bool fat_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* ---- directory entries ---- */

static const uint8_t lfn_offsets[FAT_LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

enum fat_feed fat_feed(struct fat_lfn_state *st, const uint8_t *de, struct fat_dirent *out)
{
	if (de[0] == 0) {
		st->next_seq = 0;
		return FAT_FEED_END;
	}
	if (de[0] == FAT_DELETED) {
		st->next_seq = 0;
		return FAT_FEED_SKIP;
	}
	uint8_t attr = de[11];
	if ((attr & 0x3f) == FAT_ATTR_LFN) {
		uint8_t seq = de[0];
		int n = seq & 0x1f;
		if (seq & 0x40) {
			/* The last part comes first: it starts a new name. */
			if (n < 1 || n > 20) {
				st->next_seq = 0;
				return FAT_FEED_SKIP;
			}
			st->slots = (uint32_t)n;
			st->csum = de[13];
			st->units = (uint32_t)n * FAT_LFN_CHARS;
			st->next_seq = n;
		} else if (!st->next_seq || n != st->next_seq || de[13] != st->csum) {
			st->next_seq = 0;
			return FAT_FEED_SKIP;
		}
		uint32_t base = (uint32_t)(n - 1) * FAT_LFN_CHARS;
		for (int i = 0; i < FAT_LFN_CHARS; i++)
			st->name[base + i] = fat_le16(de + lfn_offsets[i]);
		st->next_seq = n - 1 ? n - 1 : -1; /* -1: complete, the short entry comes next */
		return FAT_FEED_SKIP;
	}
	if (attr & FAT_ATTR_VOLUME) {
		st->next_seq = 0;
		return FAT_FEED_SKIP;
	}
	memcpy(out->short_name, de, 11);
	out->attr = attr;
	out->cluster = 0; /* the caller knows the FAT type: fat_de_cluster */
	out->size = fat_le32(de + 28);
	out->mtime = fat_le16(de + 22);
	out->mdate = fat_le16(de + 24);
	out->lfn_slots = 0;
	int len = -1;
	if (st->next_seq == -1 && st->csum == fat_lfn_checksum(de)) {
		/* The name ends at a NUL (then 0xFFFF padding) or fills the slots. */
		uint32_t units = 0;
		while (units < st->units && st->name[units] != 0)
			units++;
		if (units && units <= FAT_LFN_MAX)
			len = fat_utf16_to_utf8(st->name, units, out->name);
		if (len > 255)
			len = -1; /* longer than Linux's NAME_MAX in UTF-8 */
		if (len > 0)
			out->lfn_slots = st->slots;
	}
	if (len <= 0)
		len = (int)fat_short_to_str(de, de[12], out->name);
	out->len = (size_t)len;
	st->next_seq = 0;
	return FAT_FEED_ENTRY;
}

/* ---- making names ---- */

static bool short_char_ok(uint8_t c)
{
	if (c < 0x20 || c >= 0x7f)
		return false;
	return !strchr("\"*+,./:;<=>?[\\]| ", c);
}

int fat_make_short(const char *name, size_t len, uint8_t sn[11], uint8_t *case_bits, bool *exact)
{
	if (!len || len > 255 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)name[i];
		if (c < 0x20 || c == 0x7f || strchr("\"*/:<>?\\|", c))
			return -EINVAL;
	}
	memset(sn, ' ', 11);
	*case_bits = 0;
	*exact = false;
	/* The extension follows the last dot (not a leading one). */
	size_t dot = len;
	for (size_t i = len; i-- > 1;) {
		if (name[i] == '.') {
			dot = i;
			break;
		}
	}
	/* Exactly 8.3: base 1-8 and extension 0-3 valid characters, each part one case. */
	size_t blen = dot, elen = dot < len ? len - dot - 1 : 0;
	bool fits = blen >= 1 && blen <= 8 && elen <= 3 && !(dot < len && elen == 0);
	int bcase = 0, ecase = 0; /* bit 1: upper seen, bit 2: lower seen */
	for (size_t i = 0; fits && i < len; i++) {
		if (i == dot)
			continue;
		uint8_t c = (uint8_t)name[i];
		if (!short_char_ok(c)) {
			fits = false;
			break;
		}
		int *cs = i < dot ? &bcase : &ecase;
		if (c >= 'a' && c <= 'z')
			*cs |= 2;
		else if (c >= 'A' && c <= 'Z')
			*cs |= 1;
	}
	if (fits && bcase != 3 && ecase != 3) {
		for (size_t i = 0; i < blen; i++)
			sn[i] = (uint8_t)(lower(name[i]) >= 'a' && lower(name[i]) <= 'z' ? name[i] & ~0x20 : name[i]);
		for (size_t i = 0; i < elen; i++) {
			char c = name[dot + 1 + i];
			sn[8 + i] = (uint8_t)(lower(c) >= 'a' && lower(c) <= 'z' ? c & ~0x20 : c);
		}
		if (sn[0] == FAT_DELETED)
			sn[0] = 0x05;
		*case_bits = (uint8_t)((bcase == 2 ? FAT_CASE_LOWER_BASE : 0) | (ecase == 2 ? FAT_CASE_LOWER_EXT : 0));
		*exact = true;
		return 0;
	}
	/* The basis of a "~n" alias: upper case, invalid characters as '_', no spaces or dots. */
	size_t o = 0;
	for (size_t i = 0; i < dot && o < 8; i++) {
		uint8_t c = (uint8_t)name[i];
		if (c == ' ' || c == '.')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		sn[o++] = short_char_ok(c) ? c : '_';
	}
	if (!o)
		sn[o++] = '_';
	o = 0;
	for (size_t i = dot + 1; i < len && o < 3; i++) {
		uint8_t c = (uint8_t)name[i];
		if (c == ' ' || c == '.')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		sn[8 + o++] = short_char_ok(c) ? c : '_';
	}
	return 0;
}

void fat_short_tail(const uint8_t basis[11], unsigned n, uint8_t out[11])
{
	char digits[12];
	int nd = 0;
	for (unsigned v = n; v; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	int base = 8;
	while (base > 0 && basis[base - 1] == ' ')
		base--;
	int keep = base < 8 - 1 - nd ? base : 8 - 1 - nd;
	memcpy(out, basis, 11);
	memset(out, ' ', 8);
	memcpy(out, basis, (size_t)keep);
	out[keep] = '~';
	for (int i = 0; i < nd; i++)
		out[keep + 1 + i] = (uint8_t)digits[nd - 1 - i];
}

unsigned fat_short_tail_of(const uint8_t basis[11], const uint8_t name[11])
{
	if (memcmp(basis + 8, name + 8, 3) != 0)
		return 0;
	int tilde = -1;
	for (int i = 7; i > 0; i--) {
		if (name[i] == '~') {
			tilde = i;
			break;
		}
	}
	if (tilde < 0)
		return 0;
	unsigned n = 0;
	int i = tilde + 1;
	for (; i < 8 && name[i] >= '0' && name[i] <= '9'; i++)
		n = n * 10 + (unsigned)(name[i] - '0');
	for (int k = i; k < 8; k++)
		if (name[k] != ' ')
			return 0;
	if (i == tilde + 1)
		return 0;
	/* The part before "~" must be the basis's start (or all of a shorter basis). */
	for (int k = 0; k < tilde; k++)
		if (name[k] != basis[k])
			return 0;
	return n;
}

uint32_t fat_lfn_slot_count(size_t units)
{
	return (uint32_t)((units + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS);
}

void fat_lfn_fill(uint8_t *slots, const uint16_t *name, size_t units, uint8_t csum)
{
	uint32_t count = fat_lfn_slot_count(units);
	for (uint32_t s = 0; s < count; s++) {
		/* Slot s on disk holds part count - s. */
		uint32_t part = count - s;
		uint8_t *de = slots + (size_t)s * FAT_DIRENT_SIZE;
		memset(de, 0, FAT_DIRENT_SIZE);
		de[0] = (uint8_t)(part | (s == 0 ? 0x40 : 0));
		de[11] = FAT_ATTR_LFN;
		de[13] = csum;
		for (int i = 0; i < FAT_LFN_CHARS; i++) {
			size_t k = (size_t)(part - 1) * FAT_LFN_CHARS + (size_t)i;
			uint16_t c = k < units ? name[k] : k == units ? 0 : 0xffff;
			fat_put16(de + lfn_offsets[i], c);
		}
	}
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t fat_time_to_unix(uint16_t date, uint16_t time)
{
	unsigned y = 1980 + (date >> 9), m = (date >> 5) & 15, d = date & 31;
	if (m < 1)
		m = 1;
	if (m > 12)
		m = 12;
	if (d < 1)
		d = 1;
	unsigned hh = time >> 11, mm = (time >> 5) & 63, ss = (time & 31) * 2;
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

void fat_time_from_unix(int64_t t, uint16_t *date, uint16_t *time)
{
	int64_t min = days_from_civil(1980, 1, 1) * 86400;
	int64_t max = days_from_civil(2107, 12, 31) * 86400 + 86399;
	if (t < min)
		t = min;
	if (t > max)
		t = max;
	int64_t days = t / 86400, secs = t % 86400;
	/* civil_from_days */
	days += 719468;
	int64_t era = days / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	*date = (uint16_t)((y - 1980) << 9 | m << 5 | d);
	*time = (uint16_t)((secs / 3600) << 11 | ((secs / 60) % 60) << 5 | (secs % 60) / 2);
}
