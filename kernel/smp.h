// smp.h: the other CPUs. smp_init starts every CPU the MADT lists; after
// it, ncpu counts the CPUs that came up, numbered 0 (the boot CPU) to
// ncpu-1. smp_call runs a function on other CPUs through an IPI and waits
// for it; TLB shootdown and the fatal-error stop are built on IPIs too.
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum {
	SMP_ALL = -1, // smp_call: every other CPU
};

void smp_init(void);
void smp_call(int cpu, void (*fn)(void *arg), void *arg);
void smp_tlbshootdown(uint64_t va);
void smp_poll(void);
void smp_tlbshootdown_range(uint64_t va, uint64_t size);
void smp_stop(void);
