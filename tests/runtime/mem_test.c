// mem_test.c: the machine's memory calls for the allocator and the
// collector (runtime/os.h, "memory"): reserve, map, unused/used, free, and
// the dirty bits that will be the collector's write barrier. Runs on both
// ports: bare metal reads the page tables' PTE_D (kernel/vm.c), Linux
// userfaultfd's written bits through PAGEMAP_SCAN (mem_linux.c), or, where
// the kernel cannot track writes, "every page dirty" (os_dirtyexact false).

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

enum { NPages = 8, RangeSize = NPages * PhysPageSize };

// A reservation from the allocator's hint, 0xc000000000 as Go's arenas.
static char *
reservemap(struct T *t, uint64_t n)
{
	char *p = os_sysreserve((void *)0xc000000000ULL, n);
	if (p == NULL) {
		t_fatalf(t, "os_sysreserve(%lu) failed", (unsigned long)n);
	}
	if ((uint64_t)p % PhysPageSize != 0) {
		t_fatalf(t, "os_sysreserve gave %p, not page-aligned", (void *)p);
	}
	if (!os_sysmap(p, n)) {
		t_fatalf(t, "os_sysmap(%lu) failed", (unsigned long)n);
	}
	return p;
}

// Scan and compare with want, a bitmap of NPages bits.
static void
checkdirty(struct T *t, const char *when, char *p, bool clear, uint64_t want)
{
	uint64_t bitmap[2] = {~0ULL, ~0ULL};
	uint64_t n = os_dirtyscan(p, RangeSize, bitmap, clear);
	if (!os_dirtyexact()) {
		want = (1ULL << NPages) - 1; // the fallback: everything dirty
	}
	uint64_t nwant = 0;
	for (int i = 0; i < NPages; i++) {
		nwant += want >> i & 1;
	}
	if (bitmap[0] != want || n != nwant) {
		t_errorf(t, "%s: dirty bitmap %#lx (%lu pages), want %#lx", when, (unsigned long)bitmap[0],
			 (unsigned long)n, (unsigned long)want);
	}
	if (bitmap[1] != ~0ULL) {
		t_errorf(t, "%s: os_dirtyscan wrote past its bitmap", when);
	}
}

// The collector's cycle: fresh memory is clean; a write dirties its page
// only; a clearing scan makes it clean; a write after it dirties it again;
// a scan without clear leaves the bits alone.
TEST(TestDirtyBits)
{
	if (!os_dirtyexact()) {
		t_logf(t, "this machine cannot track writes: every page reads dirty");
	}
	char *p = reservemap(t, RangeSize);
	checkdirty(t, "fresh", p, false, 0);
	p[0] = 1;
	p[3 * PhysPageSize + 100] = 2;
	checkdirty(t, "after two writes", p, false, 1 << 0 | 1 << 3);
	checkdirty(t, "the clearing scan", p, true, 1 << 0 | 1 << 3);
	checkdirty(t, "after the clearing scan", p, false, 0);
	p[3 * PhysPageSize] = 3;
	p[7 * PhysPageSize + 4095] = 4;
	checkdirty(t, "written again", p, true, 1 << 3 | 1 << 7);
	if (p[0] != 1 || p[3 * PhysPageSize + 100] != 2 || p[3 * PhysPageSize] != 3) {
		t_errorf(t, "a scan changed the memory");
	}
	os_sysfree(p, RangeSize);
}

// Unused pages are given back: after os_sysused they read zero, and clean.
TEST(TestSysUnusedReadsZero)
{
	char *p = reservemap(t, RangeSize);
	memset(p, 0x5a, RangeSize);
	os_sysunused(p + 2 * PhysPageSize, 4 * PhysPageSize);
	os_sysused(p + 2 * PhysPageSize, 4 * PhysPageSize);
	for (int i = 0; i < RangeSize; i++) {
		char want = i >= 2 * PhysPageSize && i < 6 * PhysPageSize ? 0 : 0x5a;
		if (p[i] != want) {
			t_fatalf(t, "byte %d is %#x after unused and used, want %#x", i, p[i] & 0xff, want);
		}
	}
	checkdirty(t, "after unused and used", p, true, 1 << 0 | 1 << 1 | 1 << 6 | 1 << 7);
	p[2 * PhysPageSize] = 1;
	checkdirty(t, "a used page written", p, false, 1 << 2);
	os_sysfree(p, RangeSize);
}

// Two reservations do not overlap, and a wanted address already taken is
// not given twice.
TEST(TestSysReserveDisjoint)
{
	char *a = os_sysreserve(NULL, RangeSize);
	char *b = os_sysreserve(a, RangeSize);
	if (a == NULL || b == NULL || (b < a + RangeSize && a < b + RangeSize)) {
		t_fatalf(t, "reservations %p and %p overlap", (void *)a, (void *)b);
	}
	if (!os_sysmap(a, RangeSize) || !os_sysmap(b, RangeSize)) {
		t_fatalf(t, "os_sysmap failed");
	}
	a[0] = 1;
	b[0] = 2;
	if (a[0] != 1 || b[0] != 2) {
		t_errorf(t, "the two ranges share memory");
	}
	os_sysfree(a, RangeSize);
	os_sysfree(b, RangeSize);
}

static struct waitgroup writerswg;
static char *shared;

static void
writer(void *arg)
{
	int page = (int)(intptr_t)arg;
	for (int i = 0; i < 200; i++) {
		shared[page * PhysPageSize + i] = (char)i;
		runtime_gosched();
	}
	wg_done(&writerswg);
}

// Writes from goroutines on other Ms (other CPUs on bare metal, whose TLBs
// the clearing scan must shoot down) are seen: every page written after a
// clearing scan reads dirty in the next one.
TEST(TestDirtyBitsOtherThreads)
{
	shared = reservemap(t, RangeSize);
	for (int round = 0; round < 3; round++) {
		uint64_t bitmap[1];
		os_dirtyscan(shared, RangeSize, bitmap, true);
		wg_add(&writerswg, NPages);
		for (int i = 0; i < NPages; i++) {
			go(writer, (void *)(intptr_t)i);
		}
		wg_wait(&writerswg);
		checkdirty(t, "after every page was written", shared, false, (1ULL << NPages) - 1);
	}
	os_sysfree(shared, RangeSize);
}
