#!/bin/bash
# Builds the Linux guest initramfs tools/tcp-perf.sh boots Debian's kernel with: Debian's
# busybox-static, the e1000 and virtio-net driver modules taken from the package of that kernel
# (the host has the image but no /lib/modules; both drivers are =m in Debian's config), and
# tools/netperf/linux-init.rc as /init, which loads them and runs the same guest half as
# Ferrite (tools/netperf/guest.rc). Also leaves the kernel image in build/linux-guest/.
# Usage: tools/linux-guest-net.sh OUTPUT.cpio.gz [GUEST_SCRIPT]      Env: LINUX_VER (default 6.1.0-56-amd64),
# LINUX_DEB (a downloaded linux-image-$LINUX_VER .deb; otherwise "apt-get download" fetches it
# into build/linux-guest/, the first time only).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
guest=${2:-$root/tools/netperf/guest.rc}
ver=${LINUX_VER:-6.1.0-56-amd64}
cache=$root/build/linux-guest
mkdir -p "$cache"
mods=$cache/mods-$ver
if [ ! -d "$mods" ]; then
	# Only the modules and the kernel are kept: the 70 MB package goes once they are out.
	deb=${LINUX_DEB:-}
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download "linux-image-$ver")
		deb=$(ls "$cache"/linux-image-"$ver"_*.deb | head -1)
	fi
	mkdir -p "$mods.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$mods.tmp" --wildcards \
		"./lib/modules/$ver/kernel/drivers/net/ethernet/intel/e1000/*" \
		"./lib/modules/$ver/kernel/drivers/net/virtio_net.ko*" \
		"./lib/modules/$ver/kernel/drivers/net/net_failover.ko*" \
		"./lib/modules/$ver/kernel/net/core/failover.ko*" \
		"./lib/modules/$ver/kernel/drivers/virtio/*" "./boot/vmlinuz-$ver"
	# Some kernels ship them xz-compressed; busybox insmod wants the plain ELF.
	find "$mods.tmp" -name '*.ko.xz' -exec unxz {} +
	mv "$mods.tmp" "$mods"
	[ -n "${LINUX_DEB:-}" ] || rm -f "$deb"
fi
# The kernel itself, for hosts without /boot/vmlinuz-$ver (tcp-perf.sh boots this copy then).
[ -f "$cache/vmlinuz-$ver" ] || cp "$mods/boot/vmlinuz-$ver" "$cache/vmlinuz-$ver"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,dev,proc,sys,tmp,modules}
cp /bin/busybox "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"
# Dependency order (each .ko's "depends=" modinfo string): the ring, virtio core, the PCI transport's helpers, the
# transport, then failover (virtio_net needs net_failover) and the two NIC drivers.
order="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net e1000"
for m in $order; do
	cp "$(find "$mods" -name "$m.ko" | head -1)" "$tree/modules/"
done
echo "$order" > "$tree/modules/order"
cp "$root/tools/netperf/linux-init.rc" "$tree/init"
cp "$guest" "$tree/tcpperf"
chmod +x "$tree/init" "$tree/tcpperf"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$out"
