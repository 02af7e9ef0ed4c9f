// cmdline_fuzz.c: libFuzzer on the boot command line as bare metal reads
// it: the kernel's split into kernel options and environment
// (kernel/cmdline.c), then the runtime's knobs from that environment
// (runtime/runtime1.c's parseknobs). Any bytes give a verdict, never a
// crash, an overflow or undefined behaviour (the build has ASan and
// UBSan); an accepted line leaves every value in its documented range, and
// a refusal says why. make fuzz.
//
// The Makefile's rule links this file with kernel/cmdline.c and
// runtime/runtime1.c; the environment parseknobs reads is the kernel's, as
// os_hood.c's os_getenv gives it.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "runtime/runtime.h"

static const char *
bootenv(const char *name)
{
	return cmdline_getenv(&bootargs, name);
}

// A warning is one line.
static void
checkwarning(const char *msg)
{
	if (msg[0] == '\0' || strchr(msg, '\n') != NULL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[CMDLINE_LINEMAX];
	if (size >= sizeof line) {
		size = sizeof line - 1;
	}
	memcpy(line, data, size);
	line[size] = '\0';
	char err[256];
	err[0] = '\0';
	if (!cmdline_parse(line, &bootargs, err, sizeof err)) {
		if (strlen(err) == 0) {
			abort(); // a refusal says why
		}
		return 0;
	}
	if (bootargs.nenv < 0 || bootargs.nenv > CMDLINE_MAXENV || bootargs.env[bootargs.nenv] != NULL ||
	    bootargs.nunknown < 0 || bootargs.nunknown > bootargs.nenv) {
		abort();
	}
	for (int i = 0; i < bootargs.nenv; i++) {
		if (strchr(bootargs.env[i], '=') == NULL || bootargs.env[i][0] == '=') {
			abort(); // every environment word is KEY=VALUE
		}
	}
	struct knobs k;
	struct dbgvars d;
	if (!parseknobs(bootenv, &k, &d, err, sizeof err)) {
		if (strncmp(err, "bad value for ", 14) != 0) {
			abort(); // a refusal names the key
		}
		return 0;
	}
	if (k.gomaxprocs < 0 || k.gomaxprocs > 1024 || k.gcpercent < -1 || k.gcpercent > 1000000 ||
	    k.traceback < TracebackNone || k.traceback > TracebackCrash ||
	    (k.stacksize != 0 && (k.stacksize < 16384 || k.stacksize % 4096 != 0)) || d.schedtrace < 0 ||
	    d.scheddetail < 0 || d.scavenge < 0) {
		abort();
	}
	const char *godebug = bootenv("GODEBUG");
	if (godebug != NULL) {
		godebug_check(godebug, checkwarning);
	}
	return 0;
}
