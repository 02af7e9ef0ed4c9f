// stw.c: stopping the world (Go's stopTheWorld and startTheWorld): every
// P stopped but the caller's, for the few things that need all Gs to hold
// still: changing GOMAXPROCS (procresize), a goroutine dump, and, later,
// the garbage collector. See runtime.h for the overview.

#include "runtime/runtime.h"

static void preemptall(void);
static void stopTheWorldWithSema(void *arg);
static void startTheWorldWithSema(void *arg);

// Serialises stopTheWorld callers (Go's worldsema). A sleeping mutex: a
// second caller waits in the machine, its P lent to others meanwhile.
static struct mutex worldsema = MUTEX_INIT("worldsema");
static int32_t newprocs; // Protected by worldsema: startTheWorld's new GOMAXPROCS, or 0

// stopTheWorld: stop every P but this M's, which goes on running the
// caller, alone, until startTheWorld. Every other G is runnable, parked,
// or blocked in the machine, and stays so. The caller is a G, not holding
// a runtime lock. Go's stopTheWorld.
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
bool
preemptone(struct p *pp)
{
	// Relaxed loads: the M and G may change meanwhile (Ms and Gs are
	// never freed); a stale request is cleared by execute.
	struct m *mp = __atomic_load_n(&pp->m, __ATOMIC_RELAXED);
	struct g *gp = mp != NULL ? __atomic_load_n(&mp->curg, __ATOMIC_RELAXED) : NULL;
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
	__atomic_store_n(&mp->p->status, Pgcstop, __ATOMIC_RELEASE); // ours: this M goes on, alone
	sched.stopwait--;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		uint32_t s = Psyscall;
		if (__atomic_compare_exchange_n(&pp->status, &s, Pgcstop, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			__atomic_store_n(&pp->syscalltick, pp->syscalltick + 1,
					 __ATOMIC_RELAXED); // sysmon reads it
			sched.stopwait--;
		}
	}
	struct p *pp;
	while ((pp = pidleget()) != NULL) {
		__atomic_store_n(&pp->status, Pgcstop, __ATOMIC_RELEASE);
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
		if (__atomic_load_n(&allp[i]->status, __ATOMIC_ACQUIRE) != Pgcstop) {
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
		__atomic_store_n(&sched.sysmonwait, false, __ATOMIC_RELAXED);
		notewakeup(&sched.sysmonnote);
	}
	spin_unlock(&sched.lock);
	while (runnable != NULL) {
		struct p *pp = runnable;
		runnable = pp->link;
		struct m *mp = pp->m;
		__atomic_store_n(&pp->m, NULL, __ATOMIC_RELAXED);
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
void
gcstopm(void)
{
	struct m *mp = getm();
	if (mp->spinning) {
		mp->spinning = false;
		__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_SEQ_CST);
	}
	struct p *pp = releasep();
	spin_lock(&sched.lock);
	__atomic_store_n(&pp->status, Pgcstop, __ATOMIC_RELEASE);
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

// procresize: make the Ps number nprocs, with the world stopped (or at
// boot, before there is a world). New Ps are made, or Pdead ones brought
// back (Ps are never freed, as in Go, so a stale pointer to one stays
// safe); Ps past nprocs give their Gs to the global queue, their timers to
// this M's P and their dead Gs to the global free list, and become Pdead.
// This M keeps its P if it survives, else takes allp[0]. Returns the other
// Ps with Gs to run, each with an idle M in pp->m if there was one, for
// startTheWorld to start; the rest are idle. Go's procresize.
struct p *
procresize(int32_t nprocs)
{
	int32_t old = gomaxprocs;
	for (int32_t i = old; i < nprocs; i++) {
		if (allp[i] == NULL) {
			struct p *pp = persistentalloc(sizeof *pp, 64);
			pp->id = i;
			__atomic_store_n(&pp->status, Pdead, __ATOMIC_RELEASE);
			spin_init(&pp->timerslock, "timers", LOCK_TIMERS);
			allp[i] = pp;
		}
		__atomic_store_n(&allp[i]->status, Pgcstop, __ATOMIC_RELEASE);
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
			__atomic_store_n(&sched.ngfree, sched.ngfree + 1, __ATOMIC_RELAXED);
		}
		pp->gfreecnt = 0;
		__atomic_store_n(&pp->status, Pdead, __ATOMIC_RELEASE);
		spin_unlock(&sched.lock);
		movetimers(keep, pp);
	}
	// Release: a reader that sees the new count sees the new allp entries.
	__atomic_store_n(&gomaxprocs, nprocs, __ATOMIC_RELEASE);

	if (mp->p == keep) {
		__atomic_store_n(&keep->status, Prunning, __ATOMIC_RELEASE);
	} else {
		if (mp->p != NULL) {
			__atomic_store_n(&mp->p->m, NULL, __ATOMIC_RELAXED);
			mp->p = NULL;
		}
		__atomic_store_n(&keep->status, Pidle, __ATOMIC_RELEASE);
		acquirep(keep);
	}
	struct p *runnable = NULL;
	spin_lock(&sched.lock);
	for (int32_t i = nprocs - 1; i >= 0; i--) {
		struct p *pp = allp[i];
		if (pp == keep) {
			continue;
		}
		__atomic_store_n(&pp->status, Pidle, __ATOMIC_RELEASE);
		if (runqempty(pp)) {
			pidleput(pp);
		} else {
			__atomic_store_n(&pp->m, mget(), __ATOMIC_RELAXED);
			pp->link = runnable;
			runnable = pp;
		}
	}
	spin_unlock(&sched.lock);
	return runnable;
}
