// main.c: the kernel's C entry. boot/entry.asm calls kmain on the boot
// stack with paging and SSE on and the first 4 GiB mapped; kmain brings the
// machine up one step at a time, in an order where each step needs only
// the ones above it, and hands off to the application.
// docs/boot.md tells the whole story from power on.
//
// Each step is written STEP(call): the call, then a stamp of the TSC under
// its name, a few instructions. With boottime=on the program's first output
// (newlib's write) first prints how long each step took, from the stamp of
// boot/entry.asm at the loader's hand-off (boot_tsc) to that output, in
// the TSC's rate as tsc_init found it (docs/boot.md, section 11).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "cmdline.h"
#include "lib/quote.h"
#include "cpu.h"
#include "drivers/drivers.h"
#include "kernel.h"
#include "kthread.h"
#include "lib/newlib/libc.h"
#include "ioapic.h"
#include "lapic.h"
#include "madt.h"
#include "smp.h"
#include "timer.h"
#include "x86.h"
#include "lib/atomic.h"

static void kmain_onstack(void) __attribute__((noreturn));
static void cmdline_init(void);
static void boottime_stamp(const char *call);

// The call, then the TSC stamped under its text. Evaluates call once.
#define STEP(call) ((call), boottime_stamp(#call))

enum { BOOTSTEPS = 32 };
extern uint64_t boot_tsc; // boot/entry.asm: the TSC at the loader's hand-off
// Written by the boot CPU before rt0_go; read once, by boottime_output:
static struct {
	const char *call; // the step's text, "acpi_init()"
	uint64_t tsc;     // when it ended
} steps[BOOTSTEPS];
static int nsteps;
static bool boottimedone; // Atomic: boottime_output's table is printed or being printed

// One step a line, its comment beside it.
// clang-format off
void
kmain(uint32_t proto, uint64_t info)
{
	boottime_stamp("entry()");         // boot/entry.asm's part, from the hand-off
	STEP(cpu_setgs(&cpus[0]));         // the per-CPU area: spinlocks need it
	STEP(serial_init());               // COM1, so every later step can report trouble
	STEP(bootinfo_parse(proto, info)); // the loader's memory map, command line, ACPI, screen
	STEP(screen_init());               // VGA text or the framebuffer, when there is one
	STEP(kprintf("hood: booted by %s (%s)\n", bootinfo.loader, bootinfo.protoname));
	STEP(gdt_init(NULL));              // our GDT, and a TSS: IST stacks for faults and interrupts
	STEP(trap_init());                 // the IDT: from here on a fault is reported, not a reset
	STEP(cmdline_init());              // kernel options; the rest: the runtime's environment
	STEP(physmem_init());              // the physical frame allocator
	STEP(vm_init());                   // final page tables: W^X image, no null page, direct map
	stack_switch(kstack_alloc(), kmain_onstack); // leave the boot stack for one with a guard page
}

static void
kmain_onstack(void)
{
	boottime_stamp("stack_switch(kstack_alloc(), kmain_onstack)");
	STEP(acpi_init());                 // find the ACPI tables (power off needs the FADT)
	STEP(tsc_init());                  // nanotime: the TSC's rate, from CPUID or the HPET
	STEP(rtc_init());                  // walltime: the CMOS clock, then nanotime
	STEP(madt_init());                 // the CPUs and I/O APICs ACPI lists
	STEP(pic_disable());               // the 8259s: remapped out of the way, masked
	STEP(lapic_init());                // this CPU's local APIC
	STEP(timer_init());                // its timer: time slices, timer events
	STEP(kthread_cpuinit("main"));     // this flow becomes kernel thread "main"
	STEP(smp_init());                  // start the other CPUs; each idles in its own thread
	STEP(ioapic_init());               // device interrupt lines, all masked
	STEP(serial_enableinput());        // console input: COM1's interrupt
	STEP(libc_init());                 // newlib's stdio streams, shared by every goroutine
	STEP(sti());                       // interrupts on
	rt0_go();                          // the Go runtime: main runs as goroutine 1; its
	                                   // return powers off with main's status
}
// clang-format on

_Static_assert((int)CMDLINE_MAX == (int)CMDLINE_LINEMAX, "bootinfo keeps the line cmdline_parse takes whole");

// Echo the command line, refuse one too long to take whole, and split it
// (cmdline_parse) into the kernel's options and the runtime's environment.
static void
cmdline_init(void)
{
	char err[400];

	// The echo goes out in pieces (kprintf's buffer holds 512 bytes), its
	// unprintable bytes escaped so a control byte cannot garble the console.
	console_write("cmdline: ", 9);
	const char *p = bootinfo.cmdline;
	for (size_t n = strlen(p); n > 0;) {
		char piece[256];
		size_t took = quote_escape(piece, sizeof piece, p, n);
		console_write(piece, strlen(piece));
		p += took;
		n -= took;
	}
	console_write("\n", 1);
	if (bootinfo.cmdlinelen >= CMDLINE_MAX) {
		kprintf("cmdline: the command line is %zu bytes long; hood takes at most %d\n",
			bootinfo.cmdlinelen, CMDLINE_MAX - 1);
		poweroff(EXIT_USAGE);
	}
	if (!cmdline_parse(bootinfo.cmdline, &bootargs, err, sizeof err)) {
		kprintf("cmdline: %s\n", err);
		poweroff(EXIT_USAGE);
	}
	// Unknown keys are lowercase letters only (checkknown): nothing to escape.
	for (int i = 0; i < bootargs.nunknown; i++) {
		const char *w = bootargs.unknown[i];
		kprintf("cmdline: warning: unknown option \"%.*s\" passed on as environment\n",
			(int)(strchr(w, '=') - w), w);
	}
}

// A step has ended: its stamp. Boot CPU, before rt0_go.
static void
boottime_stamp(const char *call)
{
	if (nsteps < BOOTSTEPS) {
		steps[nsteps].call = call;
		steps[nsteps].tsc = rdtsc();
		nsteps++;
	}
}

// Microseconds from the loader's hand-off to TSC reading t.
static uint64_t
boottime_us(uint64_t t)
{
	return (t - boot_tsc) * 1000000 / tsc_hz();
}

// Called by newlib's write before each output of the program; with
// boottime=on the first prints the table (docs/boot.md, section 11): a
// line a step, its time in ms, then the total. A step's time is the
// difference of the rounded times it ends at, so the column adds up to
// the total exactly. The last, rt0_go, is the runtime's start and the
// program's run up to this output.
void
boottime_output(void)
{
	// A peek: once the table is done, every later write returns here.
	if (!bootargs.boottime || atomic_load_relaxed(&boottimedone)) {
		return;
	}
	// The cas picks one printer among the goroutines that write first; it
	// pairs with the other writers' cas (and the peek above) on the same
	// flag and publishes nothing else: steps was written before rt0_go.
	if (!atomic_cas(&boottimedone, false, true)) {
		return;
	}
	uint64_t now = rdtsc();
	uint64_t prev = 0, firstline = 0;
	kprintf("boottime: ms per step, from the loader's hand-off to the program's first output\n");
	for (int i = 0; i <= nsteps; i++) {
		const char *call = i < nsteps ? steps[i].call : "rt0_go()";
		uint64_t end = boottime_us(i < nsteps ? steps[i].tsc : now);
		int namelen = (int)strcspn(call, "(");
		uint64_t d = end - prev;
		kprintf("boottime: %-20.*s %4lu.%03lu\n", namelen, call, d / 1000, d % 1000);
		if (firstline == 0 && strncmp(call, "kprintf(", 8) == 0) {
			firstline = end;
		}
		prev = end;
	}
	kprintf("boottime: total %lu.%03lu ms, %lu.%03lu ms from the first line\n", prev / 1000, prev % 1000,
		(prev - firstline) / 1000, (prev - firstline) % 1000);
}
