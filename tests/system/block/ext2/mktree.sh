#!/bin/bash
# Builds the tree the ext2 tests put on disk: nested directories, 1200 small files in one
# directory, a 9 MiB file (double-indirect blocks with 1 KiB blocks), a sparse file, fast and
# slow symlinks, hard links, a 255-byte name and a non-ASCII one, odd modes, an empty file.
set -eu
t=$1
mkdir -p "$t/dir1/dir2/dir3/dir4" "$t/many" "$t/empty-dir"
echo "deep file" > "$t/dir1/dir2/dir3/dir4/deep.txt"
for i in $(seq -w 0 1199); do echo "small file $i" > "$t/many/f$i"; done
head -c 9437184 /dev/urandom > "$t/big.bin"
truncate -s 5M "$t/sparse.bin"
printf 'in the middle' | dd of="$t/sparse.bin" bs=1 seek=3000000 conv=notrunc status=none
ln -s dir1/dir2/dir3/dir4/deep.txt "$t/fast-link"
long=$(printf 'x%.0s' $(seq 1 200))
echo "long target" > "$t/dir1/$long"
ln -s "dir1/./dir2/../$long" "$t/slow-link"
ln "$t/many/f0001" "$t/hard-link1"
ln "$t/many/f0001" "$t/dir1/hard-link2"
name255=$(printf 'n%.0s' $(seq 1 255))
echo "255" > "$t/$name255"
echo "unicode" > "$t/été-Ünïcödé-文件.txt"
: > "$t/empty"
echo "secret" > "$t/private"; chmod 0600 "$t/private"
printf '#!/bin/sh\necho hi\n' > "$t/script.sh"; chmod 0755 "$t/script.sh"
touch -d '2001-02-03 04:05:06' "$t/dir1/dir2/dir3/dir4/deep.txt"
