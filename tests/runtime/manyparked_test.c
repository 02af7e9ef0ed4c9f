// manyparked_test.c: many goroutines parked at once, as Go runs a
// million: each costs its G, the top page of its stack (stack.c) and the
// machine's bookkeeping of that page. On the hosted port that bookkeeping
// once was two memory mappings a stack (the mapped top page splitting the
// PROT_NONE region), and Linux's vm.max_map_count (65,530) ended the
// program at about 32,700 live goroutines with "fatal error: os_mapstack:
// mprotect failed"; mem_linux.c now guards stacks with guard markers
// (MADV_GUARD_INSTALL) that split nothing. The test parks N goroutines,
// each on a wait group of its own (tests/wg.h), checks the count, reports
// the memory per parked goroutine where the machine can tell it (Linux's
// /proc: resident memory and page tables), then releases them all and
// checks that all exit.
//
// N: 1,000,000 on the hosted port, 100,000 in short mode; 2,000 in the
// guest (128 MiB of memory); 10,000 with stacks larger than the default
// (the sanitizer builds' HOOD_STACK), whose stack region holds fewer.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

static struct waitgroup manyexitwg;

static void
parker(void *arg)
{
	wg_wait(arg); // parked until main's wg_done
	wg_done(&manyexitwg);
}

// The value of the "key:" line of /proc/self/status, in KiB, or -1 where
// there is no such file (the guest).
static long
procstatus(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL) {
		return -1;
	}
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

TEST(TestMillionParkedGoroutines)
{
	bool hosted = procstatus("VmRSS") >= 0;
	long n = !hosted ? 2000 : testing_short ? 100000 : 1000000;
	if (stacksize() > (1 << 20) && n > 10000) {
		n = 10000;
	}
	struct waitgroup *wgs = calloc(n, sizeof *wgs);
	if (wgs == NULL) {
		t_fatalf(t, "calloc of %ld wait groups failed", n);
	}
	int before = runtime_numgoroutine();
	long rss0 = procstatus("VmRSS"), pte0 = procstatus("VmPTE");
	int64_t start = time_nanotime();
	wg_add(&manyexitwg, n);
	for (long i = 0; i < n; i++) {
		wg_add(&wgs[i], 1);
		go(parker, &wgs[i]);
	}
	// Parked once registered as its wait group's waiter: parkunless
	// registers it on g0, after the G is off its stack.
	for (long i = 0; i < n; i++) {
		// Acquire; pairs with parkunless's CAS that registers the G.
		while (atomic_load_acq(&wgs[i].waiter) == NULL) {
			time_sleep(Millisecond);
		}
	}
	int64_t parked = time_nanotime();
	// At least main and the parkers: `before` may count a goroutine of an
	// earlier test that was still on its way out (it readied its waiter
	// just before it exited) and is gone now.
	int live = runtime_numgoroutine();
	if (live < n + 1) {
		t_errorf(t, "%d goroutines with %ld parked, want at least %ld", live, n, n + 1);
	}
	long rss = procstatus("VmRSS"), pte = procstatus("VmPTE");
	if (hosted) {
		t_logf(t, "%ld parked goroutines in %.2f s: %.2f KiB resident and %.2f KiB of page tables each",
		       n, (parked - start) / 1e9, (double)(rss - rss0) / n, (double)(pte - pte0) / n);
	}
	for (long i = 0; i < n; i++) {
		wg_done(&wgs[i]);
	}
	wg_wait(&manyexitwg);
	// The last may be between wg_done and their exit: give them time.
	int64_t deadline = time_nanotime() + 5 * Second;
	while ((live = runtime_numgoroutine()) > before && time_nanotime() < deadline) {
		time_sleep(Millisecond);
	}
	if (live > before) {
		t_errorf(t, "%d goroutines left after all %ld exited, %d before", live, n, before);
	}
	free(wgs);
}
