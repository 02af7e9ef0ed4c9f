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
//	                  4096 from 8192 to 1 GiB (default 1 MiB)
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

#include "runtime/runtime.h"

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
};

static const char *const tracebacks[] = {
	[TracebackNone] = "none",     [TracebackSingle] = "single", [TracebackAll] = "all",
	[TracebackSystem] = "system", [TracebackCrash] = "crash",
};

static bool parseint(const char *s, long min, long max, long *out);
static bool parsegodebug(const char *val, struct dbgvars *d, char *err, size_t errlen);

bool
parseknobs(const char *(*getenv)(const char *), struct knobs *k, struct dbgvars *d, char *err, size_t errlen)
{
	const char *v;
	long n;

	memset(k, 0, sizeof *k);
	memset(d, 0, sizeof *d);
	k->gcpercent = 100;
	k->traceback = TracebackSingle;

	if ((v = getenv("GOMAXPROCS")) != NULL && v[0] != '\0') {
		if (!parseint(v, 1, 1024, &n)) {
			snprintf(err, errlen,
				 "bad value for GOMAXPROCS: \"%s\" (want an integer from 1 to 1024)", v);
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
				 "bad value for GOGC: \"%s\" (want off or an integer from 0 to 1000000)", v);
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
				 "bad value for GOTRACEBACK: \"%s\" (want none, single, all, system, crash, "
				 "or 0, 1, 2)",
				 v);
			return false;
		}
		k->traceback = level;
	}
	if ((v = getenv("HOOD_STACK")) != NULL && v[0] != '\0') {
		if (!parseint(v, 8192, 1L << 30, &n) || n % PhysPageSize != 0) {
			snprintf(err, errlen,
				 "bad value for HOOD_STACK: \"%s\" (want a multiple of 4096 from 8192 to "
				 "1073741824)",
				 v);
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
			if (strlen(dbgvars[i].name) != nlen || memcmp(p, dbgvars[i].name, nlen) != 0) {
				continue;
			}
			char num[24];
			long n;
			size_t vlen = len - nlen - 1;
			snprintf(num, sizeof num, "%.*s", (int)vlen, eq + 1);
			if (vlen >= sizeof num || !parseint(num, 0, INT32_MAX, &n)) {
				snprintf(err, errlen,
					 "bad value for GODEBUG: \"%s\" (want %s=an integer from 0 to "
					 "2147483647)",
					 val, dbgvars[i].name);
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
