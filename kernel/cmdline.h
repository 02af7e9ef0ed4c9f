// cmdline.h: the boot command line. Words are separated by blanks; each is
// key=value. As Linux's kernel does with its command line, the kernel
// keeps the options that are the machine's and hands every other word to
// the program as its environment (Linux passes them to init): the Go
// runtime reads its knobs from there (GOMAXPROCS, GOGC, GOTRACEBACK,
// GODEBUG, HOOD_STACK: runtime/runtime1.c, with their errors), and the
// test and benchmark images their selectors (test=, short=, bench=).
// The keys are documented in docs/boot.md.
//
// The kernel's own options, not passed on:
//
//	madt=on|off       off: ignore ACPI's MADT: one CPU, no I/O APIC
//
// A word that is not key=value (or has an empty key), or a bad value of a
// kernel option, stops the boot with EXIT_USAGE and a message that names
// the word. Keys follow the convention of Linux's command line: lowercase
// words are boot options, UPPERCASE ones environment variables. A
// lowercase key that is neither the kernel's nor one of the images'
// selectors is warned about (unknown[]), and still passed on.
// cmdline_parse is pure (host-tested, fuzzed); kernel/main.c applies it to
// bootinfo.cmdline.
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
	CMDLINE_MAXENV = 64,    // environment words kept
	CMDLINE_MAXUNKNOWN = 8, // unknown keys remembered for warnings
	CMDLINE_NAMELEN = 32,
	CMDLINE_BUFLEN = 1024, // bytes of environment, NULs included
};

struct bootargs {
	bool nomadt;                         // madt=off
	const char *env[CMDLINE_MAXENV + 1]; // "KEY=VALUE", into buf; NULL-terminated
	int nenv;
	char unknown[CMDLINE_MAXUNKNOWN][CMDLINE_NAMELEN];
	int nunknown;
	char buf[CMDLINE_BUFLEN]; // the environment's words
};

extern struct bootargs bootargs;

bool cmdline_parse(const char *line, struct bootargs *a, char *err, size_t errlen);
// The value of environment variable name in a (the last setting of a key
// wins, as a later word on the line overrides an earlier one), or NULL.
// Allocates nothing, takes no lock: callable from anywhere.
const char *cmdline_getenv(const struct bootargs *a, const char *name);
