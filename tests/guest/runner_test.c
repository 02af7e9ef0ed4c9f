// runner_test.c: machines that end badly on purpose, so that the suite
// proves scripts/runtests notices: a triple fault (QEMU exits 0 under
// -no-reboot, with no status from hood) and a hang (the runner's timeout).

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
