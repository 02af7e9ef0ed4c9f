// wg.c: see wg.h.

#include "lib/atomic.h"
#include "runtime/runtime.h"
#include "tests/wg.h"

void
wg_add(struct waitgroup *wg, long n)
{
	atomic_xadd_acqrel(&wg->left, n);
}

void
wg_done(struct waitgroup *wg)
{
	if (atomic_xadd_acqrel(&wg->left, -1) == 0) {
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
	while (atomic_load_acq(&wg->left) > 0) {
		gopark(parkunless, wg, waitReasonSemacquire);
	}
}
