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
	CALIBRATE_US = 250, // QEMU's 62.5 MHz: 15625 ticks, 64 ppm a tick
	BRACKET_TRIES = 8,
	CPUID_HYPERVISOR = 0x40000000,
	CPUID_HV_TIMING = 0x40000010, // EBX: the APIC bus in kHz (KVM, VMware)
	APIC_DIVIDE = 16,             // lapic.c's TDCR_DIV16
};

static uint64_t ticksperms; // one-shot mode: APIC timer ticks per ms

static uint64_t apichz(const char **how);
static uint32_t readcount(uint64_t *tsc);
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
		// The line says where the rate came from only when it was not
		// measured: each byte on the serial console costs about 30 us
		// under TCG, more than the measurement.
		const char *how = "";
		ticksperms = apichz(&how) / 1000;
		if (ticksperms == 0) {
			throw("timer: the local APIC timer does not count");
		}
		kprintf("timer: local APIC timer one-shot, %lu.%03lu MHz%s\n", ticksperms / 1000,
			ticksperms % 1000, how);
	}
	intr_register(T_TIMER, timer_intr, NULL);
	intr_register(T_IPI_WAKE, wake_intr, NULL);
}

// The one-shot timer's rate in Hz: the APIC bus over the divider, from
// the hypervisor's timing leaf when there is one, else measured against
// the TSC over CALIBRATE_US. Each end of the measurement reads the count
// between two TSC reads, the narrowest of BRACKET_TRIES brackets, at its
// middle; the first reads also have TCG translate the code, so no
// translation falls inside a bracket that counts.
static uint64_t
apichz(const char **how)
{
	uint32_t max, a, b, c, d;
	if (hypervisor_present()) {
		cpuid(CPUID_HYPERVISOR, 0, &max, &b, &c, &d);
		if (max >= CPUID_HV_TIMING && max < CPUID_HYPERVISOR + 0x100) {
			cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
			if (b != 0) {
				*how = ", from the hypervisor's CPUID leaf";
				return (uint64_t)b * 1000 / APIC_DIVIDE;
			}
		}
	}
	lapic_timer_oneshot(0xFFFFFFFF);
	uint64_t t0, t1;
	uint32_t c0 = readcount(&t0);
	uint64_t end = t0 + tsc_hz() / 1000000 * CALIBRATE_US;
	while (rdtsc() < end) {
		cpu_pause();
	}
	uint32_t c1 = readcount(&t1);
	lapic_timer_stop();
	if (t1 <= t0) {
		return 0;
	}
	return (uint64_t)(c0 - c1) * tsc_hz() / (t1 - t0);
}

// The timer's current count, and in *tsc the TSC when it was read: the
// middle of the narrowest of BRACKET_TRIES brackets, within half that
// bracket (tens of ns under TCG; against 250 us, well under the 64 ppm
// of one tick).
static uint32_t
readcount(uint64_t *tsc)
{
	uint64_t best = ~0ULL;
	uint32_t count = 0;
	for (int i = 0; i < BRACKET_TRIES; i++) {
		uint64_t a = rdtsc();
		uint32_t n = lapic_timer_ticks();
		uint64_t b = rdtsc();
		if (b - a < best) {
			best = b - a;
			count = n;
			*tsc = a + (b - a) / 2;
		}
	}
	return count;
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
