// ksyms.c: looking up the tables described in ksyms.h. Both lookups are a
// binary search for the last entry at or below pc (countatorbelow). The table functions are
// pure (host-tested); ksym_lookup and kline_lookup use the image's own.

#include <stddef.h>

#include "kernel.h"
#include "ksyms.h"

// How many entries of a table sorted by address are at or below pc. The
// entries are stride bytes apart and each begins with its uint32_t address.
static uint32_t
countatorbelow(const void *table, uint32_t n, size_t stride, uint64_t pc)
{
	uint32_t lo = 0, hi = n; // the answer is in [lo, hi]
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (*(const uint32_t *)((const char *)table + mid * stride) <= pc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

// The name of the function containing pc, and pc's offset in it; NULL if
// pc is before the first symbol or past the end of the one before it.
const char *
ksymtab_lookup(const struct ksymtab *t, uint64_t pc, uint64_t *off)
{
	uint32_t lo = countatorbelow(t->syms, t->nsyms, sizeof t->syms[0], pc);
	if (lo == 0) {
		return NULL;
	}
	const struct ksym *s = &t->syms[lo - 1];
	if (s->size != 0 && pc >= s->addr + s->size) {
		return NULL;
	}
	*off = pc - s->addr;
	return t->names + s->name;
}

bool
ksymtab_line(const struct ksymtab *t, uint64_t pc, const char **file, int *line)
{
	uint32_t lo = countatorbelow(t->lines, t->nlines, sizeof t->lines[0], pc);
	// Row 0 and a row with line 0 (the end of a sequence) name no line.
	if (lo == 0 || t->lines[lo - 1].line == 0 || t->lines[lo - 1].file >= t->nfiles) {
		return false;
	}
	*file = t->names + t->files[t->lines[lo - 1].file];
	*line = t->lines[lo - 1].line;
	return true;
}

const char *
ksym_lookup(uint64_t pc, uint64_t *off)
{
	return ksymtab_lookup(&ksymtab, pc, off);
}

bool
kline_lookup(uint64_t pc, const char **file, int *line)
{
	return ksymtab_line(&ksymtab, pc, file, line);
}
