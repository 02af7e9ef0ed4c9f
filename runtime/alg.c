// alg.c: the hash functions over bytes and their keys (Go's alg.go and
// the aeshash of asm_amd64.s): alginit, which looks at the CPU and draws
// the random keys at boot; aeshash and memhashfallback, the two forms of
// memhash; and map_memhash, hood.h's, for programs' own map hashes. See
// alg.h for the overview and the word hashes, which are inline there.
//
// Both forms read exactly the n bytes they hash, never past them (no
// page-boundary tricks as in Go's assembly): the hosted ASan build checks
// every load, and a key may end at the end of a mapped page. Up to 16
// bytes are read as two words that may overlap (loadshort); with the
// length mixed into the seed, the two words and the length say which
// bytes were hashed.

#include "include/hood.h"
#include "runtime/alg.h"

hashvec aeskeysched[8] __attribute__((aligned(16)));
uint64_t hashkey[4];
bool useaeshash;
const char *algseedsource;

static uint64_t randomword(bool hasrdseed, bool hasrdrand, int *source);
static void loadshort(const uint8_t *p, uint64_t n, uint64_t *a, uint64_t *b);
static hashvec loadvec(const uint8_t *p);

enum { SeedRdseed, SeedRdrand, SeedTsc };
static const char *const seednames[] = {"rdseed", "rdrand", "tsc"};

// alginit: whether the CPU has AES-NI (CPUID.1:ECX bit 25; Go's
// alginit also wants SSSE3 and SSE4.1 for its shuffles, which these hashes
// do not use), and the random keys of both forms, from RDSEED (CPUID.7:EBX
// bit 18), RDRAND (CPUID.1:ECX bit 30) or the TSC. Called once by
// schedinit, before any map is made (Go's schedinit: cpuinit, then
// alginit, which maps cannot do without).
void
alginit(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t maxleaf = r[0];
	cpuid(1, 0, r);
	bool hasaes = r[2] >> 25 & 1, hasrdrand = r[2] >> 30 & 1, hasrdseed = false;
	if (maxleaf >= 7) {
		cpuid(7, 0, r);
		hasrdseed = r[1] >> 18 & 1;
	}
	int source = SeedRdseed; // the weakest source any word came from
	uint64_t *ks = (uint64_t *)aeskeysched;
	for (size_t i = 0; i < sizeof aeskeysched / 8; i++) {
		ks[i] = randomword(hasrdseed, hasrdrand, &source);
	}
	for (int i = 0; i < 4; i++) {
		hashkey[i] = randomword(hasrdseed, hasrdrand, &source) | 1; // odd, as Go's
	}
	algseedsource = seednames[source];
	useaeshash = hasaes;
}

// A random word: RDSEED's (a true random number, retried a while if the
// CPU has none ready), else RDRAND's, else one mixed from the TSC (a
// machine without either: QEMU's default CPU). An all-ones result with
// the carry set counts as a failure too (some AMD parts return that after
// a resume). *source is raised to the weakest source used.
static uint64_t
randomword(bool hasrdseed, bool hasrdrand, int *source)
{
	static uint64_t tscstate;
	uint64_t v;
	for (int i = 0; hasrdseed && i < 64; i++) {
		if (rdseed64(&v) && v != ~0ULL) {
			return v;
		}
	}
	for (int i = 0; hasrdrand && i < 10; i++) {
		if (rdrand64(&v) && v != ~0ULL) {
			if (*source < SeedRdrand) {
				*source = SeedRdrand;
			}
			return v;
		}
	}
	// splitmix64 over the TSC: each call takes in the counter's low bits
	// at that instant, and the state carries what the earlier ones took.
	*source = SeedTsc;
	tscstate += rdtsc() + 0x9e3779b97f4a7c15ULL;
	v = tscstate;
	v = (v ^ v >> 30) * 0xbf58476d1ce4e5b9ULL;
	v = (v ^ v >> 27) * 0x94d049bb133111ebULL;
	return v ^ v >> 31;
}

// The n <= 16 bytes at p as two words a and b, none read past p+n: two
// 8-byte words (overlapping below 16), two 4-byte ones below 8, three
// bytes below 4 (the first, the middle and the last: each byte of a
// 1-, 2- or 3-byte key is one of them), nothing for none.
static void
loadshort(const uint8_t *p, uint64_t n, uint64_t *a, uint64_t *b)
{
	if (n >= 8) {
		*a = readu64(p);
		*b = readu64(p + n - 8);
	} else if (n >= 4) {
		*a = readu32(p);
		*b = readu32(p + n - 4);
	} else if (n > 0) {
		*a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
		*b = 0;
	} else {
		*a = *b = 0;
	}
}

static hashvec
loadvec(const uint8_t *p)
{
	hashvec v;
	memcpy(&v, p, 16);
	return v;
}

// aeshash: memhash with AES rounds (Go's aeshashbody, rewritten in C).
// The seed and the length, scrambled, start up to four lanes, each its
// own; the data is xored into the lanes 16 bytes at a time, each lane
// then scrambled: up to 16 bytes in one lane, up to 32 in two (the first
// and the last 16, overlapping), up to 64 in four, and beyond that 64
// bytes a step, two rounds a lane, the last 64 overlapping the block
// before. Every byte passes through at least three rounds after it went
// in, the last of them after the lanes are combined.
uint64_t
aeshash(const void *p, uint64_t n, uint64_t seed)
{
	const uint8_t *s = p;
	const hashvec *k = aeskeysched;
	hashvec h0 = aesenc((hashvec){(long long)seed, (long long)n} ^ k[0], k[1]);
	if (n <= 16) {
		uint64_t a, b;
		loadshort(s, n, &a, &b);
		hashvec v = (hashvec){(long long)a, (long long)b} ^ h0;
		v = aesenc(v, k[2]);
		v = aesenc(v, k[3]);
		return (uint64_t)aesenc(v, k[4])[0];
	}
	hashvec h1 = h0 ^ k[2]; // the second lane's start: the rounds below key it apart
	if (n <= 32) {
		hashvec a = loadvec(s) ^ h0, b = loadvec(s + n - 16) ^ h1;
		a = aesenc(aesenc(a, k[3]), k[4]);
		b = aesenc(aesenc(b, k[5]), k[6]);
		return (uint64_t)aesenc(a ^ b, k[7])[0];
	}
	// The last 64 bytes (from the start, for 64 or fewer: then the middle
	// blocks overlap the outer ones) go in last, after the blocks before.
	const uint8_t *end = s + n, *last = n > 64 ? end - 64 : s;
	hashvec a = h0, b = h1, c = aesenc(h1, k[3]), d = aesenc(h1, k[4]);
	for (; end - s > 64; s += 64) {
		a = aesenc(aesenc(a ^ loadvec(s), k[5]), k[6]);
		b = aesenc(aesenc(b ^ loadvec(s + 16), k[6]), k[7]);
		c = aesenc(aesenc(c ^ loadvec(s + 32), k[7]), k[5]);
		d = aesenc(aesenc(d ^ loadvec(s + 48), k[5]), k[7]);
	}
	a = aesenc(a ^ loadvec(last), k[2]);
	b = aesenc(b ^ loadvec(last + 16), k[3]);
	c = aesenc(c ^ loadvec(end - 32), k[4]);
	d = aesenc(d ^ loadvec(end - 16), k[5]);
	hashvec v = aesenc(a ^ b, k[6]) ^ aesenc(c ^ d, k[7]);
	return (uint64_t)aesenc(aesenc(v, k[1]), k[0])[0];
}

// memhashfallback: memhash without AES (wyhash's construction, written
// for hood): 16 bytes at a time multiplied into the state, 48 at a time
// in three lanes for long keys, the last 16 bytes and the length in the
// final multiplies.
uint64_t
memhashfallback(const void *p, uint64_t n, uint64_t seed)
{
	const uint8_t *s = p;
	uint64_t len = n, a, b;
	seed ^= mulfold(seed ^ hashkey[0], hashkey[1]);
	if (n <= 16) {
		loadshort(s, n, &a, &b);
	} else {
		if (n > 48) {
			uint64_t s1 = seed, s2 = seed;
			do {
				seed = mulfold(readu64(s) ^ hashkey[1], readu64(s + 8) ^ seed);
				s1 = mulfold(readu64(s + 16) ^ hashkey[2], readu64(s + 24) ^ s1);
				s2 = mulfold(readu64(s + 32) ^ hashkey[3], readu64(s + 40) ^ s2);
				s += 48;
				n -= 48;
			} while (n > 48);
			seed ^= s1 ^ s2;
		}
		for (; n > 16; s += 16, n -= 16) {
			seed = mulfold(readu64(s) ^ hashkey[1], readu64(s + 8) ^ seed);
		}
		// The last 16 bytes, which may overlap the block before: at
		// least 16 were read before s, or n was over 16 here.
		a = readu64(s + n - 16);
		b = readu64(s + n - 8);
	}
	return mulfold(hashkey[1] ^ len, mulfold(a ^ hashkey[1], b ^ seed));
}

// hood.h's: memhash in the form the CPU has, for a MapKeyFunc map's hash.
uint64_t
map_memhash(const void *p, size_t n, uint64_t seed)
{
	return memhash(p, n, seed, useaeshash);
}
