// lockrank.h: the lock order of the whole image, kernel and runtime, the
// one place it is written down. A CPU (a thread, in the hosted port)
// holding a spinlock of rank r may only take spinlocks of rank > r;
// spin_lock checks this on every acquisition (always, not only in debug
// builds: the check is a compare), and throws with both locks' names when
// it is broken. Locks of equal rank (the per-CPU run lists) are never held
// together, but for channels': select holds all of its cases' at once,
// taken in increasing address order (Go's lockorder), which spin_lock
// checks instead. A sleeping mutex (lock.h) is not ranked; its inner spinlock
// is, LOCK_MUTEX, and is never held while another lock is taken.
//
//	rank            lock                     taken while holding
//	LOCK_HCHAN      a channel (runtime/      hchan: select takes several,
//	                chan.c)                  in increasing address order
//	LOCK_MANUALCACHE  the mcache of Ms with   -
//	                no P (runtime/mmanual.c)
//	LOCK_MANUALCENTRAL  a size class's free   manualcache
//	                list (runtime/mmanual.c)
//	LOCK_MCENTRAL   an mcentral (runtime/     manualcache
//	                mcentral.c)
//	LOCK_FINALIZERS the finalizers' table     -
//	                and queue (runtime/
//	                mfinal.c)
//	LOCK_MHEAP      the page heap (runtime/   mcentral, manualcache,
//	                mheap.c)                 manualcentral
//	LOCK_SEMAROOT   a semaphore root and the  -
//	                notify lists hashed to it
//	                (runtime/sema.c)
//	LOCK_POOL       a sync.Pool's per-P       -
//	                shared stack (sync/pool.c)
//	LOCK_HEAP       sbrk's heap (lib/newlib/) -
//	LOCK_PALLOC     the runtime's persistent  mheap
//	                memory (runtime/malloc.c)
//	LOCK_VM         the page tables (vm.c)    mheap, heap, palloc
//	LOCK_THREADS    free kthread structures   -
//	LOCK_PHYSMEM    the frame allocator       mheap, heap, palloc, vm, threads
//	LOCK_SUDOG      the central sudog cache   hchan
//	                (runtime/chan.c)
//	LOCK_DEFER      the central defer pool    -
//	                (runtime/panic.c)
//	LOCK_GCWORK     the collector's cycle     -
//	                state (runtime/mgc.c)
//	LOCK_SCHED      the runtime's sched.lock  -
//	                (runtime/proc.c)
//	LOCK_ALLG       the list of all Gs        sched.lock (checkdead)
//	LOCK_TIMERS     a P's timer heap          -
//	                (runtime/time.c)
//	LOCK_RUNQ       a CPU's run list          -
//	LOCK_VECTORS    interrupt vectors, the    -
//	                I/O APIC's table
//	LOCK_INPUT      console input ring        -
//	LOCK_MUTEX      a mutex's inner lock      -
//	LOCK_TEST       locks of tests            -
//	LOCK_CONSOLE    the console               anything: kprintf works
//	                                          everywhere
#pragma once

enum lockrank {
	LOCK_HCHAN = 1,
	LOCK_MANUALCACHE = 2,
	LOCK_MANUALCENTRAL = 3,
	LOCK_MCENTRAL = 4,
	LOCK_FINALIZERS = 5,
	LOCK_MHEAP = 6,
	LOCK_SEMAROOT = 7,
	LOCK_POOL = 8,
	LOCK_HEAP = 10,
	LOCK_PALLOC = 15,
	LOCK_VM = 20,
	LOCK_THREADS = 25,
	LOCK_PHYSMEM = 30,
	LOCK_SUDOG = 40,
	LOCK_DEFER = 41,
	LOCK_GCWORK = 42,
	LOCK_SCHED = 44,
	LOCK_ALLG = 45,
	LOCK_TIMERS = 46,
	LOCK_RUNQ = 50,
	LOCK_VECTORS = 60,
	LOCK_INPUT = 70,
	LOCK_MUTEX = 80,
	LOCK_TEST = 90,
	LOCK_CONSOLE = 100,
};
