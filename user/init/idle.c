/*
 * A minimal PID 1 for system tests that need a booted, otherwise idle kernel (hot-plug over
 * QMP): it says so, then waits for signals forever.
 */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "idle-init: up\n";
	write(1, msg, sizeof(msg) - 1);
	for (;;)
		pause();
}
