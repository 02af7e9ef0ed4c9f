// time_test.c: package time (runtime/timeval.c, time.c) as a Go program
// uses it, through hood.h: Time's two clocks, Duration strings, RFC 3339
// both ways with Go's error messages, and Timer, After, AfterFunc and
// Ticker with Go 1.23's Stop and Reset: no stale value after either, a
// Ticker that drops ticks for a slow receiver, 10^4 timers in order.
// Both ports; bounds on lateness are loose, for QEMU's emulated clock and
// a loaded host.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"
#include "tests/testing.h"
#include "tests/wg.h"

// ---- Time -------------------------------------------------------------------------

// Now's two readings: the monotonic one orders and measures, the wall one
// is this century's.
TEST(TestTimeNowAndSince)
{
	struct time_time a = time_now();
	time_sleep(10 * Millisecond);
	struct time_time b = time_now();
	if (a.mono == 0 || b.mono == 0) {
		t_fatalf(t, "time_now gave no monotonic reading");
	}
	int64_t d = time_time_sub(b, a);
	if (d < 10 * Millisecond) {
		t_errorf(t, "Sub across a 10 ms sleep = %s", time_duration_string(d));
	}
	if (time_since(a) < d) {
		t_errorf(t, "Since(a) = %ld < b.Sub(a) = %ld", (long)time_since(a), (long)d);
	}
	if (!time_time_before(a, b) || !time_time_after(b, a) || time_time_equal(a, b) || !time_time_equal(a, a)) {
		t_errorf(t, "a before b: Before %d After %d Equal %d", time_time_before(a, b), time_time_after(b, a),
			 time_time_equal(a, b));
	}
	if (time_time_compare(a, b) != -1 || time_time_compare(b, a) != 1 || time_time_compare(a, a) != 0) {
		t_errorf(t, "Compare: %d %d %d", time_time_compare(a, b), time_time_compare(b, a),
			 time_time_compare(a, a));
	}
	int64_t y2020 = 1577836800; // 2020-01-01T00:00:00Z
	if (time_time_unix(b) < y2020) {
		t_errorf(t, "the wall clock says %s", time_time_format(b, RFC3339));
	}
	if (time_until(time_time_add(b, Hour)) <= 59 * Minute) {
		t_errorf(t, "Until(b + 1h) = %s", time_duration_string(time_until(time_time_add(b, Hour))));
	}
}

// Go's rule: the monotonic readings decide when both Times have one, the
// wall readings otherwise; Add moves both.
TEST(TestTimeMonotonicDecides)
{
	struct time_time a = time_unix(1000, 0), b = time_unix(2000, 0);
	a.mono = 5 * Second;
	b.mono = 3 * Second; // the wall clock was set back: b is earlier on the monotonic clock
	if (time_time_sub(b, a) != -2 * Second || !time_time_before(b, a) || time_time_equal(a, b)) {
		t_errorf(t, "with both readings: Sub %ld, Before %d", (long)time_time_sub(b, a), time_time_before(b, a));
	}
	struct time_time bw = b;
	bw.mono = 0;
	if (time_time_sub(bw, a) != 1000 * Second || !time_time_after(bw, a)) {
		t_errorf(t, "with one reading: Sub %ld, want the wall's 1000 s", (long)time_time_sub(bw, a));
	}
	struct time_time c = time_time_add(a, 1500 * Millisecond);
	if (c.mono != 6500 * Millisecond || time_time_unix(c) != 1001 || c.nsec != 500000000) {
		t_errorf(t, "Add(1.5s) = %ld s %d ns, mono %ld", (long)time_time_unix(c), c.nsec, (long)c.mono);
	}
	c = time_time_add(a, -1);
	if (time_time_unix(c) != 999 || c.nsec != 999999999 || c.mono != 5 * Second - 1) {
		t_errorf(t, "Add(-1ns) = %ld s %d ns", (long)time_time_unix(c), c.nsec);
	}
	c.mono = INT64_MAX - 1;
	if (time_time_add(c, 2).mono != 0) {
		t_errorf(t, "Add past the monotonic clock's end kept a reading");
	}
	// Equal instants in two zones are Equal; Sub saturates.
	struct time_time z = time_unix(1000, 0);
	z.offset = 7 * 3600;
	if (!time_time_equal(z, time_unix(1000, 0))) {
		t_errorf(t, "one instant in two zones is not Equal");
	}
	if (time_time_sub(time_unix(INT64_MAX / 2, 0), time_unix(0, 0)) != INT64_MAX ||
	    time_time_sub(time_unix(0, 0), time_unix(INT64_MAX / 2, 0)) != INT64_MIN) {
		t_errorf(t, "Sub did not saturate");
	}
}

TEST(TestTimeUnix)
{
	struct time_time u = time_unix(1, -1); // nsec carries, as Go's
	if (time_time_unix(u) != 0 || u.nsec != 999999999 || time_time_unixnano(u) != 999999999) {
		t_errorf(t, "Unix(1, -1) = %ld s %d ns", (long)time_time_unix(u), u.nsec);
	}
	struct time_time zero = {0};
	if (!time_time_iszero(zero) || time_time_iszero(time_unix(0, 0))) {
		t_errorf(t, "IsZero: the zero struct %d, the Unix epoch %d", time_time_iszero(zero),
			 time_time_iszero(time_unix(0, 0)));
	}
	if (time_time_unix(zero) != -62135596800LL) {
		t_errorf(t, "the zero Time's Unix() = %ld, want Go's -62135596800", (long)time_time_unix(zero));
	}
}

// ---- Duration ----------------------------------------------------------------------

// Go's durationTests (time/time_test.go), and their negatives.
static const struct {
	const char *str;
	int64_t d;
} durationtests[] = {
	{"0s", 0},
	{"1ns", 1 * Nanosecond},
	{"1.1\xc2\xb5s", 1100 * Nanosecond},
	{"2.2ms", 2200 * Microsecond},
	{"3.3s", 3300 * Millisecond},
	{"4m5s", 4 * Minute + 5 * Second},
	{"4m5.001s", 4 * Minute + 5001 * Millisecond},
	{"5h6m7.001s", 5 * Hour + 6 * Minute + 7001 * Millisecond},
	{"8m0.000000001s", 8 * Minute + 1 * Nanosecond},
	{"2562047h47m16.854775807s", INT64_MAX},
	{"-2562047h47m16.854775808s", INT64_MIN},
	{"1.5s", 1500 * Millisecond},
	{"300ms", 300 * Millisecond},
};

TEST(TestTimeDurationString)
{
	for (size_t i = 0; i < sizeof durationtests / sizeof durationtests[0]; i++) {
		const char *s = time_duration_string(durationtests[i].d);
		if (strcmp(s, durationtests[i].str) != 0) {
			t_errorf(t, "Duration(%ld).String() = %s, want %s", (long)durationtests[i].d, s,
				 durationtests[i].str);
		}
		if (durationtests[i].d > 0) {
			char neg[40] = "-";
			strcat(neg, durationtests[i].str);
			s = time_duration_string(-durationtests[i].d);
			if (strcmp(s, neg) != 0) {
				t_errorf(t, "Duration(%ld).String() = %s, want %s", -(long)durationtests[i].d, s, neg);
			}
		}
	}
}

// ---- RFC 3339 ----------------------------------------------------------------------

// Values that parse, with the instant and both layouts' output, as go1.26
// gives them.
static const struct {
	const char *in;
	int64_t unixsec;
	int32_t nsec;
	const char *rfc3339, *nano;
} parsetests[] = {
	{"2006-01-02T15:04:05Z", 1136214245, 0, "2006-01-02T15:04:05Z", "2006-01-02T15:04:05Z"},
	{"2006-01-02T15:04:05.123456789123+07:00", 1136189045, 123456789, "2006-01-02T15:04:05+07:00",
	 "2006-01-02T15:04:05.123456789+07:00"},
	{"2006-01-02T15:04:05.5-08:30", 1136244845, 500000000, "2006-01-02T15:04:05-08:30",
	 "2006-01-02T15:04:05.5-08:30"},
	{"2006-01-02T5:04:05Z", 1136178245, 0, "2006-01-02T05:04:05Z", "2006-01-02T05:04:05Z"},
	{"0000-01-01T00:00:00Z", -62167219200LL, 0, "0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
	{"2024-02-29T12:00:00,25Z", 1709208000, 250000000, "2024-02-29T12:00:00Z", "2024-02-29T12:00:00.25Z"},
	{"9999-12-31T23:59:59.999999999-23:59", 253402387139LL, 999999999, "9999-12-31T23:59:59-23:59",
	 "9999-12-31T23:59:59.999999999-23:59"},
};

TEST(TestTimeRFC3339RoundTrip)
{
	for (size_t i = 0; i < sizeof parsetests / sizeof parsetests[0]; i++) {
		for (int layout = RFC3339; layout <= RFC3339Nano; layout++) {
			struct time_time tm;
			const char *err = time_parse(layout, parsetests[i].in, &tm);
			if (err != NULL) {
				t_errorf(t, "Parse(%d, %s): %s", layout, parsetests[i].in, err);
				continue;
			}
			if (time_time_unix(tm) != parsetests[i].unixsec || tm.nsec != parsetests[i].nsec || tm.mono != 0) {
				t_errorf(t, "Parse(%s) = %ld s %d ns, want %ld s %d ns", parsetests[i].in,
					 (long)time_time_unix(tm), tm.nsec, (long)parsetests[i].unixsec, parsetests[i].nsec);
			}
			const char *f = time_time_format(tm, RFC3339), *n = time_time_format(tm, RFC3339Nano);
			if (strcmp(f, parsetests[i].rfc3339) != 0 || strcmp(n, parsetests[i].nano) != 0) {
				t_errorf(t, "Format(Parse(%s)) = %s and %s, want %s and %s", parsetests[i].in, f, n,
					 parsetests[i].rfc3339, parsetests[i].nano);
			}
			// Back again: the same instant and zone.
			struct time_time back;
			if ((err = time_parse(RFC3339Nano, n, &back)) != NULL || !time_time_equal(back, tm) ||
			    back.offset != tm.offset) {
				t_errorf(t, "Parse(Format(%s)) = %s, %s", parsetests[i].in, time_time_format(back, RFC3339Nano),
					 err != NULL ? err : "");
			}
		}
	}
	// Now, through a string and back, to the nanosecond.
	struct time_time now = time_now(), back;
	const char *s = time_time_format(now, RFC3339Nano);
	if (time_parse(RFC3339Nano, s, &back) != NULL || time_time_unixnano(back) != time_time_unixnano(now)) {
		t_errorf(t, "now %s came back as %s", s, time_time_format(back, RFC3339Nano));
	}
	if (strcmp(time_time_format((struct time_time){0}, RFC3339Nano), "0001-01-01T00:00:00Z") != 0 ||
	    strcmp(time_time_format(time_unix(-62135596801LL, 5), RFC3339Nano), "0000-12-31T23:59:59.000000005Z") != 0) {
		t_errorf(t, "the zero Time and the second before: %s, %s",
			 time_time_format((struct time_time){0}, RFC3339Nano),
			 time_time_format(time_unix(-62135596801LL, 5), RFC3339Nano));
	}
}

// Go's messages, word for word (go1.26's, for these values).
static const struct {
	const char *in, *err, *errnano;
} parseerrors[] = {
	{"x", "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\"",
	 "parsing time \"x\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"x\" as \"2006\""},
	{"2006-01-02", "parsing time \"2006-01-02\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"",
	 "parsing time \"2006-01-02\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"\" as \"T\""},
	{"2006-13-02T15:04:05Z", "parsing time \"2006-13-02T15:04:05Z\": month out of range", NULL},
	{"2006-02-30T15:04:05Z", "parsing time \"2006-02-30T15:04:05Z\": day out of range", NULL},
	{"2006-01-02T25:04:05Z", "parsing time \"2006-01-02T25:04:05Z\": hour out of range", NULL},
	{"2006-01-02T15:04:60Z", "parsing time \"2006-01-02T15:04:60Z\": second out of range", NULL},
	{"2006-01-02T15:04:05+25:00", "parsing time \"2006-01-02T15:04:05+25:00\": time zone offset hour out of range",
	 NULL},
	{"2006-01-02T15:04:05Zjunk", "parsing time \"2006-01-02T15:04:05Zjunk\": extra text: \"junk\"", NULL},
	{"2006-01-02T15:04:05",
	 "parsing time \"2006-01-02T15:04:05\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"",
	 "parsing time \"2006-01-02T15:04:05\" as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse \"\" as "
	 "\"Z07:00\""},
	{"2006-01-02T15:04:05+0700",
	 "parsing time \"2006-01-02T15:04:05+0700\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0700\" as "
	 "\"Z07:00\"",
	 NULL},
	{"2006-01-02T15:04:05*07:00",
	 "parsing time \"2006-01-02T15:04:05*07:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"*07:00\" as "
	 "\"Z07:00\"",
	 NULL},
	{"2006-01-02 15:04:05Z",
	 "parsing time \"2006-01-02 15:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 15:04:05Z\" as "
	 "\"T\"",
	 NULL},
	{"2006-1-02T15:04:05Z",
	 "parsing time \"2006-1-02T15:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"1-02T15:04:05Z\" as "
	 "\"01\"",
	 NULL},
	{"2006-01-02T15:04:05Z\x01",
	 "parsing time \"2006-01-02T15:04:05Z\\x01\": extra text: \"\\x01\"", NULL},
};

TEST(TestTimeParseErrors)
{
	for (size_t i = 0; i < sizeof parseerrors / sizeof parseerrors[0]; i++) {
		struct time_time tm = time_unix(42, 0), before = tm;
		const char *err = time_parse(RFC3339, parseerrors[i].in, &tm);
		if (err == NULL || strcmp(err, parseerrors[i].err) != 0) {
			t_errorf(t, "Parse(RFC3339, %s):\n got  %s\n want %s", parseerrors[i].in, err ? err : "(nil)",
				 parseerrors[i].err);
		}
		if (!time_time_equal(tm, before)) {
			t_errorf(t, "a failed Parse changed its Time");
		}
		const char *want = parseerrors[i].errnano != NULL ? parseerrors[i].errnano : parseerrors[i].err;
		if (strstr(want, " as \"") != NULL && parseerrors[i].errnano == NULL) {
			continue; // the message names the layout; the table has only the RFC3339 one
		}
		err = time_parse(RFC3339Nano, parseerrors[i].in, &tm);
		if (err == NULL || strcmp(err, want) != 0) {
			t_errorf(t, "Parse(RFC3339Nano, %s):\n got  %s\n want %s", parseerrors[i].in,
				 err ? err : "(nil)", want);
		}
	}
}

// ---- Timer, After, AfterFunc -------------------------------------------------------

// A receive with a deadline: true and the Time if one came within wait.
static bool
recvwithin(struct hchan *c, struct time_time *v, int64_t wait)
{
	struct time_timer *limit = time_newtimer(wait);
	struct time_time dummy;
	struct selectcase cases[] = {select_recv(c, v), select_recv(limit->C, &dummy)};
	int i = chan_select(cases, 2, false);
	time_timer_stop(limit);
	return i == 0;
}

// A Timer sends the Time it was due at, not before; its channel reports
// len and cap 0 (Go 1.23's).
TEST(TestTimerFires)
{
	struct time_time start = time_now();
	struct time_timer *tm = time_newtimer(20 * Millisecond);
	if (chan_len(tm->C) != 0 || chan_cap(tm->C) != 0) {
		t_errorf(t, "len %ld cap %ld, want 0 0", chan_len(tm->C), chan_cap(tm->C));
	}
	struct time_time v = chan_recvv(tm->C, struct time_time);
	int64_t waited = time_since(start), due = time_time_sub(v, start);
	if (waited < 20 * Millisecond || due < 20 * Millisecond || due > waited) {
		t_errorf(t, "waited %s, the Time sent is start + %s", time_duration_string(waited),
			 time_duration_string(due));
	}
	if (time_timer_stop(tm)) {
		t_errorf(t, "Stop of a Timer whose Time was received returned true");
	}
	struct time_time w;
	if (recvwithin(time_after(Millisecond), &w, 10 * Second) == false) {
		t_errorf(t, "After(1ms) sent nothing in 10 s");
	}
	// A negative or zero duration fires at once.
	if (!recvwithin(time_newtimer(-5)->C, &w, 10 * Second)) {
		t_errorf(t, "NewTimer(-5) sent nothing");
	}
}

// Go 1.23: Stop of a Timer that fired but was not received takes the
// Time back (true), and no receive gets it; Stop before it fires: true,
// and nothing ever comes; a second Stop: false.
TEST(TestTimerStopTakesBackUnreceived)
{
	struct time_timer *tm = time_newtimer(Millisecond);
	time_sleep(20 * Millisecond);
	if (!time_timer_stop(tm)) {
		t_errorf(t, "Stop after an unreceived firing returned false");
	}
	struct time_time v;
	if (chan_tryrecv(tm->C, &v, NULL)) {
		t_errorf(t, "a Time was received after Stop");
	}
	if (time_timer_stop(tm)) {
		t_errorf(t, "a second Stop returned true");
	}
	tm = time_newtimer(10 * Millisecond);
	if (!time_timer_stop(tm)) {
		t_errorf(t, "Stop before the firing returned false");
	}
	if (recvwithin(tm->C, &v, 50 * Millisecond)) {
		t_errorf(t, "a stopped Timer sent");
	}
}

// Reset of a Timer whose Time is unreceived: the receive after it gets the
// new Time, never the old (Go 1.23).
TEST(TestTimerResetNeverGivesOldValue)
{
	struct time_timer *tm = time_newtimer(Millisecond);
	time_sleep(20 * Millisecond);
	struct time_time reset = time_now();
	if (!time_timer_reset(tm, 5 * Millisecond)) {
		t_errorf(t, "Reset with a Time unreceived returned false");
	}
	struct time_time v = chan_recvv(tm->C, struct time_time);
	if (time_time_sub(v, reset) < 5 * Millisecond) {
		t_errorf(t, "received a Time %s after the Reset: the old one", time_duration_string(time_time_sub(v, reset)));
	}
	if (time_timer_reset(tm, Hour)) {
		t_errorf(t, "Reset after the receive returned true");
	}
	if (!time_timer_stop(tm)) {
		t_errorf(t, "Stop of a Timer reset for an hour returned false");
	}
}

// A select over two due Timers fires both (each as it looks at its
// channel) and takes one: the other's Time waits in its slot. Reset of
// that one takes it back; the receive after gets the new Time. Stop of it
// returns true and leaves nothing.
TEST(TestTimerResetTakesBackWhatASelectLeft)
{
	for (int round = 0; round < 2; round++) {
		struct time_timer *a = time_newtimer(Millisecond), *b = time_newtimer(Millisecond);
		time_sleep(10 * Millisecond);
		struct time_time v;
		struct selectcase cases[] = {select_recv(a->C, &v), select_recv(b->C, &v)};
		int i = chan_select(cases, 2, false);
		struct time_timer *left = i == 0 ? b : a;
		struct time_time reset = time_now();
		if (round == 0) {
			if (!time_timer_reset(left, 5 * Millisecond)) {
				t_errorf(t, "Reset of a Timer with its Time in the slot returned false");
			}
			v = chan_recvv(left->C, struct time_time);
			if (time_time_sub(v, reset) < 5 * Millisecond) {
				t_errorf(t, "the receive after Reset got the Time left before it");
			}
		} else {
			if (!time_timer_stop(left)) {
				t_errorf(t, "Stop of a Timer with its Time in the slot returned false");
			}
			if (recvwithin(left->C, &v, 20 * Millisecond)) {
				t_errorf(t, "a Time came after Stop");
			}
		}
	}
}

struct stoprace {
	struct hchan *c;
	struct hchan *done;
	long got; // Atomic: Times the receiver got
	struct waitgroup wg;
};

static void
stopracereceiver(void *arg)
{
	struct stoprace *r = arg;
	struct time_time v;
	bool ok;
	for (;;) {
		struct selectcase cases[] = {select_recv(r->c, &v), select_recv(r->done, &ok)};
		if (chan_select(cases, 2, false) == 1) {
			break;
		}
		atomic_xadd_relaxed(&r->got, 1);
	}
	wg_done(&r->wg);
}

// Stop racing the firing, with a receiver waiting on every P count: Stop's
// answer is exact. True: the receiver never gets a Time; false: it got
// one. Go 1.23's guarantee.
TEST(TestTimerStopRacesFiring)
{
	int rounds = testing_short ? 100 : 2000;
	int wrong = 0, stopped = 0;
	for (int i = 0; i < rounds; i++) {
		// A new one each round: wg_done may still touch the last one's
		// waitgroup after our wg_wait returned.
		struct stoprace *r = new(struct stoprace);
		r->done = make_chan(bool, 0);
		wg_add(&r->wg, 1);
		struct time_timer *tm = time_newtimer(20 * Microsecond);
		r->c = tm->C;
		go(stopracereceiver, r);
		// Stop from 0 to 200 us after the start: about when it fires.
		int64_t stopat = time_nanotime() + (i % 101) * 2 * Microsecond;
		while (time_nanotime() < stopat) {
		}
		bool s = time_timer_stop(tm);
		stopped += s;
		time_sleep(200 * Microsecond);
		chan_close(r->done);
		wg_wait(&r->wg);
		long got = atomic_load_relaxed(&r->got);
		if (got != (s ? 0 : 1)) {
			wrong++;
		}
	}
	if (wrong > 0) {
		t_errorf(t, "%d of %d rounds: Stop's answer and the receives disagree", wrong, rounds);
	}
	t_logf(t, "%d of %d Stops came first", stopped, rounds);
}

// Reset racing the firing: whatever came before, the first receive after
// Reset returns is a Time from after it.
TEST(TestTimerResetRacesFiring)
{
	int rounds = testing_short ? 100 : 3000, stale = 0;
	for (int i = 0; i < rounds; i++) {
		struct time_timer *tm = time_newtimer(20 * Microsecond);
		int64_t resetat = time_nanotime() + (i % 101) * 2 * Microsecond;
		while (time_nanotime() < resetat) {
		}
		struct time_time reset = time_now();
		time_timer_reset(tm, 100 * Microsecond);
		struct time_time v = chan_recvv(tm->C, struct time_time);
		stale += time_time_sub(v, reset) < 100 * Microsecond;
	}
	if (stale > 0) {
		t_errorf(t, "%d of %d receives after Reset got a Time from before it", stale, rounds);
	}
}

static long funcran; // Atomic, relaxed

static void
countfunc(void *arg)
{
	(void)arg;
	atomic_xadd_relaxed(&funcran, 1);
}

// Wait until the AfterFuncs have run want times in all, for 30 s at most.
static void
waitfuncs(long want)
{
	int64_t deadline = time_nanotime() + 30 * Second;
	while (atomic_load_relaxed(&funcran) < want && time_nanotime() < deadline) {
		time_sleep(Millisecond);
	}
}

// AfterFunc runs its function in a goroutine after d; Stop before it runs
// returns true and it never runs; after, false.
TEST(TestAfterFunc)
{
	atomic_store_relaxed(&funcran, 0);
	struct time_timer *ran = time_afterfunc(Millisecond, countfunc, NULL);
	struct time_timer *stopped = time_afterfunc(20 * Millisecond, countfunc, NULL);
	if (ran->C != NULL) {
		t_errorf(t, "an AfterFunc timer has a channel");
	}
	if (!time_timer_stop(stopped)) {
		t_errorf(t, "Stop before the function ran returned false");
	}
	waitfuncs(1);
	time_sleep(50 * Millisecond);
	if (atomic_load_relaxed(&funcran) != 1) {
		t_errorf(t, "the functions ran %ld times, want 1", atomic_load_relaxed(&funcran));
	}
	if (time_timer_stop(ran)) {
		t_errorf(t, "Stop after the function ran returned true");
	}
	// Reset runs it again.
	time_timer_reset(ran, Millisecond);
	waitfuncs(2);
	if (atomic_load_relaxed(&funcran) != 2) {
		t_errorf(t, "after Reset the functions ran %ld times, want 2", atomic_load_relaxed(&funcran));
	}
}

// ---- 10^4 timers ---------------------------------------------------------------------

enum { ManyTimers = 10000 };

struct firing {
	int64_t when, ran;
	int idx;
};

static struct timer *manytimers;
static struct firing *firings;
static int nfired; // Atomic

static void
recordfiring(void *arg, uint64_t seq)
{
	(void)seq;
	struct timer *tm = arg;
	int i = atomic_xadd_relaxed(&nfired, 1) - 1;
	firings[i] = (struct firing){tm->when, time_nanotime(), (int)(tm - manytimers)};
}

// 10^4 timers of one P's heap, added in a shuffled order with distinct
// deadlines 10 us apart, fire in deadline order and none early. One P, so
// one M runs them and the order of the calls is the heap's.
TEST(TestTimersFireInOrder)
{
	int old = runtime_gomaxprocs(1);
	struct timer *tms = manytimers = runtime_malloc(ManyTimers * sizeof *tms);
	firings = runtime_malloc(ManyTimers * sizeof *firings);
	atomic_store_relaxed(&nfired, 0);
	int order[ManyTimers];
	for (int i = 0; i < ManyTimers; i++) {
		order[i] = i;
	}
	for (int i = ManyTimers - 1; i > 0; i--) {
		int j = (int)(((uint64_t)i * 2654435761u + 12345) % (uint64_t)(i + 1));
		int x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	// Added with the M acquired: no timer runs before all are in (the
	// first could be due before the last is added, under TSan or QEMU).
	struct m *mp = acquirem();
	int64_t base = time_nanotime() + 20 * Millisecond;
	for (int k = 0; k < ManyTimers; k++) {
		int i = order[k];
		tms[i] = (struct timer){.when = base + i * 10 * Microsecond, .f = recordfiring, .arg = &tms[i]};
		addtimer(&tms[i]);
	}
	releasem(mp);
	int64_t deadline = time_nanotime() + 60 * Second;
	while (atomic_load_relaxed(&nfired) < ManyTimers && time_nanotime() < deadline) {
		time_sleep(10 * Millisecond);
	}
	int n = atomic_load_relaxed(&nfired), outoforder = 0, early = 0;
	int64_t worst = 0;
	for (int i = 0; i < n; i++) {
		outoforder += firings[i].idx != i;
		early += firings[i].ran < firings[i].when;
		if (firings[i].ran - firings[i].when > worst) {
			worst = firings[i].ran - firings[i].when;
		}
	}
	runtime_gomaxprocs(old);
	if (n != ManyTimers || outoforder > 0 || early > 0) {
		t_errorf(t, "%d of %d fired: %d out of order, %d early", n, ManyTimers, outoforder, early);
	}
	t_logf(t, "latest firing %s after its deadline", time_duration_string(worst));
	runtime_free(tms);
	runtime_free(firings);
}

// The same count through the API: 10^4 Afters of shuffled durations, each
// received once, none early, each Time the one it was due at.
TEST(TestManyAfters)
{
	struct hchan **cs = runtime_malloc(ManyTimers * sizeof *cs);
	int64_t *due = runtime_malloc(ManyTimers * sizeof *due);
	int64_t base = time_nanotime() + 20 * Millisecond;
	for (int k = 0; k < ManyTimers; k++) {
		int i = (int)(((uint64_t)k * 7919) % ManyTimers);
		due[i] = base + i * 5 * Microsecond;
		cs[i] = time_after(due[i] - time_nanotime());
	}
	int early = 0;
	for (int i = 0; i < ManyTimers; i++) {
		struct time_time v = chan_recvv(cs[i], struct time_time);
		early += v.mono < due[i] || time_nanotime() < due[i];
	}
	if (early > 0) {
		t_errorf(t, "%d of %d Afters fired early", early, ManyTimers);
	}
	runtime_free(cs);
	runtime_free(due);
}

// ---- Ticker --------------------------------------------------------------------------

// A Ticker's Times are on its beat: each a whole number of periods after
// the first.
TEST(TestTickerBeats)
{
	int64_t period = 5 * Millisecond;
	struct time_ticker *tk = time_newticker(period);
	struct time_time first = chan_recvv(tk->C, struct time_time), prev = first;
	int offbeat = 0, n = 20;
	for (int i = 1; i < n; i++) {
		struct time_time v = chan_recvv(tk->C, struct time_time);
		int64_t d = time_time_sub(v, first);
		offbeat += d % period != 0 || !time_time_after(v, prev);
		prev = v;
	}
	time_ticker_stop(tk);
	if (offbeat > 0) {
		t_errorf(t, "%d of %d ticks off the beat", offbeat, n);
	}
	struct time_time v;
	if (recvwithin(tk->C, &v, 30 * Millisecond)) {
		t_errorf(t, "a stopped Ticker ticked");
	}
	// Reset: the next tick a new period from now, then on that beat.
	struct time_time reset = time_now();
	time_ticker_reset(tk, 3 * Millisecond);
	v = chan_recvv(tk->C, struct time_time);
	if (time_time_sub(v, reset) < 3 * Millisecond) {
		t_errorf(t, "the first tick after Reset came %s after it", time_duration_string(time_time_sub(v, reset)));
	}
	time_ticker_stop(tk);
}

// A slow receiver: ticks it misses are dropped, not queued. After a pause
// of 30 periods one tick is waiting, then none, and the next comes on the
// beat, not 29 more at once.
TEST(TestTickerDropsForSlowReceiver)
{
	int64_t period = 2 * Millisecond;
	struct time_ticker *tk = time_newticker(period);
	struct time_time first = chan_recvv(tk->C, struct time_time);
	time_sleep(30 * period);
	struct time_time v;
	int64_t t0 = time_nanotime();
	if (!chan_tryrecv(tk->C, &v, NULL)) {
		t_errorf(t, "no tick waiting after 30 periods");
	}
	int queued = 0;
	while (chan_tryrecv(tk->C, &v, NULL)) {
		queued++;
	}
	// A tick may come due while we look (QEMU at 64 CPUs is slow): no
	// more than the periods that passed meanwhile, not the 29 missed.
	int64_t passed = (time_nanotime() - t0) / period;
	if (queued > passed + 1) {
		t_errorf(t, "%d more ticks queued up behind the first in %ld periods", queued, (long)passed);
	}
	struct time_time next = chan_recvv(tk->C, struct time_time);
	if (time_time_sub(next, first) % period != 0) {
		t_errorf(t, "after the drops the Ticker is off its beat by %s",
			 time_duration_string(time_time_sub(next, first) % period));
	}
	time_ticker_stop(tk);
}

CRASHTEST(TestTickerNonPositivePanics, 2, "panic: non-positive interval for NewTicker")
{
	(void)t;
	time_newticker(0);
}

static void
resetzero(void *arg)
{
	(void)arg;
	const char *e = runtime_recover();
	if (e == NULL || strcmp(e, "non-positive interval for Ticker.Reset") != 0) {
		runtime_panic("Ticker.Reset(0) did not panic with Go's message");
	}
}

TEST(TestTickerResetNonPositivePanics)
{
	(void)t;
	struct time_ticker *tk = time_newticker(Hour);
	deferscope {
		defer(resetzero, NULL);
		time_ticker_reset(tk, -1);
	}
	time_ticker_stop(tk);
}

// ---- a program ------------------------------------------------------------------------

struct worker {
	struct hchan *work;
	int jobs;
};

static void
producer(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->jobs; i++) {
		chan_sendv(w->work, int, i);
		time_sleep((i % 3) * Millisecond);
	}
}

// The program: a loop selects over a work channel, a Ticker and a
// timeout from time_after, set again after each job; the work arrives,
// the ticker ticks, and the loop ends on the timeout once the work stops.
TEST(TestTickerAndTimeouts)
{
	struct worker w = {.work = make_chan(int, 0), .jobs = 50};
	go(producer, &w);
	struct time_ticker *tk = time_newticker(2 * Millisecond);
	struct hchan *timeout = time_after(100 * Millisecond);
	int jobs = 0, ticks = 0, job;
	struct time_time now;
	for (;;) {
		struct selectcase cases[] = {
			select_recv(w.work, &job),
			select_recv(tk->C, &now),
			select_recv(timeout, NULL),
		};
		int i = chan_select(cases, 3, false);
		if (i == 0) {
			if (job != jobs) {
				t_errorf(t, "job %d came as number %d", job, jobs);
			}
			jobs++;
			timeout = time_after(100 * Millisecond);
		} else if (i == 1) {
			ticks++;
		} else {
			break;
		}
	}
	time_ticker_stop(tk);
	if (jobs != w.jobs || ticks == 0) {
		t_errorf(t, "%d of %d jobs, %d ticks", jobs, w.jobs, ticks);
	}
}

// ---- collection ----------------------------------------------------------------------

enum {
	DroppedTimers = 20000,
	// Of the Tickers, these are received from once, so that they were
	// in a heap while we waited and left it. Few: each receive waits for
	// its firing, which in a loaded suite can be a 10 ms sysmon look away.
	ReceivedTickers = 100,
};

static struct waitgroup unrefwg;

// Made and dropped on a goroutine's stack of its own, which is gone when
// the collector looks: Tickers and Timers, none stopped.
static void
droptimers(void *arg)
{
	(void)arg;
	for (int i = 0; i < DroppedTimers; i++) {
		struct time_ticker *tk = time_newticker(i < ReceivedTickers ? 10 * Microsecond : Hour);
		if (i < ReceivedTickers) {
			chan_recvv(tk->C, struct time_time);
		}
		time_newtimer(Hour);
	}
	wg_done(&unrefwg);
}

static uint64_t
heapaftergc(void)
{
	struct memstats ms;
	runtime_gc();
	runtime_gc();
	runtime_readmemstats(&ms);
	return ms.HeapAlloc;
}

// Go 1.23: a Timer or Ticker nobody refers to is collected without a
// Stop (a channel timer is in a heap only while someone waits on it).
// 2 * 20000 of them take about 10 MB; after a collection the heap has
// kept less than a quarter of it.
TEST(TestUnreferencedTimersAreCollected)
{
	uint64_t before = heapaftergc();
	wg_add(&unrefwg, 1);
	go(droptimers, NULL);
	wg_wait(&unrefwg);
	uint64_t after = heapaftergc();
	uint64_t took = 2 * DroppedTimers * 240; // a timer and its channel: 96 + 144 bytes
	if (after > before + took / 4) {
		t_errorf(t, "the heap grew from %lu to %lu bytes: the unreferenced timers (%lu bytes) stayed",
			 (unsigned long)before, (unsigned long)after, (unsigned long)took);
	}
}

enum { DroppedFuncs = 10000 };

// And the other way: an AfterFunc nobody refers to stays alive until it
// runs, whatever collections come meanwhile; 10000 of them, a heap array
// of 80 KiB (beyond persistentalloc's blocks, which the collector does
// not read), and not many more: each starts a goroutine, and those due at
// once all live at once (TSan's 4 MiB stacks fill the region at 16384).
TEST(TestUnreferencedAfterFuncsRun)
{
	atomic_store_relaxed(&funcran, 0);
	for (int i = 0; i < DroppedFuncs; i++) {
		time_afterfunc(100 * Millisecond + i * 20 * Microsecond, countfunc, NULL);
	}
	runtime_gc();
	runtime_gc();
	// Objects of an AfterFunc's size class, written over: a timer freed by
	// the collections would be one of them now.
	for (int i = 0; i < DroppedFuncs; i++) {
		memset(runtime_new(128, true), 0xff, 128);
	}
	waitfuncs(DroppedFuncs);
	if (atomic_load_relaxed(&funcran) != DroppedFuncs) {
		t_errorf(t, "%ld of %d AfterFuncs ran", atomic_load_relaxed(&funcran), DroppedFuncs);
	}
}
