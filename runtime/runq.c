// runq.c: run queues. Each P has a ring of RunqSize Gs plus runnext; the
// owner puts at the tail and takes at the head, thieves take at the head
// too. Go's runqput, runqget, runqgrab and runqsteal (proc.go), and the
// global queue under sched.lock. See runtime.h for the overview.
//
// The ring's protocol, written out once:
//	runqtail is written only by the owner, with a store-release after
//	the slot it publishes; thieves load-acquire it.
//	runqhead is advanced by whoever takes Gs (owner or thief), by CAS
//	with release, so a slot is never taken twice; the owner load-acquires
//	it before reusing slots.
//	runnext is swapped by CAS by the owner (put, get) and thieves.
//	The slots themselves are read and written with relaxed atomics: a
//	thief may read a slot while the owner reuses it, and then its CAS on
//	runqhead fails and it reads again (Go relies on the same race being
//	harmless; in C it must be atomic to be defined, and ThreadSanitizer
//	checks it).

#include "runtime/runtime.h"

static bool runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t);

bool
runqempty(struct p *pp)
{
	// Load head, tail and runnext consistently: a G can move from
	// runnext to the ring between the loads, so retry until tail is
	// unchanged (Go's runqempty).
	for (;;) {
		uint32_t head = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t tail = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
		struct g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
		if (tail == __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE)) {
			return head == tail && next == NULL;
		}
	}
}

uint32_t
runqlen(struct p *pp)
{
	return __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
}

// runqput: put gp on pp's queue. With next, gp goes into runnext and the G
// it displaces goes to the tail. A full ring sends half of itself to the
// global queue. Only pp's owner calls this.
void
runqput(struct p *pp, struct g *gp, bool next)
{
	if (next) {
		struct g *old = __atomic_exchange_n(&pp->runnext, gp, __ATOMIC_ACQ_REL);
		if (old == NULL) {
			return;
		}
		gp = old;
	}
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE); // pairs with thieves' CAS
		uint32_t t = pp->runqtail;
		if (t - h < RunqSize) {
			__atomic_store_n(&pp->runq[t % RunqSize], gp, __ATOMIC_RELAXED);
			// Release: the slot is written before thieves see the tail.
			__atomic_store_n(&pp->runqtail, t + 1, __ATOMIC_RELEASE);
			return;
		}
		if (runqputslow(pp, gp, h, t)) {
			return;
		}
		// the ring was not full after all: a thief took some; retry
	}
}

// Move half the ring and gp to the global queue, in one batch.
static bool
runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
	enum { N = RunqSize / 2 };
	struct g *batch[N + 1];
	if (t - h != RunqSize) {
		throw("runqputslow: queue is not full");
	}
	for (uint32_t i = 0; i < N; i++) {
		batch[i] = __atomic_load_n(&pp->runq[(h + i) % RunqSize], __ATOMIC_RELAXED);
	}
	// Release: pairs with the acquire loads of runqhead.
	if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + N, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED)) {
		return false;
	}
	batch[N] = gp;
	spin_lock(&sched.lock);
	for (int i = 0; i <= N; i++) {
		globrunqput(batch[i]);
	}
	spin_unlock(&sched.lock);
	return true;
}

// runqget: the next G of pp's queue, runnext first (it inherits the time
// slice: *inheritTime). Only pp's owner calls this.
struct g *
runqget(struct p *pp, bool *inheritTime)
{
	struct g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
	if (next != NULL && __atomic_compare_exchange_n(&pp->runnext, &next, NULL, false, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED)) {
		*inheritTime = true;
		return next;
	}
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runqtail;
		if (t == h) {
			return NULL;
		}
		struct g *gp = __atomic_load_n(&pp->runq[h % RunqSize], __ATOMIC_RELAXED);
		// Release: the slot is read before it can be reused.
		if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			*inheritTime = false;
			return gp;
		}
	}
}

// Take half of victim's Gs into batch; with stealRunNextG, its runnext
// too if its ring is empty. Go's runqgrab.
static uint32_t
runqgrab(struct p *victim, struct g **batch, bool stealRunNextG)
{
	for (;;) {
		uint32_t h = __atomic_load_n(&victim->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t =
			__atomic_load_n(&victim->runqtail, __ATOMIC_ACQUIRE); // pairs with runqput's release
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (stealRunNextG) {
				// The victim is about to run its runnext, most likely:
				// give it 3 us to do so before taking it (Go's
				// runqgrab), or a G readied by its neighbour would
				// move between Ms at every wakeup.
				if (__atomic_load_n(&victim->status, __ATOMIC_ACQUIRE) == Prunning &&
				    __atomic_load_n(&victim->runnext, __ATOMIC_ACQUIRE) != NULL) {
					os_usleep(3);
				}
				struct g *next = __atomic_load_n(&victim->runnext, __ATOMIC_ACQUIRE);
				if (next != NULL &&
				    __atomic_compare_exchange_n(&victim->runnext, &next, NULL, false,
								__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
					batch[0] = next;
					return 1;
				}
			}
			return 0;
		}
		if (n > RunqSize / 2) {
			continue; // read h and t inconsistently: retry
		}
		for (uint32_t i = 0; i < n; i++) {
			batch[i] = __atomic_load_n(&victim->runq[(h + i) % RunqSize], __ATOMIC_RELAXED);
		}
		if (__atomic_compare_exchange_n(&victim->runqhead, &h, h + n, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			return n;
		}
	}
}

// runqsteal: steal half of victim's Gs into pp's queue and return one.
// Only pp's owner calls this.
struct g *
runqsteal(struct p *pp, struct p *victim, bool stealRunNextG)
{
	struct g *batch[RunqSize / 2];
	uint32_t n = runqgrab(victim, batch, stealRunNextG);
	if (n == 0) {
		return NULL;
	}
	uint32_t t = pp->runqtail;
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	if (t - h + n - 1 >= RunqSize) {
		throw("runqsteal: runq overflow"); // a thief's ring is nearly empty
	}
	for (uint32_t i = 1; i < n; i++) {
		__atomic_store_n(&pp->runq[(t + i - 1) % RunqSize], batch[i], __ATOMIC_RELAXED);
	}
	// Release: the slots are written before thieves see the tail. Our
	// ring was empty (we are stealing), so the batch fits.
	__atomic_store_n(&pp->runqtail, t + n - 1, __ATOMIC_RELEASE);
	return batch[0];
}

// The global queue. Caller holds sched.lock.
void
globrunqput(struct g *gp)
{
	gp->schedlink = NULL;
	if (sched.runqtail != NULL) {
		sched.runqtail->schedlink = gp;
	} else {
		sched.runqhead = gp;
	}
	sched.runqtail = gp;
	__atomic_store_n(&sched.runqsize, sched.runqsize + 1, __ATOMIC_RELAXED);
}

// Put gp at the head of the global queue: a G that was next in line on a
// P that goes away (procresize) keeps its place. Caller holds sched.lock.
void
globrunqputhead(struct g *gp)
{
	gp->schedlink = sched.runqhead;
	sched.runqhead = gp;
	if (sched.runqtail == NULL) {
		sched.runqtail = gp;
	}
	__atomic_store_n(&sched.runqsize, sched.runqsize + 1, __ATOMIC_RELAXED);
}

// A G from the global queue, and a fair share more for pp's ring:
// runqsize/gomaxprocs + 1, at most max (if > 0) and half a ring. Caller
// holds sched.lock, and pp's ring is empty (it found nothing there): the
// rest must fit without runqputslow, which takes sched.lock.
struct g *
globrunqget(struct p *pp, int32_t max)
{
	if (sched.runqsize == 0) {
		return NULL;
	}
	int32_t n = sched.runqsize / loadgomaxprocs() + 1;
	if (n > sched.runqsize) {
		n = sched.runqsize;
	}
	if (max > 0 && n > max) {
		n = max;
	}
	if (n > RunqSize / 2) {
		n = RunqSize / 2;
	}
	if (runqlen(pp) + n - 1 > RunqSize) {
		throw("globrunqget: no room in the P's ring");
	}
	__atomic_store_n(&sched.runqsize, sched.runqsize - n, __ATOMIC_RELAXED);
	struct g *gp = sched.runqhead;
	sched.runqhead = gp->schedlink;
	for (int32_t i = 1; i < n; i++) {
		struct g *g1 = sched.runqhead;
		sched.runqhead = g1->schedlink;
		runqput(pp, g1, false);
	}
	if (sched.runqhead == NULL) {
		sched.runqtail = NULL;
	}
	return gp;
}
