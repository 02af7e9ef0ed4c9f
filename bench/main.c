// main.c: the benchmark image's application: run the benchmarks the boot
// command line's bench= option names (bench/bench.h).

#include <stdio.h>

#include "bench/bench.h"
#include "kernel/cmdline.h"

int
main(void)
{
	if (bootargs.bench[0] == '\0') {
		printf("bench: no bench= on the command line; nothing to run\n");
		return 1;
	}
	return bench_main(bootargs.bench);
}
