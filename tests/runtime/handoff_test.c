// handoff_test.c: a P passed between goroutines that block in the machine
// (runtime/schedule.c's handoffp, sysmon.c's retake, syscall.c's
// exitsyscall): no goroutine is lost when sysmon takes the P while one comes
// back from its wait, and the P's timers still fire while two goroutines
// hand it to each other through exitsyscall's fast path. At GOMAXPROCS=1,
// with no timer anywhere in the first test, where nothing else would wake
// an M for a goroutine left in the global queue.

#include <stdlib.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// ---- a goroutine lost between retake and exitsyscall ------------------------

// A worker sleeps in the machine (notetsleep on a note nobody wakes) for
// a few microseconds at a time, each round a different length, so that
// its return keeps meeting sysmon's retake of the P it left in Psyscall:
// the retake hands the P to handoffp, which must not make it idle while
// the worker, finding it neither in Psyscall nor in the idle list, queues
// itself on the global queue.
struct napper {
	struct note never;   // never woken: every sleep times out
	long rounds;         // Atomic, relaxed: rounds done, for main's watch
	bool stop;           // Atomic, relaxed: main says stop
	struct note done;    // woken when the worker ends
	uint32_t seed;
};

static void
napper(void *arg)
{
	struct napper *n = arg;
	// Relaxed: a flag polled each round; nothing else is published by it.
	while (!atomic_load_relaxed(&n->stop)) {
		n->seed = n->seed * 1103515245 + 12345;
		notetsleep(&n->never, (n->seed >> 16) % 150 * 1000); // 0..149 us
		atomic_store_relaxed(&n->rounds, n->rounds + 1);
	}
	notewakeup(&n->done);
}

// Two nappers and main, all three waiting in the machine in turn, at
// GOMAXPROCS=1, for 2 s (1 s short). main wakes every 250 ms (a timed note
// wait too: a runtime timer would make handoffp start an M and hide the
// loss) and checks that each napper made progress meanwhile: a napper
// queued on the global queue while the only P went idle runs again only
// when main blocks again, so it stands still for a whole window. Before
// handoffp looked at the global queue under sched.lock, this lost a
// napper within seconds on the hosted port (or hung for good, main lost
// too: the runner's timeout).
TEST(TestBlockingWaitsLoseNoGoroutine)
{
	int old = runtime_gomaxprocs(1);
	enum { N = 8 };
	struct napper *w = calloc(N, sizeof *w);
	for (int i = 0; i < N; i++) {
		w[i].seed = 7 + i;
		go(napper, &w[i]);
	}
	struct note tick = {0};
	long last[N] = {0};
	int64_t end = time_nanotime() + (testing_short ? 1 : 2) * Second;
	int stalls = 0;
	while (time_nanotime() < end) {
		notetsleep(&tick, 250 * Millisecond);
		for (int i = 0; i < N; i++) {
			long r = atomic_load_relaxed(&w[i].rounds); // relaxed: a counter
			if (r == last[i]) {
				stalls++;
				t_errorf(t, "napper %d made no progress in 250 ms (%ld rounds): lost", i, r);
			}
			last[i] = r;
		}
	}
	for (int i = 0; i < N; i++) {
		atomic_store_relaxed(&w[i].stop, true); // relaxed: polled
	}
	for (int i = 0; i < N; i++) {
		if (!notetsleep(&w[i].done, 5 * Second)) {
			t_fatalf(t, "napper %d never ended", i); // leaks w: the napper may still use it
		}
	}
	t_logf(t, "%ld rounds of napper 0, %d stalls", last[0], stalls);
	free(w);
	runtime_gomaxprocs(old);
}

// ---- timers behind a P handed over by exitsyscall's fast path ----------------

// Two goroutines wake each other through notes, forever in turn: each
// wakes the other, then sleeps. At GOMAXPROCS=1 the one waking finds the
// P in Psyscall (its partner just blocked) and takes it back by
// exitsyscall's fast path: the P runs no schedule, so nobody looks at its
// timers, unless sysmon takes it away (Go's retake, forcePreemptNS).
struct pingpong {
	struct note ping, pong;
	bool stop;          // Atomic, relaxed: main asks the pair to stop
	bool quit;          // Atomic, relaxed: the pinger's last wakeup of pong is its last
	int64_t deadline;   // the pair stops here in any case
	long rounds;        // the pinger's
	struct waitgroup wg;
};

static void
pinger(void *arg)
{
	struct pingpong *pp = arg;
	for (;;) {
		// Relaxed: polled; the pair stops on either.
		bool stop = atomic_load_relaxed(&pp->stop) || time_nanotime() > pp->deadline;
		if (stop) {
			atomic_store_relaxed(&pp->quit, true);
		}
		notewakeup(&pp->pong);
		if (stop) {
			break;
		}
		notesleep(&pp->ping);
		noteclear(&pp->ping);
		pp->rounds++;
	}
	wg_done(&pp->wg);
}

static void
ponger(void *arg)
{
	struct pingpong *pp = arg;
	for (;;) {
		notesleep(&pp->pong);
		noteclear(&pp->pong);
		// Relaxed: the pinger set it before its last wakeup of pong,
		// whose exchange orders it. (Not stop: the pinger may be
		// asleep on ping by the time main sets that.)
		if (atomic_load_relaxed(&pp->quit)) {
			break;
		}
		notewakeup(&pp->ping);
	}
	wg_done(&pp->wg);
}

// main sleeps 200 ms while the pair plays, at GOMAXPROCS=1: it must wake
// less than 100 ms late (sysmon takes the P after 10 ms on one schedtick;
// the rest is for a loaded machine). The pair stops when main wakes, or
// after 3 s. Before retake took a Psyscall P whose schedtick stood still,
// main woke when the pair stopped: seconds late.
TEST(TestSleepNotStarvedByBlockingPingPong)
{
	int old = runtime_gomaxprocs(1);
	struct pingpong *pp = calloc(1, sizeof *pp);
	pp->deadline = time_nanotime() + 3 * Second;
	wg_add(&pp->wg, 2);
	go(ponger, pp);
	go(pinger, pp);
	int64_t start = time_nanotime();
	uint32_t tick0 = atomic_load_relaxed(&allp[0]->schedtick); // relaxed: a count for the log
	time_sleep(200 * Millisecond);
	uint32_t ticks = atomic_load_relaxed(&allp[0]->schedtick) - tick0; // relaxed, as above
	int64_t late = time_nanotime() - start - 200 * Millisecond;
	atomic_store_relaxed(&pp->stop, true); // relaxed: polled by the pinger
	wg_wait(&pp->wg);
	t_logf(t, "woke %ld us late; %ld rounds, %u schedticks", (long)(late / 1000), pp->rounds, ticks);
	if (late > 100 * Millisecond) {
		t_errorf(t, "a 200 ms sleep woke %ld ms late while two goroutines played ping-pong in the machine",
			 (long)(late / Millisecond));
	}
	free(pp);
	runtime_gomaxprocs(old);
}

// ---- the spinning cap's arithmetic --------------------------------------------

// findrunnable's cap on spinning Ms, 2 * nmspinning < procs - npidle, was
// computed in uint32: it would wrap if npidle ever exceeded procs. Review
// asked whether it can; it cannot while the caller holds a P: the idle Ps
// are the others. Checked from running goroutines (acquirem: no world
// stop between the two loads) while 64 goroutines park, ready each other
// and block in the machine at GOMAXPROCS 1 to 4, changed meanwhile.
static struct waitgroup idlewg;
static long idlebad; // Atomic, relaxed: samples with npidle >= gomaxprocs

static void
idlesampler(void *arg)
{
	struct note nap = {0};
	for (int i = 0; i < 2000; i++) {
		struct m *mp = acquirem();
		uint32_t npidle = atomic_load_acq(&sched.npidle); // pairs with pidleput's seq_cst add
		int32_t procs = loadgomaxprocs();
		releasem(mp);
		if (npidle >= (uint32_t)procs) {
			atomic_xadd_relaxed(&idlebad, 1);
		}
		if (i % 16 == (int)(intptr_t)arg % 16) {
			notetsleep(&nap, 20 * 1000); // in the machine: the P goes idle or to others
		} else if (i % 4 == 0) {
			runtime_gosched();
		}
	}
	wg_done(&idlewg);
}

TEST(TestIdlePsFewerThanProcs)
{
	int old = runtime_gomaxprocs(0);
	wg_add(&idlewg, 64);
	for (int i = 0; i < 64; i++) {
		go(idlesampler, (void *)(intptr_t)i);
	}
	for (int n = 1; n <= 4; n++) {
		runtime_gomaxprocs(n);
		time_sleep(5 * Millisecond);
	}
	wg_wait(&idlewg);
	runtime_gomaxprocs(old);
	if (atomic_load_relaxed(&idlebad) != 0) {
		t_errorf(t, "%ld samples saw npidle >= gomaxprocs from a running goroutine", idlebad);
	}
}
