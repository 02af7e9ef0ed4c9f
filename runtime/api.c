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

// GOMAXPROCS: n > 0 sets the number of Ps (stopping the world; no
// runnable goroutine is lost); returns the previous number.
int
runtime_gomaxprocs(int n)
{
	return gomaxprocs_set(n);
}

// Go's runtime.Stack: the calling goroutine's traceback, and with all the
// others' too, in Go's format, into buf; returns the bytes written.
int
runtime_stack(char *buf, int len, bool all)
{
	return goroutinestack(buf, len, all);
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
