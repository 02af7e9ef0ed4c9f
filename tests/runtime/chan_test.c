// chan_test.c: channels and select (runtime/chan.c, select.c) as a Go
// program uses them, through hood.h: unbuffered hand-offs, buffered FIFO
// order, close and its panics, select's random choice, default and nil
// cases, and stress across every P. Both ports.

#include <string.h>

#include "include/hood.h"
#include "runtime/chan.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

static struct waitgroup chanwg;

// ---- unbuffered ---------------------------------------------------------------------

static bool sent; // Atomic

static void
sendone(void *arg)
{
	chan_sendv((struct hchan *)arg, int64_t, 7);
	atomic_store_rel(&sent, true); // store-release; pairs with the test's load-acquires
}

// An unbuffered send waits for its receiver (Go's memory model: the
// receive happens before the send completes).
TEST(TestChanUnbufferedSendWaitsForReceive)
{
	struct hchan *c = make_chan(int64_t, 0);
	atomic_store_relaxed(&sent, false);
	go(sendone, c);
	time_sleep(20 * Millisecond);
	// Load-acquire, here and below; pairs with sendone's store-release.
	if (atomic_load_acq(&sent)) {
		t_fatalf(t, "the send finished with no receiver");
	}
	int64_t v = chan_recvv(c, int64_t);
	if (v != 7) {
		t_errorf(t, "received %ld, want 7", (long)v);
	}
	int64_t deadline = time_nanotime() + 5 * Second;
	// Load-acquires; pair with sendone's store-release.
	while (!atomic_load_acq(&sent) && time_nanotime() < deadline) {
		time_sleep(Millisecond);
	}
	if (!atomic_load_acq(&sent)) { // pairs with sendone's store-release
		t_errorf(t, "the sender never finished after its receive");
	}
}

// Two goroutines bounce a counter N times over two unbuffered channels:
// every value arrives, in order, whichever Ps they run on.
struct pingpong {
	struct hchan *ping, *pong;
	long n;
};

static void
ponger(void *arg)
{
	struct pingpong *pp = arg;
	for (long i = 0; i < pp->n; i++) {
		long v = chan_recvv(pp->ping, long);
		chan_sendv(pp->pong, long, v + 1);
	}
	wg_done(&chanwg);
}

TEST(TestChanPingPong)
{
	// Static: the ponger reads it after its last send, when the test's
	// frame may be the next test's (on the stack, a Go compiler would
	// have moved it to the heap).
	static struct pingpong pp;
	pp = (struct pingpong){make_chan(long, 0), make_chan(long, 0), testing_short ? 20000 : 100000};
	wg_add(&chanwg, 1);
	go(ponger, &pp);
	for (long i = 0; i < pp.n; i++) {
		chan_sendv(pp.ping, long, 2 * i);
		long v = chan_recvv(pp.pong, long);
		if (v != 2 * i + 1) {
			t_fatalf(t, "round %ld: got %ld back, want %ld", i, v, 2 * i + 1);
		}
	}
	wg_wait(&chanwg);
}

// ---- buffered ---------------------------------------------------------------------------

TEST(TestChanBufferedFIFO)
{
	struct hchan *c = make_chan(int, 10);
	if (chan_cap(c) != 10 || chan_len(c) != 0) {
		t_errorf(t, "cap %ld len %ld, want 10 and 0", chan_cap(c), chan_len(c));
	}
	for (int i = 0; i < 10; i++) {
		if (!chan_trysend(c, &i)) {
			t_fatalf(t, "send %d of 10 into a buffer of 10 would block", i);
		}
	}
	int x = 99;
	if (chan_trysend(c, &x)) {
		t_errorf(t, "an 11th send into a full buffer of 10 went");
	}
	if (chan_len(c) != 10) {
		t_errorf(t, "len %ld, want 10", chan_len(c));
	}
	for (int i = 0; i < 10; i++) {
		int v = chan_recvv(c, int);
		if (v != i) {
			t_errorf(t, "receive %d gave %d: not FIFO", i, v);
		}
	}
	bool ok = true;
	if (chan_tryrecv(c, &x, &ok)) {
		t_errorf(t, "a receive from an empty open channel went");
	}
	if (chan_len(NULL) != 0 || chan_cap(NULL) != 0) {
		t_errorf(t, "a nil channel's len and cap are not 0");
	}
}

// Senders blocked on a full buffer go in FIFO order: each takes the slot
// a receive frees (Go's recv moves the waiting sender's element in).
static void
sendn(void *arg)
{
	struct hchan *c = arg;
	for (int i = 1; i <= 100; i++) {
		chan_send(c, &i);
	}
	wg_done(&chanwg);
}

TEST(TestChanBlockedSendersKeepOrder)
{
	struct hchan *c = make_chan(int, 3);
	wg_add(&chanwg, 1);
	go(sendn, c);
	for (int want = 1; want <= 100; want++) {
		if (want % 10 == 0) {
			time_sleep(100 * Microsecond); // let the sender fill and wait
		}
		int v = chan_recvv(c, int);
		if (v != want) {
			t_fatalf(t, "got %d, want %d", v, want);
		}
	}
	wg_wait(&chanwg);
}

// Elements of every size: 1 byte, a 24-byte struct, 4 KiB, and none at
// all (Go's chan struct{}).
struct triple {
	long a, b, c;
};

TEST(TestChanElementSizes)
{
	struct hchan *c1 = make_chan(char, 2);
	chan_sendv(c1, char, 'x');
	if (chan_recvv(c1, char) != 'x') {
		t_errorf(t, "a char did not come back");
	}
	struct hchan *c3 = make_chan(struct triple, 1);
	chan_sendv(c3, struct triple, ((struct triple){1, 2, 3}));
	struct triple tr = chan_recvv(c3, struct triple);
	if (tr.a != 1 || tr.b != 2 || tr.c != 3) {
		t_errorf(t, "a struct came back as %ld %ld %ld", tr.a, tr.b, tr.c);
	}
	static char big[4096], back[4096];
	memset(big, 0x5a, sizeof big);
	struct hchan *cb = chan_make(sizeof big, 1);
	chan_send(cb, big);
	chan_recv(cb, back);
	if (memcmp(big, back, sizeof big) != 0) {
		t_errorf(t, "a 4 KiB element came back changed");
	}
	struct hchan *c0 = chan_make(0, 0);
	if (chan_trysend(c0, NULL)) {
		t_errorf(t, "a send on an unbuffered channel with no receiver went");
	}
	struct hchan *c0b = chan_make(0, 5);
	for (int i = 0; i < 5; i++) {
		chan_send(c0b, NULL);
	}
	if (chan_len(c0b) != 5) {
		t_errorf(t, "five empty elements: len %ld", chan_len(c0b));
	}
	chan_recv(c0b, NULL);
}

// ---- close ------------------------------------------------------------------------------

// A closed buffered channel gives what it holds first, then zero and ok
// false, for ever.
TEST(TestChanCloseDrainsThenZero)
{
	struct hchan *c = make_chan(long, 5);
	for (long i = 1; i <= 3; i++) {
		chan_send(c, &i);
	}
	chan_close(c);
	long v, n = 0;
	while (chan_recv2(c, &v)) { // for v := range c
		if (v != ++n) {
			t_errorf(t, "got %ld, want %ld", v, n);
		}
	}
	if (n != 3) {
		t_errorf(t, "range gave %ld values, want 3", n);
	}
	v = 42;
	if (chan_recv2(c, &v) || v != 0) {
		t_errorf(t, "a receive from a closed, drained channel: ok or %ld, want false and 0", v);
	}
	bool ok = true;
	if (!chan_tryrecv(c, &v, &ok) || ok) {
		t_errorf(t, "a non-blocking receive from a closed channel did not go with ok false");
	}
}

// Close wakes every waiting receiver, each with ok false.
static long closedok; // Atomic: receivers that saw ok false

static void
waitclose(void *arg)
{
	long v = 1;
	if (!chan_recv2((struct hchan *)arg, &v) && v == 0) {
		atomic_xadd_relaxed(&closedok, 1);
	}
	wg_done(&chanwg); // publishes closedok to the test
}

TEST(TestChanCloseWakesEveryReceiver)
{
	struct hchan *c = make_chan(long, 0);
	atomic_store_relaxed(&closedok, 0);
	wg_add(&chanwg, 100);
	for (int i = 0; i < 100; i++) {
		go(waitclose, c);
	}
	time_sleep(10 * Millisecond); // most of them parked
	chan_close(c);
	wg_wait(&chanwg);
	if (atomic_load_relaxed(&closedok) != 100) {
		t_errorf(t, "%ld of 100 receivers saw the close", atomic_load_relaxed(&closedok));
	}
}

// A receive that returns because of a close sees what the closer wrote
// before it, also through the non-blocking path that reads closed
// without the lock (a relaxed load there raced under TSan: Go's memory
// model synchronizes the close before that receive).
static long closepayload;

static void
closeafterwrite(void *arg)
{
	closepayload = 42;
	chan_close(arg);
}

TEST(TestChanTryRecvSeesWritesBeforeClose)
{
	for (int round = 0; round < 200; round++) {
		struct hchan *done = make_chan(int, 0);
		closepayload = 0;
		go(closeafterwrite, done);
		bool ok = true;
		while (!chan_tryrecv(done, NULL, &ok)) {
			runtime_gosched();
		}
		if (ok || closepayload != 42) {
			t_fatalf(t, "round %d: ok %d, payload %ld after the close", round, ok, closepayload);
		}
	}
}

// A goroutine woken from a channel wait is preemptible again: it parked
// holding the channel's lock, with interrupts off on bare metal, and came
// back with them off until park_m turned them on in its saved frame; a
// loop without calls after the receive then kept its P for good (at
// GOMAXPROCS=1, main never ran again).
static bool spinafterrecvstop; // Atomic

static void
spinafterrecv(void *arg)
{
	chan_recv(arg, NULL);
	// Relaxed: a flag polled in a loop without calls.
	while (!atomic_load_relaxed(&spinafterrecvstop)) {
	}
}

TEST(TestChanWaiterStaysPreemptible)
{
	if (!os_asyncpreempt()) {
		t_logf(t, "needs preemption at any instruction, which this build lacks");
		return;
	}
	int old = runtime_gomaxprocs(1);
	struct hchan *c = chan_make(0, 0);
	atomic_store_relaxed(&spinafterrecvstop, false);
	go(spinafterrecv, c);
	runtime_gosched(); // it parks in its receive
	chan_send(c, NULL);
	time_sleep(30 * Millisecond); // needs the P back from the spinner
	atomic_store_relaxed(&spinafterrecvstop, true);
	runtime_gomaxprocs(old);
}

// ---- many goroutines, every P -------------------------------------------------------

// P producers send disjoint ranges, C consumers add up what they get: the
// sum and count are exact, on unbuffered and buffered channels alike.
enum { Producers = 8, Consumers = 8 };
static long prodn;
static long consumed, consumedsum; // Atomic
static struct waitgroup prodwg, conswg;

struct producerarg {
	struct hchan *c;
	long base;
};

static void
producer(void *arg)
{
	struct producerarg *pa = arg;
	for (long i = 0; i < prodn; i++) {
		long v = pa->base * prodn + i;
		chan_send(pa->c, &v);
	}
	wg_done(&prodwg);
}

static void
consumer(void *arg)
{
	long v, n = 0, sum = 0;
	while (chan_recv2((struct hchan *)arg, &v)) {
		n++;
		sum += v;
	}
	atomic_xadd_relaxed(&consumed, n);
	atomic_xadd_relaxed(&consumedsum, sum);
	wg_done(&conswg); // publishes the counts to the test
}

static void
manytomany(struct T *t, long size)
{
	prodn = testing_short ? 2000 : 20000;
	struct hchan *c = make_chan(long, size);
	static struct producerarg args[Producers];
	atomic_store_relaxed(&consumed, 0);
	atomic_store_relaxed(&consumedsum, 0);
	wg_add(&conswg, Consumers);
	for (int i = 0; i < Consumers; i++) {
		go(consumer, c);
	}
	wg_add(&prodwg, Producers);
	for (long i = 0; i < Producers; i++) {
		args[i] = (struct producerarg){c, i};
		go(producer, &args[i]);
	}
	wg_wait(&prodwg);
	chan_close(c);
	wg_wait(&conswg);
	long total = Producers * prodn;
	long wantsum = total * (total - 1) / 2;
	if (atomic_load_relaxed(&consumed) != total || atomic_load_relaxed(&consumedsum) != wantsum) {
		t_errorf(t, "cap %ld: consumers got %ld values summing to %ld, want %ld summing to %ld", size,
			 atomic_load_relaxed(&consumed), atomic_load_relaxed(&consumedsum), total, wantsum);
	}
}

TEST(TestChanManyToManyUnbuffered)
{
	manytomany(t, 0);
}

TEST(TestChanManyToManyBuffered)
{
	manytomany(t, 64);
}

// ---- select -----------------------------------------------------------------------------

// Among ready cases select picks uniformly at random (Go's pollorder):
// two channels kept full, 100,000 selects (20,000 short), each side
// within 45% to 55%.
TEST(TestSelectPicksUniformly)
{
	struct hchan *a = make_chan(int, 1), *b = make_chan(int, 1);
	int one = 1, va, vb;
	chan_send(a, &one);
	chan_send(b, &one);
	long n = testing_short ? 20000 : 100000, counts[2] = {0, 0};
	struct selectcase cases[2] = {select_recv(a, &va), select_recv(b, &vb)};
	for (long i = 0; i < n; i++) {
		int k = chan_select(cases, 2, false);
		if (k < 0 || k > 1 || !cases[k].ok) {
			t_fatalf(t, "select returned %d (ok %d)", k, k >= 0 && k < 2 && cases[k].ok);
		}
		counts[k]++;
		chan_send(k == 0 ? a : b, &one);
	}
	if (counts[0] < n * 45 / 100 || counts[1] < n * 45 / 100) {
		t_errorf(t, "chose %ld and %ld of %ld", counts[0], counts[1], n);
	}
	t_logf(t, "chose %ld and %ld of %ld", counts[0], counts[1], n);
}

// A default case makes select non-blocking; nil channels' cases are
// never chosen; a closed channel's receive case is ready with ok false.
TEST(TestSelectDefaultAndNilCases)
{
	struct hchan *c = make_chan(int, 0);
	int v = 5;
	struct selectcase cases[3] = {select_recv(c, &v), select_send(NULL, &v), select_recv(NULL, &v)};
	if (chan_select(cases, 3, true) != -1) {
		t_errorf(t, "a select with nothing ready did not take its default");
	}
	struct selectcase nils[2] = {select_send(NULL, &v), select_recv(NULL, &v)};
	if (chan_select(nils, 2, true) != -1) {
		t_errorf(t, "a nil channel's case was chosen");
	}
	chan_close(c);
	v = 5;
	int k = chan_select(cases, 3, true);
	if (k != 0 || cases[0].ok || v != 0) {
		t_errorf(t, "closed: select gave %d, ok %d, v %d; want 0, false, 0", k, cases[0].ok, v);
	}
}

// A blocked select wakes for whichever case goes first: a send from
// another goroutine to one of its receive cases, or a receiver for its
// send case; the other sudogs leave their queues (the next select on the
// same channels works).
static void
sendlater(void *arg)
{
	time_sleep(5 * Millisecond);
	chan_sendv((struct hchan *)arg, int, 11);
}

static void
recvlater(void *arg)
{
	time_sleep(5 * Millisecond);
	int v = chan_recvv((struct hchan *)arg, int);
	if (v != 22) {
		atomic_store_relaxed(&sent, true); // reused as "wrong value" flag
	}
}

TEST(TestSelectBlocksUntilACaseGoes)
{
	struct hchan *a = make_chan(int, 0), *b = make_chan(int, 0), *out = make_chan(int, 0);
	for (int round = 0; round < 50; round++) {
		int va = 0, vb = 0, w = 22;
		struct selectcase cases[3] = {select_recv(a, &va), select_recv(b, &vb), select_send(out, &w)};
		atomic_store_relaxed(&sent, false);
		int want = round % 3;
		if (want == 0) {
			go(sendlater, a);
		} else if (want == 1) {
			go(sendlater, b);
		} else {
			go(recvlater, out);
		}
		int k = chan_select(cases, 3, false);
		if (k != want) {
			t_fatalf(t, "round %d: case %d went, want %d", round, k, want);
		}
		if ((k == 0 && (va != 11 || !cases[0].ok)) || (k == 1 && (vb != 11 || !cases[1].ok))) {
			t_fatalf(t, "round %d: case %d got %d/%d ok %d", round, k, va, vb, cases[k].ok);
		}
		if (k == 2) {
			time_sleep(Millisecond);
			if (atomic_load_relaxed(&sent)) {
				t_fatalf(t, "round %d: the receiver got the wrong value", round);
			}
		}
	}
}

// Selects from many goroutines at once on one channel, each with both a
// send and a receive case on it: every value sent is received exactly
// once. A buffer of one, so that the last goroutine left, with a send and
// a receive still to do, can do both (unbuffered, it would wait for
// itself: a deadlock, as in Go).
enum { SelectorPairs = 8 };
static long selectsum, selectn; // Atomic

static void
selector(void *arg)
{
	struct hchan *c = arg;
	long rounds = testing_short ? 2000 : 10000, mine = 0, got = 0, sum = 0;
	while (mine < rounds || got < rounds) {
		long out = mine + 1, in = 0;
		struct selectcase cases[2] = {select_send(mine < rounds ? c : NULL, &out),
					      select_recv(got < rounds ? c : NULL, &in)};
		int k = chan_select(cases, 2, false);
		if (k == 0) {
			mine++;
		} else {
			got++;
			sum += in;
		}
	}
	atomic_xadd_relaxed(&selectsum, sum);
	atomic_xadd_relaxed(&selectn, got);
	wg_done(&chanwg);
}

TEST(TestSelectSendAndReceiveStress)
{
	struct hchan *c = make_chan(long, 1); // 0 could deadlock: the last G, with a send and a receive to do
	atomic_store_relaxed(&selectsum, 0);
	atomic_store_relaxed(&selectn, 0);
	wg_add(&chanwg, 2 * SelectorPairs);
	for (int i = 0; i < 2 * SelectorPairs; i++) {
		go(selector, c);
	}
	wg_wait(&chanwg);
	long rounds = testing_short ? 2000 : 10000, g = 2 * SelectorPairs;
	long wantsum = g * rounds * (rounds + 1) / 2;
	if (atomic_load_relaxed(&selectn) != g * rounds || atomic_load_relaxed(&selectsum) != wantsum) {
		t_errorf(t, "received %ld values summing to %ld, want %ld summing to %ld",
			 atomic_load_relaxed(&selectn), atomic_load_relaxed(&selectsum), g * rounds, wantsum);
	}
}

// Selects of many cases, up to Go's 65536: a thousand channels with one
// ready (each in turn), a thousand with none ready until a sender comes
// (the blocking path: a sudog on every channel, all taken off again), and
// 65536 cases on eight channels (each channel in many cases: locked once).
static void
sendtolast(void *arg)
{
	struct hchan **c = arg;
	time_sleep(Millisecond);
	chan_sendv(c[0], long, 42);
	wg_done(&chanwg);
}

TEST(TestSelectManyCases)
{
	enum { N = 1000, Max = 1 << 16 };
	static struct hchan *c[N];
	static struct selectcase cases[Max];
	static long v[N];
	for (int i = 0; i < N; i++) {
		c[i] = make_chan(long, 1);
		cases[i] = select_recv(c[i], &v[i]);
	}
	for (int round = 0; round < 50; round++) {
		int ready = (round * 379) % N;
		chan_sendv(c[ready], long, round);
		int k = chan_select(cases, N, false);
		if (k != ready || v[k] != round || !cases[k].ok) {
			t_fatalf(t, "round %d: case %d went (value %ld), want %d", round, k, v[k], ready);
		}
	}
	if (chan_select(cases, N, true) != -1) {
		t_fatalf(t, "a select of %d empty channels went, with a default", N);
	}
	static struct hchan *last[1];
	last[0] = c[N - 1];
	wg_add(&chanwg, 1);
	go(sendtolast, last);
	int k = chan_select(cases, N, false);
	wg_wait(&chanwg);
	if (k != N - 1 || v[k] != 42) {
		t_fatalf(t, "the blocking select took case %d (value %ld), want %d and 42", k, v[k], N - 1);
	}
	for (int i = 0; i < N; i++) {
		if (chan_len(c[i]) != 0) {
			t_fatalf(t, "channel %d holds %ld after the selects", i, chan_len(c[i]));
		}
	}
	for (int i = 0; i < Max; i++) {
		cases[i] = select_recv(c[i % 8], &v[i % 8]);
	}
	chan_sendv(c[5], long, 7);
	k = chan_select(cases, Max, false);
	if (k % 8 != 5 || v[5] != 7) {
		t_fatalf(t, "of 65536 cases on 8 channels, case %d went (value %ld), want one on channel 5", k, v[5]);
	}
}

static const char *recovered;

static void
catchpanic(void *arg)
{
	(void)arg;
	recovered = runtime_recover();
}

// fn(NULL) in a block whose deferred call recovers: 2 if it panicked.
static int __attribute__((noipa))
tryrecover(void (*fn)(void *))
{
	recovered = NULL;
	deferscope {
		defer(catchpanic, NULL);
		fn(NULL);
		return 1;
	}
	return 2;
}

static void
selecttoomany(void *arg)
{
	(void)arg;
	static struct selectcase cases[(1 << 16) + 1];
	chan_select(cases, (1 << 16) + 1, true);
}

TEST(TestSelectTooManyCasesPanics)
{
	int r = tryrecover(selecttoomany);
	if (r != 2 || recovered == NULL || strcmp(recovered, "select: more than 65536 cases") != 0) {
		t_errorf(t, "recovered %s", recovered ? recovered : "nothing");
	}
}

// The checklist's stress: a thousand goroutines over a hundred channels
// of random capacities, senders and receivers each selecting among three
// random channels and a timeout, every channel closed at the end while
// receivers wait on it in their selects: every value is received exactly
// once. The timeout is a tick channel fed by a goroutine that sleeps 1 ms
// a tick and drops a tick nobody takes (what time.After's channels give a
// select, until the time package lands): a select that times out chooses
// its channels again, with its value still to send.
enum { StressChans = 100, StressSenders = 500, StressReceivers = 500 };

static struct {
	struct hchan *c[StressChans];
	struct hchan *tick;
	long perSender;               // values each sender sends
	uint64_t seen[StressSenders * 40 / 64 + 1]; // Atomic: bit v is set once v is received
	long dup, received, timeouts; // Atomic
	struct waitgroup senders, receivers;
	bool stop; // Atomic: the ticker's end
} stress;

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
stressticker(void *arg)
{
	(void)arg;
	long t = 0;
	while (!atomic_load_relaxed(&stress.stop)) {
		time_sleep(Millisecond);
		chan_trysend(stress.tick, &t);
	}
	wg_done(&chanwg);
}

static void
stresssender(void *arg)
{
	long id = (long)(intptr_t)arg;
	uint32_t r = (uint32_t)id * 2654435761u + 1;
	for (long j = 0; j < stress.perSender;) {
		long v = id * stress.perSender + j, t;
		struct selectcase cases[4];
		for (int k = 0; k < 3; k++) {
			cases[k] = select_send(stress.c[xorshift(&r) % StressChans], &v);
		}
		cases[3] = select_recv(stress.tick, &t);
		if (chan_select(cases, 4, false) < 3) {
			j++;
		} else {
			atomic_xadd_relaxed(&stress.timeouts, 1);
		}
	}
	wg_done(&stress.senders);
}

static void
stressreceiver(void *arg)
{
	long id = (long)(intptr_t)arg;
	uint32_t r = (uint32_t)id * 40503u + 7;
	bool closed[StressChans] = {false};
	int nclosed = 0;
	while (nclosed < StressChans) {
		long v[3], t;
		int which[3];
		struct selectcase cases[4];
		for (int k = 0; k < 3; k++) {
			do {
				which[k] = (int)(xorshift(&r) % StressChans);
			} while (closed[which[k]]);
			cases[k] = select_recv(stress.c[which[k]], &v[k]);
		}
		cases[3] = select_recv(stress.tick, &t);
		int k = chan_select(cases, 4, false);
		if (k == 3) {
			continue;
		}
		if (!cases[k].ok) {
			closed[which[k]] = true;
			nclosed++;
			continue;
		}
		uint64_t bit = (uint64_t)1 << (v[k] % 64);
		if (atomic_or_relaxed(&stress.seen[v[k] / 64], bit) & bit) {
			atomic_xadd_relaxed(&stress.dup, 1);
		}
		atomic_xadd_relaxed(&stress.received, 1);
	}
	wg_done(&stress.receivers);
}

TEST(TestSelectStressThousandGoroutines)
{
	stress.perSender = testing_short ? 10 : 40;
	memset(stress.seen, 0, sizeof stress.seen);
	atomic_store_relaxed(&stress.dup, 0);
	atomic_store_relaxed(&stress.received, 0);
	atomic_store_relaxed(&stress.timeouts, 0);
	atomic_store_relaxed(&stress.stop, false);
	uint32_t r = 12345;
	for (int i = 0; i < StressChans; i++) {
		stress.c[i] = make_chan(long, xorshift(&r) % 5);
	}
	stress.tick = make_chan(long, 0);
	wg_add(&chanwg, 1);
	go(stressticker, NULL);
	wg_add(&stress.senders, StressSenders);
	wg_add(&stress.receivers, StressReceivers);
	for (long i = 0; i < StressSenders; i++) {
		go(stresssender, (void *)(intptr_t)i);
	}
	// The senders fill the buffers and wait; the receivers come once a
	// few of the waits have timed out.
	for (int i = 0; i < 1000 && atomic_load_relaxed(&stress.timeouts) < 3; i++) {
		time_sleep(Millisecond);
	}
	for (long i = 0; i < StressReceivers; i++) {
		go(stressreceiver, (void *)(intptr_t)i);
	}
	wg_wait(&stress.senders);
	for (int i = 0; i < StressChans; i++) {
		chan_close(stress.c[i]);
	}
	wg_wait(&stress.receivers);
	atomic_store_relaxed(&stress.stop, true);
	wg_wait(&chanwg);
	long want = StressSenders * stress.perSender, missing = 0;
	for (long v = 0; v < want; v++) {
		missing += !(stress.seen[v / 64] >> (v % 64) & 1);
	}
	if (atomic_load_relaxed(&stress.received) != want || missing != 0 || atomic_load_relaxed(&stress.dup) != 0) {
		t_errorf(t, "received %ld values of %ld: %ld missing, %ld twice", atomic_load_relaxed(&stress.received),
			 want, missing, atomic_load_relaxed(&stress.dup));
	}
	if (atomic_load_relaxed(&stress.timeouts) < 3) {
		t_errorf(t, "%ld sends timed out, want 3 or more", atomic_load_relaxed(&stress.timeouts));
	}
}

// ---- the fatal ends -------------------------------------------------------------------------

// Channel locks are taken in address order only (select's lock order),
// counted apart from the other locks: the checker still sees the order.
CRASHTEST(TestChanLocksOutOfOrderAreFatal, 2,
	  "fatal error: spin_lock: lock order: channel locks taken out of address order")
{
	(void)t;
	struct hchan *a = make_chan(int, 0), *b = make_chan(int, 0);
	if (a < b) {
		struct hchan *x = a;
		a = b;
		b = x;
	}
	lockchan(a);
	lockchan(b);
}

CRASHTEST(TestChanSendOnClosedPanics, 2, "panic: send on closed channel")
{
	(void)t;
	struct hchan *c = make_chan(int, 1);
	chan_close(c);
	chan_sendv(c, int, 1);
}

CRASHTEST(TestChanCloseOfClosedPanics, 2, "panic: close of closed channel")
{
	(void)t;
	struct hchan *c = make_chan(int, 0);
	chan_close(c);
	chan_close(c);
}

CRASHTEST(TestChanCloseOfNilPanics, 2, "panic: close of nil channel")
{
	(void)t;
	chan_close(NULL);
}

CRASHTEST(TestMakeChanSizeOutOfRangePanics, 2, "panic: makechan: size out of range")
{
	(void)t;
	chan_make(8, -1);
}

// A sender parked on a channel that is then closed panics when it wakes.
static void
closesoon(void *arg)
{
	time_sleep(5 * Millisecond);
	chan_close(arg);
}

CRASHTEST(TestChanBlockedSendPanicsOnClose, 2, "panic: send on closed channel")
{
	(void)t;
	struct hchan *c = make_chan(int, 0);
	go(closesoon, c);
	chan_sendv(c, int, 1);
}

// main waiting on a channel nobody will send on, nothing else able to
// run: Go's deadlock, and the dump names the wait.
CRASHTEST(TestChanReceiveDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	chan_recvv(make_chan(int, 0), int);
}

CRASHTEST(TestNilChanReceiveDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	chan_recvv(NULL, int);
}

CRASHTEST(TestEmptySelectDeadlock, 2, "fatal error: all goroutines are asleep - deadlock!")
{
	(void)t;
	chan_select(NULL, 0, false);
}
