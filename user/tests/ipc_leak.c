/*
 * ipc_leak: 1000 create/use/destroy cycles of every IPC object (System V queue, semaphore set
 * with SEM_UNDO, attached and touched segment; POSIX queue, shared-memory object, named
 * semaphore) must leave MemFree where it was. Judged only inside Ferrite: on a shared Linux
 * host MemFree moves with every other process, so there the cycles only have to succeed.
 * Tolerance: 32 pages (128 KiB), after a 100-cycle warm-up that lets the slab caches and this
 * process's page tables reach their working size; a leak of one object per cycle would be at
 * least 1000 slab objects (tens of pages) or 1000 pages for a segment.
 */
#include "t.h"

#include <mqueue.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/utsname.h>

static long memfree_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int sysv_cycle(void)
{
	struct { long type; char text[64]; } m = { 1, "leak test message" };
	int q = msgget(IPC_PRIVATE, 0600);
	if (q < 0 || msgsnd(q, &m, 40, 0) || msgsnd(q, &m, 20, 0) || msgrcv(q, &m, 64, 0, 0) != 40)
		return 1;
	if (msgctl(q, IPC_RMID, NULL)) /* one message still queued: freed with the queue */
		return 2;
	int s = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
	struct sembuf b = { 2, 1, SEM_UNDO };
	if (s < 0 || semop(s, &b, 1) || semctl(s, 0, IPC_RMID))
		return 3;
	int id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
	char *p = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
	if (p == (void *)-1)
		return 4;
	p[0] = p[4096] = p[8192] = 1;
	if (shmctl(id, IPC_RMID, NULL) || shmdt(p))
		return 5;
	return 0;
}

static int posix_cycle(int i)
{
	char name[64];
	snprintf(name, sizeof(name), "/ferrite-leak-%d-%d", getpid(), i);
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 128 };
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	if (q == (mqd_t)-1 || mq_send(q, "abc", 3, 1) || mq_send(q, "def", 3, 2))
		return 11;
	char buf[128];
	if (mq_receive(q, buf, sizeof(buf), NULL) != 3 || mq_close(q) || mq_unlink(name))
		return 12;
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, 2 * 4096))
		return 13;
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 14;
	p[0] = p[4096] = 1;
	if (munmap(p, 2 * 4096) || close(fd) || shm_unlink(name))
		return 15;
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	if (s == SEM_FAILED || sem_wait(s) || sem_post(s) || sem_close(s) || sem_unlink(name))
		return 16;
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("ipc_leak", argv);
	struct utsname u;
	int ferrite = uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
	int err = 0;
	for (int i = 0; i < 100 && !err; i++)
		err = sysv_cycle() ?: posix_cycle(i);
	CHECK_EQ("warm_up_cycles", err, 0);
	long before = memfree_kb();
	for (int i = 0; i < 1000 && !err; i++)
		err = sysv_cycle() ?: posix_cycle(1000 + i);
	long after = memfree_kb();
	CHECK_EQ("cycles_1000", err, 0);
	if (!ferrite) {
		t_skip("memfree_kept", "MemFree on a shared Linux host moves with other processes");
	} else if (CHECK("meminfo_readable", before > 0 && after > 0)) {
		t_say("INFO ipc_leak: MemFree %ld kB before, %ld kB after 1000 cycles\n", before, after);
		t_check("memfree_kept", before - after <= 32 * 4, "MemFree fell by %ld kB (more than 128 kB)",
			before - after);
	}
	return t_done();
}
