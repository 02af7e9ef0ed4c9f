// mgc.c: the garbage collector (Go's mgc.go), for C code: no compiler
// help, so no write barrier and no pointer maps. Its files:
//
//	mgc.c       the cycle (runtime_gc, the worker, gccycle), the pacer, statistics
//	mgcmark.c   the roots, conservative scanning, the mark stack
//	mgcsweep.c  sweeping spans: unmarked objects free, empty spans back
//
// A cycle (Go's phases, mgc.go) is run by the collector's worker, a
// goroutine of the runtime's own (gcBgMarkWorker's part in Go; one for
// now, not one per P), which an allocation wakes when it takes heapLive
// past the pacer's trigger (mgc.h's gccontroller), or runtime_gc's caller
// (Go's runtime.GC). Its timeline, the world stopped in the two stops:
//
//	  stop 1       concurrent mark           stop 2     concurrent sweep
//	|--------|=========================|-----------|====================|
//	 mcaches  the program runs,         mcaches     the worker sweeps
//	 flushed; allocating black; the     flushed;    every span; an
//	 stacks   worker cleans the heap's  dirty       mcentral sweeps what
//	 greyed   pages, marks from the     pages and   it takes first; then
//	          roots, then takes the     roots       the cycle has ended
//	          pages dirtied since,      scanned     (runtime_gc returns)
//	          round after round         again
//
// The first stop is Go's sweep termination and mark setup, the second its
// mark termination, then Go's concurrent sweep (mgcsweep.c, sweepgen).
// mgcmark.c says why the dirty bits are a write barrier (Boehm,
// Demers and Shenker, PLDI 1991) and what each part scans; with
// GODEBUG=gcstoptheworld=1 the whole mark is done in the first stop, and
// with GODEBUG=gccheckmark=1 every mark is checked by a second, from
// scratch, in the second stop (mgcmark.c's gccheckmarks).
//
// Allocations go on during the mark; one that takes heapLive past the
// goal waits for the cycle's end (Go's assists make it mark meanwhile:
// to come, with more workers).
//
// Marking is conservative (after Boehm and Weiser): any word in a root or
// in a scanned object that holds the address of an allocated object's
// byte, its first or any other (interior pointers), keeps the object
// alive. So a word that only looks like a pointer keeps garbage alive;
// never the reverse. Invariants: while gcphase is GCmark every object
// allocated is marked at birth; in the stops no mutator runs and no
// mcache holds a span; after mark termination, an allocated object of the
// heap is marked if a root reaches it through a chain of words in scan
// objects (or it was allocated during the mark); a span's sweep makes its
// marks its allocBits, and every span is swept before the next cycle.

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"
#include "runtime/sema.h"

struct gcstats gcstats;
struct gccontroller gccontroller;

uint32_t gcphase;

enum {
	HeapMinimum = 4 << 20, // Go's defaultHeapMinimum, at GOGC=100
	TriggerNum = 45,       // the trigger: 45/64 of the way to the goal (Go's minTriggerRatioNum)
	TriggerDen = 64,
};

static const int64_t ForceGCPeriod = 120LL * 1000 * 1000 * 1000; // Go's forcegcperiod: 2 minutes

static int64_t runtimeInitTime; // nanotime at gcinit: gctrace's @ time

// The cycles' bookkeeping (Go's work): the worker, the requests, who
// waits. Cycles are numbered from 1 in the order they begin; one runs at
// a time.
static struct {
	struct spinlock lock;
	struct g *worker;     // Protected by lock: the worker once it runs
	bool workeridle;      // Protected by lock: the worker is parked, waiting for a request
	bool requested;       // Protected by lock: a cycle asked for, not begun
	bool forced;          // Protected by lock: ... by runtime_gc (gctrace says so)
	uint32_t begun, ended; // Protected by lock: cycles begun, and ended
	struct gList waiters;  // Protected by lock: Gs parked until ended moves
} work = {.lock = SPINLOCK_INIT("gcwork", LOCK_GCWORK)};

// The clock at the points of a cycle, for its pause and gctrace.
struct cycletimes {
	int64_t start, markstart, markend, end; // stop 1 began, ended; stop 2 began, ended
};

static void bgworker(void *arg);
static void gccycle(bool forced);
static void shrinkparked(void *arg);
static uint32_t gcrequest(bool forced);
static void gcwaitfor(uint32_t n, enum waitreason reason);
static void setgoal(void);
static void gctraceline(bool forced, const struct cycletimes *t, uint64_t livebefore, uint64_t liveend,
			uint64_t stackbytes, uint64_t globalbytes);

void
gcinit(void)
{
	runtimeInitTime = nanotime();
	gccontroller.gcpercent = knobs.gcpercent;
	setgoal();
}

// gcenable: the worker's start, by the main goroutine (Go's gcenable
// starts its background sweeper and scavenger there; its mark workers
// at the first cycle).
void
gcenable(void)
{
	newsystemproc(bgworker, NULL);
	finenable();
}

// The goal and the trigger from GOGC and what the last mark found live.
// With the world stopped (or before there is one).
static void
setgoal(void)
{
	uint64_t trigger = UINT64_MAX, goal = UINT64_MAX;
	int32_t pct = gccontroller.gcpercent;
	uint64_t marked = gccontroller.heapMarked;
	if (pct >= 0) {
		goal = marked + marked * (uint64_t)pct / 100;
		uint64_t min = (uint64_t)HeapMinimum * (uint64_t)pct / 100;
		if (goal < min) {
			goal = min;
		}
		trigger = goal > marked ? marked + (goal - marked) * TriggerNum / TriggerDen : goal;
	}
	// Relaxed: mgc.h.
	atomic_store_relaxed(&gccontroller.goal, goal);
	atomic_store_relaxed(&gccontroller.trigger, trigger);
}

// runtime_gc: a full collection that begins after the call (Go's
// runtime.GC). Blocks until its sweep is done: the freed memory is
// reusable when it returns.
void
runtime_gc(void)
{
	gcwaitfor(gcrequest(true), waitReasonWaitForGCCycle);
}

// gctrigger: mallocgc's check after it took memory from the heap (Go's
// shouldhelpgc and gcTrigger.test): a cycle if heapLive reached the
// trigger, and past the goal, a wait for the cycle's end; only if the
// caller may park (Go's gcStart refuses on g0, holding locks or in
// malloc; the next allocation asks again).
void
gctrigger(void)
{
	// Relaxed: mgc.h.
	uint64_t live = atomic_load_relaxed(&gccontroller.heapLive);
	if (live < atomic_load_relaxed(&gccontroller.trigger)) {
		return;
	}
	struct m *mp = acquirem();
	bool ok = mp->curg != NULL && mp->cur == mp->curg && mp->locks == 1 && !mp->mallocing &&
		  mp->preemptoff == NULL && !os_pinned();
	releasem(mp);
	if (!ok) {
		return;
	}
	uint32_t n = gcrequest(false);
	if (live >= atomic_load_relaxed(&gccontroller.goal) && getg() != work.worker) {
		gcwaitfor(n, waitReasonGCAssistWait);
	}
}

// gcforcedue: when the time gone by without a cycle asks for one (Go's
// gcTriggerTime: forcegcperiod after the last, or after the start), or
// INT64_MAX while GOGC is off. For sysmon, on any M.
int64_t
gcforcedue(void)
{
	if (atomic_load_relaxed(&gccontroller.trigger) == UINT64_MAX) { // relaxed: mgc.h
		return INT64_MAX;
	}
	int64_t last = (int64_t)atomic_load_relaxed(&gcstats.lastgc); // relaxed: mgc.h
	// Relaxed: a knob a test may turn at any time; either value is fine.
	int32_t ms = atomic_load_relaxed(&debug.forcegcperiod);
	return (last != 0 ? last : runtimeInitTime) + (ms > 0 ? ms * 1000000LL : ForceGCPeriod);
}

// gcforce: sysmon's forced cycle (Go's forcegchelper): asked for if it is
// due and none is running or asked for already. Not counted as forced
// by the program (NumForcedGC, gctrace's "(forced)" are runtime_gc's).
void
gcforce(int64_t now)
{
	if (now < gcforcedue()) {
		return;
	}
	gcrequest(false);
}

// Ask for a cycle, unless one asked for has not begun (or, unless forced,
// one is running); returns the number of the cycle whose end answers it.
// From a goroutine, or sysmon (goready puts the worker on the global
// queue then). A request before the worker runs waits for it: the worker
// looks at work.requested before it first parks.
static uint32_t
gcrequest(bool forced)
{
	spin_lockm(&work.lock);
	uint32_t n;
	if (!forced && !work.requested && work.begun > work.ended) {
		n = work.begun; // the running cycle will do
	} else {
		work.requested = true;
		work.forced = work.forced || forced;
		n = work.begun + 1;
	}
	struct g *wake = NULL;
	if (work.workeridle && work.requested) {
		work.workeridle = false;
		wake = work.worker;
	}
	spin_unlockm(&work.lock);
	if (wake != NULL) {
		goready(wake);
	}
	return n;
}

// Park until cycle n has ended.
static void
gcwaitfor(uint32_t n, enum waitreason reason)
{
	spin_lockm(&work.lock);
	while (work.ended < n) {
		gList_push(&work.waiters, getg());
		goparkunlock(&work.lock, reason);
		spin_lockm(&work.lock);
	}
	spin_unlockm(&work.lock);
}

// The worker: a cycle for each request, parked between them.
static void
bgworker(void *arg)
{
	(void)arg;
	spin_lockm(&work.lock);
	work.worker = getg();
	for (;;) {
		while (!work.requested) {
			work.workeridle = true;
			goparkunlock(&work.lock, waitReasonGCWorkerIdle);
			spin_lockm(&work.lock);
		}
		work.requested = false;
		bool forced = work.forced;
		work.forced = false;
		work.begun++;
		spin_unlockm(&work.lock);
		gccycle(forced);
		spin_lockm(&work.lock);
		work.ended++;
		struct gList woken = work.waiters;
		work.waiters.head = NULL;
		spin_unlockm(&work.lock);
		for (struct g *gp = gList_pop(&woken); gp != NULL; gp = gList_pop(&woken)) {
			goready(gp);
		}
		spin_lockm(&work.lock);
	}
}

// Every mcache's spans back to their mcentrals, the tiny blocks dropped:
// what the mark's start and the sweep need. The world is stopped.
static void
flushmcaches(void)
{
	for (int i = 0; i < MaxGomaxprocs; i++) {
		if (allp[i] != NULL) {
			mcache_releaseall(allp[i]->mcache);
		}
	}
}

// sync.Pool's cleanup (sync/pool.c): it empties the pools' victim caches
// and makes their current caches the victims, with the world stopped at
// the start of every cycle, before the mark (Go's clearpools), so that
// what it drops is freed by this cycle.
static void (*poolcleanup)(void);

void
sync_runtime_registerPoolCleanup(void (*f)(void))
{
	// Store-release: pairs with clearpools' load-acquire (the stop of
	// the world orders them too).
	atomic_store_rel(&poolcleanup, f);
}

static void
clearpools(void)
{
	void (*f)(void) = atomic_load_acq(&poolcleanup); // load-acquire: pairs with the store above
	if (f != NULL) {
		f();
	}
}

// A cycle (the overview's timeline), on the worker.
static void
gccycle(bool forced)
{
	struct cycletimes t;
	uint64_t stackbytes, globalbytes;
	t.start = nanotime();
	stopTheWorld("GC (sweep termination)");
	clearpools();
	uint64_t livebefore = atomic_load_relaxed(&gccontroller.heapLive); // relaxed: mgc.h
	flushmcaches();
	uint64_t livestart = atomic_load_relaxed(&gccontroller.heapLive); // relaxed: mgc.h
	if (debug.gcstoptheworld > 0) {
		gcmarkstw(&stackbytes, &globalbytes);
		t.markstart = t.markend = nanotime();
	} else {
		gcmarkstart();
		// Relaxed: the world's start orders it for every mutator, as
		// the next stop orders GCoff.
		atomic_store_relaxed(&gcphase, GCmark);
		startTheWorld();
		t.markstart = nanotime();
		gcmarkconcurrent();
		t.markend = nanotime();
		stopTheWorld("GC (mark termination)");
		flushmcaches();
		gcmarktermination(&stackbytes, &globalbytes);
		atomic_store_relaxed(&gcphase, GCoff); // relaxed: as GCmark's store
	}
	gcmarkfinalizers();
	// Live: what the mark marked, and what was allocated black since
	// the first stop (heapLive's growth: both stops emptied the mcaches).
	uint64_t liveend = atomic_load_relaxed(&gccontroller.heapLive); // relaxed: mgc.h
	gccontroller.heapMarked = gcmarkedbytes() + (liveend - livestart);
	if (debug.gccheckmark > 0) {
		gccheckmarks();
	}
	atomic_store_relaxed(&gccontroller.heapLive, gccontroller.heapMarked); // relaxed: mgc.h
	setgoal();
	gcsweepstart();
	if (debug.gcstoptheworld > 0) {
		gcsweepall(); // in the stop too, as Go's
	}
	t.end = nanotime();
	// With the world stopped: readmemstats reads these with it stopped too.
	uint64_t pause = (uint64_t)((t.end - t.markend) + (t.markstart - t.start));
	uint32_t n = gcstats.numgc++;
	gcstats.pausens[n % 256] = pause;
	gcstats.pauseend[n % 256] = (uint64_t)t.end;
	gcstats.pausetotalns += pause;
	atomic_store_relaxed(&gcstats.lastgc, (uint64_t)t.end); // relaxed: mgc.h
	gcstats.gccpuns += pause * (uint64_t)loadgomaxprocs() + (uint64_t)(t.markend - t.markstart);
	if (forced) {
		gcstats.numforcedgc++;
	}
	if (debug.gctrace > 0) {
		gctraceline(forced, &t, livebefore, liveend, stackbytes, globalbytes);
	}
	startTheWorld();
	finwake();
	gcsweepall();
	systemstack(shrinkparked, &t.start);
}

// The pages below the stack pointer of every G parked since before the
// cycle began (*arg) go back to the machine (stack.c's shrinkstacks; Go
// shrinks stacks as its mark scans them). A G's first sighting parked
// stamps it, so one parked across two cycles is shrunk. On g0.
static void
shrinkparked(void *arg)
{
	shrinkstacks(*(int64_t *)arg);
}

// The share of the CPU time the Ps had since the program started that the
// collector took by now (Go's GCCPUFraction): its stops on every P, its
// worker's mark on one.
double
gccpufraction(int64_t now)
{
	double avail = (double)(now - runtimeInitTime) * loadgomaxprocs();
	return avail > 0 ? (double)gcstats.gccpuns / avail : 0;
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
// so far (its stops, and its worker's mark on one P); then the clock
// times of Go's three parts: sweep termination (the first stop), the
// concurrent mark, mark termination (the second stop); their CPU times (the stops on every P; the mark's as Go's assist,
// background and idle parts, all background here); the heap at the
// start, at the end of the mark and live after; the next goal; the stacks
// and globals scanned; the Ps.
static void
gctraceline(bool forced, const struct cycletimes *t, uint64_t livebefore, uint64_t liveend,
	    uint64_t stackbytes, uint64_t globalbytes)
{
	double stw1 = (double)(t->markstart - t->start) / 1e6, mark = (double)(t->markend - t->markstart) / 1e6;
	double stw2 = (double)(t->end - t->markend) / 1e6;
	int32_t procs = loadgomaxprocs();
	int pct = (int)(gccpufraction(t->end) * 100);
	uint64_t goal = gccontroller.gcpercent < 0 ? 0 : atomic_load_relaxed(&gccontroller.goal);
	os_print("gc %u @%.3fs %d%%: %.3f+%.3f+%.3f ms clock, %.3f+0/%.3f/0+%.3f ms cpu, %lu->%lu->%lu MB, "
		 "%lu MB goal, %lu MB stacks, %lu MB globals, %d P%s\n",
		 gcstats.numgc, (double)(t->end - runtimeInitTime) / 1e9, pct, stw1, mark, stw2, stw1 * procs, mark,
		 stw2 * procs, livebefore >> 20, liveend >> 20, gccontroller.heapMarked >> 20, goal >> 20, stackbytes >> 20,
		 globalbytes >> 20, procs, forced ? " (forced)" : "");
}
