// hood.h: the Go-shaped API for hood's applications. A program is C with
// goroutines:
//
//	#include <hood.h>
//	#include <stdio.h>
//
//	static void
//	hello(void *arg)
//	{
//		printf("hello from goroutine %s\n", (char *)arg);
//	}
//
//	int
//	main(void)
//	{
//		go(hello, "two");
//		time_sleep(10 * Millisecond);
//		printf("goroutines: %d\n", runtime_numgoroutine());
//		return 0;
//	}
//
// main runs as goroutine 1; when it returns, the program ends with its
// status, other goroutines or not (as in Go). Everything here is safe to
// call from any goroutine. A goroutine that waits in a C library call
// (newlib's locks, reading the console) lends its P to the others
// meanwhile, as a Go goroutine in a system call does; errno is each
// goroutine's own. Channels, select, sync, maps and the rest arrive with
// the issues that build them.
//
// The sections follow Go's packages, in the order a Go program meets them:
// the go statement and package runtime, then time; channels and select,
// defer and panic, maps, sync, atomics and net come after them as they are
// built. Each section opens with a short example.
#pragma once

#include <stdbool.h>
#include <stdint.h>

// ---- go and package runtime --------------------------------------------------
//
//	go(worker, &job);                   // go worker(&job)
//	runtime_gosched();                  // runtime.Gosched()
//	int n = runtime_gomaxprocs(0);      // runtime.GOMAXPROCS(0)

// go(fn, arg): run fn(arg) in a new goroutine.
void newproc(void (*fn)(void *), void *arg);
#define go(fn, arg) newproc((fn), (arg))

// Gosched yields the processor; Goexit ends the calling goroutine (in
// main: the program goes on until no goroutine can run, then Go's
// deadlock error).
void runtime_gosched(void);
void runtime_goexit(void) __attribute__((noreturn));
int runtime_numgoroutine(void);
int runtime_numcpu(void);
int runtime_gomaxprocs(int n); // n <= 0: only report; returns the previous value

// Go's os.Getenv over the runtime's environment: on bare metal the boot
// command line's KEY=VALUE words (test=all, GOGC=50), on Linux the
// process's. NULL when not set; the string is not the caller's to change.
const char *runtime_getenv(const char *key);

// runtime.Stack: the calling goroutine's traceback ("goroutine 1
// [running]:" and its frames), and with all every other goroutine's, into
// buf (not NUL-terminated); returns the bytes written, at most len.
int runtime_stack(char *buf, int len, bool all);

// LockOSThread: the calling goroutine runs only on its thread (M), and
// the thread runs only it, until as many UnlockOSThreads. A goroutine that
// exits while locked takes its thread with it (Go's rule).
void runtime_lockosthread(void);
void runtime_unlockosthread(void);

// ---- time ------------------------------------------------------------------------
//
//	int64_t start = time_nanotime();
//	time_sleep(10 * Millisecond);       // time.Sleep(10 * time.Millisecond)
//	int64_t took = time_nanotime() - start;

// Durations in nanoseconds, as Go's time.Duration.
enum {
	Nanosecond = 1,
	Microsecond = 1000,
	Millisecond = 1000000,
};
#define Second (1000LL * Millisecond)

// Sleep at least ns nanoseconds; ns <= 0 returns at once.
void time_sleep(int64_t ns);
// The monotonic clock in nanoseconds: since boot on bare metal, Linux's
// CLOCK_MONOTONIC in the hosted port. Only differences mean anything.
int64_t time_nanotime(void);
