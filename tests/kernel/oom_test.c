// oom_test.c: the heap at the machine's limits (guest only: on Linux the
// same loops would take the host's memory): objects past 4 GiB of heap on
// a large guest, the scavenger's frames coming back, and running the
// machine out of memory.

#include <stdint.h>
#include <string.h>

#include "include/hood.h"
#include "kernel/kernel.h"
#include "tests/testing.h"

// With more than 5 GiB of memory (boot.tsv's TestBootHeapAbove4GiB boots
// 6 GiB): 80 objects of 64 MiB, the last ones above 4 GiB from the heap's
// start, each written at both ends. On a smaller guest it says so and
// passes.
TEST(TestHeapAbove4GiB)
{
	if (physmem_nfree() * 4096 < (5ULL << 30) + (512ULL << 20)) {
		t_logf(t, "needs more than 5.5 GiB free; %lu MiB here", (unsigned long)(physmem_nfree() * 4096 >> 20));
		return;
	}
	// Kept, in a global (a root), so that the collector frees none and
	// the heap must grow past 4 GiB.
	static char *volatile keep[80]; // volatile: stores to an array never read would go
	uint64_t first = 0, last = 0;
	for (int i = 0; i < 80; i++) {
		char *p = keep[i] = runtime_new(64ULL << 20, true);
		p[0] = 1;
		p[(64 << 20) - 1] = 2;
		first = i == 0 ? (uint64_t)p : first;
		last = (uint64_t)p;
	}
	if (last - first < (4ULL << 30)) {
		t_errorf(t, "5 GiB of objects span only %#lx to %#lx", (unsigned long)first, (unsigned long)last);
	}
	t_logf(t, "heap objects from %#lx to %#lx", (unsigned long)first, (unsigned long)last);
}

// 1 MiB objects, all kept, until the guest's frames run out: Go's report,
// "runtime: out of memory: cannot allocate 1048576-byte block (N in
// use)", then the fatal error, never a page-fault report or a hang. (Kept
// in a global: dropped, the collector would free them and the loop run
// for ever.)
static char *volatile kept[1 << 16]; // volatile: stores to an array never read would go

CRASHTEST(TestOutOfMemoryFillsTheMachine, 2, "fatal error: out of memory")
{
	(void)t;
	for (int i = 0;; i++) {
		char *p = kept[i % (1 << 16)] = runtime_new(1 << 20, true);
		p[0] = 1;
	}
}

// Goroutines whose stacks grow until the machine's frames run out (64
// KiB each, asleep: about two thousand in 128 MiB): Go's headline, from
// whichever of a stack page, the heap or the runtime's own structures
// found none, never a hang or a page-fault report.
static int __attribute__((noipa))
TestOutOfMemoryInStacksDeep(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	return n == 0 ? pad[0] : TestOutOfMemoryInStacksDeep(n - 1) + pad[0];
}

static void
TestOutOfMemoryInStacksSleeper(void *arg)
{
	(void)arg;
	TestOutOfMemoryInStacksDeep(60);
	time_sleep(3600 * Second);
}

CRASHTEST(TestOutOfMemoryInStacks, 2, "fatal error: out of memory")
{
	(void)t;
	for (;;) {
		go(TestOutOfMemoryInStacksSleeper, NULL);
		runtime_gosched();
	}
}

// The scavenger's give-back is real on bare metal: the frames of 8 MiB
// malloc'd, written and freed are free frames again after
// runtime_freeosmemory (and not before: free keeps them in the heap).
TEST(TestScavengerFreesFrames)
{
	char *p = runtime_malloc(8 << 20);
	memset(p, 1, 8 << 20);
	runtime_free(p);
	uint64_t before = physmem_nfree();
	runtime_freeosmemory();
	uint64_t after = physmem_nfree();
	if (after < before + (8 << 20) / 4096 - 64) {
		t_errorf(t, "%lu free frames before runtime_freeosmemory, %lu after; want about 2048 more",
			 (unsigned long)before, (unsigned long)after);
	}
}
