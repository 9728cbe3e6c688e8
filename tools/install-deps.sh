#!/bin/sh
# Installs what building, running and testing Ferrite needs (Debian packages). As root it runs
# apt-get itself; otherwise it prints the exact command and fails.
set -u

missing=""
need() { # need PACKAGE TEST...: the package is missing when the test fails
	pkg=$1
	shift
	"$@" > /dev/null 2>&1 || missing="$missing $pkg"
}
has() { command -v "$1"; }

need gcc has gcc
need make has make
need binutils has ld
need qemu-system-x86 has qemu-system-x86_64
need qemu-utils has qemu-img
need grub-common has grub-mkrescue
need grub-pc-bin test -d /usr/lib/grub/i386-pc
need grub-efi-amd64-bin test -d /usr/lib/grub/x86_64-efi
need xorriso has xorriso
need mtools has mformat
need ovmf test -f /usr/share/OVMF/OVMF_CODE.fd
need cpio has cpio
need gzip has gzip
need python3 has python3
need musl-tools has musl-gcc
need busybox-static test -x /bin/busybox
# Disk images for the storage tests: partition tables, ext2 file systems, FAT.
need fdisk has sfdisk
need gdisk has sgdisk
need e2fsprogs has mkfs.ext2
need dosfstools has mkfs.fat
# Network tests: curl fetches from Ferrite's httpd; ip makes the tap tests' namespaces.
need curl has curl
need iproute2 has ip

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing > /dev/null ||
		{ echo "install-deps: apt-get failed" >&2; exit 1; }
else
	echo "install-deps: missing packages. Run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
