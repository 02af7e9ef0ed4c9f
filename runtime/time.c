// time.c: timers, Go 1.14's design: each P keeps its timers in a 4-ary
// heap ordered by when (better than go1.11's 64 buckets with a timerproc
// goroutine each). The M running a P runs its due timers in schedule and
// findrunnable; an M with nothing to do sleeps until the earliest timer of
// any P (nexttimer), so a sleeping program takes no CPU and wakes on time,
// and an idle P's timers still fire.
//
// Heap invariants: timers[i]->idx == i, and for every child c of i
// (4i+1 .. 4i+4), timers[i]->when <= timers[c]->when; timer0when is
// timers[0]->when, or 0 when the heap is empty, for readers without the
// lock.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"

// The latest when (Go's maxWhen): deadlines past it are clamped to it.
static const int64_t MaxWhen = INT64_MAX;

static void siftup(struct p *pp, int i);
static void siftdown(struct p *pp, int i);

static void
setwhen0(struct p *pp)
{
	// Store-release, under timerslock; pairs with the load-acquires in
	// checktimers, nexttimer and schedule.c (schedule, runalltimers,
	// handoffp), which read it without the lock.
	atomic_store_rel(&pp->timer0when, pp->ntimers > 0 ? pp->timers[0]->when : 0);
}

static void addtimerto(struct p *pp, struct timer *t);

// Add t to the current P's heap.
void
addtimer(struct timer *t)
{
	struct m *mp = acquirem();
	addtimerto(mp->p, t);
	releasem(mp);
}

// Add t to pp's heap. Caller holds the P (acquirem), or the world stopped.
static void
addtimerto(struct p *pp, struct timer *t)
{
	// Grow the heap outside the lock (persistentalloc takes locks that
	// rank below it). The arrays double, and the old one stays behind
	// (persistentalloc never frees): less than the live one in all.
	spin_lock(&pp->timerslock);
	while (pp->ntimers == pp->timerscap) {
		int cap = pp->timerscap == 0 ? 16 : 2 * pp->timerscap;
		spin_unlock(&pp->timerslock);
		struct timer **tt = persistentalloc(cap * sizeof *tt, 8);
		spin_lock(&pp->timerslock);
		if (pp->timerscap < cap) {
			if (pp->ntimers > 0) { // memcpy from NULL is undefined, even of 0 bytes
				memcpy(tt, pp->timers, pp->ntimers * sizeof *tt);
			}
			pp->timers = tt;
			pp->timerscap = cap;
		}
	}
	t->pp = pp;
	t->idx = pp->ntimers;
	pp->timers[pp->ntimers++] = t;
	siftup(pp, t->idx);
	setwhen0(pp);
	spin_unlock(&pp->timerslock);
}

static void
removeat(struct p *pp, int i)
{
	int last = --pp->ntimers;
	if (i != last) {
		pp->timers[i] = pp->timers[last];
		pp->timers[i]->idx = i;
		siftup(pp, i);
		siftdown(pp, i);
	}
	setwhen0(pp);
}

// Move every timer of src, a P going away, to dst's heap (procresize, the
// world stopped).
void
movetimers(struct p *dst, struct p *src)
{
	for (;;) {
		spin_lock(&src->timerslock);
		if (src->ntimers == 0) {
			spin_unlock(&src->timerslock);
			return;
		}
		struct timer *t = src->timers[src->ntimers - 1];
		removeat(src, src->ntimers - 1);
		spin_unlock(&src->timerslock);
		addtimerto(dst, t);
	}
}

// Remove t if it is in a heap; true if it was (its function will not run).
bool
deltimer(struct timer *t)
{
	for (;;) {
		// Load-acquire; pairs with checktimers' store-release of NULL
		// (the timer ran, or runs). Set under timerslock, re-checked below.
		struct p *pp = atomic_load_acq(&t->pp);
		if (pp == NULL) {
			return false;
		}
		spin_lock(&pp->timerslock);
		if (t->pp == pp) {
			removeat(pp, t->idx);
			t->pp = NULL;
			spin_unlock(&pp->timerslock);
			return true;
		}
		spin_unlock(&pp->timerslock); // it moved or ran meanwhile
	}
}

// Run pp's timers that are due at now, one at a time without the lock
// (their functions ready goroutines). Returns the when of the next timer,
// or 0.
int64_t
checktimers(struct p *pp, int64_t now)
{
	int64_t w = atomic_load_acq(&pp->timer0when); // load-acquire; pairs with setwhen0's store-release
	if (w == 0 || w > now) {
		return w;
	}
	for (;;) {
		spin_lock(&pp->timerslock);
		if (pp->ntimers == 0 || pp->timers[0]->when > now) {
			int64_t next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
			spin_unlock(&pp->timerslock);
			return next;
		}
		struct timer *t = pp->timers[0];
		removeat(pp, 0);
		// Store-release: t is out of the heap; pairs with deltimer's
		// load-acquire, which then reports that t's function runs.
		atomic_store_rel(&t->pp, NULL);
		spin_unlock(&pp->timerslock);
		t->f(t->arg, t->seq);
	}
}

// The earliest timer of any P, or 0.
int64_t
nexttimer(void)
{
	int64_t next = 0;
	for (int32_t i = 0; i < loadgomaxprocs(); i++) {
		int64_t w = atomic_load_acq(&allp[i]->timer0when); // pairs with setwhen0's store-release
		if (w != 0 && (next == 0 || w < next)) {
			next = w;
		}
	}
	return next;
}

static void
siftup(struct p *pp, int i)
{
	struct timer **t = pp->timers;
	struct timer *x = t[i];
	while (i > 0) {
		int parent = (i - 1) / 4;
		if (x->when >= t[parent]->when) {
			break;
		}
		t[i] = t[parent];
		t[i]->idx = i;
		i = parent;
	}
	t[i] = x;
	x->idx = i;
}

static void
siftdown(struct p *pp, int i)
{
	struct timer **t = pp->timers;
	int n = pp->ntimers;
	struct timer *x = t[i];
	for (;;) {
		int c = 4 * i + 1, best = -1;
		for (int k = c; k < c + 4 && k < n; k++) {
			if (best < 0 || t[k]->when < t[best]->when) {
				best = k;
			}
		}
		if (best < 0 || x->when <= t[best]->when) {
			break;
		}
		t[i] = t[best];
		t[i]->idx = i;
		i = best;
	}
	t[i] = x;
	x->idx = i;
}

static void
goroutineReady(void *arg, uint64_t seq)
{
	(void)seq;
	goready(arg);
}

// The timer starts only once the G is parked (gopark runs this on g0),
// so it cannot fire and ready a G that is still running.
static bool
resetForSleep(struct g *gp, void *arg)
{
	(void)gp;
	addtimer(arg);
	return true;
}

// time_sleep: park the running G for ns nanoseconds; ns <= 0 returns at
// once. Go's timeSleep.
void
time_sleep(int64_t ns)
{
	if (ns <= 0) {
		return;
	}
	struct g *gp = getg();
	if (gp->timer == NULL) {
		gp->timer = persistentalloc(sizeof *gp->timer, 8);
	}
	struct timer *t = gp->timer;
	// Clamped, as Go's timeSleep clamps to maxWhen: nanotime() + ns
	// would wrap for ns near INT64_MAX, to a when in the past, and the
	// sleep "for ever" would end at once (TestSleepForeverDoesNotReturn).
	// A timer at MaxWhen never fires; the G sleeps for good.
	int64_t now = nanotime();
	t->when = ns > MaxWhen - now ? MaxWhen : now + ns;
	t->f = goroutineReady;
	t->arg = gp;
	gopark(resetForSleep, t, waitReasonSleep);
}

// The monotonic clock in nanoseconds (Go's runtime.nanotime, behind
// time.Now's monotonic reading).
int64_t
time_nanotime(void)
{
	return nanotime();
}
