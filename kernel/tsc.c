// tsc.c: nanotime, the monotonic clock, from the time-stamp counter, and
// walltime, the calendar clock. The TSC's frequency comes from the first
// source that has it:
//
//  1. CPUID leaf 0x15 (TSC/crystal ratio times the crystal's frequency),
//  2. the hypervisor's timing leaf 0x40000010 (TSC kHz; KVM, VMware),
//  3. a 10 ms measurement against a clock of known rate: the HPET (its
//     period is in its capability register), else the ACPI PM timer
//     (3.579545 MHz), else channel 0 of the 8254 PIT (1.193182 MHz),
//     which needs no other port, so it works on QEMU's microvm too.
//
// CPUID leaf 0x16 (base frequency in MHz) is only a rough value, so it
// loses to a measurement. Whether the TSC is invariant (runs at one rate
// in every power state: CPUID 0x80000007 EDX bit 8) is said at boot.
//
// nanotime() = (rdtsc() - tsc0) * nsmul >> 32, so no division on the hot
// path; nsmul is 2^32 ns per tick. smp.c checks at each CPU's start that
// the TSCs agree.

#include "acpi.h"
#include "kernel.h"
#include "x86.h"

enum {
	CALIBRATE_MS = 10,
	MAXSPINS = 10000000, // a reference clock that never ticks is missing

	PIT_HZ = 1193182,
	PIT_CH0 = 0x40,
	PIT_CMD = 0x43,
	PIT_CH0_MODE2 = 0x34, // channel 0, low byte then high byte, mode 2
	PIT_CH0_LATCH = 0x00, // latch channel 0's count for reading

	PMTIMER_HZ = 3579545,
	FADT_TMR_VAL_EXT = 1 << 8, // the PM timer has 32 bits, not 24

	HPET_GCAP = 0x00,   // bits 63-32: counter period in femtoseconds
	HPET_CONFIG = 0x10, // bit 0: the main counter runs
	HPET_COUNTER = 0xF0,

	CPUID_HYPERVISOR = 0x40000000,
	CPUID_HV_TIMING = 0x40000010,
	CPUID80000007_EDX_INVARIANT = 1 << 8,
};

static uint64_t tsc0;   // TSC at tsc_init: nanotime 0
static uint64_t nsmul;  // nanoseconds per TSC tick, times 2^32
static uint64_t tscmul; // TSC ticks per nanosecond, times 2^32
static uint64_t tschz;  // the TSC's frequency

static volatile uint64_t *hpet; // the HPET's registers, if there is one
static uint16_t pmtimer;        // the PM timer's port, if there is one

static uint64_t fromcpuid(const char **source);
static uint64_t measure(uint64_t (*read)(void), uint64_t mask, uint64_t hz);
static uint64_t readhpet(void);
static uint64_t readpmtimer(void);
static uint64_t readpit(void);

void
tsc_init(void)
{
	const char *source = NULL;
	tschz = fromcpuid(&source);
	if (tschz == 0) {
		struct acpi_header *h = acpi_find("HPET");
		struct acpi_fadt *fadt = acpi_find("FACP");
		if (h != NULL && ((struct acpi_gas *)((uint8_t *)h + 40))->address != 0) {
			hpet = vm_mapmmio(((struct acpi_gas *)((uint8_t *)h + 40))->address, 0x400);
			uint64_t period = hpet[HPET_GCAP / 8] >> 32; // femtoseconds
			hpet[HPET_CONFIG / 8] |= 1;
			tschz = measure(readhpet, ~0ULL, 1000000000000000ULL / period);
			source = "measured against the HPET";
		} else if (fadt != NULL && fadt->h.length > 80 && *(uint32_t *)((uint8_t *)fadt + 76) != 0) {
			pmtimer = *(uint32_t *)((uint8_t *)fadt + 76);
			uint64_t mask = fadt->flags & FADT_TMR_VAL_EXT ? 0xFFFFFFFF : 0xFFFFFF;
			tschz = measure(readpmtimer, mask, PMTIMER_HZ);
			source = "measured against the ACPI PM timer";
		} else {
			outb(PIT_CMD, PIT_CH0_MODE2);
			outb(PIT_CH0, 0xFF);
			outb(PIT_CH0, 0xFF);
			tschz = measure(readpit, 0xFFFF, PIT_HZ);
			source = "measured against the PIT";
		}
	}
	nsmul = ((uint64_t)1000000000 << 32) / tschz;
	tscmul = ((tschz / 1000) << 32) / 1000000; // in two steps: no 128-bit division
	tsc0 = rdtsc();

	uint32_t a, b, c, d;
	cpuid(0x80000007, 0, &a, &b, &c, &d);
	kprintf("tsc: %lu.%03lu MHz, %s, %s\n", tschz / 1000000, tschz / 1000 % 1000, source,
		d & CPUID80000007_EDX_INVARIANT ? "invariant" : "not invariant");
}

// The TSC's frequency as the CPU or the hypervisor states it, or 0.
static uint64_t
fromcpuid(const char **source)
{
	uint32_t max, a, b, c, d;
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a != 0 && b != 0 && c != 0) {
			*source = "from CPUID leaf 0x15";
			return (uint64_t)c * b / a;
		}
	}
	if (hypervisor_present()) {
		cpuid(CPUID_HYPERVISOR, 0, &max, &b, &c, &d);
		if (max >= CPUID_HV_TIMING) {
			cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
			if (a != 0) {
				*source = "from the hypervisor's CPUID leaf";
				return (uint64_t)a * 1000;
			}
		}
	}
	return 0;
}

// The TSC's frequency, from CALIBRATE_MS of a reference counter that
// counts up at hz and wraps at mask. Both clocks are read from the
// reference's first tick on, so the interval starts on a tick edge.
static uint64_t
measure(uint64_t (*read)(void), uint64_t mask, uint64_t hz)
{
	uint64_t want = hz * CALIBRATE_MS / 1000, ticks = 0, start = 0, spins = 0;
	uint64_t last = read();
	while (ticks < want) {
		uint64_t now = read();
		if (now == last) {
			if (++spins == MAXSPINS) {
				fatalf("tsc: the reference clock does not tick; cannot measure the TSC");
			}
			continue;
		}
		if (start == 0) {
			start = rdtsc();
		} else {
			ticks += (now - last) & mask;
		}
		last = now;
		spins = 0;
	}
	return (rdtsc() - start) * hz / ticks;
}

static uint64_t
readhpet(void)
{
	return hpet[HPET_COUNTER / 8];
}

static uint64_t
readpmtimer(void)
{
	return inl(pmtimer);
}

// Channel 0 counts down; its complement counts up. The count is latched
// so that its two bytes belong together.
static uint64_t
readpit(void)
{
	outb(PIT_CMD, PIT_CH0_LATCH);
	uint8_t lo = inb(PIT_CH0);
	return 0xFFFF - (lo | inb(PIT_CH0) << 8);
}

uint64_t
nanotime(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * nsmul) >> 32);
}

// The TSC value at nanotime ns: nanotime's inverse, for TSC deadlines.
uint64_t
tsc_at(uint64_t ns)
{
	return tsc0 + (uint64_t)(((unsigned __int128)ns * tscmul) >> 32);
}
