// tsc.c: nanotime, the monotonic clock, from the time-stamp counter. The
// TSC's frequency is measured once at boot against the 8254 PIT, whose
// input clock is 1.193182 MHz on every PC: channel 2 counts down 10 ms in
// mode 0 while we read the TSC at both ends.
//
// nanotime() = (rdtsc() - tsc0) * nsmul >> 32, so no division on the hot
// path; nsmul is 2^32 ns per tick.

#include "kernel.h"
#include "x86.h"

enum {
	PIT_HZ = 1193182,
	PIT_CH2 = 0x42,
	PIT_CMD = 0x43,
	PIT_PORTB = 0x61, // bit 0: channel 2 gate; bit 1: speaker; bit 5: channel 2 output
	CALIBRATE_MS = 10,
};

static uint64_t tsc0;  // TSC at tsc_init: nanotime 0
static uint64_t nsmul; // nanoseconds per TSC tick, times 2^32
static uint64_t tschz; // measured TSC frequency

void
tsc_init(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

	// Gate channel 2 on, speaker off; channel 2, lobyte/hibyte, mode 0.
	outb(PIT_PORTB, (inb(PIT_PORTB) & ~0x02) | 0x01);
	outb(PIT_CMD, 0xB0);
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);

	uint64_t start = rdtsc();
	// Mode 0 raises the output when the count reaches 0. Bounded: a
	// missing PIT must not hang the boot.
	uint64_t spins = 0;
	while ((inb(PIT_PORTB) & 0x20) == 0 && spins++ < 100000000) {
		cpu_pause();
	}
	uint64_t ticks = rdtsc() - start;
	if (ticks == 0 || spins >= 100000000) {
		fatalf("tsc: could not measure the TSC against the PIT");
	}
	tschz = ticks * 1000 / CALIBRATE_MS;
	nsmul = ((uint64_t)1000000000 << 32) / tschz;
	tsc0 = rdtsc();
	kprintf("tsc: %lu.%03lu MHz\n", tschz / 1000000, tschz / 1000 % 1000);
}

uint64_t
nanotime(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * nsmul) >> 32);
}
