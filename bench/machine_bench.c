// machine_bench.c: the machine's hot paths: the clock, a cross-CPU call,
// waking a thread on another CPU, switching threads, and how late a timer
// fires.

#include <stdlib.h>

#include "bench/bench.h"
#include "tests/testing.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "lib/lock.h"
#include "kernel/smp.h"
#include "kernel/timer.h"
#include "kernel/x86.h"

BENCH(BenchmarkNanotime)
{
	uint64_t sum = 0;
	for (long i = 0; i < b->n; i++) {
		sum += nanotime();
	}
	if (sum == 1) {
		b_skip(b, "impossible");
	}
}

static void
noop(void *arg)
{
	(void)arg;
}

// One smp_call from CPU 0 to CPU 1 and back: an IPI there, the call, the
// acknowledgement seen here.
BENCH(BenchmarkIPIRoundTrip)
{
	if (ncpu < 2) {
		b_skip(b, "needs 2 CPUs");
		return;
	}
	for (long i = 0; i < b->n; i++) {
		smp_call(1, noop, NULL);
	}
}

// Two threads, on CPU 0 and CPU 1, wake each other through notes: an op
// is one round trip, two cross-CPU wakeups.
struct pingpong {
	struct note ping, pong, done;
	long n;
};

static void
ponger(void *arg)
{
	struct pingpong *p = arg;
	for (long i = 0; i < p->n; i++) {
		notesleep(&p->ping);
		noteclear(&p->ping);
		notewakeup(&p->pong);
	}
	notewakeup(&p->done);
}

// Each run waits for its ponger to finish: a ponger of the last run still
// looping would otherwise sleep on the same note as the next one's.
static void
pingpong(struct B *b, int othercpu)
{
	static struct pingpong p;
	p.n = b->n;
	noteclear(&p.ping);
	noteclear(&p.pong);
	noteclear(&p.done);
	kthread_create(ponger, &p, "ponger", othercpu);
	for (long i = 0; i < b->n; i++) {
		notewakeup(&p.ping);
		notesleep(&p.pong);
		noteclear(&p.pong);
	}
	b_stoptimer(b);
	notesleep(&p.done);
}

BENCH(BenchmarkNoteWakeupCrossCPU)
{
	if (ncpu < 2) {
		b_skip(b, "needs 2 CPUs");
		return;
	}
	pingpong(b, kthread_current()->cpu->id == 0 ? 1 : 0);
}

// The same on one CPU: each wakeup is a park and a switch to the other
// thread, so an op is two thread switches.
BENCH(BenchmarkKthreadSwitch)
{
	pingpong(b, kthread_current()->cpu->id);
}

// A timer 1 ms ahead, n times: how late it fires (p50, p99).
static void
fire(void *arg)
{
	*(volatile uint64_t *)arg = nanotime();
}

BENCH(BenchmarkTimerLateness)
{
	uint64_t *late = malloc(b->n * sizeof *late);
	for (long i = 0; i < b->n; i++) {
		struct ktimer t = {0};
		volatile uint64_t at = 0;
		uint64_t when = nanotime() + 1000000;
		ktimer_start(&t, when, fire, (void *)&at);
		while (at == 0) {
			hlt();
		}
		late[i] = at - when;
	}
	qsort(late, b->n, sizeof *late, testing_cmpu64);
	b_reportmetric(b, late[b->n / 2] / 1000.0, "p50-us");
	b_reportmetric(b, late[b->n * 99 / 100] / 1000.0, "p99-us");
	free(late);
}
