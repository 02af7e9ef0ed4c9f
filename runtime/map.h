// map.h: maps, Go's map.go, map_fast64.go and map_faststr.go (go1.11's
// design, the book's) in C. This is the overview; the files are:
//
//	map.c       makemap, mapaccess1/2, mapassign, mapdelete, mapclear, the
//	            iterator (mapiterinit, mapiternext), and hood.h's map_*
//	            calls
//	map_grow.c  the bucket arrays, overflow buckets, and growth (hashGrow,
//	            growWork, evacuate)
//	map_fast.c  the fast paths for 64-bit and string keys
//	alg.c       the hash functions (alg.h)
//
// A map is a hash table: an array of 2^B buckets, each of BucketCnt (8)
// cells. The low B bits of a key's hash pick its bucket; the top 8 bits
// are its tophash, kept in the bucket's first 8 bytes, so that a lookup
// compares a key only where its tophash matches (all 8 matched at once,
// as a word: matchtop). A bucket holds its 8
// tophashes, then its 8 keys, then its 8 values (keys together and values
// together: no padding between a key and its value, for map[int64]int8),
// then a pointer to an overflow bucket, where a ninth key of the bucket
// goes:
//
//	buckets --> [ tophash[8] | k0 .. k7 | v0 .. v7 | overflow ] --> [ ... | NULL ]
//	            [ tophash[8] | k0 .. k7 | v0 .. v7 | NULL     ]
//	            ...  (2^B of them, bucketsize bytes each)
//
// Keys and values of more than 128 bytes (MaxKeySize, MaxElemSize), or
// that need more than 8-byte alignment, are stored indirectly: the cell
// holds a pointer to a heap object of their own.
//
// Growth. An insert that would take the average load past 6.5 keys a
// bucket (LoadFactorNum/LoadFactorDen) starts a growth to twice the
// buckets; one that finds too many overflow buckets (about as many as
// buckets: tooManyOverflowBuckets) starts one to the same number, which
// packs sparse chains again (sameSizeGrow). hashGrow only allocates the
// new array and keeps the old one (oldbuckets); the keys move later, a
// bucket at a time (evacuate), two buckets at each insert and delete
// (growWork: the one the operation touches, and the next in order,
// nevacuate). An old bucket i splits into new buckets i (X, the first
// half) and i + 2^(B-1) (Y, the second), by the new bit of each key's
// hash; its cells are marked evacuatedX or evacuatedY (or
// evacuatedEmpty), so that a reader looks in the old bucket only while it
// is not evacuated. When the last old bucket is done, oldbuckets goes.
//
// Iteration (struct hiter, hood.h's) starts at a random bucket and a
// random cell in each bucket (so two ranges over one map differ), walks
// the bucket array it began with, and, during a growth, the old bucket of
// each new one not evacuated yet, taking from it only the keys that will
// go to the new bucket at hand. A key that moved after the range began is
// looked up again (Go's mapaccessK, mapfind here), so a key deleted
// meanwhile is not returned and an updated one gives its new value.
// Inserting and deleting during a range is allowed (Go's rules): a deleted
// key not reached yet is not produced, an inserted one may be or not, and
// no key comes twice unless it was deleted and inserted again (a new
// entry, which may come or not).
//
// Concurrency. A map is not safe for concurrent use (Go's rule): any
// number of readers and iterators, or one writer. The writer sets
// hashWriting in flags (an xor, as Go's) for the length of each write,
// and checks it is still set at the end; readers and iterators check it
// is clear. What they find is Go's fatal error (gothrow): "concurrent map
// writes", "concurrent map read and map write", "concurrent map iteration
// and map write". The check catches most misuse, not all (Go's too). The
// flags byte is read and written with relaxed atomics, plain moves on
// x86-64, so that ThreadSanitizer sees concurrent readers (whose
// iterators set Iterator with an atomic or, as Go's mapiterinit) as the
// legitimate use they are.
//
// Memory. The hmap, the bucket arrays, indirect keys and values and the
// copies of string keys are in the collector's heap. Bucket arrays are
// noscan when nothing in a bucket may point to the heap (integer keys, the
// program's noscan claim, nothing indirect): the collector never reads
// them, and overflow buckets, whose pointers are then invisible to it,
// are kept alive by lists in mapextra (Go's extra.overflow), which the
// iterator holds on to as well.
//
// Invariants (with no write in progress):
//	count == the cells whose tophash is >= MinTopHash, in buckets and in
//	the old buckets not evacuated
//	oldbuckets != NULL <=> growing; then nevacuate < noldbuckets, and every
//	old bucket below nevacuate is evacuated
//	a bucket's cells past its last full one, and its overflow chain's,
//	are EmptyRest; each other empty cell is EmptyOne (Go 1.12's markers,
//	which end a lookup at the first never-used cell)
//	an old bucket and its overflow chain are all evacuated or none
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "include/hood.h"
#include "runtime/alg.h"
#include "runtime/runtime.h"

enum {
	BucketCntBits = 3,
	BucketCnt = 1 << BucketCntBits, // cells a bucket holds
	LoadFactorNum = 13,             // the average load that starts a growth: 13/2 = 6.5
	LoadFactorDen = 2,
	MaxKeySize = 128, // larger keys and values are stored indirectly (Go's)
	MaxElemSize = 128,
	DataOffset = BucketCnt, // the keys begin after the tophashes
	MaxZero = 1024,         // values up to this size read as zerovalue when missing (Go's maxZero)

	// tophash values below MinTopHash mark a cell (Go's, since 1.12):
	EmptyRest = 0,      // empty, and so are all the cells after it, overflow buckets too
	EmptyOne = 1,       // empty
	EvacuatedX = 2,     // moved to the first half of the larger array
	EvacuatedY = 3,     // moved to the second half
	EvacuatedEmpty = 4, // empty, and the bucket is evacuated
	MinTopHash = 5,     // the least tophash of a full cell

	// flags:
	Iterator = 1,     // an iterator may be using buckets
	OldIterator = 2,  // an iterator may be using oldbuckets
	HashWriting = 4,  // a goroutine is writing to the map
	SameSizeGrow = 8, // the growth in progress is to the same size
};

// The hash and equality a map's keys use (hmap.alg): fixed-size memory of
// 4, 8 or any bytes, a string (struct gostring), or the program's pair.
enum {
	AlgMem32 = 1, // MapKeyInt32, and MapKeyMem of 4 bytes
	AlgMem64,     // MapKeyInt64, MapKeyPtr, MapKeyMem of 8: the fast64 paths
	AlgMem,       // MapKeyMem of other sizes
	AlgStr,       // MapKeyString: the faststr paths
	AlgFunc,      // MapKeyFunc
};

// hmap.tflags: what Go's maptype says of the key and value types.
enum {
	TIndirectKey = 1,   // the cells hold pointers to the keys
	TIndirectElem = 2,  // and to the values
	TReflexiveKey = 4,  // equal(k, k) always (not for MapKeyFunc: a NaN-like key may not)
	TNeedKeyUpdate = 8, // an assign overwrites an equal key (MapKeyFunc: equal need not mean identical)
	TNoScan = 16,       // the bucket arrays hold no pointers: noscan memory
	TKeyNoScan = 32,    // indirect keys' objects are noscan
	TElemNoScan = 64,   // indirect values' objects are noscan
	TAes = 128,         // the keys hash with AES-NI (alg.h)
};

// A bucket (Go's bmap): its tophashes, then BucketCnt keys, BucketCnt
// values and the overflow pointer, at the offsets hmap's sizes give.
struct bmap {
	uint8_t tophash[BucketCnt];
};

// A list of overflow buckets, kept for the collector when the bucket
// arrays are noscan (Go's *[]*bmap): the struct stays where it is, b is
// reallocated as it grows, so an iterator that holds the struct keeps
// every bucket appended later too.
struct bmaplist {
	long n, cap;
	struct bmap **b;
};

// What not every map needs (Go's mapextra).
struct mapextra {
	struct bmaplist *overflow;    // noscan maps: the overflow buckets of buckets
	struct bmaplist *oldoverflow; // and of oldbuckets
	struct bmap *nextOverflow;    // a free overflow bucket made with the array (makeBucketArray)
};

// struct hmap: a map (Go's hmap, and the maptype Go passes beside it to
// every call). Owned by the map's one writer while hashWriting is set;
// read by any number of readers otherwise.
struct hmap {
	long count;         // live cells: map_len; first, as Go's
	uint8_t flags;      // Atomic, relaxed: Iterator, OldIterator, HashWriting, SameSizeGrow
	uint8_t B;          // log2 of the buckets (up to LoadFactor * 2^B cells)
	uint16_t noverflow; // overflow buckets, about (incrnoverflow)
	// The key type's, set by makemap, then read-only:
	uint8_t alg;             // Alg*
	uint8_t tflags;          // T*
	uint8_t keysize;         // a key cell's bytes: the key's, or 8 if indirect
	uint8_t elemsize;        // a value cell's
	uint64_t hash0;          // the map's seed, new when the map empties
	struct bmap *buckets;    // 2^B buckets; NULL until the first assign if B is 0
	struct bmap *oldbuckets; // half as many (as many: SameSizeGrow), while growing
	uint64_t nevacuate;      // old buckets below this are evacuated
	struct mapextra *extra;  // NULL until needed
	// The types', set by makemap, then read-only:
	uint32_t bucketsize;
	uint64_t keytypesize, elemtypesize;               // the key's and value's own sizes
	const void *zero;                                 // the value a missing key reads as
	uint64_t (*hash)(const void *key, uint64_t seed); // AlgFunc's
	bool (*equal)(const void *a, const void *b);      // AlgFunc's
};

extern const uint8_t zerovalue[MaxZero];

// ---- buckets, as Go's bmap methods ------------------------------------------------

static inline uint64_t
bucketShift(uint8_t b)
{
	return 1ULL << (b & 63);
}

static inline uint64_t
bucketMask(uint8_t b)
{
	return bucketShift(b) - 1;
}

// The tophash of hash: its top byte, above the markers.
static inline uint8_t
tophash(uint64_t hash)
{
	uint8_t top = (uint8_t)(hash >> 56);
	return top < MinTopHash ? top + MinTopHash : top;
}

static inline bool
isEmpty(uint8_t x)
{
	return x <= EmptyOne;
}

// The 8 tophashes of a bucket at once, as a word with cell i's in byte i
// (little-endian): the lookups compare them all in a few instructions
// rather than in a loop of 8 branches, whose exit at a random cell costs
// a misprediction a lookup. Go 1.11 loops; its Swiss tables (1.24) match
// their control bytes this way too.
static inline uint64_t
tophashword(const struct bmap *b)
{
	return readu64(b->tophash);
}

// The zero bytes of x: bit 8i+7 set where byte i is 0, exactly (Hacker's
// Delight, 6-1: the high bit of each byte after adding 0x7f to its low 7
// bits, or'ed with the byte, is clear only for a zero byte).
static inline uint64_t
zerobytes(uint64_t x)
{
	uint64_t y = (x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL;
	return ~(y | x | 0x7f7f7f7f7f7f7f7fULL);
}

// The cells of word (a bucket's tophashes) that hold top, and those that
// are empty (EmptyRest or EmptyOne: 0 or 1), as zerobytes' masks; the
// first cell of a mask is cellof(mask), the next after mask &= mask - 1.
static inline uint64_t
matchtop(uint64_t word, uint8_t top)
{
	return zerobytes(word ^ (0x0101010101010101ULL * top));
}

static inline uint64_t
matchempty(uint64_t word)
{
	return zerobytes(word & 0xfefefefefefefefeULL);
}

static inline unsigned
cellof(uint64_t mask)
{
	return (unsigned)__builtin_ctzll(mask) >> 3;
}

static inline bool
evacuated(const struct bmap *b)
{
	uint8_t h = b->tophash[0];
	return h > EmptyOne && h < MinTopHash;
}

static inline struct bmap *
bucketat(const struct hmap *h, struct bmap *array, uint64_t i)
{
	return (struct bmap *)((char *)array + i * h->bucketsize);
}

static inline void *
bmap_key(const struct hmap *h, struct bmap *b, uint64_t i)
{
	return (char *)b + DataOffset + i * h->keysize;
}

static inline void *
bmap_elem(const struct hmap *h, struct bmap *b, uint64_t i)
{
	return (char *)b + DataOffset + BucketCnt * h->keysize + i * h->elemsize;
}

static inline struct bmap *
bmap_overflow(const struct hmap *h, struct bmap *b)
{
	return *(struct bmap **)((char *)b + h->bucketsize - sizeof(void *));
}

static inline void
bmap_setoverflow(const struct hmap *h, struct bmap *b, struct bmap *ovf)
{
	*(struct bmap **)((char *)b + h->bucketsize - sizeof(void *)) = ovf;
}

static inline bool
hmap_growing(const struct hmap *h)
{
	return h->oldbuckets != NULL;
}

static inline bool
hmap_sameSizeGrow(const struct hmap *h)
{
	return atomic_load_relaxed(&h->flags) & SameSizeGrow;
}

// The old array's bucket count and its mask (Go's noldbuckets,
// oldbucketmask).
static inline uint64_t
hmap_noldbuckets(const struct hmap *h)
{
	return bucketShift(hmap_sameSizeGrow(h) ? h->B : h->B - 1);
}

static inline uint64_t
hmap_oldbucketmask(const struct hmap *h)
{
	return hmap_noldbuckets(h) - 1;
}

// The bucket a lookup of hash reads: its old bucket while that is not
// evacuated yet (Go's mapaccess1's start).
static inline struct bmap *
hmap_readbucket(const struct hmap *h, uint64_t hash)
{
	uint64_t m = bucketMask(h->B);
	struct bmap *b = bucketat(h, h->buckets, hash & m);
	if (h->oldbuckets != NULL) {
		if (!hmap_sameSizeGrow(h)) {
			m >>= 1; // half as many buckets before
		}
		struct bmap *oldb = bucketat(h, h->oldbuckets, hash & m);
		if (!evacuated(oldb)) {
			b = oldb;
		}
	}
	return b;
}

// Whether count keys in 2^B buckets are past the load factor (Go's
// overLoadFactor: a single bucket holds up to 8).
static inline bool
overLoadFactor(long count, uint8_t B)
{
	return count > BucketCnt && (uint64_t)count > LoadFactorNum * (bucketShift(B) / LoadFactorDen);
}

// Whether noverflow overflow buckets are too many for 2^B buckets: about
// as many as buckets, counting to 2^15 at most (Go's
// tooManyOverflowBuckets). They must be sparse: dense ones would have
// started a doubling already.
static inline bool
tooManyOverflowBuckets(uint16_t noverflow, uint8_t B)
{
	if (B > 15) {
		B = 15;
	}
	return noverflow >= (uint16_t)(1U << B);
}

// hashWriting, set and cleared with an xor and checked on the way out
// (Go's h.flags ^= hashWriting). Relaxed loads and stores: see the
// overview.
static inline void
hmap_togglewriting(struct hmap *h)
{
	atomic_store_relaxed(&h->flags, atomic_load_relaxed(&h->flags) ^ HashWriting);
}

static inline bool
hmap_writing(const struct hmap *h)
{
	return atomic_load_relaxed(&h->flags) & HashWriting;
}

// A key cell's key (through its pointer if indirect), and the hash and
// equality of the map's keys.
static inline void *
hmap_indirectkey(const struct hmap *h, void *k)
{
	return h->tflags & TIndirectKey ? *(void **)k : k;
}

static inline void *
hmap_indirectelem(const struct hmap *h, void *e)
{
	return h->tflags & TIndirectElem ? *(void **)e : e;
}

static inline uint64_t
hmap_hash(const struct hmap *h, const void *key)
{
	bool aes = h->tflags & TAes;
	switch (h->alg) {
	case AlgMem32:
		return memhash32(readu32(key), h->hash0, aes);
	case AlgMem64:
		return memhash64(readu64(key), h->hash0, aes);
	case AlgStr: {
		const struct gostring *s = key;
		return memhash(s->str, s->len, h->hash0, aes);
	}
	case AlgFunc:
		return h->hash(key, h->hash0);
	default:
		return memhash(key, h->keytypesize, h->hash0, aes);
	}
}

// Whether n bytes at a and b are the same (Go's memequal): up to 32 as
// two or four loads a side, which may overlap; more through memcmp.
static inline bool
memequal(const void *a, const void *b, uint64_t n)
{
	const char *x = a, *y = b;
	if (n >= 8 && n <= 16) {
		return readu64(x) == readu64(y) && readu64(x + n - 8) == readu64(y + n - 8);
	}
	if (n > 16 && n <= 32) {
		return ((readu64(x) ^ readu64(y)) | (readu64(x + 8) ^ readu64(y + 8)) |
			(readu64(x + n - 16) ^ readu64(y + n - 16)) |
			(readu64(x + n - 8) ^ readu64(y + n - 8))) == 0;
	}
	if (n >= 4 && n < 8) {
		return readu32(x) == readu32(y) && readu32(x + n - 4) == readu32(y + n - 4);
	}
	if (n < 4) {
		return n == 0 || (x[0] == y[0] && x[n >> 1] == y[n >> 1] && x[n - 1] == y[n - 1]);
	}
	return memcmp(x, y, n) == 0;
}

static inline bool
hmap_keyequal(const struct hmap *h, const void *a, const void *b)
{
	switch (h->alg) {
	case AlgMem32:
		return readu32(a) == readu32(b);
	case AlgMem64:
		return readu64(a) == readu64(b);
	case AlgStr: {
		const struct gostring *x = a, *y = b;
		return x->len == y->len && (x->str == y->str || memequal(x->str, y->str, x->len));
	}
	case AlgFunc:
		return h->equal(a, b);
	default:
		return memequal(a, b, h->keytypesize);
	}
}

// Clear n bytes of a key or value (Go's memclr): the common sizes as
// stores, the rest through memset.
static inline void
typedmemclr(void *p, uint64_t n)
{
	switch (n) {
	case 4:
		memset(p, 0, 4);
		break;
	case 8:
		memset(p, 0, 8);
		break;
	case 16:
		memset(p, 0, 16);
		break;
	default:
		memset(p, 0, n);
	}
}

// Copy n bytes of a key or value (Go's typedmemmove): the common sizes
// as moves, the rest through memmove.
static inline void
typedmemmove(void *dst, const void *src, uint64_t n)
{
	switch (n) {
	case 4:
		memcpy(dst, src, 4);
		break;
	case 8:
		memcpy(dst, src, 8);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	default:
		memmove(dst, src, n);
	}
}

// map.c
struct hmap *makemap(const struct maptype *t, long hint, bool aes);
void *mapaccess1(struct hmap *h, const void *key);
void *mapaccess2(struct hmap *h, const void *key, bool *ok);
void *mapassign(struct hmap *h, const void *key);
void mapdelete(struct hmap *h, const void *key);
void mapclear(struct hmap *h);
void mapiterinit(struct hmap *h, struct hiter *it);
void mapiternext(struct hiter *it);
void mapfirstbucket(struct hmap *h);
void mapsetkey(struct hmap *h, void *cell, const void *key);
void mapnewelem(struct hmap *h, void *cell);
void mapdeletecell(struct hmap *h, struct bmap *bOrig, struct bmap *b, uint64_t i);

// map_grow.c
struct bmap *makeBucketArray(struct hmap *h, uint8_t b, struct bmap *dirtyalloc, struct bmap **nextOverflow);
struct mapextra *createextra(struct hmap *h);
void createOverflow(struct hmap *h);
void hashGrow(struct hmap *h);
void growWork(struct hmap *h, uint64_t bucket);
struct bmap *newoverflow(struct hmap *h, struct bmap *b);

// map_fast.c
const void *mapaccess1_fast64(struct hmap *h, uint64_t key);
const void *mapaccess2_fast64(struct hmap *h, uint64_t key, bool *ok);
void *mapassign_fast64(struct hmap *h, uint64_t key);
void mapdelete_fast64(struct hmap *h, uint64_t key);
const void *mapaccess1_faststr(struct hmap *h, struct gostring key);
const void *mapaccess2_faststr(struct hmap *h, struct gostring key, bool *ok);
void *mapassign_faststr(struct hmap *h, struct gostring key);
void mapdelete_faststr(struct hmap *h, struct gostring key);
