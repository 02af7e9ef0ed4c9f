// schedule.c: the scheduling loop: how an M finds a G to run
// (schedule, findrunnable), and parks when there is none (stopm); how Ms
// are started (startm, wakep, newm) and Ps handed between them (acquirep,
// releasep, handoffp). See runtime.h for the overview; Go's
// runtime/proc.go has the same functions.

#include "runtime/runtime.h"

static struct g *findrunnable(bool *inheritTime);
static void resetspinning(void);
static void mstart_thread(void *arg);

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
void
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

	if (__atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0) {
		checktimers(pp, nanotime());
	}
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

void
execute(struct g *gp, bool inheritTime)
{
	struct m *mp = getm();
	__atomic_store_n(&mp->curg, gp, __ATOMIC_RELAXED); // sysmon reads it (preemptone)
	gp->m = mp;
	casgstatus(gp, Grunnable, Grunning);
	__atomic_store_n(&gp->preempt, false, __ATOMIC_RELAXED); // a stale request
	if (!inheritTime) {
		// Relaxed: only the P's owner writes it; sysmon reads it (retake).
		__atomic_store_n(&mp->p->schedtick, mp->p->schedtick + 1, __ATOMIC_RELAXED);
	}
	// From here until gogo has switched stacks, a preemption would see
	// gp as running and save g0's context as gp's: interrupts off, and
	// gogo restores gp's own flags.
	os_intr_off();
	mp->cur = gp;
	gogo(&gp->sched);
}

// Run the due timers of every P whose first timer is due: an idle P's
// timers would otherwise wait for a P to be taken. The clock is read only
// if some P has a timer.
static void
runalltimers(void)
{
	int64_t now = 0;
	for (int32_t i = 0; i < loadgomaxprocs(); i++) {
		int64_t w = __atomic_load_n(&allp[i]->timer0when, __ATOMIC_ACQUIRE);
		if (w != 0 && w <= (now != 0 ? now : (now = nanotime()))) {
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
	runalltimers();

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
	int32_t procs = loadgomaxprocs();
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
void
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
void
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
void
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

void
acquirep(struct p *pp)
{
	struct m *mp = getm();
	if (mp->p != NULL || pp->m != NULL || __atomic_load_n(&pp->status, __ATOMIC_ACQUIRE) != Pidle) {
		fatalf("acquirep: p %d is not idle, or m %ld holds one", pp->id, mp->id);
	}
	mp->p = pp;
	__atomic_store_n(&pp->m, mp, __ATOMIC_RELAXED); // sysmon reads it
	__atomic_store_n(&pp->status, Prunning, __ATOMIC_RELEASE);
	// sysmon sleeps while every P is idle; wake it now one runs.
	if (__atomic_load_n(&sched.sysmonwait, __ATOMIC_ACQUIRE)) {
		spin_lock(&sched.lock);
		if (sched.sysmonwait) {
			__atomic_store_n(&sched.sysmonwait, false, __ATOMIC_RELAXED);
			notewakeup(&sched.sysmonnote);
		}
		spin_unlock(&sched.lock);
	}
}

struct p *
releasep(void)
{
	struct m *mp = getm();
	struct p *pp = mp->p;
	if (pp == NULL || pp->m != mp || __atomic_load_n(&pp->status, __ATOMIC_ACQUIRE) != Prunning) {
		throw("releasep: invalid p state");
	}
	mp->p = NULL;
	__atomic_store_n(&pp->m, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&pp->status, Pidle, __ATOMIC_RELEASE);
	return pp;
}

// Caller holds sched.lock (for the four below).
void
pidleput(struct p *pp)
{
	pp->link = sched.pidle;
	sched.pidle = pp;
	__atomic_add_fetch(&sched.npidle, 1, __ATOMIC_SEQ_CST);
}

struct p *
pidleget(void)
{
	struct p *pp = sched.pidle;
	if (pp != NULL) {
		sched.pidle = pp->link;
		__atomic_sub_fetch(&sched.npidle, 1, __ATOMIC_SEQ_CST);
	}
	return pp;
}

void
mput(struct m *mp)
{
	mp->schedlink = sched.midle;
	sched.midle = mp;
	sched.nmidle++;
}

struct m *
mget(void)
{
	struct m *mp = sched.midle;
	if (mp != NULL) {
		sched.midle = mp->schedlink;
		sched.nmidle--;
	}
	return mp;
}

// Give pp, which no M holds, to an M if there is work for it; to
// stopTheWorld if the world stops; else make it idle. Go's handoffp,
// without GC work and netpoll.
void
handoffp(struct p *pp)
{
	if (!runqempty(pp) || __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) > 0 ||
	    __atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0) {
		startm(pp, false);
		return;
	}
	spin_lock(&sched.lock);
	if (sched.gcwaiting) {
		__atomic_store_n(&pp->status, Pgcstop, __ATOMIC_RELEASE);
		if (--sched.stopwait == 0) {
			notewakeup(&sched.stopnote);
		}
		spin_unlock(&sched.lock);
		return;
	}
	pidleput(pp);
	spin_unlock(&sched.lock);
}
