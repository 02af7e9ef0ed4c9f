// switchframe.h: the frame a voluntary context switch leaves on the stack
// it leaves, for both switchers: the runtime's gogo and mcall_switch
// (runtime/asm_amd64.asm, goroutines) and the kernel's swtch
// (kernel/swtch.asm, kernel threads). A switch is a function call, so it
// keeps only what the System V ABI makes a callee preserve: rbx, rbp,
// r12-r15, the control bits of MXCSR and the x87 control word. The rest
// is dead across the call. lib/regs.inc's SWITCHSAVE pushes the frame and
// SWITCHRESTORE pops it; the C code that builds the first frame of a new
// goroutine (runtime/proc.c's newproc1) or thread (kernel/kthread.c's
// newstack) fills this struct, and the asserts below hold the struct to
// the offsets those macros use.
//
// One struct, in lib/ beside the one macro pair, because the two frames
// are one: the same registers in the same order, saved by the same code.
// What lies above the frame differs, so each layer wraps it:
//
//	goroutine     struct gogoframe (runtime.h): switchframe, rflags, return address
//	kernel thread struct swtchframe (kthread.h): switchframe, return address
//
// The goroutine switcher keeps rflags as well (a pushfq before the macro,
// a popfq after it), so that a G parked with interrupts on resumes with
// them on, on whichever CPU runs it next. The kernel switches threads
// only with interrupts off (the CPU's runlock is held), and keeps each
// thread's interrupt state in c->intena instead.
#pragma once

#include <stddef.h>
#include <stdint.h>

// From the top of the stack (the lowest address) up, as SWITCHSAVE
// leaves it.
struct switchframe {
	uint32_t mxcsr; // stmxcsr [rsp]
	uint16_t fcw;   // fnstcw [rsp + 4]
	uint16_t pad;
	uint64_t r15, r14, r13, r12, rbx, rbp;
};

// The control words a new context starts with, the processor's own
// defaults: MXCSR 0x1F80 (every SSE exception masked, round to nearest:
// its value after reset, SDM vol. 1, 10.2.3) and FCW 0x037F (every x87
// exception masked, 64-bit precision, round to nearest: FNINIT's value,
// SDM vol. 1, 8.1.5). A new frame: these words, every register zero; the
// builder then sets the registers its entry code reads.
static inline struct switchframe
switchframe_new(void)
{
	return (struct switchframe){.mxcsr = 0x1F80, .fcw = 0x037F};
}

// The offsets of lib/regs.inc's SWITCHSAVE and SWITCHRESTORE.
_Static_assert(offsetof(struct switchframe, mxcsr) == 0, "SWITCHSAVE: stmxcsr [rsp]");
_Static_assert(offsetof(struct switchframe, fcw) == 4, "SWITCHSAVE: fnstcw [rsp + 4]");
_Static_assert(offsetof(struct switchframe, r15) == 8, "SWITCHSAVE: push r15, last");
_Static_assert(offsetof(struct switchframe, r14) == 16, "SWITCHSAVE: push r14");
_Static_assert(offsetof(struct switchframe, r13) == 24, "SWITCHSAVE: push r13");
_Static_assert(offsetof(struct switchframe, r12) == 32, "SWITCHSAVE: push r12");
_Static_assert(offsetof(struct switchframe, rbx) == 40, "SWITCHSAVE: push rbx");
_Static_assert(offsetof(struct switchframe, rbp) == 48, "SWITCHSAVE: push rbp, first");
_Static_assert(sizeof(struct switchframe) == 56, "SWITCHFRAME_SIZE in lib/regs.inc");
