// smp_test.c: every CPU up, IPIs between every pair, TLB shootdown, one
// clock for all CPUs, spinlocks that exclude, and a fatal error on one CPU
// stopping the others. The runner boots these at several CPU counts.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "kernel/madt.h"
#include "kernel/memlayout.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "kernel/smp.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "tests/testing.h"

enum { SECOND = 1000 * 1000 * 1000 };

// Run fn(arg) on CPUs [lo, hi), each in its own thread, and wait for all
// of them, for at most a minute. Each run has its own record, never freed
// (a few bytes a run; the last thread may still be in notewakeup when the
// test goes on): threads of a run that timed out, still running, count
// down their own and not the next test's.
struct oneach {
	void (*fn)(void *arg);
	void *arg;
	int left; // Atomic
	struct note done;
};

static void
oneachmain(void *p)
{
	struct oneach *o = p;
	o->fn(o->arg);
	// Acq_rel; pairs with the other CPUs' decrements and runon's
	// store-release: they are one release sequence, so the last one down
	// has what every fn wrote, and its notewakeup hands it to the test.
	if (atomic_xadd_acqrel(&o->left, -1) == 0) {
		notewakeup(&o->done);
	}
}

static bool
runon(int lo, int hi, void (*fn)(void *arg), void *arg)
{
	struct oneach *o = malloc(sizeof *o);
	if (o == NULL) {
		return false;
	}
	*o = (struct oneach){.fn = fn, .arg = arg};
	// Store-release; pairs with the decrements in oneachmain, the first of
	// which reads it (kthread_create publishes o as well).
	atomic_store_rel(&o->left, hi - lo);
	for (int i = lo; i < hi; i++) {
		kthread_create(oneachmain, o, "oneach", i);
	}
	return notetsleep(&o->done, 60LL * SECOND);
}

static bool
runoneach(void (*fn)(void *arg), void *arg)
{
	return runon(0, ncpu, fn, arg);
}

// Loops that every CPU runs at once are bounded in time as well as in
// count, with a floor so each CPU takes part: with 64 CPUs under TCG on a
// few host cores, spinning CPUs keep a lock's holder off the host CPU, and
// a fixed count per CPU took a minute. The checks use what was done.
enum { LOOPTIME = 200 * 1000 * 1000, LOOPFLOOR = 100 };

static uint64_t loopdeadline; // set before each runoneach

static bool
loopgoes(int i, int max)
{
	return i < max && (i < LOOPFLOOR || nanotime() < loopdeadline);
}

TEST(TestSMPAllCPUsOnline)
{
	int want = madt.present ? madt.ncpu : 1;
	if (ncpu != want) {
		t_errorf(t, "%d CPUs online, the MADT lists %d", ncpu, want);
	}
	for (int i = 0; i < ncpu; i++) {
		if (!cpus[i].online || cpus[i].id != i) {
			t_errorf(t, "cpu %d: online %d, id %d", i, cpus[i].online, cpus[i].id);
		}
	}
}

// IPI ping-pong: from a thread on each CPU, a call to every other CPU,
// which must run there. The callers go two at a time, so two CPUs call
// each other at once (smp_call's pollcall keeps that from deadlocking):
// smp_call makes one call at a time, and with every CPU waiting for its
// turn, 64 CPUs under TCG took a minute for their 4032 calls (2.6 s so).
enum { CALLWAVE = 2 };

static int ranon[MAXCPU][MAXCPU]; // [caller][callee]: where the call ran, plus 1

struct ping {
	int from, to;
};

static void
pong(void *arg)
{
	struct ping *p = arg;
	ranon[p->from][p->to] = mycpu()->id + 1;
}

static void
pingall(void *arg)
{
	(void)arg;
	int me = kthread_current()->cpu->id;
	for (int to = 0; to < ncpu; to++) {
		if (to != me) {
			struct ping p = {me, to};
			smp_call(to, pong, &p);
		}
	}
}

TEST(TestSMPIPIPingPong)
{
	memset(ranon, 0, sizeof ranon);
	for (int lo = 0; lo < ncpu; lo += CALLWAVE) {
		if (!runon(lo, lo + CALLWAVE < ncpu ? lo + CALLWAVE : ncpu, pingall, NULL)) {
			t_fatalf(t, "the ping threads on cpus %d.. did not finish", lo);
		}
	}
	for (int i = 0; i < ncpu; i++) {
		for (int j = 0; j < ncpu; j++) {
			if (i != j && ranon[i][j] != j + 1) {
				t_errorf(t, "call from cpu %d to cpu %d ran on cpu %d", i, j,
					 ranon[i][j] - 1);
			}
		}
	}
}

// nanotime never goes backwards, even between CPUs: each reading is
// taken under a lock, so the readings are ordered, and each must be at
// least the one before it, whichever CPU took it.
static struct spinlock clocklock = SPINLOCK_INIT("testclock", LOCK_TEST);
static uint64_t lastreading;
static int backwards; // Protected by clocklock

static void
readclock(void *arg)
{
	(void)arg;
	for (int i = 0; loopgoes(i, 20000); i++) {
		spin_lock(&clocklock);
		uint64_t now = nanotime();
		if (now < lastreading) {
			backwards++;
		}
		lastreading = now;
		spin_unlock(&clocklock);
	}
}

TEST(TestSMPNanotimeMonotonic)
{
	lastreading = 0;
	backwards = 0;
	loopdeadline = nanotime() + LOOPTIME;
	if (!runoneach(readclock, NULL)) {
		t_fatalf(t, "the clock readers did not finish");
	}
	if (backwards != 0) {
		t_errorf(t, "nanotime went backwards %d times across CPUs", backwards);
	}
}

// A counter incremented under a spinlock from every CPU is exact.
static struct spinlock counterlock = SPINLOCK_INIT("testcounter", LOCK_TEST);
static uint64_t counter; // Protected by counterlock

static uint64_t increments[MAXCPU]; // by each CPU

static void
increment(void *arg)
{
	(void)arg;
	int i;
	for (i = 0; loopgoes(i, 50000); i++) {
		spin_lock(&counterlock);
		counter++;
		spin_unlock(&counterlock);
	}
	increments[kthread_current()->cpu->id] = (uint64_t)i;
}

TEST(TestSMPSpinlockCounter)
{
	counter = 0;
	memset(increments, 0, sizeof increments);
	loopdeadline = nanotime() + LOOPTIME;
	if (!runoneach(increment, NULL)) {
		t_fatalf(t, "the incrementers did not finish");
	}
	uint64_t want = 0;
	for (int i = 0; i < ncpu; i++) {
		want += increments[i];
	}
	if (counter != want) {
		t_errorf(t, "counter = %lu, want %lu", counter, want);
	}
}

// TLB shootdown: a page mapped and read on the last CPU (so that its TLB
// holds the translation) and then unmapped on this one must fault on the
// last CPU right after vm_unmap returns.
static const uint64_t shootva = KHEAP + KHEAP_SIZE - 2 * PGSIZE;
static struct note readonce, unmapped;

static void
TestSMPTLBShootdownReader(void *arg)
{
	(void)arg;
	(void)*(volatile uint8_t *)shootva; // fill this CPU's TLB
	notewakeup(&readonce);
	notesleep(&unmapped);
	(void)*(volatile uint8_t *)shootva; // must fault
	throw("test: a read through an unmapped page did not fault");
}

CRASHTEST(TestSMPTLBShootdown, 2, "fatal error: unexpected fault address 0xffffc0ffffffe000")
{
	(void)t;
	uint64_t pa = physmem_alloc();
	vm_map(shootva, pa, VM_WRITE);
	noteclear(&readonce);
	noteclear(&unmapped);
	kthread_create(TestSMPTLBShootdownReader, NULL, "reader", ncpu - 1);
	notesleep(&readonce);
	vm_unmap(shootva);
	notewakeup(&unmapped);
	struct note never = {0};
	notesleep(&never); // the reader faults, ending the machine
}

// A fatal error on one CPU while the others are busy: one report, then
// each other CPU's state in turn, then status 2 (the runner checks the
// order of the "cpu N: stopped" lines).
static void
busy(void *arg)
{
	(void)arg;
	for (;;) {
		cpu_pause();
	}
}

static void
TestSMPFatalOnOtherCPUThread(void *arg)
{
	(void)arg;
	throw("test: fatal error while the other CPUs run");
}

CRASHTEST(TestSMPFatalOnOtherCPU, 2, "fatal error: test: fatal error while the other CPUs run")
{
	(void)t;
	int victim = ncpu > 2 ? 2 : ncpu - 1;
	for (int i = 0; i < ncpu; i++) {
		if (i != victim) {
			kthread_create(busy, NULL, "busy", i);
		}
	}
	kthread_create(TestSMPFatalOnOtherCPUThread, NULL, "victim", victim);
	struct note never = {0};
	notesleep(&never);
}

// Lines printed from every CPU at once stay whole: each printf of a line
// is one console write, under the console lock. The runner checks every
// "whole:" line of the console (TestConsoleLinesWhole: 400 at 4 CPUs).
// About LINES lines in all, however many CPUs print them.
enum { LINES = 400 };

static void
printlines(void *arg)
{
	(void)arg;
	int me = kthread_current()->cpu->id;
	for (int i = 0; i < (LINES + ncpu - 1) / ncpu; i++) {
		printf("whole: cpu=%02d seq=%03d abcdefghijklmnopqrstuvwxyz0123456789\n", me, i);
	}
}

TEST(TestSMPConsoleLines)
{
	if (!runoneach(printlines, NULL)) {
		t_fatalf(t, "the printers did not finish");
	}
}

// 1000 timer events from 100 us to 10 ms ahead, started on every CPU at
// once, so each CPU's list holds hundreds: all fire, none early.
enum { NTIMERS = 1000 };

struct timerrun {
	struct ktimer timers[NTIMERS];
	uint64_t when[NTIMERS];
	uint64_t at[NTIMERS]; // nanotime when each fired
	int early;            // Atomic
};

static struct timerrun timerrun;

static void
timerfired(void *arg)
{
	int i = (int)(intptr_t)arg;
	timerrun.at[i] = nanotime();
	if (timerrun.at[i] < timerrun.when[i]) {
		atomic_xadd_relaxed(&timerrun.early, 1);
	}
}

static void
starttimers(void *arg)
{
	(void)arg;
	int me = kthread_current()->cpu->id;
	for (int i = me; i < NTIMERS; i += ncpu) {
		timerrun.when[i] = nanotime() + 100000 + (uint64_t)(i * 7919 % 1000) * 9900;
		ktimer_start(&timerrun.timers[i], timerrun.when[i], timerfired, (void *)(intptr_t)i);
	}
	// Wait on this CPU until its timers have fired: they belong to it.
	// Interrupts off between the look and the halt (sti; hlt turns them
	// on only as the CPU halts): a timer that fired between a look with
	// interrupts on and a plain hlt left the CPU halted for good, with no
	// interrupt to come (CI saw the test time out after 60 s).
	for (int i = me; i < NTIMERS; i += ncpu) {
		for (;;) {
			kthread_yield();
			cli();
			// Acquire only for simplicity; nothing pairs: pending is a
			// plain field that this CPU's own timer interrupt clears
			// (kernel/timer.c), and an interrupt is ordered with the
			// code it interrupts on the same CPU without any barrier.
			if (!atomic_load_acq(&timerrun.timers[i].pending)) {
				sti();
				break;
			}
			sti_hlt();
		}
	}
}

TEST(TestSMPTimerDeadlines)
{
	memset(&timerrun, 0, sizeof timerrun);
	if (!runoneach(starttimers, NULL)) {
		t_fatalf(t, "the timers did not all fire");
	}
	if (timerrun.early != 0) {
		t_errorf(t, "%d of %d timers fired early", timerrun.early, NTIMERS);
	}
	static uint64_t late[NTIMERS];
	for (int i = 0; i < NTIMERS; i++) {
		late[i] = timerrun.at[i] - timerrun.when[i];
	}
	qsort(late, NTIMERS, sizeof late[0], testing_cmpu64);
	t_logf(t, "%d timers on %d CPUs: lateness p50 %lu us, p99 %lu us, max %lu us", NTIMERS, ncpu,
	       late[NTIMERS / 2] / 1000, late[NTIMERS * 99 / 100] / 1000, late[NTIMERS - 1] / 1000);
}

// Every CPU runs with its caches on (an AP starts with CR0.CD and NW set;
// found in a fatal report's cr0 line).
static bool cacheson[MAXCPU];

static void
checkcaches(void *arg)
{
	(void)arg;
	cacheson[kthread_current()->cpu->id] = (rcr0() & (CR0_CD | CR0_NW)) == 0;
}

TEST(TestSMPCachesOn)
{
	if (!runoneach(checkcaches, NULL)) {
		t_fatalf(t, "the checkers did not finish");
	}
	for (int i = 0; i < ncpu; i++) {
		if (!cacheson[i]) {
			t_errorf(t, "cpu %d runs with CR0.CD or CR0.NW set", i);
		}
	}
}
