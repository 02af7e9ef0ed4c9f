// trap.c: the interrupt descriptor table and the C side of every trap.
//
// A vector with a registered handler runs it: device interrupts, the
// local APIC timer, IPIs, and the NMI that stops CPUs for a fatal report.
// Any other CPU exception is fatal: the kernel and the runtime run in ring
// 0, and a fault is a bug, unless it is a goroutine's nil dereference or
// division by zero, which the runtime's handlers for those vectors turn
// into a panic (runtime/os_hood.c). fatal_trap (panic.c) says in words
// what happened and powers off with status 2. An interrupt nobody
// registered is reported the same way.
//
// After an interrupt's handler, if the interrupted code could have been
// interrupted by choice (interrupts were on, so it held no spinlock) and a
// preemption is due (the time slice ended, or kthread_poke), trap() makes
// the interrupted code call asyncpreempt on its own stack (trapasm.asm),
// which calls preempted() below: that is how kernel threads and goroutines
// are preempted.

#include <stdint.h>

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "lapic.h"
#include "lib/atomic.h"
#include "trap.h"
#include "x86.h"

// An interrupt gate descriptor (SDM vol. 3A, figure 6-8).
struct __attribute__((packed)) gatedesc {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; // present, DPL 0, 64-bit interrupt gate: 0x8E
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
};

extern uint64_t vectors[NVECTOR]; // trapasm.asm

static struct gatedesc idt[NVECTOR];

// How trapasm.asm saves the FPU state; set once by trap_init.
uint64_t fpusavesize = 512;
uint8_t usexsave;

static struct spinlock vectorlock = SPINLOCK_INIT("vectors", LOCK_VECTORS);
// Written under vectorlock, read by trap() without it: a handler is set
// before its vector can fire and cleared only after it can no longer.
static struct {
	void (*fn)(struct trapframe *tf, void *arg);
	void *arg;
} handlers[NVECTOR];

static const char *const names[NEXCEPTION] = {
	[T_DE] = "divide error",
	[T_DB] = "debug exception",
	[T_NMI] = "non-maskable interrupt",
	[T_BP] = "breakpoint",
	[T_OF] = "overflow",
	[T_BR] = "bound range exceeded",
	[T_UD] = "invalid opcode",
	[T_NM] = "device not available",
	[T_DF] = "double fault",
	[9] = "coprocessor segment overrun",
	[T_TS] = "invalid TSS",
	[T_NP] = "segment not present",
	[T_SS] = "stack-segment fault",
	[T_GP] = "general protection fault",
	[T_PF] = "page fault",
	[15] = "reserved exception 15",
	[T_MF] = "x87 floating-point error",
	[T_AC] = "alignment check",
	[T_MC] = "machine check",
	[T_XM] = "SIMD floating-point exception",
	[T_VE] = "virtualization exception",
	[T_CP] = "control protection exception",
	[22] = "reserved exception 22",
	[23] = "reserved exception 23",
	[24] = "reserved exception 24",
	[25] = "reserved exception 25",
	[26] = "reserved exception 26",
	[27] = "reserved exception 27",
	[28] = "hypervisor injection exception",
	[29] = "VMM communication exception",
	[30] = "security exception",
	[31] = "reserved exception 31",
};

static void
setgate(int v, uint64_t fn, int ist)
{
	idt[v] = (struct gatedesc){
		.off0 = fn & 0xFFFF,
		.sel = 0x08, // GDT_KCODE
		.ist = ist,
		.type = 0x8E,
		.off1 = (fn >> 16) & 0xFFFF,
		.off2 = fn >> 32,
	};
}

// Why enable_fpu (boot/entry.asm) left XSAVE off, for the fpu: line: ""
// if the CPU has no XSAVE, else the rule of enable_fpu's that refused it.
static const char *
xsave_whynot(void)
{
	enum {
		CPUID1_ECX_XSAVE = 1 << 26,
	};
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_XSAVE)) {
		return "";
	}
	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0xD) {
		return " (XSAVE not used: no CPUID leaf 0xD)";
	}
	// See enable_fpu: QEMU 7.2's TCG hangs on CR4.OSXSAVE then.
	return " (XSAVE not used: CPUID leaf 0xD.1 is empty, and QEMU hangs on CR4.OSXSAVE then)";
}

// Caller has run gdt_init: the IST slots name stacks in its TSS.
void
trap_init(void)
{
	// boot/entry.asm turned on XSAVE if the CPU has it; CPUID 0xD's EBX
	// is then the area XSAVE needs for the components XCR0 enables.
	if (rcr4() & CR4_OSXSAVE) {
		uint32_t a, b, c, d;
		cpuid(0xD, 0, &a, &b, &c, &d);
		usexsave = 1;
		fpusavesize = (b + 63) & ~63u;
	}
	kprintf("fpu: %s, %lu bytes of state saved on each trap%s\n", usexsave ? "xsave" : "fxsave",
		fpusavesize,
		usexsave ? (xgetbv(0) & XCR0_AVX ? " (with AVX)" : "") : xsave_whynot());
	// Exceptions run on the stack they interrupt, except those that
	// could find it broken. Interrupts all run on the CPU's interrupt
	// stack, so they never push onto a thread's or goroutine's stack
	// (which may not be mapped that far); preemption reaches the
	// interrupted code another way (trap, below).
	for (int v = 0; v < NVECTOR; v++) {
		setgate(v, vectors[v], v < NEXCEPTION ? 0 : IST_INTR);
	}
	setgate(T_DF, vectors[T_DF], IST_DF);
	setgate(T_NMI, vectors[T_NMI], IST_NMI);
	setgate(T_MC, vectors[T_MC], IST_MC);
	setgate(T_PF, vectors[T_PF], IST_PF);
	idt_load();
}

// Load the IDT on this CPU (every CPU shares the one table).
void
idt_load(void)
{
	lidt(idt, sizeof idt - 1);
}

void
intr_register(int vector, void (*fn)(struct trapframe *tf, void *arg), void *arg)
{
	spin_lock(&vectorlock);
	if (handlers[vector].fn != NULL && fn != NULL) {
		spin_unlock(&vectorlock);
		fatalf("intr_register: vector %d already has a handler", vector);
	}
	handlers[vector].arg = arg;
	// Store-release: the argument is in place before the handler is
	// visible; pairs with the load-acquire in trap.
	atomic_store_rel(&handlers[vector].fn, fn);
	spin_unlock(&vectorlock);
}

// A free vector for a device's MSI or MSI-X message, with fn(tf, arg) as
// its handler; -1 if all are taken.
int
vector_alloc(void (*fn)(struct trapframe *tf, void *arg), void *arg)
{
	spin_lock(&vectorlock);
	for (int v = VEC_DYNAMIC; v < VEC_DYNAMIC_END; v++) {
		if (handlers[v].fn == NULL) {
			handlers[v].arg = arg;
			// Store-release, as in intr_register; pairs with the
			// load-acquire in trap.
			atomic_store_rel(&handlers[v].fn, fn);
			spin_unlock(&vectorlock);
			return v;
		}
	}
	spin_unlock(&vectorlock);
	return -1;
}

void
vector_free(int vector)
{
	if (vector < VEC_DYNAMIC || vector >= VEC_DYNAMIC_END) {
		fatalf("vector_free: %d is not a dynamic vector", vector);
	}
	intr_register(vector, NULL, NULL);
}

const char *
trap_name(int trapno)
{
	if (trapno >= 0 && trapno < NEXCEPTION) {
		return names[trapno];
	}
	return "unexpected interrupt";
}

void
trap(struct trapframe *tf)
{
	// Load-acquire; pairs with the store-release in intr_register and
	// vector_alloc: the handler's arg is in place.
	void (*fn)(struct trapframe *, void *) = atomic_load_acq(&handlers[tf->trapno].fn);
	if (tf->trapno >= IRQ_BASE && tf->trapno != T_SPURIOUS) {
		lapic_eoi();
	}
	if (fn == NULL) {
		if (tf->trapno == T_SPURIOUS) {
			return;
		}
		fatal_trap(tf);
	}
	fn(tf, handlers[tf->trapno].arg);

	// Preempt the interrupted code if asked to and if it can be: it had
	// interrupts on, so it held no spinlock. Make it call asyncpreempt
	// (trapasm.asm) on its own stack, as if it had called it itself: its
	// rflags and rip go on that stack (no red zone to skip: everything is
	// built with -mno-red-zone) and it resumes there with interrupts off.
	// Only after an interrupt, on the interrupt stack: those pushes may
	// fault (the next page of a goroutine stack), and the page-fault
	// handler runs on a stack of its own, so a fault taken in the page-fault
	// handler would land on that same stack over the frame being handled
	// (TestStackFaultWithPreemptionPending). A request that finds an
	// exception is left for the next interrupt, which the timer or
	// sysmon's next poke brings, as is one the runtime refuses
	// (kthread_preemptok: an earlier call still on the goroutine's stack).
	// The runtime is asked last: a yes is a promise it keeps. Nor inside
	// asyncpreempt, as Go never preempts asyncPreempt: the pokes that came
	// while the last call ran with interrupts off are taken right after its
	// popfq, at its ret, and each would nest a new call there, over the last
	// one's return address (TestPreemptPokesDoNotNest).
	struct cpu *c = mycpu();
	if (tf->trapno >= IRQ_BASE && (c->needresched || c->poked) && (tf->rflags & FL_IF) &&
	    c->ncli == 0 && (tf->rip < (uint64_t)asyncpreempt || tf->rip >= (uint64_t)asyncpreempt_end) &&
	    (kthread_preemptok == NULL || kthread_preemptok(tf->rsp))) {
		uint64_t *sp = (uint64_t *)tf->rsp;
		sp[-1] = tf->rip;
		sp[-2] = tf->rflags;
		tf->rsp -= 16;
		tf->rip = (uint64_t)asyncpreempt;
		tf->rflags &= ~FL_IF;
	}
}

// The preemption asyncpreempt brings about, in the interrupted thread, on
// its own stack, with all its registers saved there. First the kernel's
// time slice (it may switch kernel threads on this CPU), then the
// runtime's (it may switch goroutines on this kernel thread). Interrupts
// stay off until each request is cleared, so that the timer cannot ask
// again, and nest another asyncpreempt, before this one has acted.
void
preempted(void)
{
	struct cpu *c = mycpu();
	c->poked = false;
	if (c->needresched) {
		c->needresched = false;
		kthread_yield(); // a new slice: the timer will not ask again soon
	}
	// A thread holding a mutex (newlib's stdio and malloc locks) keeps
	// its goroutine: another goroutine of the same thread would find the
	// mutex "held by this thread". The request stays; sysmon repeats it.
	if (kthread_preempthook != NULL && c->current->nopreempt == 0) {
		sti();
		kthread_preempthook();
		cli();
	}
}
