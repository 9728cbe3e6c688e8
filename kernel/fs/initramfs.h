/* Unpacking the initrd (cpio newc, gzip-compressed or not) into the root file system. */
#pragma once

#include "lib/types.h"

/*
 * Unpacks every archive in data (several may follow each other, each optionally gzipped, as
 * Linux accepts) into "/", keeping modes, ownership, modification times, symlinks, device nodes
 * and hard links. Returns the number of entries created, or a negative errno for an archive that
 * is corrupt (what came before it stays).
 */
long initramfs_unpack(const void *data, size_t len);
