// proc.c: the scheduler: Gs, Ms and Ps, and how an M finds a G to run.
// See runtime.h for the overview. Functions are Go's (runtime/proc.go),
// by name and by role; comments say where hood differs.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

struct schedt sched;
struct p *allp[MaxGomaxprocs];
int32_t gomaxprocs;
struct m *allm;
bool mainStarted;
struct dbgvars debug;

static struct m m0;
static struct g m0g0;
static struct spinlock allglock = SPINLOCK_INIT("allg", LOCK_ALLG);
static struct g *allgs; // Protected by allglock
static int32_t allglen; // Protected by allglock

const char *const waitReasonStrings[waitReasonCount] = {
	[waitReasonZero] = "",
	[waitReasonGoroutineParked] = "park",
	[waitReasonSleep] = "sleep",
	[waitReasonChanReceive] = "chan receive",
	[waitReasonChanSend] = "chan send",
	[waitReasonSelect] = "select",
	[waitReasonSelectNoCases] = "select (no cases)",
	[waitReasonSemacquire] = "semacquire",
};

static void mcommoninit(struct m *mp);
static struct p *procresize(int32_t nprocs);
static void schedule(void) __attribute__((noreturn));
static void execute(struct g *gp, bool inheritTime) __attribute__((noreturn));
static struct g *findrunnable(bool *inheritTime);
static void stopm(int64_t until);
static void startm(struct p *pp, bool spinning);
static void newm(struct p *pp, bool spinning, void (*fn)(void));
static void mstart_thread(void *arg);
static void acquirep(struct p *pp);
static struct p *releasep(void);
static void pidleput(struct p *pp);
static struct p *pidleget(void);
static void mput(struct m *mp);
static struct m *mget(void);
static void resetspinning(void);
static void checkdead(void);
static void stoplockedm(void);
static void startlockedm(struct g *gp);
static void handoffp(struct p *pp);
static bool entersyscall(void);
static void exitsyscall(void);
static void exitsyscall0(struct g *gp);
static void gcstopm(void);
static void preemptall(void);
static bool preemptone(struct p *pp);
static void mexit(void) __attribute__((noreturn));
static void mcall(void (*fn)(struct g *gp));
static void preempthook(void);
static void sysmon(void);
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
	return __atomic_load_n(&gp->atomicstatus, __ATOMIC_ACQUIRE);
}

void
casgstatus(struct g *gp, uint32_t from, uint32_t to)
{
	if (from > Gdead || to > Gdead || !gtransitions[from][to]) {
		fatalf("casgstatus: bad transition %s -> %s for goroutine %ld", gstatusnames[from],
		       gstatusnames[to], gp->goid);
	}
	uint32_t old = from;
	// Acq_rel: a G's status publishes the rest of its state (a G made
	// runnable is seen whole by the M that runs it).
	if (!__atomic_compare_exchange_n(&gp->atomicstatus, &old, to, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		fatalf("casgstatus: goroutine %ld is %s, not %s", gp->goid,
		       old <= Gdead ? gstatusnames[old] : "?", gstatusnames[from]);
	}
}

// ---- M and G of the running code -----------------------------------------

struct m *
getm(void)
{
	return os_getm();
}

struct g *
getg(void)
{
	return os_getg();
}

// acquirem: pin the running G to its M (no preemption) and return the M.
// The M is read and its count raised as one step, so a preemption cannot
// move the G between the two. Go's acquirem.
struct m *
acquirem(void)
{
	return os_acquirem();
}

// releasem: undo acquirem; if a preemption was asked for meanwhile, take it
// now.
void
releasem(struct m *mp)
{
	if (--mp->locks == 0 && mp->curg != NULL && mp->cur == mp->curg &&
	    __atomic_load_n(&mp->curg->preempt, __ATOMIC_ACQUIRE)) {
		preempthook();
	}
}

// systemstack: run fn(arg) on this M's g0 stack (Go's systemstack).
// Runtime code that holds spinlocks runs there: a goroutine's stack may
// still have to grow by a page fault, and the fault handler takes the vm
// and physmem locks, which rank below the runtime's (kernel/lockrank.h).
// g0's stack is the kernel thread's, always mapped, and free while the M
// runs a goroutine.
void
systemstack(void (*fn)(void *), void *arg)
{
	struct m *mp = acquirem();
	if (mp->cur != mp->curg || mp->curg == NULL) {
		fn(arg); // on g0 already
	} else {
		mp->cur = mp->g0; // a preemption meanwhile would see g0: none
		systemstack_switch(fn, arg, mp->g0->stackhi);
		mp->cur = mp->curg;
	}
	releasem(mp);
}

uint32_t
fastrandn(uint32_t n)
{
	// xorshift64, per M; only the M itself uses its state.
	struct m *mp = getm();
	uint64_t x = mp->fastrand;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	mp->fastrand = x;
	return (uint32_t)(((x >> 32) * (uint64_t)n) >> 32);
}

// ---- bootstrap -----------------------------------------------------------

static void
parsedebugvars(void)
{
	const char *v = os_getenv("schedtrace");
	debug.schedtrace = v != NULL ? atoi(v) : 0;
	v = os_getenv("scheddetail");
	debug.scheddetail = v != NULL ? atoi(v) : 0;
}

// rt0_go: the kernel's hand-off (kernel/main.c), on the boot CPU's kernel
// thread, which becomes m0: schedinit, a G for runtime_main, then mstart.
// Go's rt0_go, minus what the kernel did already.
void
rt0_go(void)
{
	schedinit();
	newproc(runtime_main, NULL);
	mstart(&m0);
}

void
schedinit(void)
{
	spin_init(&sched.lock, "sched", LOCK_SCHED);
	struct m *mp = &m0;
	mp->g0 = &m0g0;
	m0g0.stackhi = os_threadstacktop();
	mp->cur = mp->g0;
	mcommoninit(mp);
	os_setm(mp);
	os_preempthook(preempthook);
	os_syscallhooks(entersyscall, exitsyscall);

	stackinit();
	parsedebugvars();

	int32_t procs = os_ncpu();
	int32_t n = os_gomaxprocs();
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

static void
mcommoninit(struct m *mp)
{
	spin_lock(&sched.lock);
	mp->id = sched.mnext++;
	mp->fastrand = 1597334677ULL * (mp->id + 1) + (uint64_t)nanotime();
	mp->alllink = allm;
	allm = mp;
	spin_unlock(&sched.lock);
}

// procresize: make the Ps number nprocs, with the world stopped (or at
// boot, before there is a world). New Ps are made, or Pdead ones brought
// back (Ps are never freed, as in Go, so a stale pointer to one stays
// safe); Ps past nprocs give their Gs to the global queue, their timers to
// this M's P and their dead Gs to the global free list, and become Pdead.
// This M keeps its P if it survives, else takes allp[0]. Returns the other
// Ps with Gs to run, each with an idle M in pp->m if there was one, for
// startTheWorld to start; the rest are idle. Go's procresize.
static struct p *
procresize(int32_t nprocs)
{
	int32_t old = gomaxprocs;
	for (int32_t i = old; i < nprocs; i++) {
		if (allp[i] == NULL) {
			struct p *pp = persistentalloc(sizeof *pp, 64);
			pp->id = i;
			pp->status = Pdead;
			spin_init(&pp->timerslock, "timers", LOCK_TIMERS);
			allp[i] = pp;
		}
		allp[i]->status = Pgcstop;
	}
	struct m *mp = getm();
	struct p *keep = mp->p != NULL && mp->p->id < nprocs ? mp->p : allp[0];
	for (int32_t i = nprocs; i < old; i++) {
		struct p *pp = allp[i];
		// Its Gs to the head of the global queue, in their order,
		// runnext first: they were next in line. (The world is stopped:
		// runqget may run here, for the P's owner that is gone.)
		struct g *batch[RunqSize + 1];
		int n = 0;
		bool inherit;
		while (!runqempty(pp)) {
			batch[n++] = runqget(pp, &inherit);
		}
		spin_lock(&sched.lock);
		while (n > 0) {
			globrunqputhead(batch[--n]);
		}
		while (pp->gfree != NULL) {
			struct g *gp = pp->gfree;
			pp->gfree = gp->schedlink;
			gp->schedlink = sched.gfree;
			sched.gfree = gp;
			sched.ngfree++;
		}
		pp->gfreecnt = 0;
		pp->status = Pdead;
		spin_unlock(&sched.lock);
		movetimers(keep, pp);
	}
	// Release: a reader that sees the new count sees the new allp entries.
	__atomic_store_n(&gomaxprocs, nprocs, __ATOMIC_RELEASE);

	if (mp->p == keep) {
		keep->status = Prunning;
	} else {
		if (mp->p != NULL) {
			mp->p->m = NULL;
			mp->p = NULL;
		}
		keep->status = Pidle;
		acquirep(keep);
	}
	struct p *runnable = NULL;
	spin_lock(&sched.lock);
	for (int32_t i = nprocs - 1; i >= 0; i--) {
		struct p *pp = allp[i];
		if (pp == keep) {
			continue;
		}
		pp->status = Pidle;
		if (runqempty(pp)) {
			pidleput(pp);
		} else {
			pp->m = mget();
			pp->link = runnable;
			runnable = pp;
		}
	}
	spin_unlock(&sched.lock);
	return runnable;
}

// The main goroutine (goid 1): start sysmon, run the application's main,
// and leave the machine with its status, even if other goroutines live.
static void
runtime_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&mainStarted, true, __ATOMIC_RELEASE);
	newm(NULL, false, sysmon);
	int status = main();
	exit(status);
}

// ---- goroutines ----------------------------------------------------------

// The number of goroutines that exist (not dead), as Go's NumGoroutine.
static void
countg(void *arg)
{
	int *n = arg;
	spin_lock(&allglock);
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		uint32_t s = readgstatus(gp);
		*n += s != Gdead && s != Gidle;
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
	allgs = gp;
	allglen++;
	spin_unlock(&allglock);
}

// A new G with a stack, in Gdead.
static struct g *
malg(void)
{
	struct g *gp = persistentalloc(sizeof *gp, 16);
	gp->libc = os_libcstate_new();
	if (!stackalloc(gp)) {
		throw("malg: out of memory");
	}
	casgstatus(gp, Gidle, Gdead);
	allgadd(gp);
	return gp;
}

// A dead G from the P's free list, or the global one. Its stack comes with it.
static struct g *
gfget(struct p *pp)
{
	if (pp->gfree == NULL && sched.gfree != NULL) {
		spin_lock(&sched.lock);
		while (pp->gfreecnt < 32 && sched.gfree != NULL) {
			struct g *gp = sched.gfree;
			sched.gfree = gp->schedlink;
			sched.ngfree--;
			gp->schedlink = pp->gfree;
			pp->gfree = gp;
			pp->gfreecnt++;
		}
		spin_unlock(&sched.lock);
	}
	struct g *gp = pp->gfree;
	if (gp != NULL) {
		pp->gfree = gp->schedlink;
		pp->gfreecnt--;
	}
	return gp;
}

// Put a dead G on the P's free list; past 64, move half to the global one.
static void
gfput(struct p *pp, struct g *gp)
{
	gp->schedlink = pp->gfree;
	pp->gfree = gp;
	pp->gfreecnt++;
	if (pp->gfreecnt >= 64) {
		spin_lock(&sched.lock);
		while (pp->gfreecnt >= 32) {
			struct g *g1 = pp->gfree;
			pp->gfree = g1->schedlink;
			pp->gfreecnt--;
			g1->schedlink = sched.gfree;
			sched.gfree = g1;
			sched.ngfree++;
		}
		spin_unlock(&sched.lock);
	}
}

static void newproc1(void *argp);

// newproc: a new G running fn(arg), put in runnext of this P, so it runs
// soon on this M, and an idle P woken to look for work. go(fn, arg).
struct newprocargs {
	void (*fn)(void *);
	void *arg;
};

void
newproc(void (*fn)(void *), void *arg)
{
	if (fn == NULL) {
		gothrow("go of nil func value");
	}
	struct newprocargs a = {fn, arg};
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
	// The frame gogo pops (asm_amd64.asm): MXCSR and FCW, r15, r14,
	// r13 = arg, r12 = fn, rbx, rbp, rflags (interrupts on), then the
	// return into gostart.
	// After gogo's ret, rsp is stackhi (16-byte aligned), so gostart's
	// calls enter fn with the ABI's alignment.
	uint64_t *sp = (uint64_t *)newg->stackhi;
	*--sp = (uint64_t)gostart;
	*--sp = 0x202;         // rflags: IF
	*--sp = 0;             // rbp
	*--sp = 0;             // rbx
	*--sp = (uint64_t)fn;  // r12
	*--sp = (uint64_t)arg; // r13
	*--sp = 0;             // r14
	*--sp = 0;             // r15
	*--sp = 0x037FULL << 32 | 0x1F80;
	newg->sched.sp = (uint64_t)sp;
	newg->startfn = fn;
	newg->startarg = arg;
	os_libcstate_reset(newg->libc);
	newg->preempt = false;
	newg->waitreason = waitReasonZero;

	if (pp->goidcache == pp->goidcacheend) {
		pp->goidcache = __atomic_fetch_add(&sched.goidgen, GoidCacheBatch, __ATOMIC_RELAXED) + 1;
		pp->goidcacheend = pp->goidcache + GoidCacheBatch;
	}
	newg->goid = pp->goidcache++;
	casgstatus(newg, Gdead, Grunnable);
	runqput(pp, newg, true);
	if (__atomic_load_n(&mainStarted, __ATOMIC_ACQUIRE)) {
		wakep();
	}
	releasem(mp);
}

// mcall: switch from the running G to g0 and call fn(gp) there; fn ends
// in schedule or execute. The caller holds acquirem, so the G cannot move
// to another M before the switch; fn releases it.
static void
mcall(void (*fn)(struct g *gp))
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	mp->cur = mp->g0;
	mcall_switch(&gp->sched, fn, gp, mp->g0->stackhi);
}

static void
dropg(struct m *mp)
{
	mp->curg->m = NULL;
	mp->curg = NULL;
}

static void
park_m(struct g *gp)
{
	struct m *mp = getm();
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
	gp->waitsince = nanotime();
	gp->waitunlockf = unlockf;
	gp->waitlock = arg;
	mcall(park_m);
}

// goready: make gp runnable, next on this P (it inherits the time slice).
static void
ready(void *arg)
{
	struct g *gp = arg;
	struct m *mp = acquirem();
	casgstatus(gp, Gwaiting, Grunnable);
	runqput(mp->p, gp, true);
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

// Preemption (sysmon's, through the kernel's asyncpreempt), in the G
// itself, on its stack, all its registers saved below. Like Go's
// gopreempt_m, the G goes to the global queue.
static void
preempthook(void)
{
	struct m *mp = acquirem();
	struct g *gp = mp->curg;
	if (mp->locks > 1 || gp == NULL || mp->cur != gp ||
	    !__atomic_load_n(&gp->preempt, __ATOMIC_ACQUIRE)) {
		mp->locks--; // releasem without its check: it would call us again
		return;
	}
	__atomic_store_n(&gp->preempt, false, __ATOMIC_RELEASE);
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
	gp->preempt = false;
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

// ---- the scheduler ---------------------------------------------------------

// mstart: the start of every M, on its kernel thread, which becomes its g0.
void
mstart(struct m *mp)
{
	os_setm(mp);
	if (mp != &m0) {
		mp->g0 = persistentalloc(sizeof *mp->g0, 16);
		mp->g0->stackhi = os_threadstacktop();
		mp->cur = mp->g0;
	}
	mp->g0->m = mp;
	if (mp->mstartfn != NULL) {
		mp->mstartfn(); // sysmon: never returns
	}
	if (mp->nextp != NULL) {
		acquirep(mp->nextp);
		mp->nextp = NULL;
	}
	schedule();
}

// One round of scheduling: find a runnable G and run it. Never returns.
static void
schedule(void)
{
	struct m *mp = getm();
	if (mp->locks != 0) {
		throw("schedule: holding locks");
	}
	if (mp->lockedg != NULL) {
		// This M runs only its locked G: give the P away until the G is
		// handed back to us (startlockedm), then run it.
		stoplockedm();
		execute(mp->lockedg, false);
	}
top:;
	if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE)) {
		gcstopm();
		goto top;
	}
	struct p *pp = mp->p;
	bool inheritTime = false;
	struct g *gp = NULL;

	checktimers(pp, nanotime());
	// Every 61st tick look at the global queue first, so two Gs that
	// keep readying each other cannot starve it.
	if (pp->schedtick % GlobalRunqPeriod == 0 && __atomic_load_n(&sched.runqsize, __ATOMIC_RELAXED) > 0) {
		spin_lock(&sched.lock);
		gp = globrunqget(pp, 1);
		spin_unlock(&sched.lock);
	}
	if (gp == NULL) {
		gp = runqget(pp, &inheritTime);
	}
	if (gp == NULL) {
		gp = findrunnable(&inheritTime); // blocks until there is work
	}
	if (mp->spinning) {
		resetspinning();
	}
	if (gp->lockedm != NULL) {
		// gp may run only on its own M: hand it our P and gp, and wait.
		startlockedm(gp);
		goto top;
	}
	execute(gp, inheritTime);
}

static void
execute(struct g *gp, bool inheritTime)
{
	struct m *mp = getm();
	mp->curg = gp;
	gp->m = mp;
	casgstatus(gp, Grunnable, Grunning);
	__atomic_store_n(&gp->preempt, false, __ATOMIC_RELAXED); // a stale request
	if (!inheritTime) {
		mp->p->schedtick++;
	}
	// From here until gogo has switched stacks, a preemption would see
	// gp as running and save g0's context as gp's: interrupts off, and
	// gogo restores gp's own flags.
	os_intr_off();
	mp->cur = gp;
	gogo(&gp->sched);
}

// Run the due timers of every P whose first timer is due: an idle P's
// timers would otherwise wait for a P to be taken.
static void
runalltimers(int64_t now)
{
	for (int32_t i = 0; i < gomaxprocs; i++) {
		int64_t w = __atomic_load_n(&allp[i]->timer0when, __ATOMIC_ACQUIRE);
		if (w != 0 && w <= now) {
			checktimers(allp[i], now);
		}
	}
}

// findrunnable: a G to run, from anywhere; blocks (the M parks, its P
// idle) until there is one. Go's findrunnable, without GC and netpoll.
static struct g *
findrunnable(bool *inheritTime)
{
	struct m *mp = getm();
	struct g *gp;
top:;
	if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE)) {
		gcstopm();
		goto top;
	}
	struct p *pp = mp->p;
	int64_t now = nanotime();
	runalltimers(now);

	if ((gp = runqget(pp, inheritTime)) != NULL) {
		return gp;
	}
	if (__atomic_load_n(&sched.runqsize, __ATOMIC_RELAXED) > 0) {
		spin_lock(&sched.lock);
		gp = globrunqget(pp, 0);
		spin_unlock(&sched.lock);
		if (gp != NULL) {
			*inheritTime = false;
			return gp;
		}
	}

	// Steal, unless half the busy Ps already have a spinning M looking.
	int32_t procs = gomaxprocs;
	uint32_t npidle = __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE);
	if (mp->spinning || 2 * __atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) < procs - npidle) {
		if (!mp->spinning) {
			mp->spinning = true;
			__atomic_add_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST);
		}
		for (int i = 0; i < StealTries; i++) {
			uint32_t start = fastrandn(procs);
			for (int32_t j = 0; j < procs; j++) {
				struct p *p2 = allp[(start + j) % procs];
				if (p2 == pp) {
					continue;
				}
				// runnext only in the last round: it is the victim's
				// own next G, about to run.
				if ((gp = runqsteal(pp, p2, i == StealTries - 1)) != NULL) {
					*inheritTime = false;
					return gp;
				}
			}
		}
	}

	// Nothing: give up the P (to stopTheWorld, if it waits).
	spin_lock(&sched.lock);
	if (sched.gcwaiting) {
		spin_unlock(&sched.lock);
		goto top;
	}
	if (sched.runqsize > 0) {
		gp = globrunqget(pp, 0);
		spin_unlock(&sched.lock);
		*inheritTime = false;
		return gp;
	}
	releasep();
	pidleput(pp);
	spin_unlock(&sched.lock);

	// Stop spinning, then look once more: a G made runnable just before
	// nmspinning dropped would otherwise wait (Go's "delicate dance").
	if (mp->spinning) {
		mp->spinning = false;
		__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST); // StoreLoad before the re-check
		for (int32_t i = 0; i < procs; i++) {
			if (!runqempty(allp[i]) || __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) > 0) {
				spin_lock(&sched.lock);
				pp = pidleget();
				spin_unlock(&sched.lock);
				if (pp != NULL) {
					acquirep(pp);
					mp->spinning = true;
					__atomic_add_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST);
					goto top;
				}
				break;
			}
		}
	}
	stopm(nexttimer());
	goto top;
}

// Park this M until startm hands it a P, or until the earliest timer is
// due (until, a nanotime; 0 for none): then take an idle P to run it.
static void
stopm(int64_t until)
{
	struct m *mp = getm();
	for (;;) {
		spin_lock(&sched.lock);
		mput(mp);
		checkdead();
		spin_unlock(&sched.lock);

		bool woken = true;
		if (until != 0) {
			int64_t ns = until - (int64_t)nanotime();
			woken = notetsleep(&mp->park, ns > 0 ? ns : 0); // < 0 would mean forever
		} else {
			notesleep(&mp->park);
		}
		if (!woken) {
			// A timer is due. Leave the idle list, unless startm took
			// us off it meanwhile and is about to wake us.
			spin_lock(&sched.lock);
			bool listed = false;
			for (struct m **mpp = &sched.midle; *mpp != NULL; mpp = &(*mpp)->schedlink) {
				if (*mpp == mp) {
					*mpp = mp->schedlink;
					sched.nmidle--;
					listed = true;
					break;
				}
			}
			if (listed) {
				struct p *pp = pidleget();
				spin_unlock(&sched.lock);
				if (pp != NULL) {
					acquirep(pp);
					return;
				}
				// Every P is busy: they run their timers themselves.
				// Sleep until startm needs us, not until a deadline that
				// has passed (that would spin).
				until = 0;
				continue;
			}
			spin_unlock(&sched.lock);
			notesleep(&mp->park); // startm's wakeup is on its way
		}
		noteclear(&mp->park);
		acquirep(mp->nextp);
		mp->nextp = NULL;
		return;
	}
}

// startm: run pp (or an idle P) on an idle M, or a new one.
static void
startm(struct p *pp, bool spinning)
{
	spin_lock(&sched.lock);
	if (pp == NULL) {
		pp = pidleget();
		if (pp == NULL) {
			spin_unlock(&sched.lock);
			if (spinning) {
				__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST);
			}
			return;
		}
	}
	struct m *mp = mget();
	spin_unlock(&sched.lock);
	if (mp == NULL) {
		newm(pp, spinning, NULL);
		return;
	}
	mp->spinning = spinning;
	mp->nextp = pp;
	notewakeup(&mp->park);
}

// wakep: start a spinning M if there is an idle P and nobody spins yet.
void
wakep(void)
{
	if (__atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) == 0) {
		return;
	}
	uint32_t zero = 0;
	if (!__atomic_compare_exchange_n(&sched.nmspinning, &zero, 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED)) {
		return;
	}
	startm(NULL, true);
}

// The last spinning M found work: wake another spinner if Ps are idle, so
// that the next piece of work does not wait.
static void
resetspinning(void)
{
	struct m *mp = getm();
	mp->spinning = false;
	if (__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) > 0) {
		wakep();
	}
}

static void
mstart_thread(void *arg)
{
	mstart(arg);
}

// newm: a new M on a kernel thread of its own, to run pp, or fn (sysmon).
// Kernel threads never move, so an M is placed on the CPU matching its
// P's id (Ms for P0, P1, ... on CPUs 0, 1, ...), and sysmon on the last
// CPU.
static void
newm(struct p *pp, bool spinning, void (*fn)(void))
{
	struct m *mp = persistentalloc(sizeof *mp, 16);
	mcommoninit(mp);
	mp->nextp = pp;
	mp->spinning = spinning;
	mp->mstartfn = fn;
	int ncpu = os_ncpu();
	os_newosproc(mp, pp != NULL ? pp->id % ncpu : ncpu - 1, mstart_thread);
}

static void
acquirep(struct p *pp)
{
	struct m *mp = getm();
	if (mp->p != NULL || pp->m != NULL || pp->status != Pidle) {
		fatalf("acquirep: p %d is not idle, or m %ld holds one", pp->id, mp->id);
	}
	mp->p = pp;
	pp->m = mp;
	__atomic_store_n(&pp->status, Prunning, __ATOMIC_RELEASE);
	// sysmon sleeps while every P is idle; wake it now one runs.
	if (__atomic_load_n(&sched.sysmonwait, __ATOMIC_ACQUIRE)) {
		spin_lock(&sched.lock);
		if (sched.sysmonwait) {
			sched.sysmonwait = false;
			notewakeup(&sched.sysmonnote);
		}
		spin_unlock(&sched.lock);
	}
}

static struct p *
releasep(void)
{
	struct m *mp = getm();
	struct p *pp = mp->p;
	if (pp == NULL || pp->m != mp || pp->status != Prunning) {
		throw("releasep: invalid p state");
	}
	mp->p = NULL;
	pp->m = NULL;
	__atomic_store_n(&pp->status, Pidle, __ATOMIC_RELEASE);
	return pp;
}

// Caller holds sched.lock (for the four below).
static void
pidleput(struct p *pp)
{
	pp->link = sched.pidle;
	sched.pidle = pp;
	__atomic_add_fetch(&sched.npidle, 1, __ATOMIC_SEQ_CST);
}

static struct p *
pidleget(void)
{
	struct p *pp = sched.pidle;
	if (pp != NULL) {
		sched.pidle = pp->link;
		__atomic_sub_fetch(&sched.npidle, 1, __ATOMIC_SEQ_CST);
	}
	return pp;
}

static void
mput(struct m *mp)
{
	mp->schedlink = sched.midle;
	sched.midle = mp;
	sched.nmidle++;
}

static struct m *
mget(void)
{
	struct m *mp = sched.midle;
	if (mp != NULL) {
		sched.midle = mp->schedlink;
		sched.nmidle--;
	}
	return mp;
}

// ---- LockOSThread ------------------------------------------------------------

// LockOSThread: the running G runs only on this M, and this M runs only
// it, until as many UnlockOSThreads (Go's counted lockOSThread). While the
// G blocks, its M parks and gives its P to another M.
void
lockOSThread(void)
{
	struct m *mp = acquirem();
	if (++mp->lockedExt == 0) {
		gothrow("LockOSThread nesting overflow");
	}
	mp->lockedg = mp->curg;
	mp->curg->lockedm = mp;
	releasem(mp);
}

void
unlockOSThread(void)
{
	struct m *mp = acquirem();
	if (mp->lockedExt > 0 && --mp->lockedExt == 0 && mp->lockedInt == 0) {
		mp->curg->lockedm = NULL;
		mp->lockedg = NULL;
	}
	releasem(mp);
}

// Give pp, which no M holds, to an M if there is work for it; to
// stopTheWorld if the world stops; else make it idle. Go's handoffp,
// without GC work and netpoll.
static void
handoffp(struct p *pp)
{
	if (!runqempty(pp) || __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) > 0 || pp->timer0when != 0) {
		startm(pp, false);
		return;
	}
	spin_lock(&sched.lock);
	if (sched.gcwaiting) {
		pp->status = Pgcstop;
		if (--sched.stopwait == 0) {
			notewakeup(&sched.stopnote);
		}
		spin_unlock(&sched.lock);
		return;
	}
	pidleput(pp);
	spin_unlock(&sched.lock);
}

// The locked M's wait: its P to others, then park until startlockedm
// hands it a P along with its G.
static void
stoplockedm(void)
{
	struct m *mp = getm();
	if (mp->p != NULL) {
		handoffp(releasep());
	}
	notesleep(&mp->park);
	noteclear(&mp->park);
	acquirep(mp->nextp);
	mp->nextp = NULL;
}

// gp, runnable, is locked to another M: give that M our P (it runs gp at
// once, in schedule) and park this M until it is needed.
static void
startlockedm(struct g *gp)
{
	struct m *lm = gp->lockedm;
	struct p *pp = releasep();
	lm->nextp = pp;
	notewakeup(&lm->park);
	stopm(0);
}

// The end of an M whose locked G exited: its P to another M, then the
// kernel thread ends. m0 is the boot flow and cannot end: it parks for
// good instead, as Go's m0 does.
static void
mexit(void)
{
	struct m *mp = getm();
	handoffp(releasep());
	mp->exited = true;
	if (mp != &m0) {
		os_exitthread();
	}
	struct note never = {0};
	notesleep(&never);
	throw("mexit: m0 woke");
}

// ---- system calls ------------------------------------------------------------

// entersyscall: the running G is about to block in the machine (the
// kernel's hook, kernel/kthread.h: a note, a mutex, console input). Its P
// goes to Psyscall, held by no M: sysmon's retake hands it to another M
// if the wait lasts and there is work, and stopTheWorld takes it. Not for
// the scheduler's own waits (no P, on g0, or m->locks > 0): those keep
// what they have. Go's entersyscall (reentersyscall). Runs on the G's
// stack, its thread pinned.
static bool
entersyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (mp->p == NULL || gp == NULL || mp->cur != gp || mp->locks > 0) {
		return false;
	}
	mp->locks++;
	// For tracebacks of the G meanwhile: the frame of the function that
	// blocks (notesleep, mutex_lock, ...), which called the machine's
	// hook that called us. It lives until the wait is over; the hook's
	// own frame does not.
	uint64_t *hook = (uint64_t *)*(uint64_t *)__builtin_frame_address(0);
	gp->syscallpc = hook[1];
	gp->syscallbp = hook[0];
	casgstatus(gp, Grunning, Gsyscall);
	struct p *pp = mp->p;
	pp->m = NULL;
	mp->p = NULL;
	mp->oldp = pp;
	// Seq_cst store, then seq_cst load of gcwaiting: pairs with
	// stopTheWorldWithSema's store of gcwaiting, then its CAS of each
	// Psyscall: either it takes pp or we give it.
	__atomic_store_n(&pp->status, Psyscall, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_SEQ_CST)) {
		spin_lock(&sched.lock);
		uint32_t s = Psyscall;
		if (sched.stopwait > 0 &&
		    __atomic_compare_exchange_n(&pp->status, &s, Pgcstop, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED) &&
		    --sched.stopwait == 0) {
			notewakeup(&sched.stopnote);
		}
		spin_unlock(&sched.lock);
	}
	mp->locks--;
	return true;
}

// exitsyscall: the G's wait in the machine is over. Take back its P if
// nobody took it (the usual case), or an idle one; else wait for one on
// this M. The G cannot move to another M here, as a Go G would: what it
// blocked in (a mutex it now holds, say) belongs to this kernel thread.
// So it waits as a locked G does: queued, runnable, locked to this M for
// the moment, until a scheduler hands this M a P to run it (startlockedm).
static void
exitsyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	mp->locks++;
	struct p *pp = mp->oldp;
	mp->oldp = NULL;
	uint32_t s = Psyscall;
	// Acquire: pairs with entersyscall's store (and retake's and
	// stopTheWorld's CAS, which we lose to).
	if (pp != NULL && __atomic_compare_exchange_n(&pp->status, &s, Prunning, false, __ATOMIC_ACQ_REL,
						      __ATOMIC_RELAXED)) {
		mp->p = pp;
		pp->m = mp;
		pp->syscalltick++;
		casgstatus(gp, Gsyscall, Grunning);
		mp->locks--;
		return;
	}
	mcall(exitsyscall0);
	// Back on this M with a P; the lock to it was only for the wait.
	if (--mp->lockedInt == 0 && mp->lockedExt == 0) {
		gp->lockedm = NULL;
		mp->lockedg = NULL;
	}
}

// exitsyscall's slow path, on g0: an idle P now, or queue gp locked to
// this M and park until the scheduler picks it. Never returns.
static void
exitsyscall0(struct g *gp)
{
	struct m *mp = getm();
	casgstatus(gp, Gsyscall, Grunnable);
	dropg(mp);
	mp->locks--;
	mp->lockedInt++;
	mp->lockedg = gp;
	gp->lockedm = mp;
	spin_lock(&sched.lock);
	struct p *pp = sched.gcwaiting ? NULL : pidleget();
	if (pp == NULL) {
		globrunqput(gp);
	}
	spin_unlock(&sched.lock);
	if (pp != NULL) {
		acquirep(pp);
		execute(gp, false);
	}
	stoplockedm();
	execute(gp, false);
}

// ---- stopping the world -------------------------------------------------------

// Serialises stopTheWorld callers (Go's worldsema). A sleeping mutex: a
// second caller waits in the machine, its P lent to others meanwhile.
static struct mutex worldsema = MUTEX_INIT("worldsema");
static int32_t newprocs; // Protected by worldsema: startTheWorld's new GOMAXPROCS, or 0

// stopTheWorld: stop every P but this M's, which goes on running the
// caller, alone, until startTheWorld. Every other G is runnable, parked,
// or blocked in the machine, and stays so. The caller is a G, not holding
// a runtime lock. Go's stopTheWorld.
static void stopTheWorldWithSema(void *arg);
static void startTheWorldWithSema(void *arg);

void
stopTheWorld(const char *reason)
{
	mutex_lock(&worldsema, false);
	struct m *mp = acquirem(); // until startTheWorld: the caller stays on this M
	mp->preemptoff = reason;
	systemstack(stopTheWorldWithSema, NULL);
}

void
startTheWorld(void)
{
	struct m *mp = getm();
	systemstack(startTheWorldWithSema, NULL);
	mutex_unlock(&worldsema);
	mp->preemptoff = NULL;
	releasem(mp);
}

// Ask every running G to yield, and poke its CPU: schedule then stops
// its P (gcstopm). Caller holds sched.lock, or nothing.
static void
preemptall(void)
{
	for (int32_t i = 0; i < gomaxprocs; i++) {
		if (__atomic_load_n(&allp[i]->status, __ATOMIC_ACQUIRE) == Prunning) {
			preemptone(allp[i]);
		}
	}
}

// Ask the G running on pp to yield (preempthook) and poke its M's CPU;
// false if there is none, or it is the caller.
static bool
preemptone(struct p *pp)
{
	struct m *mp = pp->m;
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (gp == NULL || mp == getm()) {
		return false;
	}
	__atomic_store_n(&gp->preempt, true, __ATOMIC_RELEASE);
	return os_preemptm(mp);
}

static void
stopTheWorldWithSema(void *arg)
{
	(void)arg;
	struct m *mp = getm();
	spin_lock(&sched.lock);
	sched.stopwait = gomaxprocs;
	__atomic_store_n(&sched.gcwaiting, true, __ATOMIC_SEQ_CST); // pairs with entersyscall
	preemptall();
	mp->p->status = Pgcstop; // ours: this M goes on, alone
	sched.stopwait--;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		uint32_t s = Psyscall;
		if (__atomic_compare_exchange_n(&pp->status, &s, Pgcstop, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			pp->syscalltick++;
			sched.stopwait--;
		}
	}
	struct p *pp;
	while ((pp = pidleget()) != NULL) {
		pp->status = Pgcstop;
		sched.stopwait--;
	}
	bool wait = sched.stopwait > 0;
	spin_unlock(&sched.lock);
	// The running Ps stop in schedule (gcstopm); poke again every 100 us
	// in case a G was between preemption checks.
	while (wait && !notetsleep(&sched.stopnote, 100 * 1000)) {
		preemptall();
	}
	noteclear(&sched.stopnote);
	if (sched.stopwait != 0) {
		throw("stopTheWorld: not stopped");
	}
	for (int32_t i = 0; i < gomaxprocs; i++) {
		if (allp[i]->status != Pgcstop) {
			throw("stopTheWorld: not stopped");
		}
	}
}

static void
startTheWorldWithSema(void *arg)
{
	(void)arg;
	struct p *runnable = procresize(newprocs != 0 ? newprocs : gomaxprocs);
	newprocs = 0;
	spin_lock(&sched.lock);
	__atomic_store_n(&sched.gcwaiting, false, __ATOMIC_SEQ_CST);
	if (sched.sysmonwait) {
		sched.sysmonwait = false;
		notewakeup(&sched.sysmonnote);
	}
	spin_unlock(&sched.lock);
	while (runnable != NULL) {
		struct p *pp = runnable;
		runnable = pp->link;
		struct m *mp = pp->m;
		pp->m = NULL;
		if (mp != NULL) {
			mp->nextp = pp;
			notewakeup(&mp->park);
		} else {
			newm(pp, false, NULL);
		}
	}
	wakep(); // for idle Ps' timers and the global queue
}

// gcstopm: the world stops: give up this M's P to stopTheWorld and park.
static void
gcstopm(void)
{
	struct m *mp = getm();
	if (mp->spinning) {
		mp->spinning = false;
		__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST);
	}
	struct p *pp = releasep();
	spin_lock(&sched.lock);
	pp->status = Pgcstop;
	if (--sched.stopwait == 0) {
		notewakeup(&sched.stopnote);
	}
	spin_unlock(&sched.lock);
	stopm(0);
}

// GOMAXPROCS(n): set the number of Ps, stopping the world to do it;
// returns the previous number. n <= 0 only reports. Go's GOMAXPROCS.
int32_t
gomaxprocs_set(int32_t n)
{
	int32_t old = __atomic_load_n(&gomaxprocs, __ATOMIC_ACQUIRE);
	if (n <= 0 || n == old) {
		return old;
	}
	if (n > MaxGomaxprocs) {
		n = MaxGomaxprocs;
	}
	stopTheWorld("GOMAXPROCS");
	newprocs = n;
	startTheWorld();
	return old;
}

// ---- deadlock, sysmon, tracing ----------------------------------------------

// checkdead: every P idle, nothing runnable, no timer that could make
// something runnable, no G in a syscall: no goroutine can ever run again.
// Go counts Ms; hood counts Ps and looks at the Gs, since kernel threads
// of Ms parked on notes are not counted apart. Caller holds sched.lock.
static void
checkdead(void)
{
	if (__atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) != (uint32_t)gomaxprocs || sched.runqsize > 0) {
		return;
	}
	for (int32_t i = 0; i < gomaxprocs; i++) {
		if (!runqempty(allp[i])) {
			return;
		}
	}
	if (nexttimer() != 0) {
		return;
	}
	int live = 0;
	spin_lock(&allglock);
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		uint32_t s = readgstatus(gp);
		if (s == Grunnable || s == Grunning || s == Gsyscall) {
			spin_unlock(&allglock);
			return; // in flight between a queue and an M, or in the machine
		}
		live += s == Gwaiting;
	}
	spin_unlock(&allglock);
	spin_unlock(&sched.lock);
	if (live == 0) {
		gothrow("no goroutines (main called runtime.Goexit) - deadlock!");
	}
	gothrow("all goroutines are asleep - deadlock!");
}

// retake: preempt Gs that ran over ForcePreemptNS, and take back Ps
// left in a syscall for a sysmon tick when there is work for them, or
// for 10 ms in any case. sysmon's view of each P: the ticks it last saw,
// and since when. Go's retake.
static struct {
	uint32_t schedtick;
	int64_t schedwhen;
	uint32_t syscalltick;
	int64_t syscallwhen;
} pdesc[MaxGomaxprocs];

static int
retake(int64_t now)
{
	int n = 0;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		uint32_t s = __atomic_load_n(&pp->status, __ATOMIC_ACQUIRE);
		if (s == Psyscall) {
			uint32_t t = __atomic_load_n(&pp->syscalltick, __ATOMIC_RELAXED);
			if (pdesc[i].syscalltick != t) {
				pdesc[i].syscalltick = t;
				pdesc[i].syscallwhen = now;
				continue;
			}
			// Leave it while nothing waits for it (an idle or spinning
			// M would take the work), but not past 10 ms.
			if (runqempty(pp) &&
			    __atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) +
					    __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) >
				    0 &&
			    now - pdesc[i].syscallwhen < 10 * 1000 * 1000) {
				continue;
			}
			// Acq_rel CAS: pairs with entersyscall's store and
			// exitsyscall's CAS; whoever wins has the P.
			if (__atomic_compare_exchange_n(&pp->status, &s, Pidle, false, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED)) {
				pp->syscalltick++;
				handoffp(pp);
				n++;
			}
		} else if (s == Prunning) {
			uint32_t t = __atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED);
			if (pdesc[i].schedtick != t) {
				pdesc[i].schedtick = t;
				pdesc[i].schedwhen = now;
			} else if (now - pdesc[i].schedwhen >= ForcePreemptNS) {
				n += preemptone(pp);
				pdesc[i].schedwhen = now;
			}
		}
	}
	return n;
}

// sysmon: an M without a P. Sleeps 20 us, doubling after 1 ms of finding
// nothing to do, up to 10 ms; sleeps until woken while every P is idle.
static void
sysmon(void)
{
	struct note tick = {0};
	int64_t delay = 0;
	int idle = 0;
	int64_t lasttrace = nanotime();
	for (;;) {
		if (idle == 0) {
			delay = 20 * 1000;
		} else if (idle > 50) {
			delay *= 2;
		}
		if (delay > 10 * 1000 * 1000) {
			delay = 10 * 1000 * 1000;
		}
		notetsleep(&tick, delay);
		int64_t now = nanotime();
		if (debug.schedtrace <= 0 &&
		    (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE) ||
		     __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) == (uint32_t)gomaxprocs)) {
			spin_lock(&sched.lock);
			if (sched.gcwaiting || sched.npidle == (uint32_t)gomaxprocs) {
				sched.sysmonwait = true;
				spin_unlock(&sched.lock);
				notesleep(&sched.sysmonnote);
				noteclear(&sched.sysmonnote);
				idle = 0;
				continue;
			}
			spin_unlock(&sched.lock);
		}
		idle = retake(now) > 0 ? 0 : idle + 1;
		if (debug.schedtrace > 0 && now - lasttrace >= (int64_t)debug.schedtrace * 1000000) {
			lasttrace = now;
			schedtrace(debug.scheddetail > 0);
		}
	}
}

// schedtrace: Go's SCHED line (GODEBUG=schedtrace=ms).
void
schedtrace(bool detailed)
{
	int64_t now = nanotime();
	int mcount = 0;
	for (struct m *mp = allm; mp != NULL; mp = mp->alllink) {
		mcount++;
	}
	char line[512];
	int n = snprintf(line, sizeof line,
			 "SCHED %ldms: gomaxprocs=%d idleprocs=%u threads=%d spinningthreads=%u "
			 "idlethreads=%d runqueue=%d [",
			 now / 1000000, gomaxprocs, __atomic_load_n(&sched.npidle, __ATOMIC_RELAXED), mcount,
			 __atomic_load_n(&sched.nmspinning, __ATOMIC_RELAXED), sched.nmidle, sched.runqsize);
	for (int32_t i = 0; i < gomaxprocs && n < (int)sizeof line - 16; i++) {
		n += snprintf(line + n, sizeof line - n, i == 0 ? "%u" : " %u", runqlen(allp[i]));
	}
	os_print("%s]\n", line);
	if (!detailed) {
		return;
	}
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		struct m *mp = pp->m;
		os_print("  P%d: status=%u schedtick=%u m=%ld runqsize=%u gfreecnt=%d\n", i, pp->status,
			 pp->schedtick, mp != NULL ? mp->id : -1L, runqlen(pp), pp->gfreecnt);
	}
	for (struct m *mp = allm; mp != NULL; mp = mp->alllink) {
		struct p *pp = mp->p;
		struct g *gp = mp->curg;
		os_print("  M%ld: p=%d curg=%ld preemptoff=%s locks=%d spinning=%d lockedg=%ld\n", mp->id,
			 pp != NULL ? pp->id : -1, gp != NULL ? gp->goid : -1L,
			 mp->preemptoff != NULL ? mp->preemptoff : "", mp->locks, mp->spinning,
			 mp->lockedg != NULL ? mp->lockedg->goid : -1L);
	}
}

// ---- tracebacks and fatal errors ---------------------------------------------

static const char *
gstatusstring(struct g *gp)
{
	uint32_t s = readgstatus(gp);
	if (s == Gwaiting) {
		return waitReasonStrings[gp->waitreason];
	}
	return s <= Gdead ? gstatusnames[s] : "?";
}

// Where a traceback goes: the console (buf NULL), or buf, cut at len.
struct tracebuf {
	char *buf;
	size_t len, n;
};

static void __attribute__((format(printf, 2, 3))) tbprintf(struct tracebuf *tb, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (tb->buf == NULL) {
		os_print("%s", line);
		return;
	}
	size_t k = strlen(line);
	if (k > tb->len - tb->n) {
		k = tb->len - tb->n;
	}
	memcpy(tb->buf + tb->n, line, k);
	tb->n += k;
}

// One goroutine, in Go's form: "goroutine N [status]:" then its frames:
// the running one's from fp, a parked one's from its saved context (the
// return address and rbp that mcall_switch pushed), one in a syscall's
// from where it entered it. Another G that is running has no frames to
// show: its stack changes under us.
static void
traceback1(struct tracebuf *tb, struct g *gp, uint64_t fp)
{
	uint32_t s = readgstatus(gp);
	tbprintf(tb, "goroutine %ld [%s]:\n", gp->goid, gstatusstring(gp));
	uint64_t ret = 0;
	if (fp == 0 && s == Gsyscall) {
		ret = gp->syscallpc;
		fp = gp->syscallbp;
	} else if (fp == 0 && s != Grunning) {
		uint64_t *sp = (uint64_t *)gp->sched.sp;
		ret = sp[8];
		fp = sp[6];
	}
	if (fp != 0) {
		tb->n += os_backtrace(ret, fp, tb->buf != NULL ? tb->buf + tb->n : NULL, tb->len - tb->n);
	}
}

// Every goroutine but me (Go's tracebackothers), each after a blank line.
static void
traceback(struct tracebuf *tb, struct g *me)
{
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		uint32_t s = readgstatus(gp);
		if (gp != me && s != Gdead && s != Gidle) {
			tbprintf(tb, "\n");
			traceback1(tb, gp, 0);
		}
	}
}

// The goroutine dump of a fatal error: the running G (me), then the rest.
void
tracebackothers(struct g *me)
{
	struct tracebuf tb = {NULL, 0, 0};
	if (me != NULL) {
		tbprintf(&tb, "\n");
		traceback1(&tb, me, (uint64_t)__builtin_frame_address(0));
	}
	traceback(&tb, me);
}

// goroutinestack: the calling goroutine's traceback into buf, and with
// all, every other goroutine's after it, the world stopped meanwhile so
// that they hold still. Returns the bytes written, at most len. Go's
// runtime.Stack.
int
goroutinestack(char *buf, int len, bool all)
{
	struct tracebuf tb = {buf, len > 0 ? (size_t)len : 0, 0};
	if (all) {
		stopTheWorld("stack trace");
	}
	struct g *me = getg();
	traceback1(&tb, me, (uint64_t)__builtin_frame_address(0));
	if (all) {
		traceback(&tb, me);
		startTheWorld();
	}
	return (int)tb.n;
}

// gothrow: a fatal error of the Go program, reported as Go does: the
// message, then every goroutine. Exits with status 2.
void
gothrow(const char *msg)
{
	struct m *mp = getm();
	mp->locks++;
	os_print("fatal error: %s\n", msg);
	// The running G: even if the M is switching to or from g0 (a stack
	// overflow in mcall_switch, say), its frames are the current ones.
	tracebackothers(mp->curg);
	os_exit(2);
}
