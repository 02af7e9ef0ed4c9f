// gdt.c: segments and the task state segment. Long mode ignores segment
// bases and limits, but still needs a code segment for CS, and a TSS whose
// interrupt stack table (IST) gives some exceptions a stack of their own:
// a double fault taken because the kernel stack overflowed into its guard
// page cannot push its frame on that stack (SDM vol. 3A, 6.14.5).
//
// The selectors match the boot GDT in boot/entry.asm.

#include <stdint.h>

#include "cpu.h"
#include "kernel.h"
#include "trap.h"
#include "x86.h"

enum {
	GDT_KCODE = 0x08,
	GDT_KDATA = 0x10,
	GDT_KCODE32 = 0x18,
	GDT_TSS = 0x20, // a 16-byte descriptor: two slots

	BOOTISTSIZE = 16384,
};

// The boot CPU's IST stacks: it sets up its TSS before there are page
// tables to allocate guarded stacks from. The other CPUs' come from
// kstack_alloc.
static uint8_t bootist[IST_COUNT][BOOTISTSIZE] __attribute__((aligned(16)));

// Load this CPU's GDT and TSS, with ist[i] the tops of its IST stacks, or
// the boot CPU's static ones if ist is NULL.
void
gdt_init(uint64_t *ist)
{
	struct cpu *c = mycpu();
	uint64_t *gdt = c->gdt;
	struct tss *tss = &c->tss;

	gdt[GDT_KCODE / 8] = 0x00AF9A000000FFFF; // 64-bit, present, ring 0, code
	gdt[GDT_KDATA / 8] = 0x00CF92000000FFFF; // present, writable data
	gdt[GDT_KCODE32 / 8] = 0x00CF9A000000FFFF;

	for (int i = 0; i < IST_COUNT; i++) {
		tss->ist[i] = ist != NULL ? ist[i] : (uint64_t)&bootist[i][BOOTISTSIZE];
	}
	tss->iomapbase = sizeof *tss; // no I/O permission bitmap

	// The TSS descriptor: type 9 (available 64-bit TSS), present.
	uint64_t base = (uint64_t)tss;
	uint64_t limit = sizeof *tss - 1;
	gdt[GDT_TSS / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ULL << 40 |
			   ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[GDT_TSS / 8 + 1] = base >> 32;

	lgdt(gdt, NGDT * 8 - 1);
	ltr(GDT_TSS);
}
