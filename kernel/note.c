// note.c: the bare-metal notes; the contract is lib/lock.h. A sleeping
// thread's key is its struct kthread *. Built on kthread_park/kthread_unpark, whose
// one-shot permit closes the race between "I am about to sleep" and the
// wakeup: if notewakeup unparks the sleeper before it has parked, its park
// returns at once and it sees the note woken.

#include "kernel.h"
#include "kthread.h"
#include "lib/lock.h"
#include "timer.h"

void
noteclear(struct note *n)
{
	__atomic_store_n(&n->key, 0, __ATOMIC_RELAXED);
}

void
notewakeup(struct note *n)
{
	// Release: what the waker wrote before is visible to the sleeper
	// once it sees NOTE_WOKEN (acquire loads in notesleep).
	uintptr_t old = __atomic_exchange_n(&n->key, NOTE_WOKEN, __ATOMIC_ACQ_REL);
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
	uintptr_t expect = 0;
	if (__atomic_compare_exchange_n(&n->key, &expect, (uintptr_t)t, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		return true;
	}
	if (expect != NOTE_WOKEN) {
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
		// loop until the note itself says woken.
		while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) != NOTE_WOKEN) {
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
		if (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == NOTE_WOKEN) {
			return true;
		}
		if (nanotime() >= deadline) {
			// Take back the registration, unless a wakeup got there first.
			uintptr_t expect = (uintptr_t)self;
			return !__atomic_compare_exchange_n(&n->key, &expect, 0, false, __ATOMIC_ACQ_REL,
							    __ATOMIC_ACQUIRE);
		}
		// The timer is this CPU's, and this thread, pinned, stays here.
		ktimer_start(&t, deadline, timeout, self);
		kthread_park();
		ktimer_stop(&t);
	}
}
