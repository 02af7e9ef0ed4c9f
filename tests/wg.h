// wg.h: a minimal wait group for tests and benchmarks, until the sync
// package exists: a count of goroutines still working and the one
// goroutine waiting for it to reach zero (parked with gopark, readied by
// the last wg_done).
#pragma once

struct g;

struct waitgroup {
	long left;        // Atomic
	struct g *waiter; // Atomic
};

void wg_add(struct waitgroup *wg, long n);
void wg_done(struct waitgroup *wg);
void wg_wait(struct waitgroup *wg);
