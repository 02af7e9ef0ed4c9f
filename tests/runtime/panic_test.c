// panic_test.c: defer, panic and recover (runtime/panic.c) as a Go
// program uses them, through hood.h's deferscope, defer, runtime_panic and
// runtime_recover: order, return, recovery across frames, nested panics,
// channel panics recovered, Goexit, and the reports of the unrecovered
// ones. Both ports.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

static char trail[64];
static int ntrail;

static void
mark(void *arg)
{
	trail[ntrail++] = *(const char *)arg;
	trail[ntrail] = '\0';
}

static void
resettrail(void)
{
	ntrail = 0;
	trail[0] = '\0';
}

// Deferred calls run at the block's end, the latest first, and on return.
static int
deferthree(bool early)
{
	deferscope {
		defer(mark, "a");
		defer(mark, "b");
		if (early) {
			return 1;
		}
		defer(mark, "c");
	}
	return 2;
}

TEST(TestDeferRunsLastFirst)
{
	resettrail();
	if (deferthree(false) != 2 || strcmp(trail, "cba") != 0) {
		t_errorf(t, "ran %s, want cba", trail);
	}
	resettrail();
	if (deferthree(true) != 1 || strcmp(trail, "ba") != 0) {
		t_errorf(t, "an early return ran %s, want ba", trail);
	}
}

// recover in a deferred call stops the panic; the function that deferred
// it goes on after its block, its older deferred calls run first; frames
// in between are gone, their deferred calls run by the panic.
static const char *recovered;

static void
catch(void *arg)
{
	(void)arg;
	recovered = runtime_recover();
	trail[ntrail++] = 'R';
	trail[ntrail] = '\0';
}

static void
inner(void)
{
	deferscope {
		defer(mark, "i");
		runtime_panic("boom");
	}
	trail[ntrail++] = 'X'; // never: the panic left this function
}

static int
outer(void)
{
	volatile int after = 0;
	deferscope {
		defer(mark, "o");
		defer(catch, NULL);
		inner();
		after = 1; // never
	}
	return after == 0 ? 10 : 20;
}

TEST(TestRecoverStopsPanic)
{
	resettrail();
	recovered = NULL;
	int r = outer();
	if (r != 10 || recovered == NULL || strcmp(recovered, "boom") != 0 || strcmp(trail, "iRo") != 0) {
		t_errorf(t, "outer returned %d, recovered %s, ran %s; want 10, boom, iRo", r,
			 recovered ? recovered : "nothing", trail);
	}
	if (runtime_recover() != NULL) {
		t_errorf(t, "recover outside a panic returned something");
	}
}

// recover returns NULL in a deferred call that the panic does not run
// directly (one deferred by a function a deferred call called), as Go's.
static void
indirectcatch(void *arg)
{
	(void)arg;
	recovered = runtime_recover();
}

static void
callsadeferrer(void *arg)
{
	(void)arg;
	deferscope {
		defer(indirectcatch, NULL);
	}
	const char *e = runtime_recover(); // direct: this one stops it
	if (recovered == NULL && e != NULL) {
		recovered = "direct";
	}
}

TEST(TestRecoverOnlyDirectly)
{
	recovered = NULL;
	deferscope {
		defer(callsadeferrer, NULL);
		runtime_panic("indirect");
	}
	if (recovered == NULL || strcmp(recovered, "direct") != 0) {
		t_errorf(t, "recovered %s, want the direct call's recovery only", recovered ? recovered : "nothing");
	}
}

// A channel's panic is recovered like any other, with Go's message.
static void
recoversend(void *arg)
{
	struct hchan *c = arg;
	deferscope {
		defer(catch, NULL);
		chan_sendv(c, int, 1);
	}
}

TEST(TestRecoverChannelPanic)
{
	struct hchan *c = make_chan(int, 1);
	chan_close(c);
	recovered = NULL;
	resettrail();
	recoversend(c);
	if (recovered == NULL || strcmp(recovered, "send on closed channel") != 0) {
		t_errorf(t, "recovered %s", recovered ? recovered : "nothing");
	}
}

// Panics and recoveries in many goroutines at once, each in a loop: the
// records come from the Ps' pools and go back; nothing leaks into the
// others.
static long recoveries; // Atomic
static struct waitgroup panicwg;

static void
countcatch(void *arg)
{
	if (runtime_recover() == arg) {
		atomic_xadd_relaxed(&recoveries, 1);
	}
}

static void
nothing(void *arg)
{
	(void)arg;
}

static const char loopmsg[] = "loop";

// One round in a function of its own: a loop variable live across the
// block's setjmp would have to be volatile (gcc's -Wclobbered says so).
static void
panicround(long i)
{
	deferscope {
		defer(countcatch, (void *)loopmsg);
		defer(nothing, NULL);
		if (i % 2 == 0) {
			runtime_panic(loopmsg);
		}
	}
}

static void
panicloop(void *arg)
{
	long n = (long)(intptr_t)arg;
	for (long i = 0; i < n; i++) {
		panicround(i);
	}
	wg_done(&panicwg); // publishes recoveries to the test
}

TEST(TestPanicRecoverInEveryGoroutine)
{
	enum { Gs = 16 };
	long n = testing_short ? 2000 : 20000;
	atomic_store_relaxed(&recoveries, 0);
	wg_add(&panicwg, Gs);
	for (int i = 0; i < Gs; i++) {
		go(panicloop, (void *)(intptr_t)n);
	}
	wg_wait(&panicwg);
	if (atomic_load_relaxed(&recoveries) != Gs * n / 2) {
		t_errorf(t, "%ld recoveries, want %ld", atomic_load_relaxed(&recoveries), Gs * n / 2);
	}
}

// Goexit runs the goroutine's deferred calls, then ends it; recover
// returns NULL there (no panic).
static const char *goexitrecover = "unset";
static char goexittrail[8];

static void
goexitmark(void *arg)
{
	strcat(goexittrail, arg);
	goexitrecover = runtime_recover();
}

static void
goexiter(void *arg)
{
	(void)arg;
	deferscope {
		defer(goexitmark, "1");
		defer(goexitmark, "2");
		deferscope {
			defer(goexitmark, "3");
			runtime_goexit();
		}
	}
}

static void
signalwhendone(void *arg)
{
	(void)arg;
	wg_done(&panicwg);
}

static void
goexitwrapper(void *arg)
{
	deferscope {
		defer(signalwhendone, NULL);
		goexiter(arg);
	}
}

TEST(TestGoexitRunsDeferredCalls)
{
	goexittrail[0] = '\0';
	wg_add(&panicwg, 1);
	go(goexitwrapper, NULL);
	wg_wait(&panicwg);
	if (strcmp(goexittrail, "321") != 0 || goexitrecover != NULL) {
		t_errorf(t, "Goexit ran %s (recover %s), want 321 and NULL", goexittrail,
			 goexitrecover ? goexitrecover : "NULL");
	}
}

// ---- the fatal ends -------------------------------------------------------------------------

CRASHTEST(TestUnrecoveredPanic, 2, "panic: the end")
{
	(void)t;
	deferscope {
		defer(nothing, NULL);
		runtime_panic("the end");
	}
}

// A deferred call that recovers and panics again: Go's chain of panics,
// "panic: first [recovered]" then, indented, the second.
static void
repanic(void *arg)
{
	(void)arg;
	runtime_recover();
	runtime_panic("second");
}

CRASHTEST(TestPanicInDeferredCall, 2, "panic: first [recovered]")
{
	(void)t;
	deferscope {
		defer(repanic, NULL);
		runtime_panic("first");
	}
}

// A panic in any goroutine ends the program, as in Go.
static void
TestPanicInGoroutinePanicker(void *arg)
{
	(void)arg;
	runtime_panic("from another goroutine");
}

CRASHTEST(TestPanicInGoroutine, 2, "panic: from another goroutine")
{
	(void)t;
	go(TestPanicInGoroutinePanicker, NULL);
	time_sleep(5 * Second);
}

CRASHTEST(TestDeferOutsideScope, 2, "fatal error: defer outside a deferscope block")
{
	(void)t;
	defer(nothing, NULL);
}
