// kthread_test.c: kernel threads, park/unpark, notes, preemption by time
// slice, and timer events.

#include <fenv.h>
#include <stdlib.h>

#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "tests/testing.h"

static struct note ifdone;

static void
setflag(void *arg)
{
	struct note *n = arg;
	notewakeup(n);
}

TEST(TestKthreadRuns)
{
	struct note n = {0};
	kthread_create(setflag, &n, "setflag", -1);
	if (!notetsleep(&n, 5LL * 1000 * 1000 * 1000)) {
		t_errorf(t, "the new thread did not wake the note within 5 s");
	}
}

// Found when a thread started by the idle thread of a CPU that had just
// come up ran with interrupts off, and so could never be preempted.
static void
checkif(void *arg)
{
	*(bool *)arg = readrflags() & FL_IF;
	notewakeup(&ifdone);
}

TEST(TestNewThreadHasInterruptsOn)
{
	for (int cpu = 0; cpu < ncpu; cpu++) {
		bool on = false;
		noteclear(&ifdone);
		kthread_create(checkif, &on, "checkif", cpu);
		notesleep(&ifdone);
		if (!on) {
			t_errorf(t, "a new thread on cpu %d runs with interrupts off", cpu);
		}
	}
}

TEST(TestParkPermit)
{
	// An unpark before the park: the park returns at once.
	kthread_unpark(kthread_current());
	kthread_park();
	struct note n = {0};
	notewakeup(&n);
	notesleep(&n); // woken before: returns at once
	noteclear(&n);
	if (notetsleep(&n, 1000 * 1000)) {
		t_errorf(t, "notetsleep on a clear note reported a wakeup");
	}
}

TEST(TestNotetsleepTimesOut)
{
	struct note n = {0};
	uint64_t start = nanotime();
	bool woken = notetsleep(&n, 20 * 1000 * 1000);
	uint64_t took = nanotime() - start;
	if (woken || took < 20 * 1000 * 1000) {
		t_errorf(t, "notetsleep(20ms) returned %d after %lu ns", woken, took);
	}
}

// 1000 threads in a ring, on every CPU: each waits for the token, passes it
// on. A lost wakeup stops the ring, and the test times out.
enum { NRING = 1000, ROUNDS = 3 };

struct ring {
	struct kthread *threads[NRING];
	int holder; // Atomic: who has the token
	int passes; // Atomic
	struct note done;
};

static struct ring ring;

static void
ringmember(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int round = 0; round < ROUNDS; round++) {
		// Load-acquire; pairs with the store-release of holder by the
		// previous member (or by the test, for the first pass).
		while (atomic_load_acq(&ring.holder) != me) {
			kthread_park();
		}
		atomic_xadd_relaxed(&ring.passes, 1);
		int next = (me + 1) % NRING;
		if (round == ROUNDS - 1 && me == NRING - 1) {
			notewakeup(&ring.done);
		}
		// Store-release: hands the token on; pairs with the next
		// member's load-acquire above.
		atomic_store_rel(&ring.holder, next);
		if (!(round == ROUNDS - 1 && next == 0)) {
			kthread_unpark(ring.threads[next]);
		}
	}
}

TEST(TestKthreadTokenRing)
{
	ring.holder = -1;
	ring.passes = 0;
	noteclear(&ring.done);
	for (int i = 0; i < NRING; i++) {
		ring.threads[i] = kthread_create(ringmember, (void *)(intptr_t)i, "ring", -1);
	}
	// Store-release; pairs with member 0's load-acquire of holder.
	atomic_store_rel(&ring.holder, 0);
	kthread_unpark(ring.threads[0]);
	if (!notetsleep(&ring.done, 60LL * 1000 * 1000 * 1000)) {
		t_fatalf(t, "the ring stopped after %d passes (a lost wakeup)", ring.passes);
	}
	if (ring.passes != NRING * ROUNDS) {
		t_errorf(t, "%d passes, want %d", ring.passes, NRING * ROUNDS);
	}
}

// A thousand kernel threads that have exited do not keep their stacks:
// past 128 freed stacks, the freed ones keep only their top page
// (kstack_free). They once kept all 32 KiB each: 32 MiB of a 128 MiB guest.
enum { NEXITERS = 1000 };
static struct kthread *exiters[NEXITERS];
static int nstarted, nexited; // Atomic
static bool exitgate;         // Atomic

static void
exiter(void *arg)
{
	(void)arg;
	atomic_xadd_relaxed(&nstarted, 1); // relaxed: a count the test polls
	// Load-acquire, though nothing is published: pairs with the test's
	// store-release of the gate. All NEXITERS are alive before any exits.
	while (!atomic_load_acq(&exitgate)) {
		kthread_park();
	}
	atomic_xadd_relaxed(&nexited, 1);
}

TEST(TestExitedThreadsGiveStacksBack)
{
	uint64_t before = physmem_nfree();
	atomic_store_relaxed(&nstarted, 0);
	atomic_store_relaxed(&nexited, 0);
	atomic_store_relaxed(&exitgate, false);
	for (int i = 0; i < NEXITERS; i++) {
		exiters[i] = kthread_create(exiter, NULL, "exiter", -1);
	}
	while (atomic_load_relaxed(&nstarted) < NEXITERS) {
		kthread_yield();
	}
	// Store-release; pairs with the exiters' load-acquire of the gate.
	atomic_store_rel(&exitgate, true);
	for (int i = 0; i < NEXITERS; i++) {
		kthread_unpark(exiters[i]);
	}
	// Each kept stack whole (32 KiB), or its top page; a little more for
	// page tables and whatever else the machine does meanwhile.
	uint64_t most = (128 * 32 + NEXITERS * 4 + 1024) / 4;
	uint64_t deadline = nanotime() + 10ULL * 1000 * 1000 * 1000;
	uint64_t lost;
	do {
		kthread_yield();
		uint64_t now = physmem_nfree();
		lost = now < before ? before - now : 0;
	} while ((atomic_load_relaxed(&nexited) < NEXITERS || lost > most) && nanotime() < deadline);
	if (atomic_load_relaxed(&nexited) < NEXITERS) {
		t_fatalf(t, "%d of %d threads ran in 10 s", nexited, NEXITERS);
	}
	if (lost > most) {
		t_errorf(t, "%d exited threads keep %lu KiB, want at most %lu", NEXITERS, lost * 4, most * 4);
	}
}

// A thread that never yields shares its CPU anyway: the timer ends its
// slice.
static volatile bool spinstop;
static volatile uint64_t spins;

static void
spinner(void *arg)
{
	(void)arg;
	while (!spinstop) {
		spins++;
	}
}

TEST(TestKthreadPreemption)
{
	spinstop = false;
	spins = 0;
	kthread_create(spinner, NULL, "spinner", kthread_current()->cpu->id);
	kthread_yield(); // the spinner runs until its slice ends
	if (spins == 0) {
		t_errorf(t, "the spinner never ran");
	}
	spinstop = true;
	kthread_yield();
}

// Timer events: 200 deadlines between 100 us and 10 ms ahead, each waited
// for in turn; none may fire early. The lateness is logged.
static void
fired(void *arg)
{
	uint64_t *at = arg;
	*at = nanotime();
}

TEST(TestTimerDeadlines)
{
	enum { N = 200 };
	static uint64_t late[N];
	srand(7);
	for (int i = 0; i < N; i++) {
		struct ktimer tm = {0};
		volatile uint64_t at = 0;
		uint64_t when = nanotime() + 100000 + (uint64_t)rand() % 9900000;
		ktimer_start(&tm, when, fired, (void *)&at);
		while (at == 0) {
			hlt();
		}
		if (at < when) {
			t_fatalf(t, "deadline %d fired %lu ns early", i, when - at);
		}
		late[i] = at - when;
	}
	qsort(late, N, sizeof late[0], testing_cmpu64);
	t_logf(t, "lateness: p50 %lu us, p99 %lu us, max %lu us", late[N / 2] / 1000,
	       late[N * 99 / 100] / 1000, late[N - 1] / 1000);
}

// Preemption keeps the FPU/SSE state: two threads on one CPU run the same
// floating-point recurrence, long enough to be preempted many times, one
// of them in another rounding mode (MXCSR), and each must end with the
// result it gets alone.
struct fpwork {
	int round; // fesetround mode
	double result;
	struct note done;
};

static double
recurrence(void)
{
	double x = 0.5, y = 1.25;
	for (int i = 0; i < 4000000; i++) {
		x = x * 1.0000001 + y / 3.0;
		y = y * 0.9999999 - x / 7.0;
	}
	return x + y;
}

static void
fpworker(void *arg)
{
	struct fpwork *w = arg;
	fesetround(w->round);
	w->result = recurrence();
	fesetround(FE_TONEAREST);
	notewakeup(&w->done);
}

TEST(TestPreemptionKeepsFPUState)
{
	int modes[2] = {FE_TONEAREST, FE_UPWARD};
	double want[2];
	for (int i = 0; i < 2; i++) {
		fesetround(modes[i]);
		want[i] = recurrence();
	}
	fesetround(FE_TONEAREST);
	if (want[0] == want[1]) {
		t_fatalf(t, "the rounding mode does not change the result; the test cannot see MXCSR");
	}
	static struct fpwork w[2];
	int cpu = kthread_current()->cpu->id;
	uint64_t start = nanotime();
	for (int i = 0; i < 2; i++) {
		w[i].round = modes[i];
		noteclear(&w[i].done);
		kthread_create(fpworker, &w[i], "fpworker", cpu);
	}
	for (int i = 0; i < 2; i++) {
		notesleep(&w[i].done);
		if (w[i].result != want[i]) {
			t_errorf(t, "worker %d got %.17g, want %.17g", i, w[i].result, want[i]);
		}
	}
	t_logf(t, "both workers took %lu ms on one CPU", (nanotime() - start) / 1000000);
}

// Found when preempted() turned interrupts on before acting on the time
// slice: the timer asked again at once, nesting asyncpreempt until the
// kernel stack overflowed. Four spinners share one CPU for 40 slices.
static int spinnersleft; // Atomic
static struct note spinnersdone;

static void
spinfor(void *arg)
{
	uint64_t end = nanotime() + (uint64_t)(uintptr_t)arg;
	while (nanotime() < end) {
		cpu_pause();
	}
	// Acq_rel only for simplicity; nothing pairs: the last one down wakes
	// the test through the note, and the test reads nothing the spinners
	// wrote (the count only on a timeout, as a peek).
	if (atomic_xadd_acqrel(&spinnersleft, -1) == 0) {
		notewakeup(&spinnersdone);
	}
}

TEST(TestManyPreemptionsDoNotNest)
{
	spinnersleft = 4;
	noteclear(&spinnersdone);
	int cpu = kthread_current()->cpu->id;
	for (int i = 0; i < 4; i++) {
		kthread_create(spinfor, (void *)(uintptr_t)(100 * 1000 * 1000), "spinfor", cpu);
	}
	if (!notetsleep(&spinnersdone, 30LL * 1000 * 1000 * 1000)) {
		t_errorf(t, "%d spinners did not finish", spinnersleft);
	}
}

// A mutex's holder may sleep: threads on every CPU increment a counter
// under one mutex, yielding the CPU inside; the count is exact.
static struct mutex countmu = MUTEX_INIT("testcount");
static long mucount;
static int muleft; // Atomic
static struct note mudone;

static void
mutexworker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		mutex_lock(&countmu, false);
		long v = mucount;
		kthread_yield();
		mucount = v + 1;
		mutex_unlock(&countmu);
	}
	// Acq_rel; pairs with the other workers' decrements: they are one
	// release sequence, so the last one down has acquired every worker's
	// last mutex_unlock, and its notewakeup hands mucount to the test.
	if (atomic_xadd_acqrel(&muleft, -1) == 0) {
		notewakeup(&mudone);
	}
}

TEST(TestMutexExcludesSleepers)
{
	enum { WORKERS = 6 };
	mucount = 0;
	muleft = WORKERS;
	noteclear(&mudone);
	for (int i = 0; i < WORKERS; i++) {
		kthread_create(mutexworker, NULL, "mutexworker", -1);
	}
	if (!notetsleep(&mudone, 60LL * 1000 * 1000 * 1000)) {
		t_fatalf(t, "%d workers did not finish", muleft);
	}
	if (mucount != WORKERS * 200) {
		t_errorf(t, "count %ld, want %d", mucount, WORKERS * 200);
	}
}
