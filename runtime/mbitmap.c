// mbitmap.c: a span's allocation bitmap and the allocCache over it (Go's
// mbitmap.go: allocBits, refillAllocCache, nextFreeIndex). See malloc.h
// for an overview and struct mspan for the invariants.
//
// The bitmaps come from persistentallocnoscan (the collector does not scan
// them for pointers), a byte per 8 slots rounded up to
// 8 bytes so that a refill can read a whole word. A span's bitmaps last as
// long as its struct, which keeps them when fixalloc hands it out again;
// the sweep swaps the two (Go recycles them by cycle in gcBits arenas).

#include <string.h>

#include "runtime/malloc.h"

static uint64_t loadbits(const uint8_t *bits);

// A zeroed bitmap for nelems slots.
uint8_t *
newallocbits(uint16_t nelems)
{
	return persistentallocnoscan(allocbitsbytes(nelems), 8);
}

// Make s a fresh span of spanclass over [base, base + npages pages):
// every slot free. Caller holds mheap_.lock, and publishes s's state once
// the span is whole (mheap_allocaligned).
void
mspan_init(struct mspan *s, uint64_t base, uint64_t npages, uint8_t spanclass)
{
	int sizeclass = spanclass_sizeclass(spanclass);
	s->next = s->prev = NULL;
	s->startaddr = base;
	s->npages = npages;
	s->spanclass = spanclass;
	s->freeindex = 0;
	s->allocCount = 0;
	s->incache = false;
	// Relaxed: the worker may look at a struct it recorded that was freed
	// and made again (mgcsweep.c: its claim fails); sweepgen changes with
	// the world stopped.
	atomic_store_relaxed(&s->sweepgen, atomic_load_relaxed(&mheap_.sweepgen));
	if (sizeclass == 0) {
		s->elemsize = npages * PageSize;
		s->nelems = 1;
		s->divmagic = 0;
	} else {
		s->elemsize = class_to_size[sizeclass];
		s->nelems = (uint16_t)(npages * PageSize / s->elemsize);
		s->divmagic = class_to_divmagic[sizeclass];
	}
	s->limit = base + (uint64_t)s->nelems * s->elemsize;
	// A struct used before keeps its bitmaps, if they are big enough (the
	// collector frees spans, and fixalloc hands their structs out again).
	uint64_t nbytes = allocbitsbytes(s->nelems);
	if (s->allocBits != NULL && s->bitscap >= s->nelems) {
		memset(s->allocBits, 0, nbytes);
		memset(s->gcmarkBits, 0, nbytes);
	} else {
		s->allocBits = newallocbits(s->nelems);
		s->gcmarkBits = newallocbits(s->nelems);
		s->bitscap = s->nelems;
		mheap_.gcsys += 2 * nbytes;
	}
	s->allocCache = ~0ULL; // slots 0..63 all free: allocBits is zero
}

// The 64 bits at bits, little-endian: the first slot's is bit 0.
static uint64_t
loadbits(const uint8_t *bits)
{
	uint64_t w;
	memcpy(&w, bits, sizeof w);
	return w;
}

// Load allocCache with the complement of the allocation bits of the 64
// slots from whichbyte * 8 (Go's refillAllocCache).
void
mspan_refillalloccache(struct mspan *s, uint16_t whichbyte)
{
	s->allocCache = ~loadbits(s->allocBits + whichbyte);
}

// The index of the next free slot from freeindex on, taken (freeindex
// moves past it), or nelems if the span is full; refills allocCache as it
// goes (Go's nextFreeIndex). Called by whoever holds s.
uint16_t
mspan_nextfreeindex(struct mspan *s)
{
	uint16_t sfreeindex = s->freeindex;
	uint16_t snelems = s->nelems;
	if (sfreeindex == snelems) {
		return sfreeindex;
	}
	uint64_t cache = s->allocCache;
	while (cache == 0) {
		// Nothing free in the cached 64: on to the next 64 slots.
		sfreeindex = (uint16_t)((sfreeindex + 64) & ~63);
		if (sfreeindex >= snelems) {
			s->freeindex = snelems;
			return snelems;
		}
		mspan_refillalloccache(s, sfreeindex / 8);
		cache = s->allocCache;
	}
	unsigned bit = (unsigned)__builtin_ctzll(cache);
	uint16_t result = (uint16_t)(sfreeindex + bit);
	if (result >= snelems) {
		s->freeindex = snelems;
		return snelems;
	}
	s->allocCache = cache >> bit >> 1; // two shifts: by 64 is undefined in C
	sfreeindex = (uint16_t)(result + 1);
	if (sfreeindex % 64 == 0 && sfreeindex != snelems) {
		mspan_refillalloccache(s, sfreeindex / 8);
	}
	s->freeindex = sfreeindex;
	return result;
}
