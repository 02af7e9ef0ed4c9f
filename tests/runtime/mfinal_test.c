// mfinal_test.c: finalizers (runtime/mfinal.c) as a program sees them,
// through runtime_setfinalizer, runtime_keepalive and runtime_gc: a
// finalizer runs once, only for an object nothing reaches, after its last
// runtime_keepalive, with the object and what it points to intact; the
// object is freed after. Go's fatal errors for a bad pointer. Both ports.

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"

// A test's finalizer calls: how many ran, found their object broken, and
// how often each id was finalized. Each test has its own (from new: the
// objects point to it, so it lives while they wait), as a finalizer left
// over from an earlier test may run in a later one.
struct finrun {
	long ran, broken; // Atomic
	uint8_t *seen;
};

// An object a finalizer checks: its id, a checksum, and a child whose
// contents the finalizer checks too (it must live while its parent waits).
struct finobj {
	uint64_t id, check;
	struct finchild *child;
	struct finrun *run;
};
struct finchild {
	uint64_t magic[4];
};

enum { FinMagic = 0xf1a1f1a1 };
static struct finrun *finrun; // the running test's

static void
finalize(void *arg)
{
	struct finobj *o = arg;
	if (o->check != o->id * 31 + 7 || o->child == NULL || o->child->magic[0] != FinMagic ||
	    o->child->magic[3] != FinMagic + o->id) {
		atomic_xadd_relaxed(&o->run->broken, 1);
	} else {
		o->run->seen[o->id]++;
	}
	atomic_xadd_relaxed(&o->run->ran, 1);
}

static struct finobj *__attribute__((noipa))
makefinobj(uint64_t id)
{
	struct finobj *o = new(struct finobj);
	o->run = finrun;
	o->id = id;
	o->check = id * 31 + 7;
	o->child = new(struct finchild);
	o->child->magic[0] = FinMagic;
	o->child->magic[3] = FinMagic + id;
	runtime_setfinalizer(o, finalize);
	return o;
}

// Made in a frame of their own, so that nothing on the caller's stack
// points to them after.
static void __attribute__((noipa))
makegarbage(uint64_t from, uint64_t n)
{
	for (uint64_t i = from; i < from + n; i++) {
		makefinobj(i);
	}
}

// Cycles until want finalizers ran (they run on their own goroutine,
// after the cycle), at most 50.
static void
collectuntil(long want)
{
	for (int i = 0; i < 50 && atomic_load_relaxed(&finrun->ran) < want; i++) {
		runtime_gc();
		time_sleep(Millisecond);
	}
}

static void
finreset(uint64_t n)
{
	finrun = new(struct finrun);
	finrun->seen = newarraynoscan(uint8_t, n);
}

static struct finobj *kept[16]; // reachable: their finalizers must not run

// Unreachable objects are finalized, each exactly once, with their
// contents and their children intact; reachable ones are not; the
// finalized ones are freed by a later cycle.
TEST(TestFinalizersRunOnceForUnreachable)
{
	enum { N = 20000 };
	finreset(N + 16);
	for (int i = 0; i < 16; i++) {
		kept[i] = makefinobj(N + (uint64_t)i);
	}
	makegarbage(0, N);
	collectuntil(N);
	for (int i = 0; i < 5; i++) {
		runtime_gc(); // no second call for any object
		time_sleep(Millisecond);
	}
	if (atomic_load_relaxed(&finrun->broken) != 0) {
		t_errorf(t, "%ld finalizers found their object or its child broken", atomic_load_relaxed(&finrun->broken));
	}
	int missing = 0, twice = 0, keptran = 0;
	for (int i = 0; i < N; i++) {
		missing += finrun->seen[i] == 0;
		twice += finrun->seen[i] > 1;
	}
	for (int i = 0; i < 16; i++) {
		keptran += finrun->seen[N + i] != 0;
	}
	if (missing > N / 100 || twice != 0 || keptran != 0) {
		t_errorf(t, "of %d unreachable objects %d never finalized, %d twice; %d of 16 reachable ones finalized",
			 N, missing, twice, keptran);
	}
	t_logf(t, "%ld finalizers ran, %d objects missed (conservative roots)", atomic_load_relaxed(&finrun->ran), missing);
	for (int i = 0; i < 16; i++) {
		runtime_setfinalizer(kept[i], NULL); // removed: they never run
		kept[i] = NULL;
	}
}

// After their finalizers ran, the objects are freed: the heap goes back
// down (Frees rises by at least the objects and their children).
TEST(TestFinalizedObjectsAreFreed)
{
	enum { N = 20000 };
	finreset(N);
	struct memstats before, after;
	runtime_gc();
	runtime_readmemstats(&before);
	makegarbage(0, N);
	collectuntil(N * 99 / 100);
	runtime_gc();
	runtime_gc();
	runtime_readmemstats(&after);
	uint64_t frees = after.Frees - before.Frees;
	if (frees < (uint64_t)N * 2 * 99 / 100) {
		t_errorf(t, "Frees rose by %lu after %d finalized objects and their children", (unsigned long)frees, N);
	}
}

// runtime_keepalive: while the object is kept alive by it alone, cycles
// do not finalize it; after the last one, a cycle does.
static void __attribute__((noipa))
keepaliveround(void)
{
	struct finobj *o = makefinobj(0);
	for (int i = 0; i < 5; i++) {
		runtime_gc();
		time_sleep(Millisecond);
	}
	if (atomic_load_relaxed(&finrun->ran) != 0) {
		atomic_xadd_relaxed(&finrun->broken, 1000); // ran before KeepAlive
	}
	runtime_keepalive(o);
}

TEST(TestFinalizerNotBeforeKeepAlive)
{
	finreset(1);
	keepaliveround();
	if (atomic_load_relaxed(&finrun->broken) >= 1000) {
		t_fatalf(t, "the finalizer ran before the object's runtime_keepalive");
	}
	collectuntil(1);
	if (atomic_load_relaxed(&finrun->ran) != 1 || finrun->seen[0] != 1) {
		t_errorf(t, "after runtime_keepalive: %ld finalizer calls, want 1", atomic_load_relaxed(&finrun->ran));
	}
}

// A finalizer set on static data is ignored (Go's rule), and one removed
// with NULL never runs.
static struct finobj staticobj;

TEST(TestFinalizerOnStaticDataIgnored)
{
	finreset(2);
	runtime_setfinalizer(&staticobj, finalize);
	struct finobj *o = makefinobj(1);
	runtime_setfinalizer(o, NULL);
	o = NULL;
	for (int i = 0; i < 5; i++) {
		runtime_gc();
		time_sleep(Millisecond);
	}
	if (atomic_load_relaxed(&finrun->ran) != 0) {
		t_errorf(t, "%ld finalizers ran, want none", atomic_load_relaxed(&finrun->ran));
	}
}

// Go's fatal errors for a bad pointer.
static char *volatile finbad;

CRASHTEST(TestSetFinalizerInteriorPointer, 2, "fatal error: runtime.SetFinalizer: pointer not at beginning of allocated block")
{
	(void)t;
	finbad = runtime_new(64, false);
	runtime_setfinalizer(finbad + 8, finalize);
}

CRASHTEST(TestSetFinalizerTwice, 2, "fatal error: runtime.SetFinalizer: finalizer already set")
{
	(void)t;
	finbad = runtime_new(64, false);
	runtime_setfinalizer(finbad, finalize);
	runtime_setfinalizer(finbad, finalize);
}

CRASHTEST(TestSetFinalizerNil, 2, "fatal error: runtime.SetFinalizer: first argument is nil")
{
	(void)t;
	runtime_setfinalizer(NULL, finalize);
}
