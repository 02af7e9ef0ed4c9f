// lockrank.h: the lock order, the one place it is written down. A CPU
// holding a spinlock of rank r may only take spinlocks of rank > r;
// spin_lock checks this on every acquisition (always, not only in debug
// builds: the check is a compare), and throws with both locks' names when
// it is broken. Locks of equal rank are never held together (the per-CPU
// run lists), except newlib's FILE locks: reading stdin flushes stdout
// under stdin's lock, and newlib takes them in no fixed order.
//
//	rank            lock                     taken while holding
//	LOCK_NEWLIB_*   newlib's own locks        (their ranks follow newlib's
//	                (lib/locks.c)             nesting: atexit, sinit, a
//	                                          FILE, sfp, env/tz/..., malloc)
//	LOCK_HEAP       sbrk's heap (lib/)        malloc
//	LOCK_VM         the page tables (vm.c)    heap
//	LOCK_PHYSMEM    the frame allocator       heap, vm
//	LOCK_RUNQ       a CPU's run list          -
//	LOCK_VECTORS    interrupt vectors, the    -
//	                I/O APIC's table
//	LOCK_INPUT      console input ring        -
//	LOCK_TEST       locks of tests            -
//	LOCK_CONSOLE    the console               anything: kprintf works
//	                                          everywhere
#pragma once

enum lockrank {
	LOCK_NEWLIB_ATEXIT = 1,
	LOCK_NEWLIB_SINIT = 2,
	LOCK_NEWLIB_FILE = 3,
	LOCK_NEWLIB_SFP = 4, // fclose takes it holding the FILE's lock
	LOCK_NEWLIB_MISC = 5,
	LOCK_NEWLIB_MALLOC = 6,
	LOCK_HEAP = 10,
	LOCK_VM = 20,
	LOCK_PHYSMEM = 30,
	LOCK_RUNQ = 50,
	LOCK_VECTORS = 60,
	LOCK_INPUT = 70,
	LOCK_TEST = 90,
	LOCK_CONSOLE = 100,
};
