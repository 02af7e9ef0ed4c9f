// map.c: sync.Map (Go's sync/map.go as it was from Go 1.9 to 1.23: a
// read-only map and a dirty one; Go 1.24 moved to a hash trie), a map
// safe for concurrent use whose loads, stores of keys already there and
// deletes take no lock:
//
//	m.read  -> readOnly{ m: key -> *entry, amended }   read without mu
//	m.dirty -> key -> *entry                           under mu
//	entry.p -> a box holding the value | NULL (deleted) | expunged
//
// read holds the keys that were there when it was made (a hood map that is
// never written after it is published, so any number of goroutines read
// it at once); the values live in entries that both maps share, changed
// by atomic swaps of their p. A key new since read was made is only in
// dirty (read.amended says some are), and reaching it takes mu and counts
// a miss; after as many misses as dirty has keys, dirty becomes read
// (Go's missLocked) and the next new key copies read's live entries into a
// new dirty. A deleted entry's p is NULL; when dirty is made, a NULL entry
// becomes expunged and stays out of dirty, so that a later Store of its
// key knows to put it back there (unexpungeLocked).
//
// The cases Go's Map is for, and so this one: keys written once and read
// many times, or goroutines that keep to keys of their own. Otherwise a
// plain map under a Mutex is simpler and as fast.

#include <string.h>

#include "lib/atomic.h"
#include "runtime/sema.h"

struct readOnly {
	struct hmap *m; // key -> struct entry *; never written once published
	bool amended;   // dirty holds keys that m lacks
};

struct entry {
	// Atomic: a struct box *, or NULL (deleted), or expunged (deleted,
	// and not in dirty). Go's entry.p.
	void *p;
};

// A value as Go's Map holds it: boxed, so that a NULL value is a value
// and a NULL p means deleted.
struct box {
	void *v;
};

static char expungedmark;
#define expunged ((void *)&expungedmark)

static const struct readOnly emptyReadOnly;

static const struct readOnly *
loadReadOnly(struct sync_map *m)
{
	// Load-acquire: pairs with the store-releases of read below, so the
	// readOnly and its map are seen whole.
	const struct readOnly *r = atomic_load_acq(&m->read);
	return r != NULL ? r : &emptyReadOnly;
}

static void
storeReadOnly(struct sync_map *m, struct hmap *hm, bool amended)
{
	struct readOnly *r = new(struct readOnly);
	*r = (struct readOnly){hm, amended};
	// Store-release: pairs with loadReadOnly's load-acquire.
	atomic_store_rel(&m->read, r);
}

static struct entry *
lookup(struct hmap *hm, const void *key)
{
	bool ok;
	struct entry *const *e = map_access2(hm, key, &ok);
	return ok ? *e : NULL;
}

static struct box *
newbox(void *v)
{
	struct box *b = new(struct box);
	b->v = v;
	return b;
}

static struct entry *
newentry(struct box *b)
{
	struct entry *e = new(struct entry);
	e->p = b; // not yet shared: the map's insert under mu publishes it
	return e;
}

// The entry's value, if it has one (Go's entry.load). Load-acquire of p:
// pairs with the CASes and exchanges that stored it, so the box is seen
// whole.
static bool
entryload(struct entry *e, void **v)
{
	void *p = atomic_load_acq(&e->p);
	if (p == NULL || p == expunged) {
		return false;
	}
	*v = ((struct box *)p)->v;
	return true;
}

// Swap in box b unless the entry is expunged (Go's trySwap): the old box,
// NULL if it was deleted, via *old; false if expunged.
static bool
tryswap(struct entry *e, struct box *b, void **old)
{
	// Relaxed load: the CAS checks it. The CAS acq_rel: pairs with
	// entryload's load-acquire (release of b) and with the store that
	// put the old box (acquire of it).
	void *p = atomic_load_relaxed(&e->p);
	for (;;) {
		if (p == expunged) {
			return false;
		}
		void *seen = atomic_casv_acqrel(&e->p, p, b);
		if (seen == p) {
			*old = p;
			return true;
		}
		p = seen;
	}
}

// Under mu: an expunged entry becomes deleted again, and the caller puts
// it back into dirty (Go's unexpungeLocked). Acq_rel: pairs as tryswap's.
static bool
unexpungeLocked(struct entry *e)
{
	return atomic_cas_acqrel(&e->p, expunged, NULL);
}

// Under mu: a deleted entry becomes expunged as dirty is made without it
// (Go's tryExpungeLocked). Acq_rel: pairs as tryswap's.
static bool
tryExpungeLocked(struct entry *e)
{
	void *p = atomic_load_relaxed(&e->p); // relaxed: the CAS checks it
	while (p == NULL) {
		void *seen = atomic_casv_acqrel(&e->p, NULL, expunged);
		if (seen == NULL) {
			return true;
		}
		p = seen;
	}
	return p == expunged;
}

// Under mu: make dirty from read's live entries, if there is none (Go's
// dirtyLocked).
static void
dirtyLocked(struct sync_map *m)
{
	if (m->dirty != NULL) {
		return;
	}
	const struct readOnly *r = loadReadOnly(m);
	m->dirty = map_make(&m->t, map_len(r->m));
	struct hiter it;
	for (map_range(r->m, &it); it.key != NULL; map_next(&it)) {
		struct entry *e = *(struct entry **)it.elem;
		if (!tryExpungeLocked(e)) {
			*(struct entry **)map_assign(m->dirty, it.key) = e;
		}
	}
}

// Under mu: a lookup that read could not answer (Go's missLocked). Once
// the misses pay for a copy, dirty becomes read.
static void
missLocked(struct sync_map *m)
{
	m->misses++;
	if (m->misses < map_len(m->dirty)) {
		return;
	}
	storeReadOnly(m, m->dirty, false);
	m->dirty = NULL;
	m->misses = 0;
}

// The key's entry: read's, or, if read may lack it, dirty's under mu
// (counted as a miss). Go's Load and LoadAndDelete's lookups.
static struct entry *
entryfor(struct sync_map *m, const void *key, bool deleting)
{
	const struct readOnly *r = loadReadOnly(m);
	struct entry *e = lookup(r->m, key);
	if (e != NULL || !r->amended) {
		return e;
	}
	sync_mutex_lock(&m->mu);
	r = loadReadOnly(m); // again: dirty may have become read meanwhile
	e = lookup(r->m, key);
	if (e == NULL && r->amended) {
		e = lookup(m->dirty, key);
		if (deleting) {
			map_delete(m->dirty, key);
		}
		missLocked(m);
	}
	sync_mutex_unlock(&m->mu);
	return e;
}

void *
sync_map_load(struct sync_map *m, const void *key, bool *ok)
{
	struct entry *e = entryfor(m, key, false);
	void *v = NULL;
	bool found = e != NULL && entryload(e, &v);
	if (ok != NULL) {
		*ok = found;
	}
	return found ? v : NULL;
}

void *
sync_map_swap(struct sync_map *m, const void *key, void *value, bool *loaded)
{
	struct box *b = newbox(value);
	void *old = NULL;
	const struct readOnly *r = loadReadOnly(m);
	struct entry *e = lookup(r->m, key);
	if (e == NULL || !tryswap(e, b, &old)) {
		sync_mutex_lock(&m->mu);
		r = loadReadOnly(m);
		e = lookup(r->m, key);
		if (e != NULL) {
			if (unexpungeLocked(e)) {
				// Expunged: not in dirty, which does exist (it was
				// made without this entry); put it back.
				*(struct entry **)map_assign(m->dirty, key) = e;
			}
			// Acq_rel: pairs as tryswap's.
			old = atomic_xchg_acqrel(&e->p, b);
		} else if ((e = lookup(m->dirty, key)) != NULL) {
			old = atomic_xchg_acqrel(&e->p, b); // acq_rel: pairs as tryswap's
		} else {
			if (!r->amended) {
				// The first new key since read was made.
				dirtyLocked(m);
				storeReadOnly(m, r->m, true);
			}
			*(struct entry **)map_assign(m->dirty, key) = newentry(b);
		}
		sync_mutex_unlock(&m->mu);
	}
	bool had = old != NULL && old != expunged;
	if (loaded != NULL) {
		*loaded = had;
	}
	return had ? ((struct box *)old)->v : NULL;
}

void
sync_map_store(struct sync_map *m, const void *key, void *value)
{
	sync_map_swap(m, key, value, NULL);
}

// Go's tryLoadOrStore: the value if the entry has one (*loaded), or value
// stored; false if expunged.
static bool
tryloadorstore(struct entry *e, void *value, void **actual, bool *loaded)
{
	void *p = atomic_load_acq(&e->p); // load-acquire: pairs as entryload's
	if (p == expunged) {
		return false;
	}
	if (p != NULL) {
		*actual = ((struct box *)p)->v;
		*loaded = true;
		return true;
	}
	struct box *b = newbox(value);
	for (;;) {
		// Acq_rel: pairs as tryswap's.
		void *seen = atomic_casv_acqrel(&e->p, NULL, b);
		if (seen == NULL) {
			*actual = value;
			*loaded = false;
			return true;
		}
		if (seen == expunged) {
			return false;
		}
		*actual = ((struct box *)seen)->v;
		*loaded = true;
		return true;
	}
}

void *
sync_map_loadorstore(struct sync_map *m, const void *key, void *value, bool *loaded)
{
	void *actual;
	bool had;
	const struct readOnly *r = loadReadOnly(m);
	struct entry *e = lookup(r->m, key);
	if (e != NULL && tryloadorstore(e, value, &actual, &had)) {
		if (loaded != NULL) {
			*loaded = had;
		}
		return actual;
	}
	sync_mutex_lock(&m->mu);
	r = loadReadOnly(m);
	e = lookup(r->m, key);
	if (e != NULL) {
		if (unexpungeLocked(e)) {
			*(struct entry **)map_assign(m->dirty, key) = e;
		}
		tryloadorstore(e, value, &actual, &had);
	} else if ((e = lookup(m->dirty, key)) != NULL) {
		tryloadorstore(e, value, &actual, &had);
		missLocked(m);
	} else {
		if (!r->amended) {
			dirtyLocked(m);
			storeReadOnly(m, r->m, true);
		}
		*(struct entry **)map_assign(m->dirty, key) = newentry(newbox(value));
		actual = value;
		had = false;
	}
	sync_mutex_unlock(&m->mu);
	if (loaded != NULL) {
		*loaded = had;
	}
	return actual;
}

void *
sync_map_loadanddelete(struct sync_map *m, const void *key, bool *loaded)
{
	struct entry *e = entryfor(m, key, true);
	void *v = NULL;
	bool had = false;
	if (e != NULL) {
		// Go's entry.delete: take the box, unless deleted already.
		void *p = atomic_load_relaxed(&e->p); // relaxed: the CAS checks it
		while (p != NULL && p != expunged) {
			// Acq_rel: pairs as tryswap's.
			void *seen = atomic_casv_acqrel(&e->p, p, NULL);
			if (seen == p) {
				v = ((struct box *)p)->v;
				had = true;
				break;
			}
			p = seen;
		}
	}
	if (loaded != NULL) {
		*loaded = had;
	}
	return v;
}

void
sync_map_delete(struct sync_map *m, const void *key)
{
	sync_map_loadanddelete(m, key, NULL);
}

// Swap old for new if the entry's value is old (Go's
// tryCompareAndSwap: values compare as pointers).
static bool
trycompareandswap(struct entry *e, void *old, void *x)
{
	void *p = atomic_load_acq(&e->p); // load-acquire: pairs as entryload's
	if (p == NULL || p == expunged || ((struct box *)p)->v != old) {
		return false;
	}
	struct box *b = newbox(x);
	for (;;) {
		// Acq_rel: pairs as tryswap's.
		void *seen = atomic_casv_acqrel(&e->p, p, b);
		if (seen == p) {
			return true;
		}
		p = seen;
		if (p == NULL || p == expunged || ((struct box *)p)->v != old) {
			return false;
		}
	}
}

bool
sync_map_compareandswap(struct sync_map *m, const void *key, void *old, void *x)
{
	const struct readOnly *r = loadReadOnly(m);
	struct entry *e = lookup(r->m, key);
	if (e != NULL) {
		return trycompareandswap(e, old, x);
	}
	if (!r->amended) {
		return false; // no such key
	}
	sync_mutex_lock(&m->mu);
	r = loadReadOnly(m);
	bool swapped = false;
	if ((e = lookup(r->m, key)) != NULL) {
		swapped = trycompareandswap(e, old, x);
	} else if ((e = lookup(m->dirty, key)) != NULL) {
		swapped = trycompareandswap(e, old, x);
		missLocked(m);
	}
	sync_mutex_unlock(&m->mu);
	return swapped;
}

bool
sync_map_compareanddelete(struct sync_map *m, const void *key, void *old)
{
	struct entry *e = entryfor(m, key, false);
	if (e == NULL) {
		return false;
	}
	void *p = atomic_load_acq(&e->p); // load-acquire: pairs as entryload's
	while (p != NULL && p != expunged && ((struct box *)p)->v == old) {
		// Acq_rel: pairs as tryswap's.
		void *seen = atomic_casv_acqrel(&e->p, p, NULL);
		if (seen == p) {
			return true;
		}
		p = seen;
	}
	return false;
}

void
sync_map_range(struct sync_map *m, bool (*f)(const void *key, void *value, void *arg), void *arg)
{
	// A range over read, made current first: the new keys in dirty are
	// promoted (a range costs as much as the misses that would).
	const struct readOnly *r = loadReadOnly(m);
	if (r->amended) {
		sync_mutex_lock(&m->mu);
		r = loadReadOnly(m);
		if (r->amended) {
			storeReadOnly(m, m->dirty, false);
			r = loadReadOnly(m);
			m->dirty = NULL;
			m->misses = 0;
		}
		sync_mutex_unlock(&m->mu);
	}
	struct hiter it;
	for (map_range(r->m, &it); it.key != NULL; map_next(&it)) {
		void *v;
		if (entryload(*(struct entry **)it.elem, &v) && !f(it.key, v, arg)) {
			break;
		}
	}
}

void
sync_map_clear(struct sync_map *m)
{
	const struct readOnly *r = loadReadOnly(m);
	if (map_len(r->m) == 0 && !r->amended) {
		return;
	}
	sync_mutex_lock(&m->mu);
	r = loadReadOnly(m);
	if (map_len(r->m) > 0 || r->amended) {
		storeReadOnly(m, NULL, false);
	}
	m->dirty = NULL;
	m->misses = 0;
	sync_mutex_unlock(&m->mu);
}
