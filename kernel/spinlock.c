// spinlock.c: the bare-metal spinlocks; the contract is lib/lock.h. The
// holder is a CPU: its held-lock list is in its struct cpu.

#include "cpu.h"
#include "kernel.h"
#include "memlayout.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "x86.h"

enum {
	PROBESTACK = 2048, // bytes of stack a spinlock's holder may use
};
_Static_assert((int)PROBESTACK <= (int)PGSIZE, "probestack: one load proves at most the page below");

static void probestack(struct cpu *c);

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
	probestack(c);
	// Test and test-and-set: spin on a plain load so the cache line is not
	// bounced while someone holds the lock, backing off on a channel's
	// (lib/lock.h). The exchange is an acquire; pairs with the
	// store-release in spin_unlock. The inner load is relaxed: it only
	// waits, and the exchange takes the lock.
	for (int backoff = 1; atomic_xchg_acq(&l->locked, 1) != 0;) {
		while (atomic_load_relaxed(&l->locked) != 0) {
			spin_backoff(l, &backoff);
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
// allocator's and the page tables' locks (runtime/stack.c). So kernel work
// entered from a goroutine, on its stack (a thread switch, an unpark, a
// mutex, kprintf; sbrk for malloc), must not fault on that stack while it
// holds a spinlock: below a memory lock the fault would take the same
// lock again, below any other one it would take physmem out of rank order
// (`physmem (rank 30) taken while holding runq (rank 50)`, from switchto).
// So before the first spinlock is taken on a goroutine stack, touch the
// stack PROBESTACK bytes below its pointer: the page of the pointer is
// mapped, so one load at most maps the page below, now, with no lock
// held, and the locked work finds its pages there. PROBESTACK is twice
// what the deepest locked path of the kernel uses (gcc -fstack-usage:
// switchto, timer_rearm and swtch under the run list's lock, about 300
// bytes; persistentalloc or sbrk mapping a page, down to physmem_alloc
// under the page tables' lock, about 500; kprintf formats before it
// locks). It is no more, because every page it maps stays with the
// goroutine: a probe of three pages made each sleeping goroutine cost
// 19 KiB (its timer is allocated on its stack, under persistentalloc's
// lock; tests/kernel/parkcost_test.c). The page-fault handler
// (runtime/os_hood.c) turns a fault that comes under a lock anyway into a
// fatal error of its own. Go has no such probe: its runtime takes locks
// on g0 or within the nosplit budget (StackGuard) that every function's
// prologue guarantees; here the pages of a growing stack are proved
// present instead. Near the bottom of a goroutine's stack the probe is its
// overflow, a little early.
static void
probestack(struct cpu *c)
{
	uint64_t sp = readrsp();
	if (held_count(&c->locks) > 0 || sp < GSTACKS || sp >= GSTACKS + GSTACKS_SIZE) {
		return;
	}
	(void)*(volatile char *)(sp - PROBESTACK);
}

bool
spin_holding(struct spinlock *l)
{
	// Relaxed: only this CPU's own holding matters, which it wrote itself.
	return atomic_load_relaxed(&l->locked) && l->holder == &mycpu()->locks;
}
