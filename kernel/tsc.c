// tsc.c: nanotime, the monotonic clock, from the time-stamp counter. The
// TSC's frequency comes from the first source that has it:
//
//  1. CPUID leaf 0x15 (TSC/crystal ratio times the crystal's frequency),
//  2. the hypervisor's timing leaf 0x40000010 (TSC kHz; KVM, VMware),
//  3. a measurement against a clock of known rate: 500 us of the HPET
//     (its period is in its capability register), else 750 us of the ACPI
//     PM timer (3.579545 MHz) or of channel 0 of the 8254 PIT (1.193182
//     MHz), which needs no other port, so it works on QEMU's microvm too.
//
// CPUID leaf 0x16 (base frequency in MHz) is only a rough value, so it
// loses to a measurement. QEMU 7.2's TCG offers none of the three leaves
// (not on -cpu qemu64, not on -cpu max): under TCG the TSC is measured.
// Whether the TSC is invariant (runs at one rate in every power state:
// CPUID 0x80000007 EDX bit 8) is said at boot.
//
// The measurement (measure) is a line fit, not two readings. Each read of
// the reference is bracketed by two TSC reads, and a read whose bracket is
// wider than twice the narrowest one seen is dropped (an SMI, a host that
// took the CPU away, TCG translating code). A fine reference (the HPET,
// whose tick is shorter than one read) gives a point per read: its count,
// and the TSC at the bracket's middle. A coarse one (the PM timer, the
// PIT, whose tick is longer than one read) gives a point per edge: where
// the count went up by exactly one between two reads, the edge lies
// between them, at their middle within half the gap between them. The
// slope through the points is Wald's two-group estimate: the line through
// the centroid of the window's first half and of its second half. Every
// point's error is bounded by its bracket and the errors do not
// accumulate, so over n points the slope's error falls as 1/(T sqrt(n)),
// not 1/T as for two readings: 750 us with several hundred edges is as
// good as a two-reading measurement of tens of milliseconds. The constant
// part of each bracket (where in it the device really reads its clock) is
// the same at both ends and cancels. TestTSCShortCalibration checks the
// short result against a 50 ms one (docs/machine.md has the numbers).
//
// nanotime() = (rdtsc() - tsc0) * nsmul >> 32, so no division on the hot
// path; nsmul is 2^32 ns per tick. smp.c checks at each CPU's start that
// the TSCs agree.

#include "acpi.h"
#include "cpu.h"
#include "kernel.h"
#include "x86.h"

enum {
	CALIBRATE_US = 500,       // a fine reference's window (the HPET)
	CALIBRATE_EDGES_US = 750, // a coarse one's: its points are fewer
	WARMUP_READS = 64,        // reads before the window: code translated, bracket known
	MINPOINTS = 16,           // a half of the window with fewer is measured again
	MAXTRIES = 100,           // windows spoilt in a row before giving up
	MAXSPINS = 10000000,      // a reference clock that never ticks is missing

	PIT_HZ = 1193182,
	PIT_CH0 = 0x40,
	PIT_CMD = 0x43,
	PIT_CH0_LOBYTE_MODE2 = 0x14, // channel 0, the low byte only, mode 2

	PMTIMER_HZ = 3579545,
	FADT_TMR_VAL_EXT = 1 << 8, // the PM timer has 32 bits, not 24

	HPET_GCAP = 0x00,   // bits 63-32: counter period in femtoseconds
	HPET_CONFIG = 0x10, // bit 0: the main counter runs
	HPET_COUNTER = 0xF0,

	CPUID_HYPERVISOR = 0x40000000,
	CPUID_HV_TIMING = 0x40000010,
	CPUID80000007_EDX_INVARIANT = 1 << 8,
};

// The reference clock measure uses: read counts up at hz and wraps at
// mask; edges says its tick is longer than one read (see the top).
struct refclock {
	const char *name;
	const char *source; // for the boot line
	uint64_t (*read)(void);
	uint64_t mask;
	uint64_t hz;
	bool edges;
	uint64_t window_us; // tsc_calibrate's
};

// One half of the window, for the fit: the sums of its points' reference
// ticks (x) and TSC ticks (y), both counted from the window's start.
struct half {
	uint64_t n, sx, sy;
};

static uint64_t tsc0;   // TSC at tsc_init: nanotime 0
static uint64_t nsmul;  // nanoseconds per TSC tick, times 2^32
static uint64_t tscmul; // TSC ticks per nanosecond, times 2^32
static uint64_t tschz;  // the TSC's frequency

static struct refclock ref;     // the reference clock, if one was found
static volatile uint64_t *hpet; // the HPET's registers, if there is one
static uint16_t pmtimer;        // the PM timer's port, if there is one

static uint64_t fromcpuid(const char **source);
static void findref(void);
static uint64_t warmup(uint64_t *maxgap);
static bool window(uint64_t want, uint64_t limit, uint64_t maxgap, struct half h[2], uint64_t *crude);
static uint64_t slope(struct half h[2]);
static uint64_t readhpet(void);
static uint64_t readpmtimer(void);
static uint64_t readpit(void);

void
tsc_init(void)
{
	const char *source = NULL;
	tschz = fromcpuid(&source);
	if (tschz == 0) {
		findref();
		tschz = tsc_calibrate();
		source = ref.source;
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
		if (max >= CPUID_HV_TIMING && max < CPUID_HYPERVISOR + 0x100) {
			cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
			if (a != 0) {
				*source = "from the hypervisor's CPUID leaf";
				return (uint64_t)a * 1000;
			}
		}
	}
	return 0;
}

// Find the reference clock, in the order at the top, and start it. The
// PIT is always there (QEMU's microvm has it unless told pit=off).
static void
findref(void)
{
	struct acpi_header *h = acpi_find("HPET");
	struct acpi_fadt *fadt = acpi_find("FACP");
	if (h != NULL && ((struct acpi_gas *)((uint8_t *)h + 40))->address != 0) {
		hpet = vm_mapmmio(((struct acpi_gas *)((uint8_t *)h + 40))->address, 0x400);
		uint64_t period = hpet[HPET_GCAP / 8] >> 32; // femtoseconds
		hpet[HPET_CONFIG / 8] |= 1;
		ref = (struct refclock){
			.name = "HPET",
			.source = "measured against the HPET",
			.read = readhpet,
			.mask = ~0ULL,
			.hz = 1000000000000000ULL / period,
			.edges = false,
			.window_us = CALIBRATE_US,
		};
	} else if (fadt != NULL && fadt->h.length > 80 && *(uint32_t *)((uint8_t *)fadt + 76) != 0) {
		pmtimer = *(uint32_t *)((uint8_t *)fadt + 76);
		uint64_t mask = fadt->flags & FADT_TMR_VAL_EXT ? 0xFFFFFFFF : 0xFFFFFF;
		ref = (struct refclock){
			.name = "ACPI PM timer",
			.source = "measured against the ACPI PM timer",
			.read = readpmtimer,
			.mask = mask,
			.hz = PMTIMER_HZ,
			.edges = true,
			.window_us = CALIBRATE_EDGES_US,
		};
	} else {
		outb(PIT_CMD, PIT_CH0_LOBYTE_MODE2);
		outb(PIT_CH0, 0); // 65536: the low byte counts down through all 256
		ref = (struct refclock){
			.name = "PIT",
			.source = "measured against the PIT",
			.read = readpit,
			.mask = 0xFF,
			.hz = PIT_HZ,
			.edges = true,
			.window_us = CALIBRATE_EDGES_US,
		};
	}
}

// The TSC's frequency measured as tsc_init does, over the reference's
// window; 0 if tsc_init took it from CPUID.
uint64_t
tsc_calibrate(void)
{
	return tsc_measure(ref.window_us);
}

// The TSC's frequency, measured over window_us of the reference clock;
// 0 if there is none (the rate came from CPUID). tsc_init measures the
// reference's window; TestTSCShortCalibration compares that with 50 ms.
// A window whose halves got too few points (the host took the CPU away
// for most of it), or that the host stopped for longer than half the
// time the reference takes to wrap (its ticks might be miscounted: the
// PIT's low byte wraps in 215 us), or whose fit is more than 1/8 off the
// plain ratio of its two ends (a miscount all the same), is measured
// again, up to MAXTRIES times. Interrupts are off in a window, so a
// caller with them on (a test) is measured as the boot is.
uint64_t
tsc_measure(uint64_t window_us)
{
	if (ref.read == NULL) {
		return 0;
	}
	uint64_t want = ref.hz * window_us / 1000000;
	for (int try = 0; try < MAXTRIES; try++) {
		struct half h[2] = {{0, 0, 0}, {0, 0, 0}};
		uint64_t crude, hz, maxgap;
		pushcli(); // only the host may interrupt a window
		uint64_t limit = warmup(&maxgap);
		bool ok = window(want, limit, maxgap, h, &crude);
		popcli();
		if (ok) {
			hz = slope(h);
			if (hz > crude - crude / 8 && hz < crude + crude / 8) {
				return hz;
			}
		}
	}
	fatalf("tsc: %d windows of %lu us against the %s in a row were interrupted; cannot measure the TSC",
	       MAXTRIES, window_us, ref.name);
}

// Read the reference WARMUP_READS times: TCG translates the loop's code
// on its first run, which would otherwise stretch the first brackets, and
// the narrowest bracket seen sets the widest one window accepts: twice
// that, for a read; for an edge, which spans two reads, twice the
// narrowest pair. *maxgap is the TSC ticks of half the reference's wrap,
// roughly (from the ticks the warm-up saw), for a reference that wraps
// within a window (mask below 16 bits); else no limit.
static uint64_t
warmup(uint64_t *maxgap)
{
	uint64_t least = ~0ULL, start = rdtsc(), preva = start, first = ref.read(), now = first;
	for (int i = 0; i < WARMUP_READS; i++) {
		uint64_t a = rdtsc();
		now = ref.read();
		uint64_t b = rdtsc();
		uint64_t w = ref.edges ? b - preva : b - a;
		if (i > 0 && w < least) {
			least = w;
		}
		preva = a;
	}
	uint64_t ticks = (now - first) & ref.mask;
	*maxgap = ~0ULL;
	if (ref.mask < 0xFFFF && ticks > 0) {
		*maxgap = (rdtsc() - start) * (ref.mask / 2) / ticks;
	}
	return 2 * least;
}

// Collect the points of one window of want reference ticks into h (see
// the top), and in *crude the rate from its two ends alone; false if a
// half has fewer than MINPOINTS.
static bool
window(uint64_t want, uint64_t limit, uint64_t maxgap, struct half h[2], uint64_t *crude)
{
	uint64_t spins = 0, x = 0;
	uint64_t start = rdtsc(), last = ref.read(), preva = start;
	while (x < want) {
		uint64_t a = rdtsc();
		uint64_t now = ref.read();
		uint64_t b = rdtsc();
		uint64_t dx = (now - last) & ref.mask;
		if (b - preva > maxgap) {
			return false;
		}
		if (dx == 0 && ++spins == MAXSPINS) {
			fatalf("tsc: the %s does not tick; cannot measure the TSC", ref.name);
		}
		x += dx;
		struct half *hp = &h[x >= want / 2];
		if (!ref.edges && b - a <= limit) {
			// A point per read: the count, at the bracket's middle.
			hp->n++;
			hp->sx += x;
			hp->sy += (a - start) + (b - a) / 2;
		} else if (ref.edges && dx == 1 && b - preva <= limit) {
			// A point per edge: between this read and the last.
			hp->n++;
			hp->sx += x;
			hp->sy += (preva - start) + (b - preva) / 2;
		}
		if (dx != 0) {
			spins = 0;
		}
		last = now;
		preva = a;
	}
	*crude = (rdtsc() - start) * ref.hz / x;
	return h[0].n >= MINPOINTS && h[1].n >= MINPOINTS;
}

// The TSC's frequency from the two halves' centroids:
// hz * (ybar1 - ybar0) / (xbar1 - xbar0), computed as
// hz * (sy1 n0 - sy0 n1) / (sx1 n0 - sx0 n1) in 128 bits, then scaled
// down to 64 (a relative error below 2^-31) for the division.
static uint64_t
slope(struct half h[2])
{
	unsigned __int128 dy = (unsigned __int128)h[1].sy * h[0].n - (unsigned __int128)h[0].sy * h[1].n;
	unsigned __int128 dx = (unsigned __int128)h[1].sx * h[0].n - (unsigned __int128)h[0].sx * h[1].n;
	while ((dx >> 32) != 0) {
		dx >>= 1;
		dy >>= 1;
	}
	if (dx == 0 || (dy >> 64) != 0) {
		throw("tsc: the reference clock's points do not fit a line");
	}
	uint64_t q = (uint64_t)dy / (uint64_t)dx, r = (uint64_t)dy % (uint64_t)dx;
	return ref.hz * q + ref.hz * r / (uint64_t)dx;
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

// Channel 0 counts down; its complement counts up. Only the low byte is
// read: one port read, not three (latch, low, high), so a bracket is a
// third as wide; window catches the wraps it cannot see.
static uint64_t
readpit(void)
{
	return 0xFF - inb(PIT_CH0);
}

// The TSC's frequency in Hz, however tsc_init found it.
uint64_t
tsc_hz(void)
{
	return tschz;
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
