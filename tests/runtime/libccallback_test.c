// libccallback_test.c: a goroutine inside a callback from the C library
// is not switched for another on its thread. The C library may hold locks
// of the thread's across the callback: stdio holds the stream's lock
// while it calls a fopencookie stream's write function. Those locks are
// recursive and belong to the thread, so a second goroutine on the same
// thread would take the lock again and enter the stream beside the first.
// On bare metal newlib's locks are the kernel's mutexes, whose holder is
// not preempted (kernel/mutex.c); on Linux, glibc's locks are its own,
// and the preemption signal leaves a goroutine alone while a C library
// frame is on its stack (signal_linux.c). Reported by review; this test
// showed it on the hosted port: the second goroutine came into the write
// function while the first was in it.

#define _GNU_SOURCE
#include <stdio.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

enum {
	Writers = 3,
	Writes = 4,              // each, unbuffered: a call of cookiewrite each
	SpinNS = 25 * Millisecond, // in cookiewrite: longer than sysmon's 10 ms slice
};

static int inside;   // Atomic: goroutines in cookiewrite now
static int overlaps; // Atomic: times one came in while another was there
static struct waitgroup writerswg;

static ssize_t
cookiewrite(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	(void)buf;
	// Relaxed: counters; the test reads them after the wait group,
	// whose wait orders them.
	if (atomic_xadd_relaxed(&inside, 1) > 1) {
		atomic_xadd_relaxed(&overlaps, 1);
	}
	// A loop with no calls into the C library: preemptible, if anything is.
	int64_t end = time_nanotime() + SpinNS;
	while (time_nanotime() < end) {
	}
	atomic_xadd_relaxed(&inside, -1);
	return (ssize_t)n;
}

static void
writer(void *arg)
{
	FILE *f = arg;
	for (int i = 0; i < Writes; i++) {
		fputc('x', f);
	}
	wg_done(&writerswg);
}

TEST(TestLibcCallbackNotSwitchedOnItsThread)
{
	cookie_io_functions_t fns = {.write = cookiewrite};
	FILE *f = fopencookie(NULL, "w", fns);
	if (f == NULL) {
		t_fatalf(t, "fopencookie failed");
	}
	setvbuf(f, NULL, _IONBF, 0);
	// One P: the goroutine that runs when a writer is switched out runs on
	// the writer's thread.
	int procs = runtime_gomaxprocs(1);
	atomic_store_relaxed(&overlaps, 0);
	wg_add(&writerswg, Writers);
	for (int i = 0; i < Writers; i++) {
		go(writer, f);
	}
	wg_wait(&writerswg);
	runtime_gomaxprocs(procs);
	fclose(f);
	if (atomic_load_relaxed(&overlaps) != 0) {
		t_errorf(t, "%d times a goroutine entered the stream while another was in its write function",
			 overlaps);
	}
}
