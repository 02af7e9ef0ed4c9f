// rwmutex.c: sync.RWMutex (Go's sync/rwmutex.go): readers count
// themselves in readerCount; a writer first takes w (one writer at a
// time), then subtracts rwmutexMaxReaders from readerCount, which makes it
// negative: readers arriving from then on wait on readerSem, and the
// writer waits on writerSem for the readerWait readers that were in when
// it came. The last of those to leave wakes it; its Unlock adds
// rwmutexMaxReaders back and wakes the readers that queued meanwhile.
//
// So a waiting writer keeps new readers out: readers cannot starve a
// writer, and a writer lets in every reader that waited for it before the
// next writer gets its turn.

#include "lib/atomic.h"
#include "runtime/sema.h"

enum { rwmutexMaxReaders = 1 << 30 };

void
sync_rwmutex_rlock(struct sync_rwmutex *rw)
{
	// Acq_rel: the acquire pairs with Unlock's release of readerCount
	// (what the writer wrote is visible to the readers after it); the
	// release with Lock's add, which reads this count.
	if (atomic_xadd_acqrel(&rw->readerCount, 1) < 0) {
		// A writer holds it or waits: wait for its Unlock.
		sync_runtime_SemacquireRWMutexR(&rw->readerSem, false);
	}
}

bool
sync_rwmutex_tryrlock(struct sync_rwmutex *rw)
{
	for (;;) {
		int32_t c = atomic_load_relaxed(&rw->readerCount); // relaxed: the CAS checks it
		if (c < 0) {
			return false;
		}
		// Acq_rel: pairs as RLock's add.
		if (atomic_cas_acqrel(&rw->readerCount, c, c + 1)) {
			return true;
		}
	}
}

void
sync_rwmutex_runlock(struct sync_rwmutex *rw)
{
	// Acq_rel: the release pairs with the writer's acquire (its Lock's
	// add, or readerWait's last decrement below), so that what readers
	// did before comes before the writer's turn.
	int32_t r = atomic_xadd_acqrel(&rw->readerCount, -1);
	if (r >= 0) {
		return;
	}
	if (r + 1 == 0 || r + 1 == -rwmutexMaxReaders) {
		sync_fatal("sync: RUnlock of unlocked RWMutex");
	}
	// A writer waits: the last reader it waits for wakes it. Acq_rel:
	// pairs with the writer's add to readerWait.
	if (atomic_xadd_acqrel(&rw->readerWait, -1) == 0) {
		sync_runtime_Semrelease(&rw->writerSem, false);
	}
}

void
sync_rwmutex_lock(struct sync_rwmutex *rw)
{
	sync_mutex_lock(&rw->w); // one writer at a time
	// Announce the writer: readers arriving from here on wait. Acq_rel:
	// pairs with the readers' RLock and RUnlock adds; r is how many are
	// in.
	int32_t r = atomic_xadd_acqrel(&rw->readerCount, -rwmutexMaxReaders) + rwmutexMaxReaders;
	// Wait for them, unless they have all left between the two adds.
	// Acq_rel: pairs with the readers' RUnlock decrements of readerWait.
	if (r != 0 && atomic_xadd_acqrel(&rw->readerWait, r) != 0) {
		sync_runtime_SemacquireRWMutex(&rw->writerSem, false);
	}
}

bool
sync_rwmutex_trylock(struct sync_rwmutex *rw)
{
	if (!sync_mutex_trylock(&rw->w)) {
		return false;
	}
	// Acq_rel: pairs with the readers' adds, as Lock's.
	if (!atomic_cas_acqrel(&rw->readerCount, 0, -rwmutexMaxReaders)) {
		sync_mutex_unlock(&rw->w);
		return false;
	}
	return true;
}

void
sync_rwmutex_unlock(struct sync_rwmutex *rw)
{
	// Let readers in again. Acq_rel: the release pairs with the acquire
	// of the readers' RLock adds (the writer's writes before theirs).
	int32_t r = atomic_xadd_acqrel(&rw->readerCount, rwmutexMaxReaders);
	if (r >= rwmutexMaxReaders) {
		sync_fatal("sync: Unlock of unlocked RWMutex");
	}
	// Wake the readers that queued while we held it.
	for (int32_t i = 0; i < r; i++) {
		sync_runtime_Semrelease(&rw->readerSem, false);
	}
	sync_mutex_unlock(&rw->w);
}
