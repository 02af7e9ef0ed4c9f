// panic.c: Go's panics (panic.go): gopanic, STYLE.md's second level of
// error, for what a Go program could recover from: a send on a closed
// channel, a close of a nil one, a size out of range. Until defer and
// recover arrive (the rest of their issue) nothing can recover, so a panic
// is what Go makes of one that nobody recovers (fatalpanic): "panic: "
// and the message, a blank line, every goroutine's traceback, status 2.
// See runtime.h for the three levels of error.

#include "runtime/runtime.h"

void
gopanic(const char *msg)
{
	struct m *mp = getm();
	mp->locks++; // not preempted while it reports
	os_print("panic: %s\n\n", msg);
	tracebackothers(mp->curg);
	os_exit(2);
}
