// runner_test.c: machines that end badly on purpose, so that the suite
// proves scripts/runtests notices: a triple fault (QEMU exits 0 under
// -no-reboot, with no status from hood) and a hang (the runner's timeout).

#include "lib/lock.h"
#include "kernel/x86.h"
#include "tests/testing.h"

RUNNERTEST(TestRunnerSeesTripleFault, "triple-fault")
{
	(void)t;
	// With an empty IDT the breakpoint cannot be delivered, nor can the
	// double fault that follows: the CPU shuts down.
	lidt(0, 0);
	asm volatile("int3");
}

RUNNERTEST(TestRunnerSeesHang, "timeout")
{
	(void)t;
	cli();
	for (;;) {
		hlt();
	}
}

// Five seconds of nothing on every CPU: the runner measures how much host
// CPU time QEMU used meanwhile, which must be near zero (idle CPUs halt,
// and no timer ticks when nothing waits).
RUNNERTEST(TestRunnerIdleCostsNothing, "idle")
{
	struct note never = {0};
	if (notetsleep(&never, 5LL * 1000 * 1000 * 1000)) {
		t_errorf(t, "a note nobody wakes was woken");
	}
}
