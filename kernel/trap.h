// trap.h: the trap frame and the exception vectors. trapasm.asm builds a
// struct trapframe on the stack for every interrupt and exception and calls
// trap() with it; see trap.c.
#pragma once

#include <stdint.h>

// The order is fixed by trapasm.asm, which pushes the registers; the last
// five words are pushed by the CPU (SDM vol. 3A, 6.14.2).
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t trapno; // vector number, pushed by the stub
	uint64_t err;    // error code, or 0 for vectors without one
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout is trapasm.asm's");

// CPU exception vectors (SDM vol. 3A, table 6-1).
enum {
	T_DE = 0,  // divide error
	T_DB = 1,  // debug
	T_NMI = 2, // non-maskable interrupt
	T_BP = 3,  // breakpoint
	T_OF = 4,  // overflow
	T_BR = 5,  // bound range exceeded
	T_UD = 6,  // invalid opcode
	T_NM = 7,  // device not available
	T_DF = 8,  // double fault
	T_TS = 10, // invalid TSS
	T_NP = 11, // segment not present
	T_SS = 12, // stack-segment fault
	T_GP = 13, // general protection
	T_PF = 14, // page fault
	T_MF = 16, // x87 floating-point error
	T_AC = 17, // alignment check
	T_MC = 18, // machine check
	T_XM = 19, // SIMD floating-point exception
	T_VE = 20, // virtualization exception
	T_CP = 21, // control protection
	NEXCEPTION = 32,
	NVECTOR = 256,
};

// The other vectors (docs/machine.md has the table). The local APIC
// delivers higher vectors first, so the timer and IPIs sit at the top.
enum {
	IRQ_BASE = 32,    // legacy IRQ n (through the I/O APIC) is IRQ_BASE + n
	VEC_DYNAMIC = 48, // vector_alloc hands out [VEC_DYNAMIC, VEC_DYNAMIC_END)
	VEC_DYNAMIC_END = 0xF0,
	T_TIMER = 0xF0,     // local APIC timer (timer.c)
	T_IPI_WAKE = 0xF1,  // wake a halted CPU, rearm its timer, see pokes
	T_IPI_CALL = 0xF2,  // run a function on another CPU (smp.c)
	T_APICERROR = 0xFE, // local APIC internal error
	T_SPURIOUS = 0xFF,  // local APIC spurious interrupt: no EOI
};

// Page-fault error code bits (SDM vol. 3A, 4.7).
enum {
	PF_P = 1 << 0,    // the page was present (a protection violation)
	PF_W = 1 << 1,    // the access was a write
	PF_U = 1 << 2,    // from user mode
	PF_RSVD = 1 << 3, // a reserved bit was set in a paging entry
	PF_I = 1 << 4,    // the access was an instruction fetch
	PF_PK = 1 << 5,   // protection key
	PF_SS = 1 << 6,   // shadow stack
};

// Interrupt stack table slots (gdt.c fills the TSS, trap.c the IDT).
enum {
	IST_DF = 1,   // double fault
	IST_NMI = 2,  // NMI
	IST_MC = 3,   // machine check
	IST_INTR = 4, // every device interrupt, timer and IPI (vectors >= 32)
	IST_PF = 5,   // page faults: a stack may grow by faulting (runtime)
	IST_COUNT = 5,
};

const char *trap_name(int trapno);
// An interrupt handler fn(tf, arg) runs with interrupts off, on the CPU's
// interrupt stack (IST_INTR; page faults on IST_PF; other exceptions on
// the interrupted stack), after the local APIC has had its EOI.
void intr_register(int vector, void (*fn)(struct trapframe *tf, void *arg), void *arg);
int vector_alloc(void (*fn)(struct trapframe *tf, void *arg), void *arg);
void vector_free(int vector);
void idt_load(void);

// trapasm.asm, trap.c: preemption by an injected call; asyncpreempt_end
// is the first byte past asyncpreempt's code.
void asyncpreempt(void);
extern char asyncpreempt_end[];
void preempted(void);
