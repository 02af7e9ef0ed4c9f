// once.c: sync.Once (Go's sync/once.go). done is set only after fn has
// returned (or panicked), under m, so a caller that sees it set sees
// everything fn did; callers that come while fn runs wait on m.

#include "lib/atomic.h"
#include "runtime/sema.h"

static void
oncedone(void *arg)
{
	struct sync_once *o = arg;
	// Store-release: pairs with the fast path's load-acquire, so a
	// caller that sees done sees fn's writes.
	atomic_store_rel(&o->done, 1);
}

static void
onceunlock(void *arg)
{
	sync_mutex_unlock(arg);
}

static void
doslow(struct sync_once *o, void (*fn)(void *), void *arg)
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

void
sync_once_do(struct sync_once *o, void (*fn)(void *), void *arg)
{
	// Load-acquire: pairs with oncedone's store-release. Not a CAS on
	// done (Go's note): a caller must not return before fn has.
	if (atomic_load_acq(&o->done) == 0) {
		doslow(o, fn, arg);
	}
}
