// mgc.c: the garbage collector (Go's mgc.go), for C code: no compiler
// help, so no write barrier and no pointer maps. Its files:
//
//	mgc.c       the cycle (runtime_gc, gcstart), its statistics
//	mgcmark.c   the roots, conservative scanning, the mark stack
//	mgcsweep.c  sweeping spans: unmarked objects free, empty spans back
//
// This first collector is Go's GODEBUG=gcstoptheworld=1 mode, and only
// runtime_gc (Go's runtime.GC) starts it: every phase runs with the world
// stopped, in the goroutine that called:
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
// What is still to come (issue 14): the pacer that starts cycles by
// itself (GOGC), concurrent marking with the page tables' dirty bits as
// the write barrier (os_dirtyscan), concurrent and lazy sweeping
// (sweepgen), mark assists, gctrace, finalizers, GODEBUG=gccheckmark.
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

// runtime_gc: a full collection, now (Go's runtime.GC). Blocks until the
// sweep is done; the freed memory is reusable when it returns.
void
runtime_gc(void)
{
	stopTheWorld("GC (forced)");
	int64_t start = nanotime();
	for (int i = 0; i < MaxGomaxprocs; i++) {
		if (allp[i] != NULL) {
			mcache_releaseall(allp[i]->mcache);
		}
	}
	gcmark();
	gcsweep();
	int64_t end = nanotime();
	// With the world stopped: readmemstats reads these with it stopped too.
	uint32_t n = gcstats.numgc++;
	gcstats.pausens[n % 256] = (uint64_t)(end - start);
	gcstats.pauseend[n % 256] = (uint64_t)end;
	gcstats.pausetotalns += (uint64_t)(end - start);
	gcstats.lastgc = (uint64_t)end;
	gcstats.numforcedgc++;
	startTheWorld();
}
