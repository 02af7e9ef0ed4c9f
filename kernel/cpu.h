// cpu.h: the per-CPU area. Each CPU's GS base points to its struct cpu,
// whose first word points to itself, so mycpu() is one load through GS.
// The boot CPU is cpus[0]; the others are numbered in MADT order as
// smp.c starts them. A CPU's id is its index; apicid is the hardware's.
//
// Invariants:
//	mycpu()->self == mycpu(), from kmain's first line on each CPU;
//	ncli > 0 whenever interrupts are off because of pushcli (a spinlock
//	held, or an explicit pushcli), and intena is what IF was before the
//	outermost pushcli;
//	locks are the spinlocks this CPU holds, in acquisition order, with
//	strictly increasing ranks (lib/lockrank.h, lib/lock.h).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/lock.h"
#include "x86.h"

enum {
	MAXCPU = 64,
	NGDT = 6,     // null, kcode, kdata, kcode32, and the TSS's two slots
	CPU_NIST = 5, // IST stacks: trap.h's IST_COUNT
};

struct kthread;

// The 64-bit TSS (SDM vol. 3A, figure 8-11).
struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7]; // ist[0] is IST1
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomapbase;
};

struct cpu {
	struct cpu *self; // must stay first: mycpu() reads %gs:0
	int id;           // index in cpus[]
	uint32_t apicid;
	bool online; // Atomic: set by the CPU itself once it runs its idle loop

	// Owned by this CPU; no lock (interrupts off while they change):
	int ncli;    // depth of pushcli
	bool intena; // were interrupts on before the outermost pushcli?
	struct heldlocks locks;

	// Protected by runlock: the kernel threads whose home is this CPU.
	struct spinlock runlock;
	struct kthread *current;           // running here now
	struct kthread *idle;              // runs when nothing else can
	struct kthread *runhead, *runtail; // runnable, FIFO
	int nrunnable;
	uint64_t slicestart;    // nanotime when current started its slice
	struct kthread *zombie; // exited; its stack is freed by the next thread
	bool needresched;       // Owned by this CPU: the time slice is over
	bool poked;             // Atomic: kthread_poke asks for the preemption path

	// Owned by this CPU, changed with interrupts off: pending timer
	// events, soonest first (timer.c).
	struct ktimer *timers;

	// Segments, set up once by gdt_init, with the IST stacks' tops.
	uint64_t gdt[NGDT];
	struct tss tss;
	uint64_t ist[CPU_NIST];

	// Owned by smp.c: the cross-CPU call this CPU must run (T_IPI_CALL).
	bool callpending; // Atomic
};

extern struct cpu cpus[MAXCPU];
extern int ncpu; // CPUs known (from the MADT); started ones have online set

static inline struct cpu *
mycpu(void)
{
	return (struct cpu *)gsread64(0);
}

void cpu_setgs(struct cpu *c);
void pushcli(void);
void popcli(void);
