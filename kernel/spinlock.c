// spinlock.c: the bare-metal spinlocks; the contract is lib/lock.h. The
// holder is a CPU: its held-lock list is in its struct cpu.

#include "cpu.h"
#include "kernel.h"
#include "memlayout.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "x86.h"

enum { PROBEPAGES = 3 }; // stack a memory lock's holder may use, in pages

static void probestack(struct cpu *c, struct spinlock *l);

void
spin_init(struct spinlock *l, const char *name, int rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

void
spin_lock(struct spinlock *l)
{
	pushcli();
	struct cpu *c = mycpu();
	if (spin_holding(l)) {
		fatalf("spin_lock: %s already held by this CPU", l->name);
	}
	held_check(&c->locks, l, "CPU");
	probestack(c, l);
	// Test and test-and-set: spin on a plain load so the cache line is not
	// bounced while someone holds the lock. The exchange is an acquire;
	// pairs with the store-release in spin_unlock. The inner load is
	// relaxed: it only waits, and the exchange takes the lock.
	while (atomic_xchg_acq(&l->locked, 1) != 0) {
		while (atomic_load_relaxed(&l->locked) != 0) {
			cpu_pause();
		}
	}
	l->holder = &c->locks;
	held_push(&c->locks, l);
}

void
spin_unlock(struct spinlock *l)
{
	struct cpu *c = mycpu();
	if (!spin_holding(l)) {
		fatalf("spin_unlock: %s not held by this CPU", l->name);
	}
	held_remove(&c->locks, l);
	l->holder = NULL;
	// Store-release; pairs with the exchange-acquire in spin_lock:
	// everything written under the lock is visible to the next holder.
	atomic_store_rel(&l->locked, 0);
	popcli();
}

// A page fault on a goroutine stack maps a page there, taking the frame
// allocator's and the page tables' locks (runtime/stack.c). So code on a
// goroutine stack (sbrk for malloc, persistentalloc) must not fault on
// its stack while it holds one of the memory locks (rank up to
// LOCK_PHYSMEM): before it takes the first, touch the PROBEPAGES pages
// below its stack pointer, so that the faults come now. Near the bottom of
// a goroutine's stack that is its overflow, a little early.
static void
probestack(struct cpu *c, struct spinlock *l)
{
	uint64_t sp = readrsp();
	if (l->rank > LOCK_PHYSMEM || c->locks.n > 0 || sp < GSTACKS || sp >= GSTACKS + GSTACKS_SIZE) {
		return;
	}
	for (int i = 1; i <= PROBEPAGES; i++) {
		(void)*(volatile char *)(sp - i * PGSIZE);
	}
}

bool
spin_holding(struct spinlock *l)
{
	// Relaxed: only this CPU's own holding matters, which it wrote itself.
	return atomic_load_relaxed(&l->locked) && l->holder == &mycpu()->locks;
}
