// gc_test.c: the collector (runtime/mgc.c) as a program sees it, through
// runtime_gc and runtime_readmemstats: what nothing reaches is freed and
// its memory reused; what a root reaches survives, whatever the root (a
// global, a stack, an interior pointer, malloc'd memory, a goroutine
// parked on a channel or blocked in the machine) and however many cycles
// run while other goroutines allocate. Both ports.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// A binary tree whose nodes carry a checksum of their subtree's shape: a
// freed node reused by later allocations breaks it.
struct node {
	struct node *left, *right;
	uint64_t sum; // 1 + the children's sums, times a constant, plus depth
	uint64_t pad;
};

static struct node *__attribute__((noipa))
maketree(int depth)
{
	struct node *n = new(struct node);
	if (depth > 0) {
		n->left = maketree(depth - 1);
		n->right = maketree(depth - 1);
	}
	n->sum = (uint64_t)depth * 1000003 + (n->left ? n->left->sum + n->right->sum : 1);
	return n;
}

static bool
checktree(const struct node *n, int depth)
{
	if (n == NULL) {
		return false;
	}
	if (depth == 0) {
		return n->left == NULL && n->right == NULL && n->sum == 1;
	}
	return checktree(n->left, depth - 1) && checktree(n->right, depth - 1) &&
	       n->sum == (uint64_t)depth * 1000003 + n->left->sum + n->right->sum;
}

static struct node *globalroot;

static uint64_t
heapalloc(void)
{
	struct memstats ms;
	runtime_readmemstats(&ms);
	return ms.HeapAlloc;
}

// Garbage: n objects of size bytes that nothing keeps, made in a frame of
// their own (gone when it returns, and not scanned: below the stack
// pointer).
static void __attribute__((noipa))
makegarbage(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		char *p = runtime_new(size, i % 2 == 0);
		p[0] = 1;
	}
}

TEST(TestGCFreesUnreachable)
{
	int pct = runtime_setgcpercent(-1); // no cycle but ours
	runtime_gc();
	uint64_t before = heapalloc();
	makegarbage(20000, 64);
	makegarbage(50, 64 << 10); // large objects, spans of their own
	uint64_t full = heapalloc();
	runtime_gc();
	uint64_t after = heapalloc();
	runtime_setgcpercent(pct);
	struct memstats ms;
	runtime_readmemstats(&ms);
	t_logf(t, "HeapAlloc %lu -> %lu -> %lu, Frees %lu, NumGC %u", (unsigned long)before, (unsigned long)full,
	       (unsigned long)after, (unsigned long)ms.Frees, ms.NumGC);
	uint64_t made = full - before;
	if (made < 20000 * 64 + 50 * (64 << 10) || after > before + made / 10) {
		t_errorf(t, "made %lu bytes of garbage; %lu still allocated after runtime_gc", (unsigned long)made,
			 (unsigned long)(after - before));
	}
	if (ms.NumGC < 2 || ms.PauseTotalNs == 0 || ms.Frees < 20000) {
		t_errorf(t, "NumGC %u, PauseTotalNs %lu, Frees %lu", ms.NumGC, (unsigned long)ms.PauseTotalNs,
			 (unsigned long)ms.Frees);
	}
}

// The pacer: allocation starts cycles by itself, as the heap grows by
// GOGC percent over what the last cycle left (from 4 MiB): the heap stays
// near twice the live data at GOGC=100 (Go's bound); GOGC=50 collects
// more often than 100; off never collects.
static uint32_t
numgc(void)
{
	struct memstats ms;
	runtime_readmemstats(&ms);
	return ms.NumGC;
}

// Garbage made in steps, the peak of the heap in use between them.
static uint64_t __attribute__((noipa))
garbagepeak(long steps)
{
	uint64_t peak = 0;
	for (long i = 0; i < steps; i++) {
		makegarbage(1000, 128);
		struct memstats ms;
		runtime_readmemstats(&ms);
		if (ms.HeapAlloc > peak) {
			peak = ms.HeapAlloc;
		}
	}
	return peak;
}

TEST(TestGCRunsByItself)
{
	runtime_gc();
	globalroot = maketree(14); // 1 MiB live (32 Ki nodes of 32 bytes)
	uint32_t n0 = numgc();
	uint64_t peak = garbagepeak(testing_short ? 256 : 1024); // 32 or 128 MiB of garbage
	uint32_t cycles = numgc() - n0;
	t_logf(t, "%u cycles, peak HeapAlloc %lu KiB", cycles, (unsigned long)(peak >> 10));
	if (cycles < 4) {
		t_errorf(t, "%u cycles while allocating %d MiB of garbage", cycles, testing_short ? 32 : 128);
	}
	// Live 1 MiB: the goal is the 4 MiB minimum; a step's 128 KiB and a
	// span per class of slack above it.
	if (peak > 6 << 20) {
		t_errorf(t, "the heap peaked at %lu bytes with 1 MiB live (goal 4 MiB)", (unsigned long)peak);
	}
	if (!checktree(globalroot, 14)) {
		t_errorf(t, "the live tree was broken by the cycles");
	}
	globalroot = NULL;
}

TEST(TestGOGCChangesHowOften)
{
	int pct = runtime_setgcpercent(-1);
	runtime_gc();
	uint32_t n0 = numgc();
	garbagepeak(128); // 16 MiB
	uint32_t off = numgc() - n0;
	runtime_setgcpercent(100);
	runtime_gc();
	n0 = numgc();
	garbagepeak(256);
	uint32_t at100 = numgc() - n0;
	runtime_setgcpercent(25);
	runtime_gc();
	n0 = numgc();
	garbagepeak(256);
	uint32_t at25 = numgc() - n0;
	runtime_setgcpercent(pct);
	t_logf(t, "cycles for 32 MiB: %u at GOGC=100, %u at 25; %u for 16 MiB off", at100, at25, off);
	if (off != 0 || at25 <= at100 || at100 == 0) {
		t_errorf(t, "GOGC=off ran %u cycles; GOGC=100 %u, GOGC=25 %u (want more)", off, at100, at25);
	}
}

// The memory of what was freed is reused: allocating and dropping the
// same amount again and again, collected each time, the heap stays put.
TEST(TestGCReusesMemory)
{
	runtime_gc();
	struct memstats ms;
	runtime_readmemstats(&ms);
	uint64_t sys0 = ms.HeapSys;
	for (int round = 0; round < 20; round++) {
		makegarbage(4000, 256);  // 1 MiB in small objects
		makegarbage(16, 64 << 10); // 1 MiB in large ones
		runtime_gc();
	}
	runtime_readmemstats(&ms);
	if (ms.HeapSys > sys0 + (8 << 20)) {
		t_errorf(t, "40 MiB made and dropped grew the heap from %lu to %lu bytes", (unsigned long)sys0,
			 (unsigned long)ms.HeapSys);
	}
}

// Roots of every kind, each the only way to its tree.
enum { Depth = 10 };

struct holder {
	struct node *tree;
};

static void
parkwith(void *arg)
{
	struct hchan *c = arg;
	struct node *mine = maketree(Depth);
	long v;
	chan_recv(c, &v); // parked, the tree only on this stack
	if (!checktree(mine, Depth)) {
		chan_sendv(c, long, 0);
		return;
	}
	chan_sendv(c, long, 1);
}

static struct note blockednote, blockedready;
static bool blockedok; // Atomic

static void
blockwith(void *arg)
{
	(void)arg;
	struct node *mine = maketree(Depth);
	notewakeup(&blockedready);
	notesleep(&blockednote); // blocked in the machine (a syscall), the tree only here
	atomic_store_rel(&blockedok, checktree(mine, Depth)); // store-release; pairs with the test's load-acquire
	notewakeup(&blockedready);
}

// Each root filled in a frame of its own, which returns nothing: the
// tree's address stays nowhere else (the frame is below the stack
// pointer once it returns), so a root the collector missed loses it.
static void __attribute__((noipa))
fillholder(struct holder *h)
{
	h->tree = maketree(Depth);
}

static void __attribute__((noipa))
fillglobal(void)
{
	globalroot = maketree(Depth);
}

static volatile uintptr_t interior; // &node->pad of a tree's root

static void __attribute__((noipa))
fillinterior(void)
{
	interior = (uintptr_t)maketree(Depth) + 24;
}

TEST(TestGCKeepsWhatRootsReach)
{
	fillglobal();
	volatile struct node *onstack = maketree(Depth);
	// runtime_malloc: the manual heap on both ports (on Linux, glibc's
	// malloc is not scanned: docs/gc.md).
	struct holder *inmalloc = runtime_malloc(sizeof *inmalloc);
	fillholder(inmalloc);
	struct holder *inheap = new(struct holder);
	fillholder(inheap);
	fillinterior();
	struct hchan *c = make_chan(long, 0);
	go(parkwith, c);
	noteclear(&blockednote);
	noteclear(&blockedready);
	go(blockwith, NULL);
	notesleep(&blockedready);
	noteclear(&blockedready);
	for (int i = 0; i < 10; i++) {
		makegarbage(2000, 48);
		runtime_gc();
		makegarbage(2000, 48); // reuses what the collection freed
	}
	chan_sendv(c, long, 0);
	long parkedok = chan_recvv(c, long);
	notewakeup(&blockednote);
	notesleep(&blockedready);
	// Load-acquire; pairs with blockwith's store-release (after its wakeup).
	bool blockedgood = atomic_load_acq(&blockedok);
	const char *bad = !checktree(globalroot, Depth)                            ? "a global"
			  : !checktree((struct node *)onstack, Depth)              ? "a local on the stack"
			  : !checktree(inmalloc->tree, Depth)                       ? "malloc'd memory"
			  : !checktree(inheap->tree, Depth)                         ? "a heap object"
			  : !checktree((struct node *)(interior - 24), Depth)       ? "an interior pointer"
			  : !parkedok                                               ? "a goroutine parked on a channel"
			  : !blockedgood                                            ? "a goroutine blocked in the machine"
										    : NULL;
	if (bad != NULL) {
		t_errorf(t, "a tree held only by %s was broken by the collector", bad);
	}
	runtime_free(inmalloc);
	globalroot = NULL;
	interior = 0;
}

// Collections while goroutines on every P build trees, check them and
// drop them: each is stopped anywhere (preempted with its registers on
// its stack, parked, between two allocations) when the world stops.
static struct waitgroup gcwg;
static bool gcstop;   // Atomic
static long gcbroken; // Atomic

static void
builder(void *arg)
{
	(void)arg;
	while (!atomic_load_relaxed(&gcstop)) {
		struct node *n = maketree(8);
		runtime_gosched();
		if (!checktree(n, 8)) {
			atomic_xadd_relaxed(&gcbroken, 1);
		}
	}
	wg_done(&gcwg);
}

TEST(TestGCWhileGoroutinesAllocate)
{
	enum { Builders = 8 };
	atomic_store_relaxed(&gcstop, false);
	atomic_store_relaxed(&gcbroken, 0);
	wg_add(&gcwg, Builders);
	for (int i = 0; i < Builders; i++) {
		go(builder, NULL);
	}
	int cycles = testing_short ? 20 : 100;
	for (int i = 0; i < cycles; i++) {
		time_sleep(Millisecond);
		runtime_gc();
	}
	atomic_store_relaxed(&gcstop, true);
	wg_wait(&gcwg);
	if (atomic_load_relaxed(&gcbroken) != 0) {
		t_errorf(t, "%ld trees broken across %d collections", atomic_load_relaxed(&gcbroken), cycles);
	}
}

// Collections while the runtime's own heap objects are in use: trees
// whose only pointer is in a channel's buffer (an hchan, in the heap) or
// in a parked sender's element (its sudog, in the heap, pointing to its
// stack), and deferred calls (their records in the heap, the frames on
// the stack) whose argument is a tree.
static struct waitgroup chanwg;
static long chanbroken, chanchecked; // Atomic

static void
treesender(void *arg)
{
	struct hchan *c = arg;
	for (int i = 0; i < 200; i++) {
		struct node *n = maketree(6);
		chan_send(c, &n);
	}
	wg_done(&chanwg);
}

static void
checkdeferred(void *arg)
{
	if (!checktree(arg, 6)) {
		atomic_xadd_relaxed(&chanbroken, 1);
	}
	atomic_xadd_relaxed(&chanchecked, 1);
}

static void __attribute__((noipa))
deferround(void)
{
	deferscope {
		defer(checkdeferred, maketree(6));
		runtime_gosched();
	}
}

static void
treereceiver(void *arg)
{
	struct hchan *c = arg;
	struct node *n;
	while (chan_recv2(c, &n)) {
		if (!checktree(n, 6)) {
			atomic_xadd_relaxed(&chanbroken, 1);
		}
		deferround();
	}
	wg_done(&chanwg);
}

TEST(TestGCWhileChannelsAndDefersRun)
{
	enum { Pairs = 4 };
	atomic_store_relaxed(&chanbroken, 0);
	atomic_store_relaxed(&chanchecked, 0);
	struct hchan *c[Pairs];
	wg_add(&chanwg, 2 * Pairs);
	for (int i = 0; i < Pairs; i++) {
		c[i] = make_chan(struct node *, i % 2 == 0 ? 0 : 4);
		go(treesender, c[i]);
		go(treereceiver, c[i]);
	}
	// Collections back to back until every tree was checked; the
	// senders end by themselves, the receivers when their channel closes.
	int cycles = 0;
	while (atomic_load_relaxed(&chanchecked) < Pairs * 200) {
		runtime_gc();
		cycles++;
		time_sleep(Millisecond);
	}
	for (int i = 0; i < Pairs; i++) {
		chan_close(c[i]);
	}
	wg_wait(&chanwg);
	if (atomic_load_relaxed(&chanbroken) != 0) {
		t_errorf(t, "%ld trees broken in channels and deferred calls", atomic_load_relaxed(&chanbroken));
	}
	t_logf(t, "%d collections meanwhile", cycles);
}

// The lost-object race, the test of the collector's write barrier (the
// dirty bits, mgcmark.c): goroutines on every P keep moving the only
// pointer to an object around, between two heap objects, a stack word,
// newlib-malloc'd memory and a register, while cycles run back to back,
// and check the object after each lap. The marker scans each place at a
// different time, so it often sees the pointer in none of them; only the
// re-scan of what was written since keeps the object. A lost one is freed
// and its slot taken by the churners' objects of the same size, which
// overwrite it.
enum { Movers = 8, HolderSlots = 16, PayloadMagic = 0x5ca1ab1e };

struct payload {
	uint64_t magic, id, seq, check; // check: a function of the others
	uint64_t pad[4];                // 64 bytes: the churners' size class
};

struct lostholder {
	struct payload *slot[HolderSlots];
};

static struct lostholder *lostheap[Movers][2]; // the heap objects, held by this global
static struct payload **lostmanual[Movers]; // the malloc'd words
static long lostbroken, lostlaps; // Atomic
static bool loststop;             // Atomic
static uint64_t lostsink; // Atomic: where inregister's work goes, so that it is done
static struct waitgroup lostwg;

static uint64_t
payloadcheck(uint64_t id, uint64_t seq)
{
	return (id * 0x9e3779b97f4a7c15ULL) ^ (seq * 0xc2b2ae3d27d4eb4fULL) ^ PayloadMagic;
}

// Take the pointer at *from, leaving NULL: out of line, so that no copy
// stays in the caller.
static struct payload *__attribute__((noipa))
take(struct payload **from)
{
	struct payload *p = *from;
	*from = NULL;
	return p;
}

static void __attribute__((noipa))
put(struct payload **to, struct payload *p)
{
	*to = p;
}

// Work with p held only in registers (and this frame), long enough for a
// preemption or a stop to come in the middle.
static struct payload *__attribute__((noipa))
inregister(struct payload *p, int n)
{
	uint64_t h = 0;
	for (int i = 0; i < n; i++) {
		h = h * 31 + p->seq + (uint64_t)i;
	}
	atomic_store_relaxed(&lostsink, h); // relaxed: nobody reads it
	return p;
}

static void
mover(void *arg)
{
	long me = (long)arg;
	struct lostholder *a = lostheap[me][0], *b = lostheap[me][1];
	struct payload **m = lostmanual[me];
	struct payload *volatile onstack = NULL;
	struct payload *p = NULL;
	for (uint64_t seq = 0; !atomic_load_relaxed(&loststop); seq++) {
		if (p == NULL && seq % HolderSlots == 0) {
			// Once, and again after a loss: an object allocated while
			// a mark runs is black for that cycle, so a lasting one is
			// what the cycles after must keep.
			p = new(struct payload);
			p->magic = PayloadMagic;
			p->id = (uint64_t)me;
		}
		if (p == NULL) {
			continue;
		}
		p->seq = seq;
		p->check = payloadcheck((uint64_t)me, seq);
		int i = (int)(seq % HolderSlots), j = (int)(seq * 7 % HolderSlots);
		put(&a->slot[i], p);
		p = NULL;
		if (seq % 8 == 0) {
			runtime_gosched(); // parked with the pointer in a heap object
		}
		onstack = take(&a->slot[i]);
		if (seq % 8 == 4) {
			runtime_gosched(); // parked with it on the stack
		}
		put(&b->slot[j], onstack);
		onstack = NULL;
		put(m, take(&b->slot[j]));
		p = inregister(take(m), 200);
		if (p->magic != PayloadMagic || p->id != (uint64_t)me || p->seq != seq ||
		    p->check != payloadcheck((uint64_t)me, seq)) {
			atomic_xadd_relaxed(&lostbroken, 1);
			p = NULL; // start again with a new one
			continue;
		}
		atomic_xadd_relaxed(&lostlaps, 1);
	}
	wg_done(&lostwg);
}

// Objects of the payload's size, written all over and dropped.
static void
churner(void *arg)
{
	(void)arg;
	while (!atomic_load_relaxed(&loststop)) {
		for (int i = 0; i < 64; i++) {
			uint64_t *q = runtime_new(sizeof(struct payload), false); // the payload's span class
			for (int k = 0; k < 8; k++) {
				q[k] = 0xdeaddeaddeaddeadULL;
			}
		}
		runtime_gosched();
	}
	wg_done(&lostwg);
}

TEST(TestGCLostObjectRace)
{
	atomic_store_relaxed(&lostbroken, 0);
	atomic_store_relaxed(&lostlaps, 0);
	atomic_store_relaxed(&loststop, false);
	for (int i = 0; i < Movers; i++) {
		lostheap[i][0] = new(struct lostholder);
		lostheap[i][1] = new(struct lostholder);
		lostmanual[i] = runtime_malloc(sizeof(struct payload *));
		*lostmanual[i] = NULL;
	}
	struct memstats before, after;
	runtime_readmemstats(&before);
	wg_add(&lostwg, Movers + 2);
	for (long i = 0; i < Movers; i++) {
		go(mover, (void *)i);
	}
	go(churner, NULL);
	go(churner, NULL);
	// For a time, and at least for 10 cycles and 1000 laps (one CPU
	// shared by eleven goroutines laps slowly; 64 stop slowly under TCG),
	// within a bound.
	int64_t start = time_nanotime(), end = start + (testing_short ? 1 : 4) * Second;
	for (;;) {
		runtime_gc();
		struct memstats ms;
		runtime_readmemstats(&ms);
		int64_t now = time_nanotime();
		bool enough = ms.NumGC - before.NumGC >= 10 && atomic_load_relaxed(&lostlaps) >= 1000;
		if ((now >= end && enough) || now >= start + 30 * Second) {
			break;
		}
	}
	atomic_store_relaxed(&loststop, true);
	wg_wait(&lostwg);
	runtime_readmemstats(&after);
	uint32_t cycles = after.NumGC - before.NumGC;
	long laps = atomic_load_relaxed(&lostlaps), broken = atomic_load_relaxed(&lostbroken);
	for (int i = 0; i < Movers; i++) {
		runtime_free(lostmanual[i]);
	}
	if (broken != 0) {
		t_fatalf(t, "%ld objects lost in %ld laps across %u cycles", broken, laps, cycles);
	}
	if (cycles < 10 || laps < 1000) {
		t_errorf(t, "only %u cycles and %ld laps: the race was not run", cycles, laps);
	}
	t_logf(t, "%ld laps across %u cycles, none lost", laps, cycles);
}

// An idle program is collected after a while (Go's forced cycle every 2
// minutes, sysmon's): with the period at 50 ms (GODEBUG=forcegcperiod,
// set here as the knob's reader sees it) and every goroutine asleep,
// cycles come by themselves, and they do not count as the program's own
// (NumForcedGC is runtime_gc's).
TEST(TestGCForcedWhenIdle)
{
	struct memstats before, after;
	runtime_readmemstats(&before);
	atomic_store_relaxed(&debug.forcegcperiod, 50); // relaxed: sysmon reads the knob as it goes
	time_sleep(Second);
	atomic_store_relaxed(&debug.forcegcperiod, 0); // relaxed: as above
	runtime_readmemstats(&after);
	// At most one a period (the period runs from each cycle's end: under
	// TCG with a busy host a cycle takes a while), and more than one.
	uint32_t cycles = after.NumGC - before.NumGC;
	if (cycles < 2 || cycles > 21) {
		t_errorf(t, "%u cycles in 1 s asleep with a 50 ms period, want 2 to 21", cycles);
	}
	if (after.NumForcedGC != before.NumForcedGC) {
		t_errorf(t, "NumForcedGC went from %u to %u", before.NumForcedGC, after.NumForcedGC);
	}
	t_logf(t, "%u cycles in 1 s asleep", cycles);
}
