// main_guest.c: the test image's application: run the tests the boot command
// line's test= option names (tests/testing.h).

#include <stdio.h>

#include "kernel/cmdline.h"
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
	if (bootargs.test[0] == '\0') {
		printf("testing: no test= on the command line; nothing to run\n");
		return 1;
	}
	testing_short = bootargs.testshort;
	return testing_main(bootargs.test);
}
