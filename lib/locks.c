// locks.c: newlib's locks (its "retargetable locking", configured by
// scripts/setup), on the kernel's spinlocks, so that stdio and malloc work
// from every CPU at once. newlib names nine static locks and makes one per
// FILE through __retarget_lock_init_recursive; recursive ones count their
// owner's depth. The owner is a CPU, not a thread: a spinlock keeps
// interrupts off, so its holder cannot be switched away. Ranks are in
// kernel/lockrank.h, in the order newlib nests them.

#include <stdlib.h>
#include <sys/lock.h>

#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/spinlock.h"

struct __lock {
	struct spinlock sl;
	struct cpu *owner; // Protected by sl
	int depth;         // Protected by sl: recursive acquisitions
};

#define NEWLIB_LOCK(name, rank) struct __lock __lock_##name = {SPINLOCK_INIT(#name, rank), NULL, 0}

NEWLIB_LOCK(__atexit_recursive_mutex, LOCK_NEWLIB_ATEXIT);
NEWLIB_LOCK(__at_quick_exit_mutex, LOCK_NEWLIB_ATEXIT);
NEWLIB_LOCK(__sinit_recursive_mutex, LOCK_NEWLIB_SINIT);
NEWLIB_LOCK(__sfp_recursive_mutex, LOCK_NEWLIB_SFP);
NEWLIB_LOCK(__env_recursive_mutex, LOCK_NEWLIB_MISC);
NEWLIB_LOCK(__tz_mutex, LOCK_NEWLIB_MISC);
NEWLIB_LOCK(__dd_hash_mutex, LOCK_NEWLIB_MISC);
NEWLIB_LOCK(__arc4random_mutex, LOCK_NEWLIB_MISC);
NEWLIB_LOCK(__malloc_recursive_mutex, LOCK_NEWLIB_MALLOC);

// newlib makes a lock for each FILE; those are the only dynamic ones.
void
__retarget_lock_init(_LOCK_T *lock)
{
	struct __lock *l = malloc(sizeof *l);
	if (l == NULL) {
		throw("newlib lock: out of memory");
	}
	*l = (struct __lock){SPINLOCK_INIT("FILE", LOCK_NEWLIB_FILE), NULL, 0};
	*lock = l;
}

void
__retarget_lock_init_recursive(_LOCK_T *lock)
{
	__retarget_lock_init(lock);
}

void
__retarget_lock_close(_LOCK_T lock)
{
	free(lock);
}

void
__retarget_lock_close_recursive(_LOCK_T lock)
{
	free(lock);
}

void
__retarget_lock_acquire(_LOCK_T lock)
{
	spin_lock(&lock->sl);
}

void
__retarget_lock_release(_LOCK_T lock)
{
	spin_unlock(&lock->sl);
}

int
__retarget_lock_try_acquire(_LOCK_T lock)
{
	if (__atomic_load_n(&lock->sl.locked, __ATOMIC_RELAXED)) {
		return 0;
	}
	spin_lock(&lock->sl); // may still spin briefly if we lost a race
	return 1;
}

// Only this CPU can have set owner to itself, so the unlocked read is safe.
static bool
owned(_LOCK_T lock)
{
	pushcli();
	bool mine = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == mycpu();
	popcli();
	return mine;
}

void
__retarget_lock_acquire_recursive(_LOCK_T lock)
{
	if (owned(lock)) {
		lock->depth++;
		return;
	}
	spin_lock(&lock->sl);
	__atomic_store_n(&lock->owner, mycpu(), __ATOMIC_RELAXED);
	lock->depth = 1;
}

int
__retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	if (!owned(lock) && __atomic_load_n(&lock->sl.locked, __ATOMIC_RELAXED)) {
		return 0;
	}
	__retarget_lock_acquire_recursive(lock);
	return 1;
}

void
__retarget_lock_release_recursive(_LOCK_T lock)
{
	if (--lock->depth == 0) {
		__atomic_store_n(&lock->owner, NULL, __ATOMIC_RELAXED);
		spin_unlock(&lock->sl);
	}
}
