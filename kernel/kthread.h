// kthread.h: kernel threads, the future Ms. A kernel thread has a stack
// with a guard page and a home CPU, where it always runs: threads never
// migrate (the Go scheduler above moves goroutines, not Ms). Each CPU
// keeps a FIFO run list of its runnable threads and an idle thread that
// halts when the list is empty; more threads than CPUs share a CPU in time
// slices of KTHREAD_SLICE, ended by the timer interrupt.
//
// States, and who moves a thread between them:
//
//	RUNNABLE --switchto--> RUNNING --kthread_yield, preemption--> RUNNABLE
//	RUNNING --kthread_park--> PARKED --kthread_unpark--> RUNNABLE
//	RUNNING --kthread_exit--> DEAD (its stack is freed by the next thread)
//
// park and unpark are a one-shot permit, as Go's notes need: an unpark of
// a thread that is not parked is remembered (wakeup), and its next park
// returns at once. note.c builds Go's note on them.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/switchframe.h"

enum {
	KT_RUNNABLE = 1,
	KT_RUNNING,
	KT_PARKED,
	KT_DEAD,
	KTHREAD_SLICE = 10 * 1000 * 1000, // ns: Go's forcePreemptNS, 10 ms
};

struct cpu;

struct kthread {
	uint64_t rsp;      // saved stack pointer while switched out (swtch.asm)
	struct cpu *cpu;   // home CPU; set at creation, never changes
	uint64_t stacktop; // 0 for a CPU's boot flow, whose stack is not ours
	void (*fn)(void *arg);
	void *arg;
	int id;
	char name[24];

	// Protected by cpu->runlock:
	int state;
	bool wakeup;          // an unpark came while not parked
	struct kthread *next; // run list

	struct kthread *waitnext; // Protected by the mutex it waits for (mutex.c)
	void *rt;                 // the runtime's M running on this thread (runtime/os_hood.c)
	int nopreempt;            // Owned by the thread: > 0 pinned (kthread_pin); no runtime preemption
};

void kthread_cpuinit(const char *name);
struct kthread *kthread_create(void (*fn)(void *), void *arg, const char *name, int cpu);
struct kthread *kthread_current(void);
struct kthread *kthread_pin(void);
void kthread_unpin(struct kthread *t);
void kthread_yield(void);
void kthread_park(void);
void kthread_unpark(struct kthread *t);
void kthread_exit(void) __attribute__((noreturn));
bool kthread_poke(struct kthread *t);
extern void (*kthread_preempthook)(void);
extern bool (*kthread_preemptok)(uint64_t sp);

// Blocking on behalf of Go code. The kernel's waits (notes, mutexes, the
// console) bracket the sleep with kthread_blockbegin and kthread_blockend;
// in a thread that is an M (rt set), these call the runtime's hooks, Go's
// entersyscall and exitsyscall, so that the M's P can run other
// goroutines while this one waits. entersyscall says whether it entered
// (not when the M has no P, or runs the scheduler itself); blockend is
// given that answer. Called with no spinlock held, thread pinned.
extern bool (*kthread_entersyscall)(void);
extern void (*kthread_exitsyscall)(void);
bool kthread_blockbegin(void);
void kthread_blockend(bool entered);
void kthread_idle(void) __attribute__((noreturn));

// swtch.asm
void swtch(uint64_t *oldrsp, uint64_t newrsp);
void kthread_trampoline(void);

// The frame at a switched-out thread's rsp: what swtch pushes
// (lib/regs.inc's SWITCHSAVE) below the return address its ret takes.
// newstack builds one for a new thread, returning into kthread_trampoline.
struct swtchframe {
	struct switchframe regs;
	uint64_t pc; // where swtch's ret goes
};
_Static_assert(offsetof(struct swtchframe, pc) == 56, "swtch: ret after SWITCHRESTORE");
_Static_assert(sizeof(struct swtchframe) == 64, "swtch's ret leaves rsp just above the frame");
