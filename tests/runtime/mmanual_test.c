// mmanual_test.c: the C library's allocator on the runtime's heap
// (runtime/mmanual.c): reuse, alignment, realloc and calloc, a stress of
// every P allocating and freeing, one goroutine freeing what another
// allocated, large blocks giving their pages back, and the fatal errors
// of bad frees.

#include <stdint.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "tests/testing.h"
#include "tests/wg.h"

// On one P (the M acquired), a freed block is the next one of its class.
TEST(TestMallocFreeReuses)
{
	struct m *mp = acquirem();
	void *a = runtime_malloc(100);
	runtime_free(a);
	void *b = runtime_malloc(100);
	releasem(mp);
	if (a != b) {
		t_errorf(t, "malloc after free gave %p, not the freed %p", b, a);
	}
	if ((uint64_t)b % 16 != 0 || runtime_mallocsize(b) != 112) {
		t_errorf(t, "a 100-byte block at %p, usable %zu (want 16-aligned, 112)", b, runtime_mallocsize(b));
	}
	void *small = runtime_malloc(1);
	if ((uint64_t)small % 16 != 0 || runtime_mallocsize(small) < 16) {
		t_errorf(t, "a 1-byte block at %p, usable %zu", small, runtime_mallocsize(small));
	}
	runtime_free(small);
	runtime_free(b);
	runtime_free(NULL);
}

// memalign for every power of two to 1 MiB; realloc keeps the contents
// as blocks grow and shrink, across classes and into large blocks; calloc
// zeroes a block that held data.
TEST(TestMallocAlignReallocCalloc)
{
	for (size_t align = 1; align <= (1 << 20); align <<= 1) {
		for (size_t size = 1; size <= 3 * align && size <= (1 << 20); size = size * 3 + 1) {
			char *p = runtime_memalign(align, size);
			if ((uint64_t)p % align != 0 || runtime_mallocsize(p) < size) {
				t_fatalf(t, "memalign(%zu, %zu) = %p, usable %zu", align, size, (void *)p,
					 runtime_mallocsize(p));
			}
			memset(p, 0x5a, size);
			runtime_free(p);
		}
	}
	unsigned char *p = runtime_malloc(10);
	for (int i = 0; i < 10; i++) {
		p[i] = (unsigned char)i;
	}
	size_t sizes[] = {20, 100, 1000, 5000, 40000, 300000, 50, 12};
	size_t have = 10;
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		p = runtime_realloc(p, sizes[k]);
		size_t keep = have < sizes[k] ? have : sizes[k];
		for (size_t i = 0; i < keep; i++) {
			if (p[i] != (unsigned char)i) {
				t_fatalf(t, "realloc to %zu lost byte %zu", sizes[k], i);
			}
		}
		for (size_t i = keep; i < sizes[k]; i++) {
			p[i] = (unsigned char)i;
		}
		have = sizes[k];
	}
	runtime_free(p);
	struct m *mp = acquirem();
	unsigned char *d = runtime_malloc(256);
	memset(d, 0xff, 256);
	runtime_free(d);
	unsigned char *z = runtime_calloc(16, 16);
	releasem(mp);
	for (int i = 0; i < 256; i++) {
		if (z[i] != 0) {
			t_fatalf(t, "calloc's block (%s the freed one) has byte %d = %#x", z == d ? "reusing" : "not",
				 i, z[i]);
		}
	}
	runtime_free(z);
	if (runtime_calloc((size_t)1 << 40, (size_t)1 << 40) != NULL) {
		t_errorf(t, "calloc of 2^80 bytes did not return NULL");
	}
}

// Large blocks give their pages back: the same block size comes back at
// the same address, and the heap's pages in use do not grow.
TEST(TestMallocLargeGivesPagesBack)
{
	void *a = runtime_malloc(1 << 20);
	runtime_free(a);
	uint64_t inuse = mheap_.pagesinuse;
	for (int i = 0; i < 100; i++) {
		void *b = runtime_malloc(1 << 20);
		memset(b, 1, 1 << 20);
		runtime_free(b);
	}
	if (mheap_.pagesinuse > inuse) {
		t_errorf(t, "pages in use grew from %lu to %lu over 100 MiB malloc'd and freed",
			 (unsigned long)inuse, (unsigned long)mheap_.pagesinuse);
	}
	runtime_freeosmemory();
}

// Every P at once: each goroutine keeps a window of blocks of random
// sizes, filled with a pattern of its own, checks a block's pattern as it
// frees it, and hands every 8th block to the next goroutine, which checks
// and frees it there (producer and consumer, as mimalloc-bench's larson).
enum { StressGoroutines = 8, StressWindow = 64, StressRounds = 4000, StressRing = 256 };

struct block {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static struct {
	struct spinlock lock;
	struct block ring[StressGoroutines][StressRing]; // Protected by lock: [to whom]
	int n[StressGoroutines];                         // Protected by lock
} handoff = {.lock = SPINLOCK_INIT("testhandoff", LOCK_TEST)};

static struct waitgroup stresswg;
static int stressbad; // Atomic

static bool
checkblock(struct block *b)
{
	for (size_t i = 0; i < b->size; i++) {
		if (b->p[i] != b->fill) {
			return false;
		}
	}
	return true;
}

static void
drainhandoff(int me)
{
	struct block got[StressRing];
	spin_lock(&handoff.lock);
	int n = handoff.n[me];
	memcpy(got, handoff.ring[me], (size_t)n * sizeof got[0]);
	handoff.n[me] = 0;
	spin_unlock(&handoff.lock);
	for (int i = 0; i < n; i++) {
		if (!checkblock(&got[i])) {
			atomic_xadd_relaxed(&stressbad, 1); // relaxed: read after the wait
		}
		runtime_free(got[i].p);
	}
}

static void
stressor(void *arg)
{
	int me = (int)(intptr_t)arg, next = (me + 1) % StressGoroutines;
	struct block win[StressWindow] = {0};
	uint64_t x = (uint64_t)me * 104729 + 7;
	for (int r = 0; r < StressRounds; r++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		struct block *b = &win[(x >> 20) % StressWindow];
		if (b->p != NULL) {
			if (!checkblock(b)) {
				atomic_xadd_relaxed(&stressbad, 1); // relaxed: read after the wait
			}
			runtime_free(b->p);
		}
		b->size = (x >> 33) % 16 == 0 ? 32769 + (x >> 40) % 100000 : 1 + (x >> 33) % 3000;
		b->p = runtime_malloc(b->size);
		b->fill = (unsigned char)(me * 31 + r);
		memset(b->p, b->fill, b->size);
		if (r % 8 == 0) {
			spin_lock(&handoff.lock);
			bool room = handoff.n[next] < StressRing;
			if (room) {
				handoff.ring[next][handoff.n[next]++] = *b;
			}
			spin_unlock(&handoff.lock);
			if (room) {
				b->p = NULL;
			}
		}
		if (r % 64 == 0) {
			drainhandoff(me);
			runtime_gosched();
		}
	}
	for (int i = 0; i < StressWindow; i++) {
		if (win[i].p != NULL) {
			if (!checkblock(&win[i])) {
				atomic_xadd_relaxed(&stressbad, 1); // relaxed: read after the wait
			}
			runtime_free(win[i].p);
		}
	}
	wg_done(&stresswg);
}

TEST(TestMallocFreeStress)
{
	stressbad = 0;
	wg_add(&stresswg, StressGoroutines);
	for (int i = 0; i < StressGoroutines; i++) {
		go(stressor, (void *)(intptr_t)i);
	}
	wg_wait(&stresswg);
	for (int i = 0; i < StressGoroutines; i++) {
		drainhandoff(i);
	}
	if (stressbad != 0) {
		t_errorf(t, "%d blocks lost their pattern between malloc and free", stressbad);
	}
	runtime_freeosmemory(); // the large blocks' pages, for the tests after this one
}

// malloc from many goroutines at once, in no P's order (newlib's malloc is
// this on bare metal): 100 goroutines, 200 blocks each.
enum { ManyGoroutines = 100, ManyBlocks = 200 };

static struct waitgroup manywg;

static void
manymalloc(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	unsigned char *mine[ManyBlocks];
	for (int i = 0; i < ManyBlocks; i++) {
		mine[i] = runtime_malloc(16 + (me * 7 + (uintptr_t)i) % 500);
		mine[i][0] = (unsigned char)me;
	}
	for (int i = 0; i < ManyBlocks; i++) {
		if (mine[i][0] != (unsigned char)me) {
			atomic_xadd_relaxed(&stressbad, 1); // relaxed: read after the wait
		}
		runtime_free(mine[i]);
	}
	wg_done(&manywg);
}

TEST(TestMallocFromManyGoroutines)
{
	stressbad = 0;
	wg_add(&manywg, ManyGoroutines);
	for (uintptr_t i = 0; i < ManyGoroutines; i++) {
		go(manymalloc, (void *)i);
	}
	wg_wait(&manywg);
	if (stressbad != 0) {
		t_errorf(t, "%d blocks were another goroutine's", stressbad);
	}
}

CRASHTEST(TestFreeTwice, 2, "fatal error: free: double free")
{
	(void)t;
	void *p = runtime_malloc(64);
	runtime_free(p);
	runtime_free(p);
}

CRASHTEST(TestFreeNotMalloced, 2, "fatal error: free: invalid pointer")
{
	(void)t;
	char *p = runtime_malloc(64);
	runtime_free(p + 16); // inside a block, not its start
}

// The scavenger gives free pages back: runtime_freeosmemory at once, and
// sysmon's on its own (GODEBUG=scavenge=1: pages free for 20 ms, looked
// at every 10 ms). HeapReleased says so, and the memory is usable again.
TEST(TestScavengerReleasesFreePages)
{
	char *p = runtime_malloc(16 << 20);
	memset(p, 1, 16 << 20);
	runtime_free(p);
	struct memstats before, after;
	runtime_readmemstats(&before);
	runtime_freeosmemory();
	runtime_readmemstats(&after);
	if (after.HeapReleased < before.HeapReleased + (16 << 20)) {
		t_errorf(t, "HeapReleased went from %lu to %lu after 16 MiB were freed", (unsigned long)before.HeapReleased,
			 (unsigned long)after.HeapReleased);
	}
	char *q = runtime_malloc(16 << 20);
	for (int i = 0; i < 16 << 20; i += 4096) {
		if (q[i] != 0 && q == p) {
			t_fatalf(t, "released memory reads %d at %d", q[i], i);
		}
		q[i] = 2;
	}
	runtime_free(q);

	atomic_store_relaxed(&debug.scavenge, 1); // relaxed: sysmon reads the knob as it goes
	runtime_readmemstats(&before);
	after = before;
	int64_t deadline = time_nanotime() + 5 * Second;
	while (after.HeapReleased < before.HeapReleased + (16 << 20) && time_nanotime() < deadline) {
		time_sleep(10 * Millisecond);
		runtime_readmemstats(&after);
	}
	atomic_store_relaxed(&debug.scavenge, 0); // relaxed: as above
	if (after.HeapReleased < before.HeapReleased + (16 << 20)) {
		t_errorf(t, "sysmon's scavenger released %lu bytes in 5 s, want 16 MiB",
			 (unsigned long)(after.HeapReleased - before.HeapReleased));
	}
}
