// spinlock.h: mutual exclusion between CPUs, and against interrupts on this
// CPU. spin_lock saves the interrupt flag and disables interrupts, so a lock
// that an interrupt handler also takes cannot deadlock its own CPU;
// spin_unlock restores the flag as it was.
//
// Locks are held for a few instructions only: never across a sleep.
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	uint32_t locked;     // Atomic: 0 free, 1 held
	const char *name;    // for debugging
	uint64_t savedflags; // RFLAGS of the holder before spin_lock; holder only
};

#define SPINLOCK_INIT(n)                                                                                     \
	{                                                                                                    \
		0, (n), 0                                                                                    \
	}

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_trylock(struct spinlock *l);
