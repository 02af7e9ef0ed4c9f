// madt.h: the machine's interrupt topology, from ACPI's MADT ("APIC"
// table; ACPI 6.4, 5.2.12): which CPUs exist (their local APIC IDs), the
// I/O APICs, how legacy IRQs map onto global system interrupts (GSIs), and
// where NMIs come in. With no MADT, or madt=off on the command line, hood
// assumes one CPU and the PC's standard I/O APIC wiring is unknown.
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum {
	MADT_MAXCPU = 256,
	MADT_MAXIOAPIC = 8,
	MADT_MAXOVERRIDE = 16,
	MADT_ALLCPUS = 0xFF, // an 8-bit processor UID meaning every CPU
	MADT_ALLCPUS_X2 = 0xFFFFFFFF,
	// Interrupt source override flags (MPS INTI flags).
	INTI_POLARITY_MASK = 3,
	INTI_ACTIVE_LOW = 3,
	INTI_TRIGGER_MASK = 3 << 2,
	INTI_LEVEL = 3 << 2,
};

struct madt {
	bool present;
	uint64_t lapicaddr;
	int ncpu;
	uint32_t apicid[MADT_MAXCPU]; // enabled or online-capable CPUs, MADT order
	int nioapic;
	struct {
		uint32_t id;
		uint64_t addr;
		uint32_t gsibase;
	} ioapic[MADT_MAXIOAPIC];
	uint32_t uid[MADT_MAXCPU]; // each CPU's ACPI processor UID
	int nnmi;
	struct {
		uint32_t uid; // the CPU it concerns, or MADT_ALLCPUS
		uint8_t lint; // LINT0 or LINT1
		uint16_t flags;
	} nmi[MADT_MAXOVERRIDE];
	int noverride;
	struct {
		uint8_t irq; // ISA IRQ
		uint32_t gsi;
		uint16_t flags;
	} override[MADT_MAXOVERRIDE];
};

extern struct madt madt;

void madt_init(void);
uint32_t madt_irq_gsi(int irq, uint16_t *flags);
int madt_nmi_lint(uint32_t apicid, uint16_t *flags);
