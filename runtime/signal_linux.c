// signal_linux.c: the hosted port's signals, as Go's signal_unix.go:
// preemption is a signal, SIGURG as in Go 1.14, whose handler makes the
// goroutine call asyncpreempt (asyncpreempt_linux.asm) as the bare-metal
// timer interrupt does; goroutine stacks grow by SIGSEGV, on the thread's
// alternate signal stack, as the bare-metal page-fault handler maps their
// pages. Part of the Linux port (os_linux.h).
//
// What the preemption signal leaves alone (sigurg): a thread that is not
// running its goroutine on the goroutine's own stack (the scheduler on
// g0, the moments in between), holds runtime locks (m->locks) or port
// locks, or is pinned (thread_nopreempt); code outside the program's own
// text (the C library, whose locks belong to the thread), and the
// program's code called back from there (incallback); and the few
// functions that read the M in two steps (section hood_nopreempt).

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

enum {
	SigStackSize = 64 << 10,
	RedZone = 128, // below rsp, the SysV ABI's leaf scratch
};

__thread int insignal;
long nsigstacks;
static void (*runtimepreempt)(void);
static bool (*stackfaultfn)(uint64_t addr, bool write);
static bool (*sigpanicfn)(const struct sigfault *f);

// asyncpreempt_linux.asm's, for lib/regs.inc's FPUSAVE: XSAVE of every
// component the OS enabled, into an area of CPUID leaf 0xD's size.
uint64_t fpusavesize;
uint8_t usexsave = 1;
void asyncpreempt(void);

extern char __executable_start[], etext[];
extern char __start_hood_nopreempt[], __stop_hood_nopreempt[];

static void sigurg(int sig, siginfo_t *si, void *uc);
static void sigsegv(int sig, siginfo_t *si, void *uc);
static void sigfpe(int sig, siginfo_t *si, void *uc);
static bool sigtopanic(ucontext_t *uc, const struct sigfault *f);
static _Noreturn void sigthrow(const char *msg, const struct sigfault *f, const ucontext_t *uc);
static void onsignal(int sig, void (*fn)(int, siginfo_t *, void *));
static bool holdserrno(const ucontext_t *uc);
static bool incallback(const ucontext_t *uc, const struct g *gp);
static bool intext(uint64_t pc);

// ---- set-up ------------------------------------------------------------------

void
signalinit(void)
{
	unsigned a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	fpusavesize = (b + 63) & ~63u; // CPUID.(EAX=0DH,ECX=0):EBX: for the enabled features
}

// This thread's alternate signal stack: stack faults are handled there,
// since the faulting stack has no room. A thread that has one keeps it
// (m0 comes here twice, from rt0_go's set-up and from mstart), as Go's
// minitSignalStack keeps a stack that cgo's thread brought.
void
minitsignals(void)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
		return;
	}
	stack_t ss = {
		.ss_sp = mmap(NULL, SigStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		.ss_size = SigStackSize};
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0) {
		throw("os_setm: no signal stack");
	}
	atomic_xadd_relaxed(&nsigstacks, 1); // relaxed: a count
}

// The calling thread ends: the signals that still come run on its own
// stack, and the signal stack goes back.
void
unminitsignals(void)
{
	stack_t ss = {.ss_flags = SS_DISABLE}, old;
	if (sigaltstack(&ss, &old) != 0) {
		throw("os_exitthread: sigaltstack failed");
	}
	if (old.ss_sp != NULL && !(old.ss_flags & SS_DISABLE)) {
		munmap(old.ss_sp, old.ss_size);
		atomic_xadd_relaxed(&nsigstacks, -1); // relaxed: a count
	}
}

// ---- preemption ----------------------------------------------------------------

void
os_preempthook(void (*fn)(void))
{
	runtimepreempt = fn;
	onsignal(SIGURG, sigurg);
}

// ThreadSanitizer runs a signal's handler later, at a point of its own
// choosing, with the context of the signal's arrival: a call injected
// there would land on a stack that has moved on. So a TSan build does not
// preempt: goroutines yield where they call the scheduler.
bool
os_asyncpreempt(void)
{
#ifdef __SANITIZE_THREAD__
	return false;
#else
	return true;
#endif
}

bool
os_pinned(void)
{
	return thread_nopreempt();
}

bool
os_preemptm(struct m *mp)
{
	if (!os_asyncpreempt()) {
		return false;
	}
	// Relaxed: see os_setm and os_exitthread. NULL: the thread has not
	// started or has ended; tgkill fails with ESRCH if it ended since.
	pid_t tid = (pid_t)(intptr_t)atomic_load_relaxed(&mp->thread);
	return tid != 0 && tgkill(getpid(), tid, SIGURG) == 0;
}

// SIGURG: if the goroutine may be preempted here, make it call
// asyncpreempt as if it had called it at the interrupted instruction: the
// return address and the flags go below the red zone, and asyncpreempt's
// `popfq; ret 128` steps back over them (Go's pushCall does the same).
static void
sigurg(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	int err = errno; // the interrupted goroutine's (os.h); kept however this returns
	ucontext_t *uc = ucv;
	struct m *mp = curm;
	uint64_t pc = uc->uc_mcontext.gregs[REG_RIP];
	uint64_t sp = uc->uc_mcontext.gregs[REG_RSP];
	struct g *gp = mp != NULL ? mp->curg : NULL;
	// First, whatever else refuses: its count of deferrals in a row must
	// see every signal (holdserrno).
	bool errnoheld = holdserrno(uc);
	if (gp == NULL || mp->cur != gp || mp->locks > 0 || thread_nopreempt() ||
	    sp - RedZone - 16 < gp->stackmapped || sp > gp->stackhi || !intext(pc) ||
	    (pc >= (uint64_t)__start_hood_nopreempt && pc < (uint64_t)__stop_hood_nopreempt) ||
	    errnoheld || gp->asyncpreempt || incallback(uc, gp)) {
		errno = err;
		return; // not now; sysmon asks again
	}
	// Until the call reaches gopreempt, a second signal would inject a
	// second call below the first, and so on: a flood of them (several
	// Ms stopping the world at once, TestPreemptSignalAtGoroutineStart's
	// sender) ran a goroutine's stack into its guard, 3 KiB of saved state
	// a call. Go needs no flag: asyncPreempt is runtime code, never an
	// async safe point.
	gp->asyncpreempt = true;
	sp -= RedZone + 16;
	((uint64_t *)sp)[1] = pc;
	((uint64_t *)sp)[0] = uc->uc_mcontext.gregs[REG_EFL];
	uc->uc_mcontext.gregs[REG_RSP] = sp;
	uc->uc_mcontext.gregs[REG_RIP] = (uint64_t)asyncpreempt;
	errno = err;
}

// Whether pc lies in the program's own text.
static bool
intext(uint64_t pc)
{
	return pc >= (uint64_t)__executable_start && pc < (uint64_t)etext;
}

// Whether the goroutine is in a callback from the C library: a frame
// outside the program's text lies below the interrupted one on its stack
// (qsort's comparison function, a fopencookie stream's write function,
// which glibc calls holding the stream's lock). glibc's locks are
// recursive and belong to the thread: a goroutine switched out there, and
// another run on the thread, would take the same lock again and go in
// beside it (TestLibcCallbackNotSwitchedOnItsThread). Go has no such
// case: C code runs on the system stack, and a callback into Go keeps
// its goroutine on its thread (cgocallbackg's lockOSThread). The walk
// follows the frame pointers (the program keeps them; glibc does not, so
// the chain ends in garbage past a glibc frame, but its return address,
// outside the text, comes first); in a function's first two instructions
// (push %rbp; mov %rsp,%rbp) the return address is at sp or sp+8. A frame
// pointer that leaves the stack, or goes down, is taken as a callback:
// preemption waits for sysmon's next request. A program linked statically
// with its C library shows none of this, and is not protected.
static bool
incallback(const ucontext_t *uc, const struct g *gp)
{
	uint64_t pc = uc->uc_mcontext.gregs[REG_RIP];
	uint64_t sp = uc->uc_mcontext.gregs[REG_RSP];
	uint64_t fp = uc->uc_mcontext.gregs[REG_RBP];
	uint64_t off;
	// Only within the stack: at gostart's first instruction sp is stackhi,
	// and the word above it is the next slot's guard (reading it was a
	// "goroutine stack exceeds" fatal error from inside this handler, in
	// about one run in five of the hosted benchmarks).
	if (symname(pc, &off) != NULL && off < 2 && sp + 8 * (off + 1) <= gp->stackhi &&
	    !intext(((uint64_t *)sp)[off])) {
		return true;
	}
	// A goroutine's first frame, gostart's, has a frame pointer of 0
	// (newproc1's gogoframe).
	while (fp != 0) {
		if (fp % 8 != 0 || fp < sp || fp + 16 > gp->stackhi) {
			return true;
		}
		uint64_t *frame = (uint64_t *)fp;
		if (!intext(frame[1])) {
			return true;
		}
		sp = fp + 16;
		fp = frame[0];
	}
	return false;
}

// Whether the goroutine holds this thread's errno's address in a register,
// between glibc's __errno_location and the load or store through it
// (`call __errno_location; mov %ebx,(%rax)`): preempted there, it could
// go on on another thread and write the errno of this one, which by then
// is another goroutine's. Go has no such window (its syscalls return the
// error); bare metal neither (newlib's address is the G's own). So the
// signal leaves it alone, a few times in a row at most: a loop that
// keeps the address in a register for good is preempted all the same
// (liveness first). "In a row" counts every signal, those that the other
// rules refuse too (sigurg asks first): counted only among the ones that
// reach it, the deferrals added up over a loop that spends its time in
// the C library (refused there) and in such windows, and the eighth
// preempted one inside a window (TestErrnoPerGoroutineAcrossPreemption,
// about once in three runs of make test). An address spilled to the
// stack across a call into the program is not seen: code that keeps
// &errno across such calls (GCC may, __errno_location being const) is not
// preemption-safe.
static bool
holdserrno(const ucontext_t *uc)
{
	static __thread int deferred;      // signals left alone in a row for this reason
	static __thread uint64_t deferpc;  // where the last of them came
	uint64_t ea = (uint64_t)&errno, pc = uc->uc_mcontext.gregs[REG_RIP];
	for (int r = REG_R8; r <= REG_RCX; r++) { // every general register but rsp
		if ((uint64_t)uc->uc_mcontext.gregs[r] != ea) {
			continue;
		}
		// A signal sent while the last one's handler ran comes at the
		// same instruction, as soon as that handler returns: it does not
		// count, or a burst of them under load would use up the deferrals
		// inside one window.
		if (pc != deferpc) {
			deferpc = pc;
			deferred++;
		}
		if (deferred < 8) {
			return true;
		}
		break;
	}
	deferred = 0;
	deferpc = 0;
	return false;
}

// Called by asyncpreempt, all the goroutine's registers saved below. The
// G's mark (sigurg's) goes as the call's last step: this and asyncpreempt
// are in hood_nopreempt, so a signal at any instruction after it is
// refused by its pc, and none nests a second call below the first
// (TestPreemptPokesDoNotNest: cleared in gopreempt, a flood of signals
// stacked calls 18 KiB deep). The G may come back on another M.
void preempted(void);

__attribute__((section("hood_nopreempt"))) void
preempted(void)
{
	runtimepreempt();
	os_getg()->asyncpreempt = false;
}

// ---- stack faults ---------------------------------------------------------------

void
os_setstackfault(bool (*fn)(uint64_t addr, bool write))
{
	stackfaultfn = fn;
	onsignal(SIGSEGV, sigsegv);
	onsignal(SIGBUS, sigsegv);
}

void
os_setsigpanic(bool (*fn)(const struct sigfault *f))
{
	sigpanicfn = fn;
	onsignal(SIGFPE, sigfpe);
}

// SIGSEGV, on the signal stack: a goroutine stack's next page (the
// instruction runs again), or the end: Go's fault message.
static void
sigsegv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int err = errno; // the faulting goroutine's (os.h): a grown stack leaves it alone
	uint64_t addr = (uint64_t)si->si_addr;
	bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
	insignal++;
	if (addr >= stackregion && addr < stackregion + StackRegionSize && stackfaultfn != NULL &&
	    stackfaultfn(addr, write)) {
		insignal--;
		errno = err;
		return;
	}
	struct sigfault f = {sig == SIGBUS ? SigBUS : SigSEGV, (uint64_t)si->si_code, addr,
			     uc->uc_mcontext.gregs[REG_RIP]};
	if (sigtopanic(uc, &f)) {
		insignal--;
		errno = err;
		return;
	}
	// Go's words: sigpanic's for an address that is no nil dereference,
	// sighandler's for a fault where no panic may start (the C library,
	// the runtime's locks).
	if (addr >= 0x1000) {
		os_print("unexpected fault address 0x%lx\n", addr);
	}
	sigthrow(addr >= 0x1000 ? "fault" : "unexpected signal during runtime execution", &f, uc);
}

// The fatal end of a fault: its signal line and the frames from the
// faulting instruction up, then gothrow's report. The goroutine dump
// starts at this handler and stops at the signal frame, which has no frame
// pointer (Go's dump goes through the sigpanic it injects), so the
// faulting frames come first.
static _Noreturn void
sigthrow(const char *msg, const struct sigfault *f, const ucontext_t *uc)
{
	printsignal(f);
	os_backtrace(uc->uc_mcontext.gregs[REG_RIP] + 1, uc->uc_mcontext.gregs[REG_RBP], NULL, 0);
	gothrow(msg);
}

// SIGFPE: an integer divide error becomes a panic; any other is fatal.
static void
sigfpe(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	int err = errno;
	struct sigfault f = {SigFPE, (uint64_t)si->si_code, (uint64_t)si->si_addr, uc->uc_mcontext.gregs[REG_RIP]};
	if (sigtopanic(uc, &f)) {
		errno = err;
		return;
	}
	sigthrow("unexpected signal during runtime execution", &f, uc);
}

// Whether the fault f became a panic (os.h): asked of the runtime only for
// a fault in the program's own text, by a goroutine that holds none of
// this port's locks and is not in a callback from the C library (whose
// locks a panic's unwinding would leave held); then the signal returns to
// sigpanic0, not to the fault. A signal the program sent itself (kill,
// raise: si_code <= 0) is no fault.
static bool
sigtopanic(ucontext_t *uc, const struct sigfault *f)
{
	uint64_t pc = f->pc, sp = uc->uc_mcontext.gregs[REG_RSP];
	struct m *mp = curm;
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (sigpanicfn == NULL || ((int64_t)f->code <= 0 && f->code != SiKernel) || gp == NULL || mp->cur != gp ||
	    sp < gp->stacklo || sp + 8 > gp->stackhi) {
		return false;
	}
	// A call through nil faults at pc 0: the calling code is the one its
	// return address, on top, names.
	bool nilcall = pc < 0x1000;
	uint64_t code = nilcall ? *(uint64_t *)sp : pc;
	if (thread_nopreempt() || !intext(code) || incallback(uc, gp) || !sigpanicfn(f)) {
		return false;
	}
	uc->uc_mcontext.gregs[REG_RDI] = nilcall ? 0 : pc;
	uc->uc_mcontext.gregs[REG_RIP] = (uint64_t)sigpanic0;
	return true;
}

static void
onsignal(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE) {
		sa.sa_flags |= SA_NODEFER; // a fault while reporting one still reports
	}
	sigaction(sig, &sa, NULL);
}
