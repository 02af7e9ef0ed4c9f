// sched_test.c: goroutines on the scheduler (runtime/proc.c): many of
// them, park/ready, runnext, spreading over Ps, preemption of loops
// without calls, sleep, deep stacks; and the fatal ends, deadlock and
// Goexit in main, which crash their machine.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/mended.h"
#include "tests/testing.h"
#include "tests/wg.h"

static struct waitgroup spawnwg;

static void
spawned(void *arg)
{
	(void)arg;
	wg_done(&spawnwg);
}

// 100 000 goroutines, in batches of 10 000 (Gs and stacks are reused
// from batch to batch, as Go reuses them).
TEST(TestGoroutineSpawn100000)
{
	int before = runtime_numgoroutine();
	for (int batch = 0; batch < 10; batch++) {
		wg_add(&spawnwg, 10000);
		for (int i = 0; i < 10000; i++) {
			go(spawned, NULL);
		}
		wg_wait(&spawnwg);
	}
	// The last ones may still be between wg_done and their exit: give
	// them a second. Earlier tests' may be finishing too, so the count may
	// end below where it began.
	int64_t deadline = time_nanotime() + Second;
	int n;
	while ((n = runtime_numgoroutine()) > before && time_nanotime() < deadline) {
		time_sleep(Millisecond);
	}
	if (n > before) {
		t_errorf(t, "%d goroutines left after all finished, %d before", n, before);
	}
}

// A woken G runs before older queued ones (runnext): main readies a G
// and yields; the readied one runs before the 5 queued before it.
static int order[8];
static int norder; // Atomic

static void
record(void *arg)
{
	// Claims a slot. Acq_rel only for simplicity; nothing pairs with it:
	// the test runs at GOMAXPROCS=1, where the recorders and main take
	// turns on the one P and the scheduler's switches order their writes
	// (the slot is written after the add, which publishes none of it).
	order[atomic_xadd_acqrel(&norder, 1) - 1] = (int)(intptr_t)arg;
}

TEST(TestRunnextRunsFirst)
{
	if (gomaxprocs != 1) {
		t_logf(t, "runs only at GOMAXPROCS=1 (stealing reorders)");
		return;
	}
	norder = 0;
	for (int i = 1; i <= 5; i++) {
		go(record, (void *)(intptr_t)i); // each new G displaces runnext
	}
	go(record, (void *)(intptr_t)6); // in runnext now
	runtime_gosched();               // main to the global queue; the Ps run 6 first
	// Load-acquire only for simplicity; nothing pairs (see record): it
	// waits for the count, and the P's switches order the slots.
	while (atomic_load_acq(&norder) < 6) {
		runtime_gosched();
	}
	if (order[0] != 6) {
		t_errorf(t, "first to run was %d, want 6 (runnext)", order[0]);
	}
}

// Two goroutines take turns, yielding until it is theirs: 2000 rounds.
struct pingpong {
	int turn; // Atomic
	int rounds;
	struct waitgroup wg;
};

static struct pingpong pingpong;

static void
player(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < pingpong.rounds; i++) {
		// Load-acquire; pairs with the other player's store-release
		// below, which hands the turn over.
		while (atomic_load_acq(&pingpong.turn) != me) {
			runtime_gosched();
		}
		// Store-release; pairs with the other player's load-acquire
		// above.
		atomic_store_rel(&pingpong.turn, 1 - me);
	}
	wg_done(&pingpong.wg);
}

TEST(TestGoschedPingPong)
{
	(void)t;
	pingpong.turn = 0;
	pingpong.rounds = 2000;
	wg_add(&pingpong.wg, 2);
	go(player, (void *)0);
	go(player, (void *)1);
	wg_wait(&pingpong.wg);
}

// A CPU-bound batch started from one goroutine spreads to every P:
// count which P each worker's chunks ran on (not time: TCG is noisy). The
// workers go on, 20 chunks at least, until every P has run one or 5 s
// and 100 ms a P have passed, so that a loaded host (a thread descheduled
// for tens of milliseconds; 64 vCPUs on 2 host cores) cannot end the work
// before a P got its share.
static int ranonp[MaxGomaxprocs]; // Atomic
static struct waitgroup spreadwg;
static uint64_t spreaddeadline;

static bool
everypran(void)
{
	for (int i = 0; i < gomaxprocs; i++) {
		if (atomic_load_relaxed(&ranonp[i]) == 0) {
			return false;
		}
	}
	return true;
}

static void
cpuwork(void *arg)
{
	(void)arg;
	for (int chunk = 0; chunk < 20 || (!everypran() && nanotime() < spreaddeadline); chunk++) {
		volatile uint64_t x = 0;
		for (int i = 0; i < 200000; i++) {
			x += i;
		}
		struct m *mp = acquirem();
		atomic_xadd_relaxed(&ranonp[mp->p->id], 1);
		releasem(mp);
	}
	wg_done(&spreadwg);
}

TEST(TestCPUBoundSpreads)
{
	memset(ranonp, 0, sizeof ranonp);
	uint64_t limit = 5000000000ULL + (uint64_t)gomaxprocs * 100000000ULL;
	spreaddeadline = nanotime() + limit;
	wg_add(&spreadwg, 4 * gomaxprocs);
	for (int i = 0; i < 4 * gomaxprocs; i++) {
		go(cpuwork, NULL);
	}
	wg_wait(&spreadwg);
	for (int i = 0; i < gomaxprocs; i++) {
		if (ranonp[i] == 0) {
			t_errorf(t, "P %d ran none of the work in %lu ms", i,
				 (unsigned long)(limit / 1000000));
		}
	}
}

// for (;;) without calls does not starve main: sysmon preempts it after
// 10 ms (go1.11.4 would hang here at GOMAXPROCS=1).
static volatile bool stopspin;

static void
spinforever(void *arg)
{
	(void)arg;
	while (!stopspin) {
	}
}

TEST(TestLoopWithoutCallsIsPreempted)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "needs preemption at any instruction, which this build lacks");
		return;
	}
	stopspin = false;
	for (int i = 0; i < gomaxprocs; i++) {
		go(spinforever, NULL);
	}
	uint64_t start = nanotime();
	time_sleep(30 * Millisecond); // needs its P back from a spinner
	stopspin = true;
	t_logf(t, "main woke after %lu ms with %d spinners", (nanotime() - start) / 1000000, gomaxprocs);
}

// Pokes without pause (os_preemptm, no preemption asked for) put one
// injected asyncpreempt call at a time on a goroutine's stack: a poke that
// lands while the last call is still on the stack is refused, as Go never
// takes an async safe point in asyncPreempt itself. Before the bare-metal
// port refused them, every poke in the window where interrupts are on
// (from preempted's sti to its return) nested a call below the last, and
// a flood ran the stack into its guard; on Linux, with the mark cleared in
// gopreempt instead of at the call's end, calls nested two deep.
//
// The victim paints PokePaint bytes below its spinning frame and, after
// the flood, looks there for asyncpreempt's frames. Both ports' entry
// (named asyncpreempt) pushes the interrupted pc, then the interrupted
// frame pointer, then calls preempted: a word holding a return address
// into asyncpreempt, with the interrupted frame pointer and pc just above
// it. A call injected into the victim's own code has the victim's frame
// pointer there, or one of its small callees' (within PokeMargin below
// it); a call injected into an earlier call has a frame pointer inside the
// paint, or, in asyncpreempt's last instructions, where the registers are
// the victim's again, a pc in asyncpreempt. The paint begins PokeMargin
// below the victim's frame, clear of its callees.
void asyncpreempt(void);
enum { PokePaint = 128 << 10, PokeMargin = 256, AsyncPreemptSize = 256 };
static const uint64_t pokepattern = 0x706f6b6564656570ULL;
static struct m *pokedm; // Atomic; the victim's M, for the poker
static bool pokestop;    // Atomic
static int pokecalls;    // the victim's count of asyncpreempt frames
static int pokenested;   // of them, injected into an earlier one
static uint64_t pokedepth; // how far below the paint's top the deepest frame wrote
static long pokesent;      // the poker's pokes that os_preemptm sent
static struct waitgroup pokewg;

static void __attribute__((noipa)) pokepaint(volatile uint64_t *lo)
{
	for (size_t i = 0; i < PokePaint / 8; i++) {
		lo[i] = pokepattern;
	}
}

static void __attribute__((noipa)) pokescan(volatile uint64_t *lo)
{
	uint64_t entry = (uint64_t)asyncpreempt, plo = (uint64_t)lo, phi = plo + PokePaint;
	pokecalls = pokenested = 0;
	pokedepth = 0;
	for (size_t i = 0; i < PokePaint / 8; i++) {
		uint64_t w = lo[i];
		if (w != pokepattern && pokedepth == 0) {
			pokedepth = PokePaint - i * 8;
		}
		if (w > entry && w < entry + AsyncPreemptSize && i + 2 < PokePaint / 8) {
			uint64_t fp = lo[i + 1], pc = lo[i + 2];
			pokecalls++;
			pokenested += (fp >= plo && fp < phi) || (pc >= entry && pc < entry + AsyncPreemptSize);
		}
	}
}

static void
pokevictim(void *arg)
{
	(void)arg;
	uint64_t fp = (uint64_t)__builtin_frame_address(0);
	volatile uint64_t *lo = (volatile uint64_t *)((fp - PokeMargin - PokePaint) & ~7ULL);
	pokepaint(lo);
	// Store-release; pairs with the poker's load-acquire: the M is this
	// goroutine's when the first poke comes.
	atomic_store_rel(&pokedm, getm());
	// Relaxed: only the loop's end waits for it.
	while (!atomic_load_relaxed(&pokestop)) {
	}
	pokescan(lo);
	wg_done(&pokewg); // publishes what pokescan found to the test
}

// Pokes for arg nanoseconds from the moment the victim spins.
static void
poker(void *arg)
{
	struct m *mp;
	// Load-acquire; pairs with the victim's store-release.
	while ((mp = atomic_load_acq(&pokedm)) == NULL) {
	}
	int64_t end = time_nanotime() + (int64_t)(intptr_t)arg;
	pokesent = 0;
	while (time_nanotime() < end) {
		// Relaxed: the victim may move to another M (sysmon's own
		// preemption); a poke of the old one is lost, harmless.
		pokesent += os_preemptm(atomic_load_relaxed(&pokedm));
	}
	atomic_store_relaxed(&pokestop, true);
	wg_done(&pokewg);
}

TEST(TestPreemptPokesDoNotNest)
{
	if (!os_asyncpreempt() || gomaxprocs < 2) {
		t_logf(t, "needs preemption at any instruction and two Ps");
		return;
	}
	atomic_store_relaxed(&pokedm, NULL);
	atomic_store_relaxed(&pokestop, false);
	wg_add(&pokewg, 2);
	go(pokevictim, NULL);
	go(poker, (void *)(intptr_t)((testing_short ? 300 : 1000) * Millisecond));
	wg_wait(&pokewg);
	t_logf(t, "%ld pokes sent; %d asyncpreempt frames found below the victim, %d of them nested; the deepest frame reached %lu bytes below the paint's top",
	       pokesent, pokecalls, pokenested, (unsigned long)pokedepth);
	if (pokecalls == 0) {
		t_errorf(t, "no poke reached the victim: the test measured nothing");
	}
	if (pokenested > 0) {
		t_errorf(t, "%d injected calls nested in earlier ones (%lu bytes deep)", pokenested,
			 (unsigned long)pokedepth);
	}
}

// time_sleep: never early, lateness logged; <= 0 returns at once.
TEST(TestSleep)
{
	time_sleep(0);
	time_sleep(-5);
	for (int i = 0; i < 5; i++) {
		uint64_t start = nanotime();
		time_sleep(Millisecond);
		uint64_t took = nanotime() - start;
		if (took < Millisecond) {
			t_errorf(t, "time_sleep(1ms) took %lu ns", took);
		}
		if (i == 4) {
			t_logf(t, "time_sleep(1ms) took %lu us", took / 1000);
		}
	}
}

// Many sleepers on every P wake, all of them.
static struct waitgroup sleepwg;

static void
sleeper(void *arg)
{
	time_sleep((int64_t)(intptr_t)arg * Microsecond);
	wg_done(&sleepwg);
}

TEST(TestManySleepers)
{
	(void)t;
	wg_add(&sleepwg, 500);
	for (int i = 0; i < 500; i++) {
		go(sleeper, (void *)(intptr_t)(100 + i * 37 % 5000));
	}
	wg_wait(&sleepwg);
}

// The stack grows by faults, 900 KiB deep and back.
static int __attribute__((noipa)) deep(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (n == 0) {
		return pad[0];
	}
	return deep(n - 1) + pad[0];
}

TEST(TestDeepRecursion)
{
	int want = 0;
	for (int n = 0; n <= 900; n++) {
		want += (char)n;
	}
	int got = deep(900);
	if (got != want) {
		t_errorf(t, "deep(900) = %d, want %d", got, want);
	}
}

// A dead G keeps two pages of its stack mapped; what it grew below them
// goes back to the frame allocator (stacktrim).
static struct waitgroup deepwg;

static void
deepthenexit(void *arg)
{
	*(struct g **)arg = getg();
	deep(900);
	wg_done(&deepwg);
}

TEST(TestDeadGoroutineGivesStackBack)
{
	if (!os_faultstacks()) {
		t_logf(t, "needs stacks that grow by faults, which this build lacks");
		return;
	}
	struct g *gp = NULL;
	wg_add(&deepwg, 1);
	go(deepthenexit, &gp);
	wg_wait(&deepwg);
	while (readgstatus(gp) != Gdead) {
		runtime_gosched();
	}
	if (gp->stackmapped != gp->stackhi - 2 * PhysPageSize) {
		t_errorf(t, "a dead G has its stack mapped from 0x%lx, want 0x%lx", gp->stackmapped,
			 gp->stackhi - 2 * PhysPageSize);
	}
	uint64_t mapped = 0;
	for (uint64_t va = gp->stacklo; va < gp->stackhi; va += PhysPageSize) {
		mapped += testing_pagemapped(va);
	}
	if (mapped > 2) {
		t_errorf(t, "%lu pages of a dead G's stack are still mapped, want at most 2", mapped);
	}
}

// A burst of goroutines does not keep its stacks once it is over: dead
// Gs that stay unused on the global free list for sysmon's period give
// back every page of their stacks (gfreestacks), and map their top page
// again when reused. Once, 10,000 dead Gs of TestGoroutineSpawn100000
// kept 40 to 80 MiB of a 128 MiB guest, and the next burst ran it out of
// memory (CI, cpus=4: "fatal error: os_sysalloc: out of memory").
enum { BurstGs = 4000 };
static struct g *burst[BurstGs];
static struct waitgroup burstup, burstgo[BurstGs], burstdone; // wg.h: one waiter each

static void
burster(void *arg)
{
	intptr_t i = (intptr_t)arg;
	burst[i] = getg();
	wg_done(&burstup);
	wg_wait(&burstgo[i]); // all BurstGs alive at once
	deep(2);              // a second page (not a third: stacktrim would give it back)
	wg_done(&burstdone);
}

static int
burstwithstacks(void)
{
	int n = 0;
	for (int i = 0; i < BurstGs; i++) {
		n += testing_pagemapped(burst[i]->stackhi - PhysPageSize);
	}
	return n;
}

TEST(TestDeadGoroutinesGiveStacksBack)
{
	for (int round = 0; round < 2; round++) {
		wg_add(&burstup, BurstGs);
		wg_add(&burstdone, BurstGs);
		for (intptr_t i = 0; i < BurstGs; i++) {
			wg_add(&burstgo[i], 1);
			go(burster, (void *)i);
		}
		wg_wait(&burstup);
		if (round == 0 && burstwithstacks() != BurstGs) {
			t_errorf(t, "%d of %d live goroutines have their stack's top page", burstwithstacks(),
				 BurstGs);
		}
		for (int i = 0; i < BurstGs; i++) {
			wg_done(&burstgo[i]);
		}
		wg_wait(&burstdone);
		int64_t deadline = time_nanotime() + 5 * Second;
		int dead = 0;
		while (time_nanotime() < deadline) {
			dead = 0;
			for (int i = 0; i < BurstGs; i++) {
				dead += readgstatus(burst[i]) == Gdead;
			}
			if (dead == BurstGs) {
				break;
			}
			time_sleep(Millisecond);
		}
		if (dead != BurstGs) {
			t_fatalf(t, "round %d: %d of %d goroutines dead after 5 s", round, dead, BurstGs);
		}
		// Sysmon frees them one to two periods (100 ms) after: wait
		// for it. What may keep a stack: the Ps' own lists (63 each).
		int most = 64 * gomaxprocs, kept;
		deadline = time_nanotime() + 5 * Second;
		while ((kept = burstwithstacks()) > most && time_nanotime() < deadline) {
			time_sleep(Millisecond);
		}
		if (kept > most) {
			t_errorf(t, "round %d: %d dead goroutines keep stack pages, want at most %d", round,
				 kept, most);
		}
	}
}

// A G parked for long gives back the stack pages below its stack pointer
// (sysmon's scavenger, made quick by GODEBUG=scavenge=1's setting; or a
// collection, as Go shrinks stacks at GC), and runs on as before when
// readied: its frames above are intact.
static struct waitgroup parkedwg, resumewg;

static int __attribute__((noipa)) deepthenpark(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (n == 0) {
		wg_done(&parkedwg);
		wg_wait(&resumewg); // parked here, 100 KiB deep, 800 KiB mapped below
		return deep(800) + pad[0];
	}
	return deepthenpark(n - 1) + pad[0];
}

static void
parkdeep(void *arg)
{
	struct g **gpp = arg;
	*gpp = getg();
	deep(900);
	int got = deepthenpark(100);
	int want = 0;
	for (int n = 0; n <= 100; n++) {
		want += (char)n;
	}
	for (int n = 0; n <= 800; n++) {
		want += (char)n;
	}
	if (got != want) {
		throw("parkdeep: stack contents changed while parked");
	}
	wg_done(&parkedwg);
}

// Park a G 100 KiB deep with 800 KiB mapped below, wait until giveback()
// has given its pages below the stack pointer back (within 5 s), then
// resume it; whether it did.
static void
parkedgivesback(struct T *t, void (*giveback)(void))
{
	struct g *gp = NULL;
	wg_add(&parkedwg, 1);
	wg_add(&resumewg, 1);
	go(parkdeep, &gp);
	wg_wait(&parkedwg);
	uint64_t mapped = 0, live = 0;
	int64_t deadline = time_nanotime() + 5 * Second;
	while (time_nanotime() < deadline) {
		giveback();
		if (readgstatus(gp) != Gwaiting) {
			continue;
		}
		live = (gp->stackhi - (gp->sched.sp & ~(uint64_t)(PhysPageSize - 1))) / PhysPageSize;
		mapped = 0;
		for (uint64_t va = gp->stacklo; va < gp->stackhi; va += PhysPageSize) {
			mapped += testing_pagemapped(va);
		}
		if (mapped <= live + 1) {
			break;
		}
	}
	if (mapped > live + 1) {
		t_errorf(t, "a parked G has %lu stack pages mapped, want %lu (above its stack pointer) + 1",
			 mapped, live);
	}
	wg_add(&parkedwg, 1);
	wg_done(&resumewg);
	wg_wait(&parkedwg);
}

static void
sleepwhilescavenging(void)
{
	time_sleep(20 * Millisecond);
}

TEST(TestParkedGoroutineGivesStackBack)
{
	if (!os_faultstacks()) {
		t_logf(t, "needs stacks that grow by faults, which this build lacks");
		return;
	}
	atomic_store_relaxed(&debug.scavenge, 1); // sysmon reads it
	parkedgivesback(t, sleepwhilescavenging);
	atomic_store_relaxed(&debug.scavenge, 0);
}

// The same after two collections, with sysmon's scavenger at its 2.5
// minutes.
static void
collect(void)
{
	runtime_gc();
}

TEST(TestParkedGoroutineGivesStackBackAtGC)
{
	if (!os_faultstacks()) {
		t_logf(t, "needs stacks that grow by faults, which this build lacks");
		return;
	}
	parkedgivesback(t, collect);
}

// All goroutines asleep: Go's message, then the goroutine dump.
static bool
parkforever(struct g *gp, void *arg)
{
	(void)gp;
	(void)arg;
	return true;
}

CRASHTEST(TestDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	gopark(parkforever, NULL, waitReasonSelectNoCases);
}

CRASHTEST(TestGoexitInMain, 2, "fatal error: no goroutines (main called runtime.Goexit) - deadlock!")
{
	(void)t;
	runtime_goexit();
}

// printf from 100 goroutines on every CPU, preempted as they go: every
// line comes out whole (the runner checks the "gline:" lines,
// TestGoroutineLinesWhole) and nothing crashes.
static struct waitgroup printwg;

static void
printer(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < 20; i++) {
		printf("gline: g=%03d i=%02d %s\n", id, i,
		       "the quick brown fox jumps over the lazy dog 0123456789");
		for (volatile int j = 0; j < 20000; j++) {
		}
	}
	wg_done(&printwg);
}

TEST(TestGoroutinePrintf)
{
	(void)t;
	wg_add(&printwg, 100);
	for (int i = 0; i < 100; i++) {
		go(printer, (void *)(intptr_t)i);
	}
	wg_wait(&printwg);
}

// systemstack runs its function on the M's g0 stack (the kernel thread's,
// always mapped), where runtime code that holds spinlocks runs: a page
// fault there would take the vm and physmem locks, which rank below the
// runtime's. Back on the goroutine's stack after.
static void
where(void *arg)
{
	*(uint64_t *)arg = (uint64_t)__builtin_frame_address(0);
}

TEST(TestSystemstackRunsOnG0)
{
	uint64_t here = (uint64_t)__builtin_frame_address(0), there = 0;
	systemstack(where, &there);
	uint64_t size, base = os_stackregion(&size);
	bool ongstack = here >= base && here < base + size;
	bool thereong = there >= base && there < base + size;
	if (!ongstack || thereong || there == 0) {
		t_errorf(t, "test frame at 0x%lx, systemstack's at 0x%lx: want a goroutine stack, then g0's",
			 here, there);
	}
	uint64_t after = (uint64_t)__builtin_frame_address(0);
	if (after != here) {
		t_errorf(t, "back from systemstack on another stack: 0x%lx, was 0x%lx", after, here);
	}
}

// A stress of park and ready across every P, for 3 s: 64 goroutines pass
// tokens in a ring, each holder doing random work first (spinning,
// yielding, sleeping). Every token must come round; a lost wakeup stops
// the ring (the test times out, the runner says so).
enum { NSTRESS = 64, NTOKENS = 8 };

struct stressg {
	struct g *parked; // Atomic: the G, while it waits for a token
	int tokens;       // Atomic
	bool done;        // Atomic
	uint64_t rand;
};

static struct stressg stress[NSTRESS];
static int64_t stressend;
static long stresspasses; // Atomic
static struct waitgroup stresswg;

static bool
parkifnotoken(struct g *gp, void *arg)
{
	struct stressg *s = arg;
	// Register, then check for a token; givetoken adds, then takes the G.
	// Each side stores, then loads what the other stores (Dekker), so both
	// are seq_cst: with release then acquire, x86's store buffer lets the
	// load pass the store, givetoken finds no G while this finds no token,
	// and the G parks holding a token (the lost wakeup this test reports:
	// likely the rare failure of loaded 2-CPU runs). Seq_cst exchange;
	// pairs with givetoken's seq_cst add and its exchange, which sees gp.
	(void)atomic_xchg(&s->parked, gp);
	// A token that came between the check and now: take the park back.
	// Seq_cst load; pairs with givetoken's seq_cst add of a token.
	if (atomic_load(&s->tokens) > 0) {
		// Acq_rel; pairs with givetoken's exchange: it fails if that
		// took the G first, and then the giver readies it.
		return !atomic_cas_acqrel(&s->parked, gp, NULL);
	}
	return true;
}

static void
givetoken(int to)
{
	struct stressg *s = &stress[to];
	// Seq_cst add; pairs with the load-acquire of tokens in stresser and
	// the seq_cst load in parkifnotoken (Dekker: see there).
	atomic_xadd(&s->tokens, 1);
	// Acq_rel exchange; pairs with parkifnotoken's seq_cst exchange (the
	// acquire sees the parked G) and with its take-back CAS, which fails
	// on our NULL.
	struct g *gp = atomic_xchg_acqrel(&s->parked, NULL);
	if (gp != NULL) {
		goready(gp);
	}
}

static void
stresser(void *arg)
{
	int me = (int)(intptr_t)arg;
	struct stressg *s = &stress[me];
	for (;;) {
		// Load-acquire; pairs with givetoken's add.
		while (atomic_load_acq(&s->tokens) == 0) {
			gopark(parkifnotoken, s, waitReasonGoroutineParked);
		}
		// Acq_rel only for simplicity; nothing pairs: only this G takes
		// its tokens, and main's check after stressend only peeks.
		atomic_xadd_acqrel(&s->tokens, -1);
		s->rand = s->rand * 6364136223846793005ULL + 1442695040888963407ULL;
		switch (s->rand >> 62) {
		case 0:
			for (volatile int i = 0; i < (int)(s->rand >> 50 & 1023); i++) {
			}
			break;
		case 1:
			runtime_gosched();
			break;
		case 2:
			time_sleep((int64_t)(s->rand >> 40 & 127) * Microsecond);
			break;
		}
		atomic_xadd_relaxed(&stresspasses, 1);
		bool done = (int64_t)nanotime() >= stressend;
		givetoken((me + 1 + (int)(s->rand >> 33 & 3)) % NSTRESS);
		if (done) {
			break;
		}
	}
	// Store-release; pairs with main's load-acquire of done, which then
	// does not count this G's leftover tokens as a lost wakeup.
	atomic_store_rel(&s->done, true);
	wg_done(&stresswg);
}

TEST(TestParkReadyStress)
{
	memset(stress, 0, sizeof stress);
	stresspasses = 0;
	int64_t seconds = testing_short ? 3 : 10;
	stressend = nanotime() + seconds * Second;
	wg_add(&stresswg, NSTRESS);
	for (int i = 0; i < NSTRESS; i++) {
		stress[i].rand = 0x9E3779B97F4A7C15ULL * (i + 1);
		go(stresser, (void *)(intptr_t)i);
	}
	for (int i = 0; i < NTOKENS; i++) {
		givetoken(i * (NSTRESS / NTOKENS));
	}
	// After stressend each goroutine stops when a token reaches it; some
	// never get one and stay parked, empty-handed. One that still sleeps
	// holding a token a second later lost its wakeup.
	// Load-acquire; pairs with the decrement-release in wg_done (a peek:
	// wg_wait below is what waits).
	while (atomic_load_acq(&stresswg.left) > 0 && (int64_t)nanotime() < stressend + Second) {
		time_sleep(10 * Millisecond);
	}
	for (int i = 0; i < NSTRESS; i++) {
		// Load-acquires: done's pairs with stresser's store-release,
		// tokens' with givetoken's add.
		if (!atomic_load_acq(&stress[i].done) && atomic_load_acq(&stress[i].tokens) > 0) {
			t_errorf(t, "goroutine %d sleeps holding %d tokens: a lost wakeup", i,
				 stress[i].tokens);
		}
	}
	for (int i = 0; i < NSTRESS; i++) {
		givetoken(i); // end the empty-handed ones
	}
	wg_wait(&stresswg);
	t_logf(t, "%ld token passes in %ld s on %d Ps", stresspasses, seconds, gomaxprocs);
	if (stresspasses < NTOKENS) {
		t_errorf(t, "only %ld passes", stresspasses);
	}
}

// LockOSThread: the locked goroutine sees the same M (kernel thread)
// across 300 yields and sleeps, and while it sleeps its P runs others
// (a counter goroutine keeps counting, even at GOMAXPROCS=1).
static long otherwork;      // Atomic
static bool lockedfinished; // Atomic
static struct waitgroup lockwg;

static void
counter(void *arg)
{
	(void)arg;
	// Load-acquire; pairs with lockedworker's store-release.
	while (!atomic_load_acq(&lockedfinished)) {
		atomic_xadd_relaxed(&otherwork, 1);
		runtime_gosched();
	}
	wg_done(&lockwg);
}

static void
lockedworker(void *arg)
{
	bool *ok = arg;
	runtime_lockosthread();
	struct m *first = getm();
	for (int i = 0; i < 300; i++) {
		if (i % 3 == 0) {
			time_sleep(100 * Microsecond);
		} else {
			runtime_gosched();
		}
		if (getm() != first) {
			*ok = false;
		}
	}
	runtime_unlockosthread();
	// Store-release; pairs with counter's load-acquire: stop counting.
	atomic_store_rel(&lockedfinished, true);
	wg_done(&lockwg);
}

TEST(TestLockOSThread)
{
	bool ok = true;
	otherwork = 0;
	lockedfinished = false;
	wg_add(&lockwg, 2);
	go(counter, NULL);
	go(lockedworker, &ok);
	wg_wait(&lockwg);
	if (!ok) {
		t_errorf(t, "the locked goroutine ran on another M");
	}
	if (otherwork == 0) {
		t_errorf(t, "nothing else ran while the locked goroutine slept");
	}
	t_logf(t, "the counter ran %ld times meanwhile", otherwork);
}

static void
lockdone(void *arg)
{
	(void)arg;
	wg_done(&lockwg);
}

// A goroutine that exits locked takes its M with it; the program goes on.
static void
exitlocked(void *arg)
{
	runtime_lockosthread();
	seenm_here(arg);
	wg_done(&lockwg);
}

TEST(TestExitLockedEndsItsM)
{
	struct seenm gone = {NULL, 0};
	wg_add(&lockwg, 1);
	go(exitlocked, &gone);
	wg_wait(&lockwg);
	time_sleep(5 * Millisecond);
	if (gone.mp == NULL || !mended(&gone)) {
		t_errorf(t, "the M of the goroutine that exited locked did not end");
	}
	// The scheduler still works: a few more goroutines run.
	wg_add(&lockwg, 10);
	for (int i = 0; i < 10; i++) {
		go(lockdone, NULL);
	}
	wg_wait(&lockwg);
}

// Ms whose threads ended are reused (newm's mreuse, Go's sched.freem):
// 300 goroutines that exit locked, one after the other, end 300 threads,
// and the Ms made for the Ps they hand off are the records of the ended
// ones, not 300 new ones in allm (each one an M and its g0 kept for
// good, reported by review as a leak of the hosted port).
enum { LockedExits = 300 };

static int
countms(void)
{
	int n = 0;
	spin_lock(&sched.lock);
	for (struct m *mp = allm; mp != NULL; mp = mp->alllink) {
		n++;
	}
	spin_unlock(&sched.lock);
	return n;
}

TEST(TestEndedMsAreReused)
{
	int before = countms();
	for (int i = 0; i < LockedExits; i++) {
		struct seenm gone = {NULL, 0};
		wg_add(&lockwg, 1);
		go(exitlocked, &gone);
		wg_wait(&lockwg);
	}
	int grown = countms() - before;
	if (grown > LockedExits / 10) {
		t_errorf(t, "allm grew by %d Ms for %d ended threads, want at most %d", grown, LockedExits,
			 LockedExits / 10);
	}
}
