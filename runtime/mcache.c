// mcache.c: a P's allocation cache (Go's mcache.go): a span of each span
// class, from which mallocgc takes slots without a lock. See malloc.h for
// an overview.
//
// The mcache belongs to the P, not the M: an M uses its P's while it holds
// the P (mallocgc runs with the M acquired, so it keeps the P throughout).
// procresize makes it with the P and empties it when the P goes (Go's
// freemcache; hood keeps the struct for the P's return, as it keeps the P).
// Before the Ps exist there is no P to ask: mmanual.c's shared cache
// serves the C library then.

#include <string.h>

#include "runtime/malloc.h"
#include "runtime/mgc.h"

// The span every empty slot of an mcache points to: no free slot, so the
// fast path falls through to refill without a NULL check (Go's
// emptymspan).
struct mspan emptymspan;

// allocmcache: a new mcache, every class empty.
struct mcache *
allocmcache(void)
{
	spin_lock(&mheap_.lock);
	struct mcache *c = fixalloc_alloc(&mheap_.cachealloc);
	spin_unlock(&mheap_.lock);
	memset(c, 0, sizeof *c);
	for (int i = 0; i < NumSpanClasses; i++) {
		c->alloc[i] = &emptymspan;
	}
	return c;
}

// The mcache of the P that mp holds; mp is acquired (m.locks > 0), so
// that the P stays its own.
struct mcache *
getmcache(struct m *mp)
{
	struct p *pp = mp->p;
	if (pp == NULL) {
		throw("mallocgc called without a P or outside bootstrapping");
	}
	return pp->mcache; // made by procresize with the P
}

// mcache_releaseall: every span c holds back to its mcentral, the tiny
// block dropped, the free objects of its malloc bins to the central lists
// (Go's mcache.releaseAll). The slots those spans still had free no longer
// count as allocated. The world is stopped (procresize).
void
mcache_releaseall(struct mcache *c)
{
	if (c == NULL) {
		return;
	}
	for (int spc = 0; spc < NumSpanClasses; spc++) {
		struct mspan *s = c->alloc[spc];
		if (s == &emptymspan) {
			continue;
		}
		uint64_t unused = (uint64_t)(s->nelems - s->allocCount);
		c->smallAllocCount[spanclass_sizeclass((uint8_t)spc)] -= unused;
		atomic_xadd_relaxed(&gccontroller.heapLive, -(unused * s->elemsize)); // relaxed: mgc.h
		mcentral_uncachespan(&mheap_.central[spc], s);
		c->alloc[spc] = &emptymspan;
	}
	c->tiny = 0;
	c->tinyoffset = 0;
	manual_releasebins(c);
}

// mcache_refill: a span with a free slot for class spc in place of the
// full one (Go's mcache.refill); false if the heap has no more memory.
// Runs on g0 (systemstack). The slots of the new span count as allocated
// now; the old span gave all of its out.
bool
mcache_refill(struct mcache *c, uint8_t spc)
{
	struct mspan *s = c->alloc[spc];
	if (s != &emptymspan) {
		if (s->allocCount != s->nelems) {
			throw("mcache_refill: span has free space remaining");
		}
		mcentral_uncachespan(&mheap_.central[spc], s);
	}
	s = mcentral_cachespan(&mheap_.central[spc]);
	if (s == NULL) {
		c->alloc[spc] = &emptymspan;
		return false;
	}
	uint64_t unused = (uint64_t)(s->nelems - s->allocCount);
	c->smallAllocCount[spanclass_sizeclass(spc)] += unused;
	atomic_xadd_relaxed(&gccontroller.heapLive, unused * s->elemsize); // relaxed: mgc.h
	c->alloc[spc] = s;
	return true;
}
