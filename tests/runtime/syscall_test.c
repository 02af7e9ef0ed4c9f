// syscall_test.c: goroutines that block in the machine (a kernel note, a
// contended mutex): their P runs others meanwhile (entersyscall, sysmon's
// retake), and they come back with a P however they find the Ps
// (exitsyscall's fast and slow paths). The tests set GOMAXPROCS to 1 or
// 2, where a P kept by a blocked goroutine would stop the program.

#include <stdlib.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

struct blocker {
	struct note wake;
	int state; // Atomic: 0 not yet, 1 about to block, 2 back
	struct g *gp;
	struct m *before, *after; // its M before and after the wait
	struct waitgroup wg;
};

static void
blockinkernel(void *arg)
{
	struct blocker *b = arg;
	b->gp = getg();
	b->before = getm();
	// Store-release: publishes gp and before; pairs with the load-acquire
	// in startblocker, which then reads b->gp.
	atomic_store_rel(&b->state, 1);
	notesleep(&b->wake); // a kernel wait: the hook makes it a syscall
	b->after = getm();
	// Store-release: publishes after; pairs with the tests' load-acquires
	// of state that wait for 2.
	atomic_store_rel(&b->state, 2);
	wg_done(&b->wg);
}

// A goroutine blocked on a note, in its syscall: main yields until it
// is, at most 5 s; NULL if it never got there.
static struct blocker *
startblocker(void)
{
	struct blocker *b = calloc(1, sizeof *b);
	wg_add(&b->wg, 1);
	go(blockinkernel, b);
	int64_t deadline = time_nanotime() + 5 * Second;
	// Load-acquire; pairs with blockinkernel's first store-release.
	while (atomic_load_acq(&b->state) != 1 || readgstatus(b->gp) != Gsyscall) {
		if (time_nanotime() > deadline) {
			return NULL;
		}
		runtime_gosched();
	}
	return b;
}

// At GOMAXPROCS=1, main yields to a goroutine that blocks on a note; main
// runs again only if sysmon hands the blocked goroutine's P on. Then main
// wakes it and yields until it is back (exitsyscall finds its P idle or
// taken, and gets one).
TEST(TestBlockingCallHandsOffP)
{
	int old = runtime_gomaxprocs(1);
	struct blocker *b = startblocker();
	if (b == NULL) {
		t_fatalf(t, "the goroutine never got into its kernel wait");
	}
	// Here main runs: the P left the blocked goroutine.
	notewakeup(&b->wake);
	wg_wait(&b->wg);
	// Load-acquire; pairs with blockinkernel's second store-release
	// (wg_wait has ordered it already).
	if (atomic_load_acq(&b->state) != 2) {
		t_errorf(t, "the goroutine did not come back from its wait");
	}
	free(b);
	runtime_gomaxprocs(old);
}

// The slow path: the goroutine's wait ends while main holds the only P
// and spins without yielding. It waits on its own M, queued, until
// sysmon preempts main (10 ms); then it runs, on its own M.
TEST(TestSyscallReturnWaitsForP)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "needs preemption at any instruction, which this build lacks");
		return;
	}
	int old = runtime_gomaxprocs(1);
	struct blocker *b = startblocker();
	if (b == NULL) {
		t_fatalf(t, "the goroutine never got into its kernel wait");
	}
	notewakeup(&b->wake);
	int64_t deadline = time_nanotime() + 5 * Second;
	// Load-acquire; pairs with blockinkernel's second store-release.
	while (atomic_load_acq(&b->state) != 2) {
		if (time_nanotime() > deadline) {
			t_fatalf(t, "the woken goroutine never got a P back");
		}
	}
	wg_wait(&b->wg);
	if (b->after != b->before) {
		t_errorf(t, "the goroutine left its M while waiting for a P");
	}
	free(b);
	runtime_gomaxprocs(old);
}

// The deadlock that made the runtime allocate without newlib: goroutines
// contend for malloc's sleeping lock on two Ps while new goroutines are
// created; a holder woken without a P must get one while the others wait
// for the lock. Every goroutine finishes.
static struct waitgroup mallocwg;

static void
mallocone(void *arg)
{
	free(malloc(32 + (uintptr_t)arg));
	wg_done(&mallocwg);
}

static void
mallocloop(void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		void *p = malloc(64 + i);
		if (p == NULL) {
			throw("mallocloop: out of memory");
		}
		free(p);
		if (i % 50 == 0) {
			wg_add(&mallocwg, 1);
			go(mallocone, (void *)(uintptr_t)i);
		}
	}
	wg_done(&mallocwg);
}

TEST(TestMallocContention)
{
	(void)t; // it fails by never finishing (the runner's timeout)
	int old = runtime_gomaxprocs(2);
	wg_add(&mallocwg, 20);
	for (int i = 0; i < 20; i++) {
		go(mallocloop, NULL);
	}
	wg_wait(&mallocwg);
	runtime_gomaxprocs(old);
}

// A contended kernel mutex is a syscall too. At GOMAXPROCS=2 a holder
// keeps the lock (and its P, spinning) until the waiter is in Gsyscall
// and a third goroutine, queued meanwhile, has run on the waiter's P.
static struct mutex turnlock = MUTEX_INIT("turnlock");
static struct waitgroup turnwg;
static struct g *waiter;     // Atomic
static int locked, thirdran; // Atomic

static void
third(void *arg)
{
	(void)arg;
	// Store-release; pairs with holder's load-acquire of thirdran.
	atomic_store_rel(&thirdran, 1);
	wg_done(&turnwg);
}

static void
holder(void *arg)
{
	bool *ok = arg;
	mutex_lock(&turnlock, false);
	// Store-release; pairs with lockwaiter's load-acquire: the lock is
	// held.
	atomic_store_rel(&locked, 1);
	int64_t deadline = time_nanotime() + 5 * Second;
	struct g *gp;
	// Load-acquires: waiter's pairs with lockwaiter's store-release (the
	// G, whose status is read next), thirdran's with third's.
	while ((gp = atomic_load_acq(&waiter)) == NULL || readgstatus(gp) != Gsyscall ||
	       !atomic_load_acq(&thirdran)) {
		if (time_nanotime() > deadline) {
			*ok = false;
			break;
		}
	}
	mutex_unlock(&turnlock);
	wg_done(&turnwg);
}

static void
lockwaiter(void *arg)
{
	(void)arg;
	// Load-acquire; pairs with holder's store-release of locked.
	while (!atomic_load_acq(&locked)) {
		runtime_gosched();
	}
	// Store-release: publishes this G; pairs with holder's load-acquire.
	atomic_store_rel(&waiter, getg());
	go(third, NULL); // queued on this P, which the wait must lend out
	mutex_lock(&turnlock, false);
	mutex_unlock(&turnlock);
	wg_done(&turnwg);
}

TEST(TestContendedMutexIsASyscall)
{
	int old = runtime_gomaxprocs(2);
	bool ok = true;
	waiter = NULL;
	locked = thirdran = 0;
	wg_add(&turnwg, 3);
	go(holder, &ok);
	go(lockwaiter, NULL);
	wg_wait(&turnwg);
	if (!ok) {
		t_errorf(t,
			 "in 5 s the waiter was not seen in its syscall with its P lent out "
			 "(waiter status %u, third ran %d)",
			 readgstatus(waiter), thirdran);
	}
	runtime_gomaxprocs(old);
}
