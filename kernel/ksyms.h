// ksyms.h: the symbol and line tables linked into the image, so fault
// reports name functions and source lines without a debugger. The Makefile
// links every image twice ("Two-pass link"): the first time with empty
// tables, then scripts/mksyms reads the first image's symbols (nm) and line
// numbers (the DWARF line program, through objdump) and writes them as C,
// and the second link puts them in .ksyms, which linker.ld places last so
// that nothing else moves.
#pragma once

#include <stdbool.h>
#include <stdint.h>

// Addresses are 32 bits wide: the image lies below 4 GiB (linker.ld). Both
// kinds of entry begin with their address, which ksyms.c relies on.
struct ksym {
	uint32_t addr;
	uint32_t size; // 0 when unknown (assembly labels)
	uint32_t name; // offset in the names blob
};

// One row of the line table: code from addr up to the next row's addr comes
// from file:line.
struct kline {
	uint32_t addr;
	uint16_t file; // index in the file table
	uint16_t line;
};

struct ksymtab {
	const struct ksym *syms; // sorted by addr
	uint32_t nsyms;
	const char *names;
	const struct kline *lines; // sorted by addr
	uint32_t nlines;
	const uint32_t *files; // offsets in names
	uint32_t nfiles;
};

#define KSYMS_SECTION __attribute__((section(".ksyms"), used))

extern const struct ksymtab ksymtab; // the image's tables (generated)

const char *ksymtab_lookup(const struct ksymtab *t, uint64_t pc, uint64_t *off);
bool ksymtab_line(const struct ksymtab *t, uint64_t pc, const char **file, int *line);
