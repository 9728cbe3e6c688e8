#!/bin/bash
# TCP throughput host<->guest through a tap in a network namespace (tests/system/net/
# lib_tap.bash, no impairment), Ferrite beside Debian's Linux in the same QEMU set-up, for
# docs/PERFORMANCE.md. A benchmark, not part of make test. Needs root, netns, /dev/net/tun.
#
# Inside the guest, busybox nc moves the bytes (tools/netperf/guest.rc): no iperf3 runs there,
# so the host side is not iperf3 either but tools/netperf/tcp_perf_host.py, which sends MIB MiB
# to the guest and receives MIB MiB from it, ROUNDS times per boot, timing each transfer.
#
# Usage: tools/tcp-perf.sh [OS...]   OS: ferrite linux (default both)
# Env:   NICS="e1000 virtio-net-pci"  ROUNDS=5  MIB=16  SMP=2  MEM=512M
#        OUT=build/tcp-perf (one log per OS/NIC, and results.txt with every transfer)
#        FERRITE_KERNEL=build/ferrite.elf (another build, for before/after comparisons)
#        FERRITE_APPEND="virtio_net.offload=0" (more of Ferrite's command line)
source "$(dirname "$0")/../tests/system/lib.sh"
source "$ROOT/tests/system/net/lib_tap.bash"
NICS=${NICS:-e1000 virtio-net-pci}
ROUNDS=${ROUNDS:-5} MIB=${MIB:-16} SMP=${SMP:-2} MEM=${MEM:-512M}
OUT=${OUT:-$BUILD/tcp-perf}
KERNEL=${FERRITE_KERNEL:-$KERNEL}
mkdir -p "$OUT"
LOGDIR=$OUT
work=$(mktemp -d)
trap 'tap_cleanup; rm -rf "$work"' EXIT

sed "s/^rounds=.*/rounds=$ROUNDS mib=$MIB/" "$ROOT/tools/netperf/guest.rc" > "$work/guest.rc"
chmod +x "$work/guest.rc"
for os in ${@:-ferrite linux}; do
	case $os in
	ferrite)
		sh "$ROOT/tools/mkrootfs.sh" "$work/ferrite.cpio.gz" "$work/guest.rc:/tcpperf"
		boot=(-kernel "$KERNEL" -initrd "$work/ferrite.cpio.gz"
			-append "console=ttyS0 rdinit=/tcpperf $TAP_CMDLINE_IP ${FERRITE_APPEND:-}")
		;;
	linux)
		bash "$ROOT/tools/linux-guest-net.sh" "$work/linux.cpio.gz" "$work/guest.rc" || exit 1
		lk=${LINUX_KERNEL:-/boot/vmlinuz-6.1.0-56-amd64}
		[ -f "$lk" ] || lk=$BUILD/linux-guest/vmlinuz-6.1.0-56-amd64
		boot=(-kernel "$lk" -initrd "$work/linux.cpio.gz"
			-append "console=ttyS0 quiet rdinit=/init")
		;;
	*) echo "unknown OS $os" >&2; exit 2 ;;
	esac
	for nic in $NICS; do
		tap_setup || exit 1
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		tap_qemu "$os-$nic" 900 -machine q35 -smp "$SMP" -m "$MEM" -nic none \
			-device "$nic,netdev=n0,mac=52:54:00:77:00:02" "${boot[@]}"
		if ! tap_wait_log "tcpperf: ready" 120; then
			echo "$os $nic: the guest never got ready (log: $LOG)"
			tap_cleanup
			continue
		fi
		tap_exec timeout 800 python3 "$ROOT/tools/netperf/tcp_perf_host.py" "$TAP_GUEST" "$ROUNDS" "$MIB" 780 \
			> "$work/host.txt" 2>&1
		tap_qemu_wait
		sed "s/^perf: /$os $nic smp=$SMP load=${load// /,} /" "$work/host.txt" | tee -a "$OUT/results.txt"
		# Median and spread per direction, in Mbit/s.
		for dir in h2g g2h; do
			grep "^perf: $dir " "$work/host.txt" | awk '{print $6}' | sort -n |
				awk -v t="$os $nic $dir" '{v[NR]=$1} END {if (NR) printf "summary: %s median %.1f Mbit/s (min %.1f max %.1f, n=%d)\n", t, v[int((NR+1)/2)], v[1], v[NR], NR}' |
				tee -a "$OUT/results.txt"
		done
	done
done
