// spinlock.c: see spinlock.h.

#include "spinlock.h"
#include "x86.h"

void
spin_lock(struct spinlock *l)
{
	uint64_t flags = readrflags();
	cli();
	// Test and test-and-set: spin on a plain load so the cache line is not
	// bounced while someone holds the lock. The exchange is an acquire;
	// pairs with the release in spin_unlock.
	for (;;) {
		if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
			break;
		}
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0) {
			cpu_pause();
		}
	}
	l->savedflags = flags;
}

bool
spin_trylock(struct spinlock *l)
{
	uint64_t flags = readrflags();
	cli();
	// Acquire; pairs with the release in spin_unlock.
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		if (flags & FL_IF) {
			sti();
		}
		return false;
	}
	l->savedflags = flags;
	return true;
}

void
spin_unlock(struct spinlock *l)
{
	uint64_t flags = l->savedflags;
	// Release: everything written under the lock is visible before the
	// next holder's acquire in spin_lock sees 0.
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	if (flags & FL_IF) {
		sti();
	}
}
