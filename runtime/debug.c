// debug.c: the runtime's introspection and its GOMAXPROCS knob, as Go's
// debug.go and extern.go: NumCPU, NumGoroutine, GOMAXPROCS. Every other
// public call (include/hood.h) is defined in the file of its concept:
// Gosched and Goexit in proc.c, LockOSThread in lockosthread.c, Stack in
// traceback.c, Sleep and Nanotime in time.c.

#include "include/hood.h"
#include "runtime/runtime.h"

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
