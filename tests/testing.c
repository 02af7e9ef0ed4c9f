// testing.c: the test framework, shared by the guest test image (whose
// main, tests/main_guest.c, passes the test= boot option), the hosted test
// program (tests/main_hosted.c) and the host unit tests
// (tests/main_unit.c), which pass argv[1]. See testing.h.

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testing.h"

extern const struct testcase __start_hood_tests[], __stop_hood_tests[];

enum { MAXTESTS = 1024 };
static const struct testcase *tests[MAXTESTS]; // in source order
static int ntests;

bool testing_short;

static jmp_buf fatal;     // where t_fatalf ends the current test
static char logbuf[4096]; // the current test's log, printed after its result
static size_t loglen;

static void sorttests(void);
static void runtest(const struct testcase *tc, bool *failed);

// Run the tests sel chooses; 0 if all passed, 1 if not (or none matched).
int
testing_main(const char *sel)
{
	bool failed = false;
	int ran = 0;

	sorttests();
	if (strcmp(sel, "list") == 0) {
		for (int i = 0; i < ntests; i++) {
			const struct testcase *tc = tests[i];
			if (tc->message != NULL) {
				printf("crashtest %s %d %s\n", tc->name, tc->status, tc->message);
			} else if (tc->outcome != NULL) {
				printf("runnertest %s %s\n", tc->name, tc->outcome);
			} else {
				printf("test %s\n", tc->name);
			}
		}
		return 0;
	}
	for (int i = 0; i < ntests; i++) {
		const struct testcase *tc = tests[i];
		// test=all runs the tests that return; the others only by name.
		bool special = tc->message != NULL || tc->outcome != NULL;
		if (special ? strcmp(sel, tc->name) == 0 : testing_selected(tc->name, sel)) {
			runtest(tc, &failed);
			ran++;
		}
	}
	if (ran == 0) {
		printf("testing: no test matches \"%s\"\n", sel);
		return 1;
	}
	if (failed) {
		printf("FAIL\n");
		return 1;
	}
	printf("PASS\n");
	return 0;
}

static int
cmptest(const void *a, const void *b)
{
	const struct testcase *x = *(const struct testcase *const *)a;
	const struct testcase *y = *(const struct testcase *const *)b;
	int c = strcmp(x->file, y->file);
	return c != 0 ? c : x->line - y->line;
}

// The linker keeps .tests in no useful order; Go runs tests in source order.
static void
sorttests(void)
{
	for (const struct testcase *tc = __start_hood_tests; tc < __stop_hood_tests; tc++) {
		if (ntests == MAXTESTS) {
			printf("testing: more than %d tests\n", MAXTESTS);
			abort();
		}
		tests[ntests++] = tc;
	}
	qsort(tests, ntests, sizeof tests[0], cmptest);
}

static void
runtest(const struct testcase *tc, bool *failed)
{
	struct T t = {tc->name, false};

	printf("=== RUN   %s\n", tc->name);
	fflush(stdout);
	loglen = 0;
	uint64_t start = nanotime();
	if (setjmp(fatal) == 0) {
		tc->fn(&t);
	}
	uint64_t ns = nanotime() - start;
	printf("--- %s: %s (%lu.%02lus)\n", t.failed ? "FAIL" : "PASS", tc->name, ns / 1000000000,
	       ns / 10000000 % 100);
	fwrite(logbuf, 1, loglen, stdout);
	fflush(stdout);
	*failed |= t.failed;
}

static void
vlog(const char *file, int line, const char *fmt, va_list ap)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	if (loglen < sizeof logbuf) {
		loglen += snprintf(logbuf + loglen, sizeof logbuf - loglen, "    %s:%d: ", base, line);
	}
	if (loglen < sizeof logbuf) {
		loglen += vsnprintf(logbuf + loglen, sizeof logbuf - loglen, fmt, ap);
	}
	if (loglen < sizeof logbuf) {
		loglen += snprintf(logbuf + loglen, sizeof logbuf - loglen, "\n");
	}
	if (loglen > sizeof logbuf) {
		loglen = sizeof logbuf;
	}
}

void
t_log_at(struct T *t, const char *file, int line, const char *fmt, ...)
{
	(void)t;
	va_list ap;
	va_start(ap, fmt);
	vlog(file, line, fmt, ap);
	va_end(ap);
}

void
t_logf_at(struct T *t, const char *file, int line, bool fatalnow, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(file, line, fmt, ap);
	va_end(ap);
	t->failed = true;
	if (fatalnow) {
		longjmp(fatal, 1);
	}
}
