/*
 * Guest side of tests/system/net/packet_promisc.sh (a musl program in a busybox rootfs): an
 * AF_PACKET SOCK_DGRAM socket for EtherType 0x88b5 on eth0 counts, in three rounds, the frames
 * the host sends to the guest's MAC (PACKET_HOST) and to a foreign one (PACKET_OTHERHOST):
 * before PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC, with it, and after closing the socket that
 * held it. The NIC's own filter decides what arrives, so only the middle round may see the
 * foreign frames. Prints "promisc: ready N" before each round and "promisc: round N host H
 * other O" after it.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_TEST 0x88b5

static int open_socket(int ifindex)
{
	int s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_TEST));
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_TEST), .sll_ifindex = ifindex };
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("promisc: socket");
		return -1;
	}
	return s;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Counts this round's frames until the host's five to our MAC are in and one more second has
 * passed (the foreign ones were sent between them), or 12 s: QEMU holds received frames back
 * for a while after a receive-control write. */
static void round_count(int s, int n)
{
	printf("promisc: ready %d\n", n);
	fflush(stdout);
	int host = 0, other = 0;
	char tag[16];
	snprintf(tag, sizeof(tag), "round%d", n);
	double end = now() + 12;
	bool all_in = false;
	while (now() < end) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 200) != 1)
			continue;
		char buf[200];
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (r <= 0)
			continue;
		buf[r] = 0;
		if (strncmp(buf, tag, strlen(tag)) != 0)
			continue;
		if (from.sll_pkttype == PACKET_HOST)
			host++;
		else if (from.sll_pkttype == PACKET_OTHERHOST)
			other++;
		if (host == 5 && !all_in) {
			all_in = true;
			end = now() + 1;
		}
	}
	printf("promisc: round %d host %d other %d\n", n, host, other);
	fflush(stdout);
}

int main(void)
{
	int ifindex = (int)if_nametoindex("eth0");
	int s = open_socket(ifindex);
	if (s < 0)
		return 1;
	round_count(s, 1);
	int m = open_socket(ifindex);
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	if (m < 0 || setsockopt(m, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		perror("promisc: membership");
		return 1;
	}
	round_count(s, 2);
	close(m); /* its membership goes with it */
	round_count(s, 3);
	printf("promisc: done\n");
	return 0;
}
