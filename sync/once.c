// once.c: sync.Once (Go's sync/once.go). done is set only after fn has
// returned (or panicked), under m, so a caller that sees it set sees
// everything fn did; callers that come while fn runs wait on m. Go checks
// done with a load-acquire only, not a CAS: a caller must not return
// before fn has.

#include "lib/atomic.h"
#include "runtime/sema.h"

static void
oncedone(void *arg)
{
	struct sync_once *o = arg;
	// Store-release: pairs with the load-acquire of hood.h's inline
	// sync_once_do, so a caller that sees done sees fn's writes.
	atomic_store_rel(&o->done, 1);
}

static void
onceunlock(void *arg)
{
	sync_mutex_unlock(arg);
}

// Do's slow path (the fast path, a load of done, is inline in hood.h).
void
sync_once_doslow(struct sync_once *o, void (*fn)(void *), void *arg)
{
	// Go's doSlow: both deferred, so that an fn that panics still
	// counts as done and leaves m unlocked.
	deferscope {
		sync_mutex_lock(&o->m);
		defer(onceunlock, &o->m);
		if (atomic_load_relaxed(&o->done) == 0) { // relaxed: stored only under m
			defer(oncedone, o);
			fn(arg);
		}
	}
}
