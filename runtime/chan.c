// chan.c: channels (Go's chan.go): makechan, chansend, chanrecv,
// closechan, the sudog cache (Go's acquireSudog and releaseSudog, in
// proc.go there) and the wait queues select shares. See chan.h for the
// overview and the invariants; the public calls (hood.h's chan_*) are at
// the end.

#include <string.h>

#include "include/hood.h"
#include "runtime/chan.h"
#include "runtime/malloc.h"

static void chanpark(struct hchan *c, void *ep, struct waitq *q, enum waitreason reason, bool *success);
static bool chanempty(struct hchan *c);
static void *chanbuf(struct hchan *c, uint64_t i);
static void typedmemmove(struct hchan *c, void *dst, const void *src);

// makechan: a channel of size elements of elemsize bytes (Go's makechan:
// one allocation for the hchan and its buffer). Go throws for an element
// of 64 KiB or more and panics for a size below 0 or too big to allocate.
struct hchan *
makechan(uint64_t elemsize, int64_t size)
{
	if (elemsize >= MaxElemSize) {
		throw("makechan: invalid channel element type");
	}
	if (size < 0 || (elemsize != 0 && (uint64_t)size > ((1ULL << HeapAddrBits) - sizeof(struct hchan)) / elemsize)) {
		gopanic("makechan: size out of range");
	}
	// The buffer starts 8-aligned after the struct (Go's maxAlign).
	uint64_t hdr = (sizeof(struct hchan) + 7) & ~7ULL;
	struct hchan *c = mallocgc(hdr + elemsize * (uint64_t)size, 0);
	spin_init(&c->lock, "hchan", LOCK_HCHAN);
	c->elemsize = (uint32_t)elemsize;
	c->dataqsiz = (uint64_t)size;
	c->buf = (char *)c + hdr;
	return c;
}

// The address of slot i of c's buffer.
static void *
chanbuf(struct hchan *c, uint64_t i)
{
	return (char *)c->buf + i * c->elemsize;
}

// A channel's lock is held on the goroutine's own stack, so the M is
// acquired for as long (spin_lockm): no preemption may switch the G away
// while it holds one, neither the port's nor releasem's (acquireSudog's,
// under the lock, took one and another G on the same thread found the
// lock "already held by this thread").
void
lockchan(struct hchan *c)
{
	spin_lockm(&c->lock);
}

void
unlockchan(struct hchan *c)
{
	spin_unlockm(&c->lock);
}

// The buffer's two steps, for chansend, chanrecv and selectgo. Put the
// element at ep at the tail; caller holds c->lock, and qcount < dataqsiz.
void
chanbufput(struct hchan *c, const void *ep)
{
	typedmemmove(c, chanbuf(c, c->sendx), ep);
	if (++c->sendx == c->dataqsiz) {
		c->sendx = 0;
	}
	atomic_store_relaxed(&c->qcount, c->qcount + 1);
}

// Take the head into ep (NULL: drop it) and clear its slot, which keeps
// nothing alive; caller holds c->lock, and qcount > 0.
void
chanbuftake(struct hchan *c, void *ep)
{
	void *qp = chanbuf(c, c->recvx);
	if (ep != NULL) {
		typedmemmove(c, ep, qp);
	}
	memset(qp, 0, c->elemsize);
	if (++c->recvx == c->dataqsiz) {
		c->recvx = 0;
	}
	atomic_store_relaxed(&c->qcount, c->qcount - 1);
}

// Copy one element (Go's typedmemmove): nothing for a size of 0, whose
// pointers may be NULL (chan_send(c, NULL) on a channel of nothing).
static void
typedmemmove(struct hchan *c, void *dst, const void *src)
{
	if (c->elemsize != 0) {
		memmove(dst, src, c->elemsize);
	}
}

// ---- wait queues ----------------------------------------------------------------

// q->first is stored relaxed: the non-blocking fast paths of chansend
// and chanrecv peek at it without the lock (struct waitq).
void
waitq_enqueue(struct waitq *q, struct sudog *sg)
{
	sg->next = NULL;
	sg->prev = q->last;
	if (q->last != NULL) {
		q->last->next = sg;
	} else {
		atomic_store_relaxed(&q->first, sg);
	}
	q->last = sg;
}

void
waitq_remove(struct waitq *q, struct sudog *sg)
{
	if (sg->prev != NULL) {
		sg->prev->next = sg->next;
	} else if (q->first == sg) {
		atomic_store_relaxed(&q->first, sg->next);
	} else {
		return; // not on q: its select already took it off (Go's dequeueSudoG)
	}
	if (sg->next != NULL) {
		sg->next->prev = sg->prev;
	} else {
		q->last = sg->prev;
	}
	sg->next = sg->prev = NULL;
}

// The first waiter of q that can still be woken, removed: a select's
// sudog counts only if this call wins its G's selectDone (Go's
// waitq.dequeue); the ones whose select another channel won are dropped.
// Caller holds the channel's lock.
struct sudog *
waitq_dequeue(struct waitq *q)
{
	struct sudog *sg;
	while ((sg = q->first) != NULL) {
		waitq_remove(q, sg);
		// Acq_rel; pairs with the other wakers' CASes and with selectgo's
		// store-release that resets it: one waker wins each park.
		if (!sg->isSelect || atomic_cas_acqrel(&sg->g->selectDone, 0, 1)) {
			return sg;
		}
	}
	return NULL;
}

// ---- the sudog cache --------------------------------------------------------------

// A sudog from the P's cache, refilled by half from the central one, or a
// new one (Go's acquireSudog). Runs with a P (the running G's).
struct sudog *
acquireSudog(void)
{
	struct m *mp = acquirem();
	struct p *pp = mp->p;
	if (pp->nsudog == 0) {
		spin_lock(&sched.sudoglock);
		while (pp->nsudog < SudogCacheSize / 2 && sched.sudogcache != NULL) {
			struct sudog *s = sched.sudogcache;
			sched.sudogcache = s->next;
			s->next = NULL;
			pp->sudogcache[pp->nsudog++] = s;
		}
		spin_unlock(&sched.sudoglock);
		if (pp->nsudog == 0) {
			pp->sudogcache[pp->nsudog++] = mallocgc(sizeof(struct sudog), 0);
		}
	}
	struct sudog *s = pp->sudogcache[--pp->nsudog];
	releasem(mp);
	return s;
}

// Give s back to the P's cache; a full cache gives half to the central
// one (Go's releaseSudog, with its checks).
void
releaseSudog(struct sudog *s)
{
	if (s->elem != NULL || s->next != NULL || s->prev != NULL || s->waitlink != NULL || s->c != NULL) {
		throw("releaseSudog: sudog still in use");
	}
	s->g = NULL;
	s->isSelect = false;
	s->success = false;
	struct m *mp = acquirem();
	struct p *pp = mp->p;
	if (pp->nsudog == SudogCacheSize) {
		struct sudog *first = NULL, *last = NULL;
		while (pp->nsudog > SudogCacheSize / 2) {
			struct sudog *t = pp->sudogcache[--pp->nsudog];
			t->next = first;
			first = t;
			if (last == NULL) {
				last = t;
			}
		}
		spin_lock(&sched.sudoglock);
		last->next = sched.sudogcache;
		sched.sudogcache = first;
		spin_unlock(&sched.sudoglock);
	}
	pp->sudogcache[pp->nsudog++] = s;
	releasem(mp);
}

// ---- send and receive ---------------------------------------------------------------

// Queue the running G on q with a sudog for ep, park until a waker (or
// close) takes it, and say which (Go's blocking tail of chansend and
// chanrecv). Caller holds c->lock; it is released.
static void
chanpark(struct hchan *c, void *ep, struct waitq *q, enum waitreason reason, bool *success)
{
	struct g *gp = getg();
	struct sudog *mysg = acquireSudog();
	mysg->elem = ep;
	mysg->g = gp;
	mysg->c = c;
	gp->waiting = mysg;
	gp->param = NULL;
	waitq_enqueue(q, mysg);
	goparkunlock(&c->lock, reason); // Go's chanparkcommit
	// Woken by hchan_send, hchan_recv or closechan, which dequeued mysg
	// and set param to it before goready.
	if (gp->param != mysg) {
		throw("chanpark: spurious wakeup");
	}
	*success = mysg->success;
	gp->waiting = NULL;
	gp->param = NULL;
	mysg->elem = NULL;
	mysg->c = NULL;
	releaseSudog(mysg);
}

// chansend: send the element at ep on c (Go's chansend). block false is a
// select's default case: false if the send would have to wait. A nil
// channel blocks for ever; a closed one panics.
bool
chansend(struct hchan *c, const void *ep, bool block)
{
	if (c == NULL) {
		if (!block) {
			return false;
		}
		gopark(NULL, NULL, waitReasonChanSendNilChan);
		throw("chansend: unreachable");
	}
	// The fast fail of a non-blocking send, without the lock: open and
	// full (Go's full(c)). Relaxed loads: a send that races with a
	// receive or a close may be answered either way, as if it came just
	// before them. closed is read first: if it was open then, "not
	// ready" was true at that moment whatever qcount said.
	if (!block && !atomic_load_relaxed(&c->closed) &&
	    (c->dataqsiz == 0 ? atomic_load_relaxed(&c->recvq.first) == NULL
			      : atomic_load_relaxed(&c->qcount) == c->dataqsiz)) {
		return false;
	}
	lockchan(c);
	if (c->closed) {
		unlockchan(c);
		gopanic("send on closed channel");
	}
	struct sudog *sg = waitq_dequeue(&c->recvq);
	if (sg != NULL) {
		struct g *gp = hchan_send(c, sg, ep); // straight to the receiver
		unlockchan(c);
		goready(gp);
		return true;
	}
	if (c->qcount < c->dataqsiz) {
		chanbufput(c, ep);
		unlockchan(c);
		return true;
	}
	if (!block) {
		unlockchan(c);
		return false;
	}
	bool delivered;
	chanpark(c, (void *)ep, &c->sendq, waitReasonChanSend, &delivered);
	if (!delivered) {
		gopanic("send on closed channel"); // closed while we waited
	}
	return true;
}

// Hand ep to sg, a receiver that waited on empty c (Go's send, whose name
// the C library has); returns its G, for the caller to goready once it
// has released c->lock (and a select's other locks), as Go's does, so
// the woken G never waits for them. Caller holds c->lock.
struct g *
hchan_send(struct hchan *c, struct sudog *sg, const void *ep)
{
	if (sg->elem != NULL) {
		typedmemmove(c, sg->elem, ep); // often into the receiver's stack
		sg->elem = NULL;
	}
	struct g *gp = sg->g;
	gp->param = sg;
	sg->success = true;
	return gp;
}

// chanrecv: receive from c into ep (NULL: discard), Go's chanrecv. Returns
// whether it was selected (false only when !block and nothing is ready);
// *received says whether a value came (false: c is closed and drained,
// and ep holds the zero value). A nil channel blocks for ever.
bool
chanrecv(struct hchan *c, void *ep, bool block, bool *received)
{
	*received = false;
	if (c == NULL) {
		if (!block) {
			return false;
		}
		gopark(NULL, NULL, waitReasonChanReceiveNilChan);
		throw("chanrecv: unreachable");
	}
	if (c->timer != NULL) {
		maybeRunChan(c); // a Time that came due while nobody waited (time.c)
	}
	// The fast fail of a non-blocking receive (Go's empty(c)): nothing
	// to take; if still open then, not ready. Closed and still empty, it
	// is ready with the zero value: the emptiness is read again after
	// closed, as Go's, since an element sent before the close must come
	// out first. closed is a load-acquire; pairs with closechan's
	// store-release: a receive that returns because of the close sees
	// what was written before it (Go's memory model: the close is
	// synchronized before that receive), the last send's qcount too, so
	// the second look is not stale.
	if (!block && chanempty(c)) {
		if (!atomic_load_acq(&c->closed)) {
			return false;
		}
		if (chanempty(c)) {
			if (ep != NULL) {
				memset(ep, 0, c->elemsize);
			}
			return true;
		}
	}
	lockchan(c);
	if (c->closed && c->qcount == 0) {
		unlockchan(c);
		if (ep != NULL) {
			memset(ep, 0, c->elemsize);
		}
		return true;
	}
	struct sudog *sg = waitq_dequeue(&c->sendq);
	if (sg != NULL) {
		struct g *gp = hchan_recv(c, sg, ep); // from the sender, or the buffer's head
		unlockchan(c);
		goready(gp);
		*received = true;
		return true;
	}
	if (c->qcount > 0) {
		chanbuftake(c, ep);
		unlockchan(c);
		*received = true;
		return true;
	}
	if (!block) {
		unlockchan(c);
		return false;
	}
	if (c->timer != NULL) {
		blockTimerChan(c); // into a heap, to wake us
	}
	chanpark(c, ep, &c->recvq, waitReasonChanReceive, received);
	if (c->timer != NULL) {
		lockchan(c);
		unblockTimerChan(c);
		unlockchan(c);
	}
	return true;
}

// Nothing to receive, as far as a look without the lock can tell (Go's
// empty): no sender waits on an unbuffered channel, or the buffer is empty.
static bool
chanempty(struct hchan *c)
{
	if (c->dataqsiz == 0) {
		return atomic_load_relaxed(&c->sendq.first) == NULL;
	}
	return atomic_load_relaxed(&c->qcount) == 0;
}

// Take a value for ep given sg, a sender that waited on full c (Go's
// recv): unbuffered, straight from the sender; buffered, the buffer's
// oldest element, and the sender's goes into the freed slot at the tail
// (the buffer stays FIFO). Returns the sender's G, for the caller to
// goready once the locks are released (hchan_send's rule). Caller holds
// c->lock.
struct g *
hchan_recv(struct hchan *c, struct sudog *sg, void *ep)
{
	if (c->dataqsiz == 0) {
		if (ep != NULL) {
			typedmemmove(c, ep, sg->elem);
		}
	} else {
		void *qp = chanbuf(c, c->recvx);
		if (ep != NULL) {
			typedmemmove(c, ep, qp);
		}
		typedmemmove(c, qp, sg->elem);
		if (++c->recvx == c->dataqsiz) {
			c->recvx = 0;
		}
		c->sendx = c->recvx; // full: the tail is the head
	}
	sg->elem = NULL;
	struct g *gp = sg->g;
	gp->param = sg;
	sg->success = true;
	return gp;
}

// closechan: no more sends (Go's closechan). Every waiter is woken:
// receivers with the zero value and ok=false, senders to panic.
void
closechan(struct hchan *c)
{
	if (c == NULL) {
		gopanic("close of nil channel");
	}
	lockchan(c);
	if (c->closed) {
		unlockchan(c);
		gopanic("close of closed channel");
	}
	// Store-release; pairs with the load-acquire in chanrecv's fast path
	// (the receivers that take the lock see it by the lock).
	atomic_store_rel(&c->closed, 1);
	struct gList glist = {NULL};
	struct sudog *sg;
	while ((sg = waitq_dequeue(&c->recvq)) != NULL) {
		if (sg->elem != NULL) {
			memset(sg->elem, 0, c->elemsize);
			sg->elem = NULL;
		}
		sg->success = false;
		sg->g->param = sg;
		gList_push(&glist, sg->g);
	}
	while ((sg = waitq_dequeue(&c->sendq)) != NULL) {
		sg->elem = NULL;
		sg->success = false;
		sg->g->param = sg;
		gList_push(&glist, sg->g);
	}
	unlockchan(c);
	// Ready them with the lock dropped, as Go does. schedlink is free:
	// a parked G is on no other list.
	struct g *gp;
	while ((gp = gList_pop(&glist)) != NULL) {
		goready(gp);
	}
}

// ---- hood.h's channel calls -------------------------------------------------------------

struct hchan *
chan_make(size_t elemsize, long size)
{
	return makechan(elemsize, size);
}

void
chan_send(struct hchan *c, const void *elem)
{
	chansend(c, elem, true);
}

void
chan_recv(struct hchan *c, void *elem)
{
	bool received;
	chanrecv(c, elem, true, &received);
}

bool
chan_recv2(struct hchan *c, void *elem)
{
	bool received;
	chanrecv(c, elem, true, &received);
	return received;
}

bool
chan_trysend(struct hchan *c, const void *elem)
{
	return chansend(c, elem, false);
}

bool
chan_tryrecv(struct hchan *c, void *elem, bool *ok)
{
	bool received;
	bool selected = chanrecv(c, elem, false, &received);
	if (ok != NULL) {
		*ok = received;
	}
	return selected;
}

void
chan_close(struct hchan *c)
{
	closechan(c);
}

// len and cap: a nil channel's are 0, as in Go, and so are a timer's
// (Go 1.23's: its buffer of one is the runtime's). len reads qcount
// without the lock (relaxed, as Go's chanlen): a count some moment had.
long
chan_len(struct hchan *c)
{
	return c == NULL || c->timer != NULL ? 0 : (long)atomic_load_relaxed(&c->qcount);
}

long
chan_cap(struct hchan *c)
{
	return c == NULL || c->timer != NULL ? 0 : (long)c->dataqsiz;
}
