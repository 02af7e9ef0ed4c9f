// fault_test.c: every kind of fault is reported in words, with the status
// Go uses for fatal errors (2) and a backtrace naming the faulting
// function. Each test crashes its machine, so scripts/runtests boots each
// on its own; the message is what the report's first line must say.

#include <stdint.h>
#include <string.h>

#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "lib/lock.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

// Opaque to the optimiser, so the faulting accesses are not folded away.
static volatile uintptr_t zero = 0;

// A nil dereference, a call through nil, a divide error and a
// general-protection fault in a goroutine are Go's panics
// (tests/runtime/panic_test.c); the kernel's own report of them is for a
// kernel thread's, so these fault on one while the test waits.
static void
onkthread(void (*fn)(void *))
{
	kthread_create(fn, NULL, "fault", -1);
	struct note never = {0};
	notesleep(&never);
}

static void
TestNilDerefThread(void *arg)
{
	(void)arg;
	*(volatile int *)zero = 1;
}

CRASHTEST(TestNilDeref, 2, "fatal error: nil pointer dereference")
{
	(void)t;
	onkthread(TestNilDerefThread);
}

static void
TestNilCallThread(void *arg)
{
	(void)arg;
	((void (*)(void))zero)();
}

CRASHTEST(TestNilCall, 2, "fatal error: nil pointer dereference")
{
	(void)t;
	onkthread(TestNilCallThread);
}

CRASHTEST(TestUnmappedRead, 2, "fatal error: unexpected fault address 0xdead0000")
{
	(void)t;
	(void)*(volatile int *)(zero + 0xdead0000);
}

static const int readonly = 1;

CRASHTEST(TestWriteReadOnly, 2, "fatal error: write to read-only memory at")
{
	(void)t;
	*(volatile int *)((uintptr_t)&readonly + zero) = 2;
}

static uint8_t notexec[16] = {0xc3}; // ret, in writable data

CRASHTEST(TestExecuteData, 2, "fatal error: execute of non-executable memory at")
{
	(void)t;
	((void (*)(void))((uintptr_t)notexec + zero))();
}

// A goroutine's fault while it holds a kernel mutex (newlib's stdio and
// malloc locks are such) is the kernel's fatal report, not a panic: the
// panic's unwinding would leave the mutex held by the thread.
CRASHTEST(TestFaultHoldingKernelMutex, 2, "fatal error: nil pointer dereference")
{
	(void)t;
	static struct mutex mu = MUTEX_INIT("test");
	mutex_lock(&mu, false);
	*(volatile int *)zero = 1;
}

// Nor with interrupts off: a spinlock's holder.
CRASHTEST(TestFaultHoldingSpinlock, 2, "fatal error: nil pointer dereference")
{
	(void)t;
	static struct spinlock lk = SPINLOCK_INIT("test", LOCK_TEST);
	spin_lock(&lk);
	*(volatile int *)zero = 1;
}

// Nor with the M acquired (the runtime's locks): Go's canpanic says no.
CRASHTEST(TestFaultHoldingRuntimeLock, 2, "fatal error: nil pointer dereference")
{
	(void)t;
	acquirem();
	*(volatile int *)zero = 1;
}

static void
TestDivideErrorThread(void *arg)
{
	(void)arg;
	volatile int a = 1;
	volatile int b = (int)zero;
	a = a / b;
}

CRASHTEST(TestDivideError, 2, "fatal error: divide error")
{
	(void)t;
	onkthread(TestDivideErrorThread);
}

CRASHTEST(TestInvalidOpcode, 2, "fatal error: invalid opcode")
{
	(void)t;
	__builtin_trap(); // ud2
}

static void
TestGeneralProtectionThread(void *arg)
{
	(void)arg;
	// A non-canonical address: bits 63-48 do not copy bit 47.
	(void)*(volatile int *)(zero + 0x0000800000000000ULL);
}

CRASHTEST(TestGeneralProtection, 2, "fatal error: general protection fault")
{
	(void)t;
	onkthread(TestGeneralProtectionThread);
}

CRASHTEST(TestBreakpoint, 2, "fatal error: breakpoint")
{
	(void)t;
	asm volatile("int3");
}

CRASHTEST(TestThrow, 2, "fatal error: test: a broken invariant")
{
	(void)t;
	throw("test: a broken invariant");
}

// Each call takes a page of stack and cannot be turned into a loop. The
// depth limit is never reached: the stack is 32 KiB.
static int __attribute__((noinline)) recurse(int n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	if (n == 1 << 20) {
		return pad[0];
	}
	return recurse(n + 1) + pad[0];
}

// Tests run in a goroutine; kernel stacks are the kernel threads'.
static void
TestKernelStackOverflowThread(void *arg)
{
	(void)arg;
	recurse(0);
}

CRASHTEST(TestKernelStackOverflow, 2, "fatal error: kernel stack overflow")
{
	(void)t;
	kthread_create(TestKernelStackOverflowThread, NULL, "overflow", -1);
	struct note never = {0};
	notesleep(&never);
}

// A goroutine's stack grows by faults up to its limit (1 MiB), then Go's
// message: "runtime: goroutine stack exceeds 1048576-byte limit".
static int __attribute__((noipa)) TestGoroutineStackOverflowRecurse(int n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	if (n == 1 << 20) {
		return pad[0];
	}
	return TestGoroutineStackOverflowRecurse(n + 1) + pad[0];
}

CRASHTEST(TestGoroutineStackOverflow, 2, "fatal error: stack overflow")
{
	(void)t;
	TestGoroutineStackOverflowRecurse(0);
}
