// proc.c: goroutines: the G status table, the bootstrap, and a G's life
// from newproc to goexit (gopark, goready, gosched, preemption). The
// scheduling loop is in schedule.c. See runtime.h for the overview.
// Functions are Go's (runtime/proc.go), by name and by role; comments say
// where hood differs.

#include <stdlib.h>

#include "include/hood.h"
#include "runtime/mgc.h"
#include "runtime/runtime.h"

struct schedt sched;
struct p *allp[MaxGomaxprocs];
int32_t gomaxprocs;
struct m *allm;
bool mainStarted;

struct m m0;
static struct g m0g0;
struct spinlock allglock = SPINLOCK_INIT("allg", LOCK_ALLG);
struct g *allgs; // Protected by allglock; prepended to, never shortened

const char *const waitReasonStrings[waitReasonCount] = {
	[waitReasonZero] = "",
	[waitReasonGoroutineParked] = "park",
	[waitReasonSleep] = "sleep",
	[waitReasonChanReceiveNilChan] = "chan receive (nil chan)",
	[waitReasonChanSendNilChan] = "chan send (nil chan)",
	[waitReasonChanReceive] = "chan receive",
	[waitReasonChanSend] = "chan send",
	[waitReasonSelect] = "select",
	[waitReasonSelectNoCases] = "select (no cases)",
	[waitReasonSemacquire] = "semacquire",
	[waitReasonSyncCondWait] = "sync.Cond.Wait",
	[waitReasonSyncMutexLock] = "sync.Mutex.Lock",
	[waitReasonSyncRWMutexRLock] = "sync.RWMutex.RLock",
	[waitReasonSyncRWMutexLock] = "sync.RWMutex.Lock",
	[waitReasonSyncWaitGroupWait] = "sync.WaitGroup.Wait",
	[waitReasonGCWorkerIdle] = "GC worker (idle)",
	[waitReasonWaitForGCCycle] = "wait for GC cycle",
	[waitReasonGCAssistWait] = "GC assist wait",
	[waitReasonFinalizerWait] = "finalizer wait",
};

static void runtime_main(void *arg);

// ---- G status ---------------------------------------------------------

// The G status transitions, written out once. casgstatus allows no other.
//
//	Gidle     -> Gdead       malg: a new G, before its first use
//	Gdead     -> Grunnable   newproc
//	Grunnable -> Grunning    execute
//	Grunning  -> Grunnable   gosched, preemption
//	Grunning  -> Gwaiting    gopark
//	Gwaiting  -> Grunnable   ready (goready), or park_m's unlockf said no
//	Grunning  -> Gdead       goexit0
//	Grunning  -> Gsyscall    entersyscall: blocks in the machine
//	Gsyscall  -> Grunning    exitsyscall, with a P at once
//	Gsyscall  -> Grunnable   exitsyscall0: no P; queued until one is free
//
// And the scan bit: Gwaiting -> Gscanwaiting -> Gwaiting while another M
// trims the G's stack (shrinkstack); a casgstatus from Gwaiting meanwhile
// waits for the bit to go, as Go's does.
// clang-format off
static const bool gtransitions[7][7] = {
	[Gidle][Gdead] = true,
	[Gdead][Grunnable] = true,
	[Grunnable][Grunning] = true,
	[Grunning][Grunnable] = true,
	[Grunning][Gwaiting] = true,
	[Gwaiting][Grunnable] = true,
	[Grunning][Gdead] = true,
	[Grunning][Gsyscall] = true,
	[Gsyscall][Grunning] = true,
	[Gsyscall][Grunnable] = true,
};

static const char *const gstatusnames[7] = {
	[Gidle] = "idle",
	[Grunnable] = "runnable",
	[Grunning] = "running",
	[Gsyscall] = "syscall",
	[Gwaiting] = "waiting",
	[Gdead] = "dead",
};
// clang-format on

uint32_t
readgstatus(struct g *gp)
{
	// Load-acquire; pairs with the release half of casgstatus's CAS and
	// with casfrom_Gscanstatus's store-release: what the G's last owner
	// wrote before changing its status is visible.
	return atomic_load_acq(&gp->atomicstatus);
}

void
casgstatus(struct g *gp, uint32_t from, uint32_t to)
{
	if (from > Gdead || to > Gdead || !gtransitions[from][to]) {
		fatalf("casgstatus: bad transition %s -> %s for goroutine %ld", gstatusnames[from],
		       gstatusnames[to], gp->goid);
	}
	// Only a scanner (castogscanstatus) ever writes the status of a G it
	// does not own, and only of a Gwaiting one. From any other status
	// the owner is the only writer, so a checked load and a store do what
	// the CAS would, without its LOCK prefix: that drains the store
	// buffer, where a new G's first frame (newproc1) or the switch's
	// pushes still wait for their cache lines, and it was the hottest
	// instruction of spawn and park/ready. Go CASes every time.
	if (from != Gwaiting) {
		// Load-acquire; pairs with the store-release (or CAS) of the
		// status's last change, as readgstatus's.
		uint32_t old = atomic_load_acq(&gp->atomicstatus);
		if (old != from) {
			fatalf("casgstatus: goroutine %ld is %s, not %s", gp->goid,
			       old <= Gdead ? gstatusnames[old] : "?", gstatusnames[from]);
		}
		// Store-release: a G's status publishes the rest of its state
		// (a G made runnable is seen whole by the M that runs it);
		// pairs with the acquire of the next casgstatus, readgstatus or
		// castogscanstatus on gp.
		atomic_store_rel(&gp->atomicstatus, to);
		return;
	}
	// From Gwaiting a scanner may hold the scan bit: CAS acq_rel. Its
	// release pairs with the acquire of the next casgstatus or
	// readgstatus on gp; its acquire with the release of the last one (or
	// of casfrom_Gscanstatus).
	for (;;) {
		uint32_t old = atomic_casv_acqrel(&gp->atomicstatus, from, to);
		if (old == from) {
			return;
		}
		// Only a scanner (castogscanstatus) may hold gp in from|Gscan,
		// and it puts back from; anything else is a broken invariant.
		if (old != from && old != (from | Gscan)) {
			fatalf("casgstatus: goroutine %ld is %s, not %s", gp->goid,
			       old <= Gdead ? gstatusnames[old] : "?", gstatusnames[from]);
		}
		os_procyield(); // its stack is being trimmed: wait
	}
}

// Set the scan bit on gp if its status is from (only Gwaiting, for now):
// it then stays put until casfrom_Gscanstatus. False if it was not from.
bool
castogscanstatus(struct g *gp, uint32_t from)
{
	if (from != Gwaiting) {
		fatalf("castogscanstatus: bad status %u", from);
	}
	// CAS acq_rel. Acquire: pairs with the release of the casgstatus
	// that parked it, so we see the G's state as its last owner left it.
	// Release: pairs with the acquire of casgstatus, which fails and
	// waits while the scan bit is set.
	return atomic_cas_acqrel(&gp->atomicstatus, from, from | Gscan);
}

void
casfrom_Gscanstatus(struct g *gp, uint32_t from, uint32_t to)
{
	if (from != (to | Gscan) || readgstatus(gp) != from) {
		fatalf("casfrom_Gscanstatus: goroutine %ld is %u, not %u", gp->goid, readgstatus(gp), from);
	}
	// Store-release; pairs with casgstatus's acquire: what we did to the
	// G is seen by whoever changes its status next.
	atomic_store_rel(&gp->atomicstatus, to);
}

// A G's status as tracebacks show it: its wait reason if it waits.
const char *
gstatusstring(struct g *gp)
{
	uint32_t s = readgstatus(gp) & ~Gscan;
	if (s == Gwaiting) {
		return waitReasonStrings[gp->waitreason];
	}
	return s <= Gdead ? gstatusnames[s] : "?";
}

// systemstack: run fn(arg) on this M's g0 stack (Go's systemstack).
// Runtime code that holds spinlocks runs there: a goroutine's stack may
// still have to grow by a page fault, and the fault handler takes the vm
// and physmem locks, which rank below the runtime's (lib/lockrank.h).
// g0's stack is the kernel thread's, always mapped, and free while the M
// runs a goroutine.
void
systemstack(void (*fn)(void *), void *arg)
{
	struct m *mp = acquirem();
	if (mp->cur != mp->curg || mp->curg == NULL) {
		fn(arg); // on g0 already
	} else {
		os_libcstate_save(mp->curg->libc); // errno stays the G's (os.h)
		mp->cur = mp->g0;                  // a preemption meanwhile would see g0: none
		systemstack_switch(fn, arg, mp->g0->stackhi);
		mp->cur = mp->curg;
		os_libcstate_load(mp->curg->libc);
	}
	releasem(mp);
}

// fastrand64: 64 random bits (Go's fastrand64): xorshift64, per M; only
// the M itself uses its state. fastrand: the top 32 of them (Go's
// fastrand); fastrandn: one of 0 to n-1 (Go's, by multiply and shift).
uint64_t
fastrand64(void)
{
	struct m *mp = getm();
	uint64_t x = mp->fastrand;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	mp->fastrand = x;
	return x;
}

uint32_t
fastrand(void)
{
	return (uint32_t)(fastrand64() >> 32);
}

uint32_t
fastrandn(uint32_t n)
{
	return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}

// ---- bootstrap -----------------------------------------------------------

// rt0_go: the port's hand-off (kernel/main.c; on Linux __wrap_main), on
// the first thread, which becomes m0: osinit, schedinit, a G for
// runtime_main, then mstart. Go's rt0_go, minus what the kernel did
// already.
void
rt0_go(void)
{
	osinit();
	schedinit();
	newproc(runtime_main, NULL);
	mstart(&m0);
}

void
schedinit(void)
{
	spin_init(&sched.lock, "sched", LOCK_SCHED);
	spin_init(&sched.sudoglock, "sudog", LOCK_SUDOG);
	spin_init(&sched.deferlock, "defer", LOCK_DEFER);
	struct m *mp = &m0;
	mp->g0 = &m0g0;
	m0g0.stackhi = os_threadstacktop();
	mp->cur = mp->g0;
	mcommoninit(mp);
	os_setm(mp);
	os_preempthook(gopreempt);
	os_setsigpanic(sigcanpanic);
	os_syscallhooks(entersyscall, exitsyscall);

	parsedebugvars(); // the knobs (runtime1.c): the stack size first
	stackinit();
	mallocinit(); // the heap (malloc.c), as Go's schedinit
	alginit();    // the maps' hash: AES-NI or not, and its random keys (alg.c), as Go's
	gcinit();     // the pacer, from GOGC (mgc.c), as Go's gcinit

	int32_t procs = os_ncpu();
	int32_t n = knobs.gomaxprocs;
	if (n > 0) {
		procs = n;
	}
	if (procs > MaxGomaxprocs) {
		procs = MaxGomaxprocs;
	}
	if (procresize(procs) != NULL) {
		throw("unknown runnable goroutine during bootstrap");
	}
}

// A new M's id and random seed. Caller holds sched.lock.
void
mseed(struct m *mp)
{
	mp->id = sched.mnext++;
	mp->fastrand = 1597334677ULL * (mp->id + 1) + (uint64_t)nanotime();
}

// A new M's id and seed, and its place in allm.
void
mcommoninit(struct m *mp)
{
	spin_lock(&sched.lock);
	mseed(mp);
	mp->alllink = allm;
	allm = mp;
	spin_unlock(&sched.lock);
}

// The main goroutine (goid 1): start sysmon, run the application's main,
// and leave the machine with its status, even if other goroutines live.
static void
runtime_main(void *arg)
{
	(void)arg;
	// Store-release; pairs with the load-acquire in newproc: from now
	// on a new G wakes an idle P (before, there is no P to wake).
	atomic_store_rel(&mainStarted, true);
	gcenable();
	newm(NULL, false, sysmon);
	int status = os_main();
	exit(status);
}

// ---- goroutines ----------------------------------------------------------

// The number of goroutines that exist (not dead), the runtime's own left
// out, as Go's NumGoroutine.
static void
countg(void *arg)
{
	int *n = arg;
	spin_lock(&allglock);
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		uint32_t s = readgstatus(gp);
		*n += s != Gdead && s != Gidle && !gp->system;
	}
	spin_unlock(&allglock);
}

int
numgoroutine(void)
{
	int n = 0;
	systemstack(countg, &n);
	return n;
}

static void
allgadd(struct g *gp)
{
	spin_lock(&allglock);
	gp->alllink = allgs;
	// Store-release: readers that walk allgs without the lock see gp
	// whole; pairs with the load-acquire in sysmon's scavengestacks.
	atomic_store_rel(&allgs, gp);
	spin_unlock(&allglock);
}

// A new G with a stack, in Gdead.
static struct g *
malg(void)
{
	// Cache-line aligned: two Gs never share a line, so Gs that run on
	// different CPUs do not steal each other's status and links (a G was
	// 160 bytes apart from the next, across three lines). The C
	// library's state, allocated next, lands in the G's last line.
	struct g *gp = persistentalloc(sizeof *gp, 64);
	gp->libc = os_libcstate_new();
	if (!stackalloc(gp)) {
		// More live goroutines than the stack region holds: the
		// program's error, not the runtime's (Go's checkmcount calls
		// fatal, not throw, on thread exhaustion).
		gothrow("out of memory: the goroutine stack region is full");
	}
	casgstatus(gp, Gidle, Gdead);
	allgadd(gp);
	return gp;
}

// A dead G from the P's free list, or the global ones (those with stacks
// first, the most recently dead first, as Go's gfget). Its stack comes
// with it: the pages it kept, or its top page mapped again.
static struct g *
gfget(struct p *pp)
{
	// A peek without the lock (relaxed): worth taking it?
	if (gList_empty(&pp->gfree) && atomic_load_relaxed(&sched.ngfree) > 0) {
		spin_lock(&sched.lock);
		while (pp->gfreecnt < 32 && sched.ngfree > 0) {
			struct g *gp = gQueue_pop(&sched.gfree);
			if (gp == NULL) {
				gp = gList_pop(&sched.gfreeold);
			}
			if (gp == NULL) {
				gp = gList_pop(&sched.gfreenostack);
			}
			gList_push(&pp->gfree, gp);
			atomic_store_relaxed(&sched.ngfree, sched.ngfree - 1);
			pp->gfreecnt++;
		}
		spin_unlock(&sched.lock);
	}
	struct g *gp = gList_pop(&pp->gfree);
	if (gp != NULL) {
		pp->gfreecnt--;
		stackmaptop(gp); // if gfreestacks gave its stack back
		// The next newproc's G: often last run, and freed, by another
		// CPU. Ask for its lines now, while this one is set up, instead
		// of stalling on them then. Only a hint; it reads nothing.
		struct g *next = pp->gfree.head;
		if (next != NULL) {
			__builtin_prefetch(next, 1);
			__builtin_prefetch(&next->schedlink, 1);
		}
	}
	return gp;
}

// Put a dead G on the P's free list; past 64, move half to the global one.
static void
gfput(struct p *pp, struct g *gp)
{
	gList_push(&pp->gfree, gp);
	pp->gfreecnt++;
	if (pp->gfreecnt >= 64) {
		gfpurge(pp, 32);
	}
}

// Move the P's dead Gs to the global free list until keep are left (Go's
// gfpurge, with gfput's move of half). Runs on g0.
void
gfpurge(struct p *pp, int32_t keep)
{
	if (pp->gfreecnt <= keep) {
		return;
	}
	spin_lock(&sched.lock);
	while (pp->gfreecnt > keep) {
		gQueue_push(&sched.gfree, gList_pop(&pp->gfree));
		pp->gfreecnt--;
		atomic_store_relaxed(&sched.ngfree, sched.ngfree + 1);
	}
	spin_unlock(&sched.lock);
}

// gfreestacks, sysmon's every GfreeStackPeriod: the dead Gs on the global
// list that stayed there unused for a whole period give back every page
// of their stacks, GfreeStackBatch at a time (stackfreebatch: one TLB
// shootdown a batch), and go on the list of Gs without stacks, whose top
// page gfget maps again. The old list (sched.gfreeold) holds the Gs that
// were on sched.gfree at an earlier pass: gfget takes the younger ones
// first. So a burst of goroutines does not keep its stacks for good once
// it is over (10,000 dead Gs held 40 to 80 MiB of a 128 MiB guest, and CI
// ran out of memory in the next test that spawned), while a program that
// spawns again and again reuses them without a page fault. Go frees the
// stacks of the Gs on sched.gFree at every collection
// (markrootFreeGStacks, sched.gFree.noStack); hood does it from sysmon,
// on its own period, as collections may be rare.
// At most GfreeStackBatches batches a pass: sysmon does nothing else
// meanwhile (a million dead Gs are a second of madvise on Linux), so the
// rest waits on the old list for later passes, behind each period's Gs,
// which join it at its head: a backlog (the million Gs of
// TestMillionParkedGoroutines take 25 s of passes) never keeps a later
// burst's stacks (TestDeadGoroutinesGiveStacksBack waited for them in
// vain after it, when a period's Gs joined the old list only once it was
// empty). Runs on sysmon's M, holding no lock: the shootdown may hold
// none.
void
gfreestacks(void)
{
	for (int batches = 0; batches < GfreeStackBatches; batches++) {
		struct gList batch = {NULL};
		int32_t n = 0;
		spin_lock(&sched.lock);
		struct g *gp;
		while (n < GfreeStackBatch && (gp = gList_pop(&sched.gfreeold)) != NULL) {
			gList_push(&batch, gp);
			atomic_store_relaxed(&sched.ngfree, sched.ngfree - 1);
			n++;
		}
		spin_unlock(&sched.lock);
		if (n == 0) {
			break;
		}
		stackfreebatch(&batch);
		spin_lock(&sched.lock);
		while ((gp = gList_pop(&batch)) != NULL) {
			gList_push(&sched.gfreenostack, gp);
		}
		atomic_store_relaxed(&sched.ngfree, sched.ngfree + n);
		spin_unlock(&sched.lock);
	}
	// This period's Gs are old from now on, first in line.
	spin_lock(&sched.lock);
	gList_pushAll(&sched.gfreeold, &sched.gfree);
	spin_unlock(&sched.lock);
}

static void newproc1(void *argp);

// newproc: a new G running fn(arg), put in runnext of this P, so it runs
// soon on this M, and an idle P woken to look for work. go(fn, arg).
struct newprocargs {
	void (*fn)(void *);
	void *arg;
	bool system;
};

void
newproc(void (*fn)(void *), void *arg)
{
	if (fn == NULL) {
		gothrow("go of nil func value");
	}
	struct newprocargs a = {fn, arg, false};
	systemstack(newproc1, &a);
}

// newsystemproc: newproc of one of the runtime's own goroutines (the
// collector's worker), which g.system says apart.
void
newsystemproc(void (*fn)(void *), void *arg)
{
	struct newprocargs a = {fn, arg, true};
	systemstack(newproc1, &a);
}

// newproc's work, on g0: it takes sched.lock and allglock.
static void
newproc1(void *argp)
{
	struct newprocargs *a = argp;
	void (*fn)(void *) = a->fn;
	void *arg = a->arg;
	struct m *mp = acquirem();
	struct p *pp = mp->p;
	struct g *newg = gfget(pp);
	if (newg == NULL) {
		newg = malg();
	}
	// The two lines of its stack that the frame below fills were last
	// written by the G's previous life, often on another CPU: start
	// fetching them before the other fields are set, so that the frame's
	// stores, and the locked instructions after them (runqput), do not
	// wait the whole miss. The frame is written last for the same reason.
	__builtin_prefetch((char *)newg->stackhi - 64, 1);
	__builtin_prefetch((char *)newg->stackhi - 128, 1);
	os_libcstate_reset(newg->libc);
	atomic_store_relaxed(&newg->preempt, false); // relaxed: nobody sees newg before runqput
	newg->waitreason = waitReasonZero;
	newg->system = a->system;

	if (pp->goidcache == pp->goidcacheend) {
		// Relaxed: goidgen is a counter; only its uniqueness matters.
		pp->goidcache = atomic_xadd_relaxed(&sched.goidgen, GoidCacheBatch) - GoidCacheBatch + 1;
		pp->goidcacheend = pp->goidcache + GoidCacheBatch;
	}
	newg->goid = pp->goidcache++;

	// The frame gogo pops (struct gogoframe): the control words at their
	// defaults, r12 = fn and r13 = arg for gostart, the other registers
	// zero, rflags with interrupts on, then the return into gostart.
	// After gogo's ret, rsp is stackhi (16-byte aligned), so gostart's
	// calls enter fn with the ABI's alignment.
	struct gogoframe *f = (struct gogoframe *)newg->stackhi - 1;
	*f = (struct gogoframe){.regs = switchframe_new(), .rflags = GoRflagsInit, .pc = (uint64_t)gostart};
	f->regs.r12 = (uint64_t)fn;
	f->regs.r13 = (uint64_t)arg;
	newg->sched.sp = (uint64_t)f;
	casgstatus(newg, Gdead, Grunnable);
	runqput(pp, newg, true);
	// Load-acquire; pairs with the store-release in runtime_main.
	if (atomic_load_acq(&mainStarted)) {
		wakep();
	}
	releasem(mp);
}

// mcall: switch from the running G to g0 and call fn(gp) there; fn ends
// in schedule or execute. The caller holds acquirem, so the G cannot move
// to another M before the switch; fn releases it.
void
mcall(void (*fn)(struct g *gp))
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	os_libcstate_save(gp->libc); // errno stays the G's (os.h)
	mp->cur = mp->g0;
	mcall_switch(&gp->sched, fn, gp, mp->g0->stackhi);
}

void
dropg(struct m *mp)
{
	mp->curg->m = NULL;
	// Relaxed: preemptone's relaxed peek may see either; a stale G gets a
	// stale request, which execute clears.
	atomic_store_relaxed(&mp->curg, NULL);
}

static void
park_m(struct g *gp)
{
	struct m *mp = getm();
	// A G parks with the lock unlockf releases held, hchan's say, and so,
	// on bare metal, with interrupts off in the frame mcall saved; it
	// must come back with them on, as it is once unlockf has run (a
	// channel's waiter ran on with interrupts off, unpreemptible, on
	// whatever CPU woke it). On Linux popfq leaves IF alone. Before the
	// G is Gwaiting: from then on a goready may run it elsewhere.
	((struct gogoframe *)gp->sched.sp)->rflags |= GoRflagsIF;
	casgstatus(gp, Grunning, Gwaiting);
	dropg(mp);
	mp->locks--;
	bool (*unlockf)(struct g *, void *) = gp->waitunlockf;
	gp->waitunlockf = NULL;
	if (unlockf != NULL && !unlockf(gp, gp->waitlock)) {
		casgstatus(gp, Gwaiting, Grunnable);
		execute(gp, true); // schedule it right back
	}
	schedule();
}

// gopark: put the running G to sleep until goready. unlockf(gp, arg), if
// not NULL, runs on g0 after the G is off its stack; if it returns false,
// the G runs on at once. reason shows in tracebacks.
void
gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, enum waitreason reason)
{
	struct m *mp = acquirem();
	struct g *gp = mp->curg;
	if (readgstatus(gp) != Grunning) {
		throw("gopark: bad g status");
	}
	gp->waitreason = reason;
	// Unknown yet: the stack scavenger stamps it when it first sees gp
	// parked (shrinkstack), as Go's GC stamps waitsince with its start
	// (markroot) instead of reading the clock at every park.
	gp->waitsince = 0;
	gp->waitunlockf = unlockf;
	gp->waitlock = arg;
	mcall(park_m);
}

// gopark's unlockf for goparkunlock (Go's parkunlock_c): the lock and the
// M's count that spin_lockm took (on g0, no preemption to take).
static bool
parkunlock(struct g *gp, void *lock)
{
	(void)gp;
	spin_unlock(lock);
	getm()->locks--;
	return true;
}

void
goparkunlock(struct spinlock *l, enum waitreason reason)
{
	gopark(parkunlock, l, reason);
}

// goready: make gp runnable, next on this P (it inherits the time slice);
// from an M without a P (sysmon's), on the global queue.
static void
ready(void *arg)
{
	struct g *gp = arg;
	struct m *mp = acquirem();
	casgstatus(gp, Gwaiting, Grunnable);
	if (mp->p != NULL) {
		runqput(mp->p, gp, true);
	} else {
		spin_lock(&sched.lock);
		globrunqput(gp);
		spin_unlock(&sched.lock);
	}
	wakep();
	releasem(mp);
}

void
goready(struct g *gp)
{
	systemstack(ready, gp);
}

static void
gosched_m(struct g *gp)
{
	struct m *mp = getm();
	casgstatus(gp, Grunning, Grunnable);
	dropg(mp);
	mp->locks--;
	spin_lock(&sched.lock);
	globrunqput(gp);
	spin_unlock(&sched.lock);
	schedule();
}

// gosched: yield; the G goes to the global queue, as Go's Gosched.
void
gosched(void)
{
	acquirem();
	mcall(gosched_m);
}

static void
goyield_m(struct g *gp)
{
	struct m *mp = getm();
	casgstatus(gp, Grunning, Grunnable);
	dropg(mp);
	mp->locks--;
	runqput(mp->p, gp, false);
	schedule();
}

// goyield: yield as gosched does, but to the tail of this P's own queue
// (Go's goyield): the semaphore's direct hand-off (sema.c) gives the P to
// the waiter it readied into runnext, and the releaser runs again after
// it, on the same P.
void
goyield(void)
{
	acquirem();
	mcall(goyield_m);
}

// Preemption (sysmon's, through the kernel's asyncpreempt), in the G
// itself, on its stack, all its registers saved below. Like Go's
// gopreempt_m, the G goes to the global queue. Also releasem's, for a
// request that came while the M was acquired.
void
gopreempt(void)
{
	struct m *mp = acquirem();
	struct g *gp = mp->curg;
	// Load-acquire of preempt; pairs with the store-release in preemptone
	// (stw.c): the request is sysmon's or stopTheWorld's.
	if (mp->locks > 1 || gp == NULL || mp->cur != gp || !atomic_load_acq(&gp->preempt) || os_pinned()) {
		mp->locks--; // releasem without its check: it would call us again
		return;
	}
	// Store-release: the request is taken; pairs with the load-acquires
	// of this G's own later checks (releasem, here). A new request from
	// preemptone may overwrite it at any time.
	atomic_store_rel(&gp->preempt, false);
	mcall(gosched_m);
}

static void
goexit0(struct g *gp)
{
	struct m *mp = getm();
	stacktrim(gp); // off its stack now; before Gdead, which publishes it
	casgstatus(gp, Grunning, Gdead);
	dropg(mp);
	mp->locks--;
	gp->waitreason = waitReasonZero;
	atomic_store_relaxed(&gp->preempt, false); // relaxed: a dead G's stale request; nobody acts on it
	struct m *locked = gp->lockedm;
	gp->lockedm = NULL;
	gfput(mp->p, gp);
	if (locked != NULL) {
		// Go's rule: a goroutine that exits locked to its thread takes
		// the thread with it (whatever it did to it, nobody else gets
		// it). The M's P goes to another M.
		mp->lockedg = NULL;
		mp->lockedExt = 0;
		mexit();
	}
	schedule();
}

// goexit1: the end of every G (its function returned, or Goexit).
void
goexit1(void)
{
	acquirem();
	mcall(goexit0);
	__builtin_unreachable();
}

// Go's runtime.Gosched: yield the P; the goroutine goes to the global run
// queue and runs again later.
void
runtime_gosched(void)
{
	gosched();
}

// Go's runtime.Goexit: end the calling goroutine. (Deferred calls, once
// they exist, run first.) In main, the program goes on until no goroutine
// can run, then fails with Go's "no goroutines (main called
// runtime.Goexit) - deadlock!".
void
runtime_goexit(void)
{
	rundefers(); // Go's Goexit runs the deferred calls first
	// The frames above are gone without returning: the port's marks on
	// them go too (ASan's red zones; the G's next life would write its
	// first frame into them: TestGoexitRunsDeferredCalls, then newproc1).
	os_stackunwound((uint64_t)__builtin_frame_address(0) - 4096, getg()->stackhi);
	goexit1();
}
