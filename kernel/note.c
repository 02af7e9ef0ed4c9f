// note.c: the bare-metal notes; the contract is lib/lock.h. A sleeping
// thread's key is its struct kthread *. Built on kthread_park/kthread_unpark, whose
// one-shot permit closes the race between "I am about to sleep" and the
// wakeup: if notewakeup unparks the sleeper before it has parked, its park
// returns at once and it sees the note woken.

#include "kernel.h"
#include "kthread.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "timer.h"

void
noteclear(struct note *n)
{
	// Relaxed: nobody sleeps on the note or wakes it now (lib/lock.h's
	// rule), and whoever uses it next is ordered after this by the way
	// the note is handed over (a lock, or the M's own park).
	atomic_store_relaxed(&n->key, 0);
}

void
notewakeup(struct note *n)
{
	// Exchange, acquire and release. Release: what the waker wrote
	// before is visible to the sleeper once it sees NOTE_WOKEN; pairs
	// with the load-acquires in notesleep and sleepuntil and with the
	// CAS in enter. Acquire: the sleeper's kthread, read from the key,
	// was registered by enter's CAS-release.
	uintptr_t old = atomic_xchg_acqrel(&n->key, NOTE_WOKEN);
	if (old == NOTE_WOKEN) {
		throw("notewakeup: double wakeup");
	}
	if (old != 0) {
		kthread_unpark((struct kthread *)old);
	}
}

// Register the thread t as the sleeper; false if already woken.
static bool
enter(struct note *n, struct kthread *t)
{
	// CAS, acquire and release: publishes t to notewakeup's exchange
	// (acquire there), and, if it fails on NOTE_WOKEN, acquires what the
	// waker wrote (pairs with notewakeup's release). What made it fail:
	// NOTE_WOKEN, or another sleeper, a broken rule.
	uintptr_t seen = atomic_casv_acqrel(&n->key, 0, (uintptr_t)t);
	if (seen == 0) {
		return true;
	}
	if (seen != NOTE_WOKEN) {
		throw("notesleep: two threads sleep on one note");
	}
	return false;
}

// A goroutine that sleeps on a note blocks its kernel thread, and stays
// pinned to it (kthread_pin) meanwhile: the wakeup goes to that thread.
void
notesleep(struct note *n)
{
	struct kthread *self = kthread_pin();
	if (enter(n, self)) {
		bool syscall = kthread_blockbegin();
		// A park may also end because of an older, unrelated unpark:
		// loop until the note itself says woken. Load-acquire; pairs
		// with the exchange-release in notewakeup.
		while (atomic_load_acq(&n->key) != NOTE_WOKEN) {
			kthread_park();
		}
		kthread_blockend(syscall);
	}
	kthread_unpin(self);
}

static bool sleepuntil(struct note *n, struct kthread *self, uint64_t deadline);

static void
timeout(void *arg)
{
	kthread_unpark(arg);
}

// Sleep until woken or until ns nanoseconds have passed (ns < 0: no
// limit). True if woken. On a timeout the note is clear again, as Go's
// notetsleep leaves it, unless a wakeup raced in, which then counts.
bool
notetsleep(struct note *n, int64_t ns)
{
	if (ns < 0) {
		notesleep(n);
		return true;
	}
	struct kthread *self = kthread_pin();
	bool woken = true;
	if (enter(n, self)) {
		bool syscall = kthread_blockbegin();
		woken = sleepuntil(n, self, nanotime() + ns);
		kthread_blockend(syscall);
	}
	kthread_unpin(self);
	return woken;
}

// notetsleep's wait, registered as the sleeper already.
static bool
sleepuntil(struct note *n, struct kthread *self, uint64_t deadline)
{
	struct ktimer t = {0};
	for (;;) {
		// Load-acquire; pairs with the exchange-release in notewakeup.
		if (atomic_load_acq(&n->key) == NOTE_WOKEN) {
			return true;
		}
		if (nanotime() >= deadline) {
			// Take back the registration, unless a wakeup got there
			// first. CAS, acquire and release: on success it races
			// notewakeup's exchange, which then sees 0 and unparks
			// nobody; on failure (woken) it acquires, pairing with the
			// exchange's release as the loads above do.
			return !atomic_cas_acqrel(&n->key, (uintptr_t)self, 0);
		}
		// The timer is this CPU's, and this thread, pinned, stays here.
		ktimer_start(&t, deadline, timeout, self);
		kthread_park();
		ktimer_stop(&t);
	}
}
