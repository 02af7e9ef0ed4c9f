// timer.c: timer events and time slices on each CPU's local APIC timer;
// see timer.h for the model.
//
// In TSC-deadline mode the interrupt comes when the TSC passes the
// deadline, so it is never early. In one-shot mode the count is rounded,
// and an interrupt that comes a little early just rearms for the rest: an
// event's function never runs before its time.

#include "cpu.h"
#include "kernel.h"
#include "kthread.h"
#include "lapic.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

enum {
	CALIBRATE_NS = 2 * 1000 * 1000,
};

static uint64_t ticksperms; // one-shot mode: APIC timer ticks per ms

static void timer_intr(struct trapframe *tf, void *arg);
static void wake_intr(struct trapframe *tf, void *arg);

// On the boot CPU, after lapic_init and tsc_init: measure the APIC timer
// if it has to count (no TSC-deadline mode) and take the vectors.
void
timer_init(void)
{
	if (lapic_has_tscdeadline()) {
		kprintf("timer: local APIC timer in TSC-deadline mode\n");
	} else {
		lapic_timer_oneshot(0xFFFFFFFF);
		uint64_t end = nanotime() + CALIBRATE_NS;
		while (nanotime() < end) {
			cpu_pause();
		}
		uint32_t left = lapic_timer_ticks();
		lapic_timer_stop();
		ticksperms = (uint64_t)(0xFFFFFFFF - left) * 1000000 / CALIBRATE_NS;
		if (ticksperms == 0) {
			throw("timer: the local APIC timer does not count");
		}
		kprintf("timer: local APIC timer one-shot, %lu.%03lu MHz\n", ticksperms / 1000,
			ticksperms % 1000);
	}
	intr_register(T_TIMER, timer_intr, NULL);
	intr_register(T_IPI_WAKE, wake_intr, NULL);
}

// Start t: call fn(arg) from this CPU's timer interrupt at nanotime when,
// or at once if when has passed. t must not be pending.
void
ktimer_start(struct ktimer *t, uint64_t when, void (*fn)(void *arg), void *arg)
{
	pushcli();
	if (t->pending) {
		throw("ktimer_start: timer already pending");
	}
	t->when = when;
	t->fn = fn;
	t->arg = arg;
	t->pending = true;
	struct ktimer **pp = &mycpu()->timers;
	while (*pp != NULL && (*pp)->when <= when) {
		pp = &(*pp)->next;
	}
	t->next = *pp;
	*pp = t;
	timer_rearm();
	popcli();
}

// Stop t if it is pending; true if it was (so fn will not run). On the CPU
// that started t.
bool
ktimer_stop(struct ktimer *t)
{
	pushcli();
	bool was = t->pending;
	if (was) {
		struct ktimer **pp = &mycpu()->timers;
		while (*pp != t) {
			if (*pp == NULL) {
				throw("ktimer_stop: pending timer not on this CPU");
			}
			pp = &(*pp)->next;
		}
		*pp = t->next;
		t->pending = false;
		timer_rearm();
	}
	popcli();
	return was;
}

// Program this CPU's timer for its next event: the first timer, or the
// end of the current slice if other threads wait for the CPU. Interrupts
// off.
void
timer_rearm(void)
{
	struct cpu *c = mycpu();
	uint64_t next = c->timers != NULL ? c->timers->when : 0;
	if (c->nrunnable > 0 && c->current != c->idle) {
		uint64_t sliceend = c->slicestart + KTHREAD_SLICE;
		if (next == 0 || sliceend < next) {
			next = sliceend;
		}
	}
	if (next == 0) {
		lapic_timer_stop();
	} else if (lapic_has_tscdeadline()) {
		lapic_timer_deadline(tsc_at(next));
	} else {
		uint64_t now = nanotime();
		uint64_t ticks = next > now ? (next - now) * ticksperms / 1000000 : 1;
		lapic_timer_oneshot(ticks > 0xFFFFFFFF ? 0xFFFFFFFF : ticks);
	}
}

static void
timer_intr(struct trapframe *tf, void *arg)
{
	(void)tf;
	(void)arg;
	struct cpu *c = mycpu();
	uint64_t now = nanotime();
	while (c->timers != NULL && c->timers->when <= now) {
		struct ktimer *t = c->timers;
		c->timers = t->next;
		t->pending = false;
		t->fn(t->arg);
	}
	if (c->nrunnable > 0 && c->current != c->idle && now - c->slicestart >= KTHREAD_SLICE) {
		c->needresched = true;
	}
	timer_rearm();
}

static void
wake_intr(struct trapframe *tf, void *arg)
{
	(void)tf;
	(void)arg;
	timer_rearm();
}
