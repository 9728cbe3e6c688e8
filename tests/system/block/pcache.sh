#!/bin/bash
# The page cache on an ext2 disk: user/tests/pcache (read/write/mmap coherence, MAP_PRIVATE,
# holes, truncation, msync/fsync) runs with TMPDIR on the disk; sequential dd timings are
# printed ("PERF"); after a clean unmount the host's e2fsck -fn finds no error and debugfs reads
# the files back. Then durability: the program writes files and syncs them (fsync, msync
# MS_SYNC, fdatasync) and writes one more without syncing, the host waits 45 s (the flushers'
# 30 s expiry + periods) and kills QEMU hard (no sync, no unmount), and debugfs must read every
# byte back; e2fsck -fn must find the file system consistent. Last, memory
# pressure: 120 MiB through the cache of a 72 MiB machine, checked by md5 inside and outside.
source "$(dirname "$0")/../lib.sh"
here=$ROOT/tests/system/block/pcache
work=$LOGDIR/pcache
rm -rf "$work"
mkdir -p "$work"
prog=$BUILD/user/tests/pcache
if [ ! -x "$prog" ]; then
	fail setup "$prog missing (make user-tests)"
	exit 0
fi
sh "$ROOT/tools/mkrootfs.sh" "$work/run.cpio.gz" "$here/run.init:init" "$prog:pcache"
sh "$ROOT/tools/mkrootfs.sh" "$work/durable.cpio.gz" "$here/durable.init:init" "$prog:pcache"

make_disk() {
	rm -f "$work/disk.img" "$work/fs.img"
	mkfs.ext2 -q -F -b 4096 "$work/fs.img" 48M > /dev/null
	truncate -s 50M "$work/disk.img"
	echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
	dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
}
disk_args=(-drive file="$work/disk.img",if=none,id=d0,format=raw,cache=writeback -device virtio-blk-pci,drive=d0)
fsck_check() { # fsck_check CHECK
	dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=48 status=none
	if e2fsck -fn "$work/fs.img" > "$work/fsck-$1.txt" 2>&1; then
		pass "$1"
	else
		fail "$1" "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck-$1.txt" | head -4 | tr '\n' '|') (full: $work/fsck-$1.txt)"
	fi
}

# 0. The cache's own logic on a RAM-backed file (ktests).
qemu_boot pcache_ktest 120 -machine q35 -m 512M -nic none -kernel "$KERNEL" \
	-append "console=ttyS0 ktest=pcache_read_fills_once,pcache_write_then_writeback,pcache_truncate_drops_and_zeroes,pcache_shrink_only_clean_unmapped,pcache_mapped_write_back,pcache_errors"
ktest_results ktest
expect_exit ktest/exit 33

# 1. The program on the disk, timings, clean unmount.
make_disk
qemu_boot pcache_run 300 -machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/run.cpio.gz" \
	"${disk_args[@]}" -append "console=ttyS0 quiet"
log_text | awk '
	/^PASS pcache\.[^ ]+$/ { print "PASS system/block/pcache/" substr($2, 8) }
	/^FAIL pcache\./ { line = $0; sub(/^FAIL pcache\./, "", line); print "FAIL system/block/pcache/" line }'
expect_log_re done "^DONE pcache [0-9]+ 0"
expect_log unmounted "pcache-test: unmounted"
expect_log remounted "pcache-test: mounted again"
expect_log kept_after_remount "kept across unmount"
expect_log remount_ro "pcache-test: remounted ro"
expect_log_re proc_mounts_ro "^MOUNTS /dev/vda1 /mnt ext2 ro "
expect_log_re ro_write_erofs "^RO_WRITE .*Read-only file system"
expect_log_re ro_touch_erofs "^RO_TOUCH .*Read-only file system"
expect_log read_while_ro "written before remount"
expect_log remount_rw "pcache-test: remounted rw"
expect_log_re proc_mounts_rw "^MOUNTS /dev/vda1 /mnt ext2 rw "
expect_log write_after_rw "pcache-test: write after rw"
expect_log_re umount_busy "^BUSY .*busy"
expect_log mount_ro "pcache-test: mounted ro"
expect_log_re ro_rm_erofs "^RO_RM .*Read-only file system"
log_text | grep '^PERF ' | sed 's/^/  /'
# /proc/meminfo: the 16 MiB just written are cached and dirty; after sync cached and clean.
mi() { log_text | sed -n "s/^MEMINFO $1 $2: *\([0-9]*\) kB/\1/p"; }
[ "$(mi written Cached)" -ge 16384 ] 2> /dev/null && [ "$(mi written Dirty)" -ge 16384 ] 2> /dev/null &&
	pass meminfo_dirty || fail meminfo_dirty "Cached $(mi written Cached) kB, Dirty $(mi written Dirty) kB after writing 16 MiB"
[ "$(mi synced Cached)" -ge 16384 ] 2> /dev/null && [ "$(mi synced Dirty)" = 0 ] &&
	pass meminfo_clean || fail meminfo_clean "Cached $(mi synced Cached) kB, Dirty $(mi synced Dirty) kB after sync"
fsck_check e2fsck_after_umount
dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=48 status=none
if [ "$(debugfs -R 'cat /kept.txt' "$work/fs.img" 2> /dev/null)" = "kept across unmount" ]; then
	pass host_reads_kept; else fail host_reads_kept "debugfs cannot read /kept.txt"; fi
for f in before-ro after-rw; do
	case "$(debugfs -R "cat /$f.txt" "$work/fs.img" 2> /dev/null)" in
	written*) pass "host_reads_$f" ;;
	*) fail "host_reads_$f" "debugfs cannot read /$f.txt" ;;
	esac
done
[ -z "$(debugfs -R 'stat /after-ro.txt' "$work/fs.img" 2>&1 | grep -i 'inode:')" ] && pass host_no_ro_file ||
	fail host_no_ro_file "/after-ro.txt exists"
n=$(debugfs -R 'stat /seq' "$work/fs.img" 2> /dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -1)
[ "${n:-0}" = $((256 * 65536)) ] && pass host_seq_size || fail host_seq_size "/seq is ${n:-missing} bytes"
if log_text | grep -qiE 'panic|exception'; then fail no_panic "the log has a panic (log: $LOG)"; else pass no_panic; fi

# 2. Durability: synced data survives a hard power-off, and unsynced data written 45 s before.
make_disk
LOG=$LOGDIR/pcache_durable.log
: > "$LOG"
qemu-system-x86_64 -accel tcg -display none -monitor none -serial "file:$LOG" -no-reboot \
	-machine q35 -m 512M -nic none -kernel "$KERNEL" -initrd "$work/durable.cpio.gz" \
	"${disk_args[@]}" -append "console=ttyS0 quiet" > "$LOGDIR/pcache_durable.qemu.txt" 2>&1 &
qpid=$!
for _ in $(seq 240); do
	grep -q "PCACHE late written\|pcache-test:\|durable:" "$LOG" && break
	kill -0 $qpid 2> /dev/null || break
	sleep 0.5
done
# late.dat was never synced: the page-cache flusher (30 s expiry, 5 s period) and the block
# flusher (5 s) must have written it by now.
grep -q "PCACHE late written" "$LOG" && sleep 45
kill -9 $qpid 2> /dev/null
wait $qpid 2> /dev/null
expect_log durable_synced "PCACHE durable done"
dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=48 status=none
for spec in fsync.dat:9:20480 mmap.dat:10:20480 fdatasync.dat:11:12293 late.dat:12:8193; do
	IFS=: read -r name seed len <<< "$spec"
	python3 -c "import sys; sys.stdout.buffer.write(bytes(((i * 31 + $seed) & 0xff) for i in range($len)))" > "$work/want-$name"
	debugfs -R "cat /d/$name" "$work/fs.img" > "$work/got-$name" 2> /dev/null
	if cmp -s "$work/want-$name" "$work/got-$name"; then
		pass "durable_$name"
	else
		fail "durable_$name" "host reads $(stat -c %s "$work/got-$name") bytes that differ from what was synced"
	fi
done
fsck_check e2fsck_after_hard_kill

# 3. Memory pressure: with 72 MiB of RAM, a 40 MiB file is read twice and copied twice (120 MiB
# through the cache); clean pages must be given back and dirty ones written back in time.
mkdir -p "$work/ptree"
head -c 40M /dev/urandom > "$work/ptree/big"
want=$(md5sum < "$work/ptree/big")
sh "$ROOT/tools/mkrootfs.sh" "$work/pressure.cpio.gz" "$here/pressure.init:init"
rm -f "$work/disk.img" "$work/fs.img"
mkfs.ext2 -q -F -b 4096 -d "$work/ptree" "$work/fs.img" 160M > /dev/null
rm -rf "$work/ptree"
truncate -s 162M "$work/disk.img"
echo 'start=2048, type=83' | sfdisk -q "$work/disk.img" > /dev/null
dd if="$work/fs.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
qemu_boot pcache_pressure 180 -machine q35 -m 72M -nic none -kernel "$KERNEL" -initrd "$work/pressure.cpio.gz" \
	"${disk_args[@]}" -append "console=ttyS0 quiet"
[ "$(log_text | grep -c "^PRESSURE md5 $want")" = 2 ] && pass pressure_reads ||
	fail pressure_reads "reading a file larger than free memory gave other data (log: $LOG)"
expect_log pressure_copied "PRESSURE copied"
expect_log pressure_copy_same "PRESSURE md5 copy2 $want"
expect_log pressure_unmounted "PRESSURE unmounted"
dd if="$work/disk.img" of="$work/fs.img" bs=1M skip=1 count=160 status=none
[ "$(debugfs -R 'cat /copy2' "$work/fs.img" 2> /dev/null | md5sum)" = "$want" ] && pass host_reads_copy ||
	fail host_reads_copy "debugfs reads another /copy2"
if e2fsck -fn "$work/fs.img" > "$work/fsck-pressure.txt" 2>&1; then pass e2fsck_after_pressure; else
	fail e2fsck_after_pressure "$(grep -v '^Pass\|^e2fsck\|^/' "$work/fsck-pressure.txt" | head -4 | tr '\n' '|')"; fi
if log_text | grep -qiE 'panic|exception'; then fail pressure_no_panic "the log has a panic (log: $LOG)"; else pass pressure_no_panic; fi
[ -n "${KEEP:-}" ] || rm -rf "$work"
