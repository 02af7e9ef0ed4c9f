// gcbench.c: Boehm's collector (Debian's libgc, bdwgc, with its parallel
// marking) on the collector benchmarks' work (bench/gcwork.h), for make
// bench-compare: a plain Linux program that prints Go's benchmark lines
// with the names and metrics of bench/gc_bench.c and bench/go/gc_test.go,
// one run of each (or of the one named). Boehm stops the world for a whole
// collection; its pauses are timed from its PRE_STOP_WORLD to its
// POST_START_WORLD event.
//
//	build/host/gcbench-boehm [BinaryTrees|GCBench]

#define GC_THREADS // before gc.h: pthread_create registers the ticker
#include <gc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define GCNEW(size) GC_MALLOC(size)
#include "bench/gcwork.h"
#include "lib/atomic.h"

enum { TreesDepth = 21, StretchDepth = 18, LongLivedDepth = 16, MaxDepth = 16, MaxPauses = 1 << 16 };

static int64_t
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The stops, timed by the collector's events (its thread, one at a time).
static int64_t stopped, pauses[MaxPauses];
static int npauses;

static void
onevent(GC_EventType e)
{
	if (e == GC_EVENT_PRE_STOP_WORLD) {
		stopped = now();
	} else if (e == GC_EVENT_POST_START_WORLD && npauses < MaxPauses) {
		pauses[npauses++] = now() - stopped;
	}
}

// The thread that sleeps 1 ms at a time, and its worst lateness.
static bool stop;     // Atomic
static int64_t worst; // Atomic

static void *
tick(void *arg)
{
	(void)arg;
	while (!atomic_load_relaxed(&stop)) { // relaxed: a flag; pthread_join orders the rest
		int64_t start = now();
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
		int64_t late = now() - start - 1000000;
		if (late > atomic_load_relaxed(&worst)) {
			atomic_store_relaxed(&worst, late); // relaxed: one writer
		}
	}
	return NULL;
}

static int
cmpi64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

// One run of work, then its line.
static void
bench(const char *name, long (*work)(void), long want)
{
	GC_gcollect();
	gcrss_reset();
	npauses = 0;
	atomic_store_relaxed(&stop, false); // relaxed: before pthread_create, which orders them
	atomic_store_relaxed(&worst, 0);
	pthread_t t;
	pthread_create(&t, NULL, tick, NULL);
	GC_word gcs = GC_get_gc_no();
	int64_t start = now();
	long got = work();
	int64_t took = now() - start;
	atomic_store_relaxed(&stop, true); // relaxed: as in tick
	pthread_join(t, NULL);
	if (want >= 0 ? got != want : got < 0) {
		fprintf(stderr, "%s: wrong result %ld\n", name, got);
		exit(1);
	}
	qsort(pauses, npauses, sizeof pauses[0], cmpi64);
	double max = npauses > 0 ? pauses[npauses - 1] / 1e3 : 0, p99 = npauses > 0 ? pauses[npauses * 99 / 100] / 1e3 : 0;
	printf("Benchmark%s-%ld\t%10d\t%12ld ns/op\t%12.1f max-pause-us\t%12.1f p99-pause-us\t%12.1f stall-us\t%12.1f "
	       "GCs\t%12.1f peak-MB\n",
	       name, sysconf(_SC_NPROCESSORS_ONLN), 1, (long)took, max, p99, atomic_load_relaxed(&worst) / 1e3,
	       (double)(GC_get_gc_no() - gcs), gcrss_peak() / 1048576.0);
	fflush(stdout);
}

static long
trees(void)
{
	return binarytrees(TreesDepth);
}

static long
ellis(void)
{
	return gcbench(StretchDepth, LongLivedDepth, MaxDepth);
}

int
main(int argc, char **argv)
{
	GC_INIT();
	GC_set_on_collection_event(onevent);
	long want = treesize(TreesDepth + 1) + treesize(TreesDepth);
	for (int d = 4; d <= TreesDepth; d += 2) {
		want += (1L << (TreesDepth - d + 4)) * treesize(d);
	}
	if (argc < 2 || strcmp(argv[1], "BinaryTrees") == 0) {
		bench("BinaryTrees", trees, want);
	}
	if (argc < 2 || strcmp(argv[1], "GCBench") == 0) {
		bench("GCBench", ellis, -1);
	}
	return 0;
}
