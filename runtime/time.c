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
// collector, and keep only the timers they hold alive. hood.h's time
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
				// The old array is scanned as a root for good
				// (persistentalloc's chunks are): cleared, it keeps
				// no timer alive.
				memset(pp->timers, 0, pp->ntimers * sizeof *tt);
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
// then the runtime's state). Its struct timer sits in a P's heap while
// the timer is armed; when it is due, the heap calls sendtime (a
// channel's) or gofunc (AfterFunc's) with the seq it was armed with.
//
// Go 1.23's guarantee, that no value sent before a Stop or Reset is
// received after it, comes from one lock and one counter. The lock is
// the channel's own (an AfterFunc's is its own, having no channel): the
// firing sends under it, and Stop and Reset hold it while they bump seq,
// take the timer out of the heap (deltimer) and empty the channel's slot.
// So, whichever of a firing and a Stop takes the lock first, after the
// Stop nothing stale is left: a firing before it left its Time in the
// slot, which Stop empties; a firing after it (the heap had already given
// it the timer, so deltimer missed it) finds seq moved on and sends
// nothing. Go needs a second lock (sendLock) and isSending because it
// cannot hold the timer's lock across the send; a channel's lock is what
// the send takes anyway. Stop and Reset return whether the timer was
// armed: when != 0 (a firing that sends clears it under the lock), or a
// Time was in the slot.
//
// The channel has one slot and the firing never waits: a Time due while
// the previous one is still unreceived is dropped (a slow receiver sees
// no pile-up), and a Ticker's next when is the first beat after now
// (when + period * (1 + delay / period), Go's), so it stays on its beat.
// The Time sent is the one it was due at (Go's Now().Add(-delay)).
//
// Lock order: the channel's lock (LOCK_HCHAN) is held while the heap's
// (LOCK_TIMERS) is taken (deltimer, addtimer), never the other way:
// checktimers calls sendtime with the heap unlocked.
//
// Limit (Go 1.23 does better): an armed timer is in a P's heap, which the
// collector scans as a root, so a Ticker never stopped, or a Timer not
// yet due, stays alive though nothing else refers to it. Go keeps a
// channel timer in a heap only while some goroutine waits on its channel.
// A Timer that fired or was stopped is out of every heap and collected as
// any object is.
//
// Invariants (under the timer's lock):
//	when != 0 <=> the timer is armed: t is in a heap with t.seq == seq,
//	         or the heap handed it to a firing of that seq that has not
//	         taken the lock yet
//	period > 0 for a Ticker; a firing of a Ticker re-arms it
//	C's slot holds at most one Time

struct timeTimer {
	union {
		struct time_timer timer;
		struct time_ticker ticker;
	} pub; // first: a pointer to either is a pointer to this
	struct timer t;
	struct spinlock lock; // AfterFunc's lock (LOCK_HCHAN, never held with a channel's)

	// Protected by timerlock(tt):
	int64_t when;   // nanotime it is due, 0: not armed (Go's t.when)
	int64_t period; // a Ticker's, 0 for a Timer
	uint64_t seq;   // moved on by every Stop and Reset; a firing of another seq does nothing

	// Set at creation, then read-only:
	void (*fn)(void *); // AfterFunc's
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

static void
timerlock(struct timeTimer *tt)
{
	spin_lockm(chanof(tt) != NULL ? &chanof(tt)->lock : &tt->lock);
}

static void
timerunlock(struct timeTimer *tt)
{
	spin_unlockm(chanof(tt) != NULL ? &chanof(tt)->lock : &tt->lock);
}

// Arm tt to fire at when (and every period after). Caller holds its lock,
// and its struct timer is in no heap.
static void
arm(struct timeTimer *tt, int64_t when, int64_t period)
{
	tt->when = when;
	tt->period = period;
	tt->t.when = when;
	tt->t.seq = tt->seq;
	addtimer(&tt->t);
}

// A timer armed for d from now and every period after (Go's newTimer):
// with a channel c, it sends there (sendtime); without, it runs fn(arg)
// (gofunc).
static struct timeTimer *
newtimer(int64_t d, int64_t period, struct hchan *c, void (*fn)(void *), void *arg)
{
	struct timeTimer *tt = mallocgc(sizeof *tt, 0);
	spin_init(&tt->lock, "timer", LOCK_HCHAN);
	tt->t.f = c != NULL ? sendtime : gofunc;
	tt->t.arg = tt;
	tt->fn = fn;
	tt->arg = arg;
	if (c != NULL) {
		c->timer = tt;
		tt->pub.timer.C = c;
	}
	timerlock(tt);
	arm(tt, whenfor(d), period);
	timerunlock(tt);
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
	deltimer(&tt->t);
	struct hchan *c = chanof(tt);
	if (c != NULL && c->qcount > 0) {
		chanbuftake(c, NULL);
		pending = true;
	}
	return pending;
}

// The heap's function for a channel timer: send the Time it was due at,
// unless a Stop or Reset came since it was armed (seq) or the last one is
// still unreceived; re-arm a Ticker at its next beat. Runs on the M of a
// P, with no lock held (checktimers).
static void
sendtime(void *arg, uint64_t seq)
{
	struct timeTimer *tt = arg;
	struct hchan *c = chanof(tt);
	lockchan(c);
	if (tt->seq != seq) {
		unlockchan(c);
		return;
	}
	struct time_time v = time_now();
	int64_t delay = v.mono - tt->when;
	v = time_time_add(v, -delay); // its monotonic reading is when
	if (tt->period > 0) {
		int64_t beats = 1 + delay / tt->period, next;
		if (__builtin_mul_overflow(beats, tt->period, &next) || __builtin_add_overflow(next, tt->when, &next)) {
			next = MaxWhen;
		}
		arm(tt, next, tt->period);
	} else {
		tt->when = 0;
	}
	struct g *gp = NULL;
	struct sudog *sg = waitq_dequeue(&c->recvq);
	if (sg != NULL) {
		gp = hchan_send(c, sg, &v); // straight to a waiting receiver
	} else if (c->qcount == 0) {
		chanbufput(c, &v);
	} // else the last Time is unreceived: drop this one
	unlockchan(c);
	if (gp != NULL) {
		goready(gp);
	}
}

// The heap's function for AfterFunc: fn(arg) in a goroutine of its own,
// unless a Stop or Reset came since the timer was armed.
static void
gofunc(void *arg, uint64_t seq)
{
	struct timeTimer *tt = arg;
	timerlock(tt);
	bool run = tt->seq == seq;
	if (run) {
		tt->when = 0;
	}
	timerunlock(tt);
	if (run) {
		newproc(tt->fn, tt->arg);
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

bool
time_timer_reset(struct time_timer *t, int64_t d)
{
	struct timeTimer *tt = (struct timeTimer *)t;
	int64_t when = whenfor(d);
	timerlock(tt);
	bool pending = disarm(tt);
	arm(tt, when, 0);
	timerunlock(tt);
	return pending;
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
	struct timeTimer *tt = (struct timeTimer *)t;
	timerlock(tt);
	disarm(tt);
	timerunlock(tt);
}

// Go's Ticker.Reset: the next tick d from now, then every d; a Time
// already in the slot is taken back too (Go 1.23).
void
time_ticker_reset(struct time_ticker *t, int64_t d)
{
	if (d <= 0) {
		gopanic("non-positive interval for Ticker.Reset");
	}
	struct timeTimer *tt = (struct timeTimer *)t;
	int64_t when = whenfor(d);
	timerlock(tt);
	disarm(tt);
	arm(tt, when, d);
	timerunlock(tt);
}
