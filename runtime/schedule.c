// schedule.c: the scheduling loop: how an M finds a G to run
// (schedule, findrunnable), and parks when there is none (stopm); how Ms
// are started (startm, wakep, newm) and Ps handed between them (acquirep,
// releasep, handoffp). See runtime.h for the overview; Go's
// runtime/proc.go has the same functions.
//
// Spinning Ms: parking and waking (Go's "Worker thread parking/unparking"
// in proc.go, for hood's code).
//
// The scheduler must keep enough Ms running to use every P that has work,
// and park the others, so that an idle machine takes no CPU. Neither is
// simple: the work is spread over the Ps' own run queues, which nobody
// can read all at once on a fast path, and whether to park depends on Gs
// not yet readied. Go rejected three easier designs: one central queue
// (it does not scale); handing a readied G straight to a new M (threads
// thrash, and Gs that feed each other lose their M); waking an M at every
// ready when a P is idle (it finds nothing and parks again at once).
//
// A spinning M holds a P, found nothing in its own queue or the global
// one, and looks in the other Ps' queues (stealWork) before it parks:
// mp->spinning, counted in sched.nmspinning. An M that wakep starts is
// spinning from birth: it is handed a P, not a G.
//
//	wakep          a readier (ready and newproc in proc.c, startTheWorld)
//	               wakes an M only if a P is idle (npidle > 0) and no M
//	               spins (CAS of nmspinning from 0 to 1): a spinner
//	               already looking will find the new G.
//	the cap        findrunnable lets an M start spinning only while
//	               2 * nmspinning < gomaxprocs - npidle, at most one thief
//	               for every two busy Ps: idle Ps have nothing to steal,
//	               and many thieves only fight over the same few Gs.
//	resetspinning  a spinner that found work (schedule) stops spinning;
//	               if it was the last one and a P is idle, it calls wakep,
//	               so that one M still looks for work that came behind its
//	               own. Wakeups stay few (one spinner at a time), and still
//	               every P with work is used in the end.
//	the re-check   a spinner that found nothing (findrunnable) gives its
//	               P back (pidleput), decrements nmspinning, and only then
//	               looks at every P's queue and the global queue once more;
//	               if there is work it takes an idle P back and spins
//	               again, else it parks (stopm).
//
// The delicate moment is a spinner leaving the spinning state while a
// readier submits work, each deciding by what the other writes:
//
//	readier (ready, newproc -> wakep)   spinner dropping out (findrunnable)
//	  runqput: store-release runqtail     pidleput: npidle + 1
//	  wakep: CAS nmspinning 0 -> 1        nmspinning - 1
//	                                      runqempty(each P), sched.runqsize
//
// That is Dekker's pattern, a store and then a load of the other side's
// variable. If the readier's CAS fails because nmspinning is not yet 0,
// the spinner's re-check must see the G; if the re-check sees nothing,
// the readier's CAS must see the 0 and wake an M. It is enough that one
// of them does. Both miss only if each load is served before the other
// side's store is visible, which release and acquire allow (x86-64 lets
// a load pass an earlier store still in the store buffer). A sequentially
// consistent read-modify-write forbids it: on x86-64 it is one
// LOCK-prefixed instruction, which drains the store buffer before it
// reads. So every change of nmspinning (findrunnable, resetspinning,
// startm, wakep's CAS, gcstopm in stw.c) and of npidle (pidleput,
// pidleget) is seq_cst. The same order makes resetspinning right: its
// decrement reads the others' decrements, so when it sees itself last it
// also sees the npidle increments the others made before theirs.
//
// Like Go's, the rule has a hole that costs time, never a G: wakep first
// loads npidle, and a readier that reads 0 does not wake anyone. That load
// may be served before its own runqput is visible, so a spinner dropping
// out just then can miss the G too. The G is on the queue of a running P
// (the readier's), which runs it in its turn; only a P stays idle a while.
// The other loads are hints as well: the cap's reads of nmspinning and
// npidle (a race lets one M too many or too few spin), and sched.runqsize
// outside sched.lock (read again under the lock).

#include <string.h>

#include "runtime/runtime.h"

static struct g *stealWork(struct p *pp, bool *inheritTime);
static struct p *checkRunqsNoP(int32_t procs);
static struct g *findrunnable(bool *inheritTime);
static void resetspinning(void);
static void mstart_thread(void *arg);

// mstart: the start of every M, on its kernel thread, which becomes its g0.
void
mstart(struct m *mp)
{
	os_setm(mp);
	if (mp != &m0) {
		if (mp->g0 == NULL) {
			mp->g0 = persistentalloc(sizeof *mp->g0, 16);
		} else {
			memset(mp->g0, 0, sizeof *mp->g0); // a reused M's (mreuse)
		}
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
	// Load-acquire; pairs with the seq_cst store in stopTheWorldWithSema
	// (stw.c): the world stops, so give the P up (gcstopm, which counts
	// stopwait under sched.lock).
	if (atomic_load_acq(&sched.gcwaiting)) {
		gcstopm();
		goto top;
	}
	struct p *pp = mp->p;
	bool inheritTime = false;
	struct g *gp = NULL;

	// Load-acquire; pairs with the store-release in time.c's setwhen0.
	// Only a hint whether to take timerslock: checktimers reads the heap
	// under it.
	if (atomic_load_acq(&pp->timer0when) != 0) {
		checktimers(pp, nanotime());
	}
	// Every 61st tick look at the global queue first, so two Gs that
	// keep readying each other cannot starve it. The relaxed peek at
	// runqsize is re-checked under sched.lock (globrunqget).
	if (pp->schedtick % GlobalRunqPeriod == 0 && atomic_load_relaxed(&sched.runqsize) > 0) {
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
	// Relaxed: preemptone peeks at curg without ordering; Ms and Gs are
	// never freed, and a request that reaches the wrong G is cleared
	// below or at its next execute.
	atomic_store_relaxed(&mp->curg, gp);
	gp->m = mp;
	casgstatus(gp, Grunnable, Grunning);
	atomic_store_relaxed(&gp->preempt, false); // relaxed: drop a stale request, the G starts a slice
	if (!inheritTime) {
		// Relaxed: only the P's owner writes it; sysmon reads it (retake).
		atomic_store_relaxed(&mp->p->schedtick, mp->p->schedtick + 1);
	}
	// From here until gogo has switched stacks, a preemption would see
	// gp as running and save g0's context as gp's: interrupts off, and
	// gogo restores gp's own flags.
	os_libcstate_load(gp->libc); // the G's errno back in the thread (os.h)
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
		// Load-acquire; pairs with the store-release in setwhen0.
		int64_t w = atomic_load_acq(&allp[i]->timer0when);
		if (w != 0 && w <= (now != 0 ? now : (now = nanotime()))) {
			checktimers(allp[i], now);
		}
	}
}

// stealWork: steal a G from another P's run queue into pp's, as a
// spinning M does: StealTries rounds over every other P, each round from
// a random start, taking half of a victim's ring. Only in the last round
// is a victim's runnext taken (runqsteal's stealRunNextG): that G is its
// own next, about to run, and runqgrab gives a running victim 3 us to run
// it before taking it. A stolen G starts a time slice of its own
// (*inheritTime = false). NULL if every round found nothing. Go's
// stealWork (Go 1.16), which also steals timers and reports GC work: hood
// runs every P's due timers before (runalltimers) and has no GC yet.
//
// gomaxprocs cannot change meanwhile: procresize stops the world, and
// that waits for the P we hold.
static struct g *
stealWork(struct p *pp, bool *inheritTime)
{
	int32_t procs = loadgomaxprocs();
	for (int i = 0; i < StealTries; i++) {
		bool stealRunNextG = i == StealTries - 1;
		uint32_t start = fastrandn(procs);
		for (int32_t j = 0; j < procs; j++) {
			struct p *p2 = allp[(start + j) % procs];
			if (p2 == pp) {
				continue;
			}
			struct g *gp = runqsteal(pp, p2, stealRunNextG);
			if (gp != NULL) {
				*inheritTime = false;
				return gp;
			}
		}
	}
	return NULL;
}

// After the last spinner dropped out: is there work in any P's run queue
// or the global one? Then take an idle P back to run it (NULL if there is
// no work, or no idle P left). Go's checkRunqsNoP.
static struct p *
checkRunqsNoP(int32_t procs)
{
	for (int32_t i = 0; i < procs; i++) {
		// runqempty's load-acquires pair with runqput's store-release of
		// runqtail; the one of runqsize with nothing (it is stored
		// relaxed under sched.lock): only a hint, and pidleget takes the
		// lock.
		if (!runqempty(allp[i]) || atomic_load_acq(&sched.runqsize) > 0) {
			spin_lock(&sched.lock);
			struct p *pp = pidleget();
			spin_unlock(&sched.lock);
			return pp;
		}
	}
	return NULL;
}

// findrunnable: a G to run, from anywhere; blocks (the M parks, its P
// idle) until there is one. Go's findrunnable, without GC and netpoll.
// In order: stop for the world; run due timers; the local queue; the
// global queue; spin and steal (stealWork); give up the P; stop spinning
// and look once more (checkRunqsNoP); park (stopm). A little over 80
// lines, of which a third are the comments on its atomics: the steps stay
// in one function, in Go's order, to be read beside Go's findRunnable.
static struct g *
findrunnable(bool *inheritTime)
{
	struct m *mp = getm();
	struct g *gp;
top:;
	// Load-acquire; pairs with the seq_cst store in stopTheWorldWithSema,
	// as in schedule.
	if (atomic_load_acq(&sched.gcwaiting)) {
		gcstopm();
		goto top;
	}
	struct p *pp = mp->p;
	runalltimers();

	if ((gp = runqget(pp, inheritTime)) != NULL) {
		return gp;
	}
	// A relaxed peek, re-checked under sched.lock by globrunqget.
	if (atomic_load_relaxed(&sched.runqsize) > 0) {
		spin_lock(&sched.lock);
		gp = globrunqget(pp, 0);
		spin_unlock(&sched.lock);
		if (gp != NULL) {
			*inheritTime = false;
			return gp;
		}
	}

	// The cap is computed signed, as Go's (its counters are int32): in
	// uint32 a count of idle Ps above procs would wrap procs - npidle to
	// 4 billion and let every M spin. It cannot be above: we hold a P,
	// so npidle <= procs - 1, and procs does not change while we hold it
	// (TestIdlePsFewerThanProcs); signed, the cap needs no such argument.
	//
	// Spin and steal, unless half the busy Ps have a spinner already (the
	// cap of "Spinning Ms"): hints, acquires that pair with the seq_cst
	// changes of npidle and nmspinning.
	int32_t procs = loadgomaxprocs();
	int32_t npidle = (int32_t)atomic_load_acq(&sched.npidle);
	if (mp->spinning || 2 * (int32_t)atomic_load_acq(&sched.nmspinning) < procs - npidle) {
		if (!mp->spinning) {
			mp->spinning = true;
			// Seq_cst: counted before we look, so a readier's wakep
			// sees a spinner that will find its G; pairs with wakep's
			// CAS (see "Spinning Ms" above).
			atomic_xadd(&sched.nmspinning, 1);
		}
		if ((gp = stealWork(pp, inheritTime)) != NULL) {
			return gp;
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
	// nmspinning dropped would otherwise wait (Go's "delicate dance"; the
	// re-check of "Spinning Ms" above). Seq_cst decrement, then the loads
	// of every queue (checkRunqsNoP): the spinner's half of the Dekker
	// pair, and pairs with the readier's half: runqput's store-release of
	// runqtail, then wakep's CAS.
	if (mp->spinning) {
		mp->spinning = false;
		atomic_xadd(&sched.nmspinning, -1);
		if ((pp = checkRunqsNoP(procs)) != NULL) {
			acquirep(pp);
			mp->spinning = true;
			// Seq_cst: spinning again, counted before we look; pairs
			// with wakep's CAS, as above.
			atomic_xadd(&sched.nmspinning, 1);
			goto top;
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
				// Seq_cst: undo wakep's CAS; the M it counted will
				// not exist. Pairs with the next wakep's CAS.
				atomic_xadd(&sched.nmspinning, -1);
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
	// Load-acquire of npidle; pairs with the seq_cst changes in pidleput
	// and pidleget. A hint: seeing 0, the caller's own P runs the new G
	// (the hole described in "Spinning Ms" above).
	if (atomic_load_acq(&sched.npidle) == 0) {
		return;
	}
	// CAS seq_cst: the readier's half of the Dekker pair (its store came
	// before, in runqput); pairs with the seq_cst decrement in
	// findrunnable's re-check and in resetspinning. Failing, a spinner
	// exists and will see the G.
	if (!atomic_cas(&sched.nmspinning, 0, 1)) {
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
	// Seq_cst decrement, then a load-acquire of npidle: the decrement
	// reads the other spinners' decrements (findrunnable), so if we are
	// the last, we also see the pidleput increments they made before
	// theirs. Pairs with those, and with wakep's CAS.
	if (atomic_xadd(&sched.nmspinning, -1) == 0 && atomic_load_acq(&sched.npidle) > 0) {
		wakep();
	}
}

// An M from sched.freem whose thread has ended, made as new, or NULL.
// It keeps its place in allm and its g0 record (mstart sets that up
// again); its id is a new one, as Go's allocm gives. Go frees the M's g0
// stack here and lets the collector take the M; hood's g0 stack is the
// thread's, gone with it, and its Ms are not collected, so it reuses them:
// a program that ends locked goroutines over and over would otherwise
// leave an M record (and its g0) behind for each.
static struct m *
mreuse(void)
{
	spin_lock(&sched.lock);
	struct m **link = &sched.freem;
	struct m *mp;
	// Load-acquire; pairs with the store-release in os_exitthread: the
	// ended thread is done with the M.
	while ((mp = *link) != NULL && atomic_load_acq(&mp->freewait) != 0) {
		link = &mp->schedlink;
	}
	if (mp == NULL) {
		spin_unlock(&sched.lock);
		return NULL;
	}
	*link = mp->schedlink;
	// Made as new under the lock: allm's walkers (sysmon's schedtrace,
	// tests) take it to read an M that may be reused.
	struct m *alllink = mp->alllink;
	struct g *g0 = mp->g0;
	memset(mp, 0, sizeof *mp);
	mp->alllink = alllink;
	mp->g0 = g0;
	mseed(mp);
	spin_unlock(&sched.lock);
	return mp;
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
	struct m *mp = mreuse();
	if (mp == NULL) {
		mp = persistentalloc(sizeof *mp, 16);
		mcommoninit(mp);
	}
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
	// Load-acquire; pairs with the store-release of Pidle by the P's last
	// holder (releasep, procresize): we see the P as it left it.
	if (mp->p != NULL || pp->m != NULL || atomic_load_acq(&pp->status) != Pidle) {
		fatalf("acquirep: p %d is not idle, or m %ld holds one", pp->id, mp->id);
	}
	mp->p = pp;
	atomic_store_relaxed(&pp->m, mp); // relaxed: sysmon peeks (preemptone)
	// Store-release; pairs with the load-acquires of the status in
	// sysmon's retake, preemptall and runqgrab.
	atomic_store_rel(&pp->status, Prunning);
	// sysmon sleeps while every P is idle; wake it now one runs. The
	// load-acquire pairs with nothing (sysmonwait is stored relaxed under
	// sched.lock): a hint, checked again under the lock.
	if (atomic_load_acq(&sched.sysmonwait)) {
		spin_lock(&sched.lock);
		if (sched.sysmonwait) {
			atomic_store_relaxed(&sched.sysmonwait, false); // under the lock, which publishes it
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
	// Load-acquire; pairs with our own store-release in acquirep (or an
	// exitsyscall CAS): only a check.
	if (pp == NULL || pp->m != mp || atomic_load_acq(&pp->status) != Prunning) {
		throw("releasep: invalid p state");
	}
	mp->p = NULL;
	atomic_store_relaxed(&pp->m, NULL); // relaxed: sysmon peeks (preemptone)
	// Store-release: everything this M did to the P is visible to its
	// next holder; pairs with the load-acquire in acquirep.
	atomic_store_rel(&pp->status, Pidle);
	return pp;
}

// Caller holds sched.lock (for the four below).
void
pidleput(struct p *pp)
{
	pp->link = sched.pidle;
	sched.pidle = pp;
	// Seq_cst, before a dropping spinner's decrement of nmspinning:
	// pairs with the load-acquires in wakep and resetspinning (see
	// "Spinning Ms" above).
	atomic_xadd(&sched.npidle, 1);
}

struct p *
pidleget(void)
{
	struct p *pp = sched.pidle;
	if (pp != NULL) {
		sched.pidle = pp->link;
		// Seq_cst; pairs with the load-acquires in wakep and
		// resetspinning, as pidleput's.
		atomic_xadd(&sched.npidle, -1);
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
//
// The global queue is looked at again under sched.lock, as Go does: a G
// whose syscall ends while pp is on its way here (retake took it from
// Psyscall, so exitsyscall's CAS fails) finds pp neither in Psyscall nor
// in the idle list, and exitsyscall0 queues it globally and wakes nobody.
// Made idle after that, pp would leave the G queued with no M to run it,
// for good if nothing else runs (TestBlockingWaitsLoseNoGoroutine).
// Under the lock, either exitsyscall0 queued the G first and we see it, or
// we put pp in the idle list first and its pidleget takes pp.
void
handoffp(struct p *pp)
{
	// Load-acquires: runqsize's pairs with nothing (stored relaxed under
	// sched.lock; a hint, checked again below), timer0when's with the
	// store-release in setwhen0. A P with work, or a timer, gets an M.
	if (!runqempty(pp) || atomic_load_acq(&sched.runqsize) > 0 || atomic_load_acq(&pp->timer0when) != 0) {
		startm(pp, false);
		return;
	}
	spin_lock(&sched.lock);
	if (!sched.gcwaiting && sched.runqsize > 0) {
		spin_unlock(&sched.lock);
		startm(pp, false);
		return;
	}
	if (sched.gcwaiting) {
		// Store-release; pairs with the load-acquires of the status in
		// stopTheWorldWithSema's final check.
		atomic_store_rel(&pp->status, Pgcstop);
		if (--sched.stopwait == 0) {
			notewakeup(&sched.stopnote);
		}
		spin_unlock(&sched.lock);
		return;
	}
	pidleput(pp);
	spin_unlock(&sched.lock);
}
