// idletimer_test.c: a sleeping goroutine's timer fires on time while the M
// that slept for it (stopm(until), runtime/schedule.c) is handed a P and
// runs a goroutine that never calls the scheduler, so that no M is left
// to wake at the deadline (issue 10 item 12, "an idle timer's M handed
// another P loses the timer wakeup").

#include <stdint.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

struct idleround {
	struct g *sleeper; // Atomic, release/acquire: set by the sleeper
	bool asleep;       // Atomic, release/acquire: the sleeper is about to sleep
	int64_t late;      // ns; written before sdone's wakeup, read after
	bool stop;         // Atomic, relaxed: main says the hog stops
	struct note sdone; // the sleeper woke
	struct note hdone; // the hog ended
};

enum {
	IdleSleep = 20 * Millisecond,
	IdleHog = 1500 * Millisecond, // the hog's own bound; main stops it sooner
	// A wakeup that waits for the hog to end is about IdleHog late; one
	// that does not is late only by the time the machine takes to run the
	// sleeper's M, which on a loaded host (QEMU's vCPU threads behind other
	// work, make test's parallel boots on 2 cores) was seen at 135 ms and
	// once at 781.
	IdleLate = IdleHog / 4 * 3,
};

static void
idlesleeper(void *arg)
{
	struct idleround *r = arg;
	// Store-releases; pair with main's load-acquires: main sees the G.
	atomic_store_rel(&r->sleeper, getg());
	atomic_store_rel(&r->asleep, true);
	int64_t t0 = time_nanotime();
	time_sleep(IdleSleep);
	r->late = time_nanotime() - t0 - IdleSleep;
	notewakeup(&r->sdone);
}

// CPU-bound, no call into the scheduler, and not preemptible (acquirem:
// sysmon's preemption leaves it alone, as it leaves a goroutine in libc
// code, or any in the TSan build, where os_asyncpreempt is false), so its
// M never comes back to the scheduler while it runs. Without acquirem
// the hosted port fails the same way: the loop is mostly in the vDSO's
// clock_gettime, where the preemption signal does not stop a goroutine.
static void
idlehog(void *arg)
{
	struct idleround *r = arg;
	int64_t end = time_nanotime() + IdleHog;
	struct m *mp = acquirem();
	// Relaxed: a flag polled in the loop; nothing else is published by it.
	while (!atomic_load_relaxed(&r->stop) && time_nanotime() < end) {
	}
	releasem(mp);
	notewakeup(&r->hdone);
}

// GOMAXPROCS=2. A goroutine sleeps 20 ms: its P goes idle and the M that
// ran it parks until the timer (stopm(until)), the last M to park, so the
// first one startm takes. main then starts a hog and blocks in the machine
// (a note wait): wakep (or sysmon's retake of main's P, through handoffp)
// hands that M a P, and it runs the hog, which never comes back to
// findrunnable (runalltimers) while nothing preempts it. The sleeper must
// wake in every round before 3/4 of the hog's bound, before the hog
// would end by itself. Go's sysmon in 1.14-1.15 (and
// its netpoller since) keeps an M on the earliest timer for this case.
// No collection meanwhile: its worker would take the idle P (a mark under
// TCG can last longer than the hog), which is then busy, not idle, and
// nothing runs the timer of a P whose hog cannot be preempted, in Go
// either (CI saw 1.5 s late, the hog's bound, with a cycle running).
TEST(TestIdleTimerFiresWhileItsMRunsAHog)
{
	int gcpercent = runtime_setgcpercent(-1);
	runtime_gc(); // a cycle asked for by an earlier test, over before the rounds
	int old = runtime_gomaxprocs(2);
	int rounds = testing_short ? 6 : 20, away = 0;
	int64_t worst = 0;
	for (int i = 0; i < rounds; i++) {
		struct idleround r = {.late = -1};
		time_sleep(2 * Millisecond); // the other Ms park
		go(idlesleeper, &r);
		// Wait for the sleeper to park, without parking ourselves (our P
		// stays busy, so a spinner takes the sleeper to the other P);
		// after 5 ms yield, in case nobody else can run it.
		int64_t t0 = time_nanotime();
		struct g *sg;
		// Load-acquires; pair with the sleeper's store-releases.
		while (!atomic_load_acq(&r.asleep) || (sg = atomic_load_acq(&r.sleeper)) == NULL ||
		       readgstatus(sg) != Gwaiting) {
			if (time_nanotime() - t0 > 5 * Millisecond) {
				runtime_gosched();
			}
		}
		int64_t t1 = time_nanotime();
		while (time_nanotime() - t1 < 300 * 1000) { // 300 us: its M parks
		}
		// Was the timer on a P other than ours (the case under test)?
		struct m *mp = acquirem();
		for (int32_t k = 0; k < loadgomaxprocs(); k++) {
			// Load-acquire; pairs with the store-release in setwhen0.
			if (allp[k] != mp->p && atomic_load_acq(&allp[k]->timer0when) != 0) {
				away++;
			}
		}
		releasem(mp);
		go(idlehog, &r);
		notetsleep(&r.sdone, 2LL * IdleHog); // in the machine: our P goes Psyscall
		atomic_store_relaxed(&r.stop, true); // relaxed: polled by the hog
		notesleep(&r.sdone);
		notesleep(&r.hdone);
		if (r.late > worst) {
			worst = r.late;
		}
		if (r.late > IdleLate) {
			t_errorf(t, "round %d: a 20 ms sleep woke %ld ms late while a hog ran", i,
				 (long)(r.late / Millisecond));
		}
	}
	t_logf(t, "%d rounds, %d with the timer on the other P; worst %ld us late", rounds, away,
	       (long)(worst / 1000));
	runtime_gomaxprocs(old);
	runtime_setgcpercent(gcpercent);
}
