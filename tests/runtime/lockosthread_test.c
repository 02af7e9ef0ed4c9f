// lockosthread_test.c: a goroutine locked to its thread that parks for
// good, with nothing else to run, is a deadlock like any other (Go's
// stoplockedm counts the idle locked M, incidlelocked, and runs
// checkdead): Go's fatal error, not a hang. The tests of LockOSThread's
// wiring are in sched_test.c.

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

static bool
parkforgood(struct g *gp, void *arg)
{
	(void)gp;
	(void)arg;
	return true;
}

// main locks its thread and parks with nothing to wake it: its M gives
// the P away and waits in stoplockedm, every P idle, no timer. Before
// stoplockedm ran checkdead, this hung (the runner's timeout).
CRASHTEST(TestLockedMainDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	runtime_lockosthread();
	gopark(parkforgood, NULL, waitReasonSelectNoCases);
}

// The same from a goroutine that is not main, main parked first: the
// last goroutine to park is the locked one.
static void
lockedparker(void *arg)
{
	(void)arg;
	runtime_lockosthread();
	time_sleep(10 * Millisecond); // main parks meanwhile
	gopark(parkforgood, NULL, waitReasonSelectNoCases);
}

CRASHTEST(TestLockedGoroutineDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	go(lockedparker, NULL);
	gopark(parkforgood, NULL, waitReasonSelectNoCases);
}
