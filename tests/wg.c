// wg.c: see wg.h.

#include "lib/atomic.h"
#include "runtime/runtime.h"
#include "tests/wg.h"

void
wg_add(struct waitgroup *wg, long n)
{
	// Acq_rel as every change of left, though nothing pairs with this
	// one: the add comes before the go() or wakeup that starts the
	// workers, which publishes it, and the waiter cares only for the zero
	// the last wg_done writes.
	atomic_xadd_acqrel(&wg->left, n);
}

void
wg_done(struct waitgroup *wg)
{
	// Release: publishes this worker's writes before wg_done; pairs with the
	// load-acquire of left in wg_wait and parkunless that reads 0. The
	// decrements are read-modify-writes, one release sequence, so that
	// load sees every worker's writes, not only the last one's.
	if (atomic_xadd_acqrel(&wg->left, -1) == 0) {
		// Take the waiter. Acq_rel; pairs with parkunless's CASes on
		// waiter: the acquire sees the G its first CAS registered, and
		// its take-back CAS, failing on our NULL, acquires this release
		// (the G parks; we ready it). Both sides are read-modify-writes
		// of waiter, so one reads the other: if this comes first,
		// parkunless's CAS synchronizes with it and sees left at 0; no
		// wakeup is lost.
		struct g *w = atomic_xchg_acqrel(&wg->waiter, NULL);
		if (w != NULL) {
			goready(w);
		}
	}
}

// Park unless everyone is done already: this runs on g0, after the G is
// off its stack, so a goready cannot come before the G is parked.
static bool
parkunless(struct g *gp, void *arg)
{
	struct waitgroup *wg = arg;
	// Acq_rel: pairs with the exchange in wg_done, which takes the waiter.
	if (!atomic_cas_acqrel(&wg->waiter, NULL, gp)) {
		return false;
	}
	// Load-acquire; pairs with the last wg_done's decrement, as in wg_wait.
	if (atomic_load_acq(&wg->left) == 0) {
		// Done between the check and the registration: take it back,
		// unless wg_done already took it and will ready us.
		return !atomic_cas_acqrel(&wg->waiter, gp, NULL);
	}
	return true;
}

void
wg_wait(struct waitgroup *wg)
{
	// Load-acquire; pairs with the decrement-release in wg_done: at 0,
	// what every worker wrote before its wg_done is visible to the caller.
	while (atomic_load_acq(&wg->left) > 0) {
		gopark(parkunless, wg, waitReasonSemacquire);
	}
}
