// sleep_test.c: sleeps so long that their deadline does not fit in an
// int64 (runtime/time.c's time_sleep, lock_futex.c's and the kernel's
// notetsleep): they sleep for ever, as Go's time.Sleep(math.MaxInt64)
// does (Go clamps a timer's when to maxWhen), instead of wrapping round to
// a deadline in the past and returning at once.

#include <stdint.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

static long foreverreturned; // Atomic, relaxed: sleepers that came back

static void
sleepforever(void *arg)
{
	time_sleep((int64_t)(intptr_t)arg);
	atomic_xadd_relaxed(&foreverreturned, 1);
}

// Goroutines sleep INT64_MAX and a little less, whose nanotime() + ns
// wraps; after 100 ms none has come back. They stay asleep for the rest
// of the run, as Go's would (their timers at the far end of the heap).
TEST(TestSleepForeverDoesNotReturn)
{
	go(sleepforever, (void *)(intptr_t)INT64_MAX);
	go(sleepforever, (void *)(intptr_t)(INT64_MAX - 1000));
	go(sleepforever, (void *)(intptr_t)(INT64_MAX - time_nanotime() / 2));
	time_sleep(100 * Millisecond);
	long n = atomic_load_relaxed(&foreverreturned);
	if (n != 0) {
		t_errorf(t, "%ld of 3 goroutines came back from a sleep of about INT64_MAX ns", n);
	}
}

// The machine's timed wait: a goroutine in notetsleep(n, INT64_MAX) stays
// there until woken (then reports true), not returning at once.
struct longnap {
	struct note n;
	int state; // Atomic: 0 asleep, 1 returned woken, 2 returned timed out
};

static void
longnap(void *arg)
{
	struct longnap *ln = arg;
	bool woken = notetsleep(&ln->n, INT64_MAX);
	// Store-release; pairs with the test's load-acquire.
	atomic_store_rel(&ln->state, woken ? 1 : 2);
}

TEST(TestNoteSleepLongTimeout)
{
	static struct longnap ln;
	go(longnap, &ln);
	time_sleep(50 * Millisecond);
	// Load-acquire; pairs with longnap's store-release.
	if (atomic_load_acq(&ln.state) != 0) {
		t_fatalf(t, "notetsleep(INT64_MAX) returned after 50 ms (state %d)", ln.state);
	}
	notewakeup(&ln.n);
	int64_t deadline = time_nanotime() + 5 * Second;
	while (atomic_load_acq(&ln.state) == 0 && time_nanotime() < deadline) { // pairs as above
		time_sleep(Millisecond);
	}
	if (atomic_load_acq(&ln.state) != 1) { // pairs as above
		t_errorf(t, "notetsleep(INT64_MAX), woken, returned state %d, want 1 (woken)", ln.state);
	}
}
