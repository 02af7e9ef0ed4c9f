// chan_bench.c: channels and select (runtime/chan.c, select.c), each with
// its Go twin in bench/go/chan_test.go doing the same work:
//
//	ChanPingPong       two goroutines bounce an int over two unbuffered
//	                   channels; an op is a round trip (two hand-offs)
//	ChanProdCons100    one goroutine sends b->n ints on a channel of 100,
//	                   another receives them; an op is one int
//	ChanSendRecv       one goroutine sends an int into a channel of one and
//	                   takes it back: the buffered paths, uncontended
//	SelectNonblock     a select of a receive and a default on an empty
//	                   channel, Go's BenchmarkSelectNonblock's first half

#include "bench/bench.h"
#include "include/hood.h"
#include "tests/wg.h"

static struct waitgroup chanbenchwg;

static void
chanponger(void *arg)
{
	struct hchan **c = arg;
	for (;;) {
		long v;
		if (!chan_recv2(c[0], &v)) {
			break;
		}
		v++;
		chan_send(c[1], &v);
	}
	wg_done(&chanbenchwg);
}

BENCH(BenchmarkChanPingPong)
{
	static struct hchan *c[2];
	c[0] = make_chan(long, 0);
	c[1] = make_chan(long, 0);
	wg_add(&chanbenchwg, 1);
	go(chanponger, c);
	for (long i = 0; i < b->n; i++) {
		chan_send(c[0], &i);
		long v;
		chan_recv(c[1], &v);
	}
	chan_close(c[0]);
	wg_wait(&chanbenchwg);
}

struct prodcons {
	struct hchan *c;
	long n;
};

static void
chanproducer(void *arg)
{
	struct prodcons *pc = arg;
	for (long i = 0; i < pc->n; i++) {
		chan_send(pc->c, &i);
	}
	chan_close(pc->c);
}

BENCH(BenchmarkChanProdCons100)
{
	static struct prodcons pc;
	pc = (struct prodcons){make_chan(long, 100), b->n};
	go(chanproducer, &pc);
	long v, sum = 0;
	while (chan_recv2(pc.c, &v)) {
		sum += v;
	}
	if (sum != b->n * (b->n - 1) / 2) {
		b_skip(b, "the consumer's sum is wrong");
	}
}

BENCH(BenchmarkChanSendRecv)
{
	struct hchan *c = make_chan(long, 1);
	for (long i = 0; i < b->n; i++) {
		long v;
		chan_send(c, &i);
		chan_recv(c, &v);
	}
}

BENCH(BenchmarkSelectNonblock)
{
	struct hchan *c = make_chan(long, 0);
	long v;
	struct selectcase cases[1] = {select_recv(c, &v)};
	for (long i = 0; i < b->n; i++) {
		if (chan_select(cases, 1, true) != -1) {
			b_skip(b, "a receive from an empty channel went");
			return;
		}
	}
}
