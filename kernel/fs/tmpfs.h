/* tmpfs: the RAM file system that holds the root. Mount data: "size=N[k|m|g]" caps its pages. */
#pragma once

#include "fs/vfs.h"

extern struct fs_type tmpfs_type;
