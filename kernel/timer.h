// timer.h: timer events on a CPU's local APIC timer. A struct ktimer calls
// fn(arg) from the timer interrupt of the CPU that started it, at or after
// nanotime when, never before. Each CPU keeps its pending events in a list,
// soonest first, and programs its timer for the first one or for the end
// of the running thread's time slice (kthread.h), whichever comes first.
// With neither, the timer is off: an idle CPU takes no ticks.
//
// A ktimer belongs to the CPU that started it: only code on that CPU
// starts or stops it (a kernel thread, which never migrates, or that CPU's
// interrupt handlers), so the list needs no lock, only interrupts off.
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ktimer {
	uint64_t when;
	void (*fn)(void *arg);
	void *arg;
	struct ktimer *next; // in its CPU's list
	bool pending;        // in the list
};

void timer_init(void);
void timer_rearm(void);
void ktimer_start(struct ktimer *t, uint64_t when, void (*fn)(void *arg), void *arg);
bool ktimer_stop(struct ktimer *t);
