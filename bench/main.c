// main.c: the benchmark image's application: run the benchmarks that the
// environment's bench= names (the boot command line's bench= word:
// bench/bench.h).

#include <stdio.h>

#include "bench/bench.h"
#include "include/hood.h"

int
main(void)
{
	const char *sel = runtime_getenv("bench");
	if (sel == NULL || sel[0] == '\0') {
		printf("bench: no bench= on the command line; nothing to run\n");
		return 1;
	}
	return bench_main(sel);
}
