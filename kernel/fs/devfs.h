/*
 * devfs: /dev, a tmpfs instance (type "devtmpfs", alias "devfs") holding device nodes with
 * Linux's numbers. The nodes' operations come from the character-device table
 * (vfs_register_chrdev), so a node made anywhere else with mknod(2) works the same way.
 *   mem (major 1): null 3, zero 5, full 7, random 8, urandom 9, kmsg 11
 *   tty (major 4): ttyS0 64          console (major 5): console 1
 * Driver-model devices of class block or char (drivers/base/device.h) get /dev/<name> from
 * their devt while they are registered.
 */
#pragma once

#include "fs/vfs.h"

/* Registers the types, creates /dev if missing, mounts devtmpfs there, makes the standard
 * nodes and listens to the driver model. Runs once; later calls return the first call's
 * result. Needs vfs_init first. */
int devfs_init(void);
/*
 * For drivers: a node /dev/<name> (name relative, no "..", at most 63 bytes; a missing S_IFMT
 * type means S_IFCHR; S_IFCHR and S_IFBLK only). -EEXIST if present, -ENODEV before devfs_init.
 */
int devfs_add_node(const char *name, uint32_t mode, dev_t rdev);
int devfs_remove_node(const char *name);
