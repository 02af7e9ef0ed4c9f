// errno_test.c: errno belongs to the goroutine, not to the thread
// (os.h, "the C library's state"). On bare metal newlib's __getreent
// gives each G its own; on Linux glibc's errno is the thread's, so the
// port moves it in and out of the G at every switch (os_libcstate_save
// and os_libcstate_load) and keeps it across its own waits and signal
// handlers. Each test has goroutines set errno to a value of their own
// and check it after something that switches them out: Gosched, a
// sleep, a preemption of a CPU-bound loop, a wait in the port.

#include <errno.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// errno read and written through calls, so that each access asks the C
// library afresh (glibc's __errno_location is the thread's): the compiler
// must not keep errno, or its address, in a register across a switch.
__attribute__((noinline)) static int
geterrno(void)
{
	return errno;
}

__attribute__((noinline)) static void
seterrno(int v)
{
	errno = v;
}

static struct waitgroup errnowg;
static long errnobad; // Atomic: wrong values seen, all goroutines

// Each round: a value of this goroutine's own in errno, a switch, then
// the check. Every eighth round sleeps instead of yielding.
static void
yielder(void *arg)
{
	int id = (int)(intptr_t)arg;
	int rounds = testing_short ? 200 : 2000;
	for (int r = 0; r < rounds; r++) {
		int want = id * 100000 + r + 1;
		seterrno(want);
		if (r % 8 == 7) {
			time_sleep(20 * Microsecond);
		} else {
			runtime_gosched();
		}
		if (geterrno() != want) {
			atomic_xadd_relaxed(&errnobad, 1); // relaxed: a counter, read after wg_wait
		}
	}
	wg_done(&errnowg);
}

// 64 goroutines yielding and sleeping in turn: each switch hands the
// thread to another goroutine, which sets its own errno.
TEST(TestErrnoPerGoroutineAcrossGosched)
{
	enum { N = 64 };
	atomic_store_relaxed(&errnobad, 0);
	wg_add(&errnowg, N);
	for (int i = 0; i < N; i++) {
		go(yielder, (void *)(intptr_t)(i + 1));
	}
	wg_wait(&errnowg);
	long bad = atomic_load_relaxed(&errnobad); // relaxed: wg_wait ordered the workers' adds
	if (bad != 0) {
		t_errorf(t, "%ld times a goroutine saw another's errno after Gosched or a sleep", bad);
	}
}

// CPU-bound: errno set and checked over and over for a while, with more
// such goroutines than Ps, so that sysmon preempts them (every 10 ms) at
// arbitrary instructions, between a set and its check too.
static void
spinner(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t end = time_nanotime() + (testing_short ? 300 : 1000) * Millisecond;
	for (int i = 0; time_nanotime() < end; i++) {
		int want = id * 1000000 + i % 999999 + 1;
		seterrno(want);
		for (int k = 0; k < 50; k++) {
			if (geterrno() != want) {
				atomic_xadd_relaxed(&errnobad, 1); // relaxed: a counter, read after wg_wait
				seterrno(want);
			}
		}
	}
	wg_done(&errnowg);
}

TEST(TestErrnoPerGoroutineAcrossPreemption)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "no asynchronous preemption in this build (ThreadSanitizer)");
	}
	int n = 2 * runtime_gomaxprocs(0) + 1;
	atomic_store_relaxed(&errnobad, 0);
	wg_add(&errnowg, n);
	for (int i = 0; i < n; i++) {
		go(spinner, (void *)(intptr_t)(i + 1));
	}
	wg_wait(&errnowg);
	long bad = atomic_load_relaxed(&errnobad); // relaxed: wg_wait ordered the workers' adds
	if (bad != 0) {
		t_errorf(t, "%ld times a goroutine saw another's errno after a preemption", bad);
	}
}

// The port's own wait (a note slept on with a timeout: a futex wait that
// ends with ETIMEDOUT on Linux) leaves the goroutine's errno alone, as
// the kernel's note does on bare metal.
TEST(TestErrnoKeptAcrossNoteSleep)
{
	struct note n;
	noteclear(&n);
	seterrno(4321);
	if (notetsleep(&n, Millisecond)) {
		t_fatalf(t, "notetsleep: woken, but nobody woke it");
	}
	if (geterrno() != 4321) {
		t_errorf(t, "errno %d after notetsleep timed out, want 4321", geterrno());
	}
}

// The goroutine's errno on a fresh goroutine is 0 (os_libcstate_reset),
// whatever the G's previous goroutine or the thread left there.
static int freshgot;

static void
fresh(void *arg)
{
	(void)arg;
	freshgot = geterrno();
	seterrno(777); // left behind for the next goroutine on this G
	wg_done(&errnowg);
}

TEST(TestErrnoZeroInNewGoroutine)
{
	for (int i = 0; i < 20; i++) {
		seterrno(999);
		freshgot = -1;
		wg_add(&errnowg, 1);
		go(fresh, NULL);
		wg_wait(&errnowg);
		if (freshgot != 0) {
			t_errorf(t, "round %d: a new goroutine starts with errno %d, want 0", i, freshgot);
			break;
		}
		if (geterrno() != 999) {
			t_errorf(t, "round %d: errno %d after go and wg_wait, want 999", i, geterrno());
			break;
		}
	}
}
