#!/bin/bash
# FAT corruption: a FAT16 volume made with mkfs.fat and mtools, then one kind of damage per
# disk: a bad boot sector, a chain pointing past the last cluster, a looping file chain and a
# looping directory chain, a directory entry whose cluster is out of range, a directory entry
# with no cluster, a size longer than the chain, a volume bigger than its device, and random
# bytes over the FATs and directories. Ferrite mounts
# each, walks and reads everything, unmounts: each mount is refused or the damaged parts give
# EIO, and the kernel neither panics nor hangs. On virtio-blk (a disk per image), then AHCI,
# NVMe and IDE (one partition per image).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_corrupt.bash"
here=$ROOT/tests/system/block/fat
work=$LOGDIR/fat-corrupt
rm -rf "$work"
mkdir -p "$work/t/d" "$work/t/e"
echo hi > "$work/t/d/f"
echo there > "$work/t/e/g"
head -c 300000 /dev/urandom > "$work/t/big"
mkfs.fat -F 16 -s 4 -C "$work/good.img" 20000 > /dev/null
(cd "$work/t" && mcopy -s -Q -i "$work/good.img" ./* ::/)
# fat.py IMG OP ARGS: finds the entries and FAT slots to damage from the image itself.
cat > "$work/fat.py" <<'PY'
import struct, sys
img, op = sys.argv[1], sys.argv[2]
d = bytearray(open(img, 'rb').read())
bps, spc, res, nfats, rootents, _, _, fatsz = struct.unpack('<HBHBHHBH', d[11:24])
root = (res + nfats * fatsz) * bps
data = root + rootents * 32
def ent(base, name):  # the byte offset of 8.3 entry `name` in the directory at base
    for o in range(base, base + 16 * 1024, 32):
        if d[o:o + 11] == name.encode():
            return o
    sys.exit('no ' + name)
def clus(o): return struct.unpack('<H', d[o + 26:o + 28])[0]
def fat_set(c, v):
    for i in range(nfats):
        struct.pack_into('<H', d, (res + i * fatsz) * bps + 2 * c, v)
def chain(c):
    out = []
    while 2 <= c < 0xfff8 and len(out) < 1000:
        out.append(c)
        c = struct.unpack('<H', d[res * bps + 2 * c:res * bps + 2 * c + 2])[0]
    return out
big, dd = ent(root, 'BIG        '), ent(root, 'D          ')
if op == 'bpb': struct.pack_into('<H', d, 11, 0x300)
elif op == 'past_end': fat_set(chain(clus(big))[1], 0xfff0)
elif op == 'loops':
    c = chain(clus(big)); fat_set(c[2], c[0])
    e = clus(ent(root, 'E          ')); fat_set(e, e)
elif op == 'dirent_cluster':
    f = ent(data + (clus(dd) - 2) * spc * bps, 'F          ')
    struct.pack_into('<H', d, f + 26, 0xfff0)
elif op == 'dir_no_cluster': struct.pack_into('<H', d, dd + 26, 0)
elif op == 'size': struct.pack_into('<I', d, big + 28, 10 << 20)
elif op == 'too_big': struct.pack_into('<H', d, 19, 0); struct.pack_into('<I', d, 32, 1 << 24)
elif op.startswith('random'):  # 40 random bytes over the used parts of the FATs, the root, d/
    import random
    r = random.Random(int(op[6:]))
    dc = data + (clus(dd) - 2) * spc * bps
    spans = [(res * bps, res * bps + bps), ((res + fatsz) * bps, (res + fatsz) * bps + bps),
             (root, root + bps), (dc, dc + bps)]
    for _ in range(40):
        a, b = r.choice(spans)
        d[r.randrange(a, b)] = r.randrange(256)
open(img, 'wb').write(d)
PY
args=()
imgs=("$work/good.img")
mk() { # mk OP: a damaged copy of the good image, added as the next disk
	cp "$work/good.img" "$work/$1.img"
	imgs+=("$work/$1.img")
	python3 "$work/fat.py" "$work/$1.img" "$1"
	args+=(-drive "file=$work/$1.img,if=none,id=$1,format=raw" -device "virtio-blk-pci,drive=$1")
}
mk bpb            # vdb
mk past_end       # vdc
mk loops          # vdd
mk dirent_cluster # vde
mk dir_no_cluster # vdf
mk size           # vdg
mk too_big        # vdh
for i in 1 2 3 4; do mk random$i; done # vdi-vdl
sh "$ROOT/tools/mkrootfs.sh" "$work/initrd.cpio.gz" "$here/corrupt.init:init"
corrupt_gpt "$work/gpt.orig" "${imgs[@]}" # before any run can touch the images

qemu_boot fat_corrupt 180 -machine q35 -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
	-drive file="$work/good.img",if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0 "${args[@]}" \
	-append "console=ttyS0 quiet"
checks() { # the outcomes of one run (CORRUPT_PREFIX names the driver)
	expect_log ${CORRUPT_PREFIX}finished "fat-test: corruption walk done"
	corrupt_check good 'vda: mounted, ls=0 +, cat=0 $'
	corrupt_check bad_bpb 'vdb: refused: .*Invalid argument'
	corrupt_check chain_past_end 'vdc: mounted, ls=0 +, cat=1 .*Input/output error'
	# A looping directory chain is caught when the directory is read in (longer than any directory
	# may be); a file whose chain loops back is read as far as its size goes (as Linux does).
	corrupt_check chain_loops 'vdd: mounted, ls=1 ls: /mnt/e: Input/output error , cat=0 $'
	corrupt_check dirent_cluster_out_of_range "vde: mounted, ls=1 .*Input/output error.*cat=1 cat: can't open '/mnt/d/f': Input/output error"
	corrupt_check dir_without_cluster "vdf: mounted, ls=1 .*Input/output error.*cat=1 .*Input/output error"
	corrupt_check size_past_chain 'vdg: mounted, ls=0 +, cat=1 .*Input/output error'
	corrupt_check volume_bigger_than_device 'vdh: refused: .*Invalid argument'
	# Random damage: whatever each gives, the walk gets through it.
	for d in i j k l; do corrupt_check random_vd$d "vd$d: (mounted|refused)"; done
	if log_text | grep -qiE 'panic|exception'; then fail ${CORRUPT_PREFIX}no_panic "the log has a panic (log: $LOG)"; else pass ${CORRUPT_PREFIX}no_panic; fi
}
CORRUPT_PREFIX=
checks
for drv in ahci nvme ide; do
	cp "$work/gpt.orig" "$work/gpt.img"
	corrupt_driver_args $drv "$work/gpt.img"
	qemu_boot fat_corrupt_$drv 180 "${CORRUPT_QEMU[@]}" -m 256M -nic none -kernel "$KERNEL" -initrd "$work/initrd.cpio.gz" \
		-append "console=ttyS0 quiet $CORRUPT_CMDLINE"
	CORRUPT_PREFIX=$drv/
	checks
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
