// mgc.h: the collector's declarations, shared by mgc.c, mgcmark.c and
// mgcsweep.c. See mgc.c for the overview.
#pragma once

#include "runtime/malloc.h"

// The collector's statistics (Go's memstats' GC fields), written with the
// world stopped, read by readmemstats with it stopped. Times are
// nanotime's (Go's LastGC and PauseEnd are wall clock: there is no wall
// clock yet).
struct gcstats {
	uint32_t numgc, numforcedgc;
	uint64_t pausens[256], pauseend[256]; // ring, by numgc
	uint64_t pausetotalns;
	uint64_t lastgc;
	// What sweeping freed, for Frees and HeapAlloc: small objects by
	// size class, large objects and their bytes.
	uint64_t smallfree[NumSizeClasses];
	uint64_t largefree, largefreebytes;
};

extern struct gcstats gcstats;

void gcmark(void);  // mgcmark.c
void gcsweep(void); // mgcsweep.c

// Calls f(s, arg) for every span of the heap in state, once each, in
// address order; the world is stopped. (mgcsweep.c)
void forEachSpan(int state, void (*f)(struct mspan *s, void *arg), void *arg);

// The set bits of x. Not __builtin_popcountll: without POPCNT (qemu64
// lacks it) gcc calls libgcc, which the bare-metal image does not link.
static inline uint64_t
popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

// Whether slot i of s is allocated (Go's !isFree): below freeindex every
// slot is; at or above it, those whose alloc bit is set.
static inline bool
mspan_allocated(const struct mspan *s, uint64_t i)
{
	return i < s->freeindex || (s->allocBits[i / 8] >> (i % 8) & 1);
}

// The index of the slot holding the byte at p, an address inside s's
// objects (Go's objIndex: divmagic instead of a division).
static inline uint64_t
mspan_objindex(const struct mspan *s, uint64_t p)
{
	if (s->nelems == 1) {
		return 0;
	}
	return (p - s->startaddr) * s->divmagic >> 32;
}
