#!/bin/sh
# Builds a gzip-compressed initramfs (cpio newc) around Debian's unmodified busybox-static:
# /bin/busybox with a link for every applet, the files under user/rootfs/ (/init, /etc), and
# the usual empty directories. Extra files: SRC:DEST pairs after the output name.
# usage: mkrootfs.sh OUTPUT.cpio.gz [SRC:DEST]...
set -eu
out=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "mkrootfs: $busybox missing (Debian package busybox-static)" >&2; exit 1; }

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/bin" "$tree/sbin" "$tree/usr/bin" "$tree/usr/sbin" "$tree/lib" "$tree/proc" \
	"$tree/sys" "$tree/dev" "$tree/tmp" "$tree/root" "$tree/var/log" "$tree/mnt"
chmod 1777 "$tree/tmp"
cp "$busybox" "$tree/bin/busybox"
# Every applet as a symbolic link to /bin/busybox, where busybox itself would install it.
for applet in $("$busybox" --list-full); do
	[ -e "$tree/$applet" ] || ln -s /bin/busybox "$tree/$applet"
done
cp -R "$root/user/rootfs/." "$tree/"
for pair in "$@"; do
	src=${pair%%:*} dest=${pair#*:}
	mkdir -p "$tree/$(dirname "$dest")"
	# An applet link there points at /bin/busybox: cp would write through it to the host's. What
	# the file replaces was executable (an applet, /init): so is the replacement.
	exec_bit=
	[ -x "$tree/$dest" ] && exec_bit=1
	rm -f "$tree/$dest"
	cp -L "$src" "$tree/$dest"
	[ -z "$exec_bit" ] || chmod +x "$tree/$dest"
done
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
