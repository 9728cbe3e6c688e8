#!/bin/bash
# virtio-blk and the block layer: three disks made on the host — vda a raw pattern, vdb an MBR
# table with an extended partition, vdc a GPT table. The ktests read the pattern back, write a
# second one with merged requests (checked here after power-off), write an MBR to a blank vdd
# and re-read it (BLKRRPART), and print /proc/partitions, which must list exactly the
# partitions sfdisk/sgdisk and the ktest made.
source "$(dirname "$0")/../lib.sh"

work=$LOGDIR/virtio-blk
mkdir -p "$work"
# vda: 16384 sectors; sector s = s as a little-endian u64, then bytes (s * 7 + i) & 0xff.
python3 - "$work/pattern.img" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    for s in range(16384):
        f.write(struct.pack("<Q", s) + bytes((s * 7 + i) & 0xff for i in range(8, 512)))
PY
truncate -s 32M "$work/mbr.img"
printf 'label: dos\nstart=2048, size=4096, type=83\nstart=8192, size=8192, type=83\nstart=20480, size=20480, type=5\nstart=22528, size=2048, type=83\nstart=26624, size=4096, type=83\n' |
	sfdisk -q "$work/mbr.img" > /dev/null
truncate -s 32M "$work/gpt.img"
truncate -s 8M "$work/blank.img"
sgdisk -o -n 1:2048:+1M -n 2:8192:+4M -n 3:20480:+2M "$work/gpt.img" > /dev/null

qemu_boot virtio_blk 120 -machine q35 -m 256M -nic none -kernel "$KERNEL" \
	-drive file="$work/pattern.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
	-drive file="$work/mbr.img",if=none,id=d1,format=raw -device virtio-blk-pci,drive=d1 \
	-drive file="$work/gpt.img",if=none,id=d2,format=raw -device virtio-blk-pci,drive=d2 \
	-drive file="$work/blank.img",if=none,id=d3,format=raw -device virtio-blk-pci,drive=d3 \
	-append "console=ttyS0 ktest=blk_virtio_read_pattern,blk_virtio_write,blk_direct_io,blk_rescan_partitions,blk_proc_files"
expect_exit exit_status 33
expect_log_re bound 'virtio-blk: vda: 0000:00:0[0-9a-f]\.0 \[1af4:10(01|42)\], 16384 sectors, queue of [0-9]+, MSI-X, flush'
ktest_results ktest

# /proc/partitions against the tables the host tools wrote (sizes in KiB).
expected=$(cat <<'TXT'
major minor  #blocks  name

 254        0       8192 vda
 254       16      32768 vdb
 254       17       2048 vdb1
 254       18       4096 vdb2
 254       19          1 vdb3
 254       21       1024 vdb5
 254       22       2048 vdb6
 254       32      32768 vdc
 254       33       1024 vdc1
 254       34       4096 vdc2
 254       35       2048 vdc3
 254       48       8192 vdd
 254       49       2048 vdd1
 254       50       1024 vdd2
TXT
)
got=$(log_text | sed -n 's/^blk-proc: partitions: //p')
if [ "$got" = "$expected" ]; then pass proc_partitions; else
	fail proc_partitions "got: $(echo "$got" | tr '\n' '|')"; fi
if log_text | grep -qE '^blk-proc: diskstats:  254       0 vda [1-9][0-9]* [0-9]+ [1-9][0-9]* [0-9]+ [1-9][0-9]* [0-9]+ [1-9][0-9]* '; then
	pass proc_diskstats; else fail proc_diskstats "no vda line with reads and writes (log: $LOG)"; fi

# After power-off the host sees the written sectors, and nothing else changed.
python3 - "$work/pattern.img" <<'PY' && pass host_sees_writes || fail host_sees_writes "image contents differ"
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

# The same disk without MSI-X: completions arrive on the shared INTx line (ISR register).
qemu_boot virtio_blk_intx 120 -machine pc -m 256M -nic none -kernel "$KERNEL" \
	-drive file="$work/pattern.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 \
	-append "console=ttyS0 pci_nomsi ktest=blk_virtio_read_pattern"
expect_exit intx/exit_status 33
expect_log_re intx/bound 'virtio-blk: vda: .*, INTx, flush'
ktest_results intx/ktest
rm -rf "$work"
