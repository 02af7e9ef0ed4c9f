// C11's atomics in an application, on both ports: <stdatomic.h> is the
// compiler's (on bare metal through lib/newlib/include/stdatomic.h; newlib's
// own did not compile: "request for member '__val' in something not a
// structure or union"). Goroutines on every P count with atomic_fetch_add
// and with an atomic_compare_exchange_strong loop, and wait for each other
// through atomic_load; the sums must be exact. Go's sync/atomic is the
// same idea (atomic.AddInt32, CompareAndSwapInt32, LoadInt32), with
// sequentially consistent operations like these.
//
// The file is an application's: it includes hood.h, not runtime.h, since
// lib/atomic.h's atomic_load and atomic_store are macros of the same
// names.

#include <stdatomic.h>

#include "include/hood.h"
#include "tests/testing.h"
#include "tests/wg.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is lock-free on x86-64");

enum {
	StdatomicWorkers = 8,
	StdatomicRounds = 20000,
};

static atomic_int stdatomicadds;  // atomic_fetch_add's count
static atomic_int stdatomiccas;   // the compare-and-swap loop's count
static atomic_int stdatomicready; // workers started: each waits for all
static struct waitgroup stdatomicwg;

static void
stdatomicworker(void *arg)
{
	(void)arg;
	// seq_cst; pairs with the other workers' atomic_load below: none
	// starts counting before every worker runs, so they count at once.
	atomic_fetch_add(&stdatomicready, 1);
	while (atomic_load(&stdatomicready) < StdatomicWorkers) {
		runtime_gosched();
	}
	for (int i = 0; i < StdatomicRounds; i++) {
		atomic_fetch_add(&stdatomicadds, 1);
		// seq_cst; the CAS pairs with the other workers' CAS on the
		// same word: a lost update would fail it and go round again.
		int old = atomic_load(&stdatomiccas);
		while (!atomic_compare_exchange_strong(&stdatomiccas, &old, old + 1)) {
		}
		if (i % 1000 == 0) {
			runtime_gosched();
		}
	}
	wg_done(&stdatomicwg);
}

TEST(TestStdatomicFromGoroutines)
{
	// seq_cst; pairs with the workers' loads and read-modify-writes,
	// which the go statements order after these stores anyway.
	atomic_store(&stdatomicadds, 0);
	atomic_store(&stdatomiccas, 0);
	atomic_store(&stdatomicready, 0);
	wg_add(&stdatomicwg, StdatomicWorkers);
	for (int i = 0; i < StdatomicWorkers; i++) {
		go(stdatomicworker, NULL);
	}
	wg_wait(&stdatomicwg);
	// seq_cst; pairs with the workers' last updates, which wg_wait's
	// wakeup has ordered before these loads anyway.
	int adds = atomic_load(&stdatomicadds), cas = atomic_load(&stdatomiccas);
	if (adds != StdatomicWorkers * StdatomicRounds || cas != StdatomicWorkers * StdatomicRounds) {
		t_errorf(t, "atomic_fetch_add counted %d, the CAS loop %d; want %d each", adds, cas,
			 StdatomicWorkers * StdatomicRounds);
	}
	int want = StdatomicWorkers * StdatomicRounds;
	if (!atomic_compare_exchange_strong(&stdatomiccas, &want, 0) || atomic_load(&stdatomiccas) != 0) {
		t_errorf(t, "atomic_compare_exchange_strong(%d, 0) did not swap", want);
	}
	want = 1;
	if (atomic_compare_exchange_strong(&stdatomiccas, &want, 2) || want != 0) {
		t_errorf(t, "a failed atomic_compare_exchange_strong gave back %d, want 0", want);
	}
}
