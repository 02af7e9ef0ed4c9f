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
// text (the C library, whose locks belong to the thread); and the few
// functions that read the M in two steps (section hood_nopreempt).

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

enum {
	SigStackSize = 64 << 10,
	RedZone = 128, // below rsp, the SysV ABI's leaf scratch
};

static void (*runtimepreempt)(void);
static bool (*stackfaultfn)(uint64_t addr, bool write);

// asyncpreempt_linux.asm's, for lib/regs.inc's FPUSAVE: XSAVE of every
// component the OS enabled, into an area of CPUID leaf 0xD's size.
uint64_t fpusavesize;
uint8_t usexsave = 1;
void asyncpreempt(void);

extern char __executable_start[], etext[];
extern char __start_hood_nopreempt[], __stop_hood_nopreempt[];

static void sigurg(int sig, siginfo_t *si, void *uc);
static void sigsegv(int sig, siginfo_t *si, void *uc);
static void onsignal(int sig, void (*fn)(int, siginfo_t *, void *));

// ---- set-up ------------------------------------------------------------------

void
signalinit(void)
{
	unsigned a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	fpusavesize = (b + 63) & ~63u; // CPUID.(EAX=0DH,ECX=0):EBX: for the enabled features
}

// This thread's alternate signal stack: stack faults are handled there,
// since the faulting stack has no room.
void
minitsignals(void)
{
	stack_t ss = {
		.ss_sp = mmap(NULL, SigStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		.ss_size = SigStackSize};
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0) {
		throw("os_setm: no signal stack");
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
os_preemptm(struct m *mp)
{
	return os_asyncpreempt() && pthread_kill((pthread_t)mp->thread, SIGURG) == 0;
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
	ucontext_t *uc = ucv;
	struct m *mp = curm;
	uint64_t pc = uc->uc_mcontext.gregs[REG_RIP];
	uint64_t sp = uc->uc_mcontext.gregs[REG_RSP];
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (gp == NULL || mp->cur != gp || mp->locks > 0 || thread_nopreempt() ||
	    sp - RedZone - 16 < gp->stackmapped || sp > gp->stackhi || pc < (uint64_t)__executable_start ||
	    pc >= (uint64_t)etext ||
	    (pc >= (uint64_t)__start_hood_nopreempt && pc < (uint64_t)__stop_hood_nopreempt)) {
		return; // not now; sysmon asks again
	}
	sp -= RedZone + 16;
	((uint64_t *)sp)[1] = pc;
	((uint64_t *)sp)[0] = uc->uc_mcontext.gregs[REG_EFL];
	uc->uc_mcontext.gregs[REG_RSP] = sp;
	uc->uc_mcontext.gregs[REG_RIP] = (uint64_t)asyncpreempt;
}

// Called by asyncpreempt, all the goroutine's registers saved below.
void preempted(void);

void
preempted(void)
{
	runtimepreempt();
}

// ---- stack faults ---------------------------------------------------------------

void
os_setstackfault(bool (*fn)(uint64_t addr, bool write))
{
	stackfaultfn = fn;
	onsignal(SIGSEGV, sigsegv);
	onsignal(SIGBUS, sigsegv);
}

// SIGSEGV, on the signal stack: a goroutine stack's next page (the
// instruction runs again), or the end: Go's fault message.
static void
sigsegv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t addr = (uint64_t)si->si_addr;
	bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
	if (addr >= stackregion && addr < stackregion + StackRegionSize && stackfaultfn != NULL &&
	    stackfaultfn(addr, write)) {
		return;
	}
	os_print("unexpected fault address 0x%lx\n", addr);
	os_print("[signal %s: segmentation violation code=0x%x addr=0x%lx pc=0x%llx]\n",
		 sig == SIGBUS ? "SIGBUS" : "SIGSEGV", si->si_code, addr, uc->uc_mcontext.gregs[REG_RIP]);
	gothrow("fault");
}

static void
onsignal(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sig == SIGSEGV || sig == SIGBUS) {
		sa.sa_flags |= SA_NODEFER; // a fault while reporting one still reports
	}
	sigaction(sig, &sa, NULL);
}
