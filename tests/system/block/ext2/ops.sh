#!/bin/sh
# The changes the ext2 write test makes, run by busybox inside Ferrite on the mounted disk and
# on the host on a copy of the original tree: afterwards both trees must describe the same.
set -e
cd "$1"
echo "new file" > new.txt
echo "appended line" >> many/f0005
cat big.bin > big-copy.bin
cat big.bin >> many/f0006
dd if=/dev/zero of=zeros.bin bs=1024 count=300 2> /dev/null
mv many/f0010 renamed.txt
mv renamed.txt many/f0011
mv dir1/dir2 moved-dir2
mv moved-dir2/dir3/dir4/deep.txt moved-dir2/deep-moved.txt
rm many/f0020 many/f0021 hard-link1
rmdir empty-dir moved-dir2/dir3/dir4
mkdir -p newdir/sub/subsub
echo x > newdir/sub/subsub/x
i=0
while [ $i -lt 300 ]; do
	echo "bulk $i" > newdir/bulk$i
	i=$((i + 1))
done
i=0
while [ $i -lt 300 ]; do
	[ $((i % 3)) = 0 ] && rm newdir/bulk$i
	i=$((i + 1))
done
ln new.txt new-hard
ln -s new.txt new-fast-link
ln -s "newdir/sub/subsub/../../sub/subsub/../subsub/../../bulk1/../bulk2/../../newdir/bulk7" new-slow-link
truncate -s 100000 big.bin
truncate -s 3000 sparse.bin
truncate -s 20000 empty
chmod 0640 script.sh
chmod 0700 newdir/sub
find . -path ./lost+found -prune -o -type f -exec touch -d '2020-01-01 00:00:00' {} +
