// gc_bench.c: the collector's benchmarks (issue 14), binary-trees and
// Boehm's GCBench (the work is bench/gcwork.h's). Each reports, besides
// the time of a run, what the collector cost the program meanwhile:
//
//	max-pause-us   the longest stop of the world (MemStats' PauseNs, both
//	               stops of a cycle)
//	p99-pause-us   the 99th percentile of the cycles' pauses
//	stall-us       the worst lateness of a goroutine sleeping 1 ms at a
//	               time: what the program waits for, stops or not
//	GCs            the cycles per run
//	peak-MB        the peak resident set (Linux only)
//
// Twins with the same names and metrics: bench/go/gc_test.go (Go) and
// bench/boehm/gcbench.c (Boehm's collector, hosted). Depths: the
// benchmarks game's 21 and GCBench's own (18, 16, 16) on Linux; 16 and
// (16, 14, 14) under QEMU, whose guest has 128 MiB.

#include <stdlib.h>

#include "bench/bench.h"
#include "include/hood.h"
#include "lib/atomic.h"
#include "tests/testing.h"
#include "tests/wg.h"

#define GCNEW(size) runtime_new((size), false)
#include "bench/gcwork.h"

#ifdef __linux__
enum { TreesDepth = 21, StretchDepth = 18, LongLivedDepth = 16, MaxDepth = 16 };
#else
enum { TreesDepth = 16, StretchDepth = 16, LongLivedDepth = 14, MaxDepth = 14 };
#endif

// The sleeping goroutine and what it saw.
static struct {
	bool stop;     // Atomic
	int64_t worst; // Atomic: its largest lateness, ns
	struct waitgroup wg;
} ticker;

static void
tick(void *arg)
{
	(void)arg;
	while (!atomic_load_relaxed(&ticker.stop)) { // relaxed: a flag; wg_wait orders the rest
		int64_t start = time_nanotime();
		time_sleep(Millisecond);
		int64_t late = time_nanotime() - start - Millisecond;
		if (late > atomic_load_relaxed(&ticker.worst)) {
			atomic_store_relaxed(&ticker.worst, late); // relaxed: one writer
		}
	}
	wg_done(&ticker.wg);
}

// A benchmark's measurement: the ticker runs and the statistics are taken
// from gcbegin to gcend, which reports the metrics.
struct gcrun {
	struct memstats before;
};

static void
gcbegin(struct gcrun *r)
{
	runtime_gc(); // a heap without the last benchmark's garbage
#ifdef __linux__
	gcrss_reset();
#endif
	atomic_store_relaxed(&ticker.stop, false);
	atomic_store_relaxed(&ticker.worst, 0);
	wg_add(&ticker.wg, 1);
	go(tick, NULL);
	runtime_readmemstats(&r->before);
}

static void
gcend(struct B *b, struct gcrun *r)
{
	b_stoptimer(b);
	static struct memstats after;
	runtime_readmemstats(&after);
	atomic_store_relaxed(&ticker.stop, true);
	wg_wait(&ticker.wg);
	uint32_t n = after.NumGC - r->before.NumGC, k = n < 256 ? n : 256;
	uint64_t pauses[256];
	for (uint32_t i = 0; i < k; i++) {
		pauses[i] = after.PauseNs[(after.NumGC - 1 - i) % 256];
	}
	qsort(pauses, k, sizeof pauses[0], testing_cmpu64);
	b_reportmetric(b, k > 0 ? (double)pauses[k - 1] / 1000 : 0, "max-pause-us");
	b_reportmetric(b, k > 0 ? (double)pauses[k * 99 / 100] / 1000 : 0, "p99-pause-us");
	b_reportmetric(b, (double)atomic_load_relaxed(&ticker.worst) / 1000, "stall-us");
	b_reportmetric(b, (double)n / (double)b->n, "GCs");
#ifdef __linux__
	b_reportmetric(b, (double)gcrss_peak() / (1 << 20), "peak-MB");
#endif
}

BENCH(BenchmarkBinaryTrees)
{
	// The nodes checked: the stretch tree, the long-lived one, and
	// 2^(n-d+4) trees of each depth d.
	long want = treesize(TreesDepth + 1) + treesize(TreesDepth);
	for (int d = 4; d <= TreesDepth; d += 2) {
		want += (1L << (TreesDepth - d + 4)) * treesize(d);
	}
	struct gcrun r;
	gcbegin(&r);
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		if (binarytrees(TreesDepth) != want) {
			runtime_panic("binarytrees: a tree lost nodes");
		}
	}
	gcend(b, &r);
}

BENCH(BenchmarkGCBench)
{
	struct gcrun r;
	gcbegin(&r);
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		if (gcbench(StretchDepth, LongLivedDepth, MaxDepth) < 0) {
			runtime_panic("gcbench: the long-lived data did not survive");
		}
	}
	gcend(b, &r);
}
