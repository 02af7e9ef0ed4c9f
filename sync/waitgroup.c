// waitgroup.c: sync.WaitGroup (Go's sync/waitgroup.go). One 64-bit word
// holds the counter (high 32 bits, signed) and the number of waiters (low
// 32 bits), so that Add sees at once whether it brings the counter to 0
// with waiters to wake; the waiters sleep on sema, and the Add that ends
// the count releases it once for each.
//
// Go's misuse checks, with its messages: a negative counter panics; an
// Add from 0 racing a Wait, and a reuse of the group before the last Wait
// returned, panic as "WaitGroup misuse".

#include "lib/atomic.h"
#include "runtime/sema.h"

struct wgjob {
	struct sync_waitgroup *wg;
	void (*fn)(void *);
	void *arg;
};

void
sync_waitgroup_add(struct sync_waitgroup *wg, int delta)
{
	// Acq_rel: the release publishes what this goroutine did before its
	// Done to the waiter, whose load-acquire in Wait pairs with it (the
	// adds are read-modify-writes: one release sequence, so a Wait that
	// sees 0 sees every Done's writes).
	uint64_t state = atomic_xadd_acqrel(&wg->state, (uint64_t)(int64_t)delta << 32);
	int32_t v = (int32_t)(state >> 32);
	uint32_t w = (uint32_t)state;
	if (v < 0) {
		runtime_panic("sync: negative WaitGroup counter");
	}
	if (w != 0 && delta > 0 && v == delta) {
		runtime_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	}
	if (v > 0 || w == 0) {
		return;
	}
	// The counter is 0 and there are waiters: nobody may change the
	// state now (an Add would be the misuse above, a Wait returns at 0).
	// Relaxed: the check of Go's; the xadd above ordered what matters.
	if (atomic_load_relaxed(&wg->state) != state) {
		runtime_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	}
	// Reset the waiters to 0 and wake them. Relaxed: each waiter's
	// semacquire orders its wake-up after the semrelease below, which
	// comes after this store.
	atomic_store_relaxed(&wg->state, 0);
	for (; w > 0; w--) {
		sync_runtime_Semrelease(&wg->sema, false);
	}
}

void
sync_waitgroup_done(struct sync_waitgroup *wg)
{
	sync_waitgroup_add(wg, -1);
}

void
sync_waitgroup_wait(struct sync_waitgroup *wg)
{
	// Load-acquire: pairs with the Adds' releases (see Add).
	uint64_t state = atomic_load_acq(&wg->state);
	for (;;) {
		if ((int32_t)(state >> 32) == 0) {
			return; // nothing to wait for
		}
		// Count ourselves a waiter. Acq_rel: pairs with Add's xadd,
		// which reads the waiters.
		uint64_t seen = atomic_casv_acqrel(&wg->state, state, state + 1);
		if (seen == state) {
			sync_runtime_SemacquireWaitGroup(&wg->sema);
			// Relaxed: the Add that woke us reset it before its
			// semrelease, which our semacquire follows.
			if (atomic_load_relaxed(&wg->state) != 0) {
				runtime_panic("sync: WaitGroup is reused before previous Wait has returned");
			}
			return;
		}
		state = seen;
	}
}

static void
wgrun(void *arg)
{
	struct wgjob *j = arg;
	struct sync_waitgroup *wg = j->wg;
	j->fn(j->arg);
	sync_waitgroup_done(wg);
}

// Go 1.25's WaitGroup.Go.
void
sync_waitgroup_go(struct sync_waitgroup *wg, void (*fn)(void *), void *arg)
{
	sync_waitgroup_add(wg, 1);
	struct wgjob *j = new(struct wgjob);
	*j = (struct wgjob){wg, fn, arg};
	go(wgrun, j);
}
