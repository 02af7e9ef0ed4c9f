// cmdline.c: see cmdline.h.
//
// The parser knows nothing of the machine: it reads a string and fills a
// struct bootargs, or explains in err why it cannot. It knows the
// runtime's knobs not at all: their values are checked, with the same
// messages on both ports, by runtime/runtime1.c, which reads them from the
// environment built here.

#include <stdio.h>
#include <string.h>

#include "cmdline.h"

struct bootargs bootargs;

static bool kernelopt(const char *key, const char *val, struct bootargs *a, char *err, size_t errlen);
static bool addenv(const char *word, size_t len, struct bootargs *a, char *err, size_t errlen);
static void checkknown(const char *key, size_t klen, struct bootargs *a);

bool
cmdline_parse(const char *line, struct bootargs *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);

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
		size_t klen = eq - word;
		if (klen == 4 && memcmp(word, "madt", 4) == 0) {
			char val[8];
			size_t vlen = wlen - klen - 1;
			snprintf(val, sizeof val, "%.*s", (int)vlen, eq + 1);
			if (vlen >= sizeof val) {
				val[0] = '?'; // too long to be on or off
			}
			if (!kernelopt("madt", val, a, err, errlen)) {
				return false;
			}
			continue;
		}
		if (!addenv(word, wlen, a, err, errlen)) {
			return false;
		}
		checkknown(word, klen, a);
	}
}

// The kernel's own options.
static bool
kernelopt(const char *key, const char *val, struct bootargs *a, char *err, size_t errlen)
{
	if (strcmp(val, "off") != 0 && strcmp(val, "on") != 0) {
		snprintf(err, errlen, "bad value for %s: \"%s\" (want on or off)", key, val);
		return false;
	}
	a->nomadt = strcmp(val, "off") == 0;
	return true;
}

// The word, NUL-terminated, into the environment.
static bool
addenv(const char *word, size_t len, struct bootargs *a, char *err, size_t errlen)
{
	size_t used = 0;
	if (a->nenv > 0) {
		const char *last = a->env[a->nenv - 1];
		used = last - a->buf + strlen(last) + 1;
	}
	if (a->nenv == CMDLINE_MAXENV || used + len + 1 > sizeof a->buf) {
		snprintf(err, errlen, "word \"%.*s...\" does not fit: more than %d words or %d bytes",
			 (int)(len < 40 ? len : 40), word, CMDLINE_MAXENV, CMDLINE_BUFLEN);
		return false;
	}
	memcpy(a->buf + used, word, len);
	a->buf[used + len] = '\0';
	a->env[a->nenv++] = a->buf + used;
	a->env[a->nenv] = NULL;
	return true;
}

// Lowercase keys are boot options; only the images' selectors are known
// beyond the kernel's own. UPPERCASE keys (and any with a digit or _, as
// environment variables are) pass without comment.
static void
checkknown(const char *key, size_t klen, struct bootargs *a)
{
	static const char *const selectors[] = {"test", "short", "bench"};
	for (size_t i = 0; i < klen; i++) {
		if (key[i] < 'a' || key[i] > 'z') {
			return;
		}
	}
	for (size_t i = 0; i < sizeof selectors / sizeof selectors[0]; i++) {
		if (strlen(selectors[i]) == klen && memcmp(key, selectors[i], klen) == 0) {
			return;
		}
	}
	if (a->nunknown < CMDLINE_MAXUNKNOWN) {
		snprintf(a->unknown[a->nunknown++], CMDLINE_NAMELEN, "%.*s", (int)klen, key);
	}
}

const char *
cmdline_getenv(const struct bootargs *a, const char *name)
{
	size_t n = strlen(name);
	for (int i = a->nenv - 1; i >= 0; i--) {
		if (strncmp(a->env[i], name, n) == 0 && a->env[i][n] == '=') {
			return a->env[i] + n + 1;
		}
	}
	return NULL;
}
