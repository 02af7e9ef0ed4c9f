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
	// Load-acquires: of runqhead, pairs with the takers' CAS-release; of
	// runqtail, with runqput's and runqsteal's store-release; of
	// runnext, with the acq_rel exchange and CASes on it. In findrunnable's
	// re-check they are the spinner's loads of the Dekker pair (see
	// "Spinning Ms" in schedule.c).
	for (;;) {
		// Each pairs with its writer's release, as above.
		uint32_t head = atomic_load_acq(&pp->runqhead);
		uint32_t tail = atomic_load_acq(&pp->runqtail);
		struct g *next = atomic_load_acq(&pp->runnext);
		if (tail == atomic_load_acq(&pp->runqtail)) {
			return head == tail && next == NULL;
		}
	}
}

uint32_t
runqlen(struct p *pp)
{
	// Load-acquires, paired as in runqempty; a snapshot, for sizes and
	// dumps.
	return atomic_load_acq(&pp->runqtail) - atomic_load_acq(&pp->runqhead);
}

// runqput: put gp on pp's queue. With next, gp goes into runnext and the G
// it displaces goes to the tail. A full ring sends half of itself to the
// global queue. Only pp's owner calls this.
void
runqput(struct p *pp, struct g *gp, bool next)
{
	if (next) {
		// Exchange acq_rel. Release: gp is seen whole by the thief
		// whose CAS in runqgrab takes it; acquire: pairs with the CAS
		// that last emptied runnext (runqget's or a thief's).
		struct g *old = atomic_xchg_acqrel(&pp->runnext, gp);
		if (old == NULL) {
			return;
		}
		gp = old;
	}
	for (;;) {
		// Load-acquire; pairs with the takers' CAS-release of runqhead
		// (runqget, runqgrab): their reads of the slots are done.
		uint32_t h = atomic_load_acq(&pp->runqhead);
		uint32_t t = pp->runqtail;
		if (t - h < RunqSize) {
			// Relaxed: published by the store-release of the tail.
			atomic_store_relaxed(&pp->runq[t % RunqSize], gp);
			// Store-release: the slot is written before thieves see
			// the tail; pairs with the load-acquire in runqgrab (and
			// runqempty). In wakep's Dekker pair this is the
			// readier's store (see "Spinning Ms" in schedule.c).
			atomic_store_rel(&pp->runqtail, t + 1);
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
		batch[i] = atomic_load_relaxed(&pp->runq[(h + i) % RunqSize]); // relaxed: the CAS decides
	}
	// CAS-release: our reads of the slots are done before they can be
	// reused; pairs with the load-acquires of runqhead (runqput, runqgrab).
	// Failing, a thief took some first.
	if (!atomic_cas_rel(&pp->runqhead, h, h + N)) {
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
	// Load-acquire, then CAS acq_rel: pairs with runqput's exchange; a
	// thief's CAS in runqgrab races ours, and one of them wins.
	struct g *next = atomic_load_acq(&pp->runnext);
	if (next != NULL && atomic_cas_acqrel(&pp->runnext, next, NULL)) {
		*inheritTime = true;
		return next;
	}
	for (;;) {
		// Load-acquire; pairs with the thieves' CAS-release of runqhead.
		uint32_t h = atomic_load_acq(&pp->runqhead);
		uint32_t t = pp->runqtail;
		if (t == h) {
			return NULL;
		}
		struct g *gp = atomic_load_relaxed(&pp->runq[h % RunqSize]); // relaxed: the CAS decides
		// CAS-release: the slot is read before it can be reused; pairs
		// with the load-acquire of runqhead in runqput.
		if (atomic_cas_rel(&pp->runqhead, h, h + 1)) {
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
		// Load-acquires: of runqhead, pairs with the other takers'
		// CAS-release; of runqtail, with runqput's store-release, so
		// the slots below t are written.
		uint32_t h = atomic_load_acq(&victim->runqhead);
		uint32_t t = atomic_load_acq(&victim->runqtail);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (stealRunNextG) {
				// The victim is about to run its runnext, most likely:
				// give it 3 us to do so before taking it (Go's
				// runqgrab), or a G readied by its neighbour would
				// move between Ms at every wakeup.
				// Load-acquires: the status pairs with acquirep's
				// store-release, runnext with runqput's exchange.
				if (atomic_load_acq(&victim->status) == Prunning &&
				    atomic_load_acq(&victim->runnext) != NULL) {
					os_usleep(3);
				}
				// Load-acquire, then CAS acq_rel: pairs with runqput's
				// exchange; races the owner's CAS in runqget.
				struct g *next = atomic_load_acq(&victim->runnext);
				if (next != NULL && atomic_cas_acqrel(&victim->runnext, next, NULL)) {
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
			// Relaxed: the owner may be reusing the slot; then our
			// CAS below fails and we read again.
			batch[i] = atomic_load_relaxed(&victim->runq[(h + i) % RunqSize]);
		}
		// CAS-release: our reads of the slots are done before the owner
		// may reuse them; pairs with the load-acquire of runqhead in
		// runqput (and in runqsteal, when the victim steals in turn).
		if (atomic_cas_rel(&victim->runqhead, h, h + n)) {
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
	// Load-acquire; pairs with the CAS-release of runqhead by whoever
	// took from our ring last.
	uint32_t h = atomic_load_acq(&pp->runqhead);
	if (t - h + n - 1 >= RunqSize) {
		throw("runqsteal: runq overflow"); // a thief's ring is nearly empty
	}
	for (uint32_t i = 1; i < n; i++) {
		// Relaxed: published by the store-release of the tail below.
		atomic_store_relaxed(&pp->runq[(t + i - 1) % RunqSize], batch[i]);
	}
	// Store-release: the slots are written before thieves see the tail;
	// pairs with the load-acquire in runqgrab. Our ring was empty (we
	// are stealing), so the batch fits.
	atomic_store_rel(&pp->runqtail, t + n - 1);
	return batch[0];
}

// The global queue. Caller holds sched.lock.
void
globrunqput(struct g *gp)
{
	gQueue_pushBack(&sched.runq, gp);
	atomic_store_relaxed(&sched.runqsize, sched.runqsize + 1);
}

// Put gp at the head of the global queue: a G that was next in line on a
// P that goes away (procresize) keeps its place. Caller holds sched.lock.
void
globrunqputhead(struct g *gp)
{
	gQueue_push(&sched.runq, gp);
	atomic_store_relaxed(&sched.runqsize, sched.runqsize + 1);
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
	atomic_store_relaxed(&sched.runqsize, sched.runqsize - n);
	struct g *gp = gQueue_pop(&sched.runq);
	for (int32_t i = 1; i < n; i++) {
		runqput(pp, gQueue_pop(&sched.runq), false);
	}
	return gp;
}
