// cmdline_test.c: the boot command-line parser (kernel/cmdline.c).

#include <string.h>

#include "kernel/cmdline.h"
#include "tests/testing.h"

static struct bootargs a;
static char err[200];

TEST(TestCmdlineEmpty)
{
	if (!cmdline_parse("", &a, err, sizeof err) || !cmdline_parse("   ", &a, err, sizeof err)) {
		t_fatalf(t, "empty line rejected: %s", err);
	}
	if (a.gomaxprocs != 0 || a.gogc != 100 || a.ngodebug != 0 || a.test[0] != '\0') {
		t_errorf(t, "defaults wrong: gomaxprocs=%d gogc=%d", a.gomaxprocs, a.gogc);
	}
}

TEST(TestCmdlineKnobs)
{
	const char *line =
		"GOMAXPROCS=4  GOGC=off GODEBUG=gctrace=1,schedtrace=1000 GOTRACEBACK=all test=Test*";
	if (!cmdline_parse(line, &a, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	if (a.gomaxprocs != 4 || a.gogc != -1 || strcmp(a.gotraceback, "all") != 0 ||
	    strcmp(a.test, "Test*") != 0) {
		t_errorf(t, "got gomaxprocs=%d gogc=%d gotraceback=%s test=%s", a.gomaxprocs, a.gogc,
			 a.gotraceback, a.test);
	}
	if (a.ngodebug != 2 || strcmp(a.godebug[0].name, "gctrace") != 0 ||
	    strcmp(a.godebug[0].value, "1") != 0 || strcmp(a.godebug[1].name, "schedtrace") != 0 ||
	    strcmp(a.godebug[1].value, "1000") != 0) {
		t_errorf(t, "GODEBUG parsed into %d variables", a.ngodebug);
	}
}

TEST(TestCmdlineGodebugLookup)
{
	if (!cmdline_parse("GODEBUG=a=1,b=2,a=3", &bootargs, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	const char *v = godebug_lookup("a");
	if (v == NULL || strcmp(v, "3") != 0) {
		t_errorf(t, "godebug_lookup(a) = %s, want 3 (the last setting wins)", v ? v : "NULL");
	}
	if (godebug_lookup("c") != NULL) {
		t_errorf(t, "godebug_lookup(c) found something");
	}
}

TEST(TestCmdlineSkipsKernelPath)
{
	if (!cmdline_parse("/boot/hood.elf GOGC=5", &a, err, sizeof err) || a.gogc != 5) {
		t_errorf(t, "leading path not skipped: %s", err);
	}
}

TEST(TestCmdlineUnknownKeys)
{
	if (!cmdline_parse("colour=blue size=9 GOGC=1", &a, err, sizeof err)) {
		t_fatalf(t, "unknown keys rejected: %s", err);
	}
	if (a.nunknown != 2 || strcmp(a.unknown[0], "colour") != 0 || strcmp(a.unknown[1], "size") != 0) {
		t_errorf(t, "unknown keys: %d", a.nunknown);
	}
}

// Every malformed input gives false and an error naming the key and value.
TEST(TestCmdlineMalformed)
{
	static const struct {
		const char *line;
		const char *want; // a substring of the error
	} cases[] = {
		{"GOMAXPROCS=0", "bad value for GOMAXPROCS: \"0\""},
		{"GOMAXPROCS=-1", "bad value for GOMAXPROCS: \"-1\""},
		{"GOMAXPROCS=4x", "bad value for GOMAXPROCS: \"4x\""},
		{"GOMAXPROCS=", "bad value for GOMAXPROCS: \"\""},
		{"GOMAXPROCS=99999999999999999999", "bad value for GOMAXPROCS"},
		{"GOGC=-5", "bad value for GOGC: \"-5\""},
		{"GOGC=on", "bad value for GOGC: \"on\""},
		{"GOTRACEBACK=loud", "bad value for GOTRACEBACK: \"loud\""},
		{"GODEBUG=gctrace", "bad value for GODEBUG: \"gctrace\""},
		{"GODEBUG=gctrace=1,", "trailing comma"},
		{"GODEBUG==1", "bad value for GODEBUG"},
		{"test=", "bad value for test"},
		{"verbose", "malformed word \"verbose\""},
		{"=5", "malformed word \"=5\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (cmdline_parse(cases[i].line, &a, err, sizeof err)) {
			t_errorf(t, "\"%s\" accepted", cases[i].line);
		} else if (strstr(err, cases[i].want) == NULL) {
			t_errorf(t, "\"%s\": error \"%s\" does not say \"%s\"", cases[i].line, err,
				 cases[i].want);
		}
	}
}

TEST(TestCmdlineTooLong)
{
	char line[600];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(line, "test=", 5);
	if (cmdline_parse(line, &a, err, sizeof err)) {
		t_errorf(t, "a %zu-byte value was accepted", strlen(line));
	}
}

TEST(TestCmdlineMadtAndBench)
{
	if (!cmdline_parse("madt=off bench=Benchmark*", &a, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	if (!a.nomadt || strcmp(a.bench, "Benchmark*") != 0) {
		t_errorf(t, "nomadt=%d bench=%s", a.nomadt, a.bench);
	}
	if (!cmdline_parse("madt=on", &a, err, sizeof err) || a.nomadt) {
		t_errorf(t, "madt=on: %s", err);
	}
	if (cmdline_parse("madt=maybe", &a, err, sizeof err) || strstr(err, "bad value for madt") == NULL) {
		t_errorf(t, "madt=maybe: %s", err);
	}
	if (cmdline_parse("bench=", &a, err, sizeof err) || strstr(err, "bad value for bench") == NULL) {
		t_errorf(t, "bench=: %s", err);
	}
	if (!cmdline_parse("short=on", &a, err, sizeof err) || !a.testshort) {
		t_errorf(t, "short=on: %s", err);
	}
	if (cmdline_parse("short=1", &a, err, sizeof err) || strstr(err, "bad value for short") == NULL) {
		t_errorf(t, "short=1: %s", err);
	}
}
