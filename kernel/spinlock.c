// spinlock.c: see spinlock.h.

#include "cpu.h"
#include "kernel.h"
#include "spinlock.h"
#include "x86.h"

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
	if (c->nheld > 0 && c->held[c->nheld - 1]->rank >= l->rank) {
		struct spinlock *h = c->held[c->nheld - 1];
		fatalf("spin_lock: lock order: %s (rank %d) taken while holding %s (rank %d)", l->name,
		       l->rank, h->name, h->rank);
	}
	if (c->nheld == MAXHELD) {
		fatalf("spin_lock: %s: this CPU holds %d locks already", l->name, MAXHELD);
	}
	// Test and test-and-set: spin on a plain load so the cache line is not
	// bounced while someone holds the lock. The exchange is an acquire;
	// pairs with the release in spin_unlock.
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0) {
			cpu_pause();
		}
	}
	l->holder = c;
	c->held[c->nheld++] = l;
}

void
spin_unlock(struct spinlock *l)
{
	struct cpu *c = mycpu();
	if (!spin_holding(l)) {
		fatalf("spin_unlock: %s not held by this CPU", l->name);
	}
	// Locks are usually released in the reverse order, but need not be.
	int i = c->nheld - 1;
	while (c->held[i] != l) {
		i--;
	}
	for (; i < c->nheld - 1; i++) {
		c->held[i] = c->held[i + 1];
	}
	c->nheld--;
	l->holder = NULL;
	// Release: everything written under the lock is visible before the
	// next holder's acquire in spin_lock sees 0.
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	popcli();
}

// Whether this CPU holds l. Interrupts must be off (the answer would be
// stale once this CPU could be interrupted and the lock taken).
bool
spin_holding(struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) && l->holder == mycpu();
}
