// cond.c: sync.Cond (Go's sync/cond.go), over the runtime's notify list
// (runtime/sema.c): Wait takes a ticket while it still holds L, so a
// Signal or Broadcast that comes after the waiter let L go, however soon,
// finds its ticket and no wakeup is lost; Signal wakes the oldest ticket
// not yet woken (FIFO), Broadcast every ticket taken so far.

#include "lib/atomic.h"
#include "runtime/sema.h"

// Go's copyChecker: the first use records the Cond's address; a copy,
// used, finds another. The loads relaxed and the CAS acq_rel only
// because no relaxed CAS is named; nothing pairs with them: every use
// stores or compares one value, the Cond's own address.
static void
copycheck(struct sync_cond *c)
{
	uintptr_t here = (uintptr_t)&c->checker;
	if (atomic_load_relaxed(&c->checker) != here && !atomic_cas_acqrel(&c->checker, 0, here) &&
	    atomic_load_relaxed(&c->checker) != here) {
		runtime_panic("sync.Cond is copied");
	}
}

void
sync_cond_wait(struct sync_cond *c)
{
	copycheck(c);
	uint32_t t = sync_runtime_notifyListAdd(&c->notify);
	sync_mutex_unlock(c->L);
	sync_runtime_notifyListWait(&c->notify, t);
	sync_mutex_lock(c->L);
}

void
sync_cond_signal(struct sync_cond *c)
{
	copycheck(c);
	sync_runtime_notifyListNotifyOne(&c->notify);
}

void
sync_cond_broadcast(struct sync_cond *c)
{
	copycheck(c);
	sync_runtime_notifyListNotifyAll(&c->notify);
}
