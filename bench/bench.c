// bench.c: the benchmark runner (bench.h). Like Go's, it grows n until a
// run takes BENCHTIME: by the ratio of BENCHTIME to the last run's time,
// times 1.2, capped at 100x the last n, and rounded to 1, 2, 3 or 5 times
// a power of ten.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "include/hood.h"
#include "runtime/os.h"
#include "tests/testing.h"

enum {
	BENCHTIME = 500 * 1000 * 1000, // ns; Go's default is 1 s, TCG is slow
	MAXN = 1000000000,
};

extern const struct benchmark __start_hood_benchmarks[], __stop_hood_benchmarks[];

void
b_resettimer(struct B *b)
{
	b->elapsed = 0;
	b->start = nanotime();
}

void
b_stoptimer(struct B *b)
{
	if (b->start != 0) {
		b->elapsed += nanotime() - b->start;
		b->start = 0;
	}
}

void
b_starttimer(struct B *b)
{
	if (b->start == 0) {
		b->start = nanotime();
	}
}

void
b_reportmetric(struct B *b, double value, const char *unit)
{
	if (b->nmetrics < BENCH_MAXMETRICS) {
		b->metrics[b->nmetrics].value = value;
		b->metrics[b->nmetrics].unit = unit;
		b->nmetrics++;
	}
}

void
b_skip(struct B *b, const char *why)
{
	if (!b->skipped) {
		printf("--- SKIP: %s\n    %s\n", b->name, why);
	}
	b->skipped = true;
}

void
b_setmaxn(struct B *b, long n)
{
	b->maxn = n > 0 ? n : 1;
}

static void
runonce(const struct benchmark *bm, struct B *b, long n)
{
	b->n = n;
	b->nmetrics = 0;
	b->start = 0;
	b->elapsed = 0;
	b_starttimer(b);
	bm->fn(b);
	b_stoptimer(b);
}

// A round number at least n: 1, 2, 3 or 5 times a power of ten.
static long
roundup(long n)
{
	long base = 1;
	while (base * 10 <= n) {
		base *= 10;
	}
	static const int steps[] = {1, 2, 3, 5, 10};
	for (int i = 0; i < 5; i++) {
		if (base * steps[i] >= n) {
			return base * steps[i];
		}
	}
	return base * 10;
}

static void
run(const struct benchmark *bm)
{
	struct B b = {.name = bm->name};
	long n = 1;
	runonce(bm, &b, n);
	while (!b.skipped && b.elapsed < BENCHTIME && n < MAXN && (b.maxn == 0 || n < b.maxn)) {
		uint64_t per = b.elapsed / n;
		long next = per == 0 ? n * 100 : (long)((double)BENCHTIME * 1.2 / per);
		if (next > n * 100) {
			next = n * 100;
		}
		if (next <= n) {
			next = n + 1;
		}
		n = roundup(next);
		if (b.maxn != 0 && n > b.maxn) {
			n = b.maxn;
		}
		runonce(bm, &b, n);
	}
	if (b.skipped) {
		return;
	}
	char name[64];
	snprintf(name, sizeof name, "%s-%d", bm->name, runtime_gomaxprocs(0)); // Go's -N: GOMAXPROCS
	printf("%-40s\t%10ld\t%12.1f ns/op", name, n, (double)b.elapsed / n);
	for (int i = 0; i < b.nmetrics; i++) {
		printf("\t%12.1f %s", b.metrics[i].value, b.metrics[i].unit);
	}
	printf("\n");
}

static int
cmpbench(const void *a, const void *b)
{
	const struct benchmark *x = *(const struct benchmark *const *)a;
	const struct benchmark *y = *(const struct benchmark *const *)b;
	int c = strcmp(x->file, y->file);
	return c != 0 ? c : x->line - y->line;
}

int
bench_main(const char *sel)
{
	// In source order, as Go runs them; the linker keeps no order.
	static const struct benchmark *order[256];
	int n = 0;
	for (const struct benchmark *bm = __start_hood_benchmarks; bm < __stop_hood_benchmarks && n < 256;
	     bm++) {
		order[n++] = bm;
	}
	qsort(order, n, sizeof order[0], cmpbench);
	printf("goos: hood\ngoarch: amd64\ncpus: %d\n", runtime_numcpu());
	for (int i = 0; i < n; i++) {
		if (testing_selected(order[i]->name, sel)) {
			run(order[i]);
		}
	}
	printf("PASS\n");
	return 0;
}
