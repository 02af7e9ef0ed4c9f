// mutex.h: a sleeping lock for kernel threads. Unlike a spinlock, its
// holder may block (park) while holding it, and a thread that finds it
// held parks until the holder hands it over, FIFO. Recursive acquisition
// counts depth (newlib's recursive locks need it). Never in an interrupt
// handler. Before kernel threads exist (early boot, one CPU), waiting
// spins.
#pragma once

#include "spinlock.h"

struct kthread;

struct mutex {
	struct spinlock sl;                  // guards the fields below; held briefly
	struct kthread *owner;               // Protected by sl; NULL when free
	int depth;                           // Protected by sl: recursive acquisitions
	struct kthread *waithead, *waittail; // Protected by sl: parked, FIFO
	const char *name;
};

#define MUTEX_INIT(n)                                                                                        \
	{                                                                                                    \
		SPINLOCK_INIT(n, LOCK_MUTEX), NULL, 0, NULL, NULL, (n)                                       \
	}

void mutex_lock(struct mutex *m, bool recursive);
bool mutex_trylock(struct mutex *m, bool recursive);
void mutex_unlock(struct mutex *m);
