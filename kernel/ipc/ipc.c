/*
 * Boot-time set-up of IPC: the System V tables, /dev/shm (a tmpfs, where musl's shm_open and
 * sem_open put their files) and the mqueue file system at /dev/mqueue.
 */
#include "ipc/ipc.h"
#include "ipc/ipc_internal.h"
#include "console/console.h"
#include "fs/vfs.h"
#include "lib/errno.h"

int mqueue_hold_root(void);

/* mkdir (if missing), mount, then the mode: the mounted root is what users see. */
static int mount_at(const char *dir, const char *type, uint32_t mode)
{
	int err = vfs_mkdir(NULL, dir, mode);
	if (err && err != -EEXIST)
		return err;
	if ((err = vfs_mount(type, dir, type, 0, NULL)))
		return err;
	return vfs_chmod(NULL, dir, mode);
}

void ipc_init(void)
{
	ipc_ids_init();
	int err = mqueue_init();
	if (err)
		pr_err("ipc: mqueue file system: error %d\n", err);
	int shm = mount_at("/dev/shm", "tmpfs", 01777);
	int mq = err ? err : mount_at("/dev/mqueue", "mqueue", 01777);
	if (!mq)
		mq = mqueue_hold_root();
	if (shm || mq)
		pr_err("ipc: /dev/shm: %d, /dev/mqueue: %d\n", shm, mq);
	else
		pr_info("ipc: System V tables of %u ids each; tmpfs at /dev/shm, mqueue at /dev/mqueue\n", IPC_MNI);
}
