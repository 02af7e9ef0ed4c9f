// debug.c: the runtime's introspection and its knobs, as Go's debug.go,
// extern.go and runtime1.go's glue: NumCPU, NumGoroutine, GOMAXPROCS, the
// environment, and reading the knobs at boot (their parser is
// runtime1.c). Every other
// public call (include/hood.h) is defined in the file of its concept:
// Gosched and Goexit in proc.c, LockOSThread in lockosthread.c, Stack in
// traceback.c, Sleep and Nanotime in time.c.

#include "include/hood.h"
#include "runtime/runtime.h"

enum { ExitUsage = 64 }; // sysexits.h's EX_USAGE, as a malformed boot line

static void godebugwarn(const char *msg);

// Read the knobs into knobs and debug; a bad value ends the program, with
// the same line and status on both ports. Called once by schedinit,
// before the stacks and the Ps, on g0.
void
parsedebugvars(void)
{
	char err[512];
	if (!parseknobs(os_getenv, &knobs, &debug, err, sizeof err)) {
		os_print("runtime: %s\n", err);
		os_exit(ExitUsage);
	}
	// The settings that parse but will not act, as docs/boot.md promises a
	// typo is caught: a warning each, and the program runs.
	const char *v = os_getenv("GODEBUG");
	if (v != NULL) {
		godebug_check(v, godebugwarn);
	}
}

static void
godebugwarn(const char *msg)
{
	os_print("runtime: warning: %s\n", msg);
}

// Go's os.Getenv over the port's environment (include/hood.h).
const char *
runtime_getenv(const char *key)
{
	return os_getenv(key);
}

int
runtime_numcpu(void)
{
	return os_ncpu();
}

int
runtime_numgoroutine(void)
{
	return numgoroutine();
}

// GOMAXPROCS: n > 0 sets the number of Ps (stopping the world; no
// runnable goroutine is lost); returns the previous number.
int
runtime_gomaxprocs(int n)
{
	return gomaxprocs_set(n);
}
