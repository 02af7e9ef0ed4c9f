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
#include "lib/quote.h"

struct bootargs bootargs;

static bool kernelopt(const char *key, const char *val, size_t vlen, bool *on, char *err, size_t errlen);
static bool addenv(const char *word, size_t len, struct bootargs *a, char *err, size_t errlen);
static void checkknown(const char *word, size_t klen, struct bootargs *a);

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
			char q[QuoteLen];
			snprintf(err, errlen, "malformed word %s: want key=value",
				 quote_word(q, sizeof q, word, wlen));
			return false;
		}
		size_t klen = eq - word;
		if (klen == 4 && memcmp(word, "madt", 4) == 0) {
			bool on;
			if (!kernelopt("madt", eq + 1, wlen - klen - 1, &on, err, errlen)) {
				return false;
			}
			a->nomadt = !on;
			continue;
		}
		if (klen == 8 && memcmp(word, "boottime", 8) == 0) {
			if (!kernelopt("boottime", eq + 1, wlen - klen - 1, &a->boottime, err, errlen)) {
				return false;
			}
			continue;
		}
		if (!addenv(word, wlen, a, err, errlen)) {
			return false;
		}
		checkknown(a->env[a->nenv - 1], klen, a);
	}
}

// The kernel's own options, on or off, into *on. val is the word's rest,
// vlen bytes, not NUL-terminated.
static bool
kernelopt(const char *key, const char *val, size_t vlen, bool *on, char *err, size_t errlen)
{
	bool off = vlen == 3 && memcmp(val, "off", 3) == 0;
	if (!off && !(vlen == 2 && memcmp(val, "on", 2) == 0)) {
		char q[QuoteLen];
		snprintf(err, errlen, "bad value for %s: %s (want on or off)", key,
			 quote_word(q, sizeof q, val, vlen));
		return false;
	}
	*on = !off;
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
	// A line shorter than CMDLINE_LINEMAX always fits (cmdline.h); a
	// longer one from a caller other than kernel/main.c may not.
	if (a->nenv == CMDLINE_MAXENV || used + len + 1 > sizeof a->buf) {
		char q[QuoteLen];
		snprintf(err, errlen, "word %s does not fit: more than %d words or %d bytes",
			 quote_word(q, sizeof q, word, len), CMDLINE_MAXENV, CMDLINE_BUFLEN - 1);
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
// environment variables are) pass without comment. word is the
// environment's copy, its key klen bytes; a key is remembered once.
static void
checkknown(const char *word, size_t klen, struct bootargs *a)
{
	const char *key = word;
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
	for (int i = 0; i < a->nunknown; i++) {
		if (strncmp(a->unknown[i], key, klen) == 0 && a->unknown[i][klen] == '=') {
			return;
		}
	}
	a->unknown[a->nunknown++] = word;
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
