// main.c: the hosted benchmark program: the runtime's benchmarks (the
// portable ones of bench/) as a Linux program linked with
// build/host/libhood.a, for make bench-compare (scripts/benchcompare).
//
//	build/host/bench [sel]     sel as the boot option bench=: all (the
//	                           default), names, or Prefix*

#include "bench/bench.h"

int
main(int argc, char **argv)
{
	return bench_main(argc > 1 ? argv[1] : "all");
}
