// mutex.c: see mutex.h. A waiter queues itself (kthread.waitnext) and
// parks; unlock takes the first waiter off the queue, makes it the owner
// and unparks it, so the lock goes to the longest waiter, not to whoever
// runs first. The park/unpark permit closes the race between queueing and
// parking.

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "mutex.h"
#include "x86.h"

// Early boot has no threads: one CPU, nothing to wait for but itself.
static struct kthread bootowner;

static struct kthread *
self(void)
{
	struct kthread *t = kthread_current();
	return t != NULL ? t : &bootowner;
}

bool
mutex_trylock(struct mutex *m, bool recursive)
{
	struct kthread *me = self();
	spin_lock(&m->sl);
	if (m->owner == me) {
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
		m->owner = me;
		m->depth = 1;
	}
	spin_unlock(&m->sl);
	return got;
}

void
mutex_lock(struct mutex *m, bool recursive)
{
	if (mutex_trylock(m, recursive)) {
		return;
	}
	struct kthread *me = self();
	if (me == &bootowner) {
		while (!mutex_trylock(m, recursive)) {
			cpu_pause();
		}
		return;
	}
	spin_lock(&m->sl);
	if (m->owner == NULL) {
		m->owner = me;
		m->depth = 1;
		spin_unlock(&m->sl);
		return;
	}
	me->waitnext = NULL;
	if (m->waittail != NULL) {
		m->waittail->waitnext = me;
	} else {
		m->waithead = me;
	}
	m->waittail = me;
	// Parks end early for older unparks: wait until the handover.
	while (m->owner != me) {
		spin_unlock(&m->sl);
		kthread_park();
		spin_lock(&m->sl);
	}
	spin_unlock(&m->sl);
}

void
mutex_unlock(struct mutex *m)
{
	spin_lock(&m->sl);
	if (m->owner != self()) {
		spin_unlock(&m->sl);
		fatalf("mutex_unlock: %s not held by this thread", m->name);
	}
	struct kthread *next = NULL;
	if (--m->depth == 0) {
		next = m->waithead;
		if (next != NULL) {
			m->waithead = next->waitnext;
			if (m->waithead == NULL) {
				m->waittail = NULL;
			}
			m->depth = 1;
		}
		m->owner = next;
	}
	spin_unlock(&m->sl);
	if (next != NULL) {
		kthread_unpark(next);
	}
}
