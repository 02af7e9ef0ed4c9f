// mgcsweep.c: sweeping (Go's mgcsweep.go): each in-use span's mark bits
// become its alloc bits, the objects left unmarked are free for the next
// allocations, and a span with nothing marked goes back to the page heap.
// See mgc.c for the overview.
//
// Concurrent and lazy, with Go's sweepgen: mark termination (the world
// stopped, every mcache emptied) adds 2 to mheap_.sweepgen; from then on
// a span with
//
//	s->sweepgen == h->sweepgen - 2   needs sweeping
//	s->sweepgen == h->sweepgen - 1   is being swept
//	s->sweepgen == h->sweepgen       is swept (or was made since)
//
// and whoever moves it from -2 to -1 (a CAS: sweepclaim) sweeps it: the
// worker, going through the heap's spans once the world runs again
// (forEachSpanNow; Go's bgsweep), or an mcentral that needs a span with free slots and
// finds an unswept one on its lists (mcentral.c; Go's cacheSpan). A span
// being swept is off every list and in no mcache; its mcentral's lock
// guards the lists only. The worker sweeps everything before it says the
// cycle ended, so the next cycle's first stop finds every span swept.
// After its sweep a span's gcmarkBits are clear, as a new span's are: the
// next mark begins with them so (Go's fresh gcBits).

#include <string.h>

#include "runtime/malloc.h"
#include "runtime/mgc.h"

// forEachSpan: f(s, arg) for every span in state, once each, in address
// order. The world is stopped, so the spans stay as they are but for
// what f does: f may free s (the walk has read past it). Takes no lock
// while f runs; f may take mheap_.lock.
void
forEachSpan(int state, void (*f)(struct mspan *s, void *arg), void *arg)
{
	for (int a = 0; a < mheap_.nallarenas; a++) {
		struct heapArena *ha = mheap_.allarenas[a];
		for (uint64_t i = 0; i < PagesPerArena;) {
			struct mspan *s = ha->spans[i];
			if (s == NULL || s->startaddr != ha->base + i * PageSize) {
				i++;
				continue;
			}
			i += s->npages; // before f, which may free s
			if (s->state == state) {
				f(s, arg);
			}
		}
	}
}

// forEachSpanNow: f(s, arg) for the spans in state, the world running:
// each span seen at its first page, published whole (spanof's load-acquire
// of its state). A span made or freed meanwhile may be missed or seen, and
// a struct freed and made again may be seen with fields of both lives, a
// race the sanitizer is told of: f must check what it relies on (a sweep
// claim; spanof of a range's ends). Memory of the heap stays mapped while
// the collector runs (the scavenger waits). For the concurrent sweep and
// mark.
void __attribute__((no_sanitize_thread))
forEachSpanNow(int state, void (*f)(struct mspan *s, void *arg), void *arg)
{
	for (int a = 0;; a++) {
		spin_lock(&mheap_.lock);
		struct heapArena *ha = a < mheap_.nallarenas ? mheap_.allarenas[a] : NULL;
		spin_unlock(&mheap_.lock);
		if (ha == NULL) {
			return;
		}
		for (uint64_t i = 0; i < PagesPerArena; i++) {
			// Relaxed: as spanof's; the state's load-acquire pairs with
			// mheap_allocaligned's store-release.
			struct mspan *s = atomic_load_relaxed(&ha->spans[i]);
			if (s != NULL && atomic_load_acq(&s->state) == state && s->startaddr == ha->base + i * PageSize) {
				f(s, arg);
			}
		}
	}
}

// gcsweepstart: mark termination's part, the world stopped and every
// mcache empty: every in-use span needs sweeping now (mheap_.sweepgen
// moves on by 2).
void
gcsweepstart(void)
{
	// Relaxed: the world's start orders it for every sweeper; new spans
	// read it under mheap_.lock (mspan_init).
	atomic_store_relaxed(&mheap_.sweepgen, mheap_.sweepgen + 2);
}

// sweepclaim: whether the caller now owns s's sweep (Go's tryAcquire):
// it needed sweeping and nobody else took it.
bool
sweepclaim(struct mspan *s)
{
	uint32_t sg = atomic_load_relaxed(&mheap_.sweepgen); // relaxed: gcsweepstart's
	// Acquire CAS; pairs with the release store that ends the last
	// sweep of s, or the span's publication: what was done to s before
	// is seen.
	return atomic_load_relaxed(&s->sweepgen) == sg - 2 && atomic_cas_acq(&s->sweepgen, sg - 2, sg - 1);
}

// sweepspan: the sweep of s, which the caller claimed and which is on no
// list (Go's mspan.sweep): its marked objects stay allocated, the rest
// are free. With none marked it goes back to the heap and the result is
// false; else s is swept, and the caller puts it on a list (a small span)
// or leaves it be (a large one). Runs on g0 or the worker.
bool
sweepspan(struct mspan *s)
{
	uint64_t nbytes = allocbitsbytes(s->nelems);
	uint64_t live = 0;
	for (uint64_t w = 0; w < nbytes; w += 8) {
		uint64_t bits;
		memcpy(&bits, s->gcmarkBits + w, 8);
		live += popcount64(bits);
	}
	int sizeclass = spanclass_sizeclass(s->spanclass);
	uint32_t sg = atomic_load_relaxed(&mheap_.sweepgen); // relaxed: as in sweepclaim
	if (sizeclass == 0) {
		if (live == 0) {
			atomic_xadd_relaxed(&gcstats.largefree, 1); // relaxed: counts, read with the world stopped
			atomic_xadd_relaxed(&gcstats.largefreebytes, s->elemsize);
			mheap_freespan(&mheap_, s);
			return false;
		}
		s->gcmarkBits[0] = 0; // the next cycle's marks, clear
		// Store-release; pairs with the acquire CAS in sweepclaim.
		atomic_store_rel(&s->sweepgen, sg);
		return true;
	}
	atomic_xadd_relaxed(&gcstats.smallfree[sizeclass], s->allocCount - live); // relaxed: as above
	if (live == 0) {
		struct mcentral *c = &mheap_.central[s->spanclass];
		spin_lock(&c->lock);
		c->nspans--;
		spin_unlock(&c->lock);
		mheap_freespan(&mheap_, s);
		return false;
	}
	// The marks are the allocation now; the old alloc bits, cleared, are
	// the next cycle's marks (Go makes new ones from its gcBits arenas).
	uint8_t *old = s->allocBits;
	s->allocBits = s->gcmarkBits;
	s->gcmarkBits = old;
	memset(old, 0, nbytes);
	if (live < s->allocCount) {
		s->needzero = true; // freed slots hold their old objects
	}
	s->allocCount = (uint16_t)live;
	s->freeindex = 0;
	mspan_refillalloccache(s, 0);
	// Store-release; pairs with the acquire CAS in sweepclaim.
	atomic_store_rel(&s->sweepgen, sg);
	return true;
}

// The sweep of a span the worker claimed, on g0 (it takes the heap's and
// the mcentral's locks): off its list, swept, back on a list.
static void
bgsweepone(void *arg)
{
	struct mspan *s = arg;
	if (spanclass_sizeclass(s->spanclass) == 0) {
		sweepspan(s);
		return;
	}
	struct mcentral *c = &mheap_.central[s->spanclass];
	mcentral_unlist(c, s);
	if (sweepspan(s)) {
		mcentral_uncachespan(c, s);
	}
}

// An in-use span the walk found: swept if nobody did yet. The claim holds
// only for a span that needs it (one made since is swept already, and an
// unswept one is freed by its sweeper alone).
static void
bgsweep(struct mspan *s, void *arg)
{
	(void)arg;
	if (sweepclaim(s)) {
		systemstack(bgsweepone, s);
	}
}

// gcsweepall: every span not swept yet swept (Go's bgsweep, run to the
// end): by the worker with the world running, or in mark termination's
// stop with GODEBUG=gcstoptheworld=1.
void
gcsweepall(void)
{
	forEachSpanNow(MSpanInUse, bgsweep, NULL);
}
