// lockosthread.c: LockOSThread: a G wired to its M (Go's counted
// lockOSThread, with its rule that a G exiting locked ends its M), and the
// hand-over of a P to such an M when its G becomes runnable. See
// runtime.h for the overview.

#include "include/hood.h"
#include "runtime/runtime.h"

// LockOSThread: the running G runs only on this M, and this M runs only
// it, until as many UnlockOSThreads (Go's counted lockOSThread). While the
// G blocks, its M parks and gives its P to another M.
void
lockOSThread(void)
{
	struct m *mp = acquirem();
	if (++mp->lockedExt == 0) {
		gothrow("LockOSThread nesting overflow");
	}
	mp->lockedg = mp->curg;
	mp->curg->lockedm = mp;
	releasem(mp);
}

void
unlockOSThread(void)
{
	struct m *mp = acquirem();
	if (mp->lockedExt > 0 && --mp->lockedExt == 0 && mp->lockedInt == 0) {
		mp->curg->lockedm = NULL;
		mp->lockedg = NULL;
	}
	releasem(mp);
}

// The locked M's wait: its P to others, then park until startlockedm
// hands it a P along with its G. An M that parks idle calls checkdead,
// as Go's stoplockedm does (incidlelocked(1)): if its G parked for good
// and nothing else can run, that is a deadlock to report, not a hang
// (TestLockedMainDeadlock). A G queued by exitsyscall0 before calling us
// is Grunnable, in the global queue: checkdead sees work then.
void
stoplockedm(void)
{
	struct m *mp = getm();
	if (mp->p != NULL) {
		handoffp(releasep());
	}
	spin_lock(&sched.lock);
	checkdead();
	spin_unlock(&sched.lock);
	notesleep(&mp->park);
	noteclear(&mp->park);
	acquirep(mp->nextp);
	mp->nextp = NULL;
}

// gp, runnable, is locked to another M: give that M our P (it runs gp at
// once, in schedule) and park this M until it is needed.
void
startlockedm(struct g *gp)
{
	struct m *lm = gp->lockedm;
	struct p *pp = releasep();
	lm->nextp = pp;
	notewakeup(&lm->park);
	stopm(0);
}

// The end of an M whose locked G exited: its P to another M, then the
// kernel thread ends, and the M goes on sched.freem for newm to reuse
// once the thread is done with it (Go's mexit). m0 is the boot flow and
// cannot end: it parks for good instead, as Go's m0 does.
void
mexit(void)
{
	struct m *mp = getm();
	handoffp(releasep());
	// Store-release: the M is done with its P and its G; pairs with the
	// load-acquire of those who check it ended (the test
	// TestExitLockedEndsItsM).
	atomic_store_rel(&mp->exited, true);
	if (mp != &m0) {
		spin_lock(&sched.lock);
		atomic_store_relaxed(&mp->freewait, 1); // under the lock, which publishes it
		mp->schedlink = sched.freem;
		sched.freem = mp;
		spin_unlock(&sched.lock);
		os_exitthread(&mp->freewait);
	}
	struct note never = {0};
	notesleep(&never);
	throw("mexit: m0 woke");
}

// Go's runtime.LockOSThread and UnlockOSThread.
void
runtime_lockosthread(void)
{
	lockOSThread();
}

void
runtime_unlockosthread(void)
{
	unlockOSThread();
}
