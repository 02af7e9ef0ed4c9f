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
//	boottime=on|off   on: print the time each boot step took (kernel/main.c)
//
// A word that is not key=value (or has an empty key), or a bad value of a
// kernel option, stops the boot with EXIT_USAGE and a message that names
// the word. Keys follow the convention of Linux's command line: lowercase
// words are boot options, UPPERCASE ones environment variables. A
// lowercase key that is neither the kernel's nor one of the images'
// selectors is warned about (unknown[], once per key), and still passed on.
//
// Limits: a line of up to CMDLINE_LINEMAX - 1 bytes is taken whole, however
// many words it has (CMDLINE_MAXENV is as many as fit); a longer one is
// refused where it is copied (kernel/main.c), never cut. The messages
// quote what the user typed as lib/quote.h does: unprintable bytes
// escaped, and a long word's first QuoteMax bytes followed by "...".
// cmdline_parse is pure (host-tested, fuzzed); kernel/main.c applies it to
// bootinfo.cmdline.
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
	// Bytes of command line, with its NUL. Neither loader has a small limit
	// (a multiboot2 tag, QEMU's fw_cfg string for PVH); 8 KiB is four times
	// Linux's x86 COMMAND_LINE_SIZE and twice QEMU's own buffer for a
	// Linux kernel's line.
	CMDLINE_LINEMAX = 8192,
	// A word is at least "k=" and a blank: every word of a line that fits.
	CMDLINE_MAXENV = CMDLINE_LINEMAX / 3 + 1,
	CMDLINE_BUFLEN = CMDLINE_LINEMAX, // bytes of environment, NULs included
};

struct bootargs {
	bool nomadt;                         // madt=off
	bool boottime;                       // boottime=on
	const char *env[CMDLINE_MAXENV + 1]; // "KEY=VALUE", into buf; NULL-terminated
	int nenv;
	// Words of env whose lowercase key no one knows, the first of each key.
	const char *unknown[CMDLINE_MAXENV];
	int nunknown;
	char buf[CMDLINE_BUFLEN]; // the environment's words
};

extern struct bootargs bootargs;

bool cmdline_parse(const char *line, struct bootargs *a, char *err, size_t errlen);
// The value of environment variable name in a (the last setting of a key
// wins, as a later word on the line overrides an earlier one), or NULL.
// Allocates nothing, takes no lock: callable from anywhere.
const char *cmdline_getenv(const struct bootargs *a, const char *name);
