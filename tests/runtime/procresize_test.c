// procresize_test.c: stopping the world and changing GOMAXPROCS at run
// time (runtime/proc.c: stopTheWorld, startTheWorld, procresize). No
// goroutine is lost: not those queued on a P that goes away, not those
// sleeping on its timers, not one blocked in a syscall meanwhile.

#include <stdlib.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

static struct waitgroup resizewg;

static void
yielder(void *arg)
{
	long *runs = arg;
	for (int i = 0; i < 20; i++) {
		atomic_xadd_relaxed(runs, 1);
		runtime_gosched();
	}
	wg_done(&resizewg);
}

// Shrink to 1 and grow to 4 while 400 yielding goroutines run and wait:
// each returns the old count, and every goroutine finishes all its rounds.
TEST(TestGOMAXPROCSShrinkGrow)
{
	int old = runtime_gomaxprocs(0);
	long runs = 0;
	wg_add(&resizewg, 400);
	for (int i = 0; i < 400; i++) {
		go(yielder, &runs);
	}
	int got = runtime_gomaxprocs(1);
	if (got != old) {
		t_errorf(t, "GOMAXPROCS(1) returned %d, want %d", got, old);
	}
	if ((got = runtime_gomaxprocs(4)) != 1) {
		t_errorf(t, "GOMAXPROCS(4) returned %d, want 1", got);
	}
	time_sleep(2 * Millisecond);
	if ((got = runtime_gomaxprocs(2)) != 4) {
		t_errorf(t, "GOMAXPROCS(2) returned %d, want 4", got);
	}
	wg_wait(&resizewg);
	if (runs != 400 * 20) {
		t_errorf(t, "%ld rounds ran, want %d", runs, 400 * 20);
	}
	if ((got = runtime_gomaxprocs(0)) != 2) {
		t_errorf(t, "GOMAXPROCS(0) reports %d, want 2", got);
	}
	for (int i = 2; i < 4; i++) {
		if (allp[i]->status != Pdead || !runqempty(allp[i]) || allp[i]->ntimers != 0) {
			t_errorf(t, "P%d after the shrink: status %u, %u queued, %d timers", i,
				 allp[i]->status, runqlen(allp[i]), allp[i]->ntimers);
		}
	}
	runtime_gomaxprocs(old);
}

static void
spawnedonce(void *arg)
{
	atomic_xadd_relaxed((long *)arg, 1);
	wg_done(&resizewg);
}

// 1000 goroutines queued at 4 Ps and never run yet (runnext, the ring,
// the global queue), then GOMAXPROCS drops to 1 at once: all 1000 run.
TEST(TestGOMAXPROCSQueuedNotLost)
{
	int old = runtime_gomaxprocs(4);
	long ran = 0;
	wg_add(&resizewg, 1000);
	for (int i = 0; i < 1000; i++) {
		go(spawnedonce, &ran);
	}
	runtime_gomaxprocs(1);
	wg_wait(&resizewg);
	if (ran != 1000) {
		t_errorf(t, "%ld of 1000 queued goroutines ran", ran);
	}
	runtime_gomaxprocs(old);
}

static void
sleeper(void *arg)
{
	(void)arg;
	time_sleep(20 * Millisecond);
	wg_done(&resizewg);
}

// Goroutines sleep on timers of 4 Ps; the Ps go while they sleep; the
// timers move to a P that stays and every sleeper wakes.
TEST(TestGOMAXPROCSMovesTimers)
{
	int old = runtime_gomaxprocs(4);
	wg_add(&resizewg, 40);
	for (int i = 0; i < 40; i++) {
		go(sleeper, NULL);
		if (i % 8 == 0) {
			runtime_gosched(); // let other Ps take some
		}
	}
	time_sleep(2 * Millisecond);
	int64_t start = time_nanotime();
	runtime_gomaxprocs(1);
	wg_wait(&resizewg);
	int64_t waited = time_nanotime() - start;
	if (waited > 2 * Second) {
		t_errorf(t, "the sleepers took %ld ms to wake after the shrink", waited / Millisecond);
	}
	runtime_gomaxprocs(old);
}

static struct note syscallnote;
static int insyscall; // Atomic

static void
blockedduring(void *arg)
{
	(void)arg;
	// Store-release; pairs with the test's load-acquire: about to block.
	atomic_store_rel(&insyscall, 1);
	notesleep(&syscallnote);
	// Release only for simplicity; nothing pairs: the test reads the 2
	// after wg_wait, whose acquire of wg_done's release orders it.
	atomic_store_rel(&insyscall, 2);
	wg_done(&resizewg);
}

// A goroutine blocked in the machine while the world stops twice: its P
// is taken from it (Psyscall to Pgcstop), and when it wakes it gets one.
TEST(TestGOMAXPROCSDuringSyscall)
{
	int old = runtime_gomaxprocs(2);
	noteclear(&syscallnote);
	insyscall = 0;
	wg_add(&resizewg, 1);
	go(blockedduring, NULL);
	// Load-acquire; pairs with blockedduring's first store-release.
	while (atomic_load_acq(&insyscall) != 1) {
		runtime_gosched();
	}
	time_sleep(1 * Millisecond);
	runtime_gomaxprocs(1);
	runtime_gomaxprocs(3);
	notewakeup(&syscallnote);
	wg_wait(&resizewg);
	if (insyscall != 2) {
		t_errorf(t, "the goroutine did not come back from its syscall");
	}
	runtime_gomaxprocs(old);
}

// While the world is stopped nothing else runs: spinning goroutines'
// counters stand still for 20 ms, and move again after the start.
static int spinstop; // Atomic
static long spins[4];

static void
spinner(void *arg)
{
	long *n = arg;
	// Load-acquire; pairs with the test's store-release of spinstop.
	while (!atomic_load_acq(&spinstop)) {
		atomic_xadd_relaxed(n, 1);
	}
	wg_done(&resizewg);
}

static long
sumspins(void)
{
	long s = 0;
	for (int i = 0; i < 4; i++) {
		s += atomic_load_relaxed(&spins[i]);
	}
	return s;
}

TEST(TestStopTheWorldStopsEveryone)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "needs preemption at any instruction, which this build lacks");
		return;
	}
	spinstop = 0;
	wg_add(&resizewg, 4);
	for (int i = 0; i < 4; i++) {
		spins[i] = 0;
		go(spinner, &spins[i]);
	}
	time_sleep(5 * Millisecond);
	stopTheWorld("test");
	long before = sumspins();
	int64_t until = time_nanotime() + 20 * Millisecond;
	while (time_nanotime() < until) {
	}
	long after = sumspins();
	startTheWorld();
	time_sleep(20 * Millisecond);
	long later = sumspins();
	// Store-release; pairs with the spinners' load-acquire: stop.
	atomic_store_rel(&spinstop, 1);
	wg_wait(&resizewg);
	if (after != before) {
		t_errorf(t, "the spinners counted %ld while the world was stopped", after - before);
	}
	if (later == after) {
		t_errorf(t, "the spinners did not run again after startTheWorld");
	}
}

// Two goroutines change GOMAXPROCS 50 times each, between 1 and 4,
// while others yield and sleep: everyone finishes.
static void
flipper(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	for (int i = 0; i < 50; i++) {
		seed = seed * 1103515245 + 12345;
		runtime_gomaxprocs(1 + (seed >> 16) % 4);
		if (i % 5 == 0) {
			time_sleep(100 * Microsecond);
		}
	}
	wg_done(&resizewg);
}

static void
worker(void *arg)
{
	long *runs = arg;
	for (int i = 0; i < 100; i++) {
		atomic_xadd_relaxed(runs, 1);
		if (i % 10 == 0) {
			time_sleep(50 * Microsecond);
		} else {
			runtime_gosched();
		}
	}
	wg_done(&resizewg);
}

TEST(TestGOMAXPROCSStress)
{
	int old = runtime_gomaxprocs(0);
	long runs = 0;
	wg_add(&resizewg, 18);
	go(flipper, (void *)1);
	go(flipper, (void *)2);
	for (int i = 0; i < 16; i++) {
		go(worker, &runs);
	}
	wg_wait(&resizewg);
	if (runs != 1600) {
		t_errorf(t, "%ld rounds ran, want 1600", runs);
	}
	runtime_gomaxprocs(old);
}
