// testing.h: hood's in-guest tests, shaped like Go's testing package.
//
//	TEST(TestPrintf)
//	{
//		char buf[32];
//		snprintf(buf, sizeof buf, "%d", 42);
//		if (strcmp(buf, "42") != 0) {
//			t_errorf(t, "got %s, want 42", buf);
//		}
//	}
//
// A test is a function of struct T *t, registered by TEST in the
// hood_tests section (linker.ld; on the host, GNU ld's automatic
// __start_/__stop_ symbols), so adding a test file is one line in its
// subject's list in the Makefile: tests/runtime/ (built into the guest
// image and the hosted programs; these include only runtime/*.h, hood.h
// and tests/*.h), tests/kernel/ (guest only), tests/unit/ (pure code on
// the host). Each program has its own main (tests/main_*.c). The boot
// command line picks which run: test=all, test=TestA,TestB or
// test=Prefix*. Output is go test -v's:
//
//	=== RUN   TestPrintf
//	--- PASS: TestPrintf (0.00s)
//	PASS
//
// and the machine powers off with status 0 if every test passed, 1 if not.
//
// A crash test must end the machine with a fatal error: CRASHTEST names
// the exact line it must print and the status it must exit with. test=all
// skips crash tests; scripts/runtests boots each one on its own
// (test=TestName) and checks the message, the status and that the
// backtrace names the test. test=list prints every test, one a line:
//
//	test TestPrintf
//	crashtest TestNilDeref 2 fatal error: nil pointer dereference
//	runnertest TestRunnerSeesHang timeout
//
// A runner test checks scripts/runtests itself: it ends its machine in a
// way the runner must classify as outcome, "triple-fault" or "timeout".
// The runner counts it passed when its verdict matches. Outcome "idle" is
// a test that idles: the runner boots it with 4 CPUs and checks that QEMU
// used almost no host CPU time.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct T {
	const char *name;
	bool failed;
};

struct testcase {
	const char *name;
	const char *file; // where it is defined: tests run in file, then line order
	int line;
	void (*fn)(struct T *t);
	int status;          // crash tests: the exit status they must produce
	const char *message; // crash tests: the line they must print; NULL otherwise
	const char *outcome; // runner tests: the runner's verdict; NULL otherwise
};

#define TEST(name) TESTCASE(name, 0, NULL, NULL)
#define CRASHTEST(name, status, message) TESTCASE(name, status, message, NULL)
#define RUNNERTEST(name, outcome) TESTCASE(name, 0, NULL, outcome)

#define TESTCASE(name, status, message, outcome)                                                             \
	static void name(struct T *t);                                                                       \
	static const struct testcase name##_case                                                             \
		__attribute__((section("hood_tests"), used, aligned(8))) = {                                 \
			#name, __FILE__, __LINE__, name, status, message, outcome};                          \
	static void name(struct T *t)

// t_errorf marks the test failed and logs; the test goes on. t_fatalf
// also ends the test at once. Both print file:line like Go's t.Errorf.
#define t_errorf(t, ...) t_logf_at(t, __FILE__, __LINE__, false, __VA_ARGS__)
#define t_fatalf(t, ...) t_logf_at(t, __FILE__, __LINE__, true, __VA_ARGS__)
#define t_logf(t, ...) t_log_at(t, __FILE__, __LINE__, __VA_ARGS__)

// Go's testing.Short(): long tests (stress runs) take less time. The boot
// option short=on sets it.
extern bool testing_short;

int testing_main(const char *sel);
bool testing_selected(const char *name, const char *sel);
int testing_cmpu64(const void *a, const void *b);
uint64_t nanotime(void); // the guest's is the kernel's; the host's, main.c's

// Whether the page at va is mapped (the guest's page tables) or resident
// (the hosted port's mincore): for tests that count a stack's pages. Each
// test program's main defines it.
bool testing_pagemapped(uint64_t va);

void t_logf_at(struct T *t, const char *file, int line, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void t_log_at(struct T *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
