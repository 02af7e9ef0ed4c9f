// api.c: the public API (include/hood.h) over the runtime's own calls.

#include "include/hood.h"
#include "runtime/runtime.h"

void
runtime_gosched(void)
{
	gosched();
}

// Goexit: end the calling goroutine. (Deferred calls, once they exist,
// run first.) In main, the program goes on until no goroutine can run,
// then fails with Go's "no goroutines (main called runtime.Goexit) -
// deadlock!".
void
runtime_goexit(void)
{
	goexit1();
}

int
runtime_numgoroutine(void)
{
	return numgoroutine();
}

int
runtime_numcpu(void)
{
	return os_ncpu();
}

// Changing GOMAXPROCS at run time is not there yet: n > 0 other than the
// current value is refused loudly rather than ignored.
int
runtime_gomaxprocs(int n)
{
	int old = gomaxprocs;
	if (n > 0 && n != old) {
		gothrow("runtime_gomaxprocs: changing GOMAXPROCS at run time is not implemented yet");
	}
	return old;
}

int64_t
time_nanotime(void)
{
	return nanotime();
}

void
runtime_lockosthread(void)
{
	lockOSThread();
}

void
runtime_unlockosthread(void)
{
	unlockOSThread();
}
