// gdt.c: segments and the task state segment. Long mode ignores segment
// bases and limits, but still needs a code segment for CS, and a TSS whose
// interrupt stack table (IST) gives some exceptions a stack of their own:
// a double fault taken because the kernel stack overflowed into its guard
// page cannot push its frame on that stack (SDM vol. 3A, 6.14.5).
//
// The selectors match the boot GDT in boot/entry.asm.

#include <stdint.h>

#include "kernel.h"
#include "trap.h"
#include "x86.h"

enum {
	GDT_KCODE = 0x08,
	GDT_KDATA = 0x10,
	GDT_KCODE32 = 0x18,
	GDT_TSS = 0x20, // a 16-byte descriptor: two slots
	NGDT = 6,

	ISTSTACKSIZE = 16384,
};

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

static uint64_t gdt[NGDT];
static struct tss tss;
static uint8_t iststacks[IST_COUNT][ISTSTACKSIZE] __attribute__((aligned(16)));

void
gdt_init(void)
{
	gdt[GDT_KCODE / 8] = 0x00AF9A000000FFFF; // 64-bit, present, ring 0, code
	gdt[GDT_KDATA / 8] = 0x00CF92000000FFFF; // present, writable data
	gdt[GDT_KCODE32 / 8] = 0x00CF9A000000FFFF;

	for (int i = 0; i < IST_COUNT; i++) {
		tss.ist[i] = (uint64_t)&iststacks[i][ISTSTACKSIZE];
	}
	tss.iomapbase = sizeof tss; // no I/O permission bitmap

	// The TSS descriptor: type 9 (available 64-bit TSS), present.
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof tss - 1;
	gdt[GDT_TSS / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ULL << 40 |
			   ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[GDT_TSS / 8 + 1] = base >> 32;

	lgdt(gdt, sizeof gdt - 1);
	ltr(GDT_TSS);
}
