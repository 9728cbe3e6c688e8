/* FAT (vfat): registers the "vfat" file-system type (mount -t vfat /dev/vda1 /mnt). */
#pragma once

void fat_init(void);
