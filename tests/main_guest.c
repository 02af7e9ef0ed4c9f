// main_guest.c: the test image's application: run the tests that the
// environment's test= names (on bare metal, the boot command line's
// test= word: tests/testing.h); short=on is the short mode (Go's -short).

#include <stdio.h>
#include <string.h>

#include "include/hood.h"
#include "kernel/kernel.h"
#include "tests/testing.h"

bool
testing_pagemapped(uint64_t va)
{
	return vm_mapped(va);
}

int
main(void)
{
	const char *sel = runtime_getenv("test");
	const char *s = runtime_getenv("short");
	if (s != NULL && strcmp(s, "on") != 0 && strcmp(s, "off") != 0) {
		printf("testing: bad value for short: \"%s\" (want on or off)\n", s);
		return EXIT_USAGE;
	}
	if (sel == NULL || sel[0] == '\0') {
		printf("testing: no test= on the command line; nothing to run\n");
		return 1;
	}
	testing_short = s != NULL && strcmp(s, "on") == 0;
	return testing_main(sel);
}
