// tsc.c: nanotime, the monotonic clock, from the time-stamp counter. The
// TSC's frequency is measured once at boot against the 8254 PIT, whose
// input clock is 1.193182 MHz on every PC: channel 0 counts down from
// 0xFFFF in mode 2 while we read its counter (latched, so the two bytes
// belong together) and the TSC, until 10 ms of PIT ticks have passed.
// Channel 0 needs no other port, so this works on QEMU's microvm too,
// which has no port 0x61 for channel 2's gate. Its interrupt goes nowhere:
// the 8259 PICs are masked and interrupts are off.
//
// nanotime() = (rdtsc() - tsc0) * nsmul >> 32, so no division on the hot
// path; nsmul is 2^32 ns per tick.

#include "kernel.h"
#include "x86.h"

enum {
	PIT_HZ = 1193182,
	PIT_CH0 = 0x40,
	PIT_CMD = 0x43,
	PIT_CH0_MODE2 = 0x34, // channel 0, low byte then high byte, mode 2
	PIT_CH0_LATCH = 0x00, // latch channel 0's count for reading
	CALIBRATE_MS = 10,
	MAXSPINS = 10000000, // a PIT that never counts is missing
};

static uint64_t tsc0;  // TSC at tsc_init: nanotime 0
static uint64_t nsmul; // nanoseconds per TSC tick, times 2^32
static uint64_t tscmul; // TSC ticks per nanosecond, times 2^32
static uint64_t tschz; // measured TSC frequency

static uint16_t
pitcount(void)
{
	outb(PIT_CMD, PIT_CH0_LATCH);
	uint8_t lo = inb(PIT_CH0);
	return lo | inb(PIT_CH0) << 8;
}

void
tsc_init(void)
{
	uint32_t want = PIT_HZ * CALIBRATE_MS / 1000; // PIT ticks to wait

	outb(PIT_CMD, PIT_CH0_MODE2);
	outb(PIT_CH0, 0xFF);
	outb(PIT_CH0, 0xFF);

	// Count PIT ticks as the counter goes down (and wraps from 1 to
	// 0xFFFF); the TSC is read at the first change, so both clocks
	// start on a tick edge.
	uint16_t last = pitcount();
	uint32_t ticks = 0, spins = 0;
	uint64_t start = 0;
	while (ticks < want) {
		uint16_t now = pitcount();
		if (now == last) {
			if (++spins == MAXSPINS) {
				fatalf("tsc: the PIT does not count; cannot measure the TSC");
			}
			continue;
		}
		if (start == 0) {
			start = rdtsc();
		} else {
			ticks += (uint16_t)(last - now);
		}
		last = now;
		spins = 0;
	}
	uint64_t elapsed = rdtsc() - start;
	tschz = elapsed * PIT_HZ / ticks;
	nsmul = ((uint64_t)1000000000 << 32) / tschz;
	tscmul = ((tschz / 1000) << 32) / 1000000; // in two steps: no 128-bit division
	tsc0 = rdtsc();
	kprintf("tsc: %lu.%03lu MHz\n", tschz / 1000000, tschz / 1000 % 1000);
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
