// runtime1_test.c: the runtime's knobs (runtime/runtime1.c's parseknobs)
// over a fake environment: the values, the defaults, and the errors, which
// are the same on both ports.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "tests/testing.h"

// The fake environment: "KEY=VALUE" words, NULL-terminated.
static const char *const *env;

static const char *
fakegetenv(const char *name)
{
	size_t n = strlen(name);
	const char *v = NULL;
	for (int i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=') {
			v = env[i] + n + 1;
		}
	}
	return v;
}

static struct knobs k;
static struct dbgvars d;
static char err[256];

static bool
parse(const char *const *e)
{
	env = e;
	err[0] = '\0';
	return parseknobs(fakegetenv, &k, &d, err, sizeof err);
}

TEST(TestKnobsDefaults)
{
	static const char *const none[] = {NULL};
	static const char *const empty[] = {"GOMAXPROCS=", "GOGC=", "GODEBUG=", "HOOD_STACK=", NULL};
	for (int i = 0; i < 2; i++) {
		if (!parse(i == 0 ? none : empty)) {
			t_fatalf(t, "rejected: %s", err);
		}
		if (k.gomaxprocs != 0 || k.gcpercent != 100 || k.traceback != TracebackSingle ||
		    k.stacksize != 0 || d.schedtrace != 0 || d.scheddetail != 0 || d.scavenge != 0) {
			t_errorf(t, "defaults wrong: gomaxprocs=%d gogc=%d traceback=%d", k.gomaxprocs,
				 k.gcpercent, k.traceback);
		}
	}
}

TEST(TestKnobsValues)
{
	static const char *const e[] = {"GOMAXPROCS=4",
					"GOGC=off",
					"GOTRACEBACK=crash",
					"HOOD_STACK=8388608",
					"GODEBUG=gctrace=1,schedtrace=1000,scheddetail=1,schedtrace=20",
					NULL};
	if (!parse(e)) {
		t_fatalf(t, "rejected: %s", err);
	}
	if (k.gomaxprocs != 4 || k.gcpercent != -1 || k.traceback != TracebackCrash ||
	    k.stacksize != 8388608) {
		t_errorf(t, "got gomaxprocs=%d gogc=%d traceback=%d stack=%ld", k.gomaxprocs, k.gcpercent,
			 k.traceback, (long)k.stacksize);
	}
	if (d.schedtrace != 20 || d.scheddetail != 1 || d.scavenge != 0) {
		t_errorf(t, "GODEBUG: schedtrace=%d (want 20: the later wins) scheddetail=%d", d.schedtrace,
			 d.scheddetail);
	}
	static const char *const gc[] = {"GOGC=50", NULL};
	if (!parse(gc) || k.gcpercent != 50) {
		t_errorf(t, "GOGC=50: %d %s", k.gcpercent, err);
	}
}

// Every malformed value gives false and an error naming the key and value.
TEST(TestKnobsMalformed)
{
	static const struct {
		const char *word;
		const char *want; // the error, or a prefix of it
	} cases[] = {
		{"GOMAXPROCS=lots", "bad value for GOMAXPROCS: \"lots\" (want an integer from 1 to 1024)"},
		{"GOMAXPROCS=0", "bad value for GOMAXPROCS: \"0\""},
		{"GOMAXPROCS=-1", "bad value for GOMAXPROCS: \"-1\""},
		{"GOMAXPROCS=4x", "bad value for GOMAXPROCS: \"4x\""},
		{"GOMAXPROCS= 4", "bad value for GOMAXPROCS: \" 4\""},
		{"GOMAXPROCS=+4", "bad value for GOMAXPROCS: \"+4\""},
		{"GOMAXPROCS=99999999999999999999", "bad value for GOMAXPROCS"},
		{"GOGC=-5", "bad value for GOGC: \"-5\" (want off or an integer from 0 to 1000000)"},
		{"GOGC=on", "bad value for GOGC: \"on\""},
		{"GOTRACEBACK=loud", "bad value for GOTRACEBACK: \"loud\" (want none, single, all, system, "
				     "crash, or 0, 1, 2)"},
		{"GOTRACEBACK=3", "bad value for GOTRACEBACK: \"3\""},
		{"HOOD_STACK=5000", "bad value for HOOD_STACK: \"5000\" (want a multiple of 4096"},
		{"HOOD_STACK=4096", "bad value for HOOD_STACK"},
		// Issue 11: 8192 and 12288 passed the check, then overflowed.
		{"HOOD_STACK=8192", "bad value for HOOD_STACK: \"8192\" (want a multiple of 4096 from 16384 to "
				    "1073741824)"},
		{"HOOD_STACK=12288", "bad value for HOOD_STACK: \"12288\" (want a multiple of 4096 from 16384"},
		{"HOOD_STACK=1073745920", "bad value for HOOD_STACK: \"1073745920\""},
		{"GOMAXPROCS=\x01\x1b[2J", "bad value for GOMAXPROCS: \"\\x01\\x1b[2J\" (want"},
		{"GODEBUG=schedtrace=", "bad value for GODEBUG: \"schedtrace=\""},
		{"GODEBUG=schedtrace=often",
		 "bad value for GODEBUG: \"schedtrace=often\" (want schedtrace=an integer"},
		{"GODEBUG=scavenge=99999999999999999999999999", "bad value for GODEBUG: \"scavenge=9"},
		// The error names the part that is wrong, not the whole variable.
		{"GODEBUG=gctrace=1,schedtrace=x,scheddetail=1",
		 "bad value for GODEBUG: \"schedtrace=x\" (want schedtrace=an integer from 0 to 2147483647)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *e[] = {cases[i].word, NULL};
		if (parse(e)) {
			t_errorf(t, "\"%s\" accepted", cases[i].word);
		} else if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			t_errorf(t, "\"%s\": error \"%s\" does not begin \"%s\"", cases[i].word, err,
				 cases[i].want);
		}
	}
}

// GODEBUG names the runtime does not read yet are kept for their readers,
// not refused; fields without "=" and empty fields are skipped: Go's
// parsegodebug does both.
TEST(TestKnobsUnknownGodebug)
{
	static const char *const e[] = {"GODEBUG=gctrace=1,madvdontneed=x,scavenge=1", NULL};
	if (!parse(e) || d.scavenge != 1) {
		t_errorf(t, "rejected or scavenge not read: %s", err);
	}
	static const char *const loose[] = {"GODEBUG=gctrace,,=1,a=,scheddetail=1,", NULL};
	if (!parse(loose) || d.scheddetail != 1) {
		t_errorf(t, "GODEBUG=gctrace,,=1,a=,scheddetail=1,: rejected or not read: %s", err);
	}
}

// GOTRACEBACK takes Go's names and its historical numbers 0, 1, 2.
TEST(TestKnobsTracebackLevels)
{
	static const struct {
		const char *word;
		int level;
	} cases[] = {
		{"GOTRACEBACK=none", TracebackNone},     {"GOTRACEBACK=single", TracebackSingle},
		{"GOTRACEBACK=all", TracebackAll},       {"GOTRACEBACK=system", TracebackSystem},
		{"GOTRACEBACK=crash", TracebackCrash},   {"GOTRACEBACK=0", TracebackNone},
		{"GOTRACEBACK=1", TracebackAll},         {"GOTRACEBACK=2", TracebackSystem},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *e[] = {cases[i].word, NULL};
		if (!parse(e) || k.traceback != cases[i].level) {
			t_errorf(t, "%s: level %d, want %d (%s)", cases[i].word, k.traceback, cases[i].level, err);
		}
	}
}

// The range's ends: the least and the greatest stack accepted.
TEST(TestKnobsStackRange)
{
	static const char *const lo[] = {"HOOD_STACK=16384", NULL};
	if (!parse(lo) || k.stacksize != 16384) {
		t_errorf(t, "HOOD_STACK=16384: %s", err);
	}
	static const char *const hi[] = {"HOOD_STACK=1073741824", NULL};
	if (!parse(hi) || k.stacksize != 1073741824) {
		t_errorf(t, "HOOD_STACK=1073741824: %s", err);
	}
}

// Issue 11: a GODEBUG part over 32 bytes was called malformed: a value's
// length is no error, only its number is (leading zeros are digits).
TEST(TestKnobsLongGodebugValue)
{
	static const char *const e[] = {"GODEBUG=schedtrace=0000000000000000000000000000000000000000000250", NULL};
	if (!parse(e) || d.schedtrace != 250) {
		t_errorf(t, "schedtrace=0...0250: %d: %s", d.schedtrace, err);
	}
	// A long value quoted in an error is its start and its length.
	static char big[200];
	snprintf(big, sizeof big, "GOMAXPROCS=%0150d", 7);
	big[sizeof "GOMAXPROCS=" + 3] = 'x';
	const char *b[] = {big, NULL};
	if (parse(b) || strstr(err, "...\" (150 bytes) (want an integer from 1 to 1024)") == NULL) {
		t_errorf(t, "a 150-byte GOMAXPROCS: %s", err);
	}
}

static char warnings[8][200];
static int nwarnings;

static void
collect(const char *msg)
{
	if (nwarnings < 8) {
		snprintf(warnings[nwarnings], sizeof warnings[0], "%s", msg);
	}
	nwarnings++;
}

// Settings that parse but will not act get a warning each, once per name
// (docs/boot.md: a typo is caught); the runtime's own, none.
TEST(TestGodebugWarnings)
{
	static const char *const want[] = {
		"unknown GODEBUG setting \"schedtrac\"",
		"GODEBUG setting \"gcpacertrace\" is Go's, but hood does not read it",
		"malformed GODEBUG setting \"foo\" ignored (want name=value)",
		"malformed GODEBUG setting \"=1\" ignored (want name=value)",
		"unknown GODEBUG setting \"a\\x01\"",
	};
	nwarnings = 0;
	godebug_check("schedtrac=1,gcpacertrace=1,schedtrace=5,foo,,=1,schedtrac=2,gcpacertrace=2,a\x01=1,scavenge=1,",
		      collect);
	if (nwarnings != 5) {
		t_errorf(t, "%d warnings, want 5", nwarnings);
	}
	for (int i = 0; i < 5 && i < nwarnings; i++) {
		if (strcmp(warnings[i], want[i]) != 0) {
			t_errorf(t, "warning %d: %s, want %s", i, warnings[i], want[i]);
		}
	}
	nwarnings = 0;
	godebug_check("schedtrace=1,scheddetail=1,scavenge=0,gctrace=1,gcstoptheworld=1,gccheckmark=1", collect);
	if (nwarnings != 0) {
		t_errorf(t, "the runtime's own settings warned: %s", warnings[0]);
	}
}
