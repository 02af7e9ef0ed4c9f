// smp.c: starting the other CPUs, and making CPUs do things for each
// other: run a function (smp_call), forget a page (TLB shootdown), stop for
// a fatal report.
//
// Start-up (SDM vol. 3A, 8.4.4): for each CPU in the MADT, one at a time,
// the boot CPU copies the trampoline (boot/apboot.asm) to APBOOT_ADDR,
// fills in its CR3, a stack and the CPU's struct cpu, and sends INIT, then
// a startup IPI (twice if the first is not enough). The AP runs through
// the trampoline and ap_start64 into ap_main, says it is alive, takes part
// in a TSC check, and enters its idle loop, which marks it online. An AP
// that does not come up within STARTWAIT_NS is reported, sent INIT again
// so it stays quiet, and skipped.
//
// Cross-CPU calls: one call at a time, under callbusy. The caller posts
// fn and arg, marks each target's callpending and sends T_IPI_CALL; each
// target runs fn in its interrupt handler and clears its flag; the caller
// waits for all flags. A CPU spinning for callbusy, or waiting for
// the flags, runs calls posted to it meanwhile (pollcall), so two CPUs
// calling each other at once cannot deadlock. A caller must hold no
// spinlock: a target spinning on that lock with interrupts off could never
// take the IPI.

#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "lapic.h"
#include "lib/atomic.h"
#include "madt.h"
#include "memlayout.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

enum {
	APBOOT_ADDR = 0x8000,                 // boot/apboot.asm; below 1 MiB, never allocated
	STARTWAIT_NS = 2000 * 1000 * 1000ULL, // TCG with 8 CPUs on 2 cores is slow
};

extern const uint8_t apboot[], apboot_end[];
extern uint64_t apboot_cr3, apboot_stack, apboot_arg;

void ap_main(struct cpu *c) __attribute__((noreturn));

static bool startap(struct cpu *c);
static void tscsync_bsp(struct cpu *c);
static void tscsync_ap(void);
static void call_intr(struct trapframe *tf, void *arg);
static void pollcall(void);

// Not a struct spinlock: a CPU waiting for it must keep running the calls
// posted to it, which spin_lock cannot.
static uint32_t callbusy; // Atomic: 1 while a call is in progress
static struct {
	void (*fn)(void *arg);
	void *arg;
} call; // Owned by the CPU that set callbusy; read by targets while flagged

static bool apalive;           // Atomic: the AP being started reached ap_main
static int tscphase;           // Atomic: the TSC check's steps, 0, 1, 2
static uint64_t bsptsc, aptsc; // written before the phase step that publishes them
static uint64_t apbehind;      // TSC cycles the AP was seen behind the boot CPU

static void
delay(uint64_t ns)
{
	uint64_t end = nanotime() + ns;
	while (nanotime() < end) {
		cpu_pause();
	}
}

// Where a trampoline parameter lives in the copy at APBOOT_ADDR.
static uint64_t *
param(uint64_t *label)
{
	return p2v(APBOOT_ADDR + ((uint8_t *)label - apboot));
}

void
smp_init(void)
{
	intr_register(T_IPI_CALL, call_intr, NULL);
	intr_register(T_NMI, fatal_nmi, NULL);
	// Store-release: the boot CPU is set up; pairs with the load-acquires
	// of online in smp_call and panic.c's report_others (an AP's own is
	// kthread_idle's).
	atomic_store_rel(&mycpu()->online, true);
	if (!madt.present || madt.ncpu <= 1) {
		kprintf("smp: 1 CPU\n");
		return;
	}
	memcpy(p2v(APBOOT_ADDR), apboot, apboot_end - apboot);
	vm_map(APBOOT_ADDR, APBOOT_ADDR, VM_EXEC); // for the switch to paging

	uint32_t self = lapic_id();
	for (int i = 0; i < madt.ncpu; i++) {
		if (madt.apicid[i] == self) {
			continue;
		}
		if (ncpu == MAXCPU) {
			kprintf("smp: more than %d CPUs; the rest stay off\n", MAXCPU);
			break;
		}
		struct cpu *c = &cpus[ncpu];
		memset(c, 0, sizeof *c);
		c->id = ncpu;
		c->apicid = madt.apicid[i];
		for (int j = 0; j < CPU_NIST; j++) {
			c->ist[j] = kstack_alloc();
		}
		uint64_t stack = kstack_alloc();
		*param(&apboot_cr3) = rcr3();
		*param(&apboot_stack) = stack;
		*param(&apboot_arg) = (uint64_t)c;
		if (startap(c)) {
			ncpu++;
			continue;
		}
		kprintf("smp: the CPU with APIC ID %u did not start; skipped\n", c->apicid);
		lapic_ipi(c->apicid, IPI_INIT, 0); // back to waiting for a startup IPI
		for (int j = 0; j < CPU_NIST; j++) {
			kstack_free(c->ist[j]);
		}
		kstack_free(stack);
	}
	vm_unmap(APBOOT_ADDR);
	kprintf("smp: %d CPUs online\n", ncpu);
}

// INIT, then up to two startup IPIs, then wait for the AP to go online.
static bool
startap(struct cpu *c)
{
	// Relaxed: no AP runs yet that could read it; the IPIs below start
	// the one that will.
	atomic_store_relaxed(&apalive, false);
	lapic_ipi(c->apicid, IPI_INIT, 0);
	// 10 ms between INIT and SIPI on real hardware; a hypervisor needs
	// none (Linux skips it likewise on modern CPUs).
	delay(hypervisor_present() ? 10 * 1000 : 10 * 1000 * 1000);
	uint64_t end = nanotime() + STARTWAIT_NS;
	// The loads of apalive are acquires; they pair with the store-release
	// in ap_main: the AP's setup is visible once it is alive.
	for (int sipi = 0; sipi < 2 && !atomic_load_acq(&apalive); sipi++) {
		lapic_ipi(c->apicid, IPI_STARTUP, APBOOT_ADDR >> 12);
		delay(200 * 1000);
	}
	while (!atomic_load_acq(&apalive)) {
		if (nanotime() > end) {
			return false;
		}
		cpu_pause();
	}
	tscsync_bsp(c);
	// Load-acquire; pairs with the store-release of online in
	// kthread_idle, the AP's last step.
	while (!atomic_load_acq(&c->online)) {
		if (nanotime() > end) {
			return false;
		}
		cpu_pause();
	}
	return true;
}

// Every CPU but the first starts here, from boot/entry.asm's ap_start64,
// on the stack smp_init gave it.
void
ap_main(struct cpu *c)
{
	char name[16];

	cpu_setgs(c);     // mycpu() works from here
	gdt_init(c->ist); // this CPU's GDT and TSS
	idt_load();       // the shared IDT
	lapic_init();     // its local APIC
	snprintf(name, sizeof name, "idle%d", c->id);
	kthread_cpuinit(name); // this flow becomes the CPU's idle thread
	// Store-release: the above is done before the boot CPU sees us
	// alive; pairs with the load-acquires in startap.
	atomic_store_rel(&apalive, true);
	tscsync_ap();
	kprintf("cpu %d: online, APIC ID %u\n", c->id, c->apicid);
	if (apbehind > 0) {
		kprintf("cpu %d: warning: TSC behind cpu 0 by %lu cycles or more; nanotime may "
			"differ across CPUs\n",
			c->id, apbehind);
	}
	kthread_idle(); // marks the CPU online
}

// The TSC check, boot CPU's side: publish a reading, wait for the AP's
// reading taken after it (which must not be smaller), then take one after
// the AP's second reading (which must not be smaller either).
static void
tscsync_bsp(struct cpu *c)
{
	bsptsc = rdtsc();
	// Store-release of bsptsc's step; pairs with the load-acquire in
	// tscsync_ap.
	atomic_store_rel(&tscphase, 1);
	// Load-acquire: aptsc is written; pairs with the store-release of
	// step 2 in tscsync_ap.
	while (atomic_load_acq(&tscphase) != 2) {
		cpu_pause();
	}
	uint64_t now = rdtsc();
	if (now < aptsc) {
		kprintf("cpu %d: warning: TSC ahead of cpu 0 by %lu cycles or more; nanotime may "
			"differ across CPUs\n",
			c->id, aptsc - now);
	}
	// Relaxed: the AP is done with the check; the next AP's is started
	// by IPIs, long after.
	atomic_store_relaxed(&tscphase, 0);
}

static void
tscsync_ap(void)
{
	// Load-acquire: bsptsc is written; pairs with the store-release of
	// step 1 in tscsync_bsp.
	while (atomic_load_acq(&tscphase) != 1) {
		cpu_pause();
	}
	uint64_t now = rdtsc();
	apbehind = bsptsc > now ? bsptsc - now : 0;
	aptsc = rdtsc();
	// Store-release of aptsc; pairs with the load-acquire in tscsync_bsp.
	atomic_store_rel(&tscphase, 2);
}

// Run fn(arg) on CPU cpu (this one included), or on every other online CPU
// (SMP_ALL), and return when it has run everywhere. The caller holds no
// spinlock.
void
smp_call(int cpu, void (*fn)(void *arg), void *arg)
{
	// Load-acquire of online; pairs with the store-release in kthread_idle.
	if (cpu != SMP_ALL && (cpu < 0 || cpu >= ncpu || !atomic_load_acq(&cpus[cpu].online))) {
		fatalf("smp_call: cpu %d is not online", cpu);
	}
	pushcli();
	struct cpu *self = mycpu();
	if (cpu == self->id) {
		fn(arg);
		popcli();
		return;
	}
	if (held_count(&self->locks) > 0) {
		fatalf("smp_call: called holding %s",
		       self->locks.n > 0 ? self->locks.held[self->locks.n - 1]->name : "hchan");
	}
	// Exchange-acquire; pairs with the store-release of callbusy at the
	// end of the previous caller's smp_call.
	while (atomic_xchg_acq(&callbusy, 1) != 0) {
		pollcall(); // whoever is busy may be calling us
		cpu_pause();
	}
	call.fn = fn;
	call.arg = arg;
	for (int i = 0; i < ncpu; i++) {
		struct cpu *c = &cpus[i];
		// Load-acquire; pairs with the store-release of online in
		// kthread_idle.
		if (c == self || (cpu != SMP_ALL && cpu != i) || !atomic_load_acq(&c->online)) {
			continue;
		}
		// Store-release: call.fn and call.arg are visible before the
		// flag; pairs with the load-acquire in pollcall.
		atomic_store_rel(&c->callpending, true);
		lapic_ipi(c->apicid, IPI_FIXED, T_IPI_CALL);
	}
	for (int i = 0; i < ncpu; i++) {
		// Load-acquire: what fn did there is visible here; pairs with
		// the store-release in pollcall.
		while (atomic_load_acq(&cpus[i].callpending)) {
			cpu_pause();
		}
	}
	// Store-release: our use of call is over before the next caller
	// writes it; pairs with the exchange-acquire above.
	atomic_store_rel(&callbusy, 0);
	popcli();
}

// Run the call posted to this CPU, if any. Interrupts off.
static void
pollcall(void)
{
	struct cpu *c = mycpu();
	// Load-acquire; pairs with the store-release in smp_call.
	if (atomic_load_acq(&c->callpending)) {
		call.fn(call.arg);
		// Store-release: what fn did is visible before the caller goes
		// on; pairs with smp_call's load-acquire wait.
		atomic_store_rel(&c->callpending, false);
	}
}

// Run a call posted to this CPU, if any: for code that spins, perhaps with
// interrupts off, on something a caller of smp_call may be holding up
// (the runtime waiting for a G's scan bit, runtime/os_hood.c).
void
smp_poll(void)
{
	pushcli();
	pollcall();
	popcli();
}

static void
call_intr(struct trapframe *tf, void *arg)
{
	(void)tf;
	(void)arg;
	pollcall();
}

static void
invlpg_call(void *va)
{
	invlpg((uint64_t)va);
}

// After this CPU unmapped va: make every other CPU forget it too, so no
// stale translation survives the return.
void
smp_tlbshootdown(uint64_t va)
{
	if (ncpu > 1) {
		smp_call(SMP_ALL, invlpg_call, (void *)va);
	}
}

struct tlbrange {
	uint64_t va, size;
};

// Forget the translations of [va, va+size) on this CPU: page by page if
// they are few, else all of them (a CR3 load keeps only global pages: the
// image and the direct map).
static void
invlrange_call(void *arg)
{
	struct tlbrange *r = arg;
	if (r->size > 32 * PGSIZE) {
		lcr3(rcr3());
		return;
	}
	for (uint64_t off = 0; off < r->size; off += PGSIZE) {
		invlpg(r->va + off);
	}
}

// After this CPU unmapped [va, va+size): make every CPU, this one too,
// forget it, in one round of IPIs.
void
smp_tlbshootdown_range(uint64_t va, uint64_t size)
{
	struct tlbrange r = {va, size};
	pushcli();
	invlrange_call(&r);
	popcli();
	if (ncpu > 1) {
		smp_call(SMP_ALL, invlrange_call, &r);
	}
}

// A fatal error on this CPU: stop the others with an NMI, which reaches
// them even with interrupts off. Each waits in fatal_nmi (panic.c) for its
// turn to print its state.
void
smp_stop(void)
{
	if (ncpu > 1) {
		lapic_ipi(IPI_ALLBUTSELF, IPI_NMI, 0);
	}
}
