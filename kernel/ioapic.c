// ioapic.c: see ioapic.h. Registers are reached through an index register
// (IOREGSEL) and a data window (IOWIN); the redirection table has one
// 64-bit entry per input (82093AA I/O APIC data sheet, 3.2). Every entry
// starts masked; ioapic_enable unmasks one, with the polarity and trigger
// mode the MADT's interrupt source overrides give (ISA default: edge,
// active high).

#include "cpu.h"
#include "kernel.h"
#include "madt.h"
#include "lib/lock.h"
#include "trap.h"

enum {
	IOREGSEL = 0x00,
	IOWIN = 0x10,
	IOAPICVER = 0x01,
	IOREDTBL = 0x10, // entry n at IOREDTBL + 2n (low), + 2n + 1 (high)

	RED_MASKED = 1 << 16,
	RED_LEVEL = 1 << 15,
	RED_ACTIVELOW = 1 << 13,
};

static struct {
	volatile uint32_t *regs;
	uint32_t gsibase;
	int nentries;
} ioapics[MADT_MAXIOAPIC];
static int nioapic;

static struct spinlock ioapiclock = SPINLOCK_INIT("ioapic", LOCK_VECTORS);

static uint32_t
ioapicr(int i, uint32_t reg)
{
	ioapics[i].regs[IOREGSEL / 4] = reg;
	return ioapics[i].regs[IOWIN / 4];
}

static void
ioapicw(int i, uint32_t reg, uint32_t v)
{
	ioapics[i].regs[IOREGSEL / 4] = reg;
	ioapics[i].regs[IOWIN / 4] = v;
}

void
ioapic_init(void)
{
	for (int i = 0; i < madt.nioapic; i++) {
		ioapics[i].regs = vm_mapmmio(madt.ioapic[i].addr, 0x20);
		ioapics[i].gsibase = madt.ioapic[i].gsibase;
		ioapics[i].nentries = ((ioapicr(i, IOAPICVER) >> 16) & 0xFF) + 1;
		for (int n = 0; n < ioapics[i].nentries; n++) {
			ioapicw(i, IOREDTBL + 2 * n, RED_MASKED);
			ioapicw(i, IOREDTBL + 2 * n + 1, 0);
		}
		nioapic++;
	}
}

// Deliver ISA IRQ irq to CPU cpu on vector IRQ_BASE + irq. False if no
// I/O APIC serves it (no MADT, or madt=off).
bool
ioapic_enable(int irq, int cpu)
{
	uint16_t flags;
	uint32_t gsi = madt_irq_gsi(irq, &flags);
	for (int i = 0; i < nioapic; i++) {
		int n = gsi - ioapics[i].gsibase;
		if (gsi < ioapics[i].gsibase || n >= ioapics[i].nentries) {
			continue;
		}
		uint32_t lo = IRQ_BASE + irq;
		if ((flags & INTI_POLARITY_MASK) == INTI_ACTIVE_LOW) {
			lo |= RED_ACTIVELOW;
		}
		if ((flags & INTI_TRIGGER_MASK) == INTI_LEVEL) {
			lo |= RED_LEVEL;
		}
		spin_lock(&ioapiclock);
		ioapicw(i, IOREDTBL + 2 * n + 1, cpus[cpu].apicid << 24);
		ioapicw(i, IOREDTBL + 2 * n, lo);
		spin_unlock(&ioapiclock);
		return true;
	}
	return false;
}
