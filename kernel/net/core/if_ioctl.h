/*
 * The Linux interface and routing ioctls' user structures (x86_64 layouts from
 * <linux/if.h> and <linux/route.h>) and the pure helpers dev_ioctl.c uses, kept apart so the
 * host unit tests check the layouts and the helpers.
 */
#pragma once

#include "net/net.h"

#define SIOCADDRT      0x890b
#define SIOCDELRT      0x890c
#define SIOCGIFNAME    0x8910
#define SIOCGIFCONF    0x8912
#define SIOCGIFFLAGS   0x8913
#define SIOCSIFFLAGS   0x8914
#define SIOCGIFADDR    0x8915
#define SIOCSIFADDR    0x8916
#define SIOCGIFDSTADDR 0x8917
#define SIOCGIFBRDADDR 0x8919
#define SIOCSIFBRDADDR 0x891a
#define SIOCGIFNETMASK 0x891b
#define SIOCSIFNETMASK 0x891c
#define SIOCGIFMETRIC  0x891d
#define SIOCGIFMTU     0x8921
#define SIOCSIFMTU     0x8922
#define SIOCSIFHWADDR  0x8924
#define SIOCGIFHWADDR  0x8927
#define SIOCGIFINDEX   0x8933
#define SIOCGIFTXQLEN  0x8942
#define SIOCGIFMAP     0x8970

#define ARPHRD_ETHER    1
#define ARPHRD_LOOPBACK 772

#define RTF_UP      0x0001
#define RTF_GATEWAY 0x0002
#define RTF_HOST    0x0004

#define IFNAMSIZ 16

struct sockaddr_k {
	uint16_t family;
	uint8_t data[14];
};
_Static_assert(sizeof(struct sockaddr_k) == 16, "struct sockaddr");

struct ifmap_k {
	uint64_t mem_start, mem_end;
	uint16_t base_addr;
	uint8_t irq, dma, port;
};
_Static_assert(sizeof(struct ifmap_k) == 24, "struct ifmap");

struct ifreq_k {
	char name[IFNAMSIZ];
	union {
		struct sockaddr_k addr; /* ifr_addr, ifr_netmask, ifr_broadaddr, ifr_hwaddr... */
		int16_t flags;
		int32_t ivalue;         /* ifr_ifindex, ifr_mtu, ifr_metric, ifr_qlen */
		struct ifmap_k map;
		char newname[IFNAMSIZ];
		uint64_t data;
	} u;
};
_Static_assert(sizeof(struct ifreq_k) == 40, "struct ifreq");

struct ifconf_k {
	int32_t len;
	uint32_t pad;
	uint64_t buf; /* user pointer to struct ifreq[] */
};
_Static_assert(sizeof(struct ifconf_k) == 16, "struct ifconf");

struct rtentry_k {
	uint64_t pad1;
	struct sockaddr_k dst, gateway, genmask;
	uint16_t flags;
	int16_t pad2;
	uint64_t pad3;
	uint64_t pad4;
	int16_t metric;
	uint64_t dev;   /* user pointer to the device name, or 0 */
	uint64_t mtu, window;
	uint16_t irtt;
};
_Static_assert(sizeof(struct rtentry_k) == 120, "struct rtentry");
_Static_assert(__builtin_offsetof(struct rtentry_k, flags) == 56, "rt_flags");
_Static_assert(__builtin_offsetof(struct rtentry_k, metric) == 80, "rt_metric");
_Static_assert(__builtin_offsetof(struct rtentry_k, dev) == 88, "rt_dev");

/* The IPv4 address in an AF_INET sockaddr (network order); -EINVAL for another family. */
int if_sockaddr_ipv4(const struct sockaddr_k *sa, in_addr_t *out);
/* An AF_INET sockaddr holding addr. */
void if_sockaddr_fill(struct sockaddr_k *sa, in_addr_t addr);
/* The classful netmask Linux gives an address set without one (class A /8, B /16, C /24). */
in_addr_t if_classful_mask(in_addr_t addr);
/* Checks a route request and gives its destination and mask: -EINVAL when the mask is not a
 * prefix or the destination has bits outside it; a host route's mask is /32. */
int if_route_target(const struct rtentry_k *rt, in_addr_t *dst, in_addr_t *mask);
