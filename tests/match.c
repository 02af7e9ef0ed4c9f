// match.c: what tests and benchmarks share without the test runner: the
// selection of names (test=, bench=) and a comparison for percentiles.
// testing.h declares them.

#include <stdint.h>
#include <string.h>

#include "tests/testing.h"

// Whether name is chosen by sel: "all", a comma-separated list of names,
// each of which may end in * to match a prefix.
bool
testing_selected(const char *name, const char *sel)
{
	if (strcmp(sel, "all") == 0) {
		return true;
	}
	for (const char *p = sel; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len > 0 && p[len - 1] == '*') {
			if (strncmp(name, p, len - 1) == 0) {
				return true;
			}
		} else if (strlen(name) == len && strncmp(name, p, len) == 0) {
			return true;
		}
		p += comma ? len + 1 : len;
	}
	return false;
}

// A qsort comparison of uint64_t values (latencies, for percentiles), for
// tests and benchmarks alike.
int
testing_cmpu64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}
