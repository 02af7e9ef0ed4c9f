// value.c: atomic.Value (Go's sync/atomic/value.go) for pointers: one
// word, stored with release and loaded with acquire (hood.h's inline
// atomic_value_load), so that a Load sees what the Store's caller wrote
// before it. Go's Value also fixes its first value's type and panics on
// another; a C pointer carries no type to check.

#include "lib/atomic.h"
#include "runtime/sema.h"

static void
checknil(void *x, const char *op)
{
	if (x == NULL) {
		runtime_panic(op);
	}
}

void
atomic_value_store(struct atomic_value *v, void *x)
{
	checknil(x, "sync/atomic: store of nil value into Value");
	// Store-release: pairs with atomic_value_load's load-acquire.
	atomic_store_rel(&v->v, x);
}

void *
atomic_value_swap(struct atomic_value *v, void *x)
{
	checknil(x, "sync/atomic: swap of nil value into Value");
	// Acq_rel: the release pairs with the loads' acquires as Store's; the
	// acquire with the store of the value it returns.
	return atomic_xchg_acqrel(&v->v, x);
}

bool
atomic_value_compareandswap(struct atomic_value *v, void *old, void *x)
{
	checknil(x, "sync/atomic: compare and swap of nil value into Value");
	// Acq_rel: pairs as Swap's.
	return atomic_cas_acqrel(&v->v, old, x);
}
