// mgc.c: the garbage collector (Go's mgc.go), for C code: no compiler
// help, so no write barrier and no pointer maps. Its files:
//
//	mgc.c       the cycle (runtime_gc, gcstart), its statistics
//	mgcmark.c   the roots, conservative scanning, the mark stack
//	mgcsweep.c  sweeping spans: unmarked objects free, empty spans back
//
// This first collector is Go's GODEBUG=gcstoptheworld=1 mode: every
// phase runs with the world stopped, in the goroutine that starts the
// cycle, which is runtime_gc's caller (Go's runtime.GC) or an allocation
// that takes the heap past the pacer's trigger (mgc.h's gccontroller):
//
//	stop the world      every P stops (stw.c); every mcache gives its
//	                    spans back (the tiny block too), so that every
//	                    in-use span is on its mcentral's lists or large
//	mark                gcmarkBits of every span cleared; the roots
//	                    scanned (mgcmark.c); every object they reach
//	                    marked, and every marked object of a scan span
//	                    scanned in turn, until the mark stack is empty
//	sweep               every span: its mark bits become its alloc bits;
//	                    one with nothing marked goes back to the heap
//	                    (mgcsweep.c)
//	start the world
//
// What is still to come (issue 14): concurrent marking with the page
// tables' dirty bits as the write barrier (os_dirtyscan), concurrent and
// lazy sweeping (sweepgen), mark assists, finalizers, GODEBUG=gccheckmark,
// the forced collection every two minutes.
//
// Marking is conservative (after Boehm and Weiser): any word in a root or
// in a scanned object that holds the address of an allocated object's
// byte, its first or any other (interior pointers), keeps the object
// alive. So a word that only looks like a pointer keeps garbage alive;
// never the reverse. Invariants: with the world stopped, no mutator runs
// and no mcache holds a span; after mark, an allocated object of the heap
// is marked if and only if a root reaches it through a chain of words in
// scan objects; after sweep, allocBits are the marks.

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

struct gcstats gcstats;
struct gccontroller gccontroller;

enum { HeapMinimum = 4 << 20 }; // Go's defaultHeapMinimum, at GOGC=100

static int64_t runtimeInitTime; // nanotime at gcinit: gctrace's @ time

static void gcstart(const char *reason, bool forced);
static void setgoal(void);
static void gctraceline(bool forced, int64_t start, int64_t marked, int64_t end, uint64_t livebefore,
			uint64_t stackbytes, uint64_t globalbytes);

void
gcinit(void)
{
	runtimeInitTime = nanotime();
	gccontroller.gcpercent = knobs.gcpercent;
	setgoal();
}

// The trigger from GOGC and what the last mark found live. With the world
// stopped (or before there is one).
static void
setgoal(void)
{
	uint64_t trigger = UINT64_MAX;
	int32_t pct = gccontroller.gcpercent;
	if (pct >= 0) {
		uint64_t goal = gccontroller.heapMarked + gccontroller.heapMarked * (uint64_t)pct / 100;
		uint64_t min = (uint64_t)HeapMinimum * (uint64_t)pct / 100;
		trigger = goal > min ? goal : min;
	}
	atomic_store_relaxed(&gccontroller.trigger, trigger); // relaxed: mgc.h
}

// runtime_gc: a full collection, now (Go's runtime.GC). Blocks until the
// sweep is done; the freed memory is reusable when it returns.
void
runtime_gc(void)
{
	gcstart("GC (forced)", true);
}

// gctrigger: mallocgc's check after it took memory from the heap (Go's
// shouldhelpgc and gcTrigger.test): a cycle if heapLive reached the
// trigger, and if the caller may stop the world (Go's gcStart refuses on
// g0, holding locks or in malloc; the next allocation asks again).
void
gctrigger(void)
{
	// Relaxed: mgc.h.
	if (atomic_load_relaxed(&gccontroller.heapLive) < atomic_load_relaxed(&gccontroller.trigger)) {
		return;
	}
	struct m *mp = acquirem();
	bool ok = mp->curg != NULL && mp->cur == mp->curg && mp->locks == 1 && !mp->mallocing &&
		  mp->preemptoff == NULL;
	releasem(mp);
	if (ok) {
		gcstart("GC (allocation)", false);
	}
}

// A cycle, the world stopped throughout (mgc.c's overview). One that an
// allocation asked for is dropped if another went first.
static void
gcstart(const char *reason, bool forced)
{
	stopTheWorld(reason);
	// Relaxed: mgc.h (and nothing else runs now).
	if (!forced && atomic_load_relaxed(&gccontroller.heapLive) < atomic_load_relaxed(&gccontroller.trigger)) {
		startTheWorld();
		return;
	}
	int64_t start = nanotime();
	uint64_t livebefore = atomic_load_relaxed(&gccontroller.heapLive);
	for (int i = 0; i < MaxGomaxprocs; i++) {
		if (allp[i] != NULL) {
			mcache_releaseall(allp[i]->mcache);
		}
	}
	uint64_t stackbytes, globalbytes;
	gcmark(&stackbytes, &globalbytes);
	int64_t marked = nanotime();
	gccontroller.heapMarked = gcsweep();
	atomic_store_relaxed(&gccontroller.heapLive, gccontroller.heapMarked); // relaxed: mgc.h
	setgoal();
	int64_t end = nanotime();
	// With the world stopped: readmemstats reads these with it stopped too.
	uint32_t n = gcstats.numgc++;
	gcstats.pausens[n % 256] = (uint64_t)(end - start);
	gcstats.pauseend[n % 256] = (uint64_t)end;
	gcstats.pausetotalns += (uint64_t)(end - start);
	gcstats.lastgc = (uint64_t)end;
	if (forced) {
		gcstats.numforcedgc++;
	}
	if (debug.gctrace > 0) {
		gctraceline(forced, start, marked, end, livebefore, stackbytes, globalbytes);
	}
	startTheWorld();
}

// runtime_setgcpercent: GOGC now (Go's debug.SetGCPercent); returns the
// old value. A negative one turns the collector off.
int
runtime_setgcpercent(int pct)
{
	stopTheWorld("SetGCPercent");
	int32_t old = gccontroller.gcpercent;
	gccontroller.gcpercent = pct < 0 ? -1 : pct;
	setgoal();
	startTheWorld();
	return old;
}

// Go's gctrace line (gcMarkTermination's): the cycle's number, when it
// started since the program did, the share of the CPUs the collector took
// so far; then the clock and CPU times of its three parts, which Go names
// sweep termination, mark and mark termination, and which are here the
// mcaches' flush (in mark's time), the mark and the sweep, all with the
// world stopped; the heap before, at the end of mark and live after; the
// next goal; the stacks and globals scanned; the Ps.
static void
gctraceline(bool forced, int64_t start, int64_t marked, int64_t end, uint64_t livebefore,
	    uint64_t stackbytes, uint64_t globalbytes)
{
	double markms = (double)(marked - start) / 1e6, sweepms = (double)(end - marked) / 1e6;
	int64_t since = end - runtimeInitTime;
	int pct = since > 0 ? (int)(gcstats.pausetotalns * 100 / (uint64_t)since) : 0;
	int32_t procs = loadgomaxprocs();
	uint64_t goal = gccontroller.gcpercent < 0 ? 0 : atomic_load_relaxed(&gccontroller.trigger);
	os_print("gc %u @%.3fs %d%%: 0+%.3f+%.3f ms clock, 0+0/%.3f/0+%.3f ms cpu, %lu->%lu->%lu MB, %lu MB goal, "
		 "%lu MB stacks, %lu MB globals, %d P%s\n",
		 gcstats.numgc, (double)since / 1e9, pct, markms, sweepms, markms * procs, sweepms * procs,
		 livebefore >> 20, livebefore >> 20, gccontroller.heapMarked >> 20, goal >> 20, stackbytes >> 20,
		 globalbytes >> 20, procs, forced ? " (forced)" : "");
}
