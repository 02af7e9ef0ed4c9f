// traceback_test.c: the goroutine dump as an API (runtime_stack, Go's
// runtime.Stack): the caller's own frames, and with all, every other
// goroutine's, parked, sleeping or blocked in a syscall, in Go's format.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

enum { DumpSize = 64 << 10 };

static struct note stacknote;
static struct waitgroup stackwg;
static int64_t sleepergoid, blockergoid; // Atomic

static void
stacksleeper(void *arg)
{
	(void)arg;
	// Store-release; pairs with the test's load-acquire: it has started.
	atomic_store_rel(&sleepergoid, getg()->goid);
	time_sleep(300 * Millisecond);
	wg_done(&stackwg);
}

static void
stackblocker(void *arg)
{
	(void)arg;
	// Store-release; pairs with the test's load-acquire, as above.
	atomic_store_rel(&blockergoid, getg()->goid);
	notesleep(&stacknote);
	wg_done(&stackwg);
}

// The section of dump for goroutine id, up to the next blank line; NULL
// if it is not there.
static char *
section(const char *dump, int64_t id, char *out, size_t n)
{
	char head[48];
	snprintf(head, sizeof head, "goroutine %ld [", id);
	const char *p = strstr(dump, head);
	if (p == NULL) {
		return NULL;
	}
	const char *end = strstr(p, "\n\n");
	size_t k = end != NULL ? (size_t)(end - p) : strlen(p);
	if (k >= n) {
		k = n - 1;
	}
	memcpy(out, p, k);
	out[k] = '\0';
	return out;
}

TEST(TestRuntimeStack)
{
	char *dump = calloc(1, DumpSize + 1);
	char sec[2048];

	int n = runtime_stack(dump, DumpSize, false);
	dump[n] = '\0';
	char want[48];
	snprintf(want, sizeof want, "goroutine %ld [running]:\n", getg()->goid);
	if (strncmp(dump, want, strlen(want)) != 0 || strstr(dump, "TestRuntimeStack") == NULL) {
		t_errorf(t, "own stack does not begin with %sor lacks TestRuntimeStack:\n%s", want, dump);
	}

	noteclear(&stacknote);
	sleepergoid = blockergoid = 0;
	wg_add(&stackwg, 2);
	go(stacksleeper, NULL);
	go(stackblocker, NULL);
	// Load-acquires: each pairs with a goroutine's store-release of its
	// id (nothing else is published: the dump is what is read).
	while (atomic_load_acq(&sleepergoid) == 0 ||
	       atomic_load_acq(&blockergoid) == 0) {
		time_sleep(1 * Millisecond);
	}
	time_sleep(5 * Millisecond); // into their waits

	n = runtime_stack(dump, DumpSize, true);
	dump[n] = '\0';
	if (section(dump, sleepergoid, sec, sizeof sec) == NULL || strstr(sec, "[sleep]:") == NULL ||
	    strstr(sec, "stacksleeper") == NULL) {
		t_errorf(t, "no [sleep] goroutine %ld with stacksleeper in its frames:\n%s", sleepergoid,
			 dump);
	}
	if (section(dump, blockergoid, sec, sizeof sec) == NULL || strstr(sec, "[syscall]:") == NULL ||
	    strstr(sec, "notesleep") == NULL || strstr(sec, "stackblocker") == NULL) {
		t_errorf(t, "no [syscall] goroutine %ld with notesleep and stackblocker in its frames:\n%s",
			 blockergoid, dump);
	}

	// Cut at len, as Go's.
	if ((n = runtime_stack(dump, 10, true)) != 10) {
		t_errorf(t, "runtime_stack into 10 bytes wrote %d", n);
	}
	notewakeup(&stacknote);
	wg_wait(&stackwg);
	free(dump);
}

// A fatal error on the system stack (systemstack, as the heap's slow paths
// run) traces back through it into the goroutine that called it, as Go's
// does: the runner checks that the backtrace names this test. Bare metal
// stopped at systemstack, its walk refusing the step from the kernel
// stack down to the goroutine's.
static void
throwonsystemstack(void *arg)
{
	(void)arg;
	throw("test: thrown on the system stack");
}

CRASHTEST(TestThrowOnSystemstackTracesTheCaller, 2, "fatal error: test: thrown on the system stack")
{
	(void)t;
	systemstack(throwonsystemstack, NULL);
}
