// wg.h: a minimal wait group for the tests and benchmarks of what lies
// beneath the sync package (the scheduler, the allocator, channels, the
// kernel): a count of goroutines still working and the one goroutine
// waiting for it to reach zero (parked with gopark, readied by the last
// wg_done). They keep it rather than sync.WaitGroup so that they do not
// stand on a layer above what they test; a few read its fields (a
// waiter parked, workers left).
#pragma once

struct g;

struct waitgroup {
	long left;        // Atomic
	struct g *waiter; // Atomic
};

void wg_add(struct waitgroup *wg, long n);
void wg_done(struct waitgroup *wg);
void wg_wait(struct waitgroup *wg);
