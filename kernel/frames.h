// frames.h: a physical frame allocator over a bitmap, one bit per 4 KiB
// frame, set when the frame is free. Pure bookkeeping: it never touches the
// frames themselves, so it is unit-tested on the host (tests/unit/). The
// kernel's single instance, filled from the boot memory map, is in
// physmem.c.
//
// Invariants:
//	nfree == the number of set bits in bitmap[0 .. nframes/64]
//	every word below hint has no set bit (so frames_alloc starts there and
//	always returns the lowest free frame, which vm_init relies on: its page
//	tables come from low memory that the early direct map covers)
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct frames {
	uint64_t *bitmap;
	uint64_t nframes; // frames [0, nframes) are described
	uint64_t nfree;
	uint64_t hint; // index of the first bitmap word that may have a set bit
};

// Bytes of bitmap needed to describe nframes frames.
#define FRAMES_BITMAP_BYTES(nframes) ((((nframes) + 63) / 64) * 8)

void frames_init(struct frames *f, uint64_t *bitmap, uint64_t nframes);
void frames_add(struct frames *f, uint64_t base, uint64_t len);
void frames_reserve(struct frames *f, uint64_t base, uint64_t len);
uint64_t frames_alloc(struct frames *f);
bool frames_free(struct frames *f, uint64_t pa);
bool frames_isfree(struct frames *f, uint64_t pa);
