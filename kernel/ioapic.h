// ioapic.h: the I/O APICs, which turn device interrupt lines (GSIs) into
// messages to a CPU's local APIC. Legacy ISA IRQ n arrives on vector
// IRQ_BASE + n, at the CPU ioapic_enable names.
#pragma once

#include <stdbool.h>

void ioapic_init(void);
bool ioapic_enable(int irq, int cpu);
