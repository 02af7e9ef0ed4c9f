// kstack_test.c: kernel work entered from a goroutine, on the goroutine's
// own stack, at every depth of a stack that grows by page faults. The
// kernel's locked paths (the thread switch under the run list's lock, an
// unpark, a mutex) must never fault on that stack while they hold a
// spinlock: the fault would map the page taking the frame allocator's
// lock, below the held lock's rank (docs/machine.md, section 4, "Faults
// under a lock"). Found as `spin_lock: lock order: physmem (rank 30)
// taken while holding runq (rank 50)`, a stack page fault inside
// switchto, about one boot in three with deep recursion on 8 MiB stacks.
//
// Each test descends a fresh goroutine's stack a few dozen bytes at a
// time, so that its stack pointer passes every 16-byte offset of many
// page boundaries with the pages below not yet mapped, and at each step
// enters the kernel: a thread switch (a second thread waits on the same
// CPU), the preemption an interrupt injects (asyncpreempt, preempted's
// kthread_yield), an unpark and an uncontended mutex. The timer's slices
// fire meanwhile too. Run it with a large stack as well:
// test=TestKernelWorkAtEveryStackDepth HOOD_STACK=8388608.

#include "include/hood.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "kernel/lapic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "tests/testing.h"
#include "tests/wg.h"

enum {
	DescentBytes = 40 * 4096, // how far each goroutine descends
};

struct descent {
	int step;                 // bytes of stack a level takes, besides its frame
	struct kthread *rival;    // a thread that yields on the goroutine's CPU
	struct mutex mu;          // taken and released at every level
	int levels;               // levels done
	uint64_t top;             // the stack pointer at the start
	struct waitgroup *wg;
	bool stop;                // Atomic: the rival stops
};

// The rival: always runnable on the CPU, so that each kthread_yield and
// each injected preemption of the goroutine switches threads for real.
static void
rival(void *arg)
{
	struct descent *d = arg;
	// Relaxed: the flag only ends the loop; the waitgroup orders the rest.
	while (!atomic_load_relaxed(&d->stop)) {
		kthread_yield();
	}
}

// Make the preemption path run now, as the timer's end of a slice does:
// needresched set, then an interrupt (a self-IPI) with interrupts on, on
// whose way out trap() injects asyncpreempt on this stack.
static void
injectpreempt(void)
{
	pushcli();
	mycpu()->needresched = true;
	lapic_ipi(IPI_SELF, IPI_FIXED, T_IPI_WAKE);
	popcli(); // the IPI is taken here
}

static void __attribute__((noipa)) descend(struct descent *d, int left)
{
	volatile char pad[d->step];
	pad[0] = (char)left;
	kthread_yield();
	injectpreempt();
	kthread_unpark(d->rival);
	mutex_lock(&d->mu, false);
	mutex_unlock(&d->mu);
	d->levels++;
	if (left > 0 && d->top - readrsp() < DescentBytes) {
		descend(d, left - 1);
	}
	pad[0]++;
}

static void
descender(void *arg)
{
	struct descent *d = arg;
	// Stay on this thread and CPU, next to the rival: no runtime
	// preemption moves the goroutine while it descends.
	struct kthread *self = kthread_pin();
	d->rival = kthread_create(rival, d, "rival", self->cpu->id);
	d->top = readrsp();
	descend(d, 1 << 20);
	atomic_store_relaxed(&d->stop, true); // relaxed: see rival
	kthread_unpin(self);
	wg_done(d->wg);
}

TEST(TestKernelWorkAtEveryStackDepth)
{
	// Steps of 48 and 80 bytes (with the frame's own, each a multiple of
	// 16) pass every 16-byte offset of a page within 16 pages.
	static const int steps[] = {48, 80, 16};
	struct descent ds[3];
	struct waitgroup wg = {0};
	for (int i = 0; i < 3; i++) {
		ds[i] = (struct descent){.step = steps[i], .mu = MUTEX_INIT("kstacktest"), .wg = &wg};
		wg_add(&wg, 1);
		go(descender, &ds[i]);
	}
	wg_wait(&wg);
	for (int i = 0; i < 3; i++) {
		if (ds[i].levels < DescentBytes / (steps[i] + 128)) {
			t_errorf(t, "step %d: only %d levels", steps[i], ds[i].levels);
		}
	}
}
