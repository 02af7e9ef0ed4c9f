// mcentral.c: the spans of one span class that no mcache holds (Go's
// mcentral.go): partial ones, with a free slot, for the next mcache that
// needs one; full ones, for the collector's sweep to find. See malloc.h
// for an overview. After a mark both lists hold spans not swept yet
// (mgcsweep.c's sweepgen rules): cachespan sweeps those it takes, as Go's
// cacheSpan does, within a budget.
//
// Lock order: an mcentral's lock, then mheap_.lock (mcentral_grow takes
// the heap's after dropping its own, as Go's does).

#include "runtime/malloc.h"
#include "runtime/mgc.h"

static struct mspan *mcentral_grow(struct mcentral *c);
static void spanlist_remove(struct mspan **list, struct mspan *s);
static void spanlist_push(struct mspan **list, struct mspan *s);

void
mcentral_init(struct mcentral *c, uint8_t spanclass)
{
	spin_init(&c->lock, "mcentral", LOCK_MCENTRAL);
	c->spanclass = spanclass;
}

enum { SweepBudget = 100 }; // spans cachespan sweeps before it grows instead (Go's spanBudget)

// c's list of partial or full spans, swept or not, at sweepgen sg
// (struct mcentral: the swept list is [sg/2 % 2]). Caller holds c->lock.
enum { Partial, Full };
enum { Unswept, Swept };

static struct mspan **
spans(struct mcentral *c, int fullness, int swept, uint32_t sg)
{
	struct mspan **lists = fullness == Full ? c->full : c->partial;
	return &lists[swept == Swept ? sg / 2 % 2 : 1 - sg / 2 % 2];
}

// mcentral_cachespan: a span with a free slot for an mcache, its
// allocCache loaded at freeindex; NULL if the heap has no more memory (Go's
// mcentral.cacheSpan): a swept partial one; else one that its sweep
// leaves with a free slot, from the unswept partial list, then the
// unswept full one (within a budget: a sweep that frees nothing is
// wasted); else a new one. Runs on g0.
struct mspan *
mcentral_cachespan(struct mcentral *c)
{
	uint32_t sg = atomic_load_relaxed(&mheap_.sweepgen); // relaxed: changed with the world stopped
	struct mspan *s = NULL;
	spin_lock(&c->lock);
	if ((s = *spans(c, Partial, Swept, sg)) != NULL) {
		spanlist_remove(spans(c, Partial, Swept, sg), s);
	}
	for (int budget = SweepBudget; s == NULL && budget > 0; budget--) {
		struct mspan **list = spans(c, Partial, Unswept, sg);
		if (*list == NULL) {
			list = spans(c, Full, Unswept, sg);
		}
		struct mspan *t = *list;
		if (t == NULL) {
			break;
		}
		// Off the list first: a span on an unswept list whose claim
		// fails is the worker's, which takes it off itself.
		if (!sweepclaim(t)) {
			spin_unlock(&c->lock);
			spin_lock(&c->lock); // let the worker unlist it
			continue;
		}
		spanlist_remove(list, t);
		spin_unlock(&c->lock);
		bool kept = sweepspan(t);
		spin_lock(&c->lock);
		if (kept && t->allocCount < t->nelems) {
			s = t;
		} else if (kept) {
			spanlist_push(spans(c, Full, Swept, sg), t);
		}
	}
	if (s != NULL) {
		s->incache = true;
	}
	spin_unlock(&c->lock);
	if (s == NULL) {
		s = mcentral_grow(c);
		if (s == NULL) {
			return NULL;
		}
	}
	// Go: allocCache covers the 64 slots from freeindex &^ 63; shift it
	// so that bit 0 is freeindex's.
	uint16_t freebytebase = s->freeindex & ~63;
	mspan_refillalloccache(s, freebytebase / 8);
	s->allocCache >>= s->freeindex % 64;
	return s;
}

// mcentral_uncachespan: s, swept, comes back from an mcache (Go's
// mcentral.uncacheSpan), or from the sweep (mgcsweep.c).
void
mcentral_uncachespan(struct mcentral *c, struct mspan *s)
{
	uint32_t sg = atomic_load_relaxed(&mheap_.sweepgen); // relaxed: as in cachespan
	spin_lock(&c->lock);
	s->incache = false;
	spanlist_push(spans(c, s->allocCount < s->nelems ? Partial : Full, Swept, sg), s);
	spin_unlock(&c->lock);
}

// mcentral_unlist: s, which the caller claimed to sweep, off c's unswept
// list (the worker's sweep, mgcsweep.c).
void
mcentral_unlist(struct mcentral *c, struct mspan *s)
{
	uint32_t sg = atomic_load_relaxed(&mheap_.sweepgen); // relaxed: as in cachespan
	spin_lock(&c->lock);
	// On one of the two: every span needing a sweep is on an unswept
	// list, and only its claimer takes it off. The list matters only if
	// s is its head.
	struct mspan **list = spans(c, Partial, Unswept, sg);
	if (s->prev == NULL && *list != s) {
		list = spans(c, Full, Unswept, sg);
	}
	spanlist_remove(list, s);
	spin_unlock(&c->lock);
}

// A new span of c's class from the heap, held by the caller's mcache.
static struct mspan *
mcentral_grow(struct mcentral *c)
{
	int sizeclass = spanclass_sizeclass(c->spanclass);
	bool needzero;
	struct mspan *s = mheap_alloc(&mheap_, class_to_allocnpages[sizeclass], c->spanclass, &needzero);
	if (s == NULL) {
		return NULL;
	}
	s->needzero = needzero;
	s->incache = true;
	spin_lock(&c->lock);
	c->nspans++;
	spin_unlock(&c->lock);
	return s;
}

static void
spanlist_remove(struct mspan **list, struct mspan *s)
{
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		*list = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	s->next = s->prev = NULL;
}

static void
spanlist_push(struct mspan **list, struct mspan *s)
{
	s->prev = NULL;
	s->next = *list;
	if (*list != NULL) {
		(*list)->prev = s;
	}
	*list = s;
}
