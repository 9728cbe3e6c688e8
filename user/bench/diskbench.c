/*
 * diskbench: raw block-device throughput, the same program under Ferrite and Linux.
 *   diskbench DEVICE [MIB [SECONDS]]
 * On the first MIB MiB (default 64) of DEVICE: a sequential write in 1 MiB writes (fsync
 * included in the time), a sequential read in 1 MiB reads (checking what was written), then
 * 4 KiB reads at random 4 KiB-aligned offsets for SECONDS (default 5), one at a time (queue
 * depth 1). The device is opened with O_DIRECT, so the kernel's cache stays out of it; when the
 * kernel refuses O_DIRECT the program says so (direct=0) and goes through the cache. The
 * device's contents in that region are destroyed.
 * Output: one line, "diskbench: dev=... direct=1 mib=64 seq_write_mbs=... seq_read_mbs=...
 * rand4k_read_iops=... rand_reads=... errors=0".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BLKGETSIZE64 0x80081272
#define CHUNK (1 << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pattern of MiB number i: its first 8 bytes of every 4 KiB say where they are. */
static void fill(uint8_t *buf, uint64_t mib)
{
	for (size_t off = 0; off < CHUNK; off += 4096) {
		uint64_t tag = (mib << 20) + off;
		memcpy(buf + off, &tag, sizeof(tag));
		memset(buf + off + 8, (int)(mib & 0xff), 4096 - 8);
	}
}

static int check(const uint8_t *buf, uint64_t mib)
{
	for (size_t off = 0; off < CHUNK; off += 4096) {
		uint64_t tag;
		memcpy(&tag, buf + off, sizeof(tag));
		if (tag != (mib << 20) + off || buf[off + 8] != (uint8_t)(mib & 0xff))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: diskbench DEVICE [MIB [SECONDS]]\n");
		return 2;
	}
	const char *dev = argv[1];
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 64;
	double secs = argc > 3 ? atof(argv[3]) : 5;
	int direct = 1;
	int fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0 && errno == EINVAL) {
		direct = 0;
		fd = open(dev, O_RDWR);
	}
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	uint64_t size = 0;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) { /* a regular file (a host dry run) */
		off_t end = lseek(fd, 0, SEEK_END);
		size = end > 0 ? (uint64_t)end : 0;
	}
	if (mib > size >> 20)
		mib = size >> 20;
	if (!mib) {
		fprintf(stderr, "%s: smaller than 1 MiB\n", dev);
		return 1;
	}
	uint8_t *buf = aligned_alloc(4096, CHUNK);
	if (!buf)
		return 1;
	int errors = 0;

	double t0 = now_s();
	for (uint64_t i = 0; i < mib; i++) {
		fill(buf, i);
		if (pwrite(fd, buf, CHUNK, (off_t)(i << 20)) != CHUNK) {
			perror("write");
			return 1;
		}
	}
	if (fsync(fd) < 0)
		perror("fsync");
	double write_s = now_s() - t0;

	t0 = now_s();
	for (uint64_t i = 0; i < mib; i++) {
		if (pread(fd, buf, CHUNK, (off_t)(i << 20)) != CHUNK) {
			perror("read");
			return 1;
		}
		errors += check(buf, i);
	}
	double read_s = now_s() - t0;

	/* xorshift64: the same offsets on every kernel. */
	uint64_t x = 0x9e3779b97f4a7c15ull, blocks = mib << 8, reads = 0;
	t0 = now_s();
	double t = t0;
	while (t - t0 < secs) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uint64_t b = x % blocks;
			if (pread(fd, buf, 4096, (off_t)(b << 12)) != 4096) {
				perror("random read");
				return 1;
			}
			uint64_t tag;
			memcpy(&tag, buf, sizeof(tag));
			errors += tag != b << 12;
			reads++;
		}
		t = now_s();
	}
	double rand_s = t - t0;
	printf("diskbench: dev=%s direct=%d mib=%llu seq_write_mbs=%.1f seq_read_mbs=%.1f "
	       "rand4k_read_iops=%.0f rand_reads=%llu errors=%d\n",
	       dev, direct, (unsigned long long)mib, (double)mib / write_s, (double)mib / read_s,
	       (double)reads / rand_s, (unsigned long long)reads, errors);
	close(fd);
	return errors ? 1 : 0;
}
