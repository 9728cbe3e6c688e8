#!/bin/bash
# Runs ../shared/bench/osbench.c (unmodified, musl-gcc -static -O2) inside Ferrite under QEMU
# TCG, with the same machine shape as the Linux baseline (../shared/bench/linux-baseline.sh:
# -smp 2 -m 1G, no NIC), RUNS times (default 3), and prints each run's osbench lines.
# Usage: tools/osbench.sh [RUNS] [osbench test names...]   Env: SMP=2 (vCPUs; the baseline used 2)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
src=../shared/bench/osbench.c
tree=build/osbench-initrd
rm -rf "$tree"
mkdir -p "$tree"
musl-gcc -static -O2 -o "$tree/osbench" "$src"
make -s build/user/init/runtests
cp build/user/init/runtests "$tree/init"
(cd "$tree" && find . | cpio -o -H newc --quiet > ../osbench.cpio)
for i in $(seq "$runs"); do
	echo "== run $i"
	# osbench's file tests use the current directory: the runner starts it in /, the tmpfs root.
	timeout 900 qemu-system-x86_64 -accel tcg -smp "${SMP:-2}" -m 1G -nographic -no-reboot -nic none \
		-kernel build/ferrite.elf -initrd build/osbench.cpio \
		-append "console=ttyS0 -- /osbench $*" 2>&1 | tr -d '\r' | grep -E '^osbench:'
done
