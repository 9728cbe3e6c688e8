/*
 * A dynamically linked musl program (interpreter /lib/ld-musl-x86_64.so.1): proves that execve
 * loads PT_INTERP, that the loader finds the program through the auxiliary vector, relocates
 * both, and that TLS and the C library's start-up work. Prints what it sees.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

static __thread int tls_value = 42;

int main(int argc, char **argv)
{
	unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
	printf("dynhello: argc=%d argv0=%s tls=%d at_base=%s at_entry=%s\n", argc, argv[0], tls_value,
	       base ? "set" : "zero", entry ? "set" : "zero");
	return strcmp(argv[0], "/bin/dynhello") == 0 ? 0 : 1;
}
