// locks.c: newlib's locks (its "retargetable locking", configured by
// scripts/setup), on the kernel's sleeping mutexes (lib/lock.h, kernel/mutex.c), so
// that stdio and malloc work from every CPU at once. They must sleep, not
// spin: newlib holds a FILE's lock across read(), and reading the console
// waits for input. newlib names nine static locks and makes one per FILE
// through __retarget_lock_init_recursive.

#include <stdlib.h>
#include <sys/lock.h>

#include "kernel/kernel.h"
#include "lib/lock.h"

struct __lock {
	struct mutex m;
};

#define NEWLIB_LOCK(name) struct __lock __lock_##name = {MUTEX_INIT(#name)}

NEWLIB_LOCK(__atexit_recursive_mutex);
NEWLIB_LOCK(__at_quick_exit_mutex);
NEWLIB_LOCK(__sinit_recursive_mutex);
NEWLIB_LOCK(__sfp_recursive_mutex);
NEWLIB_LOCK(__env_recursive_mutex);
NEWLIB_LOCK(__tz_mutex);
NEWLIB_LOCK(__dd_hash_mutex);
NEWLIB_LOCK(__arc4random_mutex);
NEWLIB_LOCK(__malloc_recursive_mutex);

// newlib makes a lock for each FILE; those are the only dynamic ones.
void
__retarget_lock_init(_LOCK_T *lock)
{
	struct __lock *l = malloc(sizeof *l);
	if (l == NULL) {
		throw("newlib lock: out of memory");
	}
	*l = (struct __lock){MUTEX_INIT("FILE")};
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
	mutex_lock(&lock->m, false);
}

void
__retarget_lock_acquire_recursive(_LOCK_T lock)
{
	mutex_lock(&lock->m, true);
}

int
__retarget_lock_try_acquire(_LOCK_T lock)
{
	return mutex_trylock(&lock->m, false);
}

int
__retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	return mutex_trylock(&lock->m, true);
}

void
__retarget_lock_release(_LOCK_T lock)
{
	mutex_unlock(&lock->m);
}

void
__retarget_lock_release_recursive(_LOCK_T lock)
{
	mutex_unlock(&lock->m);
}
