// map_bench.c: maps (runtime/map.c, map_fast.c, alg.c; docs/map.md),
// each benchmark with its Go twin in bench/go/map_test.go doing the same
// work, through the calls Go's compiler would make (the fast paths for
// int64 and string keys). Keys are splitmix64's sequence on both sides;
// maps of numbers are noscan, as Go's are by their types.
//
//	MapInsertInt64/N   maps of N int64 keys (1e3, 1e6) made from empty,
//	                   no hint, one after the other: an op is one insert,
//	                   growths and the collector's work included (1e6 on
//	                   the hosted port only)
//	MapLookupInt64/hit a map of 2^16 int64 keys: look each up, in another
//	                   order than inserted; an op is one lookup
//	MapLookupInt64/miss the same map, keys that are not in it
//	MapInsertString    maps of 1e4 string keys (10 to 17 bytes) made from
//	                   empty, each key from a byte buffer: the map copies
//	                   a new key's bytes, as Go's m[string(b)] = v does
//	MapLookupString    a map of 1e4 string keys: look up other copies of
//	                   their bytes; an op is one lookup
//	MapIter            ranges over a map of 1e4 int64 keys: an op is one
//	                   key produced
//	MapDelete          delete every key of a map of 1e4 int64 keys, in
//	                   another order than inserted, the map refilled off
//	                   the clock: an op is one delete

#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "include/hood.h"

// Where results go, so that no lookup is dead code.
volatile int64_t mapsink;

// splitmix64: the keys, the same numbers as the Go twins'.
static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ z >> 27) * 0x94d049bb133111ebULL;
	return z ^ z >> 31;
}

// n keys from seed.
static int64_t *
mapkeys(long n, uint64_t seed)
{
	int64_t *k = newarraynoscan(int64_t, n);
	for (long i = 0; i < n; i++) {
		k[i] = (int64_t)splitmix(&seed);
	}
	return k;
}

// Fisher-Yates with splitmix64, as the twins shuffle.
static void
shuffle(int64_t *k, long n, uint64_t seed)
{
	for (long i = n - 1; i > 0; i--) {
		long j = (long)(splitmix(&seed) % (uint64_t)(i + 1));
		int64_t t = k[i];
		k[i] = k[j];
		k[j] = t;
	}
}

// A noscan map of keys[0 .. n-1], each keys' index as its value.
static struct hmap *
fillmap(const int64_t *keys, long n)
{
	struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 0);
	for (long i = 0; i < n; i++) {
		*(int64_t *)map_assign_fast64(m, (uint64_t)keys[i]) = i;
	}
	return m;
}

static void
insertint64(struct B *b, long n)
{
	int64_t *keys = mapkeys(n, 1);
	b_resettimer(b);
	for (long done = 0; done < b->n;) {
		struct hmap *m = make_mapnoscan(int64_t, int64_t, MapKeyInt64, 0);
		for (long i = 0; i < n && done < b->n; i++, done++) {
			*(int64_t *)map_assign_fast64(m, (uint64_t)keys[i]) = i;
		}
	}
}

static void
insertint64_1e3(struct B *b)
{
	insertint64(b, 1000);
}
BENCH_REGISTER(insertint64_1e3, "BenchmarkMapInsertInt64/1e3");

// A map of 1e6 keys is 38 MiB of buckets, with its old array 57 during
// its last doubling, and with the collector's goal above that: more than
// the guest's 128 MiB holds beside the other benchmarks' garbage.
static void
insertint64_1e6(struct B *b)
{
#ifdef __linux__
	insertint64(b, 1000000);
#else
	b_skip(b, "a map of 1e6 keys and its growth want more than the guest's memory: hosted only");
#endif
}
BENCH_REGISTER(insertint64_1e6, "BenchmarkMapInsertInt64/1e6");

enum { LookupKeys = 1 << 16, StringKeys = 10000, IterKeys = 10000, DeleteKeys = 10000 };

static void
lookupint64(struct B *b, bool hit)
{
	int64_t *keys = mapkeys(LookupKeys, 2);
	struct hmap *m = fillmap(keys, LookupKeys);
	int64_t *probe = hit ? keys : mapkeys(LookupKeys, 3);
	shuffle(probe, LookupKeys, 4);
	int64_t sum = 0;
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		sum += *(const int64_t *)map_access1_fast64(m, (uint64_t)probe[i & (LookupKeys - 1)]);
	}
	mapsink = sum;
}

static void
lookupint64_hit(struct B *b)
{
	lookupint64(b, true);
}
BENCH_REGISTER(lookupint64_hit, "BenchmarkMapLookupInt64/hit");

static void
lookupint64_miss(struct B *b)
{
	lookupint64(b, false);
}
BENCH_REGISTER(lookupint64_miss, "BenchmarkMapLookupInt64/miss");

// n string keys: "k" and a number in hex, in one noscan block.
static struct gostring *
mapstrings(long n, uint64_t seed)
{
	struct gostring *s = newarray(struct gostring, n);
	char *bytes = newarraynoscan(char, n * 24);
	for (long i = 0; i < n; i++) {
		int len = snprintf(bytes + i * 24, 24, "k%lx", (unsigned long)splitmix(&seed));
		s[i] = gostringn(bytes + i * 24, (size_t)len);
	}
	return s;
}

BENCH(BenchmarkMapInsertString)
{
	struct gostring *keys = mapstrings(StringKeys, 5);
	b_resettimer(b);
	for (long done = 0; done < b->n;) {
		struct hmap *m = make_mapnoscan(struct gostring, int64_t, MapKeyString, 0);
		for (long i = 0; i < StringKeys && done < b->n; i++, done++) {
			*(int64_t *)map_assign_faststr(m, keys[i]) = i;
		}
	}
}

BENCH(BenchmarkMapLookupString)
{
	struct gostring *keys = mapstrings(StringKeys, 6), *probe = mapstrings(StringKeys, 6);
	struct hmap *m = make_mapnoscan(struct gostring, int64_t, MapKeyString, 0);
	for (long i = 0; i < StringKeys; i++) {
		*(int64_t *)map_assign_faststr(m, keys[i]) = i;
	}
	int64_t sum = 0;
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		sum += *(const int64_t *)map_access1_faststr(m, probe[i % StringKeys]);
	}
	mapsink = sum;
}

BENCH(BenchmarkMapIter)
{
	struct hmap *m = fillmap(mapkeys(IterKeys, 7), IterKeys);
	int64_t sum = 0;
	b_resettimer(b);
	for (long i = 0; i < b->n;) {
		struct hiter it;
		for (map_range(m, &it); it.key != NULL && i < b->n; map_next(&it), i++) {
			sum += *(const int64_t *)it.key + *(int64_t *)it.elem;
		}
	}
	mapsink = sum;
}

BENCH(BenchmarkMapDelete)
{
	int64_t *keys = mapkeys(DeleteKeys, 8), *order = mapkeys(DeleteKeys, 8);
	shuffle(order, DeleteKeys, 9);
	struct hmap *m = fillmap(keys, DeleteKeys);
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		if (i % DeleteKeys == 0 && i != 0) {
			b_stoptimer(b);
			for (long j = 0; j < DeleteKeys; j++) {
				*(int64_t *)map_assign_fast64(m, (uint64_t)keys[j]) = j;
			}
			b_starttimer(b);
		}
		map_delete_fast64(m, (uint64_t)order[i % DeleteKeys]);
	}
}
