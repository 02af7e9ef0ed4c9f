// rtc.c: the wall clock, from the CMOS real-time clock read once at boot
// (MC146818: seconds, minutes, hours, day, month, year in registers 0, 2,
// 4, 7, 8, 9; status A bit 7 "update in progress"; status B bit 2 binary,
// bit 1 24-hour), then carried forward by nanotime.

#include "kernel.h"
#include "x86.h"

enum {
	CMOS_ADDR = 0x70,
	CMOS_DATA = 0x71,
	NMI_DISABLE = 0x80, // keep NMIs off while the address register is set
	RTC_SEC = 0x00,
	RTC_MIN = 0x02,
	RTC_HOUR = 0x04,
	RTC_DAY = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_STATUSA = 0x0A,
	RTC_STATUSB = 0x0B,
	STATUSA_UIP = 0x80,
	STATUSB_24H = 0x02,
	STATUSB_BINARY = 0x04,
};

static uint8_t
cmos(uint8_t reg)
{
	outb(CMOS_ADDR, NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

struct rtctime {
	int sec, min, hour, day, month, year;
};

static void
readrtc(struct rtctime *t)
{
	for (int i = 0; i < 1000000 && (cmos(RTC_STATUSA) & STATUSA_UIP); i++) {
		cpu_pause();
	}
	t->sec = cmos(RTC_SEC);
	t->min = cmos(RTC_MIN);
	t->hour = cmos(RTC_HOUR);
	t->day = cmos(RTC_DAY);
	t->month = cmos(RTC_MONTH);
	t->year = cmos(RTC_YEAR);
}

static int
frombcd(int v)
{
	return (v >> 4) * 10 + (v & 0xF);
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian),
// by counting in 400-year eras that start on March 1st.
static int64_t
daysfromcivil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t bootwall; // Unix nanoseconds at nanotime 0, set by rtc_init

// Read the RTC, twice until two readings agree (it may tick between
// reads), and remember the wall-clock time at nanotime 0.
void
rtc_init(void)
{
	struct rtctime a, b;
	readrtc(&b);
	do {
		a = b;
		readrtc(&b);
	} while (a.sec != b.sec || a.min != b.min || a.hour != b.hour || a.day != b.day);

	uint8_t status = cmos(RTC_STATUSB);
	bool pm = !(status & STATUSB_24H) && (b.hour & 0x80);
	b.hour &= 0x7F;
	if (!(status & STATUSB_BINARY)) {
		b.sec = frombcd(b.sec);
		b.min = frombcd(b.min);
		b.hour = frombcd(b.hour);
		b.day = frombcd(b.day);
		b.month = frombcd(b.month);
		b.year = frombcd(b.year);
	}
	if (!(status & STATUSB_24H)) {
		b.hour = b.hour % 12 + (pm ? 12 : 0);
	}
	int year = 2000 + b.year; // the RTC keeps two digits; we live after 2000
	int64_t secs = daysfromcivil(year, b.month, b.day) * 86400 + b.hour * 3600 + b.min * 60 + b.sec;
	bootwall = secs * 1000000000 - (int64_t)nanotime();
	kprintf("rtc: %04d-%02d-%02d %02d:%02d:%02d UTC\n", year, b.month, b.day, b.hour, b.min, b.sec);
}

// Wall-clock time: nanoseconds since 1970-01-01 UTC. It moves with
// nanotime, so it never jumps.
int64_t
walltime(void)
{
	return bootwall + (int64_t)nanotime();
}
