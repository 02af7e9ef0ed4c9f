// mcentral.c: the spans of one span class that no mcache holds (Go's
// mcentral.go): partial ones, with a free slot, for the next mcache that
// needs one; full ones, for the collector's sweep to find. See malloc.h
// for an overview.
//
// Lock order: an mcentral's lock, then mheap_.lock (mcentral_grow takes
// the heap's after dropping its own, as Go's does).

#include "runtime/malloc.h"

static struct mspan *mcentral_grow(struct mcentral *c);
static void spanlist_remove(struct mspan **list, struct mspan *s);
static void spanlist_push(struct mspan **list, struct mspan *s);

void
mcentral_init(struct mcentral *c, uint8_t spanclass)
{
	spin_init(&c->lock, "mcentral", LOCK_MCENTRAL);
	c->spanclass = spanclass;
}

// mcentral_cachespan: a span with a free slot for an mcache, its
// allocCache loaded at freeindex; NULL if the heap has no more memory (Go's
// mcentral.cacheSpan). Runs on g0.
struct mspan *
mcentral_cachespan(struct mcentral *c)
{
	spin_lock(&c->lock);
	struct mspan *s = c->partial;
	if (s != NULL) {
		spanlist_remove(&c->partial, s);
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

// mcentral_uncachespan: s comes back from an mcache (Go's
// mcentral.uncacheSpan), or from the sweep (mgcsweep.c).
void
mcentral_uncachespan(struct mcentral *c, struct mspan *s)
{
	spin_lock(&c->lock);
	s->incache = false;
	if (s->allocCount < s->nelems) {
		spanlist_push(&c->partial, s);
	} else {
		spanlist_push(&c->full, s);
	}
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
