// cmdline.c: see cmdline.h.
//
// The parser knows nothing of the machine: it reads a string and fills a
// struct bootargs, or explains in err why it cannot. Values are checked as
// strictly as Go's runtime would want them, but where Go silently ignores a
// bad GOGC or GOMAXPROCS we refuse it: a typo on a boot line is better
// caught than run with defaults.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

struct bootargs bootargs;

static bool parsekv(const char *key, const char *val, struct bootargs *a, char *err, size_t errlen);
static bool parseint(const char *s, long min, long max, long *out);
static bool parsegodebug(const char *val, struct bootargs *a, char *err, size_t errlen);

bool
cmdline_parse(const char *line, struct bootargs *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->gogc = 100;

	const char *p = line;
	bool first = true;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
		}
		if (*p == '\0') {
			return true;
		}
		const char *word = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
			p++;
		}
		size_t wlen = p - word;
		// Some loaders pass the kernel's own path first.
		if (first && word[0] == '/') {
			first = false;
			continue;
		}
		first = false;

		const char *eq = memchr(word, '=', wlen);
		if (eq == NULL || eq == word) {
			snprintf(err, errlen, "malformed word \"%.*s\": want key=value", (int)wlen, word);
			return false;
		}
		char key[CMDLINE_NAMELEN], val[CMDLINE_VALUELEN];
		size_t klen = eq - word, vlen = wlen - klen - 1;
		if (klen >= sizeof key || vlen >= sizeof val) {
			snprintf(err, errlen, "word \"%.*s...\" is too long", 40, word);
			return false;
		}
		memcpy(key, word, klen);
		key[klen] = '\0';
		memcpy(val, eq + 1, vlen);
		val[vlen] = '\0';
		if (!parsekv(key, val, a, err, errlen)) {
			return false;
		}
	}
}

static bool
parsekv(const char *key, const char *val, struct bootargs *a, char *err, size_t errlen)
{
	long n;

	if (strcmp(key, "GOMAXPROCS") == 0) {
		if (!parseint(val, 1, 1024, &n)) {
			snprintf(err, errlen,
				 "bad value for GOMAXPROCS: \"%s\" (want an integer from 1 to 1024)", val);
			return false;
		}
		a->gomaxprocs = n;
	} else if (strcmp(key, "GOGC") == 0) {
		if (strcmp(val, "off") == 0) {
			a->gogc = -1;
		} else if (parseint(val, 0, 1000000, &n)) {
			a->gogc = n;
		} else {
			snprintf(err, errlen,
				 "bad value for GOGC: \"%s\" (want off or an integer from 0 to 1000000)",
				 val);
			return false;
		}
	} else if (strcmp(key, "GOTRACEBACK") == 0) {
		static const char *const levels[] = {"none", "single", "all", "system", "crash"};
		bool ok = false;
		for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
			ok |= strcmp(val, levels[i]) == 0;
		}
		if (!ok || strlen(val) >= sizeof a->gotraceback) {
			snprintf(
				err, errlen,
				"bad value for GOTRACEBACK: \"%s\" (want none, single, all, system or crash)",
				val);
			return false;
		}
		strcpy(a->gotraceback, val);
	} else if (strcmp(key, "GODEBUG") == 0) {
		return parsegodebug(val, a, err, errlen);
	} else if (strcmp(key, "test") == 0 || strcmp(key, "bench") == 0) {
		if (val[0] == '\0') {
			snprintf(err, errlen,
				 "bad value for %s: \"\" (want all, a list of names, or Prefix*)", key);
			return false;
		}
		strcpy(strcmp(key, "test") == 0 ? a->test : a->bench, val);
	} else if (strcmp(key, "stack") == 0) {
		if (!parseint(val, 8192, 1L << 30, &n) || n % 4096 != 0) {
			snprintf(err, errlen,
				 "bad value for stack: \"%s\" (want a multiple of 4096 from 8192 to "
				 "1073741824)",
				 val);
			return false;
		}
		a->stacksize = n;
	} else if (strcmp(key, "madt") == 0 || strcmp(key, "short") == 0) {
		if (strcmp(val, "off") != 0 && strcmp(val, "on") != 0) {
			snprintf(err, errlen, "bad value for %s: \"%s\" (want on or off)", key, val);
			return false;
		}
		if (key[0] == 'm') {
			a->nomadt = strcmp(val, "off") == 0;
		} else {
			a->testshort = strcmp(val, "on") == 0;
		}
	} else if (a->nunknown < CMDLINE_MAXUNKNOWN) {
		strcpy(a->unknown[a->nunknown++], key);
	}
	return true;
}

// GODEBUG=name=value,name=value: each name non-empty, each value non-empty.
static bool
parsegodebug(const char *val, struct bootargs *a, char *err, size_t errlen)
{
	const char *p = val;
	while (*p != '\0') {
		const char *item = p;
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(item, '=', len);
		size_t nlen = eq ? (size_t)(eq - item) : 0;
		size_t vlen = eq ? len - nlen - 1 : 0;
		if (eq == NULL || nlen == 0 || vlen == 0 || nlen >= CMDLINE_NAMELEN ||
		    vlen >= CMDLINE_NAMELEN) {
			snprintf(err, errlen,
				 "bad value for GODEBUG: \"%s\" (want name=value[,name=value...])", val);
			return false;
		}
		if (a->ngodebug == CMDLINE_MAXDEBUG) {
			snprintf(err, errlen, "bad value for GODEBUG: more than %d variables",
				 CMDLINE_MAXDEBUG);
			return false;
		}
		struct debugvar *d = &a->godebug[a->ngodebug++];
		memcpy(d->name, item, nlen);
		d->name[nlen] = '\0';
		memcpy(d->value, eq + 1, vlen);
		d->value[vlen] = '\0';
		p = comma ? comma + 1 : item + len;
		if (comma && *p == '\0') {
			snprintf(err, errlen, "bad value for GODEBUG: \"%s\" (trailing comma)", val);
			return false;
		}
	}
	return true;
}

// A decimal integer in [min, max], the whole string and nothing else.
static bool
parseint(const char *s, long min, long max, long *out)
{
	char *end;
	if (*s == '\0' || *s == ' ' || *s == '+') {
		return false;
	}
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		return false;
	}
	*out = n;
	return true;
}

// The value of GODEBUG variable name, or NULL. A later setting of the same
// name wins, as in Go.
const char *
godebug_lookup(const char *name)
{
	for (int i = bootargs.ngodebug - 1; i >= 0; i--) {
		if (strcmp(bootargs.godebug[i].name, name) == 0) {
			return bootargs.godebug[i].value;
		}
	}
	return NULL;
}
