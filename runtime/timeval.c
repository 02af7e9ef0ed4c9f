// timeval.c: package time's values (Go's time/time.go and format.go):
// Time, a wall-clock instant with an optional monotonic reading, its
// arithmetic and comparisons, Duration's String, and the RFC 3339 layouts'
// Format and Parse. The timers that send Times are sleep.c's; the clocks
// are os.h's (nanotime, os_walltime). See hood.h's time section for the
// API and docs/time.md for the design.
//
// A Time (hood.h's struct time_time) is Go's Time without the encoding:
// Go packs a wall reading of 33 bits of seconds and 30 of nanoseconds
// beside a 64-bit monotonic one in 16 bytes; hood keeps the plain fields:
//	sec     seconds since January 1, year 1, UTC (Go's "absolute" epoch's
//	        internal seconds), so that the zero struct is Go's zero Time
//	nsec    in [0, 1e9)
//	offset  seconds east of UTC of the zone the Time is shown in
//	mono    a nanotime reading, 0 for none
// The instant is sec and nsec alone; offset changes only how the Time is
// written (two Times of one instant in two zones are Equal). Go's rule for
// the monotonic reading: it is used when both Times have one (Sub, Before,
// After, Equal, Compare), kept by Add, and dropped where it would
// overflow (Add) or mean nothing (time_unix, Parse). A reading that Add
// takes to exactly 0 is dropped too (0 is "none"); dropping is always
// allowed, as Go drops it on overflow.
//
// Parse follows Go's general parser (time/format.go's parse) over the
// layout's elements, so that its error messages are Go's word for word:
// "parsing time <value> as <layout>: cannot parse <rest> as <element>",
// or "parsing time <value>: month out of range" and the like.

#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"

enum {
	// Seconds from January 1, year 1 to January 1, 1970 (Go's
	// unixToInternal): 1969 years of 365 days and their leap days.
	UnixToInternal = (1969LL * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * 86400,
	// Days from March 1, year 0 to January 1, 1970, for civil's era
	// arithmetic (Howard Hinnant's days_from_civil).
	DaysToUnixFromMarch0 = 719468,
	DurationBuf = 32, // Go's: the longest Duration, "-2562047h47m16.854775808s", fits
	FormatBuf = 48,   // "-2006-01-02T15:04:05.999999999+07:00" and the NUL
};

static const int64_t MinDuration = INT64_MIN;
static const int64_t MaxDuration = INT64_MAX;

// The layouts' strings, as Go's constants spell them (error messages
// quote them).
static const char *const layoutstr[] = {
	[RFC3339] = "2006-01-02T15:04:05Z07:00",
	[RFC3339Nano] = "2006-01-02T15:04:05.999999999Z07:00",
};

struct civil {
	int64_t year;
	int month, day, hour, min, sec;
};

static int64_t floordiv(int64_t a, int64_t b);
static int64_t daysfromcivil(int64_t y, int m, int d);
static struct civil civilfromsec(int64_t sec);
static bool isleap(int64_t year);
static int daysin(int month, int64_t year);
static char *newstring(const char *b, size_t n);

// ---- Time ----------------------------------------------------------------------

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// time.Now: both clocks.
struct time_time
time_now(void)
{
	int64_t wall = os_walltime();
	int64_t mono = (int64_t)nanotime();
	int64_t s = floordiv(wall, Second);
	return (struct time_time){
		.sec = s + UnixToInternal,
		.nsec = (int32_t)(wall - s * Second),
		.mono = mono,
	};
}

// time.Unix: nsec outside [0, 1e9) carries into sec, as Go's.
struct time_time
time_unix(int64_t sec, int64_t nsec)
{
	sec += floordiv(nsec, Second);
	nsec -= floordiv(nsec, Second) * Second;
	return (struct time_time){.sec = sec + UnixToInternal, .nsec = (int32_t)nsec};
}

int64_t
time_time_unix(struct time_time t)
{
	return t.sec - UnixToInternal;
}

int64_t
time_time_unixnano(struct time_time t)
{
	return (t.sec - UnixToInternal) * Second + t.nsec;
}

bool
time_time_iszero(struct time_time t)
{
	return t.sec == 0 && t.nsec == 0;
}

// t.Sub(u): by the monotonic readings if both have one, else by the wall
// readings; out of range it saturates, as Go's.
int64_t
time_time_sub(struct time_time t, struct time_time u)
{
	__int128 d;
	if (t.mono != 0 && u.mono != 0) {
		d = (__int128)t.mono - u.mono;
	} else {
		d = ((__int128)t.sec - u.sec) * Second + (t.nsec - u.nsec);
	}
	return d > MaxDuration ? MaxDuration : d < MinDuration ? MinDuration : (int64_t)d;
}

struct time_time
time_time_add(struct time_time t, int64_t d)
{
	int64_t dsec = d / Second, nsec = t.nsec + d % Second;
	if (nsec >= Second) {
		dsec++;
		nsec -= Second;
	} else if (nsec < 0) {
		dsec--;
		nsec += Second;
	}
	t.sec += dsec;
	t.nsec = (int32_t)nsec;
	if (t.mono != 0 && __builtin_add_overflow(t.mono, d, &t.mono)) {
		t.mono = 0;
	}
	return t;
}

int
time_time_compare(struct time_time t, struct time_time u)
{
	if (t.mono != 0 && u.mono != 0) {
		return (t.mono > u.mono) - (t.mono < u.mono);
	}
	if (t.sec != u.sec) {
		return t.sec < u.sec ? -1 : 1;
	}
	return (t.nsec > u.nsec) - (t.nsec < u.nsec);
}

bool
time_time_before(struct time_time t, struct time_time u)
{
	return time_time_compare(t, u) < 0;
}

bool
time_time_after(struct time_time t, struct time_time u)
{
	return time_time_compare(t, u) > 0;
}

bool
time_time_equal(struct time_time t, struct time_time u)
{
	return time_time_compare(t, u) == 0;
}

int64_t
time_since(struct time_time t)
{
	return time_time_sub(time_now(), t);
}

int64_t
time_until(struct time_time t)
{
	return time_time_sub(t, time_now());
}

// ---- the calendar -----------------------------------------------------------------

// Days from January 1, 1970 to y-m-d of the proleptic Gregorian calendar,
// over eras of 400 years that begin on March 1 (Howard Hinnant,
// "chrono-Compatible Low-Level Date Algorithms").
static int64_t
daysfromcivil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floordiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - DaysToUnixFromMarch0;
}

// The date and clock of sec (seconds since year 1, in the Time's zone).
static struct civil
civilfromsec(int64_t sec)
{
	int64_t unixsec = sec - UnixToInternal;
	int64_t days = floordiv(unixsec, 86400);
	int64_t rem = unixsec - days * 86400;
	int64_t z = days + DaysToUnixFromMarch0;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct civil c;
	c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.year = yoe + era * 400 + (c.month <= 2);
	c.hour = (int)(rem / 3600);
	c.min = (int)(rem / 60 % 60);
	c.sec = (int)(rem % 60);
	return c;
}

static bool
isleap(int64_t year)
{
	return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int
daysin(int month, int64_t year)
{
	static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && isleap(year) ? 29 : days[month];
}

// ---- strings ------------------------------------------------------------------------

// A string of the collector's, as Go's: n bytes of b and a NUL.
static char *
newstring(const char *b, size_t n)
{
	char *s = runtime_new(n + 1, true);
	memcpy(s, b, n);
	return s;
}

// Write the fraction of v / 10^prec into the buffer that ends at w, without
// trailing zeros and with no point if it is 0; returns the new start and
// sets *v to the integer part (Go's fmtFrac).
static char *
fmtfrac(char *w, uint64_t *v, int prec)
{
	bool print = false;
	for (int i = 0; i < prec; i++) {
		int digit = (int)(*v % 10);
		print = print || digit != 0;
		if (print) {
			*--w = (char)('0' + digit);
		}
		*v /= 10;
	}
	if (print) {
		*--w = '.';
	}
	return w;
}

// Write v in decimal into the buffer that ends at w; returns the start.
static char *
fmtint(char *w, uint64_t v)
{
	do {
		*--w = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return w;
}

// d.String(): Go's layout, "72h3m0.5s"; below a second in the largest
// unit that makes it at least 1 ("1.5ms", "300ns"); "0s" for 0. The
// magnitude is unsigned, so the minimum int64 prints too.
const char *
time_duration_string(int64_t d)
{
	char buf[DurationBuf];
	char *end = buf + sizeof buf, *w = end;
	uint64_t u = d < 0 ? -(uint64_t)d : (uint64_t)d;
	*--w = 's';
	if (u < (uint64_t)Second) {
		int prec;
		if (u == 0) {
			return newstring("0s", 2);
		} else if (u < Microsecond) {
			prec = 0;
			*--w = 'n';
		} else if (u < Millisecond) {
			prec = 3;
			w -= 2;
			memcpy(w, "\xc2\xb5", 2); // U+00B5 MICRO SIGN, as Go writes it
		} else {
			prec = 6;
			*--w = 'm';
		}
		w = fmtfrac(w, &u, prec);
		w = fmtint(w, u);
	} else {
		w = fmtfrac(w, &u, 9);
		w = fmtint(w, u % 60);
		u /= 60;
		if (u > 0) {
			*--w = 'm';
			w = fmtint(w, u % 60);
			u /= 60;
			if (u > 0) {
				*--w = 'h';
				w = fmtint(w, u);
			}
		}
	}
	if (d < 0) {
		*--w = '-';
	}
	return newstring(w, end - w);
}

// Append v as at least width decimal digits at b (Go's appendInt);
// returns the end.
static char *
appendint(char *b, int64_t v, int width)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	if (v < 0) {
		*b++ = '-';
	}
	char digits[24], *w = fmtint(digits + sizeof digits, u);
	for (int n = (int)(digits + sizeof digits - w); n < width; n++) {
		*b++ = '0';
	}
	size_t n = digits + sizeof digits - w;
	memcpy(b, w, n);
	return b + n;
}

// t.Format(RFC3339) and t.Format(RFC3339Nano), as Go's appendFormatRFC3339:
// the date and clock in t's zone, the nanoseconds (Nano only, trailing
// zeros dropped), then "Z" for UTC or the offset as +hh:mm.
const char *
time_time_format(struct time_time t, enum time_layout layout)
{
	if (layout != RFC3339 && layout != RFC3339Nano) {
		gopanic("time: unknown layout");
	}
	char buf[FormatBuf], *b = buf;
	struct civil c = civilfromsec(t.sec + t.offset);
	b = appendint(b, c.year, 4);
	*b++ = '-';
	b = appendint(b, c.month, 2);
	*b++ = '-';
	b = appendint(b, c.day, 2);
	*b++ = 'T';
	b = appendint(b, c.hour, 2);
	*b++ = ':';
	b = appendint(b, c.min, 2);
	*b++ = ':';
	b = appendint(b, c.sec, 2);
	if (layout == RFC3339Nano && t.nsec != 0) {
		char frac[10], *end = frac + sizeof frac;
		uint64_t v = (uint64_t)t.nsec;
		char *w = fmtfrac(end, &v, 9);
		memcpy(b, w, end - w);
		b += end - w;
	}
	if (t.offset == 0) {
		*b++ = 'Z';
	} else {
		int zone = t.offset / 60; // minutes; Go's layout drops the seconds
		*b++ = zone < 0 ? '-' : '+';
		zone = zone < 0 ? -zone : zone;
		b = appendint(b, zone / 60, 2);
		*b++ = ':';
		b = appendint(b, zone % 60, 2);
	}
	return newstring(buf, b - buf);
}

// ---- Parse ---------------------------------------------------------------------------

// The elements of Go's RFC 3339 layouts, as its nextStdChunk cuts them:
// a literal prefix, then a standard element.
enum stdelem {
	StdEnd,
	StdLongYear,       // "2006"
	StdZeroMonth,      // "01"
	StdZeroDay,        // "02"
	StdHour,           // "15"
	StdZeroMinute,     // "04"
	StdZeroSecond,     // "05"
	StdFracSecond9,    // ".999999999"
	StdISO8601ColonTZ, // "Z07:00"
};

struct chunk {
	const char *prefix;
	enum stdelem std;
	const char *stdstr;
};

static const struct chunk rfc3339chunks[] = {
	{"", StdLongYear, "2006"},
	{"-", StdZeroMonth, "01"},
	{"-", StdZeroDay, "02"},
	{"T", StdHour, "15"},
	{":", StdZeroMinute, "04"},
	{":", StdZeroSecond, "05"},
	{"", StdFracSecond9, ".999999999"}, // RFC3339Nano only
	{"", StdISO8601ColonTZ, "Z07:00"},
	{"", StdEnd, ""},
};

// A string builder on the collector's heap for the error messages.
struct strbuf {
	char *b;
	size_t n, cap;
};

static void
sb_append(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->n + n + 1 > sb->cap) {
		size_t cap = 2 * (sb->n + n + 1);
		char *b = runtime_new(cap, true);
		if (sb->n > 0) {
			memcpy(b, sb->b, sb->n);
		}
		sb->b = b;
		sb->cap = cap;
	}
	memcpy(sb->b + sb->n, s, n);
	sb->n += n;
	sb->b[sb->n] = '\0';
}

// Go's time.quote: in double quotes, with \" and \\, and every byte that
// is not printable ASCII as \xNN (Go keeps printable UTF-8 runes whole; a
// value with them prints them escaped here).
static void
sb_quote(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_append(sb, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' || c >= 0x7f) {
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			sb_append(sb, e, 4);
			continue;
		}
		if (c == '"' || c == '\\') {
			sb_append(sb, "\\", 1);
		}
		sb_append(sb, (const char *)&c, 1);
	}
	sb_append(sb, "\"", 1);
}

static const char *
sb_string(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
	return sb->b;
}

// Go's ParseError.Error: with no message, "cannot parse <valueelem> as
// <layoutelem>".
static const char *
parseerror(const char *layout, const char *value, const char *layoutelem, const char *valueelem,
	   const char *message)
{
	struct strbuf sb = {0};
	sb_string(&sb, "parsing time ");
	sb_quote(&sb, value, strlen(value));
	if (message != NULL) {
		return sb_string(&sb, message);
	}
	sb_string(&sb, " as ");
	sb_quote(&sb, layout, strlen(layout));
	sb_string(&sb, ": cannot parse ");
	sb_quote(&sb, valueelem, strlen(valueelem));
	sb_string(&sb, " as ");
	sb_quote(&sb, layoutelem, strlen(layoutelem));
	return sb.b;
}

static bool
isdigitat(const char *s, int i)
{
	for (int k = 0; k < i; k++) {
		if (s[k] == '\0') {
			return false;
		}
	}
	return s[i] >= '0' && s[i] <= '9';
}

// Go's getnum: one or two digits (fixed: exactly two); false if none.
static bool
getnum(const char **s, bool fixed, int *v)
{
	const char *p = *s;
	if (!isdigitat(p, 0)) {
		return false;
	}
	if (!isdigitat(p, 1)) {
		if (fixed) {
			return false;
		}
		*v = p[0] - '0';
		*s = p + 1;
		return true;
	}
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	*s = p + 2;
	return true;
}

// A fraction of a second at *s, if there is one: a point or a comma, then
// digits, the first nine of which count (Go's parseNanoseconds).
static void
parsefrac(const char **s, int *nsec)
{
	const char *v = *s;
	if ((v[0] != '.' && v[0] != ',') || !isdigitat(v, 1)) {
		return;
	}
	int ns = 0, i;
	for (i = 1; isdigitat(v, i); i++) {
		if (i < 10) {
			ns = ns * 10 + (v[i] - '0');
		}
	}
	for (int k = i; k < 10; k++) {
		ns *= 10;
	}
	*nsec = ns;
	*s = v + i;
}

// The parsed fields of a value.
struct parsed {
	int64_t year;
	int month, day, hour, min, sec, nsec, offset;
};

// Parse one standard element at *vp into p. Returns false for a value
// that does not fit it; *rangeerr names a field out of range.
static bool
parseelem(enum stdelem std, bool nextfrac, const char **vp, struct parsed *p, const char **rangeerr)
{
	const char *v = *vp;
	switch (std) {
	case StdLongYear:
		for (int i = 0; i < 4; i++) {
			if (!isdigitat(v, i)) {
				return false;
			}
		}
		p->year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
		v += 4;
		break;
	case StdZeroMonth:
		if (!getnum(&v, true, &p->month)) {
			return false;
		}
		if (p->month <= 0 || p->month > 12) {
			*rangeerr = "month";
		}
		break;
	case StdZeroDay:
		if (!getnum(&v, true, &p->day)) {
			return false;
		}
		break;
	case StdHour:
		if (!getnum(&v, false, &p->hour)) {
			return false;
		}
		if (p->hour >= 24) {
			*rangeerr = "hour";
		}
		break;
	case StdZeroMinute:
		if (!getnum(&v, true, &p->min)) {
			return false;
		}
		if (p->min >= 60) {
			*rangeerr = "minute";
		}
		break;
	case StdZeroSecond:
		if (!getnum(&v, true, &p->sec)) {
			return false;
		}
		if (p->sec >= 60) {
			*rangeerr = "second";
			break;
		}
		// A fraction the layout does not name is taken here (Go's rule),
		// unless a fraction element comes next.
		if (!nextfrac) {
			parsefrac(&v, &p->nsec);
		}
		break;
	case StdFracSecond9:
		parsefrac(&v, &p->nsec);
		break;
	case StdISO8601ColonTZ: {
		if (v[0] == 'Z') {
			v++;
			p->offset = 0;
			break;
		}
		if (strnlen(v, 6) < 6 || v[3] != ':') {
			return false;
		}
		const char *hh = v + 1, *mm = v + 4;
		int hr, mn;
		if (!getnum(&hh, true, &hr) || !getnum(&mm, true, &mn)) {
			return false;
		}
		if (hr > 24) {
			*rangeerr = "time zone offset hour";
		}
		if (mn > 60) {
			*rangeerr = "time zone offset minute";
		}
		if (v[0] != '+' && v[0] != '-') {
			return false;
		}
		p->offset = (v[0] == '-' ? -1 : 1) * (hr * 60 + mn) * 60;
		v += 6;
		break;
	}
	case StdEnd:
		throw("parseelem: no element");
	}
	*vp = v;
	return true;
}

// time.Parse(layout, value) for the RFC 3339 layouts: the elements in
// order, each literal prefix skipped, then the date checked and the
// offset taken out. NULL, and *t, on success; Go's message on failure.
const char *
time_parse(enum time_layout layout, const char *value, struct time_time *t)
{
	if (layout != RFC3339 && layout != RFC3339Nano) {
		gopanic("time: unknown layout");
	}
	const char *ls = layoutstr[layout];
	struct parsed p = {.month = 1, .day = 1};
	const char *v = value;
	for (const struct chunk *c = rfc3339chunks;; c++) {
		if (c->std == StdFracSecond9 && layout != RFC3339Nano) {
			continue;
		}
		size_t np = strlen(c->prefix);
		if (strncmp(v, c->prefix, np) != 0) {
			return parseerror(ls, value, c->prefix, v, NULL);
		}
		v += np;
		if (c->std == StdEnd) {
			if (*v != '\0') {
				struct strbuf sb = {0};
				sb_string(&sb, ": extra text: ");
				sb_quote(&sb, v, strlen(v));
				return parseerror(ls, value, "", v, sb.b);
			}
			break;
		}
		const char *hold = v, *rangeerr = NULL;
		bool nextfrac = c[1].std == StdFracSecond9 && layout == RFC3339Nano;
		bool ok = parseelem(c->std, nextfrac, &v, &p, &rangeerr);
		if (rangeerr != NULL) {
			struct strbuf sb = {0};
			sb_string(&sb, ": ");
			sb_string(&sb, rangeerr);
			return parseerror(ls, value, c->stdstr, v, sb_string(&sb, " out of range"));
		}
		if (!ok) {
			return parseerror(ls, value, c->stdstr, hold, NULL);
		}
	}
	if (p.day < 1 || p.day > daysin(p.month, p.year)) {
		return parseerror(ls, value, "", v, ": day out of range");
	}
	int64_t days = daysfromcivil(p.year, p.month, p.day);
	*t = (struct time_time){
		.sec = days * 86400 + p.hour * 3600 + p.min * 60 + p.sec - p.offset + UnixToInternal,
		.nsec = p.nsec,
		.offset = p.offset,
	};
	return NULL;
}
