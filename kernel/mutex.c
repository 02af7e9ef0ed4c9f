// mutex.c: the bare-metal mutexes; the contract is lib/lock.h. A waiter queues itself (kthread.waitnext) and
// parks; unlock takes the first waiter off the queue, makes it the owner
// and unparks it, so the lock goes to the longest waiter, not to whoever
// runs first. The park/unpark permit closes the race between queueing and
// parking. While a thread holds or waits for mutexes (nopreempt counts
// its lock calls) the runtime does not switch its goroutine (trap.c,
// preempted): the owner is the thread, so the holder must stay the one
// goroutine on it.

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "lib/lock.h"
#include "x86.h"

// A mutex's owner and waiters are kernel threads; lock.h knows them only
// as struct lockowner.
static struct lockowner *
lockowner(struct kthread *t)
{
	return (struct lockowner *)t;
}

static struct kthread *
kthreadof(struct lockowner *o)
{
	return (struct kthread *)o;
}

// Early boot has no threads: one CPU, nothing to wait for but itself.
static struct kthread bootowner;

static struct kthread *
self(void)
{
	struct kthread *t = kthread_current();
	return t != NULL ? t : &bootowner;
}

// The running thread, pinned (kthread_pin): a preemption between reading
// it and counting could move the goroutine to another thread and have it
// lock in the old one's name.
static struct kthread *
pin(void)
{
	struct kthread *t = kthread_pin();
	return t != NULL ? t : &bootowner;
}

// Take m if it is free (or ours, when recursive). The caller's thread
// counts as holding a mutex (nopreempt) from before the attempt, so that
// its goroutine cannot change between here and the unlock.
static bool
take(struct mutex *m, struct kthread *me, bool recursive)
{
	spin_lock(&m->sl);
	if (m->owner == lockowner(me)) {
		if (!recursive) {
			spin_unlock(&m->sl);
			fatalf("mutex_lock: %s already held by this thread", m->name);
		}
		m->depth++;
		spin_unlock(&m->sl);
		return true;
	}
	bool got = m->owner == NULL;
	if (got) {
		m->owner = lockowner(me);
		m->depth = 1;
	}
	spin_unlock(&m->sl);
	return got;
}

bool
mutex_trylock(struct mutex *m, bool recursive)
{
	struct kthread *me = pin();
	if (take(m, me, recursive)) {
		return true;
	}
	me->nopreempt--;
	return false;
}

// Lock m, waiting as long as it takes. From the first attempt to the
// unlock the goroutine on this thread stays put: were it switched while
// queued, the handover would go to the thread, and whatever goroutine ran
// there next would find the mutex "held by this thread".
void
mutex_lock(struct mutex *m, bool recursive)
{
	struct kthread *me = pin();
	if (take(m, me, recursive)) {
		return;
	}
	if (me == &bootowner) {
		while (!take(m, me, recursive)) {
			cpu_pause();
		}
		return;
	}
	bool syscall = kthread_blockbegin(); // before m->sl: it may take runtime locks
	spin_lock(&m->sl);
	if (m->owner == NULL) {
		m->owner = lockowner(me);
		m->depth = 1;
		spin_unlock(&m->sl);
		kthread_blockend(syscall);
		return;
	}
	me->waitnext = NULL;
	if (m->waittail != NULL) {
		kthreadof(m->waittail)->waitnext = me;
	} else {
		m->waithead = lockowner(me);
	}
	m->waittail = lockowner(me);
	// Parks end early for older unparks: wait until the handover.
	while (m->owner != lockowner(me)) {
		spin_unlock(&m->sl);
		kthread_park();
		spin_lock(&m->sl);
	}
	spin_unlock(&m->sl);
	kthread_blockend(syscall); // may wait for a P, holding m: that is fine
}

void
mutex_unlock(struct mutex *m)
{
	spin_lock(&m->sl);
	if (m->owner != lockowner(self())) {
		spin_unlock(&m->sl);
		fatalf("mutex_unlock: %s not held by this thread", m->name);
	}
	struct kthread *me = kthreadof(m->owner), *next = NULL;
	if (--m->depth == 0) {
		next = kthreadof(m->waithead);
		if (next != NULL) {
			m->waithead = lockowner(next->waitnext);
			if (m->waithead == NULL) {
				m->waittail = NULL;
			}
			m->depth = 1;
		}
		m->owner = lockowner(next);
	}
	spin_unlock(&m->sl);
	if (next != NULL) {
		kthread_unpark(next);
	}
	kthread_unpin(me); // one per lock call, recursive ones too
}
