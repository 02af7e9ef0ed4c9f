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

void spin_init(struct spinlock *l, const char *name, int rank);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_holding(struct spinlock *l);
