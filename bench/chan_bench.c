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
//	PrimeSieve         Go's concurrent prime sieve up to 1000: a generator,
//	                   a filter goroutine per prime (168 of them), each
//	                   closing its output when its input closes; an op is
//	                   the whole sieve

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

// The sieve's stages: each takes the numbers on in, keeps those its
// prime does not divide, and closes out when in is closed.
struct sievestage {
	struct hchan *in, *out;
	long prime;
};

static void
sievegenerate(void *arg)
{
	struct hchan *out = arg;
	for (long i = 2; i <= 1000; i++) {
		chan_send(out, &i);
	}
	chan_close(out);
}

static void
sievefilter(void *arg)
{
	struct sievestage *st = arg;
	long v;
	while (chan_recv2(st->in, &v)) {
		if (v % st->prime != 0) {
			chan_send(st->out, &v);
		}
	}
	chan_close(st->out);
}

enum { SieveChans = 169, SieveChanBytes = 128 }; // about what an unbuffered channel takes

BENCH(BenchmarkPrimeSieve)
{
	// 169 new channels an op, as Go's twin makes them; the heap frees
	// nothing yet, so n is capped by the budget (Go's collector takes its
	// back). The stages' records are reused.
	static struct sievestage stages[SieveChans - 1];
	static struct hchan *chans[SieveChans];
	b_setmaxn(b, BenchHeapBudget / (SieveChans * SieveChanBytes));
	for (long n = 0; n < b->n; n++) {
		for (int i = 0; i < SieveChans; i++) {
			chans[i] = make_chan(long, 0);
		}
		go(sievegenerate, chans[0]);
		int k = 0;
		long prime;
		while (chan_recv2(chans[k], &prime)) {
			stages[k] = (struct sievestage){chans[k], chans[k + 1], prime};
			go(sievefilter, &stages[k]);
			k++;
		}
		if (k != 168) {
			b_skip(b, "the sieve found the wrong number of primes");
			return;
		}
	}
}
