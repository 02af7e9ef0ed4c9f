// select.c: select (Go's select.go): selectgo over an array of cases,
// and block for a select with none. See chan.h for the overview.
//
// selectgo, as Go's: (1) a uniformly random pollorder of the cases whose
// channel is not nil, and a lockorder of them by channel address; (2)
// every channel locked in lockorder, each once; (3) in pollorder, the
// first case that can go now (a waiter on the other side, buffer room or
// an element, a closed channel) goes, and the select returns; (4) with a
// default, it returns -1; (5) otherwise a sudog per case goes on its
// channel's queue, marked isSelect, and the G parks until a waker wins its
// selectDone; (6) woken, it locks everything again and takes the other
// sudogs off their queues. A send case woken by close panics, as a send
// would.

#include <string.h>

#include "include/hood.h"
#include "runtime/chan.h"

static void sellock(struct selectcase *cases, const uint16_t *lockorder, int n);
static void selunlock(struct selectcase *cases, const uint16_t *lockorder, int n);
static bool selparkcommit(struct g *gp, void *arg);
static void unlockselchan(struct hchan *c);
static int selectorder(struct selectcase *cases, int ncases, bool block, uint16_t *order);
static uintptr_t caseaddr(const struct selectcase *cases, const uint16_t *lockorder, int i);
static void siftdown(const struct selectcase *cases, uint16_t *lockorder, int i, int n);
static void sortbyaddress(struct selectcase *cases, uint16_t *lockorder, int n);
static int selectwait(struct selectcase *cases, const uint16_t *lockorder, int n, bool *recvok);

// Lock the cases' channels in lockorder, each once (a channel may be in
// several cases; sorted, its cases are next to each other).
static void
sellock(struct selectcase *cases, const uint16_t *lockorder, int n)
{
	struct hchan *last = NULL;
	for (int i = 0; i < n; i++) {
		struct hchan *c = cases[lockorder[i]].c;
		if (c != last) {
			lockchan(c);
			last = c;
		}
	}
}

// Unlock them, in reverse lockorder (any order would do; Go's).
static void
selunlock(struct selectcase *cases, const uint16_t *lockorder, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		struct hchan *c = cases[lockorder[i]].c;
		if (i > 0 && c == cases[lockorder[i - 1]].c) {
			continue; // the earlier case unlocks it
		}
		unlockchan(c);
	}
}

// gopark's unlockf: the channels' locks, now that the G is off its stack
// (Go's selparkcommit). The sudogs on gp->waiting are in lockorder. Once
// a channel is unlocked, a waker may win the select through it, and the
// select, woken, may change any sudog (waitlink, c) once it holds every
// lock again: so a sudog is read only while its channel is still held,
// and a channel is unlocked only after its last sudog was passed, as Go's.
static void
unlockselchan(struct hchan *c)
{
	spin_unlock(&c->lock);
	getm()->locks--; // lockchan's acquirem (goparkunlock's rule)
}

static bool
selparkcommit(struct g *gp, void *arg)
{
	(void)arg;
	struct hchan *last = NULL;
	for (struct sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink) {
		if (sg->c != last && last != NULL) {
			unlockselchan(last);
		}
		last = sg->c;
	}
	if (last != NULL) {
		unlockselchan(last);
	}
	return true;
}

// lockorder: the cases' indexes sorted by channel address, a heap sort
// as Go's (n log n for a select of thousands of cases, no memory).
static uintptr_t
caseaddr(const struct selectcase *cases, const uint16_t *lockorder, int i)
{
	return (uintptr_t)cases[lockorder[i]].c;
}

// Move lockorder[i] down the max-heap of the first n until its children
// are below it.
static void
siftdown(const struct selectcase *cases, uint16_t *lockorder, int i, int n)
{
	for (;;) {
		int child = 2 * i + 1;
		if (child >= n) {
			return;
		}
		if (child + 1 < n && caseaddr(cases, lockorder, child + 1) > caseaddr(cases, lockorder, child)) {
			child++;
		}
		if (caseaddr(cases, lockorder, child) <= caseaddr(cases, lockorder, i)) {
			return;
		}
		uint16_t t = lockorder[i];
		lockorder[i] = lockorder[child];
		lockorder[child] = t;
		i = child;
	}
}

static void
sortbyaddress(struct selectcase *cases, uint16_t *lockorder, int n)
{
	for (int i = n / 2 - 1; i >= 0; i--) {
		siftdown(cases, lockorder, i, n);
	}
	for (int end = n - 1; end > 0; end--) {
		uint16_t t = lockorder[0];
		lockorder[0] = lockorder[end];
		lockorder[end] = t;
		siftdown(cases, lockorder, 0, end);
	}
}

// selectgo: the index of the case that went, or -1 if none could and
// block is false (a default case). cases[i].ok is set for a receive
// case: whether a value came (false: its channel was closed). Cases on
// nil channels never go; with none left and block, the G parks for good.
int
selectgo(struct selectcase *cases, int ncases, bool block)
{
	if (ncases < 0 || ncases > SelectMaxCases) {
		gopanic("select: more than 65536 cases");
	}
	if (ncases <= SelectStackCases) {
		uint16_t order[2 * SelectStackCases];
		return selectorder(cases, ncases, block, order);
	}
	// Go's compiler puts the orders in the caller's frame, sized for its
	// select; one of thousands of cases takes them from the manual heap,
	// given back however the select ends (a panic too).
	uint16_t *order = runtime_malloc(2 * (size_t)ncases * sizeof *order);
	deferscope {
		defer(runtime_free, order);
		return selectorder(cases, ncases, block, order);
	}
	return -1; // not reached: the block returns
}

// selectgo with room for its orders: ncases each for pollorder and
// lockorder, in order.
static int
selectorder(struct selectcase *cases, int ncases, bool block, uint16_t *order)
{
	uint16_t *pollorder = order, *lockorder = order + ncases;
	int n = 0;
	for (int i = 0; i < ncases; i++) {
		cases[i].ok = false;
		if (cases[i].c == NULL) {
			continue; // never chosen, as Go's nil-channel cases
		}
		if (cases[i].c->timer != NULL) {
			maybeRunChan(cases[i].c); // a Time due while nobody waited (time.c)
		}
		// Go's shuffle: case i goes to a random place among the first n+1.
		int j = (int)fastrandn((uint32_t)n + 1);
		pollorder[n] = pollorder[j];
		pollorder[j] = (uint16_t)i;
		n++;
	}
	if (n == 0) {
		if (!block) {
			return -1;
		}
		block_forever();
	}
	memcpy(lockorder, pollorder, n * sizeof lockorder[0]);
	sortbyaddress(cases, lockorder, n);

	sellock(cases, lockorder, n);
	for (int i = 0; i < n; i++) {
		int casi = pollorder[i];
		struct selectcase *cas = &cases[casi];
		struct hchan *c = cas->c;
		if (cas->dir == SelectSend) {
			if (c->closed) {
				selunlock(cases, lockorder, n);
				gopanic("send on closed channel");
			}
			struct sudog *sg = waitq_dequeue(&c->recvq);
			if (sg != NULL) {
				struct g *gp = hchan_send(c, sg, cas->elem);
				selunlock(cases, lockorder, n);
				goready(gp);
				return casi;
			}
			if (c->qcount < c->dataqsiz) {
				chanbufput(c, cas->elem);
				selunlock(cases, lockorder, n);
				return casi;
			}
		} else {
			struct sudog *sg = waitq_dequeue(&c->sendq);
			if (sg != NULL) {
				struct g *gp = hchan_recv(c, sg, cas->elem);
				selunlock(cases, lockorder, n);
				goready(gp);
				cas->ok = true;
				return casi;
			}
			if (c->qcount > 0) {
				chanbuftake(c, cas->elem);
				selunlock(cases, lockorder, n);
				cas->ok = true;
				return casi;
			}
			if (c->closed) {
				selunlock(cases, lockorder, n);
				if (cas->elem != NULL) {
					memset(cas->elem, 0, c->elemsize);
				}
				return casi;
			}
		}
	}
	if (!block) {
		selunlock(cases, lockorder, n);
		return -1;
	}
	bool recvok;
	int casi = selectwait(cases, lockorder, n, &recvok);
	if (cases[casi].dir == SelectRecv) {
		cases[casi].ok = recvok;
	}
	return casi;
}

// Pass 2 and 3 of selectgo: a sudog per case on its channel's queue, in
// lockorder, then park; woken, lock again, find the case whose sudog woke
// the G (gp->param), take the others off their queues. Caller holds the
// channels' locks (sellock); they are released. Returns the case;
// *recvok is whether a receive case got a value.
static int
selectwait(struct selectcase *cases, const uint16_t *lockorder, int n, bool *recvok)
{
	struct g *gp = getg();
	struct sudog **nextp = &gp->waiting;
	gp->param = NULL;
	for (int i = 0; i < n; i++) {
		struct selectcase *cas = &cases[lockorder[i]];
		struct sudog *sg = acquireSudog();
		sg->g = gp;
		sg->isSelect = true;
		sg->elem = cas->elem;
		sg->c = cas->c;
		*nextp = sg;
		nextp = &sg->waitlink;
		waitq_enqueue(cas->dir == SelectSend ? &cas->c->sendq : &cas->c->recvq, sg);
		if (cas->c->timer != NULL) {
			blockTimerChan(cas->c); // into a heap, to wake us
		}
	}
	*nextp = NULL;
	gopark(selparkcommit, NULL, waitReasonSelect);

	sellock(cases, lockorder, n);
	// Store-release; pairs with the wakers' CAS in waitq_dequeue: they
	// lose from here until the next select, whose sudogs come after.
	atomic_store_rel(&gp->selectDone, 0);
	struct sudog *won = gp->param;
	gp->param = NULL;
	int casi = -1;
	bool success = false;
	struct sudog *sg = gp->waiting;
	gp->waiting = NULL;
	for (int i = 0; i < n; i++) {
		struct selectcase *cas = &cases[lockorder[i]];
		if (cas->c->timer != NULL) {
			unblockTimerChan(cas->c);
		}
		if (sg == won) {
			casi = lockorder[i];
			success = sg->success;
		} else {
			waitq_remove(cas->dir == SelectSend ? &cas->c->sendq : &cas->c->recvq, sg);
		}
		struct sudog *next = sg->waitlink;
		sg->waitlink = NULL;
		sg->elem = NULL;
		sg->c = NULL;
		releaseSudog(sg);
		sg = next;
	}
	if (casi < 0) {
		throw("selectgo: bad wakeup");
	}
	selunlock(cases, lockorder, n);
	if (cases[casi].dir == SelectSend && !success) {
		gopanic("send on closed channel"); // closed while we waited
	}
	*recvok = success;
	return casi;
}

// A select with no cases, or only nil channels' and no default: Go's
// block, parked for good ("select (no cases)").
void
block_forever(void)
{
	gopark(NULL, NULL, waitReasonSelectNoCases);
	throw("block_forever: unreachable");
}

// hood.h's select. One case, with or without a default, is a plain send
// or receive, as Go's compiler makes it (selectnbsend, selectnbrecv, or
// the operation itself): no shuffle, no sort, one lock (SelectNonblock
// went from 43 to about 8 ns here).
int
chan_select(struct selectcase *cases, int ncases, bool hasdefault)
{
	if (ncases == 1 && cases[0].c != NULL) {
		struct selectcase *cas = &cases[0];
		if (cas->dir == SelectSend) {
			return chansend(cas->c, cas->elem, !hasdefault) ? 0 : -1;
		}
		return chanrecv(cas->c, cas->elem, !hasdefault, &cas->ok) ? 0 : -1;
	}
	return selectgo(cases, ncases, !hasdefault);
}
