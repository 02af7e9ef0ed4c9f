// sched_bench.c: the scheduler's hot paths, twins of bench/go/sched_test.go:
// creating goroutines, many goroutines that sleep, yielding, park/ready between two goroutines, how
// late a 1 ms sleep wakes, blocking calls, and stopping the world.

#include <stdlib.h>

#include "bench/bench.h"
#include "lib/atomic.h"
#include "tests/testing.h"
#include "include/hood.h"
#include "lib/lock.h"
#include "runtime/runtime.h"
#include "tests/wg.h"

static struct waitgroup spawnwg;

static void
spawned(void *arg)
{
	(void)arg;
	wg_done(&spawnwg);
}

// Create, run and end a goroutine; waiting for each batch of 1000.
BENCH(BenchmarkGoroutineSpawn)
{
	for (long i = 0; i < b->n;) {
		long batch = b->n - i < 1000 ? b->n - i : 1000;
		wg_add(&spawnwg, batch);
		for (long j = 0; j < batch; j++) {
			go(spawned, NULL);
		}
		wg_wait(&spawnwg);
		i += batch;
	}
}

// Many goroutines that sleep: batches of SpawnSleepBatch goroutines, each
// sleeping 1 ms and ending; an op is one goroutine's life (spawn, timer,
// wakeup, exit), so the 1 ms a batch waits adds 33 ns to each op, for Go
// as for hood. A program that starts thousands of waiters at once pays
// this: stacks and Gs from the free lists or new, timers into the heaps.
enum { SpawnSleepBatch = 30000 };
static struct waitgroup sleepwg;

static void
sleeper(void *arg)
{
	(void)arg;
	time_sleep(Millisecond);
	wg_done(&sleepwg);
}

BENCH(BenchmarkSpawnSleep30000)
{
	for (long i = 0; i < b->n;) {
		long batch = b->n - i < SpawnSleepBatch ? b->n - i : SpawnSleepBatch;
		wg_add(&sleepwg, batch);
		for (long j = 0; j < batch; j++) {
			go(sleeper, NULL);
		}
		wg_wait(&sleepwg);
		i += batch;
	}
}

// Two goroutines yield to each other; an op is one Gosched by each.
static struct waitgroup yieldwg;

static void
yielder(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		runtime_gosched();
	}
	wg_done(&yieldwg);
}

BENCH(BenchmarkGosched)
{
	wg_add(&yieldwg, 2);
	go(yielder, (void *)b->n);
	go(yielder, (void *)b->n);
	wg_wait(&yieldwg);
}

// Two goroutines park and ready each other: an op is a round trip. Each
// side's word is NULL (running), the G parked as that side, or Woken (a
// wakeup came before the park, which then returns at once): a wakeup
// never busy-waits for the other side to park. The Go twin's channel
// send to a goroutine not yet receiving parks the sender; here the waker
// goes on to its own park, which comes next anyway. A wake that spun on
// Gosched until the other side parked measured Gosched, the global queue
// and sched.lock whenever the two ran on different Ps, which the twin
// never does.
#define Woken ((struct g *)1)

struct parkpong {
	struct g *side[2]; // Atomic
	long n;
	struct waitgroup wg;
};

static struct parkpong pp;

static bool
parkas(struct g *gp, void *arg)
{
	long who = (long)arg;
	// CAS acq_rel from NULL (this runs on g0, with the G off its stack).
	// Release: publishes the parked G; pairs with the CAS in wake, which
	// takes it. Failing, wake left Woken first; its acquire pairs with
	// that CAS: run on at once.
	if (atomic_cas_acqrel(&pp.side[who], NULL, gp)) {
		return true;
	}
	// Relaxed: the next wake of this side comes after this side's own
	// wake of the other, whose CAS orders it.
	atomic_store_relaxed(&pp.side[who], NULL);
	return false;
}

// Ready side `who` if it is parked, else leave it the wakeup.
static void
wake(long who)
{
	for (;;) {
		// Load-acquire, then CAS acq_rel: pairs with parkas's CAS; a G
		// seen here is parked, and readying it is safe.
		struct g *gp = atomic_load_acq(&pp.side[who]);
		if (gp == Woken) {
			throw("wake: a second wakeup before the park");
		}
		if (atomic_cas_acqrel(&pp.side[who], gp, gp == NULL ? Woken : NULL)) {
			if (gp != NULL) {
				goready(gp);
			}
			return;
		}
	}
}

static void
ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < pp.n; i++) {
		gopark(parkas, (void *)1, waitReasonGoroutineParked);
		wake(0);
	}
	wg_done(&pp.wg);
}

BENCH(BenchmarkParkReadyPingPong)
{
	pp.n = b->n;
	pp.side[0] = pp.side[1] = NULL;
	wg_add(&pp.wg, 1);
	go(ponger, NULL);
	for (long i = 0; i < b->n; i++) {
		wake(1);
		gopark(parkas, (void *)0, waitReasonGoroutineParked);
	}
	wg_wait(&pp.wg);
}

// time_sleep(1 ms), n times: ns/op is the whole sleep; the metrics say
// how late it woke.
BENCH(BenchmarkSleep1ms)
{
	uint64_t *late = malloc(b->n * sizeof *late); // never early: TestSleep
	for (long i = 0; i < b->n; i++) {
		int64_t start = time_nanotime();
		time_sleep(Millisecond);
		late[i] = time_nanotime() - start - Millisecond;
	}
	qsort(late, b->n, sizeof *late, testing_cmpu64);
	b_reportmetric(b, late[b->n / 2] / 1000.0, "p50-us");
	b_reportmetric(b, late[b->n * 99 / 100] / 1000.0, "p99-us");
	free(late);
}

// Two goroutines wake each other through kernel notes: each wait blocks
// in the machine, so it is a syscall (entersyscall, exitsyscall); an op
// is a round trip. The Go twin blocks in read(2) on pipes.
static struct note blockping, blockpong;
static struct waitgroup blockwg;

static void
blockponger(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		notesleep(&blockping);
		noteclear(&blockping);
		notewakeup(&blockpong);
	}
	wg_done(&blockwg);
}

BENCH(BenchmarkBlockingPingPong)
{
	noteclear(&blockping);
	noteclear(&blockpong);
	wg_add(&blockwg, 1);
	go(blockponger, (void *)b->n);
	for (long i = 0; i < b->n; i++) {
		notewakeup(&blockping);
		notesleep(&blockpong);
		noteclear(&blockpong);
	}
	wg_wait(&blockwg);
}

// GOMAXPROCS changed back and forth: an op is one stop and start of the
// world, with procresize.
BENCH(BenchmarkGOMAXPROCS)
{
	int n = runtime_gomaxprocs(0);
	for (long i = 0; i < b->n; i++) {
		runtime_gomaxprocs(i % 2 == 0 ? n + 1 : n);
	}
	runtime_gomaxprocs(n);
}
