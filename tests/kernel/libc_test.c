// libc_test.c: newlib works from kernel code and goroutines: formatting,
// parsing, sorting, maths, the heap, and errno per goroutine.

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "include/hood.h"
#include "lib/atomic.h"
#include "tests/testing.h"
#include "tests/wg.h"

TEST(TestPrintfIntegers)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%d %i %u %x %lld %ld %5d|%-4d|", -42, 7, 3000000000u, 0xbeef,
		 -9000000000000000000LL, 123456789012L, 17, 3);
	const char *want = "-42 7 3000000000 beef -9000000000000000000 123456789012    17|3   |";
	if (strcmp(buf, want) != 0) {
		t_errorf(t, "got \"%s\", want \"%s\"", buf, want);
	}
}

TEST(TestPrintfFloats)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%f %.3f %e %g %.1f", 3.5, 2.0 / 3.0, 12345.678, 0.0001, -0.25);
	const char *want = "3.500000 0.667 1.234568e+04 0.0001 -0.2";
	if (strcmp(buf, want) != 0) {
		t_errorf(t, "got \"%s\", want \"%s\"", buf, want);
	}
}

TEST(TestPrintfStringsAndPointers)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s|%10s|%-6s|%c|%p|%p", "go", "right", "left", 'x', (void *)0x1234,
		 (void *)0);
	// newlib prints a null pointer as 0x0.
	const char *want = "go|     right|left  |x|0x1234|0x0";
	if (strcmp(buf, want) != 0) {
		t_errorf(t, "got \"%s\", want \"%s\"", buf, want);
	}
}

TEST(TestSnprintfTruncates)
{
	char buf[8];
	int n = snprintf(buf, sizeof buf, "%s", "0123456789");
	if (n != 10 || strcmp(buf, "0123456") != 0) {
		t_errorf(t, "got %d \"%s\", want 10 \"0123456\"", n, buf);
	}
}

TEST(TestStrtod)
{
	static const struct {
		const char *s;
		double want;
	} cases[] = {{"3.25", 3.25}, {"-1e3", -1000.0}, {"0x10", 16.0}, {"  42abc", 42.0}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = strtod(cases[i].s, NULL);
		if (got != cases[i].want) {
			t_errorf(t, "strtod(\"%s\") = %g, want %g", cases[i].s, got, cases[i].want);
		}
	}
}

static int
cmpint(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

TEST(TestQsort)
{
	int v[] = {5, 3, 9, 1, 7, 2, 8, 6, 4, 0};
	qsort(v, 10, sizeof v[0], cmpint);
	for (int i = 0; i < 10; i++) {
		if (v[i] != i) {
			t_fatalf(t, "v[%d] = %d after qsort, want %d", i, v[i], i);
		}
	}
}

TEST(TestSqrt)
{
	if (sqrt(2.0) != 1.4142135623730951) {
		t_errorf(t, "sqrt(2) = %.17g", sqrt(2.0));
	}
	if (fabs(sin(M_PI / 2) - 1.0) > 1e-15 || fabs(exp(1.0) - M_E) > 1e-15) {
		t_errorf(t, "sin(pi/2) = %.17g, exp(1) = %.17g", sin(M_PI / 2), exp(1.0));
	}
}

// The heap grows through sbrk, page by page: a large block is writable
// end to end and freed memory is reused.
TEST(TestMalloc)
{
	size_t n = 4 << 20;
	char *p = malloc(n);
	if (p == NULL) {
		t_fatalf(t, "malloc(%zu) = NULL", n);
	}
	memset(p, 0xab, n);
	if (p[0] != (char)0xab || p[n - 1] != (char)0xab) {
		t_errorf(t, "heap block does not hold its bytes");
	}
	free(p);
	char *q = malloc(n);
	if (q != p) {
		t_logf(t, "second block at %p, first at %p", q, p);
	}
	free(q);
}

TEST(TestGettimeofday)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	// After 2020-01-01 and before 2100-01-01: the RTC was read and converted.
	if (tv.tv_sec < 1577836800 || tv.tv_sec > 4102444800LL) {
		t_errorf(t, "gettimeofday seconds = %lld, not a plausible date", (long long)tv.tv_sec);
	}
}

// Each goroutine has its own errno (newlib's reentrancy structure, from
// __getreent): eight goroutines set theirs, yield and sleep, and find it
// unchanged; a new goroutine starts with errno 0, on a reused G too.
static struct waitgroup errnowg;

static void
errnokeeper(void *arg)
{
	int *bad = arg;
	int mine = 1000 + (int)runtime_numgoroutine() % 7;
	if (errno != 0) {
		atomic_xadd_relaxed(bad, 1);
	}
	for (int i = 0; i < 50; i++) {
		errno = mine + i;
		if (i % 10 == 0) {
			time_sleep(50 * Microsecond);
		} else {
			runtime_gosched();
		}
		if (errno != mine + i) {
			atomic_xadd_relaxed(bad, 1);
		}
	}
	errno = EDOM; // left behind for the next goroutine on this G
	wg_done(&errnowg);
}

TEST(TestErrnoPerGoroutine)
{
	int bad = 0;
	for (int round = 0; round < 2; round++) {
		wg_add(&errnowg, 8);
		for (int i = 0; i < 8; i++) {
			go(errnokeeper, &bad);
		}
		wg_wait(&errnowg);
	}
	if (bad != 0) {
		t_errorf(t, "%d times a goroutine found an errno it did not set", bad);
	}
	errno = 0;
	if (strtol("99999999999999999999999", NULL, 10) != LONG_MAX || errno != ERANGE) {
		t_errorf(t, "strtol overflow: errno %d, want ERANGE", errno);
	}
}

// stdin, stdout and stderr are the same FILEs in every goroutine, and
// exit will flush them: the global reentrancy structure set them up.
static FILE *otherstdout;

static void
seestdout(void *arg)
{
	(void)arg;
	otherstdout = stdout;
	wg_done(&errnowg);
}

TEST(TestStdioSharedByGoroutines)
{
	wg_add(&errnowg, 1);
	go(seestdout, NULL);
	wg_wait(&errnowg);
	if (otherstdout != stdout) {
		t_errorf(t, "stdout is %p in one goroutine, %p in another", (void *)otherstdout,
			 (void *)stdout);
	}
	if (_GLOBAL_REENT->__cleanup == NULL) {
		t_errorf(t,
			 "stdio is not set up in the global reentrancy structure: exit would not flush it");
	}
}
