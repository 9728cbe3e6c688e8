/*
 * cow: copy-on-write after fork. Each side writes to pages that were shared before the fork
 * (static data, bss, heap, stack, an 8 MiB buffer) and the other side keeps its own values,
 * also when the kernel itself writes (read() into a shared page) and across two generations.
 */
#include "t.h"

#include <stdint.h>

/* The two processes take turns over a pair of pipes: to_child and to_parent. */
struct turns {
	int to_child[2], to_parent[2];
};

static int turns_open(struct turns *t)
{
	return pipe(t->to_child) == 0 && pipe(t->to_parent) == 0 ? 0 : -1;
}

static void turns_close(struct turns *t)
{
	close(t->to_child[0]);
	close(t->to_child[1]);
	close(t->to_parent[0]);
	close(t->to_parent[1]);
}

static int pass_turn(int fd)
{
	char c = 't';
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static int wait_turn(int fd)
{
	char c;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static int sdata = 1;            /* .data */
static int sbss;                 /* .bss, zero before the fork */
static char untouched[3 * 4096]; /* .bss pages nobody touches before the fork */

static void test_small_pages(void)
{
	struct turns t;
	volatile int stack = 1;
	int *heap = malloc(sizeof(int));

	if (!heap || !NEED("cow_pipes", turns_open(&t)))
		return;
	*heap = 1;
	sdata = 1;
	sbss = 1;
	pid_t pid = fork();
	if (pid == 0) {
		/* Child writes first and must see its own values... */
		sdata = 2, sbss = 2, *heap = 2, stack = 2;
		if (sdata != 2 || sbss != 2 || *heap != 2 || stack != 2)
			_exit(1);
		untouched[4096] = 'c';
		if (pass_turn(t.to_parent[1]) || wait_turn(t.to_child[0]))
			_exit(2);
		/* ...and still its own after the parent wrote 3 everywhere. */
		if (sdata != 2 || sbss != 2 || *heap != 2 || stack != 2)
			_exit(3);
		if (untouched[4096] != 'c' || untouched[0] != 0 || untouched[8192] != 0)
			_exit(4);
		_exit(0);
	}
	int ok = pid > 0 && wait_turn(t.to_parent[0]) == 0;
	CHECK("child_write_invisible_data", ok && sdata == 1);
	CHECK("child_write_invisible_bss", ok && sbss == 1);
	CHECK("child_write_invisible_heap", ok && *heap == 1);
	CHECK("child_write_invisible_stack", ok && stack == 1);
	CHECK("child_write_invisible_zero_page", ok && untouched[4096] == 0);
	sdata = 3, sbss = 3, *heap = 3, stack = 3;
	untouched[0] = 'p';
	pass_turn(t.to_child[1]);
	CHECK_CHILD("parent_write_invisible_to_child", t_wait(pid));
	/* The pages are the parent's alone again; writing them must just work. */
	sdata = 4, sbss = 4, *heap = 4, stack = 4;
	CHECK("parent_write_after_child_exit", sdata == 4 && sbss == 4 && *heap == 4 && stack == 4);
	turns_close(&t);
	free(heap);
}

/* The parent writes while the child only reads: the child keeps the old value. */
static void test_parent_first(void)
{
	struct turns t;
	static int value = 10;

	if (!NEED("parent_first_pipes", turns_open(&t)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		if (wait_turn(t.to_child[0]))
			_exit(2);
		_exit(value == 10 ? 0 : 1);
	}
	value = 11;
	pass_turn(t.to_child[1]);
	CHECK_CHILD("parent_first_write", t_wait(pid));
	CHECK_EQ("parent_first_own_value", value, 11);
	turns_close(&t);
}

/* The kernel writing into a shared page (read() into a buffer) must break the sharing too. */
static void test_kernel_write(void)
{
	static char buf[64] = "parent";
	int p[2];

	if (!NEED("kernel_write_pipe", pipe(p)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], buf, 7) != 7)
			_exit(1);
		_exit(strcmp(buf, "child!") ? 2 : 0);
	}
	close(p[0]);
	if (write(p[1], "child!", 7) != 7)
		t_check("kernel_write_in_child", 0, "write to pipe failed");
	close(p[1]);
	CHECK_CHILD("kernel_write_in_child", t_wait(pid));
	CHECK("kernel_write_invisible_to_parent", !strcmp(buf, "parent"));

	/* And the other way: the parent's read() into the page leaves the child's copy alone. */
	int q[2];
	struct turns t;
	if (!NEED("kernel_write_pipe", pipe(q)) || !NEED("kernel_write_pipes", turns_open(&t)))
		return;
	pid = fork();
	if (pid == 0) {
		if (wait_turn(t.to_child[0]))
			_exit(2);
		_exit(strcmp(buf, "parent") ? 1 : 0);
	}
	if (write(q[1], "PARENT", 7) != 7 || read(q[0], buf, 7) != 7)
		t_check("kernel_write_in_parent", 0, "pipe round trip failed");
	pass_turn(t.to_child[1]);
	CHECK_CHILD("kernel_write_in_parent_invisible", t_wait(pid));
	CHECK("kernel_write_in_parent", !strcmp(buf, "PARENT"));
	close(q[0]);
	close(q[1]);
	turns_close(&t);
}

/* Three generations each write their own value into the same page. */
static void test_nested(void)
{
	static volatile int gen = 1;

	pid_t pid = fork();
	if (pid == 0) {
		gen = 2;
		pid_t g = fork();
		if (g == 0) {
			gen = 3;
			_exit(gen == 3 ? 0 : 1);
		}
		int st = t_wait(g);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
			_exit(2);
		_exit(gen == 2 ? 0 : 3);
	}
	CHECK_CHILD("nested_generations", t_wait(pid));
	CHECK_EQ("nested_parent_value", gen, 1);
}

/* Two children at once: each sees its own write, neither sees the other's. */
static void test_siblings(void)
{
	static volatile int shared = 5;
	struct turns t;

	if (!NEED("siblings_pipes", turns_open(&t)))
		return;
	pid_t a = fork();
	if (a == 0) {
		shared = 6;
		if (pass_turn(t.to_parent[1]) || wait_turn(t.to_child[0]))
			_exit(2);
		_exit(shared == 6 ? 0 : 1);
	}
	wait_turn(t.to_parent[0]); /* a has written before b exists */
	pid_t b = fork();
	if (b == 0) {
		int saw = shared;
		shared = 7;
		if (pass_turn(t.to_parent[1]))
			_exit(2);
		_exit(saw == 5 && shared == 7 ? 0 : 1);
	}
	wait_turn(t.to_parent[0]);
	pass_turn(t.to_child[1]);
	CHECK_CHILD("sibling_a", t_wait(a));
	CHECK_CHILD("sibling_b", t_wait(b));
	CHECK_EQ("siblings_parent_value", shared, 5);
	turns_close(&t);
}

/* An 8 MiB buffer: patterns A (before fork), B (child), C (parent) each stay where written. */
#define BIG (8u << 20)

static uint8_t pattern(size_t i, unsigned which)
{
	return (uint8_t)(i * 7 + which * 31 + (i >> 12));
}

static size_t first_mismatch(const uint8_t *buf, unsigned which)
{
	for (size_t i = 0; i < BIG; i++)
		if (buf[i] != pattern(i, which))
			return i;
	return BIG;
}

static void test_big(void)
{
	struct turns t;
	uint8_t *buf = malloc(BIG);

	if (!t_check("big_malloc", buf != NULL, "malloc(8 MiB) failed") || !NEED("big_pipes", turns_open(&t)))
		return;
	for (size_t i = 0; i < BIG; i++)
		buf[i] = pattern(i, 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (first_mismatch(buf, 0) != BIG)
			_exit(1);
		for (size_t i = 0; i < BIG; i++)
			buf[i] = pattern(i, 1);
		if (first_mismatch(buf, 1) != BIG)
			_exit(2);
		if (pass_turn(t.to_parent[1]) || wait_turn(t.to_child[0]))
			_exit(3);
		_exit(first_mismatch(buf, 1) != BIG ? 4 : 0);
	}
	wait_turn(t.to_parent[0]);
	size_t bad = first_mismatch(buf, 0);
	t_check("big_child_write_invisible", bad == BIG, "byte %zu changed", bad);
	/* Touch every other page only, so half stays shared until the child exits. */
	for (size_t i = 0; i < BIG; i++)
		buf[i] = ((i >> 12) & 1) ? buf[i] : pattern(i, 2);
	pass_turn(t.to_child[1]);
	CHECK_CHILD("big_parent_write_invisible", t_wait(pid));
	for (size_t i = 0; i < BIG; i++)
		buf[i] = pattern(i, 2);
	bad = first_mismatch(buf, 2);
	t_check("big_parent_after_exit", bad == BIG, "byte %zu wrong", bad);
	turns_close(&t);
	free(buf);
}

int main(int argc, char **argv)
{
	(void)argc;
	t_init("cow", argv);
	test_small_pages();
	test_parent_first();
	test_kernel_write();
	test_nested();
	test_siblings();
	test_big();
	return t_done();
}
