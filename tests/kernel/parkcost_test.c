// parkcost_test.c: what a parked goroutine costs in memory on bare metal,
// counted in frames: everything it takes (its stack's pages, the page
// tables that map them, the G, the C library's state, its timer) comes
// from the frame allocator, so the free count before and after parking N
// sleepers says it all. Found when 36,000 sleepers ran a 512 MiB machine
// out of memory: 19 KiB each here, three of them the pages spin_lock's
// probe mapped below the stack pointer (kernel/spinlock.c, probestack),
// when time_sleep allocated the G's timer under persistentalloc's lock.
//
// What is left is one stack page, the G (152 bytes), newlib's state (464)
// and the timer (48, and its heap slot), and the page-table page that maps
// the stack's top page: each stack's slot (stack and guard page) has a
// 2 MiB page table to itself, or shares it with one neighbour at the
// default 1 MiB (2 KiB a goroutine). So the bound here is a page, the
// page-table share and 1 KiB: about 7 KiB at 1 MiB stacks, 9 KiB at 8
// MiB. The target, 4.5 KiB, is not met: see docs/machine.md,
// section 7 (what a goroutine costs).
#include "include/hood.h"
#include "kernel/kernel.h"
#include "kernel/memlayout.h"
#include "lib/atomic.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

enum {
	NSleepers = 5000, // 35 MB of the tests' 128 MiB guests (20 000 ran them out before the fix)
	Target = 4608,     // the target, 4.5 KiB: logged, not met
};

static int64_t wakeat;   // Atomic: when the sleepers wake
static long nasleep;     // Atomic: sleepers that have started

static void
sleeper(void *arg)
{
	(void)arg;
	// Relaxed: a counter the test polls; the sleep itself orders nothing.
	atomic_xadd_relaxed(&nasleep, 1);
	time_sleep(atomic_load_relaxed(&wakeat) - time_nanotime());
}

TEST(TestParkedGoroutineCost)
{
	int n = NSleepers;
	// Relaxed: set before the first go(), which publishes it.
	atomic_store_relaxed(&nasleep, 0);
	atomic_store_relaxed(&wakeat, time_nanotime() + 6 * Second);
	time_sleep(10 * Millisecond); // let the machine settle
	uint64_t before = physmem_nfree();
	for (int i = 0; i < n; i++) {
		go(sleeper, NULL);
	}
	while (atomic_load_relaxed(&nasleep) < n && time_nanotime() < atomic_load_relaxed(&wakeat)) {
		time_sleep(10 * Millisecond);
	}
	time_sleep(50 * Millisecond); // the last ones reach their sleep
	uint64_t after = physmem_nfree();
	int64_t left = atomic_load_relaxed(&wakeat) - time_nanotime();
	if (atomic_load_relaxed(&nasleep) < n || left < 0) {
		t_fatalf(t, "only %ld of %d sleepers started before the first woke", nasleep, n);
	}
	uint64_t cost = (before - after) * PGSIZE / (uint64_t)n;
	// The page-table share: the 2 MiB a page table maps, over the slot.
	uint64_t slot = stacksize() + PGSIZE;
	uint64_t ptshare = slot >= HUGEPGSIZE ? PGSIZE : PGSIZE * slot / HUGEPGSIZE;
	uint64_t bound = PGSIZE + ptshare + 1024;
	t_logf(t, "%d sleepers on %lu-byte stacks: %lu frames, %lu bytes each (bound %lu, target %d)", n,
	       stacksize(), before - after, cost, bound, Target);
	if (cost > bound) {
		t_errorf(t, "a sleeping goroutine costs %lu bytes, want at most %lu", cost, bound);
	}
	time_sleep(left + 100 * Millisecond); // they wake and exit
}
