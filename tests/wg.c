// wg.c: see wg.h.

#include "runtime/runtime.h"
#include "tests/wg.h"

void
wg_add(struct waitgroup *wg, long n)
{
	__atomic_add_fetch(&wg->left, n, __ATOMIC_ACQ_REL);
}

void
wg_done(struct waitgroup *wg)
{
	if (__atomic_sub_fetch(&wg->left, 1, __ATOMIC_ACQ_REL) == 0) {
		struct g *w = __atomic_exchange_n(&wg->waiter, NULL, __ATOMIC_ACQ_REL);
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
	struct g *none = NULL;
	if (!__atomic_compare_exchange_n(&wg->waiter, &none, gp, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		return false;
	}
	if (__atomic_load_n(&wg->left, __ATOMIC_ACQUIRE) == 0) {
		// Done between the check and the registration: take it back,
		// unless wg_done already took it and will ready us.
		struct g *me = gp;
		return !__atomic_compare_exchange_n(&wg->waiter, &me, NULL, false, __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
	}
	return true;
}

void
wg_wait(struct waitgroup *wg)
{
	while (__atomic_load_n(&wg->left, __ATOMIC_ACQUIRE) > 0) {
		gopark(parkunless, wg, waitReasonSemacquire);
	}
}
