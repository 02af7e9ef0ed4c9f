// sysmon.c: sysmon, the M without a P that watches the others: it
// preempts Gs that run too long and takes back Ps left in syscalls
// (retake), prints schedtrace; and checkdead, which finds that no
// goroutine can ever run again. See runtime.h for the overview.

#include <stdio.h>

#include "runtime/malloc.h"
#include "runtime/mgc.h"

// checkdead: every P idle, nothing runnable, no timer that could make
// something runnable, no G in a syscall: no goroutine can ever run again.
// Go counts Ms; hood counts Ps and looks at the Gs, since kernel threads
// of Ms parked on notes are not counted apart. Caller holds sched.lock.
void
checkdead(void)
{
	// Load-acquire of npidle; pairs with the seq_cst changes in pidleput
	// and pidleget, which run under sched.lock, as we do: exact here.
	if (atomic_load_acq(&sched.npidle) != (uint32_t)loadgomaxprocs() || sched.runqsize > 0) {
		return;
	}
	for (int32_t i = 0; i < loadgomaxprocs(); i++) {
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
		live += (s & ~Gscan) == Gwaiting && !gp->system;
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
//
// A P in Psyscall is also taken when its schedtick stood still for
// ForcePreemptNS, however its syscalltick moved (Go's sysretake, since Go
// 1.14): goroutines that block in the machine in turn hand the P to each
// other by exitsyscall's fast path, which runs no schedule, so nobody
// looks at the P's timers or the global queue while the syscalltick
// keeps moving (TestSleepNotStarvedByBlockingPingPong). Taken, the P goes
// through handoffp to an M that runs schedule.
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
	// Load-acquire; pairs with procresize's store-release of gomaxprocs,
	// after the new Ps in allp: we read allp[i] below it (the relaxed
	// loadgomaxprocs left TSan to see a race with a P's creation).
	int32_t procs = atomic_load_acq(&gomaxprocs);
	for (int32_t i = 0; i < procs; i++) {
		struct p *pp = allp[i];
		// Load-acquire; pairs with the store-release or seq_cst store of
		// the status by the P's holder (acquirep, entersyscall).
		uint32_t s = atomic_load_acq(&pp->status);
		if (s != Prunning && s != Psyscall) {
			continue;
		}
		bool sysretake = false;
		uint32_t t = atomic_load_relaxed(&pp->schedtick); // relaxed: compared between looks
		if (pdesc[i].schedtick != t) {
			pdesc[i].schedtick = t;
			pdesc[i].schedwhen = now;
		} else if (now - pdesc[i].schedwhen >= ForcePreemptNS) {
			// In a syscall there is no G to preempt (preemptone finds
			// no M): take the P instead, below.
			if (s == Prunning) {
				n += preemptone(pp);
			}
			pdesc[i].schedwhen = now;
			sysretake = true;
		}
		if (s != Psyscall) {
			continue;
		}
		// Relaxed: a counter compared between two looks.
		t = atomic_load_relaxed(&pp->syscalltick);
		if (!sysretake && pdesc[i].syscalltick != t) {
			pdesc[i].syscalltick = t;
			pdesc[i].syscallwhen = now;
			continue;
		}
		// Leave it while nothing waits for it (an idle or spinning M
		// would take the work, and an idle M sleeps until the first
		// timer of every P), but not past 10 ms; as Go, also when
		// sysretake. The load-acquires of nmspinning and npidle pair
		// with their seq_cst changes (schedule.c); a hint, as Go's.
		if (runqempty(pp) &&
		    atomic_load_acq(&sched.nmspinning) + atomic_load_acq(&sched.npidle) > 0 &&
		    now - pdesc[i].syscallwhen < 10 * 1000 * 1000) {
			continue;
		}
		// Acq_rel CAS: pairs with entersyscall's store and
		// exitsyscall's CAS; whoever wins has the P.
		if (atomic_cas_acqrel(&pp->status, s, Pidle)) {
			// Relaxed: only compared between two looks.
			atomic_store_relaxed(&pp->syscalltick, pp->syscalltick + 1);
			handoffp(pp);
			n++;
		}
	}
	return n;
}

// Is a timer of some P overdue at now? The backstop for a timer whose
// wakeup nobody holds: an M that parks sleeps until the earliest timer of
// any P (stopm(until), schedule.c), but startm may hand that M a P before
// the timer is due, and if the G it runs there never comes back to the
// scheduler (it cannot be preempted: acquirem, libc, the TSan build) no M
// wakes for the timer, whose own P is idle: a sleep woke 280 ms late
// instead of 20 ms (TestIdleTimerFiresWhileItsMRunsAHog). Go 1.14-1.15's
// sysmon did the same: `if next := timeSleepUntil(); next < now {
// startm(nil, false) }` ("perhaps because there is an unpreemptible P");
// newer Go keeps an M blocked in the netpoller until the earliest timer,
// which startm never takes (it is not on the idle list).
static bool
timersoverdue(int64_t now)
{
	// Load-acquire of gomaxprocs, as retake's: pairs with procresize's
	// store-release, after the new Ps in allp, which we read below it.
	int32_t procs = atomic_load_acq(&gomaxprocs);
	for (int32_t i = 0; i < procs; i++) {
		// Load-acquire; pairs with the store-release in setwhen0 (time.c).
		int64_t w = atomic_load_acq(&allp[i]->timer0when);
		if (w != 0 && w < now) {
			return true;
		}
	}
	return false;
}

// The scavengers' schedule, Go 1.11's: every ScavengePeriod, the Gs
// parked for ScavengeLimit give back their unused stack pages
// (shrinkstack), and the heap the free pages of chunks idle that long
// (mheap_scavenge). GODEBUG=scavenge=1 makes these 10 ms and 20 ms, as
// Go's, and prints Go's scvg lines when the heap gave something back.
enum {
	ScavengePeriod = 150LL * 1000 * 1000 * 1000, // 2.5 min: Go's scavengelimit / 2
	ScavengeLimit = 300LL * 1000 * 1000 * 1000,  // 5 min: Go's scavengelimit
	// Dead Gs unused this long (one to two periods) give back their
	// stacks (proc.c's gfreestacks), where Go's collector would.
	GfreeStackPeriod = 100LL * 1000 * 1000,
};

static int64_t
scavengeperiod(void)
{
	// Relaxed: a knob a test may turn at any time; either value is fine.
	return atomic_load_relaxed(&debug.scavenge) > 0 ? 10 * 1000 * 1000 : ScavengePeriod;
}

static void
scavenge(int64_t now)
{
	bool verbose = atomic_load_relaxed(&debug.scavenge) > 0; // relaxed: as in scavengeperiod
	int64_t limit = verbose ? 20 * 1000 * 1000 : ScavengeLimit;
	uint64_t given = mheap_scavenge(&mheap_, now, limit);
	if (verbose && given > 0) {
		scvgtrace(given);
	}
	shrinkstacks(now - limit);
}

// sysmon: an M without a P. Sleeps 20 us, doubling after 1 ms of finding
// nothing to do, up to 10 ms; while every P is idle, sleeps until woken
// or until the stack scavenger or a forced collection is due (Go's
// sysmon readies its forcegc helper; here the collector's worker).
void
sysmon(void)
{
	struct note tick = {0};
	int64_t delay = 0;
	int idle = 0;
	int64_t lasttrace = nanotime();
	int64_t lastscavenge = lasttrace, lastgfree = lasttrace;
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
		// Load-acquires of gcwaiting and npidle; pair with the seq_cst
		// stores of stopTheWorld and the seq_cst changes in pidleput and
		// pidleget. Hints: checked again under sched.lock.
		if (debug.schedtrace <= 0 && (atomic_load_acq(&sched.gcwaiting) ||
					      atomic_load_acq(&sched.npidle) == (uint32_t)loadgomaxprocs())) {
			spin_lock(&sched.lock);
			if (sched.gcwaiting || sched.npidle == (uint32_t)loadgomaxprocs()) {
				// Nothing to watch: sleep until a P runs (acquirep and
				// startTheWorld wake us), or the scavenger or a forced
				// cycle is due.
				// Relaxed stores under sched.lock: acquirep's peek is
				// re-checked under the lock.
				atomic_store_relaxed(&sched.sysmonwait, true);
				spin_unlock(&sched.lock);
				int64_t wait = lastscavenge + scavengeperiod() - now;
				if (gcforcedue() - now < wait) {
					wait = gcforcedue() - now;
				}
				notetsleep(&sched.sysmonnote, wait > 0 ? wait : 0);
				spin_lock(&sched.lock);
				atomic_store_relaxed(&sched.sysmonwait, false);
				noteclear(&sched.sysmonnote);
				spin_unlock(&sched.lock);
				idle = 0;
				now = nanotime();
			} else {
				spin_unlock(&sched.lock);
			}
		}
		idle = retake(now) > 0 ? 0 : idle + 1;
		// Overdue timers: an M on an idle P runs them (findrunnable's
		// runalltimers). Without an idle P every P has an M, and these
		// run their own timers; startm then does nothing.
		if (timersoverdue(now)) {
			startm(NULL, false);
		}
		if (now - lastgfree >= GfreeStackPeriod) {
			lastgfree = now;
			gfreestacks();
		}
		if (now - lastscavenge >= scavengeperiod()) {
			lastscavenge = now;
			scavenge(now);
		}
		gcforce(now);
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
	// Relaxed loads of npidle and nmspinning: a trace, not a decision.
	int n = snprintf(line, sizeof line,
			 "SCHED %ldms: gomaxprocs=%d idleprocs=%u threads=%d spinningthreads=%u "
			 "idlethreads=%d runqueue=%d [",
			 now / 1000000, loadgomaxprocs(), atomic_load_relaxed(&sched.npidle), mcount,
			 atomic_load_relaxed(&sched.nmspinning), sched.nmidle, sched.runqsize);
	for (int32_t i = 0; i < loadgomaxprocs() && n < (int)sizeof line - 16; i++) {
		n += snprintf(line + n, sizeof line - n, i == 0 ? "%u" : " %u", runqlen(allp[i]));
	}
	os_print("%s]\n", line);
	if (!detailed) {
		return;
	}
	for (int32_t i = 0; i < loadgomaxprocs(); i++) {
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
