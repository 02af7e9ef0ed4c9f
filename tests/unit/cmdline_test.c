// cmdline_test.c: the boot command-line parser (kernel/cmdline.c): kernel
// options kept, every other word handed on as environment. The runtime's
// knobs are runtime1_test.c's.

#include <string.h>

#include "kernel/cmdline.h"
#include "lib/quote.h"
#include "tests/testing.h"

static struct bootargs a;
static char err[200];

TEST(TestCmdlineEmpty)
{
	if (!cmdline_parse("", &a, err, sizeof err) || !cmdline_parse("   ", &a, err, sizeof err)) {
		t_fatalf(t, "empty line rejected: %s", err);
	}
	if (a.nomadt || a.nenv != 0 || a.env[0] != NULL || a.nunknown != 0) {
		t_errorf(t, "defaults wrong: nomadt=%d nenv=%d", a.nomadt, a.nenv);
	}
}

// The runtime's knobs and the selectors are environment, unchecked here.
TEST(TestCmdlineEnvironment)
{
	const char *line = "GOMAXPROCS=lots  GOGC=off GODEBUG=gctrace=1,schedtrace=1000 test=Test* short=on";
	if (!cmdline_parse(line, &a, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	static const char *const want[] = {"GOMAXPROCS=lots", "GOGC=off", "GODEBUG=gctrace=1,schedtrace=1000",
					   "test=Test*", "short=on"};
	if (a.nenv != 5 || a.env[5] != NULL) {
		t_fatalf(t, "%d words in the environment, want 5", a.nenv);
	}
	for (int i = 0; i < 5; i++) {
		if (strcmp(a.env[i], want[i]) != 0) {
			t_errorf(t, "env[%d] = %s, want %s", i, a.env[i], want[i]);
		}
	}
	if (a.nunknown != 0) {
		t_errorf(t, "%d unknown keys, want none (%s)", a.nunknown, a.unknown[0]);
	}
}

TEST(TestCmdlineGetenv)
{
	if (!cmdline_parse("GODEBUG=a=1 GOGC=5 GOGC=7 GOGCX=1", &a, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	const char *v = cmdline_getenv(&a, "GOGC");
	if (v == NULL || strcmp(v, "7") != 0) {
		t_errorf(t, "GOGC = %s, want 7 (the last setting wins)", v ? v : "NULL");
	}
	v = cmdline_getenv(&a, "GODEBUG");
	if (v == NULL || strcmp(v, "a=1") != 0) {
		t_errorf(t, "GODEBUG = %s, want a=1", v ? v : "NULL");
	}
	if (cmdline_getenv(&a, "GO") != NULL || cmdline_getenv(&a, "a") != NULL) {
		t_errorf(t, "a prefix or a GODEBUG name found as a key");
	}
}

TEST(TestCmdlineSkipsKernelPath)
{
	if (!cmdline_parse("/boot/hood.elf GOGC=5", &a, err, sizeof err) || a.nenv != 1 ||
	    strcmp(a.env[0], "GOGC=5") != 0) {
		t_errorf(t, "leading path not skipped: %s", err);
	}
}

// Lowercase keys that no one knows are warned about, and still passed on;
// UPPERCASE ones are environment variables, passed on without comment.
TEST(TestCmdlineUnknownKeys)
{
	if (!cmdline_parse("colour=blue size=9 GOGC=1 MY_VAR=x my_var=y bench=B* colour=red", &a, err,
			   sizeof err)) {
		t_fatalf(t, "unknown keys rejected: %s", err);
	}
	// Each key once (the first word that has it), however often it comes.
	if (a.nunknown != 2 || strcmp(a.unknown[0], "colour=blue") != 0 || strcmp(a.unknown[1], "size=9") != 0) {
		t_errorf(t, "unknown keys: %d", a.nunknown);
	}
	if (a.nenv != 7 || cmdline_getenv(&a, "colour") == NULL) {
		t_errorf(t, "unknown keys not passed on: %d words", a.nenv);
	}
}

// Every malformed input gives false and an error naming the word.
TEST(TestCmdlineMalformed)
{
	static const struct {
		const char *line;
		const char *want; // a substring of the error
	} cases[] = {
		{"verbose", "malformed word \"verbose\": want key=value"},
		{"GOGC=50 verbose", "malformed word \"verbose\""},
		{"=5", "malformed word \"=5\""},
		{"madt=maybe", "bad value for madt: \"maybe\" (want on or off)"},
		{"madt=offoffoffoff", "bad value for madt: \"offoffoffoff\" (want on or off)"},
		{"madt=", "bad value for madt"},
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

// Issue 11: a line over 1023 bytes was cut silently, so an error named a
// fragment the user never typed. A line that fits CMDLINE_LINEMAX is taken
// whole, however many words it has.
TEST(TestCmdlineLongLineTakenWhole)
{
	static char line[CMDLINE_LINEMAX];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(line, "test=", 5);
	if (!cmdline_parse(line, &a, err, sizeof err) || a.nenv != 1 ||
	    strlen(cmdline_getenv(&a, "test")) != sizeof line - 1 - 5) {
		t_errorf(t, "a %zu-byte word not taken whole: %s", strlen(line), err);
	}
	// As many words as fit: "A=1 " 2048 times.
	line[0] = '\0';
	for (int i = 0; i < CMDLINE_LINEMAX / 4 - 1; i++) {
		strcat(line, "A=1 ");
	}
	if (!cmdline_parse(line, &a, err, sizeof err) || a.nenv != CMDLINE_LINEMAX / 4 - 1) {
		t_errorf(t, "%d words: %d taken: %s", CMDLINE_LINEMAX / 4 - 1, a.nenv, err);
	}
	// The shortest words, k=, with one blank each.
	line[0] = '\0';
	for (int i = 0; i < (CMDLINE_LINEMAX - 1) / 3; i++) {
		strcat(line, "A= ");
	}
	if (!cmdline_parse(line, &a, err, sizeof err) || a.nenv != (CMDLINE_LINEMAX - 1) / 3) {
		t_errorf(t, "%d shortest words: %d taken: %s", (CMDLINE_LINEMAX - 1) / 3, a.nenv, err);
	}
}

// A longer line than the kernel passes (kernel/main.c refuses it first) is
// refused with the limits, never cut.
TEST(TestCmdlineTooLong)
{
	static char line[CMDLINE_LINEMAX + 100];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memcpy(line, "test=", 5);
	if (cmdline_parse(line, &a, err, sizeof err) ||
	    strstr(err, "does not fit: more than 2731 words or 8191 bytes") == NULL) {
		t_errorf(t, "a %zu-byte word was accepted: %s", strlen(line), err);
	}
}

// Errors quote what was typed: unprintable bytes escaped, a long word's
// start with its length, never a fragment passed off as the whole.
TEST(TestCmdlineErrorsQuote)
{
	if (cmdline_parse("GOGC=1 a\x01\x1b[2J\\", &a, err, sizeof err) ||
	    strcmp(err, "malformed word \"a\\x01\\x1b[2J\\\\\": want key=value") != 0) {
		t_errorf(t, "control bytes: %s", err);
	}
	static char line[4000];
	memset(line, 'v', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	if (cmdline_parse(line, &a, err, sizeof err) ||
	    strstr(err, "malformed word \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv...\" "
			"(3999 bytes): want key=value") != err) {
		t_errorf(t, "a 3999-byte word: %s", err);
	}
}

// The echo's escaping (kernel/main.c): as Go's %q, quotes aside; a piece
// stops where the next escape would not fit.
TEST(TestCmdlineQuote)
{
	char q[16]; // "a=\\t\\r\\n\\x7f" and its NUL are 13 bytes: \\xe9 does not fit
	size_t took = quote_escape(q, sizeof q, "a=\t\r\n\x7f\xe9\"\\", 9);
	if (took != 6 || strcmp(q, "a=\\t\\r\\n\\x7f") != 0) {
		t_errorf(t, "took %zu: %s", took, q);
	}
	char big[64];
	took = quote_escape(big, sizeof big, "a=\t\r\n\x7f\xe9\"\\", 9);
	if (took != 9 || strcmp(big, "a=\\t\\r\\n\\x7f\\xe9\"\\\\") != 0) {
		t_errorf(t, "took %zu: %s", took, big);
	}
}

TEST(TestCmdlineMadt)
{
	if (!cmdline_parse("madt=off bench=Benchmark*", &a, err, sizeof err)) {
		t_fatalf(t, "rejected: %s", err);
	}
	if (!a.nomadt || a.nenv != 1 || cmdline_getenv(&a, "madt") != NULL) {
		t_errorf(t, "nomadt=%d nenv=%d: madt= is the kernel's, not environment", a.nomadt, a.nenv);
	}
	if (!cmdline_parse("madt=on", &a, err, sizeof err) || a.nomadt) {
		t_errorf(t, "madt=on: %s", err);
	}
}
