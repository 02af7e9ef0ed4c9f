// mfinal.c: finalizers (Go's mfinal.go): runtime_setfinalizer, the table
// of the objects that have one, the queue of the calls that are due, and
// the finalizer goroutine (Go's runfinq), one of the runtime's own, which
// makes the calls one at a time. See mgc.c for the collector.
//
// The collector's part, in every full mark:
//
//	finscan    the table's objects' words (not the objects themselves,
//	           which must be found unreachable), so that what they point
//	           to lives on for their finalizers; and the queue whole, a
//	           root: its objects live until their calls are made
//	finqueue   after the mark, the world stopped: each table object left
//	           unmarked is marked (it lives until its call has returned)
//	           and moves from the table to the queue
//
// So an object is finalized at the first cycle that finds it unreachable,
// and freed by the first after its finalizer returned, unless the
// finalizer stored it somewhere (Go's rules). An object a finalizable
// object points to is kept while that one waits: of a chain, the head's
// finalizer runs first; a cycle through a finalizable object is never
// freed, as in Go.
//
// Invariants: the table is an open hash (linear probing) from object
// address to function, in memory from the machine, which the collector
// does not scan (it must not keep its objects alive); an object is in the
// table or in the queue, never both, and in the table at most once. The
// queue is an array from the machine. Both are protected by fin.lock,
// which ranks below the machine's memory locks (the tables grow under it,
// and the collector greys under it, which may grow its mark stack).

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

struct finalizer {
	uint64_t obj; // 0: an empty slot of the table
	void (*fn)(void *);
};

static struct {
	struct spinlock lock;
	struct finalizer *table; // Protected by lock: tablecap slots, at most half in use
	uint64_t tablecap, ntable;
	struct finalizer *queue; // Protected by lock: nqueue calls due, of queuecap
	uint64_t queuecap, nqueue;
	struct g *g;  // Protected by lock: the finalizer goroutine, once it runs
	bool parked;  // Protected by lock: it waits for the queue
	bool wake;    // Protected by lock: finqueue queued calls for it to make
} fin = {.lock = SPINLOCK_INIT("finalizers", LOCK_FINALIZERS)};

static uint64_t
home(uint64_t obj, uint64_t cap)
{
	return (obj >> 4) * 0x9e3779b97f4a7c15ULL & (cap - 1);
}

// The object p starts, or 0 if p is not an object's start; *base is the
// start of the heap object p is in, or 0 (for the messages).
static uint64_t
objectstart(void *p, uint64_t *base)
{
	struct mspan *s = spanof((uint64_t)p);
	*base = 0;
	if (s == NULL || atomic_load_relaxed(&s->state) != MSpanInUse || (uint64_t)p >= s->limit) {
		return 0; // relaxed: spanof's load-acquire ordered the fields
	}
	*base = s->startaddr + mspan_objindex(s, (uint64_t)p) * s->elemsize;
	return *base == (uint64_t)p ? *base : 0;
}

// The slot of obj in the table, or the empty one where it would go.
static uint64_t
tableslot(uint64_t obj)
{
	uint64_t i = home(obj, fin.tablecap);
	while (fin.table[i].obj != 0 && fin.table[i].obj != obj) {
		i = (i + 1) & (fin.tablecap - 1);
	}
	return i;
}

// The table with cap slots, its entries as they were. Returns the old
// one, for the caller to give back once it has let go of fin.lock (bare
// metal shoots the TLBs down for it, which no spinlock may be held across;
// os_sysalloc may be called holding one).
static struct finalizer *
tablegrow(uint64_t cap, uint64_t *oldcap)
{
	struct finalizer *old = fin.table;
	*oldcap = fin.tablecap;
	fin.table = os_sysalloc(cap * sizeof *fin.table);
	fin.tablecap = cap;
	for (uint64_t i = 0; i < *oldcap; i++) {
		if (old[i].obj != 0) {
			fin.table[tableslot(old[i].obj)] = old[i];
		}
	}
	return old;
}

// Room in the queue for n calls. Caller does not hold fin.lock, and
// nobody else grows the queue meanwhile (the world is stopped).
static void
queuegrow(uint64_t n)
{
	spin_lockm(&fin.lock);
	uint64_t cap = fin.queuecap;
	spin_unlockm(&fin.lock);
	if (n <= cap) {
		return;
	}
	while (cap < n) {
		cap = cap == 0 ? 64 : 2 * cap;
	}
	struct finalizer *q = os_sysalloc(cap * sizeof *q);
	spin_lockm(&fin.lock);
	struct finalizer *old = fin.queue;
	uint64_t oldcap = fin.queuecap;
	if (fin.nqueue > 0) {
		memcpy(q, old, fin.nqueue * sizeof *q);
	}
	fin.queue = q;
	fin.queuecap = cap;
	spin_unlockm(&fin.lock);
	if (old != NULL) {
		os_sysfree(old, oldcap * sizeof *old);
	}
}

// Empty slot i, moving up the entries after it that would no longer be
// found (linear probing's deletion: an entry may fill the hole if the
// hole lies between its home slot and where it is).
static void
tabledelete(uint64_t i)
{
	uint64_t mask = fin.tablecap - 1;
	fin.table[i].obj = 0;
	fin.ntable--;
	for (uint64_t j = (i + 1) & mask; fin.table[j].obj != 0; j = (j + 1) & mask) {
		if (((j - home(fin.table[j].obj, fin.tablecap)) & mask) >= ((j - i) & mask)) {
			fin.table[i] = fin.table[j];
			fin.table[j].obj = 0;
			i = j;
		}
	}
}

void
runtime_setfinalizer(void *p, void (*fn)(void *))
{
	if (p == NULL) {
		gothrow("runtime.SetFinalizer: first argument is nil");
	}
	uint64_t base, obj = objectstart(p, &base);
	if (obj == 0) {
		uint64_t lo, hi;
		for (int i = 0; os_dataregion(i, &lo, &hi); i++) {
			if ((uint64_t)p >= lo && (uint64_t)p < hi) {
				return; // static data lives for good: Go ignores its finalizers too
			}
		}
		if (base != 0) {
			os_print("runtime: p=%p, base=%#lx\n", p, base);
			gothrow("runtime.SetFinalizer: pointer not at beginning of allocated block");
		}
		gothrow("runtime.SetFinalizer: pointer not in allocated block");
	}
	spin_lockm(&fin.lock);
	struct finalizer *old = NULL;
	uint64_t oldcap = 0;
	if (fin.table == NULL || fin.ntable + 1 > fin.tablecap / 2) {
		old = tablegrow(fin.table == NULL ? 64 : 2 * fin.tablecap, &oldcap);
	}
	uint64_t i = tableslot(obj);
	bool twice = fn != NULL && fin.table[i].obj == obj;
	if (fn == NULL && fin.table[i].obj == obj) {
		tabledelete(i);
	} else if (fn != NULL && !twice) {
		fin.table[i] = (struct finalizer){obj, fn};
		fin.ntable++;
	}
	spin_unlockm(&fin.lock);
	if (old != NULL) {
		os_sysfree(old, oldcap * sizeof *old);
	}
	if (twice) {
		gothrow("runtime.SetFinalizer: finalizer already set");
	}
}

// finscan: the collector's scan (the overview): each table object's words
// with scan(lo, hi), and the queue whole. Caller: a mark (mgcmark.c),
// holding no runtime spinlock.
void
finscan(void (*scan)(uint64_t lo, uint64_t hi))
{
	spin_lockm(&fin.lock);
	for (uint64_t i = 0; i < fin.tablecap; i++) {
		uint64_t obj = fin.table[i].obj;
		if (obj != 0) {
			scan(obj, obj + mspan_objsize(spanof(obj)));
		}
	}
	if (fin.nqueue > 0) {
		scan((uint64_t)fin.queue, (uint64_t)(fin.queue + fin.nqueue));
	}
	spin_unlockm(&fin.lock);
}

// finqueue: after a mark, the world stopped: each table object that is
// unmarked(obj) is marked again by mark(obj) and its call queued.
void
finqueue(bool (*unmarked)(uint64_t obj), void (*mark)(uint64_t obj))
{
	spin_lockm(&fin.lock);
	uint64_t due = fin.nqueue;
	for (uint64_t i = 0; i < fin.tablecap; i++) {
		due += fin.table[i].obj != 0 && unmarked(fin.table[i].obj);
	}
	spin_unlockm(&fin.lock);
	queuegrow(due);
	spin_lockm(&fin.lock);
	for (uint64_t i = 0; i < fin.tablecap;) {
		struct finalizer f = fin.table[i];
		if (f.obj == 0 || !unmarked(f.obj)) {
			i++;
			continue;
		}
		mark(f.obj);
		fin.queue[fin.nqueue++] = f;
		tabledelete(i); // slot i may hold a moved entry now: look at it again
		fin.wake = fin.wake || fin.parked;
	}
	spin_unlockm(&fin.lock);
}

// finwake: the finalizer goroutine readied if finqueue gave it calls to
// make. By the collector, after it started the world again.
void
finwake(void)
{
	spin_lockm(&fin.lock);
	struct g *gp = NULL;
	if (fin.wake && fin.parked) {
		fin.parked = false;
		gp = fin.g;
	}
	fin.wake = false;
	spin_unlockm(&fin.lock);
	if (gp != NULL) {
		goready(gp);
	}
}

// The finalizer goroutine (Go's runfinq): the queued calls, newest first,
// one at a time. The object is in the queue (a root) until taken, then
// in obj, on this stack, until the call returned.
static void
runfinq(void *arg)
{
	(void)arg;
	spin_lockm(&fin.lock);
	fin.g = getg();
	for (;;) {
		while (fin.nqueue == 0) {
			fin.parked = true;
			goparkunlock(&fin.lock, waitReasonFinalizerWait);
			spin_lockm(&fin.lock);
		}
		// Only in obj, a volatile that the store after the call clears:
		// a copy left in this frame would keep the object while parked.
		fin.nqueue--;
		volatile uint64_t obj = fin.queue[fin.nqueue].obj;
		void (*fn)(void *) = fin.queue[fin.nqueue].fn;
		spin_unlockm(&fin.lock);
		fn((void *)obj);
		obj = 0; // what the call was given lives no longer because of us
		spin_lockm(&fin.lock);
	}
}

// finenable: the finalizer goroutine's start (gcenable's).
void
finenable(void)
{
	newsystemproc(runfinq, NULL);
}
