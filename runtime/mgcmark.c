// mgcmark.c: marking (Go's mgcmark.go): the roots, conservative scanning
// of memory word by word, the mark stack of objects still to scan, and
// the write barrier of a collector for C: the dirty bits of the heap's
// pages (os_dirtyscan). See mgc.c for the overview and the timeline.
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
//	                 there; the marking G from here, its registers
//	                 spilled likewise
//
// Not roots: the threads' TLS and, on the hosted port, the shared C
// library's own data (a pointer to the heap kept only there is not seen:
// docs/gc.md).
//
// Mostly-concurrent marking (Boehm, Demers and Shenker, PLDI 1991). The
// program writes pointers wherever it likes while the mark runs, with no
// barrier of its own; the machine's dirty bits record which pages it
// wrote. So:
//
//	gcmarkstart         world stopped: the stacks scanned (their objects
//	                    only greyed)
//	gcmarkconcurrent    world running: the heap's pages made clean; then
//	                    the greyed objects, static data,
//	                    persistentalloc's chunks, the manual spans, and
//	                    all they reach, marked; then rounds that take the
//	                    pages dirtied since (making them clean again) and
//	                    scan their marked objects' words on those pages,
//	                    while a round finds fewer
//	gcmarktermination   world stopped: the dirty pages' marked objects
//	                    and manual memory again, every manual span made
//	                    since the start whole (its memory may hold old
//	                    words never written since), every root whole
//	                    (roots are few bytes and not tracked), and all
//	                    they reach
//
// Why nothing reachable stays white: an object is reachable at mark
// termination through a chain from a root. Take the chain's first white
// object; the word before it in the chain is in a root (scanned whole at
// termination) or in a marked object X. X's words were scanned after the
// heap was made clean (every scan is), so if X held the pointer then,
// its target was greyed; if it came later, the write dirtied X's page
// after X's last scan of that page, and termination scans it. Objects
// allocated meanwhile are black from birth (mgc.h's gcmarknewobject): what
// they hold came by writes, which dirty their pages. Invariants: an object
// is pushed on the mark stack only when its mark bit goes from 0 to 1, by
// this file's greyobject, so each is scanned whole at most once a cycle;
// one G marks at a time (the collector's worker, mgc.c), so the mark
// stack has one owner.

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

enum {
	// Concurrent re-scan rounds before mark termination: at most this
	// many, and only while each finds at most half the dirty pages of
	// the last (Boehm's rounds converge quickly, or the program writes
	// faster than we scan, and the stop takes the rest).
	MaxDirtyRounds = 4,
	PhysPagesPerArena = HeapArenaBytes / PhysPageSize,
};

// The mark's state. It lives in memory from the machine, not in static
// data, whose words are roots: heaplo, the heap's first byte, kept the
// heap's first object alive, and a 128 MiB tree under it.
static struct markstate {
	// The mark stack: bases of marked objects of scan spans not yet
	// scanned (Go's gcWork and workbufs, with one G marking). It grows
	// by doubling, from the machine; the old one is never given back (a
	// heap's worth of marking needs the largest it ever needed again).
	struct {
		uint64_t *v;
		uint64_t n, cap;
	} stack;
	// The heap's bounds for the scans: from its lowest arena's base to
	// its highest's end; a word outside is no pointer into it. Set with
	// the world stopped at each stop of a cycle; an arena added between
	// the stops holds only objects allocated black, so the concurrent
	// part need not see it.
	uint64_t heaplo, heaphi;
	// The manual spans made since the mark began, as struct addresses
	// (gcnewmanualspan, under mheap_.lock): their memory may hold old
	// words that nobody wrote since the heap's pages were cleaned, which
	// the concurrent walk of the manual spans may have missed too;
	// termination scans them whole.
	struct {
		uint64_t *v;
		uint64_t n, cap;
	} newmanual;
	uint64_t dirtybits[PhysPagesPerArena / 64]; // one arena's, from os_dirtyscan
	uint64_t markedbytes; // the objects this mark marked, allocation's black ones not
} *ms;

// Conservative scanning reads what the sanitizers would call out of
// bounds (global and stack red zones) or racy (the program runs on during
// the concurrent mark, writing the objects and a span's allocation
// fields; sysmon runs even with the world stopped): it only reads, and a
// stale word only keeps an object alive.
#define SCANS __attribute__((no_sanitize_address, no_sanitize_thread))

static void setheapbounds(void);
static void scanmanual(struct mspan *s, void *arg);
static void scanmanualnow(struct mspan *s, void *arg);
static uint64_t scanroots(uint64_t mysp, uint64_t *stackbytes);
static uint64_t scanstacks(uint64_t mysp);
static uint64_t rescandirty(bool clear, bool rescan);
static void rescanpage(uint64_t page);
static void scanblock(uint64_t lo, uint64_t hi);
static void greyobject(uint64_t p);
static void drain(void);
static void growstack(uint64_t **v, uint64_t *cap, uint64_t n);

// gcmarkstart: the first stop's part (Go's gcStart, after its sweep
// termination): the stacks' objects greyed.
// Every mark is clear already (mgcsweep.c: the last sweep left them so).
// The world is stopped, and stays so until gcmarkconcurrent.
void
gcmarkstart(void)
{
	__builtin_unwind_init(); // the caller's registers, for scanstacks
	volatile uint64_t here = 0;
	setheapbounds();
	ms->markedbytes = 0;
	ms->newmanual.n = 0;
	scanstacks((uint64_t)&here);
}

// gcmarkconcurrent: the mark's bulk, the world running (mgc.c's worker).
// First the heap's pages are made clean, with the world running too, and
// the marked objects' words on the pages that were dirty scanned: a write
// before its page was cleaned is seen by that scan (the objects allocated
// black since the stop, which no other scan reads whole) or by the whole
// scan that every other object gets later.
void
gcmarkconcurrent(void)
{
	uint64_t lo, hi;
	rescandirty(true, true);
	drain(); // what the stacks reached
	for (int i = 0; os_dataregion(i, &lo, &hi); i++) {
		scanblock(lo, hi);
	}
	drain();
	for (int i = 0; persistentchunk(i, &lo, &hi); i++) {
		scanblock(lo, hi);
	}
	drain();
	forEachSpanNow(MSpanManual, scanmanualnow, NULL);
	drain();
	finscan(scanblock);
	drain();
	uint64_t last = UINT64_MAX;
	for (int round = 0; round < MaxDirtyRounds; round++) {
		uint64_t n = rescandirty(true, true);
		drain();
		if (n == 0 || n > last / 2) {
			break;
		}
		last = n;
	}
}

// gcmarktermination: the second stop's part (Go's gcMarkDone and
// gcMarkTermination): what was written since the last round, and the
// roots again. The world is stopped.
void
gcmarktermination(uint64_t *stackbytes, uint64_t *globalbytes)
{
	__builtin_unwind_init();
	volatile uint64_t here = 0;
	setheapbounds();
	rescandirty(false, true); // the next cycle's start cleans
	for (uint64_t i = 0; i < ms->newmanual.n; i++) {
		struct mspan *s = (struct mspan *)ms->newmanual.v[i];
		if (s->state == MSpanManual) { // else freed since (a span made again is listed again)
			scanmanual(s, NULL);
		}
	}
	drain();
	*globalbytes = scanroots((uint64_t)&here, stackbytes);
}

// gcmarkstw: the whole mark with the world stopped (GODEBUG=gcstoptheworld=1,
// Go's too): everything the roots reach.
void
gcmarkstw(uint64_t *stackbytes, uint64_t *globalbytes)
{
	__builtin_unwind_init();
	volatile uint64_t here = 0;
	setheapbounds();
	ms->markedbytes = 0;
	forEachSpan(MSpanManual, scanmanual, NULL);
	drain();
	*globalbytes = scanroots((uint64_t)&here, stackbytes);
}

uint64_t
gcmarkedbytes(void)
{
	return ms->markedbytes;
}

// The marks of the mark being checked (gccheckmarks), span after span in
// forEachSpan's order, and where the next span's go.
static struct {
	uint8_t *v;
	uint64_t off;
	bool bad;
} saved;

static void
sizemarks(struct mspan *s, void *arg)
{
	(void)arg;
	saved.off += allocbitsbytes(s->nelems);
}

// Keep s's marks in saved, and clear them.
static void
savemarks(struct mspan *s, void *arg)
{
	(void)arg;
	uint64_t nbytes = allocbitsbytes(s->nelems);
	memcpy(saved.v + saved.off, s->gcmarkBits, nbytes);
	memset(s->gcmarkBits, 0, nbytes);
	saved.off += nbytes;
}

// The check: every object marked now (from scratch) was marked then. The
// marks are put back as they were (a superset: allocate-black keeps what
// died during the cycle), so that a run with the check sweeps as one
// without.
static void
comparemarks(struct mspan *s, void *arg)
{
	(void)arg;
	uint64_t nbytes = allocbitsbytes(s->nelems);
	const uint8_t *old = saved.v + saved.off;
	for (uint64_t i = 0; i < s->nelems; i++) {
		uint8_t bit = (uint8_t)(1 << (i % 8));
		if ((s->gcmarkBits[i / 8] & bit) && !(old[i / 8] & bit)) {
			os_print("runtime: checkmarks found unexpected unmarked object obj=0x%lx (span 0x%lx, size "
				 "%lu)\n",
				 s->startaddr + i * s->elemsize, s->startaddr, s->elemsize);
			saved.bad = true;
		}
	}
	memcpy(s->gcmarkBits, old, nbytes);
	saved.off += nbytes;
}

// gccheckmarks (GODEBUG=gccheckmark=1, Go's gcCheckmarks): after a mark,
// mark again from scratch with the world stopped, and throw if an object
// that mark reaches was left unmarked by the first: the concurrent mark's
// proof, run by the tests. The world is stopped.
void
gccheckmarks(void)
{
	saved.off = 0;
	forEachSpan(MSpanInUse, sizemarks, NULL);
	uint64_t size = saved.off > 0 ? saved.off : 8;
	saved.v = os_sysalloc(size);
	saved.off = 0;
	saved.bad = false;
	forEachSpan(MSpanInUse, savemarks, NULL);
	uint64_t stackbytes, globalbytes;
	gcmarkstw(&stackbytes, &globalbytes);
	saved.off = 0;
	forEachSpan(MSpanInUse, comparemarks, NULL);
	os_sysfree(saved.v, size);
	if (saved.bad) {
		throw("checkmark found unmarked object");
	}
}

static bool
unmarked(uint64_t obj)
{
	struct mspan *s = spanof(obj);
	uint64_t i = mspan_objindex(s, obj);
	return !(atomic_load_relaxed(&s->gcmarkBits[i / 8]) >> (i % 8) & 1); // relaxed: the world is stopped
}

static void
markobject(uint64_t obj)
{
	struct mspan *s = spanof(obj);
	gcmarknewobject(s, obj);
	ms->markedbytes += s->elemsize;
}

// gcmarkfinalizers: after the mark, the finalizers' objects that it left
// unmarked marked after all and their calls queued (mfinal.c). The world
// is stopped.
void
gcmarkfinalizers(void)
{
	finqueue(unmarked, markobject);
}

// The heap's bounds from its arenas, now; the mark's state made the first
// time (every mark begins here).
static void
setheapbounds(void)
{
	if (ms == NULL) {
		ms = os_sysalloc(sizeof *ms);
	}
	spin_lock(&mheap_.lock);
	ms->heaplo = ms->heaphi = 0;
	if (mheap_.nallarenas > 0) {
		ms->heaplo = mheap_.allarenas[0]->base;
		ms->heaphi = mheap_.allarenas[mheap_.nallarenas - 1]->base + HeapArenaBytes;
	}
	spin_unlock(&mheap_.lock);
}

// scanmanual, the world running (forEachSpanNow): s may be freed and made
// again as it is read, so its range is scanned only if both its ends are
// s's now (a span's pages are contiguous and mapped); one missed is freed
// or new since, and new ones are scanned at termination.
static void SCANS
scanmanualnow(struct mspan *s, void *arg)
{
	(void)arg;
	uint64_t lo = s->startaddr, hi = lo + s->npages * PageSize;
	if (hi > lo && spanof(lo) == s && spanof(hi - 1) == s) {
		scanblock(lo, hi);
	}
}

// gcnewmanualspan: s, a manual span, was made while the mark runs. Caller
// holds mheap_.lock (mheap_allocaligned).
void
gcnewmanualspan(struct mspan *s)
{
	growstack(&ms->newmanual.v, &ms->newmanual.cap, ms->newmanual.n + 1);
	ms->newmanual.v[ms->newmanual.n++] = (uint64_t)s;
}

static void
scanmanual(struct mspan *s, void *arg)
{
	(void)arg;
	scanblock(s->startaddr, s->startaddr + s->npages * PageSize);
}

// Every root whole (static data, persistentalloc's chunks, the stacks from
// mysp for the caller's), and all they reach; returns the bytes of static
// data, and the stacks' in *stackbytes. The world is stopped.
static uint64_t
scanroots(uint64_t mysp, uint64_t *stackbytes)
{
	uint64_t lo, hi, globalbytes = 0;
	// Each kind of root, then what it reached (drained between kinds, so
	// that the mark stack holds one kind's objects at most).
	for (int i = 0; os_dataregion(i, &lo, &hi); i++) {
		scanblock(lo, hi);
		globalbytes += hi - lo;
	}
	drain();
	for (int i = 0; persistentchunk(i, &lo, &hi); i++) {
		scanblock(lo, hi);
	}
	drain();
	finscan(scanblock);
	drain();
	*stackbytes = scanstacks(mysp);
	drain();
	return globalbytes;
}

// Every goroutine's stack, from where its live frames begin (the overview
// says where) to its top; returns the bytes scanned. mysp: the marking
// G's own. The world is stopped.
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

// The pages of the heap written since the last clearing scan: with
// rescan, each one's marked objects' words on it scanned again, or its
// words if it is manual memory. With clear, the pages are clean again
// from before the scans (os_dirtyscan's barrier). Returns the dirty
// pages' count. The world may run: an arena's mapped prefix only grows,
// and spanof is safe anywhere.
static uint64_t
rescandirty(bool clear, bool rescan)
{
	uint64_t total = 0;
	for (int a = 0;; a++) {
		spin_lock(&mheap_.lock);
		if (a >= mheap_.nallarenas) {
			spin_unlock(&mheap_.lock);
			break;
		}
		struct heapArena *ha = mheap_.allarenas[a];
		uint64_t base = ha->base, mapped = ha->mapped;
		spin_unlock(&mheap_.lock);
		if (mapped == 0 || base < ms->heaplo || base >= ms->heaphi) {
			continue; // nothing mapped yet; or new since the bounds, and black
		}
		uint64_t n = os_dirtyscan((void *)base, mapped, ms->dirtybits, clear);
		total += n;
		for (uint64_t w = 0; rescan && n > 0 && w < (mapped / PhysPageSize + 63) / 64; w++) {
			for (uint64_t bits = ms->dirtybits[w]; bits != 0; bits &= bits - 1) {
				rescanpage(base + (w * 64 + (uint64_t)__builtin_ctzll(bits)) * PhysPageSize);
			}
		}
	}
	return total;
}

// Scan again what a dirty page holds that the mark must see: the words,
// on the page, of the marked objects of a scan span (objects not marked
// yet are scanned whole when they are), or the page of a manual span.
static void SCANS
rescanpage(uint64_t page)
{
	struct mspan *s = spanof(page);
	if (s == NULL) {
		return;
	}
	uint64_t lo = page, hi = page + PhysPageSize;
	uint8_t state = atomic_load_relaxed(&s->state); // relaxed: spanof's load-acquire ordered the fields
	if (state == MSpanManual) {
		scanblock(lo, hi);
		return;
	}
	if (state != MSpanInUse || spanclass_noscan(s->spanclass)) {
		return;
	}
	if (lo < s->startaddr) {
		lo = s->startaddr;
	}
	if (hi > s->limit) {
		hi = s->limit;
	}
	if (lo >= hi) {
		return;
	}
	uint64_t last = mspan_objindex(s, hi - 1);
	for (uint64_t i = mspan_objindex(s, lo); i <= last; i++) {
		// Relaxed: the bit's other writers are atomic too (mgc.h).
		uint8_t bits = atomic_load_relaxed(&s->gcmarkBits[i / 8]);
		if (bits == 0) {
			i |= 7; // none of this byte's 8 objects is marked
			continue;
		}
		if (bits >> (i % 8) & 1) {
			uint64_t obj = s->startaddr + i * s->elemsize, end = obj + s->elemsize;
			scanblock(obj > lo ? obj : lo, end < hi ? end : hi);
		}
	}
}

// Every aligned word of [lo, hi) that points into an allocated object
// marks it.
static void SCANS
scanblock(uint64_t lo, uint64_t hi)
{
	for (uint64_t *w = (uint64_t *)lo; w < (uint64_t *)hi; w++) {
		uint64_t p = *w;
		if (p >= ms->heaplo && p < ms->heaphi) {
			greyobject(p);
		}
	}
}

// Mark the object p points into, if it is an allocated object of the
// heap, and queue it for scanning if its span is a scan span (Go's
// findObject and greyobject). With the world running, s's freeindex is
// its mcache's, read racily (SCANS): a stale one misses only a slot
// allocated since the mark began, which is black already.
static void SCANS
greyobject(uint64_t p)
{
	struct mspan *s = spanof(p);
	if (s == NULL || atomic_load_relaxed(&s->state) != MSpanInUse || p >= s->limit) {
		return; // relaxed: spanof's load-acquire ordered the fields
	}
	uint64_t i = mspan_objindex(s, p);
	// Whether slot i is allocated (Go's !isFree): below freeindex every
	// slot is; at or above it, those whose alloc bit is set. Here, not in
	// a function of its own, which the sanitizer would watch.
	if (i >= s->freeindex && !(s->allocBits[i / 8] >> (i % 8) & 1)) {
		return;
	}
	uint8_t bit = (uint8_t)(1 << (i % 8));
	// Relaxed: gcmarknewobject sets bits too (mgc.h); whoever sets the
	// bit first owns the object: here, to scan it.
	if ((atomic_load_relaxed(&s->gcmarkBits[i / 8]) & bit) ||
	    (atomic_or_relaxed(&s->gcmarkBits[i / 8], bit) & bit)) {
		return;
	}
	ms->markedbytes += s->elemsize;
	if (spanclass_noscan(s->spanclass)) {
		return;
	}
	growstack(&ms->stack.v, &ms->stack.cap, ms->stack.n + 1);
	ms->stack.v[ms->stack.n++] = s->startaddr + i * s->elemsize;
}

// Scan the queued objects until none is left (Go's gcDrain).
static void SCANS
drain(void)
{
	while (ms->stack.n > 0) {
		uint64_t obj = ms->stack.v[--ms->stack.n];
		struct mspan *s = spanof(obj);
		scanblock(obj, obj + mspan_objsize(s));
	}
}

// Room for n words in *v, which holds *cap: doubled from the machine, the
// old array left behind (never given back, see ms->stack).
static void
growstack(uint64_t **v, uint64_t *cap, uint64_t n)
{
	if (n <= *cap) {
		return;
	}
	uint64_t newcap = *cap == 0 ? 4096 : 2 * *cap;
	uint64_t *nv = os_sysalloc(newcap * sizeof *nv);
	if (*cap > 0) {
		memcpy(nv, *v, *cap * sizeof *nv);
	}
	*v = nv;
	*cap = newcap;
}
