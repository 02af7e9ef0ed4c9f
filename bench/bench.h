// bench.h: benchmarks, shaped like Go's testing.B. A benchmark is a
// function of struct B *b that does its work b->n times:
//
//	BENCH(BenchmarkNanotime)
//	{
//		for (int i = 0; i < b->n; i++) {
//			nanotime();
//		}
//	}
//
// The runner (bench.c) calls it with n = 1, then with larger n until one
// run takes BENCHTIME, and prints the last run as Go does:
//
//	BenchmarkNanotime-2   	 5000000	       48.1 ns/op
//
// where -2 is the number of CPUs. b_reportmetric adds a column, like Go's
// b.ReportMetric ("250 p50-us"). b_setmaxn caps n for a benchmark whose
// work keeps memory that nothing gives back (the heap, until its
// collector): the runner then stops at that n, even short of BENCHTIME
// (Go has it for all benchmarks at once: -benchtime=Nx). The boot option
// bench= picks which run (bench=all, names, or Prefix*, as test=); make
// bench boots them.
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum { BENCH_MAXMETRICS = 6 };

struct B {
	const char *name;
	long n;
	uint64_t start;   // nanotime when the timer (re)started
	uint64_t elapsed; // ns accumulated while the timer ran
	bool skipped;
	long maxn; // 0, or the largest n the benchmark may be run with (b_setmaxn)
	int nmetrics;
	struct {
		double value;
		const char *unit;
	} metrics[BENCH_MAXMETRICS];
};

struct benchmark {
	const char *name;
	const char *file; // benchmarks run in file, then line order
	int line;
	void (*fn)(struct B *b);
};

// BENCH_REGISTER puts fn in the runner's list under the name label (a
// string: sub-benchmarks' names have slashes), at this line.
#define BENCH_REGISTER(fn, label)                                                                            \
	static const struct benchmark fn##_bench                                                             \
		__attribute__((section("hood_benchmarks"), used, aligned(8))) = {label, __FILE__, __LINE__, fn}

#define BENCH(name)                                                                                          \
	static void name(struct B *b);                                                                       \
	BENCH_REGISTER(name, #name);                                                                         \
	static void name(struct B *b)

void b_resettimer(struct B *b);
void b_stoptimer(struct B *b);
void b_starttimer(struct B *b);
void b_reportmetric(struct B *b, double value, const char *unit);
void b_skip(struct B *b, const char *why);
void b_setmaxn(struct B *b, long n);

// The heap a benchmark that allocates may take in a run (b_setmaxn caps
// its n by it): a hosted process's 128 MiB, 4 MiB of the guest's 128 for
// all of them. From before the collector, which freed nothing; kept so
// that these runs compare with earlier sittings' (the collector runs in
// them now; its own benchmarks are bench/gc_bench.c's).
#ifdef __linux__
enum { BenchHeapBudget = 128 << 20 };
#else
enum { BenchHeapBudget = 4 << 20 };
#endif
int bench_main(const char *sel);
