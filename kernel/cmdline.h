// cmdline.h: the boot command line. Words are separated by spaces; each is
// key=value. The keys (documented in docs/boot.md):
//
//	GOMAXPROCS=n      number of Ps, n >= 1 (default: the number of CPUs)
//	GOGC=n|off        GC target percentage, n >= 0, or off
//	GODEBUG=a=1,b=2   runtime debug variables, as Go's
//	GOTRACEBACK=none|single|all|system|crash
//	test=sel          run guest tests: all, TestA,TestB, or Prefix*
//	short=on          the tests' short mode (Go's -short): long ones shorter
//	madt=off          ignore ACPI's MADT: one CPU, no I/O APIC
//	bench=sel         run benchmarks (the benchmark image): as test=
//	stack=bytes       each goroutine's stack reservation (default 1 MiB):
//	                  a multiple of 4096, from 8192 to 1 GiB
//
// An unknown key is kept in unknown[] and warned about; a malformed value
// stops the boot with EXIT_USAGE and a message that names the key and the
// value. cmdline_parse is pure (host-tested, and fuzzed later); cmdline_init
// applies it to bootinfo.cmdline.
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
	CMDLINE_MAXDEBUG = 32,  // GODEBUG variables kept
	CMDLINE_MAXUNKNOWN = 8, // unknown keys remembered for warnings
	CMDLINE_NAMELEN = 32,
	CMDLINE_VALUELEN = 256,
};

struct debugvar {
	char name[CMDLINE_NAMELEN];
	char value[CMDLINE_NAMELEN];
};

struct bootargs {
	int gomaxprocs;                    // 0: not given
	int gogc;                          // -1: off; 100 when not given
	char gotraceback[CMDLINE_NAMELEN]; // "" when not given
	struct debugvar godebug[CMDLINE_MAXDEBUG];
	int ngodebug;
	char test[CMDLINE_VALUELEN];  // "" when not given
	bool nomadt;                  // madt=off
	bool testshort;               // short=on
	char bench[CMDLINE_VALUELEN]; // "" when not given
	long stacksize;               // stack=; 0 when not given
	char unknown[CMDLINE_MAXUNKNOWN][CMDLINE_NAMELEN];
	int nunknown;
};

extern struct bootargs bootargs;

bool cmdline_parse(const char *line, struct bootargs *a, char *err, size_t errlen);
const char *godebug_lookup(const char *name);
