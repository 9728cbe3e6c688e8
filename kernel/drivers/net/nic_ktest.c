/*
 * nic_irq (automatic): every e1000/e1000e card the boot found must deliver an interrupt to
 * its driver (MSI or INTx, whichever the driver got), on every machine and interrupt mode the
 * ktest boots cover; nothing leaves the machine.
 *
 * The NIC drivers' end-to-end ktest for the tap harness (tests/system/net/tap_*.sh): a UDP echo
 * on port 7777 over whatever eth0 the driver registered and ip= configured (any address, unlike
 * the slirp ktests' fixed 10.0.2.15). Besides echoing and logging each datagram's length and
 * FNV-1a hash, it measures raw throughput for docs/PERFORMANCE.md:
 *   "blast..."            counted only (no log, no echo): the host floods these;
 *   "report"              logs and answers "<datagrams> <bytes> <first-to-last us>" of the blast;
 *   "send <n> <size>"     the guest sends n datagrams of size bytes back as fast as it can;
 *   "quit"                ends the test (echoed first).
 */
#include "console/console.h"
#include "drivers/net/netdrivers.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "net/net.h"
#include "sched/sched.h"
#include "test/ktest.h"
#include "time/clock.h"

static uint64_t nic_fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* A decimal number at *p (advanced past it and one separator). */
static unsigned long nic_parse_num(const char **p, const char *end)
{
	unsigned long v = 0;
	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	if (*p < end)
		(*p)++;
	return v;
}

static void nic_send_burst(struct udp_endpoint *ep, in_addr_t dst, uint16_t port, uint8_t *buf, const char *args,
			   const char *end)
{
	unsigned long n = nic_parse_num(&args, end), size = nic_parse_num(&args, end);
	if (n > 1000000 || size < 8 || size > 1472)
		return;
	memset(buf, 'x', size);
	unsigned long sent = 0;
	uint64_t t0 = clock_monotonic_ns();
	for (unsigned long i = 0; i < n; i++) {
		memcpy(buf, &i, sizeof(i));
		if (udp_sendto(ep, dst, port, buf, size) == 0)
			sent++;
		else
			thread_yield(); /* transmit ring full: let the device drain it */
	}
	uint64_t us = (clock_monotonic_ns() - t0) / 1000;
	pr_info("net: udp echo: sent %lu of %lu datagrams of %lu bytes in %llu us\n", sent, n, size,
		(unsigned long long)us);
}

KTEST_MANUAL(net_udp_echo)
{
	struct net_device *eth = netdev_get_by_name("eth0");
	for (int i = 0; i < 200 && eth && !eth->ipv4_addr; i++)
		thread_sleep_ns(100000000ull);
	bool configured = eth && eth->ipv4_addr;
	if (eth)
		netdev_put(eth); /* only its address mattered */
	KT_ASSERT(configured);
	int err;
	struct udp_endpoint *ep = udp_open(7777, &err);
	KT_ASSERT(ep != NULL);
	uint8_t *buf = kmalloc(65536);
	if (!buf) {
		udp_close(ep);
		KT_ASSERT(buf != NULL);
	}
	pr_info("net: udp echo: listening on port 7777\n");
	unsigned long got = 0, blasts = 0, blast_bytes = 0;
	uint64_t blast_first = 0, blast_last = 0;
	bool quit = false;
	uint64_t deadline = clock_monotonic_ns() + 90000000000ull;
	while (!quit && clock_monotonic_ns() < deadline) {
		in_addr_t src;
		uint16_t sport;
		ssize_t n = udp_recvfrom(ep, buf, 65536, &src, &sport, 1000000000ull);
		if (n < 0)
			continue;
		got++;
		size_t len = (size_t)n < 65536 ? (size_t)n : 65536;
		if (len >= 5 && memcmp(buf, "blast", 5) == 0) {
			blast_last = clock_monotonic_ns();
			if (!blasts++)
				blast_first = blast_last;
			blast_bytes += len;
			continue;
		}
		if (len == 6 && memcmp(buf, "report", 6) == 0) {
			char msg[80];
			int m = snprintf(msg, sizeof(msg), "%lu %lu %llu", blasts, blast_bytes,
					 (unsigned long long)((blast_last - blast_first) / 1000));
			pr_info("net: udp echo: blast of %s\n", msg);
			udp_sendto(ep, src, sport, msg, (size_t)m);
			blasts = blast_bytes = 0;
			continue;
		}
		if (len > 5 && memcmp(buf, "send ", 5) == 0) {
			nic_send_burst(ep, src, sport, buf, (const char *)buf + 5, (const char *)buf + len);
			continue;
		}
		quit = len == 4 && memcmp(buf, "quit", 4) == 0;
		pr_info("net: udp echo: %zu bytes fnv1a64 %016llx\n", len, (unsigned long long)nic_fnv1a64(buf, len));
		udp_sendto(ep, src, sport, buf, len);
	}
	kfree(buf);
	udp_close(ep);
	/* The machine powers off right after the ktests: let the last echo leave first (QEMU's
	 * virtio-net sends from a bottom half, after the notification returned). */
	thread_sleep_ns(200000000ull);
	pr_info("net: udp echo: %lu datagrams\n", got);
	KT_ASSERT(quit);
}

KTEST(nic_irq)
{
	unsigned tested = 0;
	for (int i = 0; i < 8; i++) {
		char name[8] = "eth0";
		name[3] = (char)('0' + i);
		struct net_device *dev = netdev_get_by_name(name);
		if (!dev)
			continue;
		int r = e1000_test_irq(dev);
		netdev_put(dev);
		if (r == -ENODEV)
			continue;
		KT_ASSERT_EQ(r, 1);
		tested++;
	}
	if (!tested)
		kprintf("ktest: nic_irq: no e1000/e1000e card; skipped\n");
}
