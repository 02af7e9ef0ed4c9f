// main.c: the test image's application: run the tests the boot command
// line's test= option names (tests/testing.h).

#include <stdio.h>

#include "kernel/cmdline.h"
#include "tests/testing.h"

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
