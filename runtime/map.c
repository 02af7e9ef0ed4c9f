// map.c: maps (Go's map.go): makemap, the generic lookups (mapaccess1,
// mapaccess2, and mapaccessK's mapfind), mapassign, mapdelete, mapclear
// and the iterator (mapiterinit, mapiternext), with what the fast paths
// (map_fast.c) share; the bucket arrays and growth are map_grow.c's; the
// public calls (hood.h's map_*) are at the end. See map.h for the
// overview and the invariants.

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/map.h"

static void maptypeinit(struct hmap *h, const struct maptype *t, bool aes);
static void *mapfind(struct hmap *h, const void *key, void **keyp);
static void markBucketsEmpty(struct hmap *h, struct bmap *array, uint64_t mask);

// The value a missing key reads as, for values of up to MaxZero bytes
// (Go's zeroVal). Read-only memory: a write through map_access1's
// pointer faults rather than changing every missing value.
const uint8_t zerovalue[MaxZero];

enum { NoCheck = UINTPTR_MAX }; // hiter.checkBucket: none (Go's noCheck)

// ---- making a map ---------------------------------------------------------------------

// makemap: a map of t's types, with buckets for hint keys (Go's makemap:
// the least B that holds them, the buckets at once if B > 0, else at the
// first assign), hashing with AES-NI if aes (hood.h's map_make passes
// useaeshash; a test may pass false).
struct hmap *
makemap(const struct maptype *t, long hint, bool aes)
{
	struct hmap *h = mallocgc(sizeof *h, 0);
	maptypeinit(h, t, aes);
	h->hash0 = fastrand64();
	// A hint whose buckets could not be allocated counts as none, as a
	// negative one (Go's makemap).
	if (hint < 0 || (uint64_t)hint > (1ULL << HeapAddrBits) / h->bucketsize) {
		hint = 0;
	}
	uint8_t B = 0;
	while (overLoadFactor(hint, B)) {
		B++;
	}
	h->B = B;
	if (B != 0) {
		struct bmap *next;
		h->buckets = makeBucketArray(h, B, NULL, &next);
		if (next != NULL) {
			createextra(h)->nextOverflow = next;
		}
	}
	if (h->tflags & TNoScan) {
		createOverflow(h);
	}
	return h;
}

// The map's copy of its types (Go's maptype, which the compiler makes):
// the key's hash and equality from its kind, the cells' sizes, and what
// the collector may skip. Go's compiler rejects a bad key type; here a
// kind that does not fit its size is Go's fatal error.
static void
maptypeinit(struct hmap *h, const struct maptype *t, bool aes)
{
	uint64_t ks = t->keysize;
	bool keyptrs = !t->noscan; // may a key hold a pointer the map must keep alive?
	switch (t->kind) {
	case MapKeyInt32:
	case MapKeyInt64:
		if (ks != (t->kind == MapKeyInt32 ? 4 : 8)) {
			gothrow("make_map: an integer key of the wrong size for its kind");
		}
		h->alg = ks == 4 ? AlgMem32 : AlgMem64;
		keyptrs = false;
		break;
	case MapKeyPtr:
		if (ks != sizeof(void *)) {
			gothrow("make_map: a MapKeyPtr key that is not a pointer");
		}
		h->alg = AlgMem64;
		break;
	case MapKeyString:
		if (ks != sizeof(struct gostring)) {
			gothrow("make_map: a MapKeyString key that is not a struct gostring");
		}
		h->alg = AlgStr;
		keyptrs = true; // the map's copies of the bytes
		break;
	case MapKeyMem:
		h->alg = ks == 4 ? AlgMem32 : ks == 8 && t->keyalign <= 8 ? AlgMem64 : AlgMem;
		break;
	case MapKeyFunc:
		if (t->hash == NULL || t->equal == NULL) {
			gothrow("make_mapfunc: nil hash or equal function");
		}
		h->alg = AlgFunc;
		h->hash = t->hash;
		h->equal = t->equal;
		break;
	default:
		gothrow("make_map: unknown key kind");
	}
	bool ik = ks > MaxKeySize || t->keyalign > 8, ie = t->elemsize > MaxElemSize || t->elemalign > 8;
	h->keytypesize = ks;
	h->elemtypesize = t->elemsize;
	h->keysize = ik ? sizeof(void *) : ks;
	h->elemsize = ie ? sizeof(void *) : t->elemsize;
	h->bucketsize = DataOffset + BucketCnt * (h->keysize + h->elemsize) + sizeof(void *);
	h->tflags = (ik ? TIndirectKey : 0) | (ie ? TIndirectElem : 0) | (aes ? TAes : 0) |
		    (h->alg == AlgFunc ? TNeedKeyUpdate : TReflexiveKey) | (keyptrs ? 0 : TKeyNoScan) |
		    (t->noscan ? TElemNoScan : 0) | (!ik && !ie && !keyptrs && t->noscan ? TNoScan : 0);
	h->zero = t->elemsize <= MaxZero ? zerovalue : mallocgc(t->elemsize, FlagNoScan);
}

// ---- lookups ----------------------------------------------------------------------

// The value of key in h, or NULL if it is not there; *keyp, if keyp is
// not NULL, is the key as the map holds it. The loop of Go's mapaccess1,
// mapaccess2 and mapaccessK. h has keys.
static void *
mapfind(struct hmap *h, const void *key, void **keyp)
{
	uint64_t hash = hmap_hash(h, key);
	uint8_t top = tophash(hash);
	for (struct bmap *b = hmap_readbucket(h, hash); b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			void *k = hmap_indirectkey(h, bmap_key(h, b, i));
			if (hmap_keyequal(h, key, k)) {
				if (keyp != NULL) {
					*keyp = k;
				}
				return hmap_indirectelem(h, bmap_elem(h, b, i));
			}
		}
		if (zerobytes(word) != 0) {
			return NULL; // an EmptyRest cell: nothing after it
		}
	}
	return NULL;
}

// The checks and the lookup of mapaccess1 and mapaccess2 (inline in
// each): a pointer to h[key], or to the zero value if key is not in h
// (never NULL), and which in *ok.
static inline __attribute__((always_inline)) void *
mapaccess(struct hmap *h, const void *key, bool *ok)
{
	*ok = false;
	if (h == NULL || h->count == 0) {
		return (void *)(h == NULL ? zerovalue : h->zero);
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map read and map write");
	}
	void *e = mapfind(h, key, NULL);
	if (e == NULL) {
		return (void *)h->zero;
	}
	*ok = true;
	return e;
}

// mapaccess1 and mapaccess2 (Go's): v := m[k] and v, ok := m[k].
void *
mapaccess1(struct hmap *h, const void *key)
{
	bool ok;
	return mapaccess(h, key, &ok);
}

void *
mapaccess2(struct hmap *h, const void *key, bool *ok)
{
	return mapaccess(h, key, ok);
}

// ---- assign and delete ----------------------------------------------------------------

// mapassign: the value cell of key, made if key is not in h (Go's
// mapassign, as h[key] = v compiles to: the caller stores the value).
// Starts a growth when the new key would overload h, and moves on the
// growth in progress by two buckets. (Over 80 lines: Go's one function,
// kept whole to read beside map.go.)
void *
mapassign(struct hmap *h, const void *key)
{
	if (h == NULL) {
		gopanic("assignment to entry in nil map");
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = hmap_hash(h, key);
	// hashWriting after the hash, which may panic (a MapKeyFunc's): then
	// nothing was written (Go's order).
	hmap_togglewriting(h);
	if (h->buckets == NULL) {
		mapfirstbucket(h);
	}
	uint8_t top = tophash(hash);
	uint8_t *inserti;
	void *insertk, *elem;
again:
	inserti = NULL;
	insertk = elem = NULL;
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *b = bucketat(h, h->buckets, bucket);
	for (;;) {
		uint64_t word = tophashword(b);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			void *k = hmap_indirectkey(h, bmap_key(h, b, i));
			if (!hmap_keyequal(h, key, k)) {
				continue;
			}
			// Already there: the value's cell (and, where equal keys may
			// differ, the new key, as Go's needkeyupdate).
			if (h->tflags & TNeedKeyUpdate) {
				typedmemmove(k, key, h->keytypesize);
			}
			elem = bmap_elem(h, b, i);
			goto done;
		}
		uint64_t empty = matchempty(word);
		if (empty != 0 && inserti == NULL) {
			// The first free cell, where a new key goes.
			unsigned i = cellof(empty);
			inserti = &b->tophash[i];
			insertk = bmap_key(h, b, i);
			elem = bmap_elem(h, b, i);
		}
		if (zerobytes(word) != 0) {
			goto notfound; // an EmptyRest cell: nothing after it
		}
		struct bmap *ovf = bmap_overflow(h, b);
		if (ovf == NULL) {
			break;
		}
		b = ovf;
	}
notfound:
	// A new key. Past the load factor, or with too many overflow buckets,
	// and no growth in progress: grow, and look again (the buckets moved).
	if (!hmap_growing(h) &&
	    (overLoadFactor(h->count + 1, h->B) || tooManyOverflowBuckets(h->noverflow, h->B))) {
		hashGrow(h);
		goto again;
	}
	if (inserti == NULL) {
		// The bucket and its chain are full.
		struct bmap *newb = newoverflow(h, b);
		inserti = &newb->tophash[0];
		insertk = bmap_key(h, newb, 0);
		elem = bmap_elem(h, newb, 0);
	}
	mapsetkey(h, insertk, key);
	if (h->tflags & TIndirectElem) {
		mapnewelem(h, elem);
	}
	*inserti = top;
	h->count++;
done:
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
	return hmap_indirectelem(h, elem);
}

// The one bucket of a map made with B = 0, at its first assign (Go's
// newobject(t.bucket) in mapassign).
void
mapfirstbucket(struct hmap *h)
{
	h->buckets = mallocgc(h->bucketsize, h->tflags & TNoScan ? FlagNoScan : 0);
}

// Store key in a free key cell (typedmemmove for the key, in Go's
// mapassign): in a new object of its own if keys are indirect; a string
// key's bytes in a copy of the map's own.
void
mapsetkey(struct hmap *h, void *cell, const void *key)
{
	if (h->tflags & TIndirectKey) {
		void *kmem = mallocgc(h->keytypesize, h->tflags & TKeyNoScan ? FlagNoScan : 0);
		*(void **)cell = kmem;
		cell = kmem;
	}
	if (h->alg == AlgStr) {
		const struct gostring *s = key;
		char *c = mallocgc(s->len, FlagNoScan | FlagNoZero);
		if (s->len != 0) {
			memcpy(c, s->str, s->len);
		}
		*(struct gostring *)cell = (struct gostring){c, s->len};
		return;
	}
	typedmemmove(cell, key, h->keytypesize);
}

// A new key's value, for indirect values: an object of its own, zeroed,
// its pointer in the cell.
void
mapnewelem(struct hmap *h, void *cell)
{
	*(void **)cell = mallocgc(h->elemtypesize, h->tflags & TElemNoScan ? FlagNoScan : 0);
}

// mapdelete: delete(h, key) (Go's mapdelete): nothing if key is not
// there; a nil map too.
void
mapdelete(struct hmap *h, const void *key)
{
	if (h == NULL || h->count == 0) {
		return;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	uint64_t hash = hmap_hash(h, key);
	hmap_togglewriting(h); // after the hash, as in mapassign
	uint64_t bucket = hash & bucketMask(h->B);
	if (hmap_growing(h)) {
		growWork(h, bucket);
	}
	struct bmap *bOrig = bucketat(h, h->buckets, bucket);
	uint8_t top = tophash(hash);
	for (struct bmap *b = bOrig; b != NULL; b = bmap_overflow(h, b)) {
		uint64_t word = tophashword(b);
		for (uint64_t m = matchtop(word, top); m != 0; m &= m - 1) {
			unsigned i = cellof(m);
			if (hmap_keyequal(h, key, hmap_indirectkey(h, bmap_key(h, b, i)))) {
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

// Empty cell i of b, a bucket of bOrig's chain (mapdelete's second half,
// shared with the fast paths): clear what the collector would see, mark
// the cell EmptyOne, and EmptyRest if no full cell follows it, with the
// EmptyOne cells before it (Go 1.12's); count it gone, and give the map a
// new seed when it empties (Go's: an attacker who learned the old one
// learns nothing of the new).
void
mapdeletecell(struct hmap *h, struct bmap *bOrig, struct bmap *b, uint64_t i)
{
	void *k = bmap_key(h, b, i), *e = bmap_elem(h, b, i);
	if (h->tflags & TIndirectKey) {
		*(void **)k = NULL;
	} else if (!(h->tflags & TNoScan)) {
		typedmemclr(k, h->keysize);
	}
	if (h->tflags & TIndirectElem) {
		*(void **)e = NULL;
	} else {
		typedmemclr(e, h->elemsize); // a new key's value is zero
	}
	b->tophash[i] = EmptyOne;
	if (i == BucketCnt - 1) {
		struct bmap *ovf = bmap_overflow(h, b);
		if (ovf != NULL && ovf->tophash[0] != EmptyRest) {
			goto notLast;
		}
	} else if (b->tophash[i + 1] != EmptyRest) {
		goto notLast;
	}
	for (;;) {
		b->tophash[i] = EmptyRest;
		if (i == 0) {
			if (b == bOrig) {
				break; // the chain's first cell
			}
			// On to the last cell of the bucket before, in the chain.
			struct bmap *c = b;
			for (b = bOrig; bmap_overflow(h, b) != c; b = bmap_overflow(h, b)) {
			}
			i = BucketCnt - 1;
		} else {
			i--;
		}
		if (b->tophash[i] != EmptyOne) {
			break;
		}
	}
notLast:
	h->count--;
	if (h->count == 0) {
		h->hash0 = fastrand64();
	}
}

// mapclear: delete every key (Go's mapclear, clear(m)): the buckets are
// cleared for reuse, every cell of both arrays marked EmptyRest first, so
// that an iterator in the middle of them finds nothing more (Go 1.21's
// fix, issue 59411).
void
mapclear(struct hmap *h)
{
	if (h == NULL || h->count == 0) {
		return;
	}
	if (hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
	markBucketsEmpty(h, h->buckets, bucketMask(h->B));
	if (h->oldbuckets != NULL) {
		markBucketsEmpty(h, h->oldbuckets, hmap_oldbucketmask(h));
	}
	atomic_store_relaxed(&h->flags, atomic_load_relaxed(&h->flags) & ~SameSizeGrow);
	h->oldbuckets = NULL;
	h->nevacuate = 0;
	h->noverflow = 0;
	h->count = 0;
	h->hash0 = fastrand64();
	if (h->extra != NULL) {
		*h->extra = (struct mapextra){0};
	}
	struct bmap *next;
	makeBucketArray(h, h->B, h->buckets, &next);
	if (next != NULL) {
		createextra(h)->nextOverflow = next;
	}
	if (h->tflags & TNoScan) {
		createOverflow(h);
	}
	if (!hmap_writing(h)) {
		gothrow("concurrent map writes");
	}
	hmap_togglewriting(h);
}

static void
markBucketsEmpty(struct hmap *h, struct bmap *array, uint64_t mask)
{
	for (uint64_t j = 0; j <= mask; j++) {
		for (struct bmap *b = bucketat(h, array, j); b != NULL; b = bmap_overflow(h, b)) {
			memset(b->tophash, EmptyRest, BucketCnt);
		}
	}
}

// ---- iteration --------------------------------------------------------------------------

// mapiterinit: begin a range over h at a random bucket and cell offset
// (Go's mapiterinit), and take the first key. The iterator remembers the
// array it began with; h's flags say an iterator may be using it, so
// that evacuate leaves its cells in place (the or is atomic: other
// readers may begin ranges at the same time).
void
mapiterinit(struct hmap *h, struct hiter *it)
{
	*it = (struct hiter){0};
	if (h == NULL || h->count == 0) {
		return;
	}
	it->h = h;
	it->B = h->B;
	it->buckets = h->buckets;
	if (h->tflags & TNoScan) {
		// The lists of the overflow buckets the collector cannot see in
		// the arrays, including those to come, while the range walks
		// them (Go's it.overflow, it.oldoverflow).
		it->overflow[0] = h->extra->overflow;
		it->overflow[1] = h->extra->oldoverflow;
	}
	uint64_t r = fastrand64();
	it->startBucket = r & bucketMask(h->B);
	it->offset = (uint8_t)(r >> 61); // 0 to 7: the top bits, which B rarely reaches
	it->bucket = it->startBucket;
	uint8_t old = atomic_load_relaxed(&h->flags);
	if ((old & (Iterator | OldIterator)) != (Iterator | OldIterator)) {
		atomic_or_relaxed(&h->flags, Iterator | OldIterator);
	}
	mapiternext(it);
}

// mapiternext: the next key of the range, or it->key NULL at the end
// (Go's mapiternext, whose comments say the rest). Buckets in walk order
// from startBucket, each chain in order, each bucket's cells from offset;
// during a doubling that began after the range, for a new bucket whose
// old one is not evacuated yet, the old bucket's keys bound for it.
// (Over 80 lines: Go's one function, kept whole to read beside map.go.)
void
mapiternext(struct hiter *it)
{
	struct hmap *h = it->h;
	if (hmap_writing(h)) {
		gothrow("concurrent map iteration and map write");
	}
	uint64_t bucket = it->bucket;
	struct bmap *b = it->bptr;
	uint8_t i = it->i;
	uint64_t checkBucket = it->checkBucket;
	bool reflexive = h->tflags & TReflexiveKey;
next:
	if (b == NULL) {
		if (bucket == it->startBucket && it->wrapped) {
			it->key = NULL;
			it->elem = NULL;
			return;
		}
		if (hmap_growing(h) && it->B == h->B) {
			// The range began during this growth and it is not over: a
			// bucket not filled yet is read in its old bucket, for the
			// keys that will move to it.
			uint64_t oldbucket = bucket & hmap_oldbucketmask(h);
			b = bucketat(h, h->oldbuckets, oldbucket);
			if (!evacuated(b)) {
				checkBucket = bucket;
			} else {
				b = bucketat(h, it->buckets, bucket);
				checkBucket = NoCheck;
			}
		} else {
			b = bucketat(h, it->buckets, bucket);
			checkBucket = NoCheck;
		}
		bucket++;
		if (bucket == bucketShift(it->B)) {
			bucket = 0;
			it->wrapped = true;
		}
		i = 0;
	}
	// The cells from i on, in the range's order (from offset, around):
	// the tophash word rotated so that byte j is cell (j + offset) mod 8,
	// its empty cells dropped at once (the loop branched on each, a
	// misprediction per key where buckets are part full).
	uint64_t word = tophashword(b), off = 8 * (uint64_t)it->offset;
	word = word >> off | word << ((64 - off) & 63);
	uint64_t cells = ~(matchempty(word) | matchtop(word, EvacuatedEmpty)) & 0x8080808080808080ULL;
	cells &= i < BucketCnt ? ~0ULL << (8 * i) : 0;
	for (; cells != 0; cells &= cells - 1) {
		i = (uint8_t)cellof(cells);
		uint8_t offi = (i + it->offset) & (BucketCnt - 1);
		uint8_t top = b->tophash[offi];
		void *k = hmap_indirectkey(h, bmap_key(h, b, offi));
		void *e = bmap_elem(h, b, offi);
		if (checkBucket != NoCheck && !hmap_sameSizeGrow(h)) {
			// An old bucket of a doubling: only the keys bound for the
			// new bucket at hand; a NaN-like key goes by its tophash's
			// low bit, as evacuate sends it.
			if (reflexive || hmap_keyequal(h, k, k)) {
				if ((hmap_hash(h, k) & bucketMask(it->B)) != checkBucket) {
					continue;
				}
			} else if (checkBucket >> (it->B - 1) != (uint64_t)(top & 1)) {
				continue;
			}
		}
		if ((top != EvacuatedX && top != EvacuatedY) || !(reflexive || hmap_keyequal(h, k, k))) {
			// The key's own cell (or a NaN-like key, which nothing can
			// have deleted or changed).
			it->key = k;
			it->elem = hmap_indirectelem(h, e);
		} else {
			// The key moved since the range began: look it up where it
			// is now, which may be nowhere (deleted), or with a new value.
			void *rk;
			void *re = h->count != 0 ? mapfind(h, k, &rk) : NULL;
			if (re == NULL) {
				continue;
			}
			it->key = rk;
			it->elem = re;
		}
		it->bucket = bucket;
		it->bptr = b;
		it->i = i + 1;
		it->checkBucket = checkBucket;
		return;
	}
	b = bmap_overflow(h, b);
	i = 0;
	goto next;
}

// ---- hood.h's calls -----------------------------------------------------------------------

// map_make: make(map[K]V, hint); the make_map macros build t.
struct hmap *
map_make(const struct maptype *t, long hint)
{
	return makemap(t, hint, useaeshash);
}

// The generic calls take the fast paths for the keys that have them, as
// Go's compiler does.
const void *
map_access1(struct hmap *m, const void *key)
{
	if (m != NULL && m->alg == AlgMem64) {
		return mapaccess1_fast64(m, readu64(key));
	}
	if (m != NULL && m->alg == AlgStr) {
		return mapaccess1_faststr(m, *(const struct gostring *)key);
	}
	return mapaccess1(m, key);
}

const void *
map_access2(struct hmap *m, const void *key, bool *ok)
{
	if (m != NULL && m->alg == AlgMem64) {
		return mapaccess2_fast64(m, readu64(key), ok);
	}
	if (m != NULL && m->alg == AlgStr) {
		return mapaccess2_faststr(m, *(const struct gostring *)key, ok);
	}
	return mapaccess2(m, key, ok);
}

void *
map_assign(struct hmap *m, const void *key)
{
	if (m != NULL && m->alg == AlgMem64) {
		return mapassign_fast64(m, readu64(key));
	}
	if (m != NULL && m->alg == AlgStr) {
		return mapassign_faststr(m, *(const struct gostring *)key);
	}
	return mapassign(m, key);
}

void
map_delete(struct hmap *m, const void *key)
{
	if (m != NULL && m->alg == AlgMem64) {
		mapdelete_fast64(m, readu64(key));
	} else if (m != NULL && m->alg == AlgStr) {
		mapdelete_faststr(m, *(const struct gostring *)key);
	} else {
		mapdelete(m, key);
	}
}

long
map_len(struct hmap *m)
{
	return m == NULL ? 0 : m->count;
}

// The rest are Go's functions under hood.h's names.
void map_clear(struct hmap *m) __attribute__((alias("mapclear")));
void map_range(struct hmap *m, struct hiter *it) __attribute__((alias("mapiterinit")));
void map_next(struct hiter *it) __attribute__((alias("mapiternext")));
