// map_fast.c: the fast paths for 64-bit and string keys (Go's
// map_fast64.go and map_faststr.go): lookups, assign and delete with the
// key by value, its hash inline, and keys compared as words or by length
// first; growth is map_grow.c's, a cell's deletion map.c's. The public calls
// (hood.h's map_*_fast64 and _faststr) are at the end. See map.h for the
// overview.
//
// As Go's: a map of one bucket is searched without hashing (the key can
// be nowhere else: a map of B = 0 never grows to the same size, as its
// one bucket never overflows before it doubles); the concurrent-misuse
// checks are the generic paths' (hashWriting), a flag's xor a write.

#include "include/hood.h"
#include "runtime/map.h"

// The lookups are inlined into both accesses (always_inline): gcc made
// them a call and a frame more on every lookup.
static inline void *lookup64(struct hmap *h, uint64_t key) __attribute__((always_inline));
static inline void *lookupstr(struct hmap *h, struct gostring key) __attribute__((always_inline));
static void *lookupstr1(struct hmap *h, struct gostring key, bool *dohash);

// ---- 64-bit keys ----------------------------------------------------------------------

// The value of key, or NULL. h has keys, its alg is AlgMem64. A map of
// one bucket compares the keys of its full cells, unhashed; others
// compare the key where the tophash matches.
static inline void *
lookup64(struct hmap *h, uint64_t key)
{
	if (h->B == 0) {
		struct bmap *b = h->buckets;
		const uint64_t *k = bmap_key(h, b, 0);
		for (uint64_t i = 0; i < BucketCnt; i++) {
			if (k[i] == key && !isEmpty(b->tophash[i])) {
				return hmap_indirectelem(h, bmap_elem(h, b, i));
			}
		}
		return NULL;
	}
	uint64_t hash = memhash64(key, h->hash0, h->tflags & TAes);
	uint8_t top = tophash(hash);
	for (struct bmap *b = hmap_readbucket(h, hash); b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		const uint64_t *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (k[i] == key) {
				return hmap_indirectelem(h, bmap_elem(h, b, i));
			}
		}
		if (zerobytes(word) != 0) {
			return NULL; // an EmptyRest cell: nothing after it
		}
	}
	return NULL;
}

// The checks and the lookup of both accesses (inline in each).
static inline __attribute__((always_inline)) void *
access_fast64(struct hmap *h, uint64_t key, bool *ok)
{
	*ok = false;
	if (h == NULL) {
		return (void *)zerovalue;
	}
	if (h->alg != AlgMem64) {
		gothrow("map_access_fast64: the map's keys are not 64-bit");
	}
	if (h->count == 0) {
		return (void *)h->zero;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map read and map write");
	}
	void *e = lookup64(h, key);
	if (e == NULL) {
		return (void *)h->zero;
	}
	*ok = true;
	return e;
}

const void *
mapaccess1_fast64(struct hmap *h, uint64_t key)
{
	bool ok;
	return access_fast64(h, key, &ok);
}

const void *
mapaccess2_fast64(struct hmap *h, uint64_t key, bool *ok)
{
	return access_fast64(h, key, ok);
}

// mapassign_fast64: mapassign for a 64-bit key (Go's): the key's cell
// found by its tophash, then the key compared as a word, or made.
void *
mapassign_fast64(struct hmap *h, uint64_t key)
{
	if (h == NULL) {
		gopanic("assignment to entry in nil map");
	}
	if (h->alg != AlgMem64) {
		gothrow("map_assign_fast64: the map's keys are not 64-bit");
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = memhash64(key, h->hash0, h->tflags & TAes);
	hmap_togglewriting(h);
	if (h->buckets == NULL) {
		mapfirstbucket(h);
	}
	struct bmap *insertb;
	uint64_t inserti;
again:
	insertb = NULL;
	inserti = 0;
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *b = bucketat(h, h->buckets, bucket);
	uint8_t top = tophash(hash);
	for (;;) {
		uint64_t word = tophashword(b);
		const uint64_t *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (k[i] == key) {
				insertb = b;
				inserti = i;
				goto done;
			}
		}
		uint64_t empty = matchempty(word);
		if (empty != 0 && insertb == NULL) {
			insertb = b;
			inserti = cellof(empty);
		}
		if (zerobytes(word) != 0) {
			goto notfound;
		}
		struct bmap *ovf = bmap_overflow(h, b);
		if (ovf == NULL) {
			break;
		}
		b = ovf;
	}
notfound:
	if (!hmap_growing(h) &&
	    (overLoadFactor(h->count + 1, h->B) || tooManyOverflowBuckets(h->noverflow, h->B))) {
		hashGrow(h);
		goto again;
	}
	if (insertb == NULL) {
		insertb = newoverflow(h, b);
		inserti = 0;
	}
	insertb->tophash[inserti] = top;
	*(uint64_t *)bmap_key(h, insertb, inserti) = key;
	if (h->tflags & TIndirectElem) {
		mapnewelem(h, bmap_elem(h, insertb, inserti));
	}
	h->count++;
done:;
	void *elem = hmap_indirectelem(h, bmap_elem(h, insertb, inserti));
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
	return elem;
}

void
mapdelete_fast64(struct hmap *h, uint64_t key)
{
	if (h == NULL) {
		return;
	}
	if (h->alg != AlgMem64) {
		gothrow("map_delete_fast64: the map's keys are not 64-bit");
	}
	if (h->count == 0) {
		return;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = memhash64(key, h->hash0, h->tflags & TAes);
	hmap_togglewriting(h);
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *bOrig = bucketat(h, h->buckets, bucket);
	uint8_t top = tophash(hash);
	for (struct bmap *b = bOrig; b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		const uint64_t *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (k[i] == key) {
				mapdeletecell(h, bOrig, b, i);
				goto out;
			}
		}
		if (zerobytes(word) != 0) {
			break;
		}
	}
out:
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
}

// ---- string keys ------------------------------------------------------------------------

// Whether the cell k holds key: the lengths first, then the pointers,
// then the bytes.
static inline bool
strequal(const struct gostring *k, struct gostring key)
{
	return k->len == key.len && (k->str == key.str || memequal(k->str, key.str, key.len));
}

// The one bucket of a B = 0 map, searched without the hash (Go's): every
// cell of the key's length for a short key; for a long one, a cell whose
// first and last 4 bytes match is compared whole only if it is the only
// such cell, and with two *dohash says to hash after all.
static void *
lookupstr1(struct hmap *h, struct gostring key, bool *dohash)
{
	struct bmap *b = h->buckets;
	const struct gostring *k = bmap_key(h, b, 0);
	*dohash = false;
	if (key.len < 32) {
		for (uint64_t i = 0; i < BucketCnt; i++) {
			if (k[i].len != key.len || isEmpty(b->tophash[i])) {
				if (b->tophash[i] == EmptyRest) {
					break;
				}
				continue;
			}
			if (strequal(&k[i], key)) {
				return hmap_indirectelem(h, bmap_elem(h, b, i));
			}
		}
		return NULL;
	}
	uint64_t keymaybe = BucketCnt;
	for (uint64_t i = 0; i < BucketCnt; i++) {
		if (k[i].len != key.len || isEmpty(b->tophash[i])) {
			if (b->tophash[i] == EmptyRest) {
				break;
			}
			continue;
		}
		if (k[i].str == key.str) {
			return hmap_indirectelem(h, bmap_elem(h, b, i));
		}
		if (readu32(k[i].str) != readu32(key.str) ||
		    readu32(k[i].str + key.len - 4) != readu32(key.str + key.len - 4)) {
			continue;
		}
		if (keymaybe != BucketCnt) {
			*dohash = true; // two cells may be the key: the tophash tells
			return NULL;
		}
		keymaybe = i;
	}
	if (keymaybe != BucketCnt && memequal(k[keymaybe].str, key.str, key.len)) {
		return hmap_indirectelem(h, bmap_elem(h, b, keymaybe));
	}
	return NULL;
}

// The value of key, or NULL. h has keys, its alg is AlgStr.
static inline void *
lookupstr(struct hmap *h, struct gostring key)
{
	if (h->B == 0) {
		bool dohash;
		void *e = lookupstr1(h, key, &dohash);
		if (!dohash) {
			return e;
		}
	}
	uint64_t hash = memhash(key.str, key.len, h->hash0, h->tflags & TAes);
	uint8_t top = tophash(hash);
	for (struct bmap *b = hmap_readbucket(h, hash); b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		const struct gostring *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (strequal(&k[i], key)) {
				return hmap_indirectelem(h, bmap_elem(h, b, i));
			}
		}
		if (zerobytes(word) != 0) {
			return NULL;
		}
	}
	return NULL;
}

static inline __attribute__((always_inline)) void *
access_faststr(struct hmap *h, struct gostring key, bool *ok)
{
	*ok = false;
	if (h == NULL) {
		return (void *)zerovalue;
	}
	if (h->alg != AlgStr) {
		gothrow("map_access_faststr: the map's keys are not strings");
	}
	if (h->count == 0) {
		return (void *)h->zero;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map read and map write");
	}
	void *e = lookupstr(h, key);
	if (e == NULL) {
		return (void *)h->zero;
	}
	*ok = true;
	return e;
}

const void *
mapaccess1_faststr(struct hmap *h, struct gostring key)
{
	bool ok;
	return access_faststr(h, key, &ok);
}

const void *
mapaccess2_faststr(struct hmap *h, struct gostring key, bool *ok)
{
	return access_faststr(h, key, ok);
}

// mapassign_faststr: mapassign for a string key (Go's); a new key's
// bytes are copied into the map (mapsetkey).
void *
mapassign_faststr(struct hmap *h, struct gostring key)
{
	if (h == NULL) {
		gopanic("assignment to entry in nil map");
	}
	if (h->alg != AlgStr) {
		gothrow("map_assign_faststr: the map's keys are not strings");
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = memhash(key.str, key.len, h->hash0, h->tflags & TAes);
	hmap_togglewriting(h);
	if (h->buckets == NULL) {
		mapfirstbucket(h);
	}
	uint8_t top = tophash(hash);
	struct bmap *insertb;
	uint64_t inserti;
again:
	insertb = NULL;
	inserti = 0;
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *b = bucketat(h, h->buckets, bucket);
	for (;;) {
		uint64_t word = tophashword(b);
		const struct gostring *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (strequal(&k[i], key)) {
				insertb = b;
				inserti = i;
				goto done;
			}
		}
		uint64_t empty = matchempty(word);
		if (empty != 0 && insertb == NULL) {
			insertb = b;
			inserti = cellof(empty);
		}
		if (zerobytes(word) != 0) {
			goto notfound;
		}
		struct bmap *ovf = bmap_overflow(h, b);
		if (ovf == NULL) {
			break;
		}
		b = ovf;
	}
notfound:
	if (!hmap_growing(h) &&
	    (overLoadFactor(h->count + 1, h->B) || tooManyOverflowBuckets(h->noverflow, h->B))) {
		hashGrow(h);
		goto again;
	}
	if (insertb == NULL) {
		insertb = newoverflow(h, b);
		inserti = 0;
	}
	mapsetkey(h, bmap_key(h, insertb, inserti), &key);
	if (h->tflags & TIndirectElem) {
		mapnewelem(h, bmap_elem(h, insertb, inserti));
	}
	insertb->tophash[inserti] = top;
	h->count++;
done:;
	void *elem = hmap_indirectelem(h, bmap_elem(h, insertb, inserti));
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
	return elem;
}

void
mapdelete_faststr(struct hmap *h, struct gostring key)
{
	if (h == NULL) {
		return;
	}
	if (h->alg != AlgStr) {
		gothrow("map_delete_faststr: the map's keys are not strings");
	}
	if (h->count == 0) {
		return;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = memhash(key.str, key.len, h->hash0, h->tflags & TAes);
	hmap_togglewriting(h);
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *bOrig = bucketat(h, h->buckets, bucket);
	uint8_t top = tophash(hash);
	for (struct bmap *b = bOrig; b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		const struct gostring *k = bmap_key(h, b, 0);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (strequal(&k[i], key)) {
				mapdeletecell(h, bOrig, b, i);
				goto out;
			}
		}
		if (zerobytes(word) != 0) {
			break;
		}
	}
out:
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
}

// ---- hood.h's calls -----------------------------------------------------------------------

// hood.h's names for the fast paths: the same functions.
const void *map_access1_fast64(struct hmap *m, uint64_t key) __attribute__((alias("mapaccess1_fast64")));
const void *map_access2_fast64(struct hmap *m, uint64_t key, bool *ok)
	__attribute__((alias("mapaccess2_fast64")));
void *map_assign_fast64(struct hmap *m, uint64_t key) __attribute__((alias("mapassign_fast64")));
void map_delete_fast64(struct hmap *m, uint64_t key) __attribute__((alias("mapdelete_fast64")));
const void *map_access1_faststr(struct hmap *m, struct gostring key)
	__attribute__((alias("mapaccess1_faststr")));
const void *map_access2_faststr(struct hmap *m, struct gostring key, bool *ok)
	__attribute__((alias("mapaccess2_faststr")));
void *map_assign_faststr(struct hmap *m, struct gostring key) __attribute__((alias("mapassign_faststr")));
void map_delete_faststr(struct hmap *m, struct gostring key) __attribute__((alias("mapdelete_faststr")));
