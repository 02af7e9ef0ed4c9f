// main_unit.c: the host unit tests' entry: pure runtime and kernel code (the
// command-line parser, the symbol tables, the frame allocator) built for
// Linux with AddressSanitizer and UBSan, run by the same runner as the
// guest tests (tests/testing.h).
//
//	build/host/unittest [all | list | TestA,TestB | Prefix*]

#include <time.h>

#include "tests/testing.h"

uint64_t
nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	return testing_main(argc > 1 ? argv[1] : "all");
}
