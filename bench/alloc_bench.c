// alloc_bench.c: the garbage-collected heap's allocation path (mallocgc,
// runtime/malloc.c; see docs/malloc.md), beside Go's in bench/go:
//
//	AllocSize/N    new of an N-byte object that holds no pointers, kept
//	               in a global sink (Go: sink = new([N]byte))
//	TinyAlloc      8 bytes, noscan: the tiny allocator's 16-byte blocks
//	AllocParallel  every P's goroutine allocating 64 bytes (Go's
//	               b.RunParallel)
//
// Written before the collector existed, when nothing given out was freed,
// each benchmark caps its n by a byte budget (b_setmaxn): BenchHeapBudget
// bytes of objects in its last run, which then may end before BENCHTIME;
// kept so that sittings compare. Both sides' collectors run in these now
// and reuse what they sweep; the collectors' own benchmarks are
// bench/gc_bench.c's.

#include <stdint.h>

#include "bench/bench.h"
#include "include/hood.h"
#include "tests/wg.h"


// Where each object goes, so that none is dead code; a cache line of its own.
void *volatile allocsink __attribute__((aligned(64)));

static void
allocsize(struct B *b, long size)
{
	b_setmaxn(b, BenchHeapBudget / size);
	for (long i = 0; i < b->n; i++) {
		allocsink = runtime_new(size, true);
	}
}

#define ALLOCSIZE(size, label)                                                                               \
	static void allocsize_##size(struct B *b)                                                            \
	{                                                                                                    \
		allocsize(b, size);                                                                          \
	}                                                                                                    \
	BENCH_REGISTER(allocsize_##size, "BenchmarkAllocSize/" label);

ALLOCSIZE(8, "8")
ALLOCSIZE(16, "16")
ALLOCSIZE(32, "32")
ALLOCSIZE(64, "64")
ALLOCSIZE(128, "128")
ALLOCSIZE(512, "512")
ALLOCSIZE(1024, "1K")
ALLOCSIZE(4096, "4K")
ALLOCSIZE(32768, "32K")
ALLOCSIZE(1048576, "1M")

BENCH(BenchmarkTinyAlloc)
{
	allocsize(b, 8);
}

// Each P's goroutine allocates its share of n, into a sink of its own (a
// cache line apart: the sinks must not be what the Ps share).
enum { MaxProcs = 64 };
static struct {
	void *volatile p;
	char pad[56];
} parsinks[MaxProcs] __attribute__((aligned(64)));
static struct waitgroup parwg;
static long parn;

static void
parallocator(void *arg)
{
	long me = (long)(intptr_t)arg;
	for (long i = 0; i < parn; i++) {
		parsinks[me].p = runtime_new(64, true);
	}
	wg_done(&parwg);
}

BENCH(BenchmarkAllocParallel)
{
	b_setmaxn(b, BenchHeapBudget / 64);
	int procs = runtime_gomaxprocs(0);
	if (procs > MaxProcs) {
		procs = MaxProcs;
	}
	parn = (b->n + procs - 1) / procs;
	wg_add(&parwg, procs);
	for (int i = 0; i < procs; i++) {
		go(parallocator, (void *)(intptr_t)i);
	}
	wg_wait(&parwg);
}
