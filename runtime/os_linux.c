// os_linux.c: the machine interface (os.h) on Linux, the hosted port: the
// process, threads and Ms, time, exit and the environment, as Go's
// os_linux.go. Ms are pthreads; the M of the running thread is a
// thread-local variable; nanotime is CLOCK_MONOTONIC. The rest of the port
// is split as Go splits it (os_linux.h): memory and stacks in mem_linux.c,
// signals (preemption, stack faults) in signal_linux.c, the symbol table
// in symtab_linux.c, locks in lock_futex.c.
//
// A program hands over to the runtime at its own main: it links with
// -Wl,--wrap=main, so the C library's start calls __wrap_main here, which
// starts the runtime (rt0_go); the program's main (__real_main) then runs
// as goroutine 1, and its return ends the process with its status.

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

static int mainargc;
static char **mainargv;
__thread struct m *curm;
static bool (*entersyscallfn)(void);
static void (*exitsyscallfn)(void);

// ---- the process -------------------------------------------------------------

int __real_main(int argc, char **argv);
int __wrap_main(int argc, char **argv);

// The process's main (-Wl,--wrap=main): start the runtime on this
// thread, which becomes m0; the program's main runs as goroutine 1.
int
__wrap_main(int argc, char **argv)
{
	mainargc = argc;
	mainargv = argv;
	rt0_go();
}

// Go's osinit; and the symbol table, which the fatal report of a fault
// reads in the signal handler, where it could not be loaded (malloc).
void
osinit(void)
{
	signalinit();
	symtabinit();
}

int
os_main(void)
{
	return __real_main(mainargc, mainargv);
}

int32_t
os_ncpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		return 1;
	}
	return CPU_COUNT(&set);
}

// The process's environment.
const char *
os_getenv(const char *name)
{
	return getenv(name);
}

int
os_print(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1) {
		n = sizeof buf - 1;
	}
	return write(2, buf, n); // one write: lines from threads stay whole
}

uint64_t
nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
os_walltime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Leave after a fatal error, without atexit handlers or stdio, as Go.
void
os_exit(int status)
{
	_exit(status);
}

void throw(const char *msg)
{
	gothrow(msg);
}

void
fatalf(const char *fmt, ...)
{
	static char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	gothrow(msg);
}

// ---- threads -------------------------------------------------------------------

struct threadstart {
	struct m *mp;
	void (*fn)(void *);
};

static void *
threadmain(void *arg)
{
	struct threadstart ts = *(struct threadstart *)arg;
	free(arg);
	ts.fn(ts.mp);
	return NULL;
}

// A new pthread running fn(mp). Linux places threads itself: cpu is only
// the bare-metal port's.
void
os_newosproc(struct m *mp, int cpu, void (*fn)(void *mp))
{
	(void)cpu;
	struct threadstart *ts = malloc(sizeof *ts);
	if (ts == NULL) {
		throw("newosproc: out of memory");
	}
	*ts = (struct threadstart){mp, fn};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int err = pthread_create(&t, &attr, threadmain, ts);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		os_print("runtime: failed to create new OS thread (errno=%d)\n", err);
		throw("newosproc");
	}
}

// This thread is mp (Go's minit too): its signal stack, for stack faults
// and the preemption signal. mp->thread is the thread's kernel id, which
// the preemption signal is sent to (tgkill, as Go's signalM sends to
// mp.procid), not its pthread_t: that one names freed memory once the
// thread has ended, and pthread_kill of it is undefined.
void
os_setm(struct m *mp)
{
	minitsignals();
	// A timer slack of 1 ns, not Linux's default 50 us: an idle M sleeps
	// in a timed futex wait until the earliest timer's when (stopm), and
	// the slack would make every timer up to that much later
	// (BenchmarkTicker1ms here, loaded: p50 62 -> 10 us, p99 85 -> 47).
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	// Relaxed: an id; os_preemptm's relaxed load may see NULL (nothing
	// sent) or the id (the thread is there by now).
	atomic_store_relaxed(&mp->thread, (void *)(intptr_t)gettid());
	curm = mp;
}

// These read the M and use it in two steps: the preemption signal leaves
// them alone (a goroutine moved between the steps would count on the old
// M), as interrupts off do on bare metal.
__attribute__((section("hood_nopreempt"), noinline)) struct m *
os_acquirem(void)
{
	struct m *mp = curm;
	if (mp != NULL) {
		mp->locks++;
	}
	return mp;
}

__attribute__((section("hood_nopreempt"), noinline)) struct g *
os_getg(void)
{
	struct m *mp = curm;
	return mp != NULL ? mp->cur : NULL;
}

struct m *
os_getm(void)
{
	return curm;
}

uint64_t
os_threadstacktop(void)
{
	return ((uint64_t)__builtin_frame_address(0) & ~15ULL) - 256;
}

// Nothing to do: sigurg tells the moment before gogo from a goroutine by
// the stack it runs on.
void
os_intr_off(void)
{
}

void
os_procyield(void)
{
	__builtin_ia32_pause();
}

void
os_usleep(int64_t us)
{
	usleep(us);
}

// The thread ends (its locked G exited): nothing is signalled to it any
// more, its signal stack goes back (Go's mexit: unminit, then the
// gsignal stack freed), and glibc takes its stack. The M record goes back
// to the runtime (*freewait) once no signal handler can find it from here:
// signals are blocked and curm is cleared first.
void
os_exitthread(uint32_t *freewait)
{
	struct m *mp = curm;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	// Relaxed: os_preemptm that loaded the id before this sends to a
	// thread that ends, or one of ours that reused the id: the signal
	// handler leaves a goroutine that was not asked to stop alone.
	atomic_store_relaxed(&mp->thread, NULL);
	unminitsignals();
	curm = NULL;
	// Store-release: done with the M; pairs with the load-acquire in
	// newm, which may hand it to a new thread.
	atomic_store_rel(freewait, 0);
	pthread_exit(NULL);
}

// ---- syscalls --------------------------------------------------------------------

void
os_syscallhooks(bool (*enter)(void), void (*exit)(void))
{
	entersyscallfn = enter;
	exitsyscallfn = exit;
}

bool
blockbegin(void)
{
	return curm != NULL && entersyscallfn != NULL && entersyscallfn();
}

void
blockend(bool entered)
{
	if (entered) {
		exitsyscallfn();
	}
}

// ---- the C library ---------------------------------------------------------------

// glibc keeps errno per thread (in the thread's TLS block, where its own
// functions write it directly), but a goroutine moves between threads
// and a thread runs many goroutines: so each G keeps its errno here, and
// the switches move it (os.h): out of the thread when the G leaves it
// (mcall, systemstack), back in when it runs again (execute). The rest of
// glibc's per-thread state (strtok's, rand's) stays the thread's: a
// program that wants it per goroutine uses the _r functions. Go has no
// errno to keep (its syscalls return it); newlib on bare metal asks the
// runtime for the running G's state at every access, so needs none of
// this.
struct libcstate {
	int err; // the G's errno while it is off a thread
};

void *
os_libcstate_new(void)
{
	return persistentalloc(sizeof(struct libcstate), _Alignof(struct libcstate));
}

void
os_libcstate_reset(void *st)
{
	((struct libcstate *)st)->err = 0;
}

void
os_libcstate_save(void *st)
{
	if (st != NULL) {
		((struct libcstate *)st)->err = errno;
	}
}

void
os_libcstate_load(void *st)
{
	if (st != NULL) {
		errno = ((struct libcstate *)st)->err;
	}
}
