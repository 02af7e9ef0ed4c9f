// stw.c: stopping the world (Go's stopTheWorld and startTheWorld): every
// P stopped but the caller's, for the few things that need all Gs to hold
// still: changing GOMAXPROCS (procresize), a goroutine dump, and, later,
// the garbage collector. See runtime.h for the overview.

#include "runtime/malloc.h"

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
		// Load-acquire; pairs with acquirep's store-release of Prunning.
		if (atomic_load_acq(&allp[i]->status) == Prunning) {
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
	struct m *mp = atomic_load_relaxed(&pp->m);
	struct g *gp = mp != NULL ? atomic_load_relaxed(&mp->curg) : NULL;
	if (gp == NULL || mp == getm()) {
		return false;
	}
	// Store-release; pairs with the load-acquires of preempt in
	// preempthook and releasem (proc.c), which take the request.
	atomic_store_rel(&gp->preempt, true);
	return os_preemptm(mp);
}

static void
stopTheWorldWithSema(void *arg)
{
	(void)arg;
	struct m *mp = getm();
	spin_lock(&sched.lock);
	sched.stopwait = gomaxprocs;
	// Seq_cst store, then the seq_cst CASes of each Psyscall below: the
	// stopper's half of a Dekker pair with entersyscall's seq_cst store of
	// Psyscall then load of gcwaiting (syscall.c): either we take its P
	// here or it gives the P up itself. Also read with acquire by
	// schedule, findrunnable and sysmon.
	atomic_store(&sched.gcwaiting, true);
	preemptall();
	// Store-release, ours: this M goes on, alone. Pairs with the
	// load-acquires of the final check below and of sysmon.
	atomic_store_rel(&mp->p->status, Pgcstop);
	sched.stopwait--;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		// CAS seq_cst; pairs with entersyscall's seq_cst store of
		// Psyscall, and races exitsyscall's CAS (Psyscall to Prunning)
		// and sysmon's retake (to Pidle): one of them wins the P.
		if (atomic_cas(&pp->status, Psyscall, Pgcstop)) {
			// Relaxed: sysmon compares it between two looks.
			atomic_store_relaxed(&pp->syscalltick, pp->syscalltick + 1);
			sched.stopwait--;
		}
	}
	struct p *pp;
	while ((pp = pidleget()) != NULL) {
		// Store-release; pairs with the load-acquires of the final check.
		atomic_store_rel(&pp->status, Pgcstop);
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
		// Load-acquire; pairs with the store-release of Pgcstop by the
		// P's last holder (gcstopm, handoffp) or the CAS in entersyscall:
		// what it did with the P is visible to the world's owner.
		if (atomic_load_acq(&allp[i]->status) != Pgcstop) {
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
	// Seq_cst, as the store in stopTheWorldWithSema; pairs with the
	// load-acquires in schedule, findrunnable and sysmon, and with
	// entersyscall's seq_cst load. The Ps are not yet running: that is
	// published by acquirep's store-release of each status.
	atomic_store(&sched.gcwaiting, false);
	if (sched.sysmonwait) {
		atomic_store_relaxed(&sched.sysmonwait, false); // relaxed: under sched.lock
		notewakeup(&sched.sysmonnote);
	}
	spin_unlock(&sched.lock);
	while (runnable != NULL) {
		struct p *pp = runnable;
		runnable = pp->link;
		struct m *mp = pp->m;
		atomic_store_relaxed(&pp->m, NULL); // relaxed: sysmon peeks; acquirep sets it again
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
		// Seq_cst, as every change of nmspinning: pairs with wakep's
		// CAS and resetspinning's decrement ("Spinning Ms", schedule.c).
		atomic_xadd(&sched.nmspinning, -1);
	}
	struct p *pp = releasep();
	spin_lock(&sched.lock);
	// Store-release; pairs with the load-acquires of stopTheWorldWithSema's
	// final check.
	atomic_store_rel(&pp->status, Pgcstop);
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
	// Load-acquire; pairs with procresize's store-release. (Callers are
	// serialised only by worldsema, below: two may read the same old.)
	int32_t old = atomic_load_acq(&gomaxprocs);
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
			// Release, though nothing pairs with it: nobody sees pp
			// yet; it is published with gomaxprocs below.
			atomic_store_rel(&pp->status, Pdead);
			spin_init(&pp->timerslock, "timers", LOCK_TIMERS);
			allp[i] = pp;
		}
		if (allp[i]->mcache == NULL) {
			allp[i]->mcache = allocmcache(); // Go's p.init
		}
		// Store-release, the world stopped; pairs with the load-acquires
		// of the status by sysmon and stopTheWorldWithSema.
		atomic_store_rel(&allp[i]->status, Pgcstop);
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
		gfpurge(pp, 0); // its dead Gs to the global list
		spin_lock(&sched.lock);
		while (n > 0) {
			globrunqputhead(batch[--n]);
		}
		atomic_store_rel(&pp->status, Pdead); // release; pairs with sysmon's load-acquire
		spin_unlock(&sched.lock);
		movetimers(keep, pp);
		mcache_releaseall(pp->mcache); // its spans to the mcentrals, as Go's freemcache
	}
	// Store-release: a reader that sees the new count sees the new allp
	// entries; pairs with the load-acquire in gomaxprocs_set (and meets
	// loadgomaxprocs's relaxed load: see runtime.h).
	atomic_store_rel(&gomaxprocs, nprocs);

	if (mp->p == keep) {
		atomic_store_rel(&keep->status, Prunning); // release; pairs with sysmon's load-acquire
	} else {
		if (mp->p != NULL) {
			atomic_store_relaxed(&mp->p->m, NULL); // relaxed: sysmon peeks
			mp->p = NULL;
		}
		// Store-release; pairs with the load-acquire in acquirep.
		atomic_store_rel(&keep->status, Pidle);
		acquirep(keep);
	}
	struct p *runnable = NULL;
	spin_lock(&sched.lock);
	for (int32_t i = nprocs - 1; i >= 0; i--) {
		struct p *pp = allp[i];
		if (pp == keep) {
			continue;
		}
		// Store-release; pairs with the load-acquire in acquirep, by the M
		// that startTheWorld or a wakep gives the P to.
		atomic_store_rel(&pp->status, Pidle);
		if (runqempty(pp)) {
			pidleput(pp);
		} else {
			// Relaxed: only a note for startTheWorld (the M to wake),
			// which reads it after sched.lock; sysmon may peek.
			atomic_store_relaxed(&pp->m, mget());
			pp->link = runnable;
			runnable = pp;
		}
	}
	spin_unlock(&sched.lock);
	return runnable;
}
