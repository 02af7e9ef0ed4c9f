// mutex.c: sync.Mutex (Go's internal/sync/mutex.go, which sync.Mutex
// wraps since Go 1.24), on the runtime's semaphores (runtime/sema.h).
//
// The state word, written out once:
//
//	bit 0     mutexLocked    held
//	bit 1     mutexWoken     a waiter is awake and trying: Unlock needs
//	                         to wake nobody
//	bit 2     mutexStarving  starvation mode
//	bits 3..  waiters        goroutines waiting on sema
//
// Normal mode: a waiter woken by Unlock competes for the lock with the
// goroutines just arriving, which are already on a CPU and usually win;
// the loser goes back to the head of the queue (lifo). A waiter that has
// waited more than 1 ms switches the mutex to starvation mode: Unlock then
// hands the lock straight to the first waiter (sema's hand-off), arrivals
// neither take it nor spin but queue at the back, and the mode ends when
// the waiter served is the last one or waited under 1 ms. Normal mode is
// much faster; starvation mode bounds the worst wait.

#include "lib/atomic.h"
#include "runtime/sema.h"

enum {
	mutexLocked = 1,
	mutexWoken = 2,
	mutexStarving = 4,
	mutexWaiterShift = 3,
};

// Go's starvationThresholdNs.
static const int64_t StarvationThreshold = 1000000;

bool
sync_mutex_trylock(struct sync_mutex *m)
{
	int32_t old = atomic_load_relaxed(&m->state); // relaxed: the CAS checks it
	if ((old & (mutexLocked | mutexStarving)) != 0) {
		return false;
	}
	// Acq_rel: pairs with Unlock's release, as Lock's CAS.
	return atomic_cas_acqrel(&m->state, old, old | mutexLocked);
}

// Lock's slow path (the fast path, a CAS from 0, is inline in hood.h).
void
sync_mutex_lockslow(struct sync_mutex *m)
{
	int64_t waitstart = 0; // when this goroutine began to wait, or 0
	bool starving = false; // it has waited over the threshold
	bool awoke = false;    // it holds mutexWoken (woken, or spinning)
	int iter = 0;          // spins so far
	int32_t old = atomic_load_relaxed(&m->state); // relaxed: every use goes through a CAS
	for (;;) {
		// Spin while another goroutine holds it in normal mode (not in
		// starvation mode: the lock goes to a waiter, never to us).
		if ((old & (mutexLocked | mutexStarving)) == mutexLocked && sync_runtime_canSpin(iter)) {
			// Set mutexWoken so that Unlock wakes nobody while we
			// spin. Relaxed CAS order is enough for a hint, but the
			// acq_rel of the wrapper costs nothing more on x86; it
			// pairs with nothing in particular.
			if (!awoke && (old & mutexWoken) == 0 && old >> mutexWaiterShift != 0 &&
			    atomic_cas_acqrel(&m->state, old, old | mutexWoken)) {
				awoke = true;
			}
			sync_runtime_doSpin();
			iter++;
			old = atomic_load_relaxed(&m->state); // relaxed: as above
			continue;
		}
		int32_t new = old;
		if ((old & mutexStarving) == 0) {
			new |= mutexLocked; // in starvation mode arrivals do not take it
		}
		if ((old & (mutexLocked | mutexStarving)) != 0) {
			new += 1 << mutexWaiterShift; // we will wait
		}
		if (starving && (old & mutexLocked) != 0) {
			new |= mutexStarving; // only while it is held: Unlock expects waiters
		}
		if (awoke) {
			if ((new & mutexWoken) == 0) {
				sync_fatal("sync: inconsistent mutex state");
			}
			new &= ~mutexWoken; // we are either taking it or going to sleep
		}
		// Acq_rel: the acquire pairs with Unlock's release when this
		// takes the lock.
		if (!atomic_cas_acqrel(&m->state, old, new)) {
			old = atomic_load_relaxed(&m->state); // relaxed: the next CAS checks it
			continue;
		}
		if ((old & (mutexLocked | mutexStarving)) == 0) {
			return; // locked by the CAS
		}
		// Wait: at the head of the queue if we waited before.
		bool lifo = waitstart != 0;
		if (waitstart == 0) {
			waitstart = sync_runtime_nanotime();
		}
		sync_runtime_SemacquireMutex(&m->sema, lifo);
		starving = starving || sync_runtime_nanotime() - waitstart > StarvationThreshold;
		// Acquire: in starvation mode the lock was handed to us; pairs
		// with the unlocker's release (its add to state, and the
		// semaphore's own ordering).
		old = atomic_load_acq(&m->state);
		if ((old & mutexStarving) != 0) {
			// Handed to us, with mutexLocked clear and our wait still
			// counted: take it, leave the queue, and end starvation
			// mode if we are the last waiter or did not wait long.
			if ((old & (mutexLocked | mutexWoken)) != 0 || old >> mutexWaiterShift == 0) {
				sync_fatal("sync: inconsistent mutex state");
			}
			int32_t delta = mutexLocked - (1 << mutexWaiterShift);
			if (!starving || old >> mutexWaiterShift == 1) {
				delta -= mutexStarving;
			}
			// Acq_rel: pairs with the next Unlock's release like the
			// fast path's CAS.
			atomic_xadd_acqrel(&m->state, delta);
			return;
		}
		awoke = true;
		iter = 0;
	}
}

// Unlock's slow path: hood.h's inline Unlock has taken the lock bit off
// and found waiters, a starvation mode or the mutex unlocked (new, the
// state after).
void
sync_mutex_unlockslow(struct sync_mutex *m, int32_t new)
{
	if (((new + mutexLocked) & mutexLocked) == 0) {
		sync_fatal("sync: unlock of unlocked mutex");
	}
	if ((new & mutexStarving) != 0) {
		// Hand the lock to the first waiter, and our P with it: it runs
		// at once. mutexLocked stays clear; the waiter sets it, and
		// arrivals see mutexStarving and queue meanwhile.
		sync_runtime_Semrelease(&m->sema, true);
		return;
	}
	int32_t old = new;
	for (;;) {
		// Nobody to wake, or somebody else will: no waiters, the lock
		// taken already, a waiter awake, or starvation mode begun.
		if (old >> mutexWaiterShift == 0 || (old & (mutexLocked | mutexWoken | mutexStarving)) != 0) {
			return;
		}
		// Take a waiter off the count and wake it. Acq_rel: pairs with
		// the CASes of sync_mutex_lockslow, which read this state.
		new = (old - (1 << mutexWaiterShift)) | mutexWoken;
		if (atomic_cas_acqrel(&m->state, old, new)) {
			sync_runtime_Semrelease(&m->sema, false);
			return;
		}
		old = atomic_load_relaxed(&m->state); // relaxed: the CAS checks it
	}
}
