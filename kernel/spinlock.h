// spinlock.h: mutual exclusion between CPUs, and against interrupts on this
// CPU. spin_lock disables interrupts (pushcli, cpu.c) before it spins, so a
// lock an interrupt handler also takes cannot deadlock its own CPU, and
// spin_unlock enables them again when the last lock is released.
//
// Every lock has a rank (lockrank.h). spin_lock throws on a recursive
// acquisition and on one out of rank order; spin_unlock throws if this CPU
// does not hold the lock. Locks are held for a few instructions only:
// never across a sleep.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lockrank.h"

struct cpu;

struct spinlock {
	uint32_t locked;    // Atomic: 0 free, 1 held
	int rank;           // lockrank.h
	const char *name;   // for reports
	struct cpu *holder; // Protected by this lock: who holds it
};

#define SPINLOCK_INIT(n, r)                                                                                  \
	{                                                                                                    \
		0, (r), (n), 0                                                                               \
	}

// The spinlocks one holder holds (a CPU on bare metal, a thread in the
// hosted port, runtime/lock_futex.c), in the order taken, with strictly
// increasing ranks: both ports' spin_lock and spin_unlock keep them with
// these three, so the lock order is checked in one place. who names the
// holder in the fatal messages ("CPU", "thread").
enum { MAXHELD = 16 };

struct heldlocks {
	struct spinlock *held[MAXHELD];
	int n;
};

void fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// Before taking l: it must rank above every lock held.
static inline void
held_check(struct heldlocks *h, struct spinlock *l, const char *who)
{
	if (h->n > 0 && h->held[h->n - 1]->rank >= l->rank) {
		struct spinlock *top = h->held[h->n - 1];
		fatalf("spin_lock: lock order: %s (rank %d) taken while holding %s (rank %d)", l->name,
		       l->rank, top->name, top->rank);
	}
	if (h->n == MAXHELD) {
		fatalf("spin_lock: %s: this %s holds %d locks already", l->name, who, MAXHELD);
	}
}

static inline void
held_push(struct heldlocks *h, struct spinlock *l)
{
	h->held[h->n++] = l;
}

// Locks are usually released in the reverse order, but need not be.
static inline void
held_remove(struct heldlocks *h, struct spinlock *l)
{
	int i = h->n - 1;
	while (h->held[i] != l) {
		i--;
	}
	for (; i < h->n - 1; i++) {
		h->held[i] = h->held[i + 1];
	}
	h->n--;
}

void spin_init(struct spinlock *l, const char *name, int rank);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_holding(struct spinlock *l);
