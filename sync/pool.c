// pool.c: sync.Pool (Go's sync/pool.go): a cache of objects, one array
// of poolLocals a pool, one poolLocal a P, used only while the goroutine
// is pinned to that P (sync_runtime_procPin), so the P's own slot needs
// no lock:
//
//	pool.local -> [ P0: private, shared[] ][ P1: ... ] ... (localSize)
//	pool.victim -> the array of before the last collection
//
// Put keeps the object in its P's private slot, or pushes it on the P's
// shared stack. Get takes the private one, then the top of its own shared
// stack, then steals the bottom of another P's, then looks in the victim
// array the same way, then calls New.
//
// At the start of each collection, with the world stopped, poolCleanup
// drops every pool's victim array and makes its local array the victim
// (Go 1.13's victim cache): an object Put is reused for at least one
// cycle and freed after two without a Get, and a steady Get/Put load
// across a collection keeps finding its objects.
//
// Go's shared stacks are lock-free (poolChain, a chain of single-producer,
// many-consumer rings); here each is a growable array under a spinlock
// that only another P's steal contends for.

#include <string.h>

#include "lib/atomic.h"
#include "lib/lock.h"
#include "runtime/sema.h"

struct poolLocal {
	void *private;         // the P's own, pinned; NULL if none
	struct spinlock lock;
	// Protected by lock: objects Put, a stack (the newest last).
	void **shared;
	int nshared, cap;
} __attribute__((aligned(128))); // Ps' slots on cache lines apart, as Go pads them

// Every pool with a local array (allPools), and every pool with a victim
// array (oldPools), linked through allnext and oldnext. Changed by
// pinslow under allPoolsMu, pinned, and by poolCleanup with the world
// stopped, which waits for every pinned goroutine to unpin.
static struct sync_mutex allPoolsMu;
static struct sync_pool *allPools;
static bool cleanupRegistered; // Protected by allPoolsMu

static void poolCleanup(void);

// The calling goroutine pinned to its P, and the P's poolLocal. The
// caller unpins.
static struct poolLocal *pinslow(struct sync_pool *p);

static struct poolLocal *
pin(struct sync_pool *p, int *pid)
{
	*pid = sync_runtime_procPin();
	// Load-acquire of localSize, then local: pairs with pinslow's
	// store-releases, local first, so an index below the size is one of
	// the array's.
	uintptr_t size = atomic_load_acq(&p->localSize);
	struct poolLocal *l = atomic_load_relaxed(&p->local); // relaxed: ordered by the load above
	if ((uintptr_t)*pid < size) {
		return &l[*pid];
	}
	return pinslow(p);
}

static struct poolLocal *
pinslow(struct sync_pool *p)
{
	// Take allPoolsMu unpinned (it may wait), then pin again: poolCleanup
	// cannot run while we are pinned.
	sync_runtime_procUnpin();
	sync_mutex_lock(&allPoolsMu);
	int pid = sync_runtime_procPin();
	if (!cleanupRegistered) {
		sync_runtime_registerPoolCleanup(poolCleanup);
		cleanupRegistered = true;
	}
	struct poolLocal *l = p->local;
	if ((uintptr_t)pid < p->localSize) {
		sync_mutex_unlock(&allPoolsMu);
		return &l[pid];
	}
	if (l == NULL) {
		p->allnext = allPools;
		allPools = p;
	}
	// GOMAXPROCS changed, or the first use since a collection: a new
	// array as wide as the Ps (the old one's objects are left to the
	// collector, as Go leaves them).
	int size = runtime_gomaxprocs(0);
	l = newarray(struct poolLocal, size);
	for (int i = 0; i < size; i++) {
		spin_init(&l[i].lock, "sync.Pool", LOCK_POOL);
	}
	// Store-release, local then size: pairs with pin's load-acquire of
	// size.
	atomic_store_rel(&p->local, l);
	atomic_store_rel(&p->localSize, (uintptr_t)size);
	sync_mutex_unlock(&allPoolsMu);
	return &l[pid];
}

// Push x on l's shared stack, growing it outside the lock. Pinned.
static void
pushshared(struct poolLocal *l, void *x)
{
	spin_lock(&l->lock);
	while (l->nshared == l->cap) {
		int cap = l->cap == 0 ? 8 : 2 * l->cap;
		spin_unlock(&l->lock);
		void **grown = newarray(void *, cap);
		spin_lock(&l->lock);
		if (l->cap < cap) {
			if (l->nshared > 0) {
				memcpy(grown, l->shared, l->nshared * sizeof *grown);
			}
			l->shared = grown;
			l->cap = cap;
		}
	}
	l->shared[l->nshared++] = x;
	spin_unlock(&l->lock);
}

// Pop from l's shared stack: the newest (our own P's, Go's popHead), or
// the oldest (a steal, Go's popTail). NULL if empty. Pinned.
static void *
popshared(struct poolLocal *l, bool oldest)
{
	spin_lock(&l->lock);
	void *x = NULL;
	if (l->nshared > 0) {
		if (oldest) {
			x = l->shared[0];
			memmove(&l->shared[0], &l->shared[1], (l->nshared - 1) * sizeof *l->shared);
		} else {
			x = l->shared[l->nshared - 1];
		}
		l->shared[--l->nshared] = NULL; // the collector must not see it twice
	}
	spin_unlock(&l->lock);
	return x;
}

void
sync_pool_put(struct sync_pool *p, void *x)
{
	if (x == NULL) {
		return;
	}
	int pid;
	struct poolLocal *l = pin(p, &pid);
	if (l->private == NULL) {
		l->private = x;
	} else {
		pushshared(l, x);
	}
	sync_runtime_procUnpin();
}

// Get's slow path (Go's getSlow): other Ps' shared stacks, then the
// victim array. Pinned.
static void *
getslow(struct sync_pool *p, int pid)
{
	uintptr_t size = atomic_load_acq(&p->localSize); // load-acquire: pairs with pinslow's stores, as pin's
	struct poolLocal *locals = atomic_load_relaxed(&p->local); // relaxed: ordered by the load above
	for (uintptr_t i = 1; i < size; i++) {
		void *x = popshared(&locals[(pid + i) % size], true);
		if (x != NULL) {
			return x;
		}
	}
	// The victim array: set with the world stopped, and its size zeroed
	// by any Get that finds it empty. Relaxed: the world's restart
	// ordered the arrays' stores; a stale size only makes a Get look in
	// vain.
	size = atomic_load_relaxed(&p->victimSize);
	if ((uintptr_t)pid >= size) {
		return NULL;
	}
	locals = p->victim;
	struct poolLocal *l = &locals[pid];
	void *x = l->private;
	if (x != NULL) {
		l->private = NULL;
		return x;
	}
	for (uintptr_t i = 0; i < size; i++) {
		x = popshared(&locals[(pid + i) % size], true);
		if (x != NULL) {
			return x;
		}
	}
	// Empty: later Gets need not look again until the next collection.
	atomic_store_relaxed(&p->victimSize, 0); // relaxed: as the load above
	return NULL;
}

void *
sync_pool_get(struct sync_pool *p)
{
	int pid;
	struct poolLocal *l = pin(p, &pid);
	void *x = l->private;
	l->private = NULL;
	if (x == NULL) {
		x = popshared(l, false);
		if (x == NULL) {
			x = getslow(p, pid);
		}
	}
	sync_runtime_procUnpin();
	if (x == NULL && p->New != NULL) {
		x = p->New();
	}
	return x;
}

// At the start of each collection, the world stopped (see the header):
// no goroutine is pinned, and nothing here allocates.
static struct sync_pool *oldPools;

static void
poolCleanup(void)
{
	for (struct sync_pool *p = oldPools; p != NULL; p = p->oldnext) {
		p->victim = NULL;
		p->victimSize = 0;
	}
	for (struct sync_pool *p = allPools; p != NULL; p = p->allnext) {
		p->victim = p->local;
		p->victimSize = p->localSize;
		p->local = NULL;
		p->localSize = 0;
		p->oldnext = p->allnext;
	}
	oldPools = allPools;
	allPools = NULL;
}
