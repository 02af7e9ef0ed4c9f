// map_test.c: maps (runtime/map.c, map_fast.c, alg.c) as a Go program
// uses them, through hood.h, and from inside, through map.h: a
// model-checked random test of every key kind and call path, mirrored
// against a reference after each step, through growths, same-size growth,
// clears and ranges that insert and delete; ranges that start at random;
// NaN-like keys; string keys copied; values kept alive, and noscan maps'
// overflow buckets too, across collections; the hash functions' spread;
// a word count; and Go's errors, each fatal one in a crash test of its
// own. Both ports.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/map.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// A test's random numbers: xorshift64*, seeded by the test (and logged
// where a failure would need the seed).
struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t
rng_n(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

// ---- the map's invariants, from inside ----------------------------------------------------

// Check map.h's invariants of h with no write in progress: the full cells
// of the buckets and of the old buckets not evacuated are count; after an
// EmptyRest, a chain has only EmptyRest cells; an old bucket is evacuated
// whole or not at all, and every one below nevacuate is. Returns false,
// having said why, if one does not hold.
static bool
checkinvariants(struct T *t, struct hmap *h)
{
	if (h == NULL || h->buckets == NULL) {
		return true;
	}
	long full = 0;
	for (uint64_t j = 0; j <= bucketMask(h->B); j++) {
		bool rest = false;
		for (struct bmap *b = bucketat(h, h->buckets, j); b != NULL; b = bmap_overflow(h, b)) {
			for (int i = 0; i < BucketCnt; i++) {
				uint8_t top = b->tophash[i];
				if (rest && top != EmptyRest) {
					t_errorf(t, "bucket %lu: cell %d is %u after an EmptyRest",
						 (unsigned long)j, i, top);
					return false;
				}
				rest = top == EmptyRest;
				if (top >= MinTopHash) {
					full++;
				} else if (top != EmptyRest && top != EmptyOne) {
					t_errorf(t, "bucket %lu: cell %d is %u in the new array",
						 (unsigned long)j, i, top);
					return false;
				}
			}
		}
	}
	if (h->oldbuckets != NULL) {
		uint64_t nold = hmap_noldbuckets(h);
		if (h->nevacuate >= nold) {
			t_errorf(t, "growing with nevacuate %lu of %lu", (unsigned long)h->nevacuate,
				 (unsigned long)nold);
			return false;
		}
		for (uint64_t j = 0; j < nold; j++) {
			struct bmap *ob = bucketat(h, h->oldbuckets, j);
			bool ev = evacuated(ob);
			if (j < h->nevacuate && !ev) {
				t_errorf(t, "old bucket %lu below nevacuate %lu is not evacuated",
					 (unsigned long)j, (unsigned long)h->nevacuate);
				return false;
			}
			for (struct bmap *b = ob; b != NULL; b = bmap_overflow(h, b)) {
				for (int i = 0; i < BucketCnt; i++) {
					uint8_t top = b->tophash[i];
					bool cellev = top > EmptyOne && top < MinTopHash;
					if (cellev != ev) {
						t_errorf(t,
							 "old bucket %lu: cell %d is %u, the bucket %s "
							 "evacuated",
							 (unsigned long)j, i, top, ev ? "is" : "is not");
						return false;
					}
					full += top >= MinTopHash;
				}
			}
		}
	}
	if (full != h->count) {
		t_errorf(t, "%ld full cells, count %ld", full, h->count);
		return false;
	}
	return true;
}

// ---- the model ---------------------------------------------------------------------------------

// How a model test reaches the map: hood.h's calls (which take the fast
// paths for their keys), the fast paths by name, or map.c's generic
// functions even where a fast path exists.
enum { ApiPublic, ApiFast, ApiGeneric };

struct modelcfg {
	const char *name;
	int kind;
	size_t keysize, valsize, keyalign, valalign;
	bool noscan, aes;
	int api;
	long universe; // key ids 0 .. universe-1
	uint64_t (*hash)(const void *key, uint64_t seed);
	bool (*equal)(const void *a, const void *b);
};

// Every key of a model test is made from its id (keyof) and gives it back
// (idof): an integer spreads the id over its halves; a string is the id
// in 5 digits and 0 to 66 letters, so that its length reaches each of the
// hashes' paths; memory keys hold the id and bytes made from it; a
// MapKeyFunc key is the id and a word its equal ignores (so an assign
// shows whether the key was updated); a pointer key points to an object
// that holds its id.
struct funckey {
	uint64_t id;
	uint64_t ignored;
};

static struct gostring *modelstrings; // the string keys, by id
static uint64_t **modelptrs;          // the pointer keys' objects, by id

static uint64_t
funckey_hash(const void *key, uint64_t seed)
{
	return map_memhash(&((const struct funckey *)key)->id, 8, seed);
}

// All keys in 7 buckets (and 7 tophashes), whatever the seed: long
// chains, many overflow buckets.
static uint64_t
funckey_collide(const void *key, uint64_t seed)
{
	(void)seed;
	return ((const struct funckey *)key)->id % 7 * 0x2492492492492493ULL;
}

static bool
funckey_equal(const void *a, const void *b)
{
	return ((const struct funckey *)a)->id == ((const struct funckey *)b)->id;
}

static void
keyof(const struct modelcfg *c, long id, void *buf)
{
	uint64_t u = (uint64_t)id;
	switch (c->kind) {
	case MapKeyInt32:
		*(uint32_t *)buf = (uint32_t)(u << 16 | u);
		break;
	case MapKeyInt64:
		*(uint64_t *)buf = u << 40 | u << 20 | u;
		break;
	case MapKeyPtr:
		*(uint64_t **)buf = modelptrs[id];
		break;
	case MapKeyString:
		*(struct gostring *)buf = modelstrings[id];
		break;
	case MapKeyFunc:
		*(struct funckey *)buf = (struct funckey){u, 0};
		break;
	default: // MapKeyMem: the id's low 3 bytes first, then bytes from it
		for (size_t j = 0; j < c->keysize; j++) {
			((uint8_t *)buf)[j] = j < 3 ? (uint8_t)(u >> (8 * j)) : (uint8_t)(u * 7 + j);
		}
	}
}

static long
idof(const struct modelcfg *c, const void *key)
{
	switch (c->kind) {
	case MapKeyInt32:
		return *(const uint32_t *)key & 0xffff;
	case MapKeyInt64:
		return *(const uint64_t *)key & 0xfffff;
	case MapKeyPtr:
		return (long)**(uint64_t *const *)key;
	case MapKeyString: {
		const struct gostring *s = key;
		long id = 0;
		for (int j = 0; j < 5; j++) {
			id = id * 10 + (s->str[j] - '0');
		}
		return id;
	}
	case MapKeyFunc:
		return (long)((const struct funckey *)key)->id;
	default: {
		const uint8_t *b = key;
		return b[0] | (long)b[1] << 8 | (long)b[2] << 16;
	}
	}
}

// A value's bytes, from its number.
static void
valof(size_t size, uint64_t v, void *buf)
{
	for (size_t j = 0; j < size; j++) {
		((uint8_t *)buf)[j] = (uint8_t)(v >> (8 * (j % 8))) ^ (uint8_t)(j * 13);
	}
}

static bool
valis(size_t size, uint64_t v, const void *p)
{
	uint8_t want[256];
	valof(size, v, want);
	return memcmp(p, want, size) == 0;
}

// The reference: which ids are in the map, and their values' numbers.
struct model {
	const struct modelcfg *c;
	struct T *t;
	struct hmap *h;
	struct rng r;
	bool *present;
	uint64_t *val;
	long n;        // ids present
	uint64_t next; // the next value's number
	long steps, ranges, growths, samesize, clears;
	bool failed;
	uint64_t scratch[32]; // a key's bytes (256: the largest key)
};

// The map's calls, by the configuration's api.
static void *
m_assign(struct model *md, const void *key)
{
	const struct modelcfg *c = md->c;
	if (c->api == ApiGeneric) {
		return mapassign(md->h, key);
	}
	if (c->api == ApiFast) {
		return c->kind == MapKeyString ? map_assign_faststr(md->h, *(const struct gostring *)key)
					       : map_assign_fast64(md->h, *(const uint64_t *)key);
	}
	return map_assign(md->h, key);
}

static const void *
m_access2(struct model *md, const void *key, bool *ok)
{
	const struct modelcfg *c = md->c;
	if (c->api == ApiGeneric) {
		return mapaccess2(md->h, key, ok);
	}
	if (c->api == ApiFast) {
		return c->kind == MapKeyString ? map_access2_faststr(md->h, *(const struct gostring *)key, ok)
					       : map_access2_fast64(md->h, *(const uint64_t *)key, ok);
	}
	return map_access2(md->h, key, ok);
}

static const void *
m_access1(struct model *md, const void *key)
{
	const struct modelcfg *c = md->c;
	if (c->api == ApiGeneric) {
		return mapaccess1(md->h, key);
	}
	if (c->api == ApiFast) {
		return c->kind == MapKeyString ? map_access1_faststr(md->h, *(const struct gostring *)key)
					       : map_access1_fast64(md->h, *(const uint64_t *)key);
	}
	return map_access1(md->h, key);
}

static void
m_delete(struct model *md, const void *key)
{
	const struct modelcfg *c = md->c;
	if (c->api == ApiGeneric) {
		mapdelete(md->h, key);
	} else if (c->api == ApiFast) {
		if (c->kind == MapKeyString) {
			map_delete_faststr(md->h, *(const struct gostring *)key);
		} else {
			map_delete_fast64(md->h, *(const uint64_t *)key);
		}
	} else {
		map_delete(md->h, key);
	}
}

static void
model_fail(struct model *md, const char *what, long id)
{
	if (!md->failed) {
		t_errorf(md->t, "%s: step %ld: %s (key %ld; %ld keys, B %u, %s)", md->c->name, md->steps,
			 what, id, md->n, md->h->B, md->h->oldbuckets != NULL ? "growing" : "not growing");
	}
	md->failed = true;
}

// Check id against the reference: found with its value, or not found
// (both accesses).
static void
model_checkid(struct model *md, long id)
{
	keyof(md->c, id, md->scratch);
	bool ok;
	const void *v = m_access2(md, md->scratch, &ok);
	if (ok != md->present[id]) {
		model_fail(md, ok ? "found a deleted key" : "lost a key", id);
		return;
	}
	const void *v1 = m_access1(md, md->scratch);
	if (ok && (v != v1 || !valis(md->c->valsize, md->val[id], v))) {
		model_fail(md, "a key's value is wrong", id);
	}
	static const uint8_t zeros[256];
	if (!ok && (v == NULL || v1 == NULL || memcmp(v, zeros, md->c->valsize) != 0 ||
		    memcmp(v1, zeros, md->c->valsize) != 0)) {
		model_fail(md, "a missing key does not read as the zero value", id);
	}
}

static void
model_insert(struct model *md, long id)
{
	uint64_t v = md->next++;
	keyof(md->c, id, md->scratch);
	if (md->c->kind == MapKeyString) {
		// From a buffer that is scribbled over after: the map has its own copy.
		static char buf[128];
		struct gostring *s = (struct gostring *)md->scratch;
		memcpy(buf, s->str, s->len);
		s->str = buf;
		void *cell = m_assign(md, md->scratch);
		valof(md->c->valsize, v, cell);
		memset(buf, 'X', sizeof buf);
	} else {
		if (md->c->kind == MapKeyFunc) {
			((struct funckey *)md->scratch)->ignored = v; // a new key, equal to the old
		}
		valof(md->c->valsize, v, m_assign(md, md->scratch));
	}
	md->n += !md->present[id];
	md->present[id] = true;
	md->val[id] = v;
}

static void
model_delete(struct model *md, long id)
{
	keyof(md->c, id, md->scratch);
	m_delete(md, md->scratch);
	md->n -= md->present[id];
	md->present[id] = false;
}

// A range over the whole map, checked: every key it produces is present,
// with its value, and produced once; every key present all along is
// produced. With mutate, the ranging goroutine inserts, deletes and
// updates keys meanwhile (inserts often enough to start a growth in the
// middle): a key deleted and not put back must not come after; a new key,
// or one deleted and put back (a new entry too), may come or not, a
// second time too (Go's spec: "If a map entry is created during
// iteration, that entry may be produced during the iteration or may be
// skipped").
static void
model_range(struct model *md, bool mutate)
{
	long u = md->c->universe;
	uint8_t *seen = newarraynoscan(uint8_t, u);    // produced
	uint8_t *touched = newarraynoscan(uint8_t, u); // deleted at some time during the range
	uint8_t *atstart = newarraynoscan(uint8_t, u);
	uint8_t *renewed = newarraynoscan(uint8_t, u); // deleted since it was produced: it may come again
	for (long id = 0; id < u; id++) {
		atstart[id] = md->present[id];
	}
	long produced = 0;
	struct hiter it;
	for (map_range(md->h, &it); it.key != NULL; map_next(&it)) {
		long id = idof(md->c, it.key);
		if (id < 0 || id >= u || (seen[id] && !renewed[id])) {
			model_fail(md,
				   id >= 0 && id < u ? "a range produced a key twice"
						     : "a range produced a bad key",
				   id);
			return;
		}
		seen[id] = 1;
		renewed[id] = 0;
		produced++;
		if (!md->present[id]) {
			model_fail(md, "a range produced a deleted key", id);
			return;
		}
		if (!valis(md->c->valsize, md->val[id], it.elem)) {
			model_fail(md, "a range gave a key's old value", id);
			return;
		}
		if (!mutate) {
			continue;
		}
		uint64_t op = rng_n(&md->r, 100);
		if (op < 20 && md->c->valsize > 0) {
			// m[k] = v for the key at hand, through the iterator.
			uint64_t v = md->next++;
			valof(md->c->valsize, v, it.elem);
			md->val[id] = v;
		} else if (op < 45) {
			long d = (long)rng_n(&md->r, u);
			touched[d] |= md->present[d];
			renewed[d] |= md->present[d] && seen[d];
			model_delete(md, d);
		} else if (op < 95) {
			model_insert(md, (long)rng_n(&md->r, u));
		}
	}
	for (long id = 0; id < u; id++) {
		if (atstart[id] && !touched[id] && !seen[id]) {
			model_fail(md, "a range missed a key present all along", id);
			return;
		}
	}
	if (!mutate && produced != md->n) {
		model_fail(md, "a range produced the wrong number of keys", produced);
	}
	md->ranges++;
}

// The whole check: every id, both accesses; len; a range; the
// invariants.
static void
model_checkall(struct model *md)
{
	for (long id = 0; id < md->c->universe && !md->failed; id++) {
		model_checkid(md, id);
	}
	if (!md->failed) {
		model_range(md, false);
	}
	if (!md->failed && !checkinvariants(md->t, md->h)) {
		model_fail(md, "the map's invariants do not hold", -1);
	}
}

// One random step, weighted by the phase: growing (mostly inserts),
// churning, shrinking (mostly deletes). Each step is checked: len, and
// the key it touched; the whole map at every change of the growth state
// and every 512 steps.
static void
model_step(struct model *md, int phase)
{
	static const int insertpct[] = {75, 50, 20};
	long u = md->c->universe;
	long id = (long)rng_n(&md->r, u);
	uint64_t op = rng_n(&md->r, 1000);
	bool wasgrowing = md->h->oldbuckets != NULL;
	uint8_t B = md->h->B;
	if (op < 2) {
		model_range(md, true);
	} else if (op < 3 && md->steps % 7 == 0 && md->steps > md->c->universe * 2) {
		// (Not in the first growing phase, which doubles the map from 1
		// bucket to its largest.)
		map_clear(md->h);
		memset(md->present, 0, u * sizeof *md->present);
		md->n = 0;
		md->clears++;
	} else if (op < 3 + (uint64_t)insertpct[phase] * 10) {
		model_insert(md, id);
	} else {
		model_delete(md, id);
	}
	if (map_len(md->h) != md->n) {
		model_fail(md, "len is wrong", map_len(md->h));
	}
	model_checkid(md, id);
	// A small map's growth may begin and end in one step: count the
	// doublings by B, and the same-size growths as they begin.
	bool growing = md->h->oldbuckets != NULL;
	md->growths += md->h->B - B;
	md->samesize += growing && !wasgrowing && md->h->B == B;
	if (growing != wasgrowing || md->steps % 512 == 0) {
		model_checkall(md);
	}
	md->steps++;
}

static void
modeltest(struct T *t, const struct modelcfg *c)
{
	// A configuration for AES-NI runs with the portable form where the
	// CPU has none (QEMU's default CPU).
	bool aes = c->aes && useaeshash;
	struct model *md = new (struct model);
	md->c = c;
	md->t = t;
	md->r.s = 0xcbf29ce484222325ULL; // FNV-1a of the name: the same steps on both ports
	for (const char *p = c->name; *p != '\0'; p++) {
		md->r.s = (md->r.s ^ (uint8_t)*p) * 0x100000001b3ULL;
	}
	md->present = newarraynoscan(bool, c->universe);
	md->val = newarraynoscan(uint64_t, c->universe);
	struct maptype mt = {c->keysize, c->valsize, c->keyalign, c->valalign,
			     c->kind,    c->noscan,  c->hash,     c->equal};
	md->h = makemap(&mt, 0, aes);
	// Each round's first phase doubles the map from one bucket to 2^B for
	// the universe; the long mode (the guest's 4-CPU run, under TCG) does
	// it twice.
	long rounds = testing_short ? 1 : 2, perphase = c->universe * 2;
	for (long round = 0; round < rounds && !md->failed; round++) {
		for (int phase = 0; phase < 3 && !md->failed; phase++) {
			for (long i = 0; i < perphase && !md->failed; i++) {
				model_step(md, phase);
			}
			if (c->noscan || c->kind == MapKeyString) {
				// The collector must keep what the map holds: its noscan
				// overflow buckets, its string copies. New garbage then
				// reuses whatever it freed.
				runtime_gc();
				for (int j = 0; j < 2000; j++) {
					memset(newarraynoscan(char, 64 + j % 512), 0xa5, 64 + j % 512);
				}
				model_checkall(md);
			}
		}
	}
	model_checkall(md);
	t_logf(t, "%s (%s): %ld steps, %ld ranges, %ld doublings, %ld same-size growths, %ld clears, B %u",
	       c->name, aes ? "AES-NI" : "portable hash", md->steps, md->ranges, md->growths, md->samesize,
	       md->clears, md->h->B);
	if (!md->failed && md->growths < 7) {
		t_errorf(t, "%s: only %ld doublings", c->name, md->growths);
	}
}

// The model's key tables, made once.
static void
modelkeys(void)
{
	static bool made;
	if (made) {
		return;
	}
	made = true;
	enum { Ids = 4096 };
	modelstrings = newarray(struct gostring, Ids);
	modelptrs = newarray(uint64_t *, Ids);
	for (long id = 0; id < Ids; id++) {
		long n = 5 + id % 67;
		char *s = newarraynoscan(char, n);
		for (long j = 0, v = id; j < 5; j++, v /= 10) {
			s[4 - j] = (char)('0' + v % 10);
		}
		for (long j = 5; j < n; j++) {
			s[j] = (char)('a' + (id + j) % 26);
		}
		modelstrings[id] = gostringn(s, (size_t)n);
		modelptrs[id] = new (uint64_t);
		*modelptrs[id] = (uint64_t)id;
	}
}

#define MODEL(name, ...)                                                                                     \
	TEST(name)                                                                                           \
	{                                                                                                    \
		static const struct modelcfg c = {#name, __VA_ARGS__};                                       \
		modelkeys();                                                                                 \
		modeltest(t, &c);                                                                            \
	}

// name: kind, keysize, valsize, keyalign, valalign, noscan, aes, api, universe[, hash, equal]
MODEL(TestMapModelInt64, MapKeyInt64, 8, 8, 8, 8, true, true, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelInt64FastScanFallback, MapKeyInt64, 8, 24, 8, 8, false, false, ApiFast, 3000, NULL, NULL)
MODEL(TestMapModelInt64Generic, MapKeyInt64, 8, 8, 8, 8, true, false, ApiGeneric, 3000, NULL, NULL)
MODEL(TestMapModelInt32, MapKeyInt32, 4, 4, 4, 4, false, true, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelPtr, MapKeyPtr, 8, 8, 8, 8, false, true, ApiFast, 3000, NULL, NULL)
MODEL(TestMapModelString, MapKeyString, 16, 8, 8, 8, true, true, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelStringFastFallback, MapKeyString, 16, 16, 8, 8, false, false, ApiFast, 3000, NULL, NULL)
MODEL(TestMapModelStringGeneric, MapKeyString, 16, 8, 8, 8, false, true, ApiGeneric, 3000, NULL, NULL)
MODEL(TestMapModelMem12, MapKeyMem, 12, 12, 4, 4, true, true, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelMem3Fallback, MapKeyMem, 3, 1, 1, 1, false, false, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelIndirectKey, MapKeyMem, 200, 8, 8, 8, false, true, ApiPublic, 2000, NULL, NULL)
MODEL(TestMapModelIndirectValue, MapKeyInt64, 8, 200, 8, 8, true, false, ApiPublic, 2000, NULL, NULL)
MODEL(TestMapModelAligned16Value, MapKeyInt64, 8, 16, 8, 16, false, true, ApiPublic, 2000, NULL, NULL)
MODEL(TestMapModelZeroSizeValue, MapKeyInt64, 8, 0, 8, 1, true, true, ApiPublic, 3000, NULL, NULL)
MODEL(TestMapModelFunc, MapKeyFunc, 16, 8, 8, 8, false, true, ApiPublic, 3000, funckey_hash, funckey_equal)
MODEL(TestMapModelFuncCollide, MapKeyFunc, 16, 8, 8, 8, true, false, ApiPublic, 1000, funckey_collide,
      funckey_equal)

// ---- basics ----------------------------------------------------------------------------------

TEST(TestMapBasics)
{
	struct hmap *m = make_map(int64_t, int64_t, MapKeyInt64, 0);
	for (int64_t i = 0; i < 100; i++) {
		map_setv(m, int64_t, int64_t, i, i * i);
	}
	if (map_len(m) != 100) {
		t_fatalf(t, "len %ld, want 100", map_len(m));
	}
	for (int64_t i = 0; i < 100; i++) {
		if (map_getv(m, int64_t, int64_t, i) != i * i) {
			t_fatalf(t, "m[%ld] = %ld, want %ld", (long)i, (long)map_getv(m, int64_t, int64_t, i),
				 (long)(i * i));
		}
	}
	int64_t k = 1000;
	bool ok = true;
	const int64_t *v = map_access2(m, &k, &ok);
	if (ok || v == NULL || *v != 0) {
		t_errorf(t, "a missing key: ok %d, value %ld", ok, v == NULL ? -1L : (long)*v);
	}
	map_deletev(m, int64_t, 5);
	map_deletev(m, int64_t, 5); // a missing key: nothing
	k = 5;
	if (map_len(m) != 99 || map_access2(m, &k, &ok) == NULL || ok) {
		t_errorf(t, "after delete(m, 5): len %ld, ok %d", map_len(m), ok);
	}
	k = 7;
	*(int64_t *)map_assign(m, &k) += 1; // m[7]++
	if (map_getv(m, int64_t, int64_t, 7) != 50) {
		t_errorf(t, "m[7]++ gave %ld, want 50", (long)map_getv(m, int64_t, int64_t, 7));
	}
	map_clear(m);
	if (map_len(m) != 0 || map_getv(m, int64_t, int64_t, 7) != 0) {
		t_errorf(t, "after clear: len %ld, m[7] %ld", map_len(m),
			 (long)map_getv(m, int64_t, int64_t, 7));
	}
	map_setv(m, int64_t, int64_t, 7, 1);
	if (map_len(m) != 1 || map_getv(m, int64_t, int64_t, 7) != 1) {
		t_errorf(t, "an insert after clear: len %ld", map_len(m));
	}
}

// A nil map reads as empty in every way; only an assign panics (below).
TEST(TestMapNilMapReads)
{
	struct hmap *m = NULL;
	int64_t k = 1;
	bool ok = true;
	const int64_t *v = map_access1(m, &k);
	if (v == NULL || *v != 0) {
		t_errorf(t, "map_access1 of a nil map: %p", (const void *)v);
	}
	if ((v = map_access2(m, &k, &ok)) == NULL || ok || *v != 0) {
		t_errorf(t, "map_access2 of a nil map: ok %d", ok);
	}
	if (*(const int64_t *)map_access1_fast64(m, 1) != 0 ||
	    map_access2_faststr(m, gostring("x"), &ok) == NULL || ok) {
		t_errorf(t, "the fast paths on a nil map");
	}
	struct big {
		char b[4000];
	};
	struct big z = map_getv(m, int64_t, struct big, 3);
	for (size_t i = 0; i < sizeof z.b; i++) {
		if (z.b[i] != 0) {
			t_fatalf(t, "map_getv of a 4000-byte value in a nil map: byte %zu is %d", i, z.b[i]);
		}
	}
	map_delete(m, &k);
	map_delete_fast64(m, 1);
	map_clear(m);
	if (map_len(m) != 0) {
		t_errorf(t, "len of a nil map %ld", map_len(m));
	}
	struct hiter it;
	map_range(m, &it);
	if (it.key != NULL) {
		t_errorf(t, "a range over a nil map produced a key");
	}
}

static void
catchpanic(void *arg)
{
	*(const char *volatile *)arg = runtime_recover();
}

// fn(arg)'s panic, recovered, or NULL if it returned.
static const char *
panicof(void (*fn)(void *), void *arg)
{
	const char *volatile msg = NULL;
	deferscope
	{
		defer(catchpanic, (void *)&msg);
		fn(arg);
	}
	return msg;
}

static void
assignnil(void *arg)
{
	int64_t k = 1;
	switch ((int)(uintptr_t)arg) {
	case 0:
		map_assign(NULL, &k);
		break;
	case 1:
		map_assign_fast64(NULL, 1);
		break;
	case 2:
		map_assign_faststr(NULL, gostring("k"));
		break;
	case 3:
		mapassign(NULL, &k);
		break;
	default:
		map_setv(NULL, int64_t, int64_t, 1, 2);
	}
}

// Go's run-time panic, recovered as any other, from every assign.
TEST(TestMapAssignToNilMapPanics)
{
	for (uintptr_t i = 0; i < 5; i++) {
		const char *msg = panicof(assignnil, (void *)i);
		if (msg == NULL || strcmp(msg, "assignment to entry in nil map") != 0) {
			t_errorf(t, "assign %lu to a nil map: recovered %s", (unsigned long)i,
				 msg == NULL ? "nothing" : msg);
		}
	}
}

CRASHTEST(TestMapAssignToNilMapUnrecovered, 2, "panic: assignment to entry in nil map")
{
	(void)t;
	struct hmap *volatile m = NULL;
	int64_t k = 1;
	*(int64_t *)map_assign(m, &k) = 2;
}

// A hint makes room at once: no growth until that many keys.
TEST(TestMapHintAvoidsGrowth)
{
	struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 10000);
	uint8_t B = m->B;
	for (int64_t i = 0; i < 10000; i++) {
		map_setv(m, int64_t, int64_t, i, i);
		if (m->oldbuckets != NULL || m->B != B) {
			t_fatalf(t, "a growth at key %ld of a hint of 10000 (B %u)", (long)i, B);
		}
	}
	if (make_map(int64_t, int64_t, MapKeyInt64, -5) == NULL) {
		t_errorf(t, "a negative hint");
	}
}

// Values up to 1 KiB read as the shared zeros when missing; larger ones
// as the map's own.
TEST(TestMapLargeValueZero)
{
	struct big {
		uint8_t b[3000];
	};
	struct hmap *m = make_map(int64_t, struct big, MapKeyInt64, 0);
	int64_t k = 1;
	struct big *v = map_assign(m, &k);
	memset(v->b, 7, sizeof v->b);
	k = 2;
	const struct big *z = map_access1(m, &k);
	for (size_t i = 0; i < sizeof z->b; i++) {
		if (z->b[i] != 0) {
			t_fatalf(t, "a missing 3000-byte value: byte %zu is %u", i, z->b[i]);
		}
	}
	k = 1;
	if (((const struct big *)map_access1(m, &k))->b[2999] != 7) {
		t_errorf(t, "the stored 3000-byte value changed");
	}
}

// A set: values of no size (map[int64]struct{}).
TEST(TestMapSet)
{
	struct nothing {
	};
	struct hmap *m = make_mapnoscan(int64_t, struct nothing, MapKeyInt64, 0);
	for (int64_t i = 0; i < 1000; i += 3) {
		map_assign(m, &i);
	}
	bool ok;
	for (int64_t i = 0; i < 1000; i++) {
		map_access2(m, &i, &ok);
		if (ok != (i % 3 == 0)) {
			t_fatalf(t, "%ld in the set: %d", (long)i, ok);
		}
	}
}

// The program's hash and equality: equal keys that differ (here, in
// case) replace the stored key on assign, as Go's float keys do.
struct ckey {
	char s[8];
};

static uint64_t
ckey_hash(const void *key, uint64_t seed)
{
	char low[8];
	for (int i = 0; i < 8; i++) {
		char c = ((const struct ckey *)key)->s[i];
		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return map_memhash(low, 8, seed);
}

static bool
ckey_equal(const void *a, const void *b)
{
	for (int i = 0; i < 8; i++) {
		char x = ((const struct ckey *)a)->s[i], y = ((const struct ckey *)b)->s[i];
		x = x >= 'A' && x <= 'Z' ? (char)(x - 'A' + 'a') : x;
		y = y >= 'A' && y <= 'Z' ? (char)(y - 'A' + 'a') : y;
		if (x != y) {
			return false;
		}
	}
	return true;
}

TEST(TestMapFuncKeyUpdated)
{
	struct hmap *m = make_mapfunc(struct ckey, int, ckey_hash, ckey_equal, 0);
	struct ckey a = {"abc"}, b = {"ABC"};
	*(int *)map_assign(m, &a) = 1;
	*(int *)map_assign(m, &b) = 2;
	struct hiter it;
	map_range(m, &it);
	if (map_len(m) != 1 || it.key == NULL || memcmp(((const struct ckey *)it.key)->s, "ABC", 4) != 0 ||
	    *(int *)it.elem != 2) {
		t_errorf(t, "len %ld, stored key %.8s", map_len(m),
			 it.key ? ((const struct ckey *)it.key)->s : "");
	}
}

// A string key's bytes are the map's: the caller's buffer may change.
TEST(TestMapStringKeyIsCopied)
{
	struct hmap *m = make_mapnoscan(struct gostring, int64_t, MapKeyString, 0);
	char buf[32];
	for (int i = 0; i < 100; i++) {
		snprintf(buf, sizeof buf, "key-%d", i);
		*(int64_t *)map_assign_faststr(m, gostring(buf)) = i;
		memset(buf, '#', sizeof buf);
	}
	for (int i = 0; i < 100; i++) {
		char other[32];
		snprintf(other, sizeof other, "key-%d", i);
		bool ok;
		const int64_t *v = map_access2_faststr(m, gostring(other), &ok);
		if (!ok || *v != i) {
			t_fatalf(t, "%s: ok %d", other, ok);
		}
	}
	struct hiter it;
	for (map_range(m, &it); it.key != NULL; map_next(&it)) {
		const struct gostring *k = it.key;
		if (k->str == buf || k->len < 5 || memcmp(k->str, "key-", 4) != 0) {
			t_fatalf(t, "a range's key %.*s is not the map's copy", (int)k->len, k->str);
		}
	}
}

// ---- ranges ------------------------------------------------------------------------------------

// The keys of a range, in its order, into keys.
static long
rangekeys(struct hmap *m, int64_t *keys, long max)
{
	long n = 0;
	struct hiter it;
	for (map_range(m, &it); it.key != NULL && n < max; map_next(&it)) {
		keys[n++] = *(const int64_t *)it.key;
	}
	return n;
}

// Every range starts at a random bucket and cell (Go's TestMapIterOrder):
// a map of 3 keys, whose one bucket gives 3 orders of 8 starts, comes
// out in another order within a few ranges; and ranges over a large map
// begin at many different keys.
TEST(TestMapRangeOrderDiffers)
{
	int64_t *a = newarraynoscan(int64_t, 1000), *b = newarraynoscan(int64_t, 1000);
	for (long n = 3; n <= 1000; n = n < 20 ? n + 1 : n * 3) {
		struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 0);
		for (int64_t i = 0; i < n; i++) {
			map_setv(m, int64_t, int64_t, i, i);
		}
		rangekeys(m, a, n);
		int tries = 0;
		while (tries < 200 && (rangekeys(m, b, n), memcmp(a, b, n * sizeof *a) == 0)) {
			tries++;
		}
		if (tries == 200) {
			t_errorf(t, "%ld keys: 200 ranges in the same order", n);
		}
	}
	struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 0);
	for (int64_t i = 0; i < 1000; i++) {
		map_setv(m, int64_t, int64_t, i, i);
	}
	int firsts = 0;
	bool seenfirst[1000] = {false};
	for (int r = 0; r < 20; r++) {
		rangekeys(m, a, 1);
		firsts += !seenfirst[a[0]];
		seenfirst[a[0]] = true;
	}
	if (firsts < 10) {
		t_errorf(t, "20 ranges over 1000 keys began at %d keys only", firsts);
	}
}

// for k := range m { delete(m, k) }: every key once, the map empty after.
TEST(TestMapDeleteEveryKeyInRange)
{
	struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 0);
	for (int64_t i = 0; i < 5000; i++) {
		map_setv(m, int64_t, int64_t, i, i);
	}
	uint8_t *seen = newarraynoscan(uint8_t, 5000);
	long n = 0;
	struct hiter it;
	for (map_range(m, &it); it.key != NULL; map_next(&it)) {
		int64_t k = *(const int64_t *)it.key;
		if (k < 0 || k >= 5000 || seen[k]++) {
			t_fatalf(t, "key %ld produced twice", (long)k);
		}
		n++;
		map_delete(m, it.key);
	}
	if (n != 5000 || map_len(m) != 0) {
		t_errorf(t, "%ld keys produced, %ld left", n, map_len(m));
	}
}

// A clear in the middle of a range ends it (Go 1.21's rule), and the map
// is usable after.
TEST(TestMapClearInRange)
{
	struct hmap *m = make_map(int64_t, int64_t, MapKeyInt64, 0);
	for (int64_t i = 0; i < 3000; i++) {
		map_setv(m, int64_t, int64_t, i, i);
	}
	for (int64_t i = 3000; i < 3300; i++) { // leave a growth in progress
		map_setv(m, int64_t, int64_t, i, i);
		if (m->oldbuckets != NULL) {
			break;
		}
	}
	long n = 0;
	struct hiter it;
	for (map_range(m, &it); it.key != NULL; map_next(&it)) {
		if (++n == 10) {
			map_clear(m);
		}
	}
	if (n != 10 || map_len(m) != 0) {
		t_errorf(t, "a range went on for %ld keys after a clear; len %ld", n - 10, map_len(m));
	}
	map_setv(m, int64_t, int64_t, 1, 1);
	if (map_len(m) != 1 || map_getv(m, int64_t, int64_t, 1) != 1 || !checkinvariants(t, m)) {
		t_errorf(t, "an insert after the clear");
	}
}

// ---- NaN-like keys -----------------------------------------------------------------------------

// Float keys with Go's equality: NaN is equal to nothing, itself
// included, and hashes at random (Go's f64hash); +0 and -0 are one key.
struct fkey {
	double f;
};

static uint64_t nancount; // Atomic

static uint64_t
fkey_hash(const void *key, uint64_t seed)
{
	double f = ((const struct fkey *)key)->f;
	if (f != f) {
		return (atomic_xadd_relaxed(&nancount, 1) * 0x9e3779b97f4a7c15ULL) ^ seed;
	}
	if (f == 0) {
		f = 0; // -0 hashes as +0
	}
	return map_memhash(&f, sizeof f, seed);
}

static bool
fkey_equal(const void *a, const void *b)
{
	return ((const struct fkey *)a)->f == ((const struct fkey *)b)->f;
}

TEST(TestMapNaNKeys)
{
	struct hmap *m = make_mapfunc(struct fkey, int64_t, fkey_hash, fkey_equal, 0);
	struct fkey nan = {__builtin_nan("")}, negzero = {-0.0}, zero = {0.0};
	for (int64_t i = 0; i < 100; i++) {
		*(int64_t *)map_assign(m, &nan) = i; // a new key each time
	}
	*(int64_t *)map_assign(m, &negzero) = -1;
	*(int64_t *)map_assign(m, &zero) = -2; // the same key: replaced, +0 now
	bool ok;
	map_access2(m, &nan, &ok);
	map_delete(m, &nan);
	if (map_len(m) != 101 || ok) {
		t_fatalf(t, "len %ld (want 101), NaN found %d", map_len(m), ok);
	}
	// A range during which the map doubles, more than once: each NaN
	// once (their values tell them apart), the zero key +0 with -2.
	uint8_t seen[100] = {0};
	long nans = 0, zeros = 0;
	struct hiter it;
	double more = 1;
	for (map_range(m, &it); it.key != NULL; map_next(&it)) {
		const struct fkey *k = it.key;
		int64_t v = *(int64_t *)it.elem;
		if (k->f != k->f) {
			if (v < 0 || v >= 100 || seen[v]++) {
				t_fatalf(t, "NaN %ld produced twice", (long)v);
			}
			nans++;
		} else if (k->f == 0) {
			zeros++;
			if (v != -2 || __builtin_signbit(k->f)) {
				t_errorf(t, "the zero key: value %ld, sign %d", (long)v,
					 __builtin_signbit(k->f) != 0);
			}
		}
		for (int j = 0; j < 20; j++, more++) {
			struct fkey f = {more};
			*(int64_t *)map_assign(m, &f) = 1000;
		}
	}
	if (nans != 100 || zeros != 1) {
		t_errorf(t, "a range produced %ld NaNs of 100, %ld zeros", nans, zeros);
	}
	if (!checkinvariants(t, m)) {
		t_errorf(t, "after growths with NaN keys");
	}
	map_clear(m);
	if (map_len(m) != 0) {
		t_errorf(t, "clear left %ld keys", map_len(m));
	}
}

// ---- same-size growth ----------------------------------------------------------------------

// Keys that go to the bucket they name (of 8), whatever the seed.
struct bkey {
	uint64_t bucket, id;
};

static uint64_t
bkey_hash(const void *key, uint64_t seed)
{
	(void)seed;
	const struct bkey *k = key;
	return (k->id * 0x9e3779b97f4a7c15ULL & ~0xffULL) | k->bucket;
}

static bool
bkey_equal(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	return x->bucket == y->bucket && x->id == y->id;
}

// Each of 7 buckets (of 8) gets 16 keys, so an overflow bucket, then
// loses 15; the 8th gets 9, an overflow bucket too. With as many overflow
// buckets as buckets, mostly empty, and the load far below 6.5, the next
// new key grows the map to the same size, which packs the chains again
// (Go's tooManyOverflowBuckets).
TEST(TestMapSameSizeGrowth)
{
	struct hmap *m = make_mapfunc(struct bkey, int64_t, bkey_hash, bkey_equal, 40);
	if (m->B != 3) {
		t_fatalf(t, "a hint of 40 gave B %u, want 3", m->B);
	}
	for (uint64_t j = 0; j < 8; j++) {
		for (uint64_t i = 0; i < (j < 7 ? 16 : 9); i++) {
			struct bkey k = {j, j * 16 + i};
			*(int64_t *)map_assign(m, &k) = (int64_t)(j * 16 + i);
		}
		for (uint64_t i = 1; i < 16 && j < 7; i++) {
			struct bkey k = {j, j * 16 + i};
			map_delete(m, &k);
		}
	}
	if (m->noverflow != 8 || m->oldbuckets != NULL || m->count != 16) {
		t_fatalf(t, "%u overflow buckets (want 8), %ld keys (want 16), growing %d", m->noverflow,
			 m->count, m->oldbuckets != NULL);
	}
	struct bkey k = {7, 1000};
	*(int64_t *)map_assign(m, &k) = 1000;
	if (m->oldbuckets == NULL || !(m->flags & SameSizeGrow) || m->B != 3) {
		t_fatalf(t, "no same-size growth: growing %d, flags %#x, B %u", m->oldbuckets != NULL,
			 m->flags, m->B);
	}
	for (int i = 0; i < 16 && m->oldbuckets != NULL; i++) {
		struct bkey u = {0, 0};
		*(int64_t *)map_assign(m, &u) = 0; // writes move the growth on
	}
	// Bucket 7's 10 keys need one overflow bucket; the others none now.
	if (m->oldbuckets != NULL || m->B != 3 || m->noverflow != 1 || !checkinvariants(t, m)) {
		t_fatalf(t, "after the growth: growing %d, B %u, %u overflow buckets (want 1)",
			 m->oldbuckets != NULL, m->B, m->noverflow);
	}
	for (uint64_t j = 0; j < 8; j++) {
		for (uint64_t i = 0; i < (j < 7 ? 1 : 9); i++) {
			struct bkey q = {j, j * 16 + i};
			bool ok;
			const int64_t *v = map_access2(m, &q, &ok);
			if (!ok || *v != (int64_t)(j * 16 + i) * (j != 0 || i != 0)) {
				t_errorf(t, "bucket %lu's key %lu lost", (unsigned long)j, (unsigned long)i);
			}
		}
	}
	if (map_len(m) != 17) {
		t_errorf(t, "len %ld, want 17", map_len(m));
	}
}

// ---- the collector -------------------------------------------------------------------------

struct valobj {
	uint64_t magic;
	uint64_t id;
};

static long finalized; // Atomic

static void
valfinalizer(void *p)
{
	(void)p;
	atomic_xadd_relaxed(&finalized, 1);
}

// A scan map keeps its values alive, through collections and growths;
// once deleted they are the collector's (most of them: a stale word
// anywhere may keep a few).
TEST(TestMapKeepsValuesAlive)
{
	enum { N = 5000 };
	struct hmap *m = make_map(int64_t, struct valobj *, MapKeyInt64, 0);
	atomic_store_relaxed(&finalized, 0);
	for (int64_t i = 0; i < N; i++) {
		struct valobj *o = new (struct valobj);
		o->magic = 0x5a5a5a5a;
		o->id = (uint64_t)i;
		runtime_setfinalizer(o, valfinalizer);
		*(struct valobj **)map_assign(m, &i) = o;
		if (i % 1000 == 0) {
			runtime_gc();
		}
	}
	for (int round = 0; round < 3; round++) {
		runtime_gc();
		for (int j = 0; j < 5000; j++) {
			memset(newarraynoscan(char, 48), 0xee, 48);
		}
	}
	for (int64_t i = 0; i < N; i++) {
		struct valobj *const *o = map_access1(m, &i);
		if (*o == NULL || (*o)->magic != 0x5a5a5a5a || (*o)->id != (uint64_t)i) {
			t_fatalf(t, "value %ld was freed while in the map", (long)i);
		}
	}
	if (atomic_load_relaxed(&finalized) != 0) {
		t_fatalf(t, "%ld values finalized while in the map", atomic_load_relaxed(&finalized));
	}
	map_clear(m);
	for (int round = 0; round < 20 && atomic_load_relaxed(&finalized) < N / 2; round++) {
		runtime_gc();
		time_sleep(10 * Millisecond); // the finalizer goroutine's turn
	}
	if (atomic_load_relaxed(&finalized) < N / 2) {
		t_errorf(t, "%ld of %d cleared values finalized", atomic_load_relaxed(&finalized), N);
	}
}

// ---- many readers ----------------------------------------------------------------------------

static struct hmap *sharedmap;
static struct waitgroup readerswg;
static long readerrors; // Atomic

static void
mapreader(void *arg)
{
	struct rng r = {(uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1};
	for (int round = 0; round < (testing_short ? 5 : 20); round++) {
		for (int i = 0; i < 2000; i++) {
			int64_t k = (int64_t)rng_n(&r, 20000);
			bool ok;
			const int64_t *v = map_access2(sharedmap, &k, &ok);
			if (ok != (k < 10000) || (ok && *v != k * 3)) {
				atomic_xadd_relaxed(&readerrors, 1);
			}
		}
		long n = 0;
		struct hiter it;
		for (map_range(sharedmap, &it); it.key != NULL; map_next(&it)) {
			n++;
		}
		if (n != 10000) {
			atomic_xadd_relaxed(&readerrors, 1);
		}
	}
	wg_done(&readerswg);
}

// Reads and ranges of one map from many goroutines at once are Go's
// legitimate use: no fatal error, right answers (and, under TSan, no
// report).
TEST(TestMapConcurrentReaders)
{
	sharedmap = make_map(int64_t, int64_t, MapKeyInt64, 0);
	for (int64_t i = 0; i < 10000; i++) {
		map_setv(sharedmap, int64_t, int64_t, i, i * 3);
	}
	atomic_store_relaxed(&readerrors, 0);
	wg_add(&readerswg, 8);
	for (uintptr_t i = 0; i < 8; i++) {
		go(mapreader, (void *)i);
	}
	wg_wait(&readerswg);
	if (atomic_load_relaxed(&readerrors) != 0) {
		t_errorf(t, "%ld wrong reads", atomic_load_relaxed(&readerrors));
	}
}

// ---- a word count --------------------------------------------------------------------------

// Go's word-frequency program: lines of words from a vocabulary (the
// first words far more often, as in text), read into one reused buffer,
// counted in a map of string to count; the counts are the generator's.
TEST(TestMapWordFrequency)
{
	enum { Vocab = 3000 };
	long nwords = testing_short ? 50000 : 200000;
	struct word {
		char s[16];
	} *vocab = newarraynoscan(struct word, Vocab);
	long *want = newarraynoscan(long, Vocab);
	for (int i = 0; i < Vocab; i++) {
		int n = snprintf(vocab[i].s, 16, "w%d", i * 7919 % 100000);
		for (int j = n; j < 3 + i % 11 && j < 15; j++) { // lengths 3 to 13
			vocab[i].s[j] = (char)('a' + (i + j) % 26);
			vocab[i].s[j + 1] = '\0';
		}
	}
	struct hmap *counts = make_mapnoscan(struct gostring, int64_t, MapKeyString, 0);
	struct rng r = {42};
	char line[256];
	long total = 0;
	while (total < nwords) {
		// A line: words and punctuation, up to 200 bytes.
		int len = 0;
		while (len < 200 && total < nwords) {
			int w = (int)rng_n(&r, rng_n(&r, Vocab) + 1);
			len += snprintf(line + len, sizeof line - len, "%s%s", vocab[w].s,
					rng_n(&r, 8) == 0 ? ", " : " ");
			want[w]++;
			total++;
		}
		// Count its words (for word := range strings.Fields(line) { counts[word]++ }).
		for (int i = 0; i < len;) {
			while (i < len && (line[i] == ' ' || line[i] == ',')) {
				i++;
			}
			int start = i;
			while (i < len && line[i] != ' ' && line[i] != ',') {
				i++;
			}
			if (i > start) {
				(*(int64_t *)map_assign_faststr(counts,
								gostringn(line + start, i - start)))++;
			}
		}
		memset(line, 0, sizeof line);
	}
	long distinct = 0, sum = 0;
	for (int i = 0; i < Vocab; i++) {
		distinct += want[i] != 0;
		int64_t got = *(const int64_t *)map_access1_faststr(counts, gostring(vocab[i].s));
		if (got != want[i]) {
			t_fatalf(t, "%s: counted %ld, want %ld", vocab[i].s, (long)got, want[i]);
		}
	}
	struct hiter it;
	for (map_range(counts, &it); it.key != NULL; map_next(&it)) {
		sum += *(int64_t *)it.elem;
	}
	if (map_len(counts) != distinct || sum != total) {
		t_errorf(t, "%ld words (want %ld), %ld counted (want %ld)", map_len(counts), distinct, sum,
			 total);
	}
}

// ---- the hash functions ----------------------------------------------------------------------

// The bits set in x (the kernel's image has no libgcc for the builtin).
static int
popcount(uint64_t x)
{
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)(x * 0x0101010101010101ULL >> 56);
}

// The hashes under test: the portable form always, AES-NI where the CPU
// has it.
static uint64_t
hashwith(bool aes, const void *p, uint64_t n, uint64_t seed)
{
	return aes ? aeshash(p, n, seed) : memhashfallback(p, n, seed);
}

// Flipping any bit of the input or of the seed flips about half the
// output bits (32 of 64 on average over 16 inputs, within 6 standard
// deviations), at every length the hashes treat apart, and for the word
// hashes; n zero bytes hash apart for every n; sequential keys fill the
// buckets and the tophashes evenly (a chi-square within 6 deviations).
// Each input is read from a block of exactly its size, which ASan checks.
TEST(TestMapHashSpread)
{
	static const int lens[] = {0,  1,  2,  3,  4,  5,  7,  8,  9,   15,  16, 17,
				   24, 31, 32, 33, 48, 63, 64, 65, 100, 129, 200};
	struct rng r = {7};
	t_logf(t, "AES-NI %s; keys from %s", useaeshash ? "yes" : "no", algseedsource);
	for (int form = 0; form < (useaeshash ? 2 : 1); form++) {
		bool aes = form == 1;
		const char *name = aes ? "aeshash" : "memhashfallback";
		for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
			int n = lens[li];
			uint8_t *buf = malloc(n > 0 ? n : 1);
			for (int bit = 0; bit < n * 8 + 64; bit++) {
				long flips = 0;
				for (int s = 0; s < 16; s++) {
					for (int j = 0; j < n; j++) {
						buf[j] = (uint8_t)rng_next(&r);
					}
					uint64_t seed = rng_next(&r), h1 = hashwith(aes, buf, n, seed);
					if (bit < n * 8) {
						buf[bit / 8] ^= (uint8_t)(1 << bit % 8);
					} else {
						seed ^= 1ULL << (bit - n * 8);
					}
					flips += popcount(h1 ^ hashwith(aes, buf, n, seed));
				}
				if (flips < 16 * 26 || flips > 16 * 38) {
					t_errorf(
						t,
						"%s of %d bytes: %s bit %d flips %.1f output bits on average",
						name, n, bit < n * 8 ? "input" : "seed",
						bit < n * 8 ? bit : bit - n * 8, flips / 16.0);
				}
			}
			free(buf);
		}
		uint8_t zeros[257] = {0};
		uint64_t seen[257];
		for (int n = 0; n <= 256; n++) {
			seen[n] = hashwith(aes, zeros, n, 1);
			for (int j = 0; j < n; j++) {
				if (seen[j] == seen[n]) {
					t_errorf(t, "%s: %d and %d zero bytes hash alike", name, j, n);
				}
			}
		}
		static uint32_t low[1024], top[256];
		memset(low, 0, sizeof low);
		memset(top, 0, sizeof top);
		uint64_t seed = rng_next(&r);
		for (uint64_t k = 0; k < 65536; k++) {
			uint64_t h = memhash64(k, seed, aes);
			low[h & 1023]++;
			top[h >> 56]++;
		}
		double chilow = 0, chitop = 0;
		for (int i = 0; i < 1024; i++) {
			chilow += (low[i] - 64.0) * (low[i] - 64.0) / 64;
		}
		for (int i = 0; i < 256; i++) {
			chitop += (top[i] - 256.0) * (top[i] - 256.0) / 256;
		}
		if (chilow > 1023 + 6 * 45.2 || chitop > 255 + 6 * 22.6) {
			t_errorf(t,
				 "%s: keys 0..65535: chi-square %.0f over 1024 buckets, %.0f over 256 "
				 "tophashes",
				 name, chilow, chitop);
		}
		for (int bit = 0; bit < 128; bit++) {
			long flips = 0;
			for (int s = 0; s < 16; s++) {
				uint64_t k = rng_next(&r), sd = rng_next(&r), h1 = memhash64(k, sd, aes);
				if (bit < 64) {
					k ^= 1ULL << bit;
				} else {
					sd ^= 1ULL << (bit - 64);
				}
				flips += popcount(h1 ^ memhash64(k, sd, aes));
			}
			if (flips < 16 * 26 || flips > 16 * 38) {
				t_errorf(t, "memhash64 (%s): %s bit %d flips %.1f bits", name,
					 bit < 64 ? "key" : "seed", bit % 64, flips / 16.0);
			}
		}
	}
}

// Every map has its own seed, and so has a map that empties again.
TEST(TestMapSeeds)
{
	struct hmap *a = make_map(int64_t, int64_t, MapKeyInt64, 0),
		    *b = make_map(int64_t, int64_t, MapKeyInt64, 0);
	if (a->hash0 == b->hash0 || ((a->tflags & TAes) != 0) != useaeshash) {
		t_errorf(t, "two maps' seeds %#lx, %#lx; aes %d", (unsigned long)a->hash0,
			 (unsigned long)b->hash0, (a->tflags & TAes) != 0);
	}
	uint64_t h0 = a->hash0;
	map_setv(a, int64_t, int64_t, 1, 1);
	map_deletev(a, int64_t, 1);
	if (a->hash0 == h0) {
		t_errorf(t, "a map that emptied kept its seed");
	}
	for (int i = 0; i < 4; i++) {
		if (!(hashkey[i] & 1)) {
			t_errorf(t, "hashkey[%d] is even", i);
		}
	}
}

// ---- Go's fatal errors -------------------------------------------------------------------------

// The concurrent-misuse tests: goroutines that never stop hammering one
// map, with every key in it already and room to spare (no growth, so
// that misuse cannot break the map before it is caught), until the fatal
// error; the test fails after 20 s without one.
static struct hmap *crashmap;

static struct hmap *
crashmapmake(void)
{
	struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 1024);
	for (uint64_t i = 0; i < 64; i++) {
		*(int64_t *)map_assign_fast64(m, i) = 0;
	}
	return m;
}

static void
TestMapConcurrentWritesAreFatal_writer(void *arg)
{
	for (;;) {
		for (uint64_t i = 0; i < 64; i++) {
			*(int64_t *)map_assign_fast64(crashmap, i) += (int64_t)(uintptr_t)arg;
		}
	}
}

CRASHTEST(TestMapConcurrentWritesAreFatal, 2, "fatal error: concurrent map writes")
{
	crashmap = crashmapmake();
	go(TestMapConcurrentWritesAreFatal_writer, (void *)1);
	go(TestMapConcurrentWritesAreFatal_writer, (void *)2);
	time_sleep(20 * Second);
	t_fatalf(t, "no fatal error in 20 s");
}

static void
TestMapConcurrentReadWriteIsFatal_reader(void *arg)
{
	(void)arg;
	for (int64_t sum = 0;;) {
		for (uint64_t i = 0; i < 64; i++) {
			sum += *(const int64_t *)map_access1_fast64(crashmap, i);
		}
	}
}

CRASHTEST(TestMapConcurrentReadWriteIsFatal, 2, "fatal error: concurrent map read and map write")
{
	crashmap = crashmapmake();
	go(TestMapConcurrentReadWriteIsFatal_reader, NULL);
	go(TestMapConcurrentWritesAreFatal_writer, (void *)1);
	time_sleep(20 * Second);
	t_fatalf(t, "no fatal error in 20 s");
}

static void
TestMapConcurrentRangeWriteIsFatal_ranger(void *arg)
{
	(void)arg;
	for (;;) {
		struct hiter it;
		for (map_range(crashmap, &it); it.key != NULL; map_next(&it)) {
		}
	}
}

CRASHTEST(TestMapConcurrentRangeWriteIsFatal, 2, "fatal error: concurrent map iteration and map write")
{
	crashmap = crashmapmake();
	go(TestMapConcurrentRangeWriteIsFatal_ranger, NULL);
	go(TestMapConcurrentWritesAreFatal_writer, (void *)1);
	time_sleep(20 * Second);
	t_fatalf(t, "no fatal error in 20 s");
}

CRASHTEST(TestMapFast64OnStringKeysIsFatal, 2,
	  "fatal error: map_access_fast64: the map's keys are not 64-bit")
{
	(void)t;
	struct hmap *m = make_map(struct gostring, int, MapKeyString, 0);
	map_access1_fast64(m, 1);
}

CRASHTEST(TestMapKeyOfWrongSizeIsFatal, 2,
	  "fatal error: make_map: an integer key of the wrong size for its kind")
{
	(void)t;
	make_map(int32_t, int, MapKeyInt64, 0);
}
