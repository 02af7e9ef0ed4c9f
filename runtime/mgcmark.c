// mgcmark.c: marking (Go's mgcmark.go): the roots, conservative scanning
// of memory word by word, and the mark stack of objects still to scan.
// See mgc.c for the overview.
//
// The roots (Go's markroot, for memory with no pointer maps):
//
//	static data      the machine's data and bss (os_dataregion)
//	runtime structs  every chunk of persistentalloc: Gs, Ms, Ps, timers,
//	                 the C library's per-G state, the sudog and defer
//	                 pools (fixalloc's spans and mcaches come from the
//	                 machine directly, since a span's startaddr would
//	                 keep its first object alive)
//	C's heap         every manual span whole (newlib's malloc, and
//	                 runtime_malloc on the hosted port)
//	stacks           every goroutine's, from its saved stack pointer up:
//	                 its registers are on it (gogo's frame, asyncpreempt's
//	                 save); a G in a system call from the stack pointer
//	                 entersyscall saw, all callee-saved registers spilled
//	                 there; the collecting G from here, its registers
//	                 spilled likewise
//
// Not roots: the threads' TLS and, on the hosted port, the shared C
// library's own data (a pointer to the heap kept only there is not seen:
// docs/gc.md). Invariant: an object is pushed on the mark stack only when
// its mark bit goes from 0 to 1, so each is scanned at most once a cycle.

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

// The mark stack: bases of marked objects of scan spans not yet scanned
// (Go's gcWork and workbufs, with one P marking). It grows by doubling,
// from the machine; the old one is never given back (a heap's worth of
// marking needs the largest it ever needed again).
static struct {
	uint64_t *v;
	uint64_t n, cap;
} markstack;

// The heap's bounds this cycle: from its lowest arena's base to its
// highest's end; a word outside is no pointer into it.
static uint64_t heaplo, heaphi;

static void clearmarks(struct mspan *s, void *arg);
static void scanmanual(struct mspan *s, void *arg);
static uint64_t scanstacks(uint64_t mysp);
static void scanblock(uint64_t lo, uint64_t hi);
static void greyobject(uint64_t p);
static void drain(void);

// gcmark: every object the roots reach marked. The world is stopped.
// __builtin_unwind_init spills every callee-saved register into this
// frame, so the caller's pointers that live only in registers are on the
// stack that scanstacks reads from here up.
void
gcmark(uint64_t *stackbytes, uint64_t *globalbytes)
{
	__builtin_unwind_init();
	volatile uint64_t here = 0;
	spin_lock(&mheap_.lock);
	heaplo = heaphi = 0;
	if (mheap_.nallarenas > 0) {
		heaplo = mheap_.allarenas[0]->base;
		heaphi = mheap_.allarenas[mheap_.nallarenas - 1]->base + HeapArenaBytes;
	}
	spin_unlock(&mheap_.lock);
	forEachSpan(MSpanInUse, clearmarks, NULL);
	uint64_t lo, hi;
	*globalbytes = 0;
	// Each kind of root, then what it reached (drained between kinds, so
	// that the mark stack holds one kind's objects at most).
	for (int i = 0; os_dataregion(i, &lo, &hi); i++) {
		scanblock(lo, hi);
		*globalbytes += hi - lo;
	}
	drain();
	for (int i = 0; persistentchunk(i, &lo, &hi); i++) {
		scanblock(lo, hi);
	}
	drain();
	forEachSpan(MSpanManual, scanmanual, NULL);
	drain();
	*stackbytes = scanstacks((uint64_t)&here);
	drain();
}

static void
clearmarks(struct mspan *s, void *arg)
{
	(void)arg;
	memset(s->gcmarkBits, 0, ((uint64_t)s->nelems + 63) / 64 * 8);
}

static void
scanmanual(struct mspan *s, void *arg)
{
	(void)arg;
	scanblock(s->startaddr, s->startaddr + s->npages * PageSize);
}

// Every goroutine's stack, from where its live frames begin (the overview
// says where) to its top; returns the bytes scanned. mysp: the collecting
// G's own.
static uint64_t
scanstacks(uint64_t mysp)
{
	uint64_t scanned = 0;
	struct g *me = getg();
	// allgs is prepended to and never shortened, and a G's link is set
	// before it is published: the list from its head now is walked
	// without the lock, which scanning must not hold (the mark stack may
	// grow, and the machine's memory locks rank below allglock).
	spin_lock(&allglock);
	struct g *head = allgs;
	spin_unlock(&allglock);
	for (struct g *gp = head; gp != NULL; gp = gp->alllink) {
		uint32_t status = readgstatus(gp) & ~Gscan;
		uint64_t sp;
		if (gp == me) {
			sp = mysp;
		} else if (status == Gdead || status == Gidle) {
			continue;
		} else if (status == Gsyscall) {
			sp = gp->syscallsp;
		} else if (status == Grunnable || status == Gwaiting) {
			sp = gp->sched.sp;
		} else {
			fatalf("gcmark: goroutine %ld runs (status %u) with the world stopped", gp->goid, status);
		}
		if (sp < gp->stacklo || sp > gp->stackhi) {
			fatalf("gcmark: goroutine %ld's stack pointer 0x%lx is off its stack [0x%lx, 0x%lx)", gp->goid,
			       sp, gp->stacklo, gp->stackhi);
		}
		scanblock(sp & ~7ULL, gp->stackhi);
		scanned += gp->stackhi - (sp & ~7ULL);
	}
	return scanned;
}

// Every aligned word of [lo, hi) that points into an allocated object
// marks it. Conservative scanning reads what the sanitizers would call
// out of bounds (global and stack red zones) or racy (sysmon runs on with
// the world stopped): it only reads, and a stale word only keeps an
// object alive.
#define SCANS __attribute__((no_sanitize_address, no_sanitize_thread))

static void SCANS
scanblock(uint64_t lo, uint64_t hi)
{
	for (uint64_t *w = (uint64_t *)lo; w < (uint64_t *)hi; w++) {
		uint64_t p = *w;
		if (p >= heaplo && p < heaphi) {
			greyobject(p);
		}
	}
}

// Mark the object p points into, if it is an allocated object of the
// heap, and queue it for scanning if its span is a scan span (Go's
// findObject and greyobject).
static void
greyobject(uint64_t p)
{
	struct mspan *s = spanof(p);
	if (s == NULL || s->state != MSpanInUse || p >= s->limit) {
		return;
	}
	uint64_t i = mspan_objindex(s, p);
	if (!mspan_allocated(s, i)) {
		return;
	}
	uint8_t bit = (uint8_t)(1 << (i % 8));
	if (s->gcmarkBits[i / 8] & bit) {
		return;
	}
	s->gcmarkBits[i / 8] |= bit;
	if (spanclass_noscan(s->spanclass)) {
		return;
	}
	if (markstack.n == markstack.cap) {
		uint64_t cap = markstack.cap == 0 ? 4096 : 2 * markstack.cap;
		uint64_t *v = os_sysalloc(cap * sizeof *v);
		if (markstack.n > 0) {
			memcpy(v, markstack.v, markstack.n * sizeof *v);
		}
		markstack.v = v;
		markstack.cap = cap;
	}
	markstack.v[markstack.n++] = s->startaddr + i * s->elemsize;
}

// Scan the queued objects until none is left (Go's gcDrain).
static void
drain(void)
{
	while (markstack.n > 0) {
		uint64_t obj = markstack.v[--markstack.n];
		struct mspan *s = spanof(obj);
		scanblock(obj, s->nelems == 1 ? s->limit : obj + s->elemsize);
	}
}
