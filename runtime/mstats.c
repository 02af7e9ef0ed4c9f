// mstats.c: runtime_readmemstats, Go's runtime.ReadMemStats (mstats.go):
// the allocator's statistics, with Go's names and meanings, read with the
// world stopped so that they agree with each other. See malloc.h for an
// overview.
//
// Counting as Go does: an mcache counts every slot of a span it takes as
// allocated at once (mcache_refill), so the slots still free in the spans
// the mcaches hold are taken off here; tiny allocations count in both
// Mallocs and Frees (their 16-byte blocks are the objects the heap sees,
// Go's "for historical reasons"); the collector's sweep counts what it
// frees (mgc.h).

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

_Static_assert(NumSizeClasses >= 61, "BySize has 61 entries (Go's)");

static void readmemstats_m(struct memstats *ms);
static void freeosmemory(void *arg);

void
runtime_readmemstats(struct memstats *ms)
{
	stopTheWorld("read mem stats");
	readmemstats_m(ms);
	startTheWorld();
}

static void
readmemstats_m(struct memstats *ms)
{
	uint64_t smallcount[NumSizeClasses] = {0};
	uint64_t largealloc = 0, largecount = 0, tinycount = 0;
	for (int i = 0; i < MaxGomaxprocs; i++) {
		struct p *pp = allp[i];
		struct mcache *c = pp != NULL ? pp->mcache : NULL;
		if (c == NULL) {
			continue;
		}
		for (int k = 0; k < NumSizeClasses; k++) {
			smallcount[k] += c->smallAllocCount[k];
		}
		for (int spc = 0; spc < NumSpanClasses; spc++) {
			struct mspan *s = c->alloc[spc];
			smallcount[spanclass_sizeclass(spc)] -= (uint64_t)(s->nelems - s->allocCount);
		}
		largealloc += c->largeAlloc;
		largecount += c->largeAllocCount;
		tinycount += c->tinyAllocs;
	}

	memset(ms, 0, sizeof *ms);
	uint64_t totalalloc = largealloc, nmalloc = largecount, nfree = 0;
	for (int k = 1; k < NumSizeClasses; k++) {
		totalalloc += smallcount[k] * class_to_size[k];
		nmalloc += smallcount[k];
		if (k < 61) {
			ms->BySize[k].Size = class_to_size[k];
			ms->BySize[k].Mallocs = smallcount[k];
		}
	}
	nmalloc += tinycount;
	nfree += tinycount;
	// What the collector freed (mgc.h's gcstats).
	uint64_t freed = gcstats.largefreebytes;
	nfree += gcstats.largefree;
	for (int k = 1; k < NumSizeClasses; k++) {
		freed += gcstats.smallfree[k] * class_to_size[k];
		nfree += gcstats.smallfree[k];
		if (k < 61) {
			ms->BySize[k].Frees = gcstats.smallfree[k];
		}
	}

	uint64_t stackinuse = 0;
	spin_lock(&allglock);
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		// Relaxed: sysmon, which runs on with the world stopped, may
		// give pages back meanwhile (stackfreebatch, shrinkstack).
		uint64_t mapped = atomic_load_relaxed(&gp->stackmapped);
		if (gp->stackhi > mapped && mapped != 0) {
			stackinuse += gp->stackhi - mapped;
		}
	}
	spin_unlock(&allglock);

	spin_lock(&mheap_.lock);
	ms->HeapSys = mheap_.heapsys;
	ms->HeapInuse = mheap_.pagesinuse * PageSize;
	ms->MSpanInuse = mheap_.spanalloc.inuse;
	ms->MSpanSys = mheap_.spanalloc.sys;
	ms->MCacheInuse = mheap_.cachealloc.inuse;
	ms->MCacheSys = mheap_.cachealloc.sys;
	ms->GCSys = mheap_.gcsys;
	ms->OtherSys = mheap_.othersys + mheap_.hintalloc.sys;
	ms->HeapReleased = mheap_.released; // the scavenger, in sysmon, runs on with the world stopped
	spin_unlock(&mheap_.lock);

	ms->TotalAlloc = totalalloc;
	ms->Alloc = ms->HeapAlloc = totalalloc - freed;
	ms->Mallocs = nmalloc;
	ms->Frees = nfree;
	ms->HeapObjects = nmalloc - nfree;
	ms->HeapIdle = ms->HeapSys - ms->HeapInuse;
	ms->StackInuse = ms->StackSys = stackinuse;
	ms->Sys = ms->HeapSys + ms->StackSys + ms->MSpanSys + ms->MCacheSys + ms->GCSys + ms->OtherSys;
	ms->NextGC = gccontroller.gcpercent < 0 ? 0 : atomic_load_relaxed(&gccontroller.goal); // relaxed: mgc.h
	ms->NumGC = gcstats.numgc;
	ms->NumForcedGC = gcstats.numforcedgc;
	ms->PauseTotalNs = gcstats.pausetotalns;
	ms->LastGC = atomic_load_relaxed(&gcstats.lastgc); // relaxed: mgc.h
	ms->GCCPUFraction = gccpufraction(nanotime());
	memcpy(ms->PauseNs, gcstats.pausens, sizeof ms->PauseNs);
	memcpy(ms->PauseEnd, gcstats.pauseend, sizeof ms->PauseEnd);
	ms->EnableGC = true;
}

// debug.FreeOSMemory: a collection, then every free page of the heap back
// to the machine (Go's).
void
runtime_freeosmemory(void)
{
	runtime_gc();
	systemstack(freeosmemory, NULL);
}

static void
freeosmemory(void *arg)
{
	(void)arg;
	uint64_t given = mheap_scavenge(&mheap_, nanotime(), 0);
	// Relaxed: a knob (sysmon.c's scavengeperiod).
	if (atomic_load_relaxed(&debug.scavenge) > 0 && given > 0) {
		scvgtrace(given);
	}
}

// Go 1.11's scavenger trace: what this run gave back, then the heap in MB.
void
scvgtrace(uint64_t given)
{
	spin_lock(&mheap_.lock);
	uint64_t n = mheap_.nscavenge, sys = mheap_.heapsys, inuse = mheap_.pagesinuse * PageSize;
	uint64_t released = mheap_.released;
	spin_unlock(&mheap_.lock);
	os_print("scvg%lu: %lu MB released\n", n, given >> 20);
	os_print("scvg%lu: inuse: %lu, idle: %lu, sys: %lu, released: %lu, consumed: %lu (MB)\n", n,
		 inuse >> 20, (sys - inuse) >> 20, sys >> 20, released >> 20, (sys - released) >> 20);
}
