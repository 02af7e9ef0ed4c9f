// main.c: the kernel's C entry. boot/entry.asm calls kmain on the boot
// stack with paging and SSE on and the first 4 GiB mapped; kmain brings the
// machine up one step at a time, in an order where each step needs only
// the ones above it, and hands off to the application.
// docs/boot.md tells the whole story from power on.

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

static void kmain_onstack(void) __attribute__((noreturn));
static void cmdline_init(void);

// One step a line, its comment beside it.
// clang-format off
void
kmain(uint32_t proto, uint64_t info)
{
	cpu_setgs(&cpus[0]);         // the per-CPU area: spinlocks need it
	serial_init();               // COM1, so every later step can report trouble
	bootinfo_parse(proto, info); // the loader's memory map, command line, ACPI, screen
	screen_init();               // VGA text or the framebuffer, when there is one
	kprintf("hood: booted by %s (%s)\n", bootinfo.loader, bootinfo.protoname);
	gdt_init(NULL);              // our GDT, and a TSS: IST stacks for faults and interrupts
	trap_init();                 // the IDT: from here on a fault is reported, not a reset
	cmdline_init();              // kernel options; the rest: the runtime's environment
	physmem_init();              // the physical frame allocator
	vm_init();                   // final page tables: W^X image, no null page, direct map
	stack_switch(kstack_alloc(), kmain_onstack); // leave the boot stack for one with a guard page
}

static void
kmain_onstack(void)
{
	acpi_init();                 // find the ACPI tables (power off needs the FADT)
	tsc_init();                  // nanotime: the TSC's rate, from CPUID or the HPET
	rtc_init();                  // walltime: the CMOS clock, then nanotime
	madt_init();                 // the CPUs and I/O APICs ACPI lists
	pic_disable();               // the 8259s: remapped out of the way, masked
	lapic_init();                // this CPU's local APIC
	timer_init();                // its timer: time slices, timer events
	kthread_cpuinit("main");     // this flow becomes kernel thread "main"
	smp_init();                  // start the other CPUs; each idles in its own thread
	ioapic_init();               // device interrupt lines, all masked
	serial_enableinput();        // console input: COM1's interrupt
	libc_init();                 // newlib's stdio streams, shared by every goroutine
	sti();                       // interrupts on
	rt0_go();                    // the Go runtime: main runs as goroutine 1; its
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
