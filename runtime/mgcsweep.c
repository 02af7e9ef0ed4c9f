// mgcsweep.c: sweeping (Go's mgcsweep.go), with the world stopped: each
// in-use span's mark bits become its alloc bits, the objects left
// unmarked are free for the next allocations, and a span with nothing
// marked goes back to the page heap. See mgc.c for the overview.
//
// Every span is swept in the same stop, so none needs sweepgen's states
// yet (Go sweeps lazily, and the allocator sweeps what it takes). With
// every mcache emptied first, each small span is on its mcentral's lists:
// the lists are made again from what survives, partial or full. After the
// sweep every in-use span's gcmarkBits are clear, as a new span's are:
// the next cycle's mark begins with them so (Go's fresh gcBits).

#include <string.h>

#include "runtime/malloc.h"
#include "runtime/mgc.h"

static void sweepspan(struct mspan *s, void *arg);

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

// gcsweep: every in-use span swept; returns the bytes of the objects
// left allocated. The world is stopped.
uint64_t
gcsweep(void)
{
	uint64_t live = 0;
	for (int i = 0; i < NumSpanClasses; i++) {
		struct mcentral *c = &mheap_.central[i];
		spin_lock(&c->lock);
		c->partial = c->full = NULL;
		spin_unlock(&c->lock);
	}
	forEachSpan(MSpanInUse, sweepspan, &live);
	return live;
}

// Sweep s (Go's mspan.sweep): its marked objects stay allocated, the rest
// are free; with none marked it goes back to the heap, else to its
// mcentral's lists. Adds the bytes left allocated to *arg.
static void
sweepspan(struct mspan *s, void *arg)
{
	uint64_t *livebytes = arg;
	uint64_t nbytes = ((uint64_t)s->nelems + 63) / 64 * 8;
	uint64_t live = 0;
	for (uint64_t w = 0; w < nbytes; w += 8) {
		uint64_t bits;
		memcpy(&bits, s->gcmarkBits + w, 8);
		live += popcount64(bits);
	}
	int sizeclass = spanclass_sizeclass(s->spanclass);
	if (sizeclass == 0) {
		if (live == 0) {
			gcstats.largefree++;
			gcstats.largefreebytes += s->elemsize;
			mheap_freespan(&mheap_, s);
		} else {
			*livebytes += s->elemsize;
			s->gcmarkBits[0] = 0; // the next cycle's marks, clear
		}
		return;
	}
	*livebytes += live * s->elemsize;
	gcstats.smallfree[sizeclass] += s->allocCount - live;
	if (live == 0) {
		struct mcentral *c = &mheap_.central[s->spanclass];
		spin_lock(&c->lock);
		c->nspans--;
		spin_unlock(&c->lock);
		mheap_freespan(&mheap_, s);
		return;
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
	mcentral_uncachespan(&mheap_.central[s->spanclass], s);
}
