// cmdline_fuzz.c: libFuzzer on the boot command-line parser
// (kernel/cmdline.c): any bytes give a verdict, never a crash, an
// overflow or undefined behaviour (the build has ASan and UBSan), and an
// accepted line leaves every value in its documented range. make fuzz.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[1024];
	if (size >= sizeof line) {
		size = sizeof line - 1;
	}
	memcpy(line, data, size);
	line[size] = '\0';
	struct bootargs a;
	memset(&a, 0, sizeof a);
	char err[160];
	if (!cmdline_parse(line, &a, err, sizeof err)) {
		if (strlen(err) == 0) {
			abort(); // a refusal says why
		}
		return 0;
	}
	if (a.gomaxprocs < 0 || a.gomaxprocs > 1024 || a.ngodebug < 0 || a.ngodebug > CMDLINE_MAXDEBUG ||
	    (a.stacksize != 0 && (a.stacksize < 8192 || a.stacksize % 4096 != 0)) || a.nunknown < 0 ||
	    a.nunknown > CMDLINE_MAXUNKNOWN) {
		abort();
	}
	return 0;
}
