// lock_futex.c: the hosted port's spinlocks, notes and mutexes, on Linux
// futexes (Go's lock_futex.go). The contract is lib/lock.h, shared by
// both ports; only what waits differs: here a thread sleeps in futex(2),
// there a kernel thread parks. See os.h for the machine interface and
// os_linux.h for the rest of the port.
//
// Each thread has a struct lockowner (lock.h leaves it to the port): the
// spinlocks it holds, in order, for the rank check (lib/lockrank.h), and
// its pins. It owns the mutexes it takes, and its held-lock list names it
// as the holder of its spinlocks. While a thread holds a spinlock or is pinned (a note slept on,
// a mutex held or waited for), the preemption signal leaves its goroutine
// alone (signal_linux.c), as the bare-metal kernel does.
//
// Words the futex calls wait on: a note's key (0 clear, NOTE_WOKEN), and a
// mutex's m->sl.locked (0 free, 1 held, 2 held and waited for: Drepper's
// "Futexes are tricky", mutex 2), whose owner and depth the holder keeps.

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "runtime/os_linux.h"
#include "runtime/runtime.h"

struct lockowner {
	struct heldlocks locks; // in the order taken
	int nopreempt;          // pins: > 0, the goroutine stays on this thread
};

static __thread struct lockowner thisthread;

static void futexwait(uint32_t *addr, uint32_t val, int64_t ns);
static void futexwake(uint32_t *addr, int n);

// ---- the thread ------------------------------------------------------------

// Whether the preemption signal must leave this thread's goroutine alone:
// it holds a spinlock or is pinned.
bool
thread_nopreempt(void)
{
	return held_count(&thisthread.locks) > 0 || thisthread.nopreempt > 0;
}

static struct lockowner *
pin(void)
{
	thisthread.nopreempt++;
	return &thisthread;
}

static void
unpin(void)
{
	thisthread.nopreempt--;
}

// ---- spinlocks -------------------------------------------------------------

void
spin_init(struct spinlock *l, const char *name, int rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

bool
spin_holding(struct spinlock *l)
{
	// Relaxed: only this thread can have stored itself as the holder;
	// others' stores (under the lock) just are not it.
	return atomic_load_relaxed(&l->locked) && atomic_load_relaxed(&l->holder) == &thisthread.locks;
}

void
spin_lock(struct spinlock *l)
{
	struct lockowner *c = &thisthread;
	if (spin_holding(l)) {
		fatalf("spin_lock: %s already held by this thread", l->name);
	}
	held_check(&c->locks, l, "thread");
	// Counted before the spin: the preemption signal must not move the
	// goroutine between here and the unlock.
	held_push(&c->locks, l);
	// Test and test-and-set, backing off on a channel's lock (lib/lock.h).
	// The exchange is an acquire; pairs with the release in spin_unlock:
	// what the last holder wrote is visible. The test is relaxed, a peek
	// that orders nothing. A holder may be descheduled by Linux: yield the
	// CPU after a while rather than spin out its time slice.
	for (int spins = 0, backoff = 1; atomic_xchg_acq(&l->locked, 1) != 0;) {
		while (atomic_load_relaxed(&l->locked) != 0) {
			if (++spins % 128 == 0) {
				sched_yield();
			} else {
				spin_backoff(l, &backoff);
			}
		}
	}
	atomic_store_relaxed(&l->holder, &c->locks); // read by spin_holding
}

void
spin_unlock(struct spinlock *l)
{
	struct lockowner *c = &thisthread;
	if (!spin_holding(l)) {
		fatalf("spin_unlock: %s not held by this thread", l->name);
	}
	atomic_store_relaxed(&l->holder, NULL);
	// Release; pairs with the acquire exchange in spin_lock: what was
	// written under the lock is visible to the next holder.
	atomic_store_rel(&l->locked, 0);
	held_remove(&c->locks, l); // after the release: not preempted while it still holds l
}

// ---- notes -------------------------------------------------------------------

// The note's key as the futex word: the low half of the uintptr_t, which
// on x86-64 (little-endian) is its first 32 bits.
static uint32_t *
noteword(struct note *n)
{
	return (uint32_t *)&n->key;
}

void
noteclear(struct note *n)
{
	// Relaxed: nobody sleeps on a note being cleared (lock.h), and the
	// sleeper that comes later was started after this by its own means.
	atomic_store_relaxed(&n->key, 0);
}

void
notewakeup(struct note *n)
{
	// Acquire-release; the release pairs with the acquire loads in
	// notetsleep: what the waker wrote is visible to the sleeper once it
	// sees NOTE_WOKEN. (The acquire half orders nothing more; a double
	// wakeup throws anyway.)
	if (atomic_xchg_acqrel(&n->key, NOTE_WOKEN) == NOTE_WOKEN) {
		throw("notewakeup: double wakeup");
	}
	futexwake(noteword(n), INT_MAX);
}

void
notesleep(struct note *n)
{
	notetsleep(n, -1);
}

// Sleep until woken or for ns nanoseconds (ns < 0: no limit); true if
// woken. The goroutine, if any, is in a syscall meanwhile (its P lent out).
bool
notetsleep(struct note *n, int64_t ns)
{
	// Acquire (here and below); pairs with the exchange in notewakeup.
	if (atomic_load_acq(&n->key) == NOTE_WOKEN) {
		return true;
	}
	pin();
	bool syscall = blockbegin();
	// Saturated: now + ns overflows for ns near INT64_MAX (stopm's
	// until - now for a timer at MaxWhen; TestNoteSleepLongTimeout). The
	// clock is read only for a timed sleep: a goroutine's blocking wait
	// (ns < 0) needs no deadline.
	int64_t deadline = 0;
	if (ns >= 0) {
		int64_t now = nanotime();
		deadline = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	}
	while (atomic_load_acq(&n->key) != NOTE_WOKEN) { // pairs with notewakeup's exchange
		int64_t left = -1;
		if (ns >= 0 && (left = deadline - (int64_t)nanotime()) <= 0) {
			break;
		}
		futexwait(noteword(n), 0, left);
	}
	blockend(syscall);
	unpin();
	// Load-acquire; pairs with notewakeup's exchange, as the loop's.
	return atomic_load_acq(&n->key) == NOTE_WOKEN;
}

// ---- mutexes -----------------------------------------------------------------

// The owner is the thread, as on bare metal the kernel thread is: the
// goroutine stays pinned from the lock to the unlock.
static struct lockowner *
self(void)
{
	return &thisthread;
}

// The owner is read without the lock (is it me?) and written by the
// holder: relaxed atomics, as a spinlock's holder.
static struct lockowner *
owner(struct mutex *m)
{
	return atomic_load_relaxed(&m->owner);
}

static void
setowner(struct mutex *m, struct lockowner *t)
{
	atomic_store_relaxed(&m->owner, t);
}

static bool
take(struct mutex *m, bool recursive)
{
	if (owner(m) == self()) {
		if (!recursive) {
			fatalf("mutex_lock: %s already held by this thread", m->name);
		}
		m->depth++;
		return true;
	}
	// Acquire; pairs with the release exchange in mutex_unlock.
	if (atomic_cas_acq(&m->sl.locked, 0, 1)) {
		setowner(m, self());
		m->depth = 1;
		return true;
	}
	return false;
}

bool
mutex_trylock(struct mutex *m, bool recursive)
{
	pin();
	if (take(m, recursive)) {
		return true;
	}
	unpin();
	return false;
}

void
mutex_lock(struct mutex *m, bool recursive)
{
	pin();
	if (take(m, recursive)) {
		return;
	}
	bool syscall = blockbegin();
	// Mark it waited for (2); whoever unlocks a 2 wakes one waiter.
	// Acquire; pairs with the release exchange in mutex_unlock.
	while (atomic_xchg_acq(&m->sl.locked, 2) != 0) {
		futexwait(&m->sl.locked, 2, -1);
	}
	setowner(m, self());
	m->depth = 1;
	blockend(syscall);
}

void
mutex_unlock(struct mutex *m)
{
	if (owner(m) != self()) {
		fatalf("mutex_unlock: %s not held by this thread", m->name);
	}
	if (--m->depth == 0) {
		setowner(m, NULL);
		// Release; pairs with the acquires in take (the CAS) and
		// mutex_lock (the exchange).
		if (atomic_xchg_rel(&m->sl.locked, 0) == 2) {
			futexwake(&m->sl.locked, 1);
		}
	}
	unpin(); // one per lock call, recursive ones too
}

// ---- futex(2) ------------------------------------------------------------------

// Sleep while *addr == val, at most ns nanoseconds (ns < 0: no limit).
// Returns early on a wakeup, a signal, or a changed word: callers recheck.
// errno (EAGAIN, ETIMEDOUT, EINTR: all normal here) is the goroutine's
// that waits, which never asked for the wait (os.h, "the C library's
// state"): it is put back, as Go's futexsleep returns the error instead
// of setting one.
static void
futexwait(uint32_t *addr, uint32_t val, int64_t ns)
{
	struct timespec ts, *tp = NULL;
	if (ns >= 0) {
		ts.tv_sec = ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		tp = &ts;
	}
	int err = errno;
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tp, NULL, 0);
	errno = err;
}

static void
futexwake(uint32_t *addr, int n)
{
	int err = errno;
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	errno = err;
}
