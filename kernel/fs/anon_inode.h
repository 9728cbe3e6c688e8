/* Anonymous files (eventfd, signalfd, epoll): an inode of their own, no name. */
#pragma once

#include "fs/vfs.h"

/* A new file with fop and private data priv (flags: access mode and O_NONBLOCK); NULL when out of memory. */
struct file *anon_inode_file(const struct file_ops *fop, void *priv, unsigned flags);
