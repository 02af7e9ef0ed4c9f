// main_hosted.c: the hosted test program: the runtime's tests
// (tests/runtime/) as a Linux program linked with build/host/libhood.a. Its
// main runs as goroutine 1 (-Wl,--wrap=main, runtime/os_linux.c).
//
//	build/host/test [sel]      sel as the boot option test=: all (the
//	                           default), TestA,TestB or Prefix*
//
// Without an argument, test= in the environment selects, as in the guest
// image; HOOD_SHORT=1 or short=on in the environment is the short mode
// (Go's -short).

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "include/hood.h"
#include "runtime/os_linux.h"
#include "runtime/runtime.h"
#include "tests/mended.h"
#include "tests/testing.h"
#include "tests/wg.h"

// On Linux a page of a goroutine stack counts as mapped when it is in
// memory (mincore).
bool
testing_pagemapped(uint64_t va)
{
	unsigned char in = 0;
	return mincore((void *)(va & ~4095ULL), 4096, &in) == 0 && (in & 1);
}

// The hosted port's fault report, from its SIGSEGV handler, names the
// frames from the symbol table read at start (runtime/symtab_linux.c):
// the handler must not read it, with malloc and qsort, which are not
// async-signal-safe (the fault may come inside malloc). This is the
// process's first backtrace; the runner checks the fatal error and that
// the goroutine dump names TestFaultReportIsSymbolised's fault function.
// On bare metal, the kernel's fault tests (tests/kernel/fault_test.c) do
// the same.
static volatile int *faultaddr = (volatile int *)0xdead0000;
static struct note faultdone;

static void __attribute__((noipa))
TestFaultReportIsSymbolisedFault(void *arg)
{
	(void)arg;
	*faultaddr = 1;
	notewakeup(&faultdone);
}

CRASHTEST(TestFaultReportIsSymbolised, 2, "fatal error: fault")
{
	(void)t;
	go(TestFaultReportIsSymbolisedFault, NULL);
	notesleep(&faultdone); // never woken: the fault ends the process
}

// Faults where no panic may start stay fatal, in Go's words: with the M
// acquired (the runtime's locks), and in the C library (whose locks are
// the thread's, which a panic's unwinding would leave held).
// tests/kernel/fault_test.c has bare metal's.
static volatile uintptr_t nilptr = 0;

// Each faults in a function of its own, which the dump does not show
// (it stops at the signal frame), so that the test's frame shows.
static void __attribute__((noipa))
TestFaultHoldingRuntimeLockFault(void)
{
	acquirem();
	*(volatile int *)nilptr = 1;
}

CRASHTEST(TestFaultHoldingRuntimeLock, 2, "fatal error: unexpected signal during runtime execution")
{
	(void)t;
	TestFaultHoldingRuntimeLockFault();
}

static size_t __attribute__((noipa))
TestFaultInCLibraryStrlen(void)
{
	return strlen((const char *)nilptr);
}

CRASHTEST(TestFaultInCLibrary, 2, "fatal error: unexpected signal during runtime execution")
{
	t_logf(t, "%zu", TestFaultInCLibraryStrlen());
}

// What an M leaves behind when it ends. A goroutine that exits locked to
// its thread (LockOSThread) takes the thread with it (lockosthread.c's
// mexit, Go's rule); the M record goes on sched.freem, for newm to give
// to a new thread (mreuse). Preempting
// such an M used to send pthread_kill to a thread that had ended, whose
// pthread_t then names freed or reused memory (undefined in glibc; it
// answered "sent" for 23 of 24); the port now sends with tgkill to the
// thread's id, cleared when the thread ends (Go's signalM), as bare
// metal clears its kernel thread.
static struct waitgroup mexitwg;

// Locked to its M, it records the M and exits: the M ends with it.
static void
lockedexit(void *arg)
{
	runtime_lockosthread();
	seenm_here(arg);
	wg_done(&mexitwg);
}

// Run n locked goroutines that exit, batch at a time, their Ms in ms,
// and wait until every one of those Ms has ended (tests/mended.h).
static void
endms(struct seenm *ms, int n, int batch)
{
	for (int i = 0; i < n; i += batch) {
		int k = n - i < batch ? n - i : batch;
		struct seenm *out = ms + i;
		wg_add(&mexitwg, k);
		for (int j = 0; j < k; j++) {
			go(lockedexit, &out[j]);
		}
		wg_wait(&mexitwg);
		for (int j = 0; j < k; j++) {
			while (!mended(&out[j])) {
				time_sleep(100 * Microsecond);
			}
		}
	}
}

// Ms that ended (not m0, which parks for good instead) take no
// preemption request: os_preemptm says it sent nothing, and nothing
// crashes. glibc keeps the stacks of 40 MiB of ended threads for reuse
// and unmaps the others, their pthread_t with them: 24 ended threads of
// 8 MiB stacks leave most pthread_ts dangling. An M that a new thread
// reuses already (newm's mreuse) is not ended any more: it is left out.
static void
preemptended(void *arg)
{
	struct seenm *e = arg;
	spin_lock(&sched.lock); // no reuse meanwhile
	if (e->mp != &m0 && e->mp->id == e->id && os_preemptm(e->mp)) {
		e->mp = NULL; // sent
	}
	spin_unlock(&sched.lock);
}

TEST(TestPreemptEndedM)
{
	enum { N = 24 };
	struct seenm ms[N];
	endms(ms, N, 4);
	time_sleep(20 * Millisecond); // the threads are through pthread_exit
	int sent = 0;
	for (int i = 0; i < N; i++) {
		systemstack(preemptended, &ms[i]);
		sent += ms[i].mp == NULL;
	}
	if (sent != 0) {
		t_errorf(t, "os_preemptm sent a preemption request to %d of %d Ms that had ended", sent, N);
	}
}

// Ms whose thread ended (a goroutine exited locked to it) give back their
// signal stacks (runtime/signal_linux.c's unminitsignals, as Go's
// mexit): after 64 of them ended, the signal stacks mapped are at most
// one for each M not ended (m0, which parks for good, keeps its own;
// minitsignals maps one a thread, once).
static struct waitgroup endedwg;

static void
endlocked(void *arg)
{
	(void)arg;
	runtime_lockosthread();
	wg_done(&endedwg); // then it exits, locked: its M ends
}

// The Ms not ended, on g0 (it takes sched.lock, which guards allm).
static void
countlivem(void *arg)
{
	long *live = arg;
	spin_lock(&sched.lock);
	for (struct m *mp = allm; mp != NULL; mp = mp->alllink) {
		// Load-acquire; pairs with mexit's store-release of exited.
		*live += mp == &m0 || !atomic_load_acq(&mp->exited);
	}
	spin_unlock(&sched.lock);
}

TEST(TestEndedMsGiveBackSignalStacks)
{
	for (int i = 0; i < 64; i += 8) {
		wg_add(&endedwg, 8);
		for (int j = 0; j < 8; j++) {
			go(endlocked, NULL);
		}
		wg_wait(&endedwg);
	}
	long stacks = 0, live = 0;
	int64_t deadline = time_nanotime() + 2 * Second;
	do {
		time_sleep(10 * Millisecond); // the ended Ms are through os_exitthread
		stacks = atomic_load_relaxed(&nsigstacks); // relaxed: a count
		live = 0;
		systemstack(countlivem, &live);
	} while (stacks > live && time_nanotime() < deadline);
	if (stacks > live) {
		t_errorf(t, "%ld signal stacks mapped after 64 Ms ended, for %ld Ms not ended", stacks, live);
	}
}

int
main(int argc, char **argv)
{
	const char *s = runtime_getenv("HOOD_SHORT");
	const char *shortopt = runtime_getenv("short");
	const char *sel = runtime_getenv("test");
	testing_short = (s != NULL && s[0] == '1') || (shortopt != NULL && strcmp(shortopt, "on") == 0);
	if (argc > 1) {
		sel = argv[1];
	}
	return testing_main(sel != NULL && sel[0] != '\0' ? sel : "all");
}

// The preemption signal at a goroutine's first instruction: gostart runs
// with rsp at the top of its stack, and the handler's check for a C
// library frame (signal_linux.c's incallback) read the word above it,
// the next slot's guard: "goroutine stack exceeds 1048576-byte limit"
// from inside the handler, in about one run in five of the hosted
// benchmarks. A thread here sends SIGURG to every M over and over while
// goroutines start by the thousand, so that some signals land there.
static volatile bool floodstop;
static struct waitgroup floodwg;

static void *
flood(void *arg)
{
	(void)arg;
	while (!floodstop) {
		// Relaxed: allm is only ever prepended to (under sched.lock); a
		// new M is missed at worst, until the next round.
		for (struct m *mp = atomic_load_relaxed(&allm); mp != NULL; mp = mp->alllink) {
			// Relaxed: an id, as os_preemptm reads it.
			pid_t tid = (pid_t)(intptr_t)atomic_load_relaxed(&mp->thread);
			if (tid != 0) {
				tgkill(getpid(), tid, SIGURG);
			}
		}
	}
	return NULL;
}

static void
floodspawned(void *arg)
{
	(void)arg;
	wg_done(&floodwg);
}

TEST(TestPreemptSignalAtGoroutineStart)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "no asynchronous preemption in this build (ThreadSanitizer)");
		return;
	}
	floodstop = false;
	pthread_t th;
	if (pthread_create(&th, NULL, flood, NULL) != 0) {
		t_fatalf(t, "pthread_create failed");
	}
	int64_t end = time_nanotime() + (testing_short ? 1 : 3) * Second;
	long n = 0;
	while (time_nanotime() < end) {
		wg_add(&floodwg, 1000);
		for (int i = 0; i < 1000; i++) {
			go(floodspawned, NULL);
		}
		wg_wait(&floodwg);
		n += 1000;
	}
	floodstop = true;
	pthread_join(th, NULL);
	t_logf(t, "%ld goroutines started under a flood of preemption signals", n);
}

// Sysmon gives back the stacks of dead Gs a few batches a pass
// (proc.c's gfreestacks): the 200,000 goroutines below leave over 100,000
// dead Gs, about 30 passes of them, and a burst that ends meanwhile must
// not wait behind them (before, it did in about one run in two: 2 s). Each period's dead
// Gs join the old list at its head; when they joined only once it was
// empty, a burst after TestMillionParkedGoroutines kept its 4,000 stacks
// through the 5 s TestDeadGoroutinesGiveStacksBack waited. Linux only: a
// backlog that size does not fit the guests' memory; nor the stack region
// of the sanitizers' builds, whose stacks are 4 and 8 MiB (runtests).
enum { BacklogGs = 200000, LateBurstGs = 4000 };
static struct waitgroup backlogwg;
static struct g *lateburst[LateBurstGs];

static void
backlogger(void *arg)
{
	intptr_t i = (intptr_t)arg;
	if (i >= 0) {
		lateburst[i] = getg();
	}
	time_sleep(i >= 0 ? 50 * Millisecond : 300 * Millisecond); // all alive at once
	wg_done(&backlogwg);
}

static int
lateburstwithstacks(void)
{
	int n = 0;
	for (int i = 0; i < LateBurstGs; i++) {
		n += readgstatus(lateburst[i]) == Gdead && testing_pagemapped(lateburst[i]->stackhi - 4096);
	}
	return n;
}

TEST(TestStackBacklogKeepsNoLaterBurst)
{
	uint64_t regionsize;
	os_stackregion(&regionsize);
	if (regionsize / stacksize() < 4 * BacklogGs) {
		t_logf(t, "the stack region holds %lu stacks of %lu bytes: too few for a backlog of %d",
		       (unsigned long)(regionsize / stacksize()), (unsigned long)stacksize(), BacklogGs);
		return;
	}
	wg_add(&backlogwg, BacklogGs);
	for (int i = 0; i < BacklogGs; i++) {
		go(backlogger, (void *)(intptr_t)-1);
	}
	wg_wait(&backlogwg);
	time_sleep(250 * Millisecond); // two of sysmon's periods: the backlog is old, its give-back begun
	wg_add(&backlogwg, LateBurstGs);
	for (int i = 0; i < LateBurstGs; i++) {
		go(backlogger, (void *)(intptr_t)i);
	}
	wg_wait(&backlogwg);
	int64_t start = time_nanotime(), deadline = start + 2 * Second;
	int most = 64 * gomaxprocs, kept; // the Ps' own lists keep theirs
	while ((kept = lateburstwithstacks()) > most && time_nanotime() < deadline) {
		time_sleep(10 * Millisecond);
	}
	int64_t took = time_nanotime() - start;
	t_logf(t, "the burst's stacks went back %ld ms after it ended", (long)(took / Millisecond));
	if (kept > most || took > Second) {
		t_errorf(t, "%d of %d dead goroutines kept their stacks for %ld ms behind a backlog of %d",
			 kept, LateBurstGs, (long)(took / Millisecond), BacklogGs);
	}
}
