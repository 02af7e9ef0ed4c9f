// alg.h: the maps' hash functions, Go's alg.go, hash64.go and the aeshash
// of asm_amd64.s: memhash over bytes, memhash32 and memhash64 over one
// word, each in two forms, chosen once at boot by alginit (alg.c):
//
//	AES-NI       when CPUID says the CPU has it (Go's useAeshash): the
//	             seed and the data go through AESENC rounds keyed by
//	             aeskeysched, 128 random bytes (Go's aeshash, rewritten)
//	portable     everywhere else: 64x64->128-bit multiplies folded with
//	             xor (wyhash's construction, written for hood), keyed
//	             by hashkey, 32 random bytes
//
// Every hash takes a seed: each map has its own (hmap.hash0), so the same
// keys fall in different buckets in two maps, and again after a map
// empties (mapdelete, mapclear); the keys are random at every boot, taken
// from RDSEED, else RDRAND, else the TSC (alginit). A map records at
// makemap which form it hashes with (hmap's TAes), so that a test may make
// maps of either; both give 64 bits, of which the low B pick the bucket
// and the top 8 the tophash (map.h).
//
// The instructions the hashes and the seeding need are here as static
// inline functions (STYLE.md: no asm scattered in .c files): CPUID,
// RDSEED, RDRAND, RDTSC and AESENC, in GNU C inline assembly. None is
// privileged, so the generic runtime runs them itself on both ports; no
// -maes flag is needed, as the assembler takes AESENC whatever the
// compiler's target, and alginit runs it only where CPUID says it exists.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// An SSE register's worth of two 64-bit lanes, as AESENC takes it (GNU C's
// vector extension; xor and lane access are plain C on it). The one
// typedef of the runtime: a vector type has no struct spelling.
typedef long long hashvec __attribute__((vector_size(16)));

// Set by alginit, then read-only. aeskeysched: AESENC round keys (Go's
// aeskeysched); hashkey: the portable form's keys, each odd (Go's
// hashkey); useaeshash: the CPU has AES-NI and new maps hash with it.
// algseedsource: where the random keys came from ("rdseed", "rdrand",
// "tsc"), for tests and debugging.
extern hashvec aeskeysched[8];
extern uint64_t hashkey[4];
extern bool useaeshash;
extern const char *algseedsource;

uint64_t aeshash(const void *p, uint64_t n, uint64_t seed);
uint64_t memhashfallback(const void *p, uint64_t n, uint64_t seed);

// ---- the instructions ---------------------------------------------------------

static inline void
cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

// RDSEED and RDRAND: false when the CPU had no random number ready (CF
// clear), which the SDM says to retry (vol. 1, 7.3.17).
static inline bool
rdseed64(uint64_t *v)
{
	bool ok;
	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static inline bool
rdrand64(uint64_t *v)
{
	bool ok;
	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

// One AES round (SDM vol. 2, AESENC): ShiftRows, SubBytes, MixColumns of
// state, then xor key. Not volatile: a pure function of its inputs, which
// the compiler may schedule and combine as it likes.
static inline hashvec
aesenc(hashvec state, hashvec key)
{
	__asm__("aesenc %1, %0" : "+x"(state) : "xm"(key));
	return state;
}

// ---- the word hashes, inline for the maps' fast paths ---------------------------

// Unaligned little-endian loads (compiled to plain moves).
static inline uint64_t
readu64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t
readu32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

// The 128-bit product of a and b, its halves folded by xor: the portable
// form's one mixing step (wyhash's "mum").
static inline uint64_t
mulfold(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

// Go's memhash64 and memhash32 for AES-NI: the seed in the low lane, the
// key in the high one, three rounds (Go's aeshash64: the same three).
static inline uint64_t
aeshash64(uint64_t key, uint64_t seed)
{
	hashvec v = (hashvec){(long long)seed, (long long)key} ^ aeskeysched[0];
	v = aesenc(v, aeskeysched[1]);
	v = aesenc(v, aeskeysched[2]);
	v = aesenc(v, aeskeysched[3]);
	return (uint64_t)v[0];
}

// The portable form: key and seed, each keyed, multiplied, and the
// product's halves multiplied again under two more keys, so that every
// bit of both reaches every bit of the result.
static inline uint64_t
memhash64fallback(uint64_t key, uint64_t seed)
{
	unsigned __int128 r = (unsigned __int128)(key ^ hashkey[0]) * (seed ^ hashkey[1]);
	return mulfold((uint64_t)r ^ hashkey[2], (uint64_t)(r >> 64) ^ hashkey[3]);
}

// memhash64 and memhash32 (Go's): the form the map chose at makemap. A
// 4-byte key hashes as the 8-byte key of its value: a map's keys have one
// size, so the two never meet.
static inline uint64_t
memhash64(uint64_t key, uint64_t seed, bool aes)
{
	return aes ? aeshash64(key, seed) : memhash64fallback(key, seed);
}

static inline uint64_t
memhash32(uint32_t key, uint64_t seed, bool aes)
{
	return memhash64(key, seed, aes);
}

// memhash: n bytes at p (Go's memhash), in the map's form.
static inline uint64_t
memhash(const void *p, uint64_t n, uint64_t seed, bool aes)
{
	return aes ? aeshash(p, n, seed) : memhashfallback(p, n, seed);
}
