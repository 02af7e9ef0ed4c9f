// tsc_test.c: the boot's short TSC calibration (kernel/tsc.c) against a
// long one: issue 11 asked for a boot well under a millisecond of
// calibration that keeps the error below 100 ppm.

#include "kernel/kernel.h"
#include "kernel/x86.h"
#include "tests/testing.h"

enum {
	LONG_US = 50000, // the yardstick: 100 times the boot's window
	RUNS = 10,
	MAXPPM = 100,
};

// ppm by which got differs from want.
static uint64_t
ppm(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;
	return d * 1000000 / want;
}

// The boot's calibration (tsc_calibrate), run RUNS times, agrees with a
// 50 ms measurement within 100 ppm each time, and so does the rate the
// boot itself found (tsc_hz). The fastest run takes under 1 ms: one the
// host interrupted is measured again (tsc_measure), and under make test's
// load half the runs were seen to take longer.
TEST(TestTSCShortCalibration)
{
	uint64_t yard = tsc_measure(LONG_US);
	if (yard == 0) {
		t_logf(t, "the TSC's rate came from CPUID; nothing to measure against");
		return;
	}
	uint64_t worst = ppm(tsc_hz(), yard), slowest = 0, fastest = UINT64_MAX;
	if (worst > MAXPPM) {
		t_errorf(t, "the boot's rate %lu Hz is %lu ppm off the 50 ms measurement's %lu Hz", tsc_hz(),
			 worst, yard);
	}
	for (int i = 0; i < RUNS; i++) {
		uint64_t start = rdtsc();
		uint64_t hz = tsc_calibrate();
		uint64_t took = (rdtsc() - start) * 1000000 / yard; // us
		uint64_t off = ppm(hz, yard);
		if (off > MAXPPM) {
			t_errorf(t, "run %d: %lu Hz is %lu ppm off the 50 ms measurement's %lu Hz", i, hz,
				 off, yard);
		}
		fastest = took < fastest ? took : fastest;
		worst = off > worst ? off : worst;
		slowest = took > slowest ? took : slowest;
	}
	if (fastest >= 1000) {
		t_errorf(t, "the fastest of %d calibrations took %lu us, not under 1 ms", RUNS, fastest);
	}
	t_logf(t, "50 ms: %lu Hz; short runs: at most %lu ppm off, %lu to %lu us", yard, worst, fastest,
	       slowest);
}
