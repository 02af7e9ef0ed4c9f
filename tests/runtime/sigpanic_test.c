// sigpanic_test.c: CPU faults in goroutines as Go's run-time panics
// (runtime/panic.c's sigpanic, os.h's "faults that become panics"), and
// hood.h's bounds checks: each kind of fault recovered with Go's message,
// in many goroutines at once, at every stack depth, inside a deferred
// call; the unrecovered reports; and the contexts where a panic may not
// start, which stay fatal. Both ports.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// Opaque to the optimiser, so the faulting accesses are not folded away.
static volatile uintptr_t zero = 0;

// The functions that fault: real accesses, not the sanitizers' checks of
// them (UBSan's null and divide checks would stop the program; TSan's
// instrumentation would fault inside its own run-time library).
#define FAULTS __attribute__((noipa, no_sanitize_address, no_sanitize_thread, no_sanitize_undefined))

static const char nilmsg[] = "runtime error: invalid memory address or nil pointer dereference";
static const char divmsg[] = "runtime error: integer divide by zero";

struct node {
	long pad[3];
	long val;
};

static void FAULTS
nilread(void)
{
	(void)*(volatile int *)zero;
}

static void FAULTS
nilwrite(void)
{
	*(volatile long *)zero = 1;
}

static void FAULTS
nilfield(void)
{
	((volatile struct node *)zero)->val = 2; // address 0x18
}

static void FAULTS
nilcall(void)
{
	((void (*)(void))zero)();
}

static void FAULTS
divint(void)
{
	volatile int a = 7, b = (int)zero;
	a = a / b;
}

static void FAULTS
modlong(void)
{
	volatile long a = 7, b = (long)zero;
	a = a % b;
}

// A non-canonical address: a general-protection fault, which Linux, and
// so Go, reports as SIGSEGV with no address: a nil dereference.
static void FAULTS
noncanonical(void)
{
	(void)*(volatile int *)(zero + 0x0000800000000000ULL);
}

static const char *caught;

static void
catch(void *arg)
{
	(void)arg;
	caught = runtime_recover();
}

// fn faults inside a deferscope whose deferred call recovers; the
// function then returns normally, with its result.
static int __attribute__((noipa))
tryfault(void (*fn)(void))
{
	caught = NULL;
	deferscope {
		defer(catch, NULL);
		fn();
		return 1; // not reached
	}
	return 2;
}

TEST(TestFaultsAreRecoverablePanics)
{
	static const struct {
		const char *name;
		void (*fn)(void);
		const char *want;
	} cases[] = {
		{"nil read", nilread, nilmsg},
		{"nil write", nilwrite, nilmsg},
		{"nil field", nilfield, nilmsg},
		{"nil call", nilcall, nilmsg},
		{"int divide", divint, divmsg},
		{"long modulo", modlong, divmsg},
		{"non-canonical address", noncanonical, nilmsg},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = tryfault(cases[i].fn);
		if (r != 2 || caught == NULL || strcmp(caught, cases[i].want) != 0) {
			t_errorf(t, "%s: returned %d, recovered %s; want 2 and %s", cases[i].name, r,
				 caught ? caught : "nothing", cases[i].want);
		}
		// The G's record of the fault is gone with the panic: a later
		// panic's report has no [signal] line of this one.
		if (getg()->fault.sig != 0) {
			t_errorf(t, "%s: the G still records signal %u after the recovery", cases[i].name,
				 getg()->fault.sig);
		}
	}
}

// Faults and recoveries in many goroutines at once, on every P, while
// others spin (sysmon's preemption requests land during the faults and
// in sigpanic): each fault becomes its own goroutine's panic.
static long faultsrecovered; // Atomic
static struct waitgroup faultwg, spinwg;
static bool spinstop; // Atomic

static void
countfault(void *arg)
{
	const char *e = runtime_recover();
	if (e != NULL && strcmp(e, arg) == 0) {
		atomic_xadd_relaxed(&faultsrecovered, 1);
	}
}

static void __attribute__((noipa))
faultround(long i)
{
	deferscope {
		if (i % 2 == 0) {
			defer(countfault, (void *)nilmsg);
			nilwrite();
		} else {
			defer(countfault, (void *)divmsg);
			divint();
		}
	}
}

static void
faultloop(void *arg)
{
	long n = (long)(intptr_t)arg;
	for (long i = 0; i < n; i++) {
		faultround(i);
	}
	wg_done(&faultwg); // publishes faultsrecovered to the test
}

static void
spinner(void *arg)
{
	(void)arg;
	while (!atomic_load_relaxed(&spinstop)) {
	}
	wg_done(&spinwg);
}

TEST(TestFaultPanicsInEveryGoroutine)
{
	enum { Gs = 16 };
	// Spinners only where goroutines are preempted at any instruction
	// (not TSan's build: os.h), or they would keep the Ps for good.
	int spinners = os_asyncpreempt() ? 2 : 0;
	long n = testing_short ? 500 : 5000;
	atomic_store_relaxed(&faultsrecovered, 0);
	atomic_store_relaxed(&spinstop, false);
	wg_add(&spinwg, spinners);
	for (int i = 0; i < spinners; i++) {
		go(spinner, NULL);
	}
	wg_add(&faultwg, Gs);
	for (int i = 0; i < Gs; i++) {
		go(faultloop, (void *)(intptr_t)n);
	}
	wg_wait(&faultwg);
	atomic_store_relaxed(&spinstop, true);
	wg_wait(&spinwg);
	if (atomic_load_relaxed(&faultsrecovered) != Gs * n) {
		t_errorf(t, "%ld faults recovered, want %ld", atomic_load_relaxed(&faultsrecovered), Gs * n);
	}
}

// A fault at every depth of a fresh goroutine's stack: sigpanic0's push
// lands at every offset of a page, on pages not mapped yet too (a stack
// fault inside the fault's own handling).
static long depthsrecovered; // Atomic

static int __attribute__((noipa))
descend(int d)
{
	volatile char pad[200];
	pad[0] = (char)d;
	if (d == 0) {
		nilwrite();
		return 0; // not reached
	}
	return descend(d - 1) + pad[0];
}

static void
faultdeep(void *arg)
{
	int d = (int)(intptr_t)arg;
	deferscope {
		defer(countfault, (void *)nilmsg);
		descend(d);
	}
	atomic_xadd_relaxed(&depthsrecovered, 1); // it went on past its block
	wg_done(&faultwg);
}

TEST(TestFaultAtEveryStackDepth)
{
	int depths = testing_short ? 200 : 1000;
	atomic_store_relaxed(&faultsrecovered, 0);
	atomic_store_relaxed(&depthsrecovered, 0);
	for (int d = 0; d < depths; d++) {
		wg_add(&faultwg, 1);
		go(faultdeep, (void *)(intptr_t)d);
		wg_wait(&faultwg);
	}
	if (atomic_load_relaxed(&faultsrecovered) != depths || atomic_load_relaxed(&depthsrecovered) != depths) {
		t_errorf(t, "%ld of %d deep faults recovered, %ld went on", atomic_load_relaxed(&faultsrecovered),
			 depths, atomic_load_relaxed(&depthsrecovered));
	}
}

// A deferred call that faults while a panic runs it: Go's chain, the
// fault's panic taking over; an outer deferred call recovers it.
static void
faultindefer(void *arg)
{
	(void)arg;
	nilread();
}

static void __attribute__((noipa))
panicthenfault(void)
{
	deferscope {
		defer(faultindefer, NULL);
		runtime_panic("first");
	}
}

TEST(TestFaultInDeferredCall)
{
	int r = tryfault(panicthenfault);
	if (r != 2 || caught == NULL || strcmp(caught, nilmsg) != 0) {
		t_errorf(t, "returned %d, recovered %s; want 2 and the fault's panic", r, caught ? caught : "nothing");
	}
}

// hood.h's bounds checks: Go's messages, Go's order of checks.
static int64_t boundsarg[3];

static void
indexfive(void)
{
	int a[3] = {1, 2, 3};
	boundsarg[0] = bounds_at(a, 5);
}

static void
indexminus(void)
{
	boundsarg[0] = bounds_index(-1, 3);
}

static void
slicecap(void)
{
	bounds_slice(0, 5, 3);
}

static void
slicecross(void)
{
	bounds_slice(3, 2, 4);
}

static void
slicenegative(void)
{
	bounds_slice(-1, 2, 4);
}

TEST(TestBoundsChecks)
{
	int a[3] = {10, 20, 30};
	if (bounds_at(a, 2) != 30 || bounds_index(0, 1) != 0) {
		t_errorf(t, "in-range indexing changed the value");
	}
	bounds_slice(0, 0, 0);
	bounds_slice(1, 3, 3);
	static const struct {
		void (*fn)(void);
		const char *want;
	} cases[] = {
		{indexfive, "runtime error: index out of range [5] with length 3"},
		{indexminus, "runtime error: index out of range [-1]"},
		{slicecap, "runtime error: slice bounds out of range [:5] with capacity 3"},
		{slicecross, "runtime error: slice bounds out of range [3:2]"},
		{slicenegative, "runtime error: slice bounds out of range [-1:]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = tryfault(cases[i].fn);
		if (r != 2 || caught == NULL || strcmp(caught, cases[i].want) != 0) {
			t_errorf(t, "returned %d, recovered \"%s\", want 2 and \"%s\"", r, caught ? caught : "nothing",
				 cases[i].want);
		}
	}
}

// ---- the fatal ends -------------------------------------------------------------------------

// A fault nobody recovers, in a goroutine other than main: Go's report,
// the panic, then the signal line, then the goroutines. The fault is in
// the goroutine's own function, which the traceback shows as sigpanic's
// caller (a frameless leaf below it, as nilwrite, would hide it).
static void FAULTS
TestNilDerefUnrecoveredFaulter(void *arg)
{
	(void)arg;
	*(volatile long *)zero = 1;
}

CRASHTEST(TestNilDerefUnrecovered, 2, "panic: runtime error: invalid memory address or nil pointer dereference")
{
	(void)t;
	go(TestNilDerefUnrecoveredFaulter, NULL);
	time_sleep(5 * Second);
}

// The fault in the test's own frame: a leaf function without a frame of
// its own (nilwrite) would hide its caller from the frame-pointer walk.
CRASHTEST(TestNilDerefSignalLine, 2, "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x")
{
	(void)t;
	*(volatile long *)zero = 1;
}

CRASHTEST(TestDivideByZeroSignalLine, 2, "[signal SIGFPE: floating-point exception code=0x1 addr=0x")
{
	(void)t;
	divint();
}

CRASHTEST(TestIndexOutOfRange, 2, "panic: runtime error: index out of range [5] with length 3")
{
	(void)t;
	indexfive();
}

// Panics where no deferred call may run are Go's throws.
CRASHTEST(TestPanicHoldingLocks, 2, "fatal error: panic holding locks")
{
	(void)t;
	acquirem();
	runtime_panic("locked");
}

static void
TestPanicOnSystemStackPanicker(void *arg)
{
	(void)arg;
	runtime_panic("on g0");
}

CRASHTEST(TestPanicOnSystemStack, 2, "fatal error: panic on system stack")
{
	(void)t;
	systemstack(TestPanicOnSystemStackPanicker, NULL);
}
