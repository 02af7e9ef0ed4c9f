// main_hosted.c: the hosted test program: the runtime's tests
// (tests/runtime/) as a Linux program linked with build/host/libhood.a. Its
// main runs as goroutine 1 (-Wl,--wrap=main, runtime/os_linux.c).
//
//	build/host/test [sel]      sel as the boot option test=: all (the
//	                           default), TestA,TestB or Prefix*
//
// Without an argument, test= in the environment selects, as in the guest
// image; HOOD_SHORT=1 or short=on in the environment is the short mode
// (Go's -short).

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "include/hood.h"
#include "tests/testing.h"

// On Linux a page of a goroutine stack counts as mapped when it is in
// memory (mincore).
bool
testing_pagemapped(uint64_t va)
{
	unsigned char in = 0;
	return mincore((void *)(va & ~4095ULL), 4096, &in) == 0 && (in & 1);
}

int
main(int argc, char **argv)
{
	const char *s = runtime_getenv("HOOD_SHORT");
	const char *shortopt = runtime_getenv("short");
	const char *sel = runtime_getenv("test");
	testing_short = (s != NULL && s[0] == '1') || (shortopt != NULL && strcmp(shortopt, "on") == 0);
	if (argc > 1) {
		sel = argv[1];
	}
	return testing_main(sel != NULL && sel[0] != '\0' ? sel : "all");
}
