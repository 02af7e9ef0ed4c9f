// malloc_test.c: the heap allocator (runtime/malloc.h): sizes, zeroing,
// alignment and spans; zero-size and tiny objects; large objects; exact
// MemStats; many Ps allocating at once; out of memory.

#include <stdint.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "tests/testing.h"
#include "tests/wg.h"

// p is a fresh object of size bytes: zeroed, aligned, inside an in-use
// span of the heap whose elemsize is its class's. Returns false after
// reporting.
static bool
checkobject(struct T *t, const uint8_t *p, uint64_t size, bool noscan)
{
	uint64_t a = (uint64_t)p;
	struct mspan *s = spanof(a);
	if (s == NULL || s->state != MSpanInUse) {
		t_errorf(t, "size %lu: %p is in no span", (unsigned long)size, (void *)p);
		return false;
	}
	uint64_t want = size <= MaxSmallSize ? class_to_size[sizetoclass(size)] : size;
	if (noscan && size < TinySize) {
		want = TinySize;
	}
	if (s->elemsize < want ||
	    (size <= MaxSmallSize && !(noscan && size < TinySize) && s->elemsize != want) ||
	    a + size > s->limit) {
		t_errorf(t, "size %lu: span elemsize %lu (want %lu), limit %#lx, object %#lx",
			 (unsigned long)size, (unsigned long)s->elemsize, (unsigned long)want,
			 (unsigned long)s->limit, (unsigned long)a);
		return false;
	}
	uint64_t align = size >= 16 ? 16 : size >= 8 ? 8 : 1;
	if (!(noscan && size < TinySize) && a % align != 0) {
		t_errorf(t, "size %lu: %p is not %lu-byte aligned", (unsigned long)size, (void *)p,
			 (unsigned long)align);
		return false;
	}
	for (uint64_t i = 0; i < size; i++) {
		if (p[i] != 0) {
			t_errorf(t, "size %lu: byte %lu of a new object is %#x", (unsigned long)size,
				 (unsigned long)i, p[i]);
			return false;
		}
	}
	return true;
}

// Nothing is freed until the collector, and a guest has 128 MiB: every
// size to 1 KiB (each entry of size_to_class8), every 16th to 4 KiB, every
// 512th to 40 KiB; tests/unit/sizeclasses_test.c checks every size's class.
static uint64_t
nextsize(uint64_t size)
{
	return size + (size < 1024 ? 1 : size < 4096 ? 16 : 512);
}

enum { NSizes = 1024 + (4096 - 1024) / 16 + (40960 - 4096) / 512 + 2 };

static uint8_t *objs[NSizes];
static uint64_t sizes[NSizes];

// No collection from now until runtime_setgcpercent(the result), for a
// test that compares statistics: the collector's worker may be running a
// cycle that earlier allocations asked for, which runtime_gc waits out.
static int
nogc(void)
{
	int gcpercent = runtime_setgcpercent(-1);
	runtime_gc();
	return gcpercent;
}

// Sizes from 0 to 40 KiB (nextsize), scan and noscan:
// each new object passes checkobject and is filled with a pattern of its
// own, and at the end every pattern is intact (no two objects overlap).
TEST(TestMallocEverySize)
{
	for (int noscan = 0; noscan < 2; noscan++) {
		int n = 0;
		for (uint64_t size = 0; size <= 40960; size = nextsize(size)) {
			uint8_t *p = runtime_new(size, noscan);
			if (size > 0 && !checkobject(t, p, size, noscan)) {
				return;
			}
			memset(p, (int)(n % 251 + 1), size);
			objs[n] = p;
			sizes[n++] = size;
		}
		for (int i = 0; i < n; i++) {
			for (uint64_t k = 0; k < sizes[i]; k++) {
				if (objs[i][k] != (uint8_t)(i % 251 + 1)) {
					t_fatalf(t, "object %d (%lu bytes) byte %lu overwritten", i,
						 (unsigned long)sizes[i], (unsigned long)k);
				}
			}
		}
	}
}

// Zero-size objects are all zerobase (Go's rule); so is an empty array.
TEST(TestMallocZeroSize)
{
	void *a = runtime_new(0, false), *b = runtime_new(0, true), *c = newarray(int64_t, 0);
	if (a != zerobase || b != zerobase || c != zerobase) {
		t_errorf(t, "zero-size objects at %p, %p, %p; zerobase %p", a, b, c, (void *)zerobase);
	}
}

// Tiny noscan objects share 16-byte blocks, each aligned as its size
// says, and MemStats counts them in both Mallocs and Frees (as Go).
TEST(TestTinyAllocsShareBlocks)
{
	struct memstats before, after;
	runtime_readmemstats(&before);
	uint8_t *p[8];
	for (int i = 0; i < 8; i++) {
		p[i] = runtime_new(4, true);
	}
	int shared = 0;
	for (int i = 1; i < 8; i++) {
		if ((uint64_t)p[i] % 4 != 0) {
			t_errorf(t, "a 4-byte tiny object at %p", (void *)p[i]);
		}
		if (((uint64_t)p[i] & ~15ULL) == ((uint64_t)p[i - 1] & ~15ULL)) {
			shared++;
		}
	}
	if (shared < 4) {
		t_errorf(t, "8 tiny 4-byte objects shared a block only %d times", shared);
	}
	uint8_t *odd = runtime_new(3, true), *even = runtime_new(6, true);
	if ((uint64_t)even % 2 != 0) {
		t_errorf(t, "a 6-byte tiny object at %p after a 3-byte one at %p", (void *)even, (void *)odd);
	}
	runtime_readmemstats(&after);
	uint64_t tiny = (after.Frees - before.Frees);
	if (tiny < 6 || after.Mallocs - before.Mallocs < 10) {
		t_errorf(t, "MemStats: %lu tiny allocations counted, %lu mallocs", (unsigned long)tiny,
			 (unsigned long)(after.Mallocs - before.Mallocs));
	}
}

// Large objects, of sizes from just past MaxSmallSize to 128 KiB, and one
// of 2 MiB: whole pages, zeroed at both ends, in a span of their own. (The
// guest's 128 MiB serve every test of a boot, and nothing is freed until
// the collector: TestGoroutineSpawn100000 ran out once after these.)
TEST(TestMallocLarge)
{
	uint64_t x = 12345;
	for (int i = 0; i < 25; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t size = i == 0 ? 2 << 20 : MaxSmallSize + 1 + (x >> 33) % (96 << 10);
		uint8_t *p = runtime_new(size, i % 2);
		struct mspan *s = spanof((uint64_t)p);
		if (s == NULL || (uint64_t)p != s->startaddr ||
		    s->npages != (size + PageSize - 1) / PageSize || spanclass_sizeclass(s->spanclass) != 0) {
			t_fatalf(t, "a %lu-byte object at %p: span %p", (unsigned long)size, (void *)p,
				 (void *)s);
		}
		if (p[0] != 0 || p[size - 1] != 0 || spanof((uint64_t)p + size - 1) != s) {
			t_fatalf(t, "a %lu-byte object is not zeroed or not one span", (unsigned long)size);
		}
		p[0] = p[size - 1] = 1;
	}
}

// The heap begins where Go's does: at 0xc000000000 (the first arena
// hint), on both ports. Under ASan and TSan their shadow memory covers the
// first hints (as it does for Go's -asan builds): the heap is at one of
// the later ones, i << 40 | 0xc0 << 32.
TEST(TestHeapAtArenaBase)
{
	uint64_t p = (uint64_t)runtime_new(64, false);
	uint64_t first = 0xc000000000ULL;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	first |= p & (0x7fULL << 40);
#endif
	if (p < first || p >= first + (64ULL << 30)) {
		t_errorf(t, "a heap object at %#lx, not in the first 64 GiB from %#lx", (unsigned long)p,
			 (unsigned long)first);
	}
}

// MemStats are exact: after 1000 objects of 100 bytes (class 112) and 10
// of 100 KiB, Mallocs, HeapAlloc and BySize moved by exactly that, and
// HeapObjects is Mallocs - Frees.
TEST(TestMemStatsExact)
{
	int gcpercent = nogc();
	struct memstats before, after;
	runtime_readmemstats(&before);
	for (int i = 0; i < 1000; i++) {
		runtime_new(100, false);
	}
	for (int i = 0; i < 10; i++) {
		runtime_new(100 << 10, true);
	}
	runtime_readmemstats(&after);
	int c = sizetoclass(100);
	uint64_t large = 10 * (((100 << 10) + PageSize - 1) / PageSize * (uint64_t)PageSize);
	if (after.Mallocs - before.Mallocs != 1010) {
		t_errorf(t, "Mallocs moved by %lu, want 1010",
			 (unsigned long)(after.Mallocs - before.Mallocs));
	}
	if (after.HeapAlloc - before.HeapAlloc != 1000 * class_to_size[c] + large) {
		t_errorf(t, "HeapAlloc moved by %lu, want %lu",
			 (unsigned long)(after.HeapAlloc - before.HeapAlloc),
			 (unsigned long)(1000 * class_to_size[c] + large));
	}
	if (after.BySize[c].Mallocs - before.BySize[c].Mallocs != 1000 || after.BySize[c].Size != 112) {
		t_errorf(t, "BySize[%d]: size %u, %lu mallocs", c, after.BySize[c].Size,
			 (unsigned long)(after.BySize[c].Mallocs - before.BySize[c].Mallocs));
	}
	if (after.HeapObjects != after.Mallocs - after.Frees || after.TotalAlloc < after.HeapAlloc ||
	    after.HeapInuse > after.HeapSys || after.HeapIdle != after.HeapSys - after.HeapInuse ||
	    after.Sys < after.HeapSys + after.StackSys) {
		t_errorf(t, "MemStats disagree: objects %lu mallocs %lu frees %lu inuse %lu sys %lu",
			 (unsigned long)after.HeapObjects, (unsigned long)after.Mallocs,
			 (unsigned long)after.Frees, (unsigned long)after.HeapInuse,
			 (unsigned long)after.HeapSys);
	}
	runtime_setgcpercent(gcpercent);
}

// Every P allocating at once: goroutines fill their objects with their
// own byte and check them all at the end, so a slot handed to two Ps, or
// memory that moved, shows.
enum { ParGoroutines = 8, ParObjects = 1000 };

static struct waitgroup parwg;
static int parbad; // Atomic

static void
parallocator(void *arg)
{
	int id = (int)(intptr_t)arg;
	static uint8_t *mine[ParGoroutines][ParObjects];
	uint64_t x = (uint64_t)id * 7919 + 1;
	for (int i = 0; i < ParObjects; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t size = 1 + (x >> 33) % 512;
		mine[id][i] = runtime_new(size, i % 2);
		memset(mine[id][i], id + 1, size);
		if (i % 256 == 0) {
			runtime_gosched();
		}
	}
	x = (uint64_t)id * 7919 + 1;
	for (int i = 0; i < ParObjects; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t size = 1 + (x >> 33) % 512;
		for (uint64_t k = 0; k < size; k++) {
			if (mine[id][i][k] != id + 1) {
				atomic_xadd_relaxed(&parbad, 1); // relaxed: read after the wait
				break;
			}
		}
	}
	wg_done(&parwg);
}

TEST(TestMallocParallel)
{
	parbad = 0;
	for (int i = 0; i < ParGoroutines; i++) {
		wg_add(&parwg, 1);
		go(parallocator, (void *)(intptr_t)i);
	}
	wg_wait(&parwg);
	if (parbad != 0) {
		t_errorf(t, "%d objects of %d were overwritten by another goroutine's", parbad,
			 ParGoroutines * ParObjects);
	}
}

// More than the machine has: Go's out-of-memory report, status 2.
CRASHTEST(TestOutOfMemory, 2, "fatal error: out of memory")
{
	(void)t;
	runtime_new(1ULL << 46, true); // 64 TiB
}

// An allocation that starts while its M is inside mallocgc (as one from
// a fault or signal handler that came in the middle of one would) is
// Go's "malloc deadlock", not a second walk over the same mcache. The test
// puts its M in that state by hand: nothing in the runtime allocates from
// such a handler, and none should.
CRASHTEST(TestMallocReentryIsMallocDeadlock, 2, "fatal error: malloc deadlock")
{
	(void)t;
	struct m *mp = acquirem();
	mp->mallocing = true;
	runtime_new(64, false);
	releasem(mp);
}

// procresize makes each P's mcache and empties it when the P goes (Go's
// p.init and freemcache): after goroutines on 4 Ps allocated, a shrink to
// 1 leaves the others holding no span, the statistics still exact, and a
// grow gives every P an mcache again.
static struct waitgroup resizewg;

static void
resizeallocator(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		runtime_new(100, i % 2);
		runtime_new(3000, false);
		if (i % 50 == 0) {
			runtime_gosched();
		}
	}
	wg_done(&resizewg);
}

TEST(TestProcresizeFlushesMcaches)
{
	int old = runtime_gomaxprocs(4);
	for (int i = 0; i < 4; i++) {
		if (allp[i]->mcache == NULL) {
			t_errorf(t, "P %d has no mcache after procresize", i);
		}
	}
	wg_add(&resizewg, 16);
	for (int i = 0; i < 16; i++) {
		go(resizeallocator, NULL);
	}
	wg_wait(&resizewg);
	int gcpercent = nogc();
	struct memstats before, after;
	runtime_readmemstats(&before);
	runtime_gomaxprocs(1);
	for (int i = 1; i < 4; i++) {
		for (int spc = 0; spc < NumSpanClasses; spc++) {
			if (allp[i]->mcache->alloc[spc] != &emptymspan) {
				t_fatalf(t, "P %d still holds a span of class %d after it went", i, spc);
			}
		}
	}
	runtime_readmemstats(&after);
	if (after.Mallocs != before.Mallocs || after.HeapAlloc != before.HeapAlloc) {
		t_errorf(t, "flushing changed the statistics: Mallocs %lu -> %lu, HeapAlloc %lu -> %lu",
			 (unsigned long)before.Mallocs, (unsigned long)after.Mallocs,
			 (unsigned long)before.HeapAlloc, (unsigned long)after.HeapAlloc);
	}
	runtime_gomaxprocs(old);
	runtime_setgcpercent(gcpercent);
}
