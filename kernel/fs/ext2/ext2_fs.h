/* ext2: registers the "ext2" file-system type (mount -t ext2 /dev/vda1 /mnt). */
#pragma once

void ext2_init(void);
/* Writes back every mounted ext2 file system (sync(2)): 0 or the first error. */
int ext2_sync_all(void);
