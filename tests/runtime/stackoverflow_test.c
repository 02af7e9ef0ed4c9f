// Stack overflow with frames of every size: each crash test recurses with
// frames of one size until its goroutine's stack (1 MiB by default,
// HOOD_STACK) runs out, and must end with Go's report (Go's newstack:
// "runtime: goroutine stack exceeds N-byte limit", then "fatal error:
// stack overflow", status 2), never a silent death or a fault elsewhere.
//
// A frame larger than the guard page below a stack could step over it,
// into the slot below (another goroutine's stack) or below the region:
// frames of 12 KiB died silently on the hosted port (status 139), larger
// ones reported "unexpected fault address". Everything hood builds has
// gcc's -fstack-clash-protection (Makefile, KCFLAGS and HOSTED_CFLAGS), so
// a frame larger than a page is allocated a page at a time, each page
// touched before the next (the probes): the first touch below the stack
// is in its guard page. Go needs no probes: every function prologue
// compares the stack pointer with g.stackguard0 before it allocates the
// frame (the morestack check), whatever the frame's size.
//
// Each frame touches its lowest byte first, as a function filling a large
// local array from its start would: without the probes that byte is a
// whole frame below the last byte touched. A 1 MiB or 2 MiB frame
// overflows a 1 MiB stack at its first call. See docs/scheduler.md,
// section 9.

#include "include/hood.h"
#include "tests/testing.h"

// The recursion's bound: never reached, but it keeps the compiler from
// calling the recursion infinite.
static volatile long stackoverflowdepth = 1L << 40;

// STACKOVERFLOW(name, size): a crash test, name, recursing with frames of
// size bytes; its recursion is nameRecurse, whose name begins with the
// test's, as the runner wants to see in the backtrace.
#define STACKOVERFLOW(name, size)                                                                            \
	static long __attribute__((noipa)) name##Recurse(long n)                                             \
	{                                                                                                    \
		volatile char frame[size];                                                                   \
		frame[0] = (char)n;                                                                          \
		if (n >= stackoverflowdepth) {                                                               \
			return frame[0];                                                                     \
		}                                                                                            \
		return name##Recurse(n + 1) + frame[0];                                                      \
	}                                                                                                    \
	CRASHTEST(name, 2, "fatal error: stack overflow")                                                    \
	{                                                                                                    \
		(void)t;                                                                                     \
		name##Recurse(0);                                                                            \
	}

STACKOVERFLOW(TestStackOverflowFrame64B, 64)
STACKOVERFLOW(TestStackOverflowFrame4K, 4 << 10)
STACKOVERFLOW(TestStackOverflowFrame12K, 12 << 10)
STACKOVERFLOW(TestStackOverflowFrame64K, 64 << 10)
STACKOVERFLOW(TestStackOverflowFrame1M, 1 << 20)
STACKOVERFLOW(TestStackOverflowFrame2M, 2 << 20)
