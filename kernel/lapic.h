// lapic.h: the local APIC of each CPU (SDM vol. 3A, chapter 11): its ID,
// end of interrupt, inter-processor interrupts and its timer. lapic.c uses
// x2APIC mode (registers as MSRs) when the CPU has it, xAPIC (registers in
// a 4 KiB MMIO page) otherwise; callers do not see the difference.
#pragma once

#include <stdbool.h>
#include <stdint.h>

// Delivery modes for lapic_ipi (ICR bits 10-8).
enum {
	IPI_FIXED = 0 << 8,
	IPI_NMI = 4 << 8,
	IPI_INIT = 5 << 8,
	IPI_STARTUP = 6 << 8,
};

// Destinations: an APIC ID, or a shorthand.
enum {
	IPI_SELF = -1,
	IPI_ALLBUTSELF = -2,
};

struct cpu;

void lapic_init(void);
void lapic_msi(struct cpu *c, int vector, uint64_t *addr, uint32_t *data);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_ipi(int dest, uint32_t mode, int vector);
uint32_t lapic_timer_ticks(void);
void lapic_timer_oneshot(uint32_t ticks);
void lapic_timer_deadline(uint64_t tsc);
bool lapic_has_tscdeadline(void);
void lapic_timer_stop(void);
