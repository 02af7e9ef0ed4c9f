// syscall.c: Go code that blocks in the machine (Go's entersyscall and
// exitsyscall): its P is lent to other Ms meanwhile. The machine calls
// these around each of its waits (kernel/kthread.h). See runtime.h for
// the overview.

#include "runtime/runtime.h"

static void exitsyscall0(struct g *gp);

// entersyscall: the running G is about to block in the machine (the
// kernel's hook, kernel/kthread.h: a note, a mutex, console input). Its P
// goes to Psyscall, held by no M: sysmon's retake hands it to another M
// if the wait lasts and there is work, and stopTheWorld takes it. Not for
// the scheduler's own waits (no P, on g0, or m->locks > 0): those keep
// what they have. Go's entersyscall (reentersyscall). Runs on the G's
// stack, its thread pinned.
// The words of [lo, hi) into regs, the rest of regs zeroed. Word by
// word, volatile, not memcpy: AddressSanitizer would call the frame's
// red zones out of bounds (a copy of them is harmless).
static void __attribute__((no_sanitize_address))
copyframe(uint64_t *regs, uint64_t lo, uint64_t hi)
{
	size_t i = 0;
	for (volatile uint64_t *w = (volatile uint64_t *)lo; w < (volatile uint64_t *)hi; w++) {
		regs[i++] = *w;
	}
	for (; i < sizeof ((struct g *)0)->syscallregs / sizeof regs[0]; i++) {
		regs[i] = 0;
	}
}

bool
entersyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (mp->p == NULL || gp == NULL || mp->cur != gp || mp->locks > 0) {
		return false;
	}
	mp->locks++;
	// For tracebacks of the G meanwhile: the frame of the function that
	// blocks (notesleep, mutex_lock, ...), which called the machine's
	// hook that called us. It lives until the wait is over; the hook's
	// own frame does not.
	uint64_t *hook = (uint64_t *)*(uint64_t *)__builtin_frame_address(0);
	gp->syscallpc = hook[1];
	gp->syscallbp = hook[0];
	// For the collector while the G waits: its stack from the caller's
	// frame up, and the registers its frames left their pointers in.
	// __builtin_unwind_init spills every callee-saved register into this
	// frame, between its locals and its saved rbp, which goes when we
	// return: so the frame, the spills with it, is copied into the G,
	// which the collector scans with persistentalloc's chunks. (The
	// waits below may save and reuse the registers; the values the G's
	// frames need are these.)
	__builtin_unwind_init();
	volatile uint64_t here = 0;
	uint64_t lo = (uint64_t)&here, hi = (uint64_t)__builtin_frame_address(0) + 8;
	if (hi - lo > sizeof gp->syscallregs) {
		throw("entersyscall: frame larger than g.syscallregs");
	}
	copyframe(gp->syscallregs, lo, hi);
	gp->syscallsp = hi + 8;
	casgstatus(gp, Grunning, Gsyscall);
	struct p *pp = mp->p;
	atomic_store_relaxed(&pp->m, NULL); // relaxed: sysmon peeks (preemptone)
	mp->p = NULL;
	mp->oldp = pp;
	// Seq_cst store, then seq_cst load of gcwaiting: pairs with
	// stopTheWorldWithSema's store of gcwaiting, then its CAS of each
	// Psyscall (Dekker): either it takes pp or we give it.
	atomic_store(&pp->status, Psyscall);
	if (atomic_load(&sched.gcwaiting)) {
		spin_lock(&sched.lock);
		// CAS seq_cst; races stopTheWorldWithSema's, retake's and
		// exitsyscall's CAS on the same Psyscall: one wins.
		if (sched.stopwait > 0 && atomic_cas(&pp->status, Psyscall, Pgcstop) &&
		    --sched.stopwait == 0) {
			notewakeup(&sched.stopnote);
		}
		spin_unlock(&sched.lock);
	}
	mp->locks--;
	return true;
}

// exitsyscall: the G's wait in the machine is over. Take back its P if
// nobody took it (the usual case), or an idle one; else wait for one on
// this M. The G cannot move to another M here, as a Go G would: what it
// blocked in (a mutex it now holds, say) belongs to this kernel thread.
// So it waits as a locked G does: queued, runnable, locked to this M for
// the moment, until a scheduler hands this M a P to run it (startlockedm).
void
exitsyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	mp->locks++;
	struct p *pp = mp->oldp;
	mp->oldp = NULL;
	// CAS acq_rel. Acquire: pairs with entersyscall's store (and retake's
	// and stopTheWorld's CAS, which we lose to). Release: pairs with the
	// load-acquires of the status in sysmon and stopTheWorldWithSema.
	if (pp != NULL && atomic_cas_acqrel(&pp->status, Psyscall, Prunning)) {
		mp->p = pp;
		atomic_store_relaxed(&pp->m, mp);                            // relaxed: sysmon peeks
		atomic_store_relaxed(&pp->syscalltick, pp->syscalltick + 1); // relaxed: sysmon compares it
		casgstatus(gp, Gsyscall, Grunning);
		mp->locks--;
		return;
	}
	mcall(exitsyscall0);
	// Back on this M with a P; the lock to it was only for the wait.
	if (--mp->lockedInt == 0 && mp->lockedExt == 0) {
		gp->lockedm = NULL;
		mp->lockedg = NULL;
	}
}

// exitsyscall's slow path, on g0: an idle P now, or queue gp locked to
// this M and park until the scheduler picks it. Never returns.
static void
exitsyscall0(struct g *gp)
{
	struct m *mp = getm();
	casgstatus(gp, Gsyscall, Grunnable);
	dropg(mp);
	mp->locks--;
	mp->lockedInt++;
	mp->lockedg = gp;
	gp->lockedm = mp;
	spin_lock(&sched.lock);
	struct p *pp = sched.gcwaiting ? NULL : pidleget();
	if (pp == NULL) {
		globrunqput(gp);
	}
	spin_unlock(&sched.lock);
	if (pp != NULL) {
		acquirep(pp);
		execute(gp, false);
	}
	stoplockedm();
	execute(gp, false);
}
