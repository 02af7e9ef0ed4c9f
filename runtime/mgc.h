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
	uint64_t lastgc; // Atomic, relaxed: sysmon reads it (gcforcedue) with the world running
	uint64_t gccpuns; // CPU time the collector took: its stops on every P, its worker's mark
	// What sweeping freed, for Frees and HeapAlloc: small objects by
	// size class, large objects and their bytes.
	uint64_t smallfree[NumSizeClasses];
	uint64_t largefree, largefreebytes;
};

extern struct gcstats gcstats;

// The pacer (Go's gcController, mgcpacer.go, as Go 1.18 sets its goal).
// heapLive counts the bytes of the heap handed out or held in an mcache's
// spans (Go's heapLive): added when an mcache takes a span's free slots
// and at a large allocation, taken off when an mcache gives slots back,
// set to heapMarked at mark termination. The goal is heapMarked * (1 + GOGC/100),
// never below heapMinimum = 4 MiB * GOGC/100 (Go's); a cycle starts when
// heapLive reaches the trigger, 45/64 of the way from heapMarked to the
// goal (Go's lowest trigger, minTriggerRatioNum/triggerRatioDen: the
// runway the concurrent mark has while the program goes on allocating);
// an allocation past the goal while a cycle runs waits for its end (mgc.c:
// what Go's mark assists bound). GOGC=off: never.
struct gccontroller {
	uint64_t heapLive;   // Atomic, relaxed: a count; the trigger tolerates a stale one
	uint64_t trigger;    // Atomic, relaxed: UINT64_MAX while GOGC is off
	uint64_t goal;       // Atomic, relaxed: likewise
	uint64_t heapMarked; // with the world stopped: the bytes the last mark marked, and allocated black
	int32_t gcpercent;   // GOGC; -1: off; changed with the world stopped (runtime_setgcpercent)
};

extern struct gccontroller gccontroller;

void gcinit(void);   // schedinit, after the knobs
void gcenable(void); // the main goroutine, before sysmon: the worker
void gctrigger(void);
int64_t gcforcedue(void);      // sysmon: when a cycle is due for the time gone by
void gcforce(int64_t now);     // sysmon: ... and ask for it
double gccpufraction(int64_t now); // world stopped

// The collector's phase (Go's gcphase): GCmark from the first stop of a
// cycle to its mark termination, when allocation is black; GCoff else.
enum { GCoff, GCmark };
extern uint32_t gcphase; // Atomic, relaxed: changed with the world stopped, which orders it for every mutator

// mfinal.c: the finalizers' part in a cycle (its overview).
void finscan(void (*scan)(uint64_t lo, uint64_t hi));
void finqueue(bool (*unmarked)(uint64_t obj), void (*mark)(uint64_t obj));
void finwake(void);
void finenable(void);

// mgcmark.c: the mark's parts, in a cycle's order (mgc.c's overview).
// The bytes of stacks and of static data scanned are for gctrace.
void gcmarkstart(void);                   // world stopped
void gcmarkconcurrent(void);              // world running
void gcmarktermination(uint64_t *stackbytes, uint64_t *globalbytes); // world stopped
void gcmarkstw(uint64_t *stackbytes, uint64_t *globalbytes);         // world stopped: all of it
void gccheckmarks(void);                  // world stopped, after a mark: GODEBUG=gccheckmark
void gcmarkfinalizers(void);              // world stopped, after a mark: mfinal.c's finqueue
// mgcsweep.c: the sweep (its overview): gcsweepstart in mark
// termination's stop, gcsweepall after; sweepclaim and sweepspan for the
// mcentrals too.
void gcsweepstart(void);
void gcsweepall(void);
bool sweepclaim(struct mspan *s);
bool sweepspan(struct mspan *s);
uint64_t gcmarkedbytes(void); // mgcmark.c: the bytes the last mark marked

// Calls f(s, arg) for every span of the heap in state, once each, in
// address order; the world is stopped. (mgcsweep.c)
void forEachSpan(int state, void (*f)(struct mspan *s, void *arg), void *arg);
void forEachSpanNow(int state, void (*f)(struct mspan *s, void *arg), void *arg);
void gcnewmanualspan(struct mspan *s); // mgcmark.c: mheap_allocaligned's, during a mark

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

// The bytes of an object of s: its size class's, or a large object's own.
static inline uint64_t
mspan_objsize(const struct mspan *s)
{
	return s->nelems == 1 ? s->limit - s->startaddr : s->elemsize;
}

// Allocate black (Go's gcmarknewobject): an object allocated while the
// mark runs is marked at once. Its contents are written after that, and
// the writes dirty its pages, so mark termination scans what it holds
// (mgcmark.c). The caller holds s (its mcache's, or new).
static inline void
gcmarknewobject(struct mspan *s, uint64_t x)
{
	uint64_t i = mspan_objindex(s, x);
	// Relaxed: a bit the marker may set too; the sweep reads the bits
	// after the world stopped, which orders them.
	atomic_or_relaxed(&s->gcmarkBits[i / 8], (uint8_t)(1 << (i % 8)));
}
