// chan_bench.c: channels, select, defer and panic (runtime/chan.c,
// select.c, panic.c), each with its Go twin in bench/go/chan_test.go doing
// the same work:
//
//	ChanUnbufferedPingPong/procs=N
//	                   two goroutines bounce an int over two unbuffered
//	                   channels at GOMAXPROCS N (1, 2); an op is a round
//	                   trip (two hand-offs)
//	ChanBuffered128    one goroutine sends b->n ints on a channel of 128,
//	                   another receives them; an op is one int
//	ChanProdCons/cap=C four producers send b->n ints in all on one channel
//	                   of C (0, 100), four consumers receive them
//	ChanSendRecv       one goroutine sends an int into a channel of one and
//	                   takes it back: the buffered paths, uncontended
//	Select4            a sender spreads b->n ints over four unbuffered
//	                   channels in turn; the receiver takes each with a
//	                   select of four receives
//	SelectDefault      a select of a receive and a default on an empty
//	                   channel, Go's BenchmarkSelectNonblock's first half
//	Defer              a call of a function that defers one call
//	PanicRecover       a call of a function that panics, and recovers in
//	                   its deferred call
//	PrimeSieve         Go's concurrent prime sieve: a generator, a filter
//	                   goroutine per prime, each closing its output when
//	                   its input closes; an op is the whole sieve, the
//	                   first 2000 primes (168 on bare metal, below)

#include <stdatomic.h>

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

static void
pingpong(struct B *b, int procs)
{
	static struct hchan *c[2];
	int was = runtime_gomaxprocs(procs);
	c[0] = make_chan(long, 0);
	c[1] = make_chan(long, 0);
	wg_add(&chanbenchwg, 1);
	go(chanponger, c);
	b_resettimer(b);
	for (long i = 0; i < b->n; i++) {
		chan_send(c[0], &i);
		long v;
		chan_recv(c[1], &v);
	}
	b_stoptimer(b);
	chan_close(c[0]);
	wg_wait(&chanbenchwg);
	runtime_gomaxprocs(was);
}

#define PINGPONG(procs)                                                                                      \
	static void pingpong_##procs(struct B *b)                                                            \
	{                                                                                                    \
		pingpong(b, procs);                                                                          \
	}                                                                                                    \
	BENCH_REGISTER(pingpong_##procs, "BenchmarkChanUnbufferedPingPong/procs=" #procs)

PINGPONG(1);
PINGPONG(2);

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

BENCH(BenchmarkChanBuffered128)
{
	static struct prodcons pc;
	pc = (struct prodcons){make_chan(long, 128), b->n};
	go(chanproducer, &pc);
	long v, sum = 0;
	while (chan_recv2(pc.c, &v)) {
		sum += v;
	}
	if (sum != b->n * (b->n - 1) / 2) {
		b_skip(b, "the consumer's sum is wrong");
	}
}

// Four producers, four consumers, one channel: the last producer done
// closes it, and each consumer adds what it took to the total.
enum { Producers = 4, Consumers = 4 };

struct prodcons4 {
	struct hchan *c;
	long n;                   // ints in all
	struct waitgroup senders; // producers still sending
	struct waitgroup takers;  // consumers still taking
	_Atomic long sum;         // the consumers' total
};

static void
chanproducer4(void *arg)
{
	struct prodcons4 *pc = arg;
	for (long i = 0; i < pc->n / Producers; i++) {
		chan_send(pc->c, &i);
	}
	wg_done(&pc->senders);
}

static void
chanconsumer4(void *arg)
{
	struct prodcons4 *pc = arg;
	long v, sum = 0;
	while (chan_recv2(pc->c, &v)) {
		sum += v;
	}
	atomic_fetch_add_explicit(&pc->sum, sum, memory_order_relaxed); // published by wg_done
	wg_done(&pc->takers);
}

static void
prodcons(struct B *b, long cap)
{
	static struct prodcons4 pc;
	long each = b->n / Producers;
	pc = (struct prodcons4){.c = make_chan(long, cap), .n = each * Producers};
	wg_add(&pc.senders, Producers);
	wg_add(&pc.takers, Consumers);
	for (int i = 0; i < Consumers; i++) {
		go(chanconsumer4, &pc);
	}
	for (int i = 0; i < Producers; i++) {
		go(chanproducer4, &pc);
	}
	wg_wait(&pc.senders);
	chan_close(pc.c);
	wg_wait(&pc.takers);
	if (atomic_load_explicit(&pc.sum, memory_order_relaxed) != Producers * (each * (each - 1) / 2)) {
		b_skip(b, "the consumers' sum is wrong");
	}
}

#define PRODCONS(cap)                                                                                        \
	static void prodcons_##cap(struct B *b)                                                              \
	{                                                                                                    \
		prodcons(b, cap);                                                                            \
	}                                                                                                    \
	BENCH_REGISTER(prodcons_##cap, "BenchmarkChanProdCons/cap=" #cap)

PRODCONS(0);
PRODCONS(100);

BENCH(BenchmarkChanSendRecv)
{
	struct hchan *c = make_chan(long, 1);
	for (long i = 0; i < b->n; i++) {
		long v;
		chan_send(c, &i);
		chan_recv(c, &v);
	}
}

struct select4 {
	struct hchan *c[4];
	long n;
};

static void
select4sender(void *arg)
{
	struct select4 *s4 = arg;
	for (long i = 0; i < s4->n; i++) {
		chan_send(s4->c[i % 4], &i);
	}
	wg_done(&chanbenchwg);
}

BENCH(BenchmarkSelect4)
{
	static struct select4 s4;
	s4.n = b->n;
	for (int i = 0; i < 4; i++) {
		s4.c[i] = make_chan(long, 0);
	}
	wg_add(&chanbenchwg, 1);
	go(select4sender, &s4);
	long v, sum = 0;
	struct selectcase cases[4] = {select_recv(s4.c[0], &v), select_recv(s4.c[1], &v),
				      select_recv(s4.c[2], &v), select_recv(s4.c[3], &v)};
	for (long i = 0; i < b->n; i++) {
		chan_select(cases, 4, false);
		sum += v;
	}
	wg_wait(&chanbenchwg);
	if (sum != b->n * (b->n - 1) / 2) {
		b_skip(b, "the receiver's sum is wrong");
	}
}

BENCH(BenchmarkSelectDefault)
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

// Defer: a call of a function with one deferred call, which counts.
static long defercount;

static void
deferred(void *arg)
{
	(void)arg;
	defercount++;
}

static void __attribute__((noinline))
deferonce(void)
{
	deferscope {
		defer(deferred, NULL);
	}
}

BENCH(BenchmarkDefer)
{
	defercount = 0;
	for (long i = 0; i < b->n; i++) {
		deferonce();
	}
	if (defercount != b->n) {
		b_skip(b, "a deferred call did not run");
	}
}

// PanicRecover: the function panics; its deferred call recovers.
static const char boom[] = "boom";

static void
recoverer(void *arg)
{
	(void)arg;
	if (runtime_recover() == boom) {
		defercount++;
	}
}

static void __attribute__((noinline))
paniconce(void)
{
	deferscope {
		defer(recoverer, NULL);
		runtime_panic(boom);
	}
}

BENCH(BenchmarkPanicRecover)
{
	defercount = 0;
	for (long i = 0; i < b->n; i++) {
		paniconce();
	}
	if (defercount != b->n) {
		b_skip(b, "a panic was not recovered");
	}
}

// The sieve's stages: each takes the numbers on in, keeps those its
// prime does not divide, and closes out when in is closed.
struct sievestage {
	struct hchan *in, *out;
	long prime;
};

// The first 2000 primes end at 17389. Bare metal takes the 168 up to
// 1000: the whole sieve is over 3 million channel hand-offs, a minute or
// more under the emulator.
#ifdef __linux__
enum { SievePrimes = 2000, SieveLimit = 17389 };
#else
enum { SievePrimes = 168, SieveLimit = 1000 };
#endif

static void
sievegenerate(void *arg)
{
	struct hchan *out = arg;
	for (long i = 2; i <= SieveLimit; i++) {
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

enum { SieveChans = SievePrimes + 1, SieveChanBytes = 128 }; // about what an unbuffered channel takes

BENCH(BenchmarkPrimeSieve)
{
	// A new channel a prime, and one, an op, as Go's twin makes them;
	// n is capped by the budget (bench.h). The stages' records are
	// reused.
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
		if (k != SievePrimes) {
			b_skip(b, "the sieve found the wrong number of primes");
			return;
		}
	}
}
