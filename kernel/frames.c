// frames.c: see frames.h.

#include <string.h>

#include "frames.h"

enum {
	FRAMESHIFT = 12,
	FRAMESIZE = 1 << FRAMESHIFT,
};

static void setrange(struct frames *f, uint64_t first, uint64_t end, bool free);

// The number of set bits in x, by adding neighbouring fields (pairs,
// nibbles, bytes) in parallel. gcc's popcount64 would call
// libgcc, which the kernel does not link (TOOLCHAIN.md).
static int
popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

// Every frame starts out in use; frames_add frees the usable ones.
void
frames_init(struct frames *f, uint64_t *bitmap, uint64_t nframes)
{
	f->bitmap = bitmap;
	f->nframes = nframes;
	f->nfree = 0;
	f->hint = 0;
	memset(bitmap, 0, FRAMES_BITMAP_BYTES(nframes));
}

// Mark the whole frames inside [base, base+len) free.
void
frames_add(struct frames *f, uint64_t base, uint64_t len)
{
	uint64_t first = (base + FRAMESIZE - 1) >> FRAMESHIFT;
	uint64_t end = (base + len) >> FRAMESHIFT;
	setrange(f, first, end, true);
}

// Mark every frame that [base, base+len) touches as in use.
void
frames_reserve(struct frames *f, uint64_t base, uint64_t len)
{
	if (len == 0) {
		return;
	}
	uint64_t first = base >> FRAMESHIFT;
	uint64_t end = (base + len + FRAMESIZE - 1) >> FRAMESHIFT;
	setrange(f, first, end, false);
}

// Set frames [first, end) free or in use, a whole bitmap word at a time
// where the range covers one.
static void
setrange(struct frames *f, uint64_t first, uint64_t end, bool free)
{
	if (end > f->nframes) {
		end = f->nframes;
	}
	for (uint64_t i = first; i < end;) {
		uint64_t *w = &f->bitmap[i / 64];
		uint64_t mask;
		if (i % 64 == 0 && end - i >= 64) {
			mask = ~0ULL;
		} else {
			mask = 1ULL << (i % 64);
		}
		uint64_t old = *w;
		if (free) {
			*w |= mask;
			f->nfree += popcount64(*w & ~old);
			if (i / 64 < f->hint) {
				f->hint = i / 64;
			}
		} else {
			*w &= ~mask;
			f->nfree -= popcount64(old & ~*w);
		}
		i += mask == ~0ULL ? 64 : 1;
	}
}

// The physical address of the lowest free frame, now in use; 0 when none is
// left (frame 0 is never free: it holds the real-mode interrupt table).
uint64_t
frames_alloc(struct frames *f)
{
	uint64_t nwords = (f->nframes + 63) / 64;
	for (uint64_t w = f->hint; w < nwords; w++) {
		if (f->bitmap[w] != 0) {
			int b = __builtin_ctzll(f->bitmap[w]);
			f->bitmap[w] &= ~(1ULL << b);
			f->nfree--;
			f->hint = w;
			return (w * 64 + b) << FRAMESHIFT;
		}
	}
	f->hint = nwords;
	return 0;
}

// Give back the frame at pa. False if pa is not a frame this allocator
// describes or is already free: the caller's bug, which it reports.
bool
frames_free(struct frames *f, uint64_t pa)
{
	uint64_t i = pa >> FRAMESHIFT;
	if (pa % FRAMESIZE != 0 || i >= f->nframes || frames_isfree(f, pa)) {
		return false;
	}
	f->bitmap[i / 64] |= 1ULL << (i % 64);
	f->nfree++;
	if (i / 64 < f->hint) {
		f->hint = i / 64;
	}
	return true;
}

bool
frames_isfree(struct frames *f, uint64_t pa)
{
	uint64_t i = pa >> FRAMESHIFT;
	return i < f->nframes && (f->bitmap[i / 64] >> (i % 64) & 1);
}
