// panic.c: fatal errors. Go's runtime has two words for them and so do we:
// throw("msg") when an invariant of the kernel or runtime is broken, and a
// fault report when the CPU raises an exception nobody handles. Both print
//
//	fatal error: <what happened, in words>
//	[trap 14 page fault: error 0x2 (write, not present) addr=0x0 pc=0x1023f1]
//
//	cpu 0:
//	rax 0x0  rbx ...           (fault reports only)
//	backtrace:
//		TestNilDeref+0x11  tests/kernel/fault_test.c:31
//		testing_run+0x85  tests/testing.c:102
//		...
//
// and power off with status 2 (EXIT_FATAL), as Go exits 2 after a fatal
// error. The backtrace walks the frame-pointer chain (every object is built
// with -fno-omit-frame-pointer) and names each return address from the
// symbol table linked into the image (ksyms.c).

#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "kernel.h"
#include "lib/atomic.h"
#include "smp.h"
#include "memlayout.h"
#include "trap.h"
#include "x86.h"

static void die(const char *msg, uint64_t fp) __attribute__((noreturn));
static void report_begin(void);
static void describe_trap(struct trapframe *tf, char *buf, size_t n);
static void print_trap(struct trapframe *tf);
static void print_regs(struct trapframe *tf);
static void report_others(void);

enum {
	MAXFRAMES = 64, // frames printed before "...additional frames elided..."
};

static int dyingcpu = -1;   // Atomic: the CPU reporting a fatal error, or -1
static int reportturn = -1; // Atomic: the stopped CPU whose turn it is to print
static int reportdone = -1; // Atomic: the last stopped CPU that has printed

// clang-format reads throw as C++'s keyword and joins the lines.
// clang-format off
void
throw(const char *msg)
{
	die(msg, (uint64_t)__builtin_frame_address(0));
}
// clang-format on

void
fatalf(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	die(msg, (uint64_t)__builtin_frame_address(0));
}

// The report of throw and fatalf: the message and a backtrace from fp, the
// frame of the function that called die, which is not shown.
static void
die(const char *msg, uint64_t fp)
{
	report_begin();
	kprintf("fatal error: %s\n\ncpu %d:\nbacktrace:\n", msg, mycpu()->id);
	backtrace_print(0, 0, fp);
	report_others();
	poweroff(EXIT_FATAL);
}

void
fatal_trap(struct trapframe *tf)
{
	char msg[128];

	report_begin();
	describe_trap(tf, msg, sizeof msg);
	kprintf("fatal error: %s\n", msg);
	print_trap(tf);
	kprintf("\ncpu %d:\n", mycpu()->id);
	print_regs(tf);
	kprintf("backtrace:\n");
	// An instruction fetch that faulted is usually a call through a bad
	// pointer: the caller's return address is on top of the stack, and rbp
	// is still the caller's own frame.
	uint64_t ret = 0;
	if (tf->trapno == T_PF && (tf->err & PF_I) && vm_mapped(tf->rsp) && vm_mapped(tf->rsp + 7)) {
		ret = *(uint64_t *)tf->rsp;
	}
	backtrace_print(tf->rip, ret, tf->rbp);
	report_others();
	poweroff(EXIT_FATAL);
}

// The first fatal error takes over the console and stops the other CPUs
// (smp_stop), which then print their state one at a time, in CPU order,
// when report_others gives them the turn. A fault while reporting (a
// broken stack, a bad symbol table) must not loop: that CPU's second fatal
// error powers off at once. A fatal error on a second CPU while the first
// reports waits quietly to be asked for its state.
static void
report_begin(void)
{
	cli();
	int me = mycpu()->id;
	// CAS, acquire and release: the first fatal error claims the report.
	// Release publishes the claim to fatal_nmi's load-acquire on the
	// stopped CPUs; acquire, on failure, pairs with the winner's CAS.
	if (!atomic_cas_acqrel(&dyingcpu, -1, me)) {
		// Who won: dyingcpu is set once and never changes again, so a
		// load-acquire now reads what made the CAS fail.
		if (atomic_load_acq(&dyingcpu) == me) {
			kprintf("\nfatal error: fault while reporting a fatal error\n");
			poweroff(EXIT_FATAL);
		}
		for (;;) {
			hlt(); // the NMI from smp_stop brings us to fatal_nmi
		}
	}
	console_panic();
	smp_stop();
}

// An NMI: on a CPU stopped for another's fatal error, print this CPU's
// state when its turn comes and halt; otherwise it is a hardware NMI, and
// fatal itself.
void
fatal_nmi(struct trapframe *tf, void *arg)
{
	(void)arg;
	int me = mycpu()->id;
	// Load-acquire; pairs with the CAS-release in report_begin.
	int dying = atomic_load_acq(&dyingcpu);
	if (dying < 0 || dying == me) {
		fatal_trap(tf);
	}
	// Load-acquire; pairs with the store-release in report_others.
	while (atomic_load_acq(&reportturn) != me) {
		cpu_pause();
	}
	kprintf("\ncpu %d: stopped\n", me);
	print_regs(tf);
	kprintf("backtrace:\n");
	backtrace_print(tf->rip, 0, tf->rbp);
	// Store-release: our lines are out before the reporter goes on;
	// pairs with the load-acquire in report_others.
	atomic_store_rel(&reportdone, me);
	for (;;) {
		hlt(); // further NMIs are blocked until an iret that never comes
	}
}

// Let each other online CPU print its state, in order. A CPU that does not
// answer within a second (interrupts and NMIs blocked, or wedged) is named.
static void
report_others(void)
{
	for (int i = 0; i < ncpu; i++) {
		// Load-acquire; pairs with the store-release of online in
		// kthread_idle (smp_init's, for the boot CPU).
		if (i == mycpu()->id || !atomic_load_acq(&cpus[i].online)) {
			continue;
		}
		// Store-release: what we printed is out before CPU i prints;
		// pairs with the load-acquire spin in fatal_nmi.
		atomic_store_rel(&reportturn, i);
		uint64_t end = nanotime() + 1000 * 1000 * 1000;
		// Load-acquire; pairs with the store-release in fatal_nmi.
		while (atomic_load_acq(&reportdone) != i) {
			if (nanotime() > end) {
				kprintf("\ncpu %d: did not stop\n", i);
				break;
			}
			cpu_pause();
		}
	}
}

// What happened, in words, for the first line of the report.
static void
describe_trap(struct trapframe *tf, char *buf, size_t n)
{
	uint64_t addr = rcr2();

	switch (tf->trapno) {
	case T_PF:
		if (kstack_guard(addr)) {
			snprintf(buf, n, "kernel stack overflow");
		} else if (tf->err & PF_RSVD) {
			snprintf(buf, n, "reserved bit set in a page table entry for address 0x%lx", addr);
		} else if (!(tf->err & PF_P) && addr < PGSIZE) {
			snprintf(buf, n, "nil pointer dereference");
		} else if (!(tf->err & PF_P)) {
			snprintf(buf, n, "unexpected fault address 0x%lx", addr);
		} else if (tf->err & PF_I) {
			snprintf(buf, n, "execute of non-executable memory at 0x%lx", addr);
		} else if (tf->err & PF_W) {
			snprintf(buf, n, "write to read-only memory at 0x%lx", addr);
		} else {
			snprintf(buf, n, "read of protected memory at 0x%lx", addr);
		}
		break;
	case T_DF:
		// A push into a stack's guard page faults, and delivering that
		// page fault pushes into the same page again: a double fault,
		// with CR2 still naming the guard page.
		if (kstack_guard(addr)) {
			snprintf(buf, n, "kernel stack overflow");
		} else {
			snprintf(buf, n, "double fault");
		}
		break;
	default:
		snprintf(buf, n, "%s", trap_name(tf->trapno));
		break;
	}
}

// The bracketed line under the headline, like Go's "[signal SIGSEGV: ...]".
static void
print_trap(struct trapframe *tf)
{
	kprintf("[trap %lu %s: error 0x%lx", tf->trapno, trap_name(tf->trapno), tf->err);
	if (tf->trapno == T_PF) {
		kprintf(" (%s, %s%s%s)",
			tf->err & PF_I   ? "instruction fetch"
			: tf->err & PF_W ? "write"
					 : "read",
			tf->err & PF_P ? "protection violation" : "not present",
			tf->err & PF_RSVD ? ", reserved bit" : "", tf->err & PF_U ? ", user" : "");
		kprintf(" addr=0x%lx", rcr2());
	}
	kprintf(" pc=0x%lx]\n", tf->rip);
}

static void
print_regs(struct trapframe *tf)
{
	kprintf("rax    0x%-16lx rbx    0x%-16lx rcx    0x%lx\n", tf->rax, tf->rbx, tf->rcx);
	kprintf("rdx    0x%-16lx rsi    0x%-16lx rdi    0x%lx\n", tf->rdx, tf->rsi, tf->rdi);
	kprintf("rbp    0x%-16lx rsp    0x%-16lx r8     0x%lx\n", tf->rbp, tf->rsp, tf->r8);
	kprintf("r9     0x%-16lx r10    0x%-16lx r11    0x%lx\n", tf->r9, tf->r10, tf->r11);
	kprintf("r12    0x%-16lx r13    0x%-16lx r14    0x%lx\n", tf->r12, tf->r13, tf->r14);
	kprintf("r15    0x%-16lx rip    0x%-16lx rflags 0x%lx\n", tf->r15, tf->rip, tf->rflags);
	kprintf("cs     0x%-16lx ss     0x%-16lx cr2    0x%lx\n", tf->cs, tf->ss, rcr2());
	kprintf("cr0    0x%-16lx cr3    0x%-16lx cr4    0x%lx\n", rcr0(), rcr3(), rcr4());
}

// One frame's line, "\tname+0xoff  file:line\n", into line.
static void
frameline(char *line, size_t n, uint64_t pc, bool first)
{
	uint64_t off;
	const char *file;
	int lineno;
	// A return address points after its call; look up the call itself.
	uint64_t where = first ? pc : pc - 1;
	const char *name = ksym_lookup(where, &off);

	if (name == NULL) {
		snprintf(line, n, "\t0x%lx ?\n", pc);
		return;
	}
	off += pc - where;
	if (kline_lookup(where, &file, &lineno)) {
		snprintf(line, n, "\t%s+0x%lx  %s:%d\n", name, off, file, lineno);
	} else {
		snprintf(line, n, "\t%s+0x%lx\n", name, off);
	}
}

// The lines of a backtrace, each handed to emit(line, arg): pc, the
// faulting instruction, and ret, a return address, unless they are 0; then
// each return address up the frame-pointer chain from fp. A frame is
// [fp] = the caller's fp, [fp+8] = the return address; the chain ends at
// fp == 0 (boot/entry.asm and stack_switch clear rbp). The walk stops early
// at anything that cannot be a frame, so a corrupt stack gives a short
// backtrace, not a second fault.
static void
backtrace_walk(uint64_t pc, uint64_t ret, uint64_t fp, void (*emit)(const char *line, void *arg), void *arg)
{
	char line[160];
	if (pc != 0) {
		frameline(line, sizeof line, pc, true);
		emit(line, arg);
	}
	if (ret != 0) {
		frameline(line, sizeof line, ret, false);
		emit(line, arg);
	}
	for (int i = 1; fp != 0; i++) {
		if (i == MAXFRAMES) {
			emit("\t...additional frames elided...\n", arg);
			return;
		}
		if (fp % 8 != 0 || !vm_mapped(fp) || !vm_mapped(fp + 15)) {
			snprintf(line, sizeof line, "\t(bad frame pointer 0x%lx)\n", fp);
			emit(line, arg);
			return;
		}
		uint64_t *frame = (uint64_t *)fp;
		uint64_t next = frame[0];
		pc = frame[1];
		if (pc == 0) {
			return;
		}
		frameline(line, sizeof line, pc, false);
		emit(line, arg);
		// Frames go up the stack; anything else is not a chain, except
		// the one step from a kernel stack (an M's g0) down to the
		// goroutine stack it was entered from (the runtime's
		// systemstack_switch links its frame to the goroutine's, as Go's
		// tracebacks run from the system stack into the goroutine's).
		bool tog = fp >= KSTACKS && fp < KSTACKS + KSTACKS_SIZE && next >= GSTACKS &&
			   next < GSTACKS + GSTACKS_SIZE;
		if (next != 0 && next <= fp && !tog) {
			return;
		}
		fp = next;
	}
}

static void
printline(const char *line, void *arg)
{
	(void)arg;
	kprintf("%s", line);
}

// A backtrace on the console (see backtrace_walk).
void
backtrace_print(uint64_t pc, uint64_t ret, uint64_t fp)
{
	backtrace_walk(pc, ret, fp, printline, NULL);
}

struct sbuf {
	char *buf;
	size_t len, n; // n: bytes written so far, at most len
};

static void
appendline(const char *line, void *arg)
{
	struct sbuf *b = arg;
	size_t k = strlen(line);
	if (k > b->len - b->n) {
		k = b->len - b->n; // truncated, as Go's runtime.Stack truncates
	}
	memcpy(b->buf + b->n, line, k);
	b->n += k;
}

// A backtrace into buf (not NUL-terminated), cut at len bytes; returns
// the bytes written.
size_t
backtrace_sprint(char *buf, size_t len, uint64_t pc, uint64_t ret, uint64_t fp)
{
	struct sbuf b = {buf, len, 0};
	backtrace_walk(pc, ret, fp, appendline, &b);
	return b.n;
}
