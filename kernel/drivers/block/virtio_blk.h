/* virtio-blk: registers the PCI driver for virtio block devices (disks vda, vdb...). */
#pragma once

void virtio_blk_init(void);
