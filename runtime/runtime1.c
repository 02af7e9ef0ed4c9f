// runtime1.c: the runtime's knobs, read from the environment the port
// gives it (os_getenv), once, for both ports: Go's runtime1.go
// (parsedebugvars, parsegodebug, setTraceback), readGOGC and schedinit's
// GOMAXPROCS. On bare metal the environment is the boot command line's
// KEY=VALUE words (kernel/cmdline.h); on Linux it is the process's.
//
//	GOMAXPROCS=n      the number of Ps, 1 to 1024 (at most MaxGomaxprocs
//	                  are used); not set: the number of CPUs
//	GOGC=n|off        the GC's target percentage, 0 to 1000000, or off
//	GOTRACEBACK=none|single|all|system|crash   (Go's levels; 0, 1, 2 are
//	                  none, all, system, Go's historical synonyms)
//	GODEBUG=a=1,b=2   debug variables, Go's syntax; the runtime's own
//	                  (dbgvars[] below) take integers, others are kept
//	                  in the string for their future readers (gctrace)
//	HOOD_STACK=bytes  each goroutine's stack reservation, a multiple of
//	                  4096 from 16384 to 1 GiB (default 1 MiB; MinStackSize)
//
// A variable set to "" counts as not set, as in Go. Where Go quietly
// ignores a bad GOGC or GOMAXPROCS, hood refuses it with the same message
// on both ports and exit status 64 (sysexits' EX_USAGE): a typo on a boot
// line or in a shell is better caught than run with defaults.
//
//	runtime: bad value for GOMAXPROCS: "lots" (want an integer from 1 to 1024)
//
// This file is pure: it sees the environment only through the function
// parseknobs is given, so the host unit tests and the fuzz target build it
// as it is. The glue that reads the port's environment and stops a
// program with a bad knob, parsedebugvars, is in debug.c.
// See runtime.h for the overview.

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/quote.h"
#include "runtime/runtime.h"

// The least HOOD_STACK: a goroutine's stack must hold runtime_main and
// newlib's printf called from a goroutine, with, at its deepest point, a
// preemption's saved state, which asyncpreempt pushes on the goroutine's
// stack (every register and the XSAVE area: 832 bytes with AVX, 2.7 KiB
// with AVX-512) below the interrupt's frame. Measured on today's tree (issue 11): hello,
// spin and echo run at 8192 even with AVX, but 16384 keeps a page and more
// for that worst case and for newlib's deeper paths (%f's dtoa); at
// 16384 the test image's tests pass but those that descend their stacks
// on purpose (TestDeepRecursion, TestKernelWorkAtEveryStackDepth,
// TestStackFaultNotUnderVMLock, TestDeadGoroutineGivesStackBack).
enum { MinStackSize = 16384 };
static const long MaxStackSize = 1L << 30;

struct dbgvars debug;
struct knobs knobs;

// GODEBUG's variables that the runtime reads (Go's dbgvars). A new one is
// a line here and a field in struct dbgvars.
static const struct {
	const char *name;
	size_t off; // in struct dbgvars
} dbgvars[] = {
	{"schedtrace", offsetof(struct dbgvars, schedtrace)},
	{"scheddetail", offsetof(struct dbgvars, scheddetail)},
	{"scavenge", offsetof(struct dbgvars, scavenge)},
	{"gctrace", offsetof(struct dbgvars, gctrace)},
	{"gcstoptheworld", offsetof(struct dbgvars, gcstoptheworld)},
	{"gccheckmark", offsetof(struct dbgvars, gccheckmark)},
	{"forcegcperiod", offsetof(struct dbgvars, forcegcperiod)},
};

static const char *const tracebacks[] = {
	[TracebackNone] = "none",     [TracebackSingle] = "single", [TracebackAll] = "all",
	[TracebackSystem] = "system", [TracebackCrash] = "crash",
};

// Go's runtime GODEBUG names that hood accepts and does not read (Go
// 1.22's dbgvars less the ones above): godebug_check says so, rather than
// calling them unknown.
static const char *const goonly[] = {
	"adaptivestackstart",
	"asyncpreemptoff",
	"asynctimerchan",
	"cgocheck",
	"clobberfree",
	"disablethp",
	"dontfreezetheworld",
	"efence",
	"gcpacertrace",
	"gcshrinkstackoff",
	"harddecommit",
	"inittrace",
	"invalidptr",
	"madvdontneed",
	"panicnil",
	"profstackdepth",
	"runtimecontentionstacks",
	"sbrk",
	"scavtrace",
	"traceadvanceperiod",
	"traceallocfree",
	"tracebackancestors",
	"tracecheckstackownership",
	"tracefpunwindoff",
};

static bool parseint(const char *s, long min, long max, long *out);
static bool parseintn(const char *s, size_t n, long min, long max, long *out);
static bool parsegodebug(const char *val, struct dbgvars *d, char *err, size_t errlen);
static bool named(const char *p, size_t nlen, const char *name);

bool
parseknobs(const char *(*getenv)(const char *), struct knobs *k, struct dbgvars *d, char *err, size_t errlen)
{
	const char *v;
	long n;
	char q[QuoteLen]; // an error's quotation of v

	memset(k, 0, sizeof *k);
	memset(d, 0, sizeof *d);
	k->gcpercent = 100;
	k->traceback = TracebackSingle;

	if ((v = getenv("GOMAXPROCS")) != NULL && v[0] != '\0') {
		if (!parseint(v, 1, 1024, &n)) {
			snprintf(err, errlen, "bad value for GOMAXPROCS: %s (want an integer from 1 to 1024)",
				 quote_word(q, sizeof q, v, strlen(v)));
			return false;
		}
		k->gomaxprocs = n;
	}
	if ((v = getenv("GOGC")) != NULL && v[0] != '\0') {
		if (strcmp(v, "off") == 0) {
			k->gcpercent = -1;
		} else if (parseint(v, 0, 1000000, &n)) {
			k->gcpercent = n;
		} else {
			snprintf(err, errlen,
				 "bad value for GOGC: %s (want off or an integer from 0 to 1000000)",
				 quote_word(q, sizeof q, v, strlen(v)));
			return false;
		}
	}
	if ((v = getenv("GOTRACEBACK")) != NULL && v[0] != '\0') {
		int level = -1;
		for (int i = 0; i < (int)(sizeof tracebacks / sizeof tracebacks[0]); i++) {
			if (strcmp(v, tracebacks[i]) == 0) {
				level = i;
			}
		}
		// Go's historical synonyms: 0, 1 and 2 are none, all and system.
		static const int numbered[] = {TracebackNone, TracebackAll, TracebackSystem};
		if (level < 0 && v[0] >= '0' && v[0] <= '2' && v[1] == '\0') {
			level = numbered[v[0] - '0'];
		}
		if (level < 0) {
			snprintf(err, errlen,
				 "bad value for GOTRACEBACK: %s (want none, single, all, system, crash, "
				 "or 0, 1, 2)",
				 quote_word(q, sizeof q, v, strlen(v)));
			return false;
		}
		k->traceback = level;
	}
	if ((v = getenv("HOOD_STACK")) != NULL && v[0] != '\0') {
		if (!parseint(v, MinStackSize, MaxStackSize, &n) || n % PhysPageSize != 0) {
			snprintf(err, errlen,
				 "bad value for HOOD_STACK: %s (want a multiple of 4096 from %d to %ld)",
				 quote_word(q, sizeof q, v, strlen(v)), MinStackSize, MaxStackSize);
			return false;
		}
		k->stacksize = n;
	}
	if ((v = getenv("GODEBUG")) != NULL && v[0] != '\0') {
		return parsegodebug(v, d, err, errlen);
	}
	return true;
}

// GODEBUG=name=value,name=value: left to right, a later setting of a name
// overriding an earlier one; fields without "=" (and empty ones) and names
// the runtime does not read are skipped, as Go's parsegodebug does. Where
// Go ignores a malformed value of its own variable, hood refuses it.
static bool
parsegodebug(const char *val, struct dbgvars *d, char *err, size_t errlen)
{
	for (const char *p = val;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - p) : 0;
		for (size_t i = 0; eq != NULL && i < sizeof dbgvars / sizeof dbgvars[0]; i++) {
			if (!named(p, nlen, dbgvars[i].name)) {
				continue;
			}
			// The value in place: any length of digits is read whole.
			long n;
			if (!parseintn(eq + 1, len - nlen - 1, 0, INT32_MAX, &n)) {
				char q[QuoteLen];
				snprintf(err, errlen,
					 "bad value for GODEBUG: %s (want %s=an integer from 0 to "
					 "2147483647)",
					 quote_word(q, sizeof q, p, len), dbgvars[i].name);
				return false;
			}
			*(int32_t *)((char *)d + dbgvars[i].off) = n;
		}
		if (comma == NULL) {
			return true;
		}
		p = comma + 1;
	}
}

// A decimal integer in [min, max], the whole string and nothing else.
static bool
parseint(const char *s, long min, long max, long *out)
{
	char *end;
	if (*s < '0' || *s > '9') {
		if (*s != '-') {
			return false; // no blank, no +
		}
	}
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		return false;
	}
	*out = n;
	return true;
}

// A decimal integer in [min, max] in the n bytes at s, nothing else.
// Leading zeros are allowed, so no length is too long for a valid value.
static bool
parseintn(const char *s, size_t n, long min, long max, long *out)
{
	if (n == 0) {
		return false;
	}
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		if (v > (max - (s[i] - '0')) / 10) {
			return false; // over max, and no overflow on the way
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v < min) {
		return false;
	}
	*out = v;
	return true;
}

// Whether the nlen bytes at p are name.
static bool
named(const char *p, size_t nlen, const char *name)
{
	return strlen(name) == nlen && memcmp(p, name, nlen) == 0;
}

void
godebug_check(const char *val, void (*warn)(const char *msg))
{
	char msg[QuoteLen + 60];
	char q[QuoteLen];
	for (const char *p = val; p != NULL && *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - p) : len;
		// Once per name: skip a name an earlier part had.
		bool seen = false;
		for (const char *e = val; e < p && !seen;) {
			size_t elen = strcspn(e, ",");
			const char *eeq = memchr(e, '=', elen);
			size_t enlen = eeq != NULL ? (size_t)(eeq - e) : elen;
			seen = enlen == nlen && memcmp(e, p, nlen) == 0 && (eq != NULL) == (eeq != NULL);
			e += elen + 1;
		}
		bool known = false;
		for (size_t i = 0; i < sizeof dbgvars / sizeof dbgvars[0]; i++) {
			known = known || named(p, nlen, dbgvars[i].name);
		}
		bool goname = false;
		for (size_t i = 0; i < sizeof goonly / sizeof goonly[0]; i++) {
			goname = goname || named(p, nlen, goonly[i]);
		}
		if (len == 0 || seen) {
			// An empty part (a,,b or a trailing comma): Go skips it too.
		} else if (eq == NULL || nlen == 0) {
			snprintf(msg, sizeof msg, "malformed GODEBUG setting %s ignored (want name=value)",
				 quote_word(q, sizeof q, p, len));
			warn(msg);
		} else if (goname) {
			snprintf(msg, sizeof msg, "GODEBUG setting %s is Go's, but hood does not read it",
				 quote_word(q, sizeof q, p, nlen));
			warn(msg);
		} else if (!known) {
			snprintf(msg, sizeof msg, "unknown GODEBUG setting %s",
				 quote_word(q, sizeof q, p, nlen));
			warn(msg);
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
}
