// time.c: timers, Go 1.14's design: each P keeps its timers in a 4-ary
// heap ordered by when (better than go1.11's 64 buckets with a timerproc
// goroutine each). The M running a P runs its due timers in schedule and
// findrunnable; an M with nothing to do sleeps until the earliest timer of
// any P (nexttimer), so a sleeping program takes no CPU and wakes on time,
// and an idle P's timers still fire. On the heap sit time_sleep's timers
// and those of package time's Timer, Ticker, After and AfterFunc, whose
// runtime half (Go's newTimer, stop, modify and the channel send of
// unlockAndRun) is the second part of this file; Time and Duration are
// timeval.c's.
//
// Heap invariants: timers[i]->idx == i, and for every child c of i
// (4i+1 .. 4i+4), timers[i]->when <= timers[c]->when; timer0when is
// timers[0]->when, or 0 when the heap is empty, for readers without the
// lock. A slot past ntimers is NULL: the heap arrays are roots of the
// collector (malloc's memory), and keep only the timers they hold alive. hood.h's time
// section has the API, docs/time.md the design.

#include <string.h>

#include "include/hood.h"
#include "runtime/chan.h"
#include "runtime/malloc.h"
#include "runtime/runtime.h"

// The latest when (Go's maxWhen): deadlines past it are clamped to it.
static const int64_t MaxWhen = INT64_MAX;

static void siftup(struct p *pp, int i);
static void siftdown(struct p *pp, int i);
static void sendtime(void *arg, uint64_t seq);
static void gofunc(void *arg, uint64_t seq);

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
	// Grow the heap outside the lock (the allocator takes locks that rank
	// below it). The array is malloc's, which the collector scans as a
	// root: an AfterFunc's timer may have no other reference while it is
	// armed (Go's heap is a slice, scanned too). It doubles; the old one
	// is freed.
	spin_lock(&pp->timerslock);
	while (pp->ntimers == pp->timerscap) {
		int cap = pp->timerscap == 0 ? 16 : 2 * pp->timerscap;
		spin_unlock(&pp->timerslock);
		struct timer **tt = runtime_calloc(cap, sizeof *tt);
		spin_lock(&pp->timerslock);
		if (pp->timerscap < cap) {
			if (pp->ntimers > 0) { // memcpy from NULL is undefined, even of 0 bytes
				memcpy(tt, pp->timers, pp->ntimers * sizeof *tt);
			}
			struct timer **old = pp->timers;
			pp->timers = tt;
			pp->timerscap = cap;
			tt = old;
		}
		spin_unlock(&pp->timerslock);
		runtime_free(tt); // the old array, or ours if the heap grew meanwhile
		spin_lock(&pp->timerslock);
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
	pp->timers[last] = NULL; // the slot keeps nothing alive (the array is a root)
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
		// The call's words are read while t is still ours: once it is
		// out of the heap its owner may set it again (a Reset after a
		// deltimer that lost).
		void (*f)(void *, uint64_t) = t->f;
		void *arg = t->arg;
		uint64_t seq = t->seq;
		// Store-release: t is out of the heap; pairs with deltimer's
		// load-acquire, which then reports that t's function runs.
		atomic_store_rel(&t->pp, NULL);
		spin_unlock(&pp->timerslock);
		f(arg, seq);
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

// ---- package time's timers (Go's time/sleep.go and tick.go) --------------------
//
// A struct timeTimer is what time_newtimer, time_newticker and
// time_afterfunc return (Go's timeTimer: the public struct first, its C,
// then the runtime's state). An AfterFunc's struct timer sits in a P's
// heap while it is armed, and the heap calls gofunc when it is due.
//
// A channel timer is Go 1.23's: it is in a heap only while a goroutine is
// blocked receiving from its channel (blocked > 0), so that a Timer or a
// Ticker nobody waits on costs no heap work and, unreferenced, is
// collected without a Stop. chanrecv and selectgo tell it when they block
// on its channel and when they stop (blockTimerChan, unblockTimerChan);
// before they look at the channel, maybeRunChan sends the Time of a timer
// that came due while it was out of every heap, as if it had fired then
// (the Time sent is the one it was due at, Go's Now().Add(-delay)). In
// the heap it fires through sendtime, which hands the Time to the blocked
// receiver. Either way one step runs the firing (runtimer): the send, a
// Ticker's next when, seq moved on.
//
// Go 1.23's guarantee, that no value sent before a Stop or Reset is
// received after it, comes from one lock and one counter. The lock is
// the channel's own (an AfterFunc's is its own, having no channel): every
// firing runs under it, and Stop and Reset hold it while they move seq on,
// take the timer out of its heap and empty the channel's slot. A firing
// the heap had already handed out (so deltimer missed it) finds seq moved
// on and does nothing. seq moves on at every change of the arming, at
// every firing and at every insertion in a heap, so that at most one heap
// entry or handed-out firing carries the current seq. Go needs a second
// lock (sendLock) and isSending because it cannot hold the timer's lock
// across the send; a channel's lock is what the send takes anyway. Stop
// and Reset return whether the timer was armed, or had a Time in the slot
// that they took back.
//
// The slot holds one Time and a firing never waits: a Time due while the
// last is unreceived is dropped (a slow receiver sees no pile-up), and a
// Ticker's next when is the first beat after now (when + period * (1 +
// delay / period), Go's), so it stays on its beat.
//
// Lock order: the channel's lock (LOCK_HCHAN) is held while the heap's
// (LOCK_TIMERS) is taken (deltimer, addtimer), never the other way:
// checktimers calls sendtime with the heap unlocked.
//
// Invariants (under the timer's lock):
//	when != 0 <=> armed (a Ticker always, until Stop)
//	heaped    <=> t is in a heap, or was handed out by one with t.seq == seq
//	heaped     => when != 0 and (C == NULL or blocked > 0)
//	C's slot holds at most one Time

struct timeTimer {
	union {
		struct time_timer timer;
		struct time_ticker ticker;
	} pub; // first: a pointer to either is a pointer to this
	struct timer t;

	// Protected by timerlock(tt):
	int64_t when;    // nanotime it is due, 0: not armed (Go's t.when)
	int64_t period;  // a Ticker's, 0 for a Timer
	uint64_t seq;    // moved on by every change; a firing of another seq does nothing
	uint32_t blocked; // goroutines blocked receiving from C (Go's t.blocked)
	bool heaped;      // t is in a heap (Go's timerHeaped); and Atomic: maybeRunChan peeks
};

// An AfterFunc's timer: a timeTimer with no channel, and what the
// channel would have given it, a lock, and its function.
struct funcTimer {
	struct timeTimer tt;  // first: a pointer to it is a pointer to this
	struct spinlock lock; // LOCK_HCHAN, never held with a channel's
	// Set at creation, then read-only:
	void (*fn)(void *);
	void *arg;
};

// Go's time.when: the nanotime d from now, clamped to MaxWhen; now for
// d <= 0.
static int64_t
whenfor(int64_t d)
{
	int64_t now = (int64_t)nanotime();
	if (d <= 0) {
		return now;
	}
	return d > MaxWhen - now ? MaxWhen : now + d;
}

static struct hchan *
chanof(struct timeTimer *tt)
{
	return tt->pub.timer.C;
}

// The timer's lock: its channel's, or an AfterFunc's own.
static struct spinlock *
lockof(struct timeTimer *tt)
{
	return chanof(tt) != NULL ? &chanof(tt)->lock : &((struct funcTimer *)tt)->lock;
}

static void
timerlock(struct timeTimer *tt)
{
	spin_lockm(lockof(tt));
}

static void
timerunlock(struct timeTimer *tt)
{
	spin_unlockm(lockof(tt));
}

// heaped is stored relaxed (under the lock): maybeRunChan peeks at it
// without the lock.
static void
setheaped(struct timeTimer *tt, bool heaped)
{
	atomic_store_relaxed(&tt->heaped, heaped);
}

// Into the running P's heap if it belongs in one (Go's needsAdd and
// maybeAdd), with a seq of its own. Caller holds the timer's lock, or
// has the only pointer to it.
static void
maybeadd(struct timeTimer *tt)
{
	if (tt->heaped || tt->when == 0 || (chanof(tt) != NULL && tt->blocked == 0)) {
		return;
	}
	setheaped(tt, true);
	tt->t.when = tt->when;
	tt->t.seq = ++tt->seq;
	addtimer(&tt->t);
}

// Out of its heap, if it is in one. Caller holds the timer's lock.
static void
maybedel(struct timeTimer *tt)
{
	if (tt->heaped) {
		setheaped(tt, false);
		deltimer(&tt->t); // false: handed out already; seq tells that firing it is stale
	}
}

// A timer armed for d from now and every period after (Go's newTimer):
// with a channel c, it sends there (and waits for a receiver to be put in
// a heap); without, it runs fn(arg) (gofunc).
static struct timeTimer *
newtimer(int64_t d, int64_t period, struct hchan *c, void (*fn)(void *), void *arg)
{
	struct timeTimer *tt = mallocgc(c != NULL ? sizeof *tt : sizeof(struct funcTimer), 0);
	tt->t.f = c != NULL ? sendtime : gofunc;
	tt->t.arg = tt;
	tt->when = whenfor(d);
	tt->period = period;
	if (c != NULL) {
		c->timer = tt;
		tt->pub.timer.C = c;
		return tt; // nobody waits on c yet
	}
	struct funcTimer *ft = (struct funcTimer *)tt;
	spin_init(&ft->lock, "timer", LOCK_HCHAN);
	ft->fn = fn;
	ft->arg = arg;
	maybeadd(tt); // no lock: nobody else has tt before the heap publishes it
	return tt;
}

// Disarm tt: no firing of its present arming will send or run (Go's
// stop, and modify's first half). Returns whether it was armed, or had a
// Time in its channel's slot, which it takes back. Caller holds its lock.
static bool
disarm(struct timeTimer *tt)
{
	bool pending = tt->when != 0;
	tt->when = 0;
	tt->seq++;
	maybedel(tt);
	struct hchan *c = chanof(tt);
	if (c != NULL && c->qcount > 0) {
		chanbuftake(c, NULL);
		pending = true;
	}
	return pending;
}

// Fire channel timer tt, which is due at now and out of every heap (Go's
// unlockAndRun): the Time it was due at to a blocked receiver or into the
// empty slot (else dropped), then a Timer is spent and a Ticker moves to
// its next beat, into a heap again if someone still waits. Returns the
// receiver to ready, for the caller to goready after the unlock. Caller
// holds c->lock.
static struct g *
runtimer(struct timeTimer *tt, struct hchan *c)
{
	struct time_time v = time_now();
	int64_t delay = v.mono - tt->when;
	v = time_time_add(v, -delay); // its monotonic reading is when
	tt->seq++;
	if (tt->period > 0) {
		int64_t beats = 1 + delay / tt->period, next;
		if (__builtin_mul_overflow(beats, tt->period, &next) || __builtin_add_overflow(next, tt->when, &next)) {
			next = MaxWhen;
		}
		tt->when = next;
		maybeadd(tt);
	} else {
		tt->when = 0;
	}
	struct sudog *sg = waitq_dequeue(&c->recvq);
	if (sg != NULL) {
		return hchan_send(c, sg, &v); // straight to a waiting receiver
	}
	if (c->qcount == 0) {
		chanbufput(c, &v);
	} // else the last Time is unreceived: drop this one
	return NULL;
}

// The heap's function for a channel timer: fire, unless a change came
// since the heap took it (seq). Runs on the M of a P, with no lock held
// (checktimers).
static void
sendtime(void *arg, uint64_t seq)
{
	struct timeTimer *tt = arg;
	struct hchan *c = chanof(tt);
	lockchan(c);
	struct g *gp = NULL;
	if (tt->seq == seq) {
		setheaped(tt, false);
		gp = runtimer(tt, c);
	}
	unlockchan(c);
	if (gp != NULL) {
		goready(gp);
	}
}

// The heap's function for AfterFunc: fn(arg) in a goroutine of its own,
// unless a Stop or Reset came since the heap took it.
static void
gofunc(void *arg, uint64_t seq)
{
	struct timeTimer *tt = arg;
	timerlock(tt);
	bool run = tt->seq == seq;
	if (run) {
		setheaped(tt, false);
		tt->when = 0;
	}
	timerunlock(tt);
	if (run) {
		struct funcTimer *ft = (struct funcTimer *)tt;
		newproc(ft->fn, ft->arg);
	}
}

// ---- the channel's hooks (chan.c, select.c) ------------------------------------------

// A receive or select is about to look at timer channel c: if its timer
// came due out of every heap, fire it now (Go's maybeRunChan). Caller
// holds no lock of c.
void
maybeRunChan(struct hchan *c)
{
	struct timeTimer *tt = c->timer;
	// A relaxed peek, as Go's astate: heaped and when are re-read under
	// the lock, and a timer in a heap fires by itself.
	if (atomic_load_relaxed(&tt->heaped)) {
		return;
	}
	lockchan(c);
	struct g *gp = NULL;
	if (!tt->heaped && tt->when != 0 && tt->when <= (int64_t)nanotime()) {
		gp = runtimer(tt, c);
	}
	unlockchan(c);
	if (gp != NULL) {
		goready(gp);
	}
}

// A receive or select blocks on timer channel c: its timer goes into a
// heap, to wake it (Go's blockTimerChan). Caller holds c->lock.
void
blockTimerChan(struct hchan *c)
{
	struct timeTimer *tt = c->timer;
	tt->blocked++;
	maybeadd(tt);
}

// It no longer blocks there: the last to leave takes the timer out of its
// heap (Go's unblockTimerChan). Caller holds c->lock.
void
unblockTimerChan(struct hchan *c)
{
	struct timeTimer *tt = c->timer;
	if (tt->blocked == 0) {
		throw("unblockTimerChan: not blocked");
	}
	if (--tt->blocked == 0) {
		maybedel(tt);
	}
}

// ---- hood.h's timer calls --------------------------------------------------------

// time.NewTimer: the Time arrives on a channel of one slot (len and cap
// say 0, as Go 1.23's).
struct time_timer *
time_newtimer(int64_t d)
{
	return &newtimer(d, 0, makechan(sizeof(struct time_time), 1), NULL, NULL)->pub.timer;
}

struct hchan *
time_after(int64_t d)
{
	return time_newtimer(d)->C;
}

struct time_timer *
time_afterfunc(int64_t d, void (*fn)(void *), void *arg)
{
	return &newtimer(d, 0, NULL, fn, arg)->pub.timer;
}

bool
time_timer_stop(struct time_timer *t)
{
	struct timeTimer *tt = (struct timeTimer *)t;
	timerlock(tt);
	bool pending = disarm(tt);
	timerunlock(tt);
	return pending;
}

// Go's modify: disarmed, then armed anew.
static bool
resettimer(struct timeTimer *tt, int64_t d, int64_t period)
{
	int64_t when = whenfor(d);
	timerlock(tt);
	bool pending = disarm(tt);
	tt->when = when;
	tt->period = period;
	maybeadd(tt);
	timerunlock(tt);
	return pending;
}

bool
time_timer_reset(struct time_timer *t, int64_t d)
{
	return resettimer((struct timeTimer *)t, d, 0);
}

// time.NewTicker: a Time every d on C; d <= 0 is Go's panic.
struct time_ticker *
time_newticker(int64_t d)
{
	if (d <= 0) {
		gopanic("non-positive interval for NewTicker");
	}
	return &newtimer(d, d, makechan(sizeof(struct time_time), 1), NULL, NULL)->pub.ticker;
}

void
time_ticker_stop(struct time_ticker *t)
{
	time_timer_stop(&((struct timeTimer *)t)->pub.timer);
}

// Go's Ticker.Reset: the next tick d from now, then every d; a Time
// already in the slot is taken back too (Go 1.23).
void
time_ticker_reset(struct time_ticker *t, int64_t d)
{
	if (d <= 0) {
		gopanic("non-positive interval for Ticker.Reset");
	}
	resettimer((struct timeTimer *)t, d, d);
}
