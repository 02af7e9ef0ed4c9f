// lapic.c: see lapic.h. Register offsets are the xAPIC MMIO ones; in x2APIC
// mode register r is MSR 0x800 + r/16 (SDM vol. 3A, 11.12.1.2), and the
// ICR is one 64-bit MSR instead of two 32-bit registers.
//
// The timer runs in TSC-deadline mode when the CPU has it (CPUID 1 ECX bit
// 24): the interrupt comes when the TSC reaches the value written to
// IA32_TSC_DEADLINE. Otherwise it is one-shot: it counts down from an
// initial count at the bus clock divided by 16, a rate timer.c measures.

#include "cpu.h"
#include "kernel.h"
#include "lapic.h"
#include "lib/atomic.h"
#include "madt.h"
#include "memlayout.h"
#include "trap.h"
#include "x86.h"

enum {
	MSR_APIC_BASE = 0x1B,
	APIC_BASE_EN = 1 << 11,     // the APIC is on
	APIC_BASE_X2APIC = 1 << 10, // x2APIC mode
	MSR_X2APIC = 0x800,
	MSR_TSC_DEADLINE = 0x6E0,
	CPUID1_ECX_X2APIC = 1 << 21,
	CPUID1_ECX_TSCDEADLINE = 1 << 24,

	LAPIC_ID = 0x020,
	LAPIC_EOI = 0x0B0,
	LAPIC_SVR = 0x0F0,
	LAPIC_ESR = 0x280,
	LAPIC_ICRLO = 0x300,
	LAPIC_ICRHI = 0x310, // xAPIC only
	LAPIC_TIMER = 0x320,
	LAPIC_LINT0 = 0x350,
	LAPIC_LINT1 = 0x360,
	LAPIC_ERROR = 0x370,
	LAPIC_TICR = 0x380, // timer initial count
	LAPIC_TCCR = 0x390, // timer current count
	LAPIC_TDCR = 0x3E0, // timer divide configuration

	SVR_ENABLE = 1 << 8,
	LVT_MASKED = 1 << 16,
	LVT_NMI = 4 << 8,
	LVT_ACTIVELOW = 1 << 13,
	TIMER_ONESHOT = 0 << 17,
	TIMER_TSCDEADLINE = 2 << 17,
	TDCR_DIV16 = 0x3,
	ICR_PENDING = 1 << 12, // xAPIC: delivery status, send pending
	ICR_ASSERT = 1 << 14,
	ICR_SELF = 1 << 18, // destination shorthands, bits 19-18
	ICR_ALLBUTSELF = 3 << 18,
};

static void error_intr(struct trapframe *tf, void *arg);

static bool x2apic;              // set once by the boot CPU
static volatile uint32_t *xapic; // the xAPIC register page, mapped uncached
static bool tscdeadline;

static uint32_t
lapicr(uint32_t reg)
{
	if (x2apic) {
		return rdmsr(MSR_X2APIC + reg / 16);
	}
	return xapic[reg / 4];
}

static void
lapicw(uint32_t reg, uint32_t v)
{
	if (x2apic) {
		wrmsr(MSR_X2APIC + reg / 16, v);
	} else {
		xapic[reg / 4] = v;
		(void)xapic[LAPIC_ID / 4]; // wait for the write to finish
	}
}

// Turn on this CPU's local APIC. The boot CPU's call picks the mode for
// every CPU. Interrupts disabled.
void
lapic_init(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (mycpu()->id == 0) {
		x2apic = c & CPUID1_ECX_X2APIC;
		tscdeadline = c & CPUID1_ECX_TSCDEADLINE;
		if (!x2apic) {
			xapic = vm_mapmmio(base & ~0xFFFULL, PGSIZE);
		}
		kprintf("lapic: %s mode\n", x2apic ? "x2APIC" : "xAPIC (MMIO)");
		intr_register(T_APICERROR, error_intr, NULL);
	}
	base |= APIC_BASE_EN;
	if (x2apic) {
		base |= APIC_BASE_X2APIC;
	}
	wrmsr(MSR_APIC_BASE, base);

	lapicw(LAPIC_SVR, SVR_ENABLE | T_SPURIOUS);
	lapicw(LAPIC_TIMER, LVT_MASKED | T_TIMER);
	// NMIs come in on the pin the MADT names (PCs wire LINT1, the
	// default); the other pin stays masked: the 8259s are not used.
	uint16_t flags = 0;
	int lint = madt_nmi_lint(lapic_id(), &flags);
	uint32_t nmi = LVT_NMI;
	if ((flags & INTI_POLARITY_MASK) == INTI_ACTIVE_LOW) {
		nmi |= LVT_ACTIVELOW;
	}
	lapicw(LAPIC_LINT0, lint == 0 ? nmi : LVT_MASKED);
	lapicw(LAPIC_LINT1, lint == 0 ? LVT_MASKED : nmi);
	lapicw(LAPIC_ERROR, T_APICERROR);
	lapicw(LAPIC_ESR, 0); // clear errors: the register is written before read
	lapicw(LAPIC_ESR, 0);
	lapicw(LAPIC_EOI, 0);
	lapicw(LAPIC_TDCR, TDCR_DIV16);
	mycpu()->apicid = lapic_id();
}

// The APIC found an error in an interrupt it sent or received (SDM vol.
// 3A, 11.5.3): say which and go on.
static void
error_intr(struct trapframe *tf, void *arg)
{
	(void)tf;
	(void)arg;
	lapicw(LAPIC_ESR, 0); // latch the errors into the register
	kprintf("lapic: cpu %d: APIC error 0x%x\n", mycpu()->id, lapicr(LAPIC_ESR));
}

bool
lapic_x2apic(void)
{
	return x2apic;
}

uint32_t
lapic_id(void)
{
	uint32_t id = lapicr(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

void
lapic_eoi(void)
{
	lapicw(LAPIC_EOI, 0);
}

// Send an interrupt: vector in mode to the CPU with APIC ID dest, or to a
// shorthand (IPI_SELF, IPI_ALLBUTSELF). Returns once the APIC accepted it.
void
lapic_ipi(int dest, uint32_t mode, int vector)
{
	uint32_t lo = mode | ICR_ASSERT | (vector & 0xFF);
	uint32_t hi = 0;
	if (dest == IPI_SELF) {
		lo |= ICR_SELF;
	} else if (dest == IPI_ALLBUTSELF) {
		lo |= ICR_ALLBUTSELF;
	} else {
		hi = dest;
	}
	pushcli();
	if (x2apic) {
		// One MSR write; no pending bit to wait for (SDM 11.12.9).
		wrmsr(MSR_X2APIC + LAPIC_ICRLO / 16, (uint64_t)hi << 32 | lo);
	} else {
		lapicw(LAPIC_ICRHI, hi << 24);
		lapicw(LAPIC_ICRLO, lo);
		while (lapicr(LAPIC_ICRLO) & ICR_PENDING) {
			cpu_pause();
		}
	}
	popcli();
}

// The MSI message that delivers vector to CPU c: a write of data to addr
// (SDM vol. 3A, 11.11: physical destination, fixed delivery, edge). PCI
// devices are given these for MSI and MSI-X.
void
lapic_msi(struct cpu *c, int vector, uint64_t *addr, uint32_t *data)
{
	*addr = 0xFEE00000 | (uint64_t)(c->apicid & 0xFF) << 12;
	*data = vector & 0xFF;
}

bool
lapic_has_tscdeadline(void)
{
	return tscdeadline;
}

// The timer's current count, for measuring its rate.
uint32_t
lapic_timer_ticks(void)
{
	return lapicr(LAPIC_TCCR);
}

// Interrupt after ticks counts of the timer (bus clock / 16).
void
lapic_timer_oneshot(uint32_t ticks)
{
	lapicw(LAPIC_TIMER, TIMER_ONESHOT | T_TIMER);
	lapicw(LAPIC_TICR, ticks == 0 ? 1 : ticks);
}

// Interrupt when the TSC reaches tsc. The LVT write must come before the
// MSR write, and be ordered before it (SDM 11.5.4.1): an mfence does that
// in xAPIC mode; x2APIC's wrmsr to the LVT is serialising.
void
lapic_timer_deadline(uint64_t tsc)
{
	lapicw(LAPIC_TIMER, TIMER_TSCDEADLINE | T_TIMER);
	// Full fence: the LVT write (an MMIO store) completes before the
	// WRMSR below; it pairs with no other CPU's operation, only with
	// the APIC's reading of the two registers.
	atomic_fence();
	wrmsr(MSR_TSC_DEADLINE, tsc == 0 ? 1 : tsc);
}

void
lapic_timer_stop(void)
{
	lapicw(LAPIC_TIMER, LVT_MASKED | T_TIMER);
	lapicw(LAPIC_TICR, 0);
	if (tscdeadline) {
		wrmsr(MSR_TSC_DEADLINE, 0);
	}
}
