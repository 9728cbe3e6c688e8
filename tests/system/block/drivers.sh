#!/bin/bash
# The block suite of virtio_blk.sh on every other disk driver: the same host-written pattern
# disk and a blank disk, attached through AHCI (two ports of q35's ICH9), NVMe and IDE (PIIX on
# -machine pc). The same ktests read the pattern back through every path, write a merged batch
# (checked here after power-off), write an MBR to the blank disk and re-read it, and print
# /proc/partitions with Linux's names and sd's major 8. Images are made once; each run gets a
# fresh copy of the pattern disk.
source "$(dirname "$0")/../lib.sh"

work=$LOGDIR/block-drivers
rm -rf "$work"
mkdir -p "$work"
python3 - "$work/pattern.orig" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    for s in range(16384):
        f.write(struct.pack("<Q", s) + bytes((s * 7 + i) & 0xff for i in range(8, 512)))
PY

# name | machine | disk arguments (@P pattern image, @B blank image) | pattern disk | blank disk |
# major of the expected /proc/partitions | the driver's bound line (regex) | more kernel options
drivers=(
	"ahci|q35|-device ahci,id=a -drive file=@P,if=none,id=d0,format=raw -device ide-hd,drive=d0,bus=a.0 -drive file=@B,if=none,id=d1,format=raw -device ide-hd,drive=d1,bus=a.1|sda|sdb|8|ahci: sdb: port 1, \"QEMU HARDDISK\" .*16384 sectors, LBA48, flush ext"
	"ahci-ich9|q35|-drive file=@P,if=none,id=d0,format=raw -device ide-hd,drive=d0,bus=ide.0 -drive file=@B,if=none,id=d1,format=raw -device ide-hd,drive=d1,bus=ide.4|sda|sdb|8|ahci: 0000:00:1f.2 \\[8086:2922\\] AHCI 1\\.0, 32 slots, 6 ports .*MSI.*, 2 disks"
	"nvme|q35|-drive file=@P,if=none,id=d0,format=raw -device nvme,serial=pat0,drive=d0 -drive file=@B,if=none,id=d1,format=raw -device nvme,serial=blank1,drive=d1|nvme0n1|nvme1n1|259|nvme1: 0000:00:0[0-9a-f]\\.0 \\[1b36:0010\\] NVMe 1\\.[0-9], \"QEMU NVMe Ctrl\" serial \"blank1\" .*, 1 of [0-9]+ namespaces, I/O queue of [0-9]+, doorbell stride 4, SGL, MSI-X"
	"ahci-intx|q35|-device ahci,id=a -drive file=@P,if=none,id=d0,format=raw -device ide-hd,drive=d0,bus=a.0 -drive file=@B,if=none,id=d1,format=raw -device ide-hd,drive=d1,bus=a.1|sda|sdb|8|ahci: 0000:00:0[0-9a-f]\\.0 \\[8086:2922\\] .*INTx, 64-bit, 2 disks|pci_nomsi"
	"nvme-intx|q35|-drive file=@P,if=none,id=d0,format=raw -device nvme,serial=pat0,drive=d0 -drive file=@B,if=none,id=d1,format=raw -device nvme,serial=blank1,drive=d1|nvme0n1|nvme1n1|259|nvme0: .*, SGL, INTx|pci_nomsi"
	"ide|pc|-drive file=@P,if=ide,index=0,format=raw -drive file=@B,if=ide,index=1,format=raw|sda|sdb|8|ata_piix: sdb: ata1\\.01 \"QEMU HARDDISK\" .*16384 sectors, LBA48, bus-master DMA, flush ext"
	"ide-pio|pc|-drive file=@P,if=ide,index=0,format=raw -drive file=@B,if=ide,index=2,format=raw|sda|sdb|8|ata_piix: sdb: ata2\\.00 .*, PIO, flush ext|ide.pio"
)
[ -n "${BLK_DRIVERS:-}" ] || BLK_DRIVERS="ahci ahci-ich9 ahci-intx nvme nvme-intx ide ide-pio"

for entry in "${drivers[@]}"; do
	IFS='|' read -r name machine args disk blank major bound extra <<< "$entry"
	case " $BLK_DRIVERS " in *" $name "*) ;; *) continue ;; esac
	cp "$work/pattern.orig" "$work/pattern.img"
	rm -f "$work/blank.img"
	truncate -s 8M "$work/blank.img"
	args=${args//@P/$work/pattern.img}
	args=${args//@B/$work/blank.img}
	# shellcheck disable=SC2086
	qemu_boot block_$name 90 -machine "$machine" -m 256M -nic none -kernel "$KERNEL" $args \
		-append "console=ttyS0 $extra blktest.disk=$disk blktest.blank=$blank ktest=blk_virtio_read_pattern,blk_virtio_write,blk_direct_io,blk_rescan_partitions,blk_proc_files"
	expect_exit $name/exit_status 33
	expect_log_re $name/bound "$bound"
	ktest_results $name/ktest
	sep=""
	case "$blank" in *[0-9]) sep=p ;; esac
	expected=$(printf 'major minor  #blocks  name\n\n%4d  %7d %10d %s\n%4d  %7d %10d %s\n%4d  %7d %10d %s\n%4d  %7d %10d %s' \
		"$major" 0 8192 "$disk" "$major" 16 8192 "$blank" "$major" 17 2048 "$blank${sep}1" "$major" 18 1024 "$blank${sep}2")
	got=$(log_text | sed -n 's/^blk-proc: partitions: //p')
	if [ "$got" = "$expected" ]; then pass $name/proc_partitions; else
		fail $name/proc_partitions "got: $(echo "$got" | tr '\n' '|')"; fi
	if log_text | grep -qE "^blk-proc: diskstats: +$major +0 $disk [1-9][0-9]* [0-9]+ [1-9][0-9]* [0-9]+ [1-9][0-9]* [0-9]+ [1-9][0-9]* "; then
		pass $name/proc_diskstats; else fail $name/proc_diskstats "no $disk line with reads and writes (log: $LOG)"; fi
	python3 - "$work/pattern.img" <<'PY' && pass $name/host_sees_writes || fail $name/host_sees_writes "image contents differ"
import struct, sys
d = open(sys.argv[1], "rb").read()
for s in range(16384):
    got = d[s * 512:(s + 1) * 512]
    if 4096 <= s < 4096 + 256:
        want = b"W" + bytes(7) + struct.pack("<Q", s) + bytes((s + i) & 0xff for i in range(16, 512))
    else:
        want = struct.pack("<Q", s) + bytes((s * 7 + i) & 0xff for i in range(8, 512))
    if got != want:
        print("sector", s, "differs", file=sys.stderr)
        sys.exit(1)
PY
	if log_text | grep -qiE 'panic|exception'; then fail $name/no_panic "the log has a panic (log: $LOG)"; else pass $name/no_panic; fi
done
rm -rf "$work"
