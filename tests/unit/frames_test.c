// frames_test.c: the physical frame allocator's bookkeeping
// (kernel/frames.c), against a model: a plain array of flags.

#include <stdlib.h>
#include <string.h>

#include "kernel/frames.h"
#include "tests/testing.h"

enum { NFRAMES = 1000, PG = 4096 };

static uint64_t bitmap[FRAMES_BITMAP_BYTES(NFRAMES) / 8];

TEST(TestFramesAddReserve)
{
	struct frames f;
	frames_init(&f, bitmap, NFRAMES);
	if (f.nfree != 0 || frames_alloc(&f) != 0) {
		t_fatalf(t, "a new allocator has free frames");
	}
	// Partial frames at either end of a range are not usable.
	frames_add(&f, 10 * PG + 1, 20 * PG);
	if (f.nfree != 19 || frames_isfree(&f, 10 * PG) || !frames_isfree(&f, 11 * PG) ||
	    !frames_isfree(&f, 29 * PG) || frames_isfree(&f, 30 * PG)) {
		t_errorf(t, "add rounded wrongly: nfree=%lu", (unsigned long)f.nfree);
	}
	// Reserving rounds outward: any frame touched is taken.
	frames_reserve(&f, 12 * PG + 5, PG);
	if (f.nfree != 17 || frames_isfree(&f, 12 * PG) || frames_isfree(&f, 13 * PG)) {
		t_errorf(t, "reserve rounded wrongly: nfree=%lu", (unsigned long)f.nfree);
	}
	// Ranges past the end are clipped, not overrun.
	frames_add(&f, (NFRAMES - 2) * PG, 100 * PG);
	if (f.nfree != 19) {
		t_errorf(t, "clipping: nfree=%lu, want 19", (unsigned long)f.nfree);
	}
}

TEST(TestFramesLowestFirst)
{
	struct frames f;
	frames_init(&f, bitmap, NFRAMES);
	frames_add(&f, 500 * PG, 10 * PG);
	frames_add(&f, 100 * PG, 2 * PG);
	uint64_t want[] = {100, 101, 500, 501};
	for (int i = 0; i < 4; i++) {
		uint64_t pa = frames_alloc(&f);
		if (pa != want[i] * PG) {
			t_errorf(t, "alloc %d = frame %lu, want %lu", i, (unsigned long)(pa / PG),
				 (unsigned long)want[i]);
		}
	}
	if (!frames_free(&f, 100 * PG) || frames_alloc(&f) != 100 * PG) {
		t_errorf(t, "a freed low frame is not handed out first");
	}
}

TEST(TestFramesBadFree)
{
	struct frames f;
	frames_init(&f, bitmap, NFRAMES);
	frames_add(&f, 0, NFRAMES * PG);
	uint64_t pa = frames_alloc(&f);
	if (!frames_free(&f, pa)) {
		t_errorf(t, "freeing an allocated frame failed");
	}
	if (frames_free(&f, pa)) {
		t_errorf(t, "double free accepted");
	}
	if (frames_free(&f, pa + 1) || frames_free(&f, (uint64_t)NFRAMES * PG)) {
		t_errorf(t, "an unaligned or out-of-range free accepted");
	}
}

// Random adds, reserves, allocs and frees agree with a model array, and
// nfree always equals the model's count.
TEST(TestFramesRandom)
{
	static bool model[NFRAMES];
	struct frames f;
	frames_init(&f, bitmap, NFRAMES);
	memset(model, 0, sizeof model);
	srand(1);
	for (int step = 0; step < 20000; step++) {
		int op = rand() % 4;
		uint64_t a = rand() % NFRAMES, n = rand() % 130;
		if (op == 0) {
			frames_add(&f, a * PG, n * PG);
			for (uint64_t i = a; i < a + n && i < NFRAMES; i++) {
				model[i] = true;
			}
		} else if (op == 1) {
			frames_reserve(&f, a * PG, n * PG);
			for (uint64_t i = a; i < a + n && i < NFRAMES; i++) {
				model[i] = false;
			}
		} else if (op == 2) {
			uint64_t pa = frames_alloc(&f);
			uint64_t lowest = 0;
			while (lowest < NFRAMES && !model[lowest]) {
				lowest++;
			}
			if (lowest == NFRAMES ? pa != 0 : pa != lowest * PG) {
				t_fatalf(t, "step %d: alloc = frame %lu, want %lu", step,
					 (unsigned long)(pa / PG), (unsigned long)lowest);
			}
			if (lowest < NFRAMES) {
				model[lowest] = false;
			}
		} else {
			bool ok = frames_free(&f, a * PG);
			if (ok == model[a]) {
				t_fatalf(t, "step %d: free(frame %lu) = %d with the frame %s", step,
					 (unsigned long)a, ok, model[a] ? "free" : "in use");
			}
			model[a] = true;
		}
		uint64_t count = 0;
		for (int i = 0; i < NFRAMES; i++) {
			count += model[i];
		}
		if (count != f.nfree) {
			t_fatalf(t, "step %d: nfree = %lu, model has %lu", step, (unsigned long)f.nfree,
				 (unsigned long)count);
		}
	}
}
