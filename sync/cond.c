// cond.c: sync.Cond (Go's sync/cond.go), over the runtime's notify list
// (runtime/sema.c): Wait takes a ticket while it still holds L, so a
// Signal or Broadcast that comes after the waiter let L go, however soon,
// finds its ticket and no wakeup is lost; Signal wakes the oldest ticket
// not yet woken (FIFO), Broadcast every ticket taken so far.

#include "runtime/sema.h"

void
sync_cond_wait(struct sync_cond *c)
{
	uint32_t t = sync_runtime_notifyListAdd(&c->notify);
	sync_mutex_unlock(c->L);
	sync_runtime_notifyListWait(&c->notify, t);
	sync_mutex_lock(c->L);
}

void
sync_cond_signal(struct sync_cond *c)
{
	sync_runtime_notifyListNotifyOne(&c->notify);
}

void
sync_cond_broadcast(struct sync_cond *c)
{
	sync_runtime_notifyListNotifyAll(&c->notify);
}
