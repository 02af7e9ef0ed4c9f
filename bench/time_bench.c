// time_bench.c: package time (runtime/time.c, timeval.c), each with its Go
// twin in bench/go/time_test.go doing the same work:
//
//	TimerCreateStop  NewTimer(1h) and its Stop: the timer and its channel
//	                 made, into the P's heap and out again
//	AfterFunc        AfterFunc(1h, f) and its Stop
//	TimerReset       one Timer reset to 1h, again and again (out of the
//	                 heap and back)
//	TickerDeliver    a 1 us Ticker, always due: an op is one tick
//	                 received (the firing, the send, the receiver's wake-up)
//	TimeNow          time.Now, both clocks
//	Ticker1ms        a 1 ms Ticker received at once: ns/op is the period,
//	                 the metrics how late each tick was received (p50, p99
//	                 in us) and the ticks dropped (in percent of those due)

#include <stdlib.h>

#include "bench/bench.h"
#include "include/hood.h"
#include "tests/testing.h"

BENCH(BenchmarkTimerCreateStop)
{
	for (long i = 0; i < b->n; i++) {
		time_timer_stop(time_newtimer(Hour));
	}
}

static void
nothing(void *arg)
{
	(void)arg;
}

BENCH(BenchmarkAfterFunc)
{
	for (long i = 0; i < b->n; i++) {
		time_timer_stop(time_afterfunc(Hour, nothing, NULL));
	}
}

BENCH(BenchmarkTimerReset)
{
	struct time_timer *tm = time_newtimer(Hour);
	for (long i = 0; i < b->n; i++) {
		time_timer_reset(tm, Hour);
	}
	time_timer_stop(tm);
}

BENCH(BenchmarkTickerDeliver)
{
	struct time_ticker *tk = time_newticker(Microsecond);
	struct time_time v;
	for (long i = 0; i < b->n; i++) {
		chan_recv(tk->C, &v);
	}
	time_ticker_stop(tk);
}

BENCH(BenchmarkTimeNow)
{
	int64_t sum = 0;
	for (long i = 0; i < b->n; i++) {
		sum += time_now().nsec;
	}
	if (sum == -1) {
		b_skip(b, "impossible"); // keeps the calls
	}
}

BENCH(BenchmarkTicker1ms)
{
	uint64_t *late = malloc(b->n * sizeof *late);
	struct time_ticker *tk = time_newticker(Millisecond);
	struct time_time prev = chan_recvv(tk->C, struct time_time);
	int64_t dropped = 0;
	for (long i = 0; i < b->n; i++) {
		struct time_time v = chan_recvv(tk->C, struct time_time);
		late[i] = time_since(v); // v is when the tick was due
		dropped += (time_time_sub(v, prev) + Millisecond / 2) / Millisecond - 1; // to the nearest beat, as the twin
		prev = v;
	}
	time_ticker_stop(tk);
	qsort(late, b->n, sizeof *late, testing_cmpu64);
	b_reportmetric(b, late[b->n / 2] / 1000.0, "p50-us");
	b_reportmetric(b, late[b->n * 99 / 100] / 1000.0, "p99-us");
	b_reportmetric(b, 100.0 * dropped / (b->n + dropped), "drops-%");
	free(late);
}
