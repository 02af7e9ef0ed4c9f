// map_grow.c: a map's memory and its growth (Go's map.go, second half):
// the bucket arrays (makeBucketArray), overflow buckets (newoverflow, and
// the lists that keep a noscan map's alive), and the growth that moves
// the keys a bucket at a time (hashGrow, growWork, evacuate,
// advanceEvacuationMark). See map.h for the overview and the invariants.

#include <string.h>

#include "runtime/malloc.h"
#include "runtime/map.h"

static uint64_t roundupsize(uint64_t size);
static void bmaplist_append(struct bmaplist *l, struct bmap *b);
static void incrnoverflow(struct hmap *h);
static void evacuate(struct hmap *h, uint64_t oldbucket);
static void advanceEvacuationMark(struct hmap *h, uint64_t newbit);

// ---- bucket arrays ---------------------------------------------------------------------

// A bucket array for 2^b buckets (Go's makeBucketArray): with b >= 4,
// room for 2^(b-4) overflow buckets after them, and as many more as the
// allocation's size class leaves room for; *nextOverflow is the first of
// those, and the last one's overflow pointer is the array (not NULL: the
// mark newoverflow looks for). dirtyalloc, if not NULL, is an array this
// made before for the same b, to clear and use again (mapclear).
struct bmap *
makeBucketArray(struct hmap *h, uint8_t b, struct bmap *dirtyalloc, struct bmap **nextOverflow)
{
	uint64_t base = bucketShift(b), nbuckets = base;
	if (b >= 4) {
		nbuckets += bucketShift(b - 4);
		uint64_t sz = h->bucketsize * nbuckets, up = roundupsize(sz);
		if (up != sz) {
			nbuckets = up / h->bucketsize;
		}
	}
	struct bmap *buckets = dirtyalloc;
	if (buckets == NULL) {
		buckets = mallocgc(h->bucketsize * nbuckets, h->tflags & TNoScan ? FlagNoScan : 0);
	} else {
		memset(buckets, 0, h->bucketsize * nbuckets);
	}
	*nextOverflow = NULL;
	if (base != nbuckets) {
		*nextOverflow = bucketat(h, buckets, base);
		bmap_setoverflow(h, bucketat(h, buckets, nbuckets - 1), buckets);
	}
	return buckets;
}

// The size mallocgc really gives for size bytes: its size class's, or
// whole pages (Go's roundupsize, msize.go).
static uint64_t
roundupsize(uint64_t size)
{
	if (size <= MaxSmallSize) {
		return class_to_size[sizetoclass(size)];
	}
	return (size + PageSize - 1) & ~(uint64_t)(PageSize - 1);
}

struct mapextra *
createextra(struct hmap *h)
{
	if (h->extra == NULL) {
		h->extra = mallocgc(sizeof *h->extra, 0);
	}
	return h->extra;
}

// The list of the current array's overflow buckets, for a noscan map
// (Go's createOverflow). A noscan map always has one: makemap, hashGrow
// and mapclear make it, so that mapiterinit, a read that may run beside
// other readers, only reads it.
void
createOverflow(struct hmap *h)
{
	struct mapextra *x = createextra(h);
	if (x->overflow == NULL) {
		x->overflow = mallocgc(sizeof *x->overflow, 0);
	}
}

static void
bmaplist_append(struct bmaplist *l, struct bmap *b)
{
	if (l->n == l->cap) {
		long cap = l->cap < 8 ? 8 : 2 * l->cap;
		struct bmap **nb = mallocgc(cap * sizeof *nb, 0);
		if (l->n != 0) {
			memcpy(nb, l->b, l->n * sizeof *nb);
		}
		l->b = nb;
		l->cap = cap;
	}
	l->b[l->n++] = b;
}

// ---- overflow buckets -------------------------------------------------------------------

// Count one more overflow bucket (Go's incrnoverflow): exactly while there
// are few buckets; with 2^16 or more, with probability 2^(15-B), so that
// the count (a uint16) reaches 2^15 at about as many overflow buckets as
// buckets, where tooManyOverflowBuckets stops at 2^15.
static void
incrnoverflow(struct hmap *h)
{
	if (h->B < 16) {
		h->noverflow++;
		return;
	}
	uint32_t mask = h->B - 15 >= 32 ? UINT32_MAX : (1U << (h->B - 15)) - 1;
	if ((fastrand() & mask) == 0) {
		h->noverflow++;
	}
}

// A new overflow bucket linked after b (Go's newoverflow): a free one of
// the array's, else a new one; a noscan map lists it for the collector.
struct bmap *
newoverflow(struct hmap *h, struct bmap *b)
{
	struct bmap *ovf;
	if (h->extra != NULL && h->extra->nextOverflow != NULL) {
		ovf = h->extra->nextOverflow;
		if (bmap_overflow(h, ovf) == NULL) {
			h->extra->nextOverflow = bucketat(h, ovf, 1);
		} else {
			bmap_setoverflow(h, ovf, NULL); // the last one: its mark goes
			h->extra->nextOverflow = NULL;
		}
	} else {
		ovf = mallocgc(h->bucketsize, h->tflags & TNoScan ? FlagNoScan : 0);
		if (h->tflags & TNoScan) {
			// Those of the array live with it; this one needs the list.
			bmaplist_append(h->extra->overflow, ovf);
		}
	}
	incrnoverflow(h);
	bmap_setoverflow(h, b, ovf);
	return ovf;
}

// ---- growth ---------------------------------------------------------------------------

// hashGrow: begin a growth (Go's hashGrow): to twice the buckets if the
// next key would overload the map, else to as many (too many overflow
// buckets). Only the new array is made here; growWork and evacuate move
// the keys. An iterator of the old array becomes an OldIterator.
void
hashGrow(struct hmap *h)
{
	uint8_t bigger = 1, flags = atomic_load_relaxed(&h->flags);
	if (!overLoadFactor(h->count + 1, h->B)) {
		bigger = 0;
		flags |= SameSizeGrow;
	}
	struct bmap *oldbuckets = h->buckets, *next;
	struct bmap *newbuckets = makeBucketArray(h, h->B + bigger, NULL, &next);
	uint8_t f = flags & ~(Iterator | OldIterator);
	if (flags & Iterator) {
		f |= OldIterator;
	}
	h->B += bigger;
	atomic_store_relaxed(&h->flags, f);
	h->oldbuckets = oldbuckets;
	h->buckets = newbuckets;
	h->nevacuate = 0;
	h->noverflow = 0;
	if (h->extra != NULL && h->extra->overflow != NULL) {
		// The overflow buckets listed so far are the old array's.
		if (h->extra->oldoverflow != NULL) {
			throw("hashGrow: oldoverflow is not nil");
		}
		h->extra->oldoverflow = h->extra->overflow;
		h->extra->overflow = NULL;
	}
	if (h->tflags & TNoScan) {
		createOverflow(h);
	}
	if (next != NULL) {
		createextra(h)->nextOverflow = next;
	}
}

// growWork: evacuate the old bucket of the bucket an operation is about
// to use, and one more, in order (Go's growWork), so that a growth ends
// after as many writes as the old array had buckets at most.
void
growWork(struct hmap *h, uint64_t bucket)
{
	evacuate(h, bucket & hmap_oldbucketmask(h));
	if (hmap_growing(h)) {
		evacuate(h, h->nevacuate);
	}
}

// Where evacuate copies the next cell to: a bucket, and a cell of it
// (Go's evacDst).
struct evacdst {
	struct bmap *b;
	uint64_t i;
	char *k, *e;
};

static void
evacdst_init(struct hmap *h, struct evacdst *d, struct bmap *b)
{
	d->b = b;
	d->i = 0;
	d->k = bmap_key(h, b, 0);
	d->e = bmap_elem(h, b, 0);
}

// evacuate: move old bucket oldbucket's keys, and its chain's, to the new
// array (Go's evacuate): to bucket oldbucket (X) or, in a doubling, to
// oldbucket + 2^(B-1) (Y) by the hash's new bit, in order, each cell
// marked where it went. A key that is not equal to itself (NaN) has no
// repeatable hash: while an iterator runs, its tophash's low bit decides,
// as the iterator decided (mapiternext), and it gets a new random tophash.
// Unless an iterator may be using the old array, the old bucket's keys
// and values are cleared for the collector (tophash keeps the marks).
//
// One body, made twice (Go has evacuate_fast64 and its kin beside it):
// with fast64, for 8-byte keys stored in place (AlgMem64), the compiler
// knows the key's size, hash and equality, and the switches go.
static inline __attribute__((always_inline)) void
evacuatebody(struct hmap *h, uint64_t oldbucket, bool fast64)
{
	struct bmap *b = bucketat(h, h->oldbuckets, oldbucket);
	uint64_t newbit = hmap_noldbuckets(h);
	uint8_t flags = atomic_load_relaxed(&h->flags);
	if (!evacuated(b)) {
		struct evacdst xy[2];
		bool same = flags & SameSizeGrow;
		evacdst_init(h, &xy[0], bucketat(h, h->buckets, oldbucket));
		if (!same) {
			// Only in a doubling: in a same-size growth the Y bucket
			// would be past the array.
			evacdst_init(h, &xy[1], bucketat(h, h->buckets, oldbucket + newbit));
		}
		for (; b != NULL; b = bmap_overflow(h, b)) {
			uint64_t keysize = fast64 ? 8 : h->keysize;
			char *k = bmap_key(h, b, 0), *e = bmap_elem(h, b, 0);
			for (int i = 0; i < BucketCnt; i++, k += keysize, e += h->elemsize) {
				uint8_t top = b->tophash[i];
				if (isEmpty(top)) {
					b->tophash[i] = EvacuatedEmpty;
					continue;
				}
				if (top < MinTopHash) {
					throw("evacuate: bad map state");
				}
				void *k2 = fast64 ? k : hmap_indirectkey(h, k);
				int useY = 0;
				if (!same) {
					uint64_t hash = fast64 ? memhash64(readu64(k2), h->hash0, h->tflags & TAes)
							       : hmap_hash(h, k2);
					if (!fast64 && (flags & Iterator) && !(h->tflags & TReflexiveKey) &&
					    !hmap_keyequal(h, k2, k2)) {
						useY = top & 1;
						top = tophash(hash);
					} else if (hash & newbit) {
						useY = 1;
					}
				}
				_Static_assert(EvacuatedX + 1 == EvacuatedY && (EvacuatedX ^ 1) == EvacuatedY,
					       "EvacuatedX+useY");
				b->tophash[i] = EvacuatedX + useY;
				struct evacdst *dst = &xy[useY];
				if (dst->i == BucketCnt) {
					evacdst_init(h, dst, newoverflow(h, dst->b));
				}
				dst->b->tophash[dst->i] = top;
				if (!fast64 && (h->tflags & TIndirectKey)) {
					*(void **)dst->k = k2; // the key's object moves with its pointer
				} else {
					typedmemmove(dst->k, k, keysize);
				}
				typedmemmove(dst->e, e, h->elemsize); // a value, or its pointer
				dst->i++;
				// Past the arrays after the last cell: then the overflow
				// pointer follows, so they still point into the bucket.
				dst->k += keysize;
				dst->e += h->elemsize;
			}
		}
		if (!(flags & OldIterator) && !(h->tflags & TNoScan)) {
			struct bmap *ob = bucketat(h, h->oldbuckets, oldbucket);
			memset((char *)ob + DataOffset, 0, h->bucketsize - DataOffset); // the chain goes too
		}
	}
	if (oldbucket == h->nevacuate) {
		advanceEvacuationMark(h, newbit);
	}
}

static void
evacuate(struct hmap *h, uint64_t oldbucket)
{
	if (h->alg == AlgMem64) {
		evacuatebody(h, oldbucket, true);
	} else {
		evacuatebody(h, oldbucket, false);
	}
}

// Move nevacuate past the evacuated old buckets (up to 1024 at a time:
// O(1) a write, Go's safeguard); past the last, the growth is over and
// the old array goes (an iterator that walks it keeps it itself).
static void
advanceEvacuationMark(struct hmap *h, uint64_t newbit)
{
	h->nevacuate++;
	uint64_t stop = h->nevacuate + 1024;
	if (stop > newbit) {
		stop = newbit;
	}
	while (h->nevacuate != stop && evacuated(bucketat(h, h->oldbuckets, h->nevacuate))) {
		h->nevacuate++;
	}
	if (h->nevacuate == newbit) {
		h->oldbuckets = NULL;
		if (h->extra != NULL) {
			h->extra->oldoverflow = NULL;
		}
		atomic_store_relaxed(&h->flags, atomic_load_relaxed(&h->flags) & ~SameSizeGrow);
	}
}
