#!/bin/bash
# Dynamically linked programs with their own loaders: Debian's glibc dash and ls with
# ld-linux-x86-64.so.2 and the libraries ldd lists copied from the host, and a musl-gcc program
# with /lib/ld-musl-x86_64.so.1, in a busybox initramfs; glibc.init runs them as PID 1. The
# expected output comes from running the same commands on the host.
source "$(dirname "$0")/../lib.sh"

init=$ROOT/tests/system/userland/glibc.init
dash=/usr/bin/dash
ls_bin=/bin/ls
musl_loader=$(readlink -f /lib/ld-musl-x86_64.so.1 2> /dev/null)
for f in "$dash" "$ls_bin" "$musl_loader"; do
	if [ ! -f "$f" ]; then
		fail setup "missing $f on the host (dash, coreutils, musl-tools)"
		exit 0
	fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The loader and every library, at the paths the programs ask for.
pairs=("$init:/init.sh" "$dash:/glibc/dash" "$ls_bin:/glibc/ls" "$musl_loader:/lib/ld-musl-x86_64.so.1")
for lib in $(ldd "$dash" "$ls_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
	pairs+=("$lib:$lib")
done
musl-gcc -O2 -Wall -Werror -o "$work/dynhello" "$ROOT/user/demo/dynhello.c"
pairs+=("$work/dynhello:/bin/dynhello")
img=$BUILD/glibc.cpio.gz
sh "$ROOT/tools/mkrootfs.sh" "$img" "${pairs[@]}" || { fail setup "mkrootfs failed"; exit 0; }

qemu_boot glibc 150 -machine q35 -m 512M -smp 2 -nic none -kernel "$KERNEL" -initrd "$img" \
	-append "console=ttyS0 rdinit=/init.sh"
rm -f "$img"

# The listing the host's ls gives of the same directory, on a tmpfs as in Ferrite (directory
# sizes are the file system's: tmpfs counts 20 bytes per entry).
if [ "$(stat -f -c %T /dev/shm 2> /dev/null)" = tmpfs ]; then
	k=$(mktemp -d -p /dev/shm)
else
	k=$work/k
	fail host_tmpfs "no tmpfs at /dev/shm: directory sizes will differ from Ferrite's tmpfs"
fi
trap 'rm -rf "$work" "$k"' EXIT
mkdir -p "$k/sub"
printf 'abc' > "$k/a"
printf '0123456789' > "$k/b"
chmod 600 "$k/a"
chmod 755 "$k/sub"
ln -s a "$k/link"
TZ=UTC touch -h -d '2023-11-14 22:13:20' "$k/a" "$k/b" "$k/sub" "$k/link"
LC_ALL=C TZ=UTC "$ls_bin" -l --time-style=long-iso "$k" | awk 'NR > 1 { $2 = $3 = $4 = ""; print "GL ls_l:" $0 }' > "$work/ls.expected"

out=$work/ferrite.out
log_text > "$out"
expect_log finished "GL DONE"
check() { # name expected
	local got
	got=$(sed -n "s/^GL $1: //p" "$out" | head -n 1)
	if [ "$got" = "$2" ]; then pass "$1"; else fail "$1" "expected '$2', got '$got' (log: $LOG)"; fi
}
check dash_arith 42
check dash_loop "1,2,3,"
check dash_func ok
check dash_read "second first"
check dash_trap exit
check dash_status 7
check dash_exe /glibc/dash
if diff <(grep '^GL ls_l:' "$out") "$work/ls.expected" > "$work/ls.diff"; then
	pass ls_l
else
	fail ls_l "differs from the host's listing: $(tr '\n' ' ' < "$work/ls.diff") (log: $LOG)"
fi
check ls_total total
check ls_plain "a b link sub "
check ls_status 2
check ls_proc "cmdline comm cwd environ exe fd maps mounts root stat statm status task "
check ls_proc_exe /bin/busybox
check dynhello "dynhello: argc=1 argv0=/bin/dynhello tls=42 at_base=set at_entry=set"
