/* ext2: registers the "ext2" file-system type (mount -t ext2 /dev/vda1 /mnt). */
#pragma once

void ext2_init(void);
