#!/bin/bash
# Command timeouts: with blk.timeout=2, the ktest blk_timeout_reset makes the driver ignore one
# completion (as if the device had never sent it); the block watchdog must reset the controller
# (AHCI: COMRESET of the port; NVMe: controller reset, the queues made again; IDE: software
# reset of the channel, with bus-master DMA and with PIO; virtio-blk: device reset and the
# initialisation again, with MSI-X and with INTx), the read must fail with EIO within seconds, and the same disk must then pass the block
# read and write ktests (the write checked here after power-off). Without a real hung device:
# QEMU has no way to keep a command from completing that survives a controller reset.
source "$(dirname "$0")/../lib.sh"
work=$LOGDIR/blk-timeout
rm -rf "$work"
mkdir -p "$work"
python3 - "$work/pattern.orig" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    for s in range(16384):
        f.write(struct.pack("<Q", s) + bytes((s * 7 + i) & 0xff for i in range(8, 512)))
PY
# name | machine | device | disk name | more kernel options | the reset's log line
runs=("ahci|q35|-device ide-hd,drive=d0,bus=ide.0|sda||ahci: sda: command timeout: COMRESET, link back, 1 commands failed"
	"nvme|q35|-device nvme,serial=t0,drive=d0|nvme0n1||nvme: nvme0n1: command timeout: controller reset done, 1 commands failed"
	"nvme-intx|q35|-device nvme,serial=t0,drive=d0|nvme0n1|pci_nomsi|nvme: nvme0n1: command timeout: controller reset done, 1 commands failed"
	"ide|pc|-device ide-hd,drive=d0,bus=ide.0|sda||ide: sda: command timeout: channel reset, the device is ready"
	"ide-pio|pc|-device ide-hd,drive=d0,bus=ide.0|sda|ide.pio|ide: sda: command timeout: channel reset, the device is ready"
	"virtio|pc|-device virtio-blk-pci,drive=d0|vda||virtio-blk: vda: command timeout: device reset done, 1 commands failed"
	"virtio-intx|pc|-device virtio-blk-pci,drive=d0,vectors=0|vda||virtio-blk: vda: command timeout: device reset done, 1 commands failed")
for run in "${runs[@]}"; do
	IFS='|' read -r name machine dev disk extra reset <<< "$run"
	cp "$work/pattern.orig" "$work/pattern.img"
	# shellcheck disable=SC2086
	qemu_boot blk_timeout_$name 90 -machine $machine -m 256M -nic none -kernel "$KERNEL" \
		-drive file="$work/pattern.img",if=none,id=d0,format=raw $dev \
		-append "console=ttyS0 $extra blk.timeout=2 blktest.disk=$disk ktest=blk_timeout_reset,blk_virtio_read_pattern,blk_virtio_write"
	expect_exit $name/exit_status 33
	ktest_results $name/ktest
	expect_log $name/watchdog "blk: $disk: a command took longer than 2 s: resetting the device"
	expect_log $name/reset "$reset"
	expect_log_re $name/eio_in_time "ktest: blk_timeout_reset: EIO after [0-9]+ ms, then the disk reads again"
	python3 - "$work/pattern.img" <<'PY' && pass $name/host_sees_writes || fail $name/host_sees_writes "image contents differ"
import struct, sys
d = open(sys.argv[1], "rb").read()
for s in range(4096, 4096 + 256):
    want = b"W" + bytes(7) + struct.pack("<Q", s) + bytes((s + i) & 0xff for i in range(16, 512))
    if d[s * 512:(s + 1) * 512] != want:
        sys.exit(1)
PY
	if log_text | grep -qiE 'panic|exception'; then fail $name/no_panic "the log has a panic (log: $LOG)"; else pass $name/no_panic; fi
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
