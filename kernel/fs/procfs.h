/*
 * procfs: /proc with Linux's file formats (proc(5)). Every file is generated whole when it is
 * opened, so reads at any offset see one consistent snapshot; closing frees it.
 */
#pragma once

/* Registers the "proc" type, creates /proc if missing and mounts it there (once). */
int procfs_init(void);
