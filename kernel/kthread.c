// kthread.c: kernel threads and each CPU's scheduler. See kthread.h for
// the model and the state diagram.
//
// A switch happens with the home CPU's runlock held, and the lock is
// released by whichever thread runs next: after its own swtch returns, or
// in kthread_start for a thread's first run. That keeps the run list, the
// states and c->current consistent across the stack change. The interrupt
// nesting (ncli, intena) belongs to the CPU but intena describes the
// thread, so switchto saves and restores it around swtch, as xv6's sched.

#include <string.h>

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "lapic.h"
#include "lib/atomic.h"
#include "memlayout.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

static struct cpu *lockrunlist(void);
static void switchto(struct cpu *c);
static void finishswitch(void);
static void wakecpu(struct cpu *c);
static void runlistput(struct cpu *c, struct kthread *t);
static struct kthread *runlistget(struct cpu *c);
static struct kthread *threadalloc(void);
static void threadfree(struct kthread *t);
static struct kthread *newthread(const char *name, int cpu);
static struct kthread *newstack(struct kthread *t, void (*fn)(void *), void *arg);

static int nextid;  // Atomic: thread ids
static int nextcpu; // Atomic: round-robin home CPU for kthread_create

// Thread structures come from frames of the direct map, never from
// newlib's malloc: its lock sleeps, and neither sysmon starting an M nor
// a CPU finishing a switch may sleep. Dead threads' structures are kept
// for the next threads.
static struct spinlock threadslock = SPINLOCK_INIT("threads", LOCK_THREADS);
static struct kthread *freethreads; // Protected by threadslock, linked by next

// Make the code running on this CPU a kernel thread (the boot flow), and
// give the CPU an idle thread. On the boot CPU, before interrupts are on;
// on the others, smp.c's ap_main calls it and then kthread_idle.
void
kthread_cpuinit(const char *name)
{
	struct cpu *c = mycpu();
	struct kthread *t = newthread(name, c->id);
	t->state = KT_RUNNING;
	spin_init(&c->runlock, "runq", LOCK_RUNQ);
	c->current = t;
	c->idle = t;
	c->slicestart = nanotime();
	if (c->id == 0) {
		// The boot CPU's boot flow goes on to run main; it needs an
		// idle thread of its own, which runs only when nothing else can.
		c->idle = newstack(newthread("idle0", 0), (void (*)(void *))kthread_idle, NULL);
	}
}

// A zeroed thread structure: a free one, or one of a new frame's worth.
static struct kthread *
threadalloc(void)
{
	spin_lock(&threadslock);
	if (freethreads == NULL) {
		struct kthread *page = p2v(physmem_alloc());
		for (size_t i = 0; i < PGSIZE / sizeof *page; i++) {
			page[i].next = freethreads;
			freethreads = &page[i];
		}
	}
	struct kthread *t = freethreads;
	freethreads = t->next;
	spin_unlock(&threadslock);
	memset(t, 0, sizeof *t);
	return t;
}

static void
threadfree(struct kthread *t)
{
	spin_lock(&threadslock);
	t->next = freethreads;
	freethreads = t;
	spin_unlock(&threadslock);
}

static struct kthread *
newthread(const char *name, int cpu)
{
	struct kthread *t = threadalloc();
	t->id = atomic_xadd_relaxed(&nextid, 1) - 1; // relaxed: a counter; only uniqueness matters
	t->cpu = &cpus[cpu];
	strlcpy(t->name, name, sizeof t->name);
	return t;
}

// Give t a stack whose first switch starts fn(arg): the frame swtch pops
// (struct swtchframe), the control words at their defaults, the six
// callee-saved registers zero, then the return into the trampoline
// (kthread_start finds fn and arg in t). After swtch's ret, rsp is the
// stack's top, 16-byte aligned.
static struct kthread *
newstack(struct kthread *t, void (*fn)(void *), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->stacktop = kstack_alloc();
	struct swtchframe *f = (struct swtchframe *)t->stacktop - 1;
	*f = (struct swtchframe){.regs = switchframe_new(), .pc = (uint64_t)kthread_trampoline};
	t->rsp = (uint64_t)f;
	return t;
}

// A new thread running fn(arg) on CPU cpu, or on the next CPU in turn if
// cpu < 0. It is runnable at once. When fn returns the thread exits.
struct kthread *
kthread_create(void (*fn)(void *), void *arg, const char *name, int cpu)
{
	if (cpu < 0) {
		// Relaxed: a round-robin counter; any order of takers is fair.
		cpu = (atomic_xadd_relaxed(&nextcpu, 1) - 1) % ncpu;
	}
	struct kthread *t = newstack(newthread(name, cpu), fn, arg);
	struct cpu *c = t->cpu;
	pushcli(); // as in kthread_unpark: no preemption between enqueue and wake
	spin_lock(&c->runlock);
	runlistput(c, t);
	spin_unlock(&c->runlock);
	wakecpu(c);
	popcli();
	return t;
}

// A new thread's first code: its CPU's runlock is still held from the
// switch that started it.
void
kthread_start(void)
{
	struct cpu *c = mycpu();
	struct kthread *t = c->current;
	c->intena = true; // every thread begins with interrupts on
	finishswitch();
	t->fn(t->arg);
	kthread_exit();
}

// This CPU, with its run list locked. Read with interrupts off: the
// caller may be a goroutine, which a preemption could move to another
// kernel thread on another CPU between reading mycpu() and locking.
static struct cpu *
lockrunlist(void)
{
	pushcli();
	struct cpu *c = mycpu();
	spin_lock(&c->runlock);
	popcli();
	return c;
}

// Pin the running code to this kernel thread: while pinned, the runtime
// does not switch the goroutine on it away (trap.c, preempted), so a
// goroutine that blocks the thread (a note, a mutex) is the one that
// wakes. Returns the thread, for kthread_unpin.
struct kthread *
kthread_pin(void)
{
	pushcli();
	struct kthread *t = mycpu()->current;
	if (t != NULL) {
		t->nopreempt++;
	}
	popcli();
	return t;
}

void
kthread_unpin(struct kthread *t)
{
	if (t != NULL) {
		t->nopreempt--;
	}
}

struct kthread *
kthread_current(void)
{
	pushcli();
	struct kthread *t = mycpu()->current;
	popcli();
	return t;
}

// Give the CPU to the next runnable thread, if any; this one stays runnable.
void
kthread_yield(void)
{
	struct cpu *c = lockrunlist();
	if (c->current != c->idle) {
		c->current->state = KT_RUNNABLE;
		runlistput(c, c->current);
	}
	switchto(c);
	finishswitch();
}

// Set by the runtime: called in a preempted thread (trap.c's preempted).
void (*kthread_preempthook)(void);

// Set by the runtime: asked by trap() before it makes the interrupted
// thread call asyncpreempt on the stack at sp (the interrupted one), on
// the interrupt stack, interrupts off; false leaves the thread alone until
// a later interrupt. The runtime says no while an earlier call is still on
// that stack (runtime/os_hood.c), so that pokes never nest. Must not block
// or take a lock.
bool (*kthread_preemptok)(uint64_t sp);

// Make t, if it is running now, go through the preemption path (trap.c's
// preempted: the time slice, then kthread_preempthook) at once: an IPI to its CPU,
// whose handler finds the poke and makes the running thread call
// asyncpreempt. If t is not running it is not poked: false.
bool
kthread_poke(struct kthread *t)
{
	struct cpu *c = t->cpu;
	// Load-acquire of a peek: switchto stores c->current plainly, under
	// c->runlock, so no release pairs with it and nothing is published
	// by it. A stale answer is harmless: a poke that lands after t left
	// the CPU preempts whatever runs there, and the runtime asks again
	// for a G that was missed.
	if (atomic_load_acq(&c->current) != t) {
		return false;
	}
	// Store-release, though nothing pairs with it: trap() on c's CPU
	// reads it plainly in the handler of the wake IPI sent below (the
	// IPI orders it), and preempted() clears it there.
	atomic_store_rel(&c->poked, true);
	pushcli();
	if (c == mycpu()) {
		lapic_ipi(IPI_SELF, IPI_FIXED, T_IPI_WAKE);
	} else {
		lapic_ipi(c->apicid, IPI_FIXED, T_IPI_WAKE);
	}
	popcli();
	return true;
}

bool (*kthread_entersyscall)(void);
void (*kthread_exitsyscall)(void);

bool
kthread_blockbegin(void)
{
	struct kthread *t = kthread_current();
	return t != NULL && t->rt != NULL && kthread_entersyscall != NULL && kthread_entersyscall();
}

void
kthread_blockend(bool entered)
{
	if (entered) {
		kthread_exitsyscall();
	}
}

// Sleep until kthread_unpark, unless an unpark came since the last park.
void
kthread_park(void)
{
	struct cpu *c = lockrunlist();
	struct kthread *t = c->current;
	if (t->wakeup) {
		t->wakeup = false;
		spin_unlock(&c->runlock);
		return;
	}
	t->state = KT_PARKED;
	switchto(c);
	finishswitch();
}

// Make t runnable if it is parked; otherwise let its next park return at
// once. Any CPU may unpark any thread.
void
kthread_unpark(struct kthread *t)
{
	// Interrupts off from the enqueue to the wake: a goroutine calling
	// this must not be preempted in between, or the wake IPI would wait
	// for it to run again, perhaps forever.
	pushcli();
	struct cpu *c = t->cpu;
	bool queued = false;
	spin_lock(&c->runlock);
	if (t->state == KT_PARKED) {
		t->state = KT_RUNNABLE;
		runlistput(c, t);
		queued = true;
	} else {
		t->wakeup = true;
	}
	spin_unlock(&c->runlock);
	if (queued) {
		wakecpu(c);
	}
	popcli();
}

// c has a new runnable thread. It may be halted in its idle loop, or
// running a thread with no time-slice timer armed: the wake IPI's handler
// (timer.c) sees to both; on this CPU, rearming the timer is enough.
// Interrupts off.
static void
wakecpu(struct cpu *c)
{
	if (c == mycpu()) {
		timer_rearm();
	} else {
		lapic_ipi(c->apicid, IPI_FIXED, T_IPI_WAKE);
	}
}

void
kthread_exit(void)
{
	struct cpu *c = lockrunlist();
	c->current->state = KT_DEAD;
	c->zombie = c->current;
	switchto(c);
	throw("kthread_exit: a dead thread ran again");
}

// Each CPU's idle thread: run whatever is runnable, else halt until an
// interrupt. The check and the halt happen with interrupts off, and "sti;
// hlt" turns them on only as the CPU halts: an IPI that arrives between
// the check and the halt is taken at once and ends the halt.
void
kthread_idle(void)
{
	struct cpu *c = mycpu();
	// Store-release: the CPU's setup (kthread_cpuinit, its GDT, APIC and
	// handlers) is done before others see it online; pairs with the
	// load-acquires of online in smp.c's startap and smp_call and in
	// panic.c's report_others.
	atomic_store_rel(&c->online, true);
	sti(); // the idle thread runs with interrupts on, as all threads
	for (;;) {
		pushcli();
		// Relaxed: a thread put on the list after this load comes with a
		// wake IPI, which ends the halt below.
		if (atomic_load_relaxed(&c->nrunnable) > 0) {
			popcli();
			kthread_yield();
			continue;
		}
		sti_hlt();
		cli();
		popcli();
	}
}

// Switch to the next runnable thread, or the idle one. The caller holds
// c->runlock and has already put the current thread where it belongs (run
// list, parked, dead); whoever runs next releases the lock.
static void
switchto(struct cpu *c)
{
	// As xv6's sched: no other spinlock may cross the switch, or the
	// next thread would run holding it, with interrupts off.
	if (held_count(&c->locks) != 1) {
		fatalf("switchto: %s holding %d spinlocks (%s)", c->current->name, held_count(&c->locks),
		       c->locks.n > 0 ? c->locks.held[0]->name : "hchan");
	}
	struct kthread *old = c->current;
	struct kthread *next = runlistget(c);
	if (next == NULL) {
		next = old->state == KT_RUNNING ? old : c->idle;
	}
	if (next == old) {
		old->state = KT_RUNNING;
		return;
	}
	next->state = KT_RUNNING;
	c->current = next;
	c->slicestart = nanotime();
	timer_rearm(); // a new slice, if others wait
	bool intena = c->intena;
	swtch(&old->rsp, next->rsp);
	mycpu()->intena = intena;
}

// The end of every switch, in the thread that now runs: release the run
// list's lock, then free a thread that exited, now that nobody runs on its
// stack (outside the lock: freeing takes the VM and thread locks, which
// rank below it).
static void
finishswitch(void)
{
	struct cpu *c = mycpu();
	struct kthread *z = c->zombie;
	c->zombie = NULL;
	spin_unlock(&c->runlock);
	if (z != NULL) {
		kstack_free(z->stacktop);
		threadfree(z);
	}
}

// Caller holds c->runlock.
static void
runlistput(struct cpu *c, struct kthread *t)
{
	t->next = NULL;
	if (c->runtail != NULL) {
		c->runtail->next = t;
	} else {
		c->runhead = t;
	}
	c->runtail = t;
	// Relaxed, under the lock: kthread_idle's peek is a hint (a wake IPI
	// follows every put).
	atomic_store_relaxed(&c->nrunnable, c->nrunnable + 1);
}

// Caller holds c->runlock.
static struct kthread *
runlistget(struct cpu *c)
{
	struct kthread *t = c->runhead;
	if (t != NULL) {
		c->runhead = t->next;
		if (c->runhead == NULL) {
			c->runtail = NULL;
		}
		atomic_store_relaxed(&c->nrunnable, c->nrunnable - 1); // relaxed, as in runlistput
	}
	return t;
}
