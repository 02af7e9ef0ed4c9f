// sema.c: semaphores and notify lists for the sync package (Go's
// runtime/sema.go). See sema.h for the calls; sync/*.c builds Mutex,
// RWMutex, WaitGroup and Cond on them.
//
// A semaphore is only a count: the goroutines waiting on it are kept in
// semtable, 251 roots chosen by the count's address, each a spinlock, the
// number of its waiters, and its waiters. Within a root, the first waiter
// of each address is on a doubly linked list (next, prev); the others wait
// behind it on its waitlink list, whose last it keeps as waittail:
//
//	root.head -> s(addr A) <-> s(addr B) <-> s(addr C)
//	                 |waitlink
//	                 s(A) -> s(A)        (the first's waittail)
//
// Go keeps the first waiters in a treap by address (since Go 1.9's
// issue 17953: a program with thousands of semaphores contended at once,
// all in a few roots). Here they are a list: finding an address is a walk
// over the addresses of one root that have waiters at that moment, which
// stays short unless some thousands of semaphores are waited on together.
//
// No lost wakeup: semacquire counts itself in nwait, then tries the count
// once more, under the lock; semrelease adds to the count, then looks at
// nwait, without the lock. Both steps are sequentially consistent, so one
// of the two sees the other: the acquirer takes the count, or the
// releaser sees the waiter and takes the lock to wake it.
//
// A notify list (Go's notifyList, under sync.Cond) lives in the Cond
// itself, which is a public struct that cannot hold a runtime spinlock, so
// its lock is the root of the list's address: notify lists and semaphores
// hashed to one root share its lock, and nothing else.

#include "include/hood.h"
#include "runtime/chan.h"
#include "runtime/runtime.h"
#include "runtime/sema.h"

enum {
	SemTabSize = 251, // Go's semTabSize: a prime, so addresses spread
	ActiveSpin = 4,   // Go's active_spin: a Mutex spins at most this many times
	ActiveSpinCnt = 30, // PAUSEs a spin (Go's active_spin_cnt)
};

struct semaRoot {
	struct spinlock lock;
	struct sudog *head; // Protected by lock: the first waiter of each address
	// Atomic: waiters of every address in the root (changed under lock,
	// read without it by semrelease's easy case).
	uint32_t nwait;
} __attribute__((aligned(64))); // a cache line each, as Go pads them

static struct semaRoot semtable[SemTabSize] = {
	[0 ... SemTabSize - 1] = {.lock = SPINLOCK_INIT("semaRoot", LOCK_SEMAROOT)},
};

static struct semaRoot *
semroot(void *addr)
{
	return &semtable[((uintptr_t)addr >> 3) % SemTabSize];
}

static bool
cansemacquire(uint32_t *addr)
{
	for (;;) {
		// Load-acquire, and the CAS acq_rel: the count taken pairs with
		// the semrelease whose increment it takes (its xadd is seq_cst),
		// so what the releaser wrote before it (a Mutex's protected data)
		// is visible to the acquirer.
		uint32_t v = atomic_load_acq(addr);
		if (v == 0) {
			return false;
		}
		if (atomic_cas_acqrel(addr, v, v - 1)) {
			return true;
		}
	}
}

// Put s, the running G's, among addr's waiters: last, or first if lifo.
// Caller holds root->lock.
static void
semqueue(struct semaRoot *root, uint32_t *addr, struct sudog *s, bool lifo)
{
	s->g = getg();
	s->elem = addr;
	s->next = s->prev = s->waitlink = s->waittail = NULL;
	for (struct sudog *t = root->head; t != NULL; t = t->next) {
		if (t->elem != addr) {
			continue;
		}
		if (lifo) {
			// s takes t's place on the list of first waiters; t
			// heads s's waitlink list.
			s->prev = t->prev;
			s->next = t->next;
			if (s->prev != NULL) {
				s->prev->next = s;
			} else {
				root->head = s;
			}
			if (s->next != NULL) {
				s->next->prev = s;
			}
			s->waitlink = t;
			s->waittail = t->waittail != NULL ? t->waittail : t;
			t->next = t->prev = t->waittail = NULL;
		} else {
			if (t->waittail == NULL) {
				t->waitlink = s;
			} else {
				t->waittail->waitlink = s;
			}
			t->waittail = s;
		}
		return;
	}
	// The first waiter on addr.
	s->next = root->head;
	if (root->head != NULL) {
		root->head->prev = s;
	}
	root->head = s;
}

// Take the first waiter on addr, or NULL. Caller holds root->lock.
static struct sudog *
semdequeue(struct semaRoot *root, uint32_t *addr)
{
	struct sudog *s = root->head;
	while (s != NULL && s->elem != addr) {
		s = s->next;
	}
	if (s == NULL) {
		return NULL;
	}
	struct sudog *repl = s->waitlink;
	if (repl != NULL) {
		// The next waiter on addr takes s's place on the list of first
		// waiters, and s's waittail (none if it was the last).
		repl->waittail = s->waittail == repl ? NULL : s->waittail;
		repl->prev = s->prev;
		repl->next = s->next;
		if (repl->prev != NULL) {
			repl->prev->next = repl;
		} else {
			root->head = repl;
		}
		if (repl->next != NULL) {
			repl->next->prev = repl;
		}
	} else {
		if (s->prev != NULL) {
			s->prev->next = s->next;
		} else {
			root->head = s->next;
		}
		if (s->next != NULL) {
			s->next->prev = s->prev;
		}
	}
	s->next = s->prev = s->waitlink = s->waittail = NULL;
	s->elem = NULL;
	return s;
}

// Go's semacquire1: take one from *addr, waiting for it if it is 0.
static void
semacquire1(uint32_t *addr, bool lifo, enum waitreason reason)
{
	if (getg() != getm()->curg) {
		throw("semacquire not on the G stack");
	}
	if (cansemacquire(addr)) {
		return;
	}
	struct sudog *s = acquireSudog();
	s->ticket = 0;
	struct semaRoot *root = semroot(addr);
	for (;;) {
		spin_lockm(&root->lock);
		// Seq_cst, as the load of the count in cansemacquire after it:
		// pairs with semrelease's seq_cst add to the count and load of
		// nwait (the header's "no lost wakeup").
		atomic_xadd(&root->nwait, 1);
		if (cansemacquire(addr)) {
			atomic_xadd_relaxed(&root->nwait, -1); // relaxed: under the lock, nothing to publish
			spin_unlockm(&root->lock);
			break;
		}
		semqueue(root, addr, s, lifo);
		goparkunlock(&root->lock, reason);
		// Woken by semrelease, which dequeued s: with the count handed
		// to us (ticket 1), or with the count up for whoever takes it
		// first.
		if (s->ticket != 0 || cansemacquire(addr)) {
			break;
		}
	}
	releaseSudog(s);
}

void
sync_runtime_Semacquire(uint32_t *addr)
{
	semacquire1(addr, false, waitReasonSemacquire);
}

void
sync_runtime_SemacquireMutex(uint32_t *addr, bool lifo)
{
	semacquire1(addr, lifo, waitReasonSyncMutexLock);
}

void
sync_runtime_SemacquireRWMutexR(uint32_t *addr, bool lifo)
{
	semacquire1(addr, lifo, waitReasonSyncRWMutexRLock);
}

void
sync_runtime_SemacquireRWMutex(uint32_t *addr, bool lifo)
{
	semacquire1(addr, lifo, waitReasonSyncRWMutexLock);
}

void
sync_runtime_SemacquireWaitGroup(uint32_t *addr)
{
	semacquire1(addr, false, waitReasonSyncWaitGroupWait);
}

// Go's semrelease1.
void
sync_runtime_Semrelease(uint32_t *addr, bool handoff)
{
	struct semaRoot *root = semroot(addr);
	// Seq_cst, the add and the load after it: pair with semacquire1's
	// seq_cst add to nwait and its retry of the count (the header's "no
	// lost wakeup").
	atomic_xadd(addr, 1);
	if (atomic_load(&root->nwait) == 0) {
		return;
	}
	spin_lockm(&root->lock);
	// Relaxed: under the lock, which every change of nwait holds.
	if (atomic_load_relaxed(&root->nwait) == 0) {
		// Another waiter's retry took the count: nobody to wake.
		spin_unlockm(&root->lock);
		return;
	}
	struct sudog *s = semdequeue(root, addr);
	if (s != NULL) {
		atomic_xadd_relaxed(&root->nwait, -1); // relaxed: under the lock
	}
	spin_unlockm(&root->lock);
	if (s == NULL) {
		return;
	}
	if (s->ticket != 0) {
		throw("corrupted semaphore ticket");
	}
	bool handedoff = handoff && cansemacquire(addr);
	if (handedoff) {
		s->ticket = 1; // the count is the waiter's: it takes nothing when it wakes
	}
	// From goready on, s is the waiter's: it may run on another P at
	// once (a steal of runnext), give s back, and s may serve another
	// wait before we would read it again.
	goready(s->g); // runnext on our P
	if (handedoff && getm()->locks == 0) {
		// The direct hand-off: the waiter, now next on this P, runs at
		// once on the rest of our time slice, and we after it (Go's
		// goyield, issue 33747: a starving Mutex's waiter must not
		// wait behind the whole run queue again).
		goyield();
	}
}

// ---- notify lists (sync.Cond) -------------------------------------------------------------

// Whether ticket a comes before b, counting with wrap-around (Go's less).
static bool
ticketless(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

uint32_t
sync_runtime_notifyListAdd(struct sync_notifylist *l)
{
	// Seq_cst: the ticket is taken before the caller unlocks the Cond's
	// mutex, and pairs with NotifyOne/NotifyAll's loads of wait: a
	// notifier that holds or held the mutex after this sees the ticket.
	return atomic_xadd(&l->wait, 1) - 1;
}

void
sync_runtime_notifyListWait(struct sync_notifylist *l, uint32_t t)
{
	struct semaRoot *root = semroot(l);
	struct sudog *s = acquireSudog(); // before the lock: it may allocate
	spin_lockm(&root->lock);
	// Relaxed: notify changes under this lock.
	if (ticketless(t, atomic_load_relaxed(&l->notify))) {
		// Notified already, between the Add and now.
		spin_unlockm(&root->lock);
		releaseSudog(s);
		return;
	}
	s->g = getg();
	s->ticket = t;
	s->next = NULL;
	if (l->tail == NULL) {
		l->head = s;
	} else {
		l->tail->next = s;
	}
	l->tail = s;
	goparkunlock(&root->lock, waitReasonSyncCondWait);
	releaseSudog(s);
}

void
sync_runtime_notifyListNotifyAll(struct sync_notifylist *l)
{
	// Seq_cst loads, the fast path's: pair with notifyListAdd's seq_cst
	// add (a ticket taken before this looks is seen) and with the
	// stores of notify below.
	if (atomic_load(&l->wait) == atomic_load(&l->notify)) {
		return;
	}
	struct semaRoot *root = semroot(l);
	spin_lockm(&root->lock);
	struct sudog *s = l->head;
	l->head = l->tail = NULL;
	// Seq_cst: pairs with the fast paths' loads and with the waiters'
	// check under the lock.
	atomic_store(&l->notify, atomic_load(&l->wait));
	spin_unlockm(&root->lock);
	while (s != NULL) {
		struct sudog *next = s->next;
		s->next = NULL;
		goready(s->g);
		s = next;
	}
}

void
sync_runtime_notifyListNotifyOne(struct sync_notifylist *l)
{
	// Seq_cst loads: they pair with notifyListAdd's add and the stores
	// of notify, as NotifyAll's.
	if (atomic_load(&l->wait) == atomic_load(&l->notify)) {
		return;
	}
	struct semaRoot *root = semroot(l);
	spin_lockm(&root->lock);
	uint32_t t = atomic_load_relaxed(&l->notify); // relaxed: changed only under this lock
	// Seq_cst: pairs with notifyListAdd's add, as above.
	if (t == atomic_load(&l->wait)) {
		spin_unlockm(&root->lock);
		return;
	}
	// Seq_cst: pairs with the fast paths' loads. Ticket t is notified
	// from here: its waiter, if it has not queued yet, will not park.
	atomic_store(&l->notify, t + 1);
	for (struct sudog *p = NULL, *s = l->head; s != NULL; p = s, s = s->next) {
		if (s->ticket != t) {
			continue;
		}
		if (p != NULL) {
			p->next = s->next;
		} else {
			l->head = s->next;
		}
		if (l->tail == s) {
			l->tail = p;
		}
		spin_unlockm(&root->lock);
		s->next = NULL;
		goready(s->g);
		return;
	}
	spin_unlockm(&root->lock);
}

// ---- what else sync needs ------------------------------------------------------------------

bool
sync_runtime_canSpin(int i)
{
	// Go's rules: a few spins, only on a multicore machine, only while
	// another P is running (one that could be unlocking) and none is
	// idle or spinning, and only with nothing else to run here. Relaxed
	// loads: a hint, as in Go.
	if (i >= ActiveSpin || os_ncpu() <= 1 ||
	    gomaxprocs <= (int32_t)(atomic_load_relaxed(&sched.npidle) + atomic_load_relaxed(&sched.nmspinning)) + 1) {
		return false;
	}
	struct m *mp = acquirem();
	bool empty = runqempty(mp->p);
	releasem(mp);
	return empty;
}

void
sync_runtime_doSpin(void)
{
	for (int i = 0; i < ActiveSpinCnt; i++) {
		os_procyield();
	}
}

int64_t
sync_runtime_nanotime(void)
{
	return (int64_t)nanotime();
}

int
sync_runtime_procPin(void)
{
	return acquirem()->p->id;
}

void
sync_runtime_procUnpin(void)
{
	releasem(getm());
}

void
sync_fatal(const char *msg)
{
	gothrow(msg);
}
