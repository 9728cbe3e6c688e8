/* Private to devfs: the devices its files serve. */
#pragma once

#include "fs/vfs.h"

extern const struct file_ops devfs_kmsg_fops; /* devfs_kmsg.c */
