// ksyms_test.c: symbol and line lookup (kernel/ksyms.c) over a small table.

#include <string.h>

#include "kernel/kernel.h"
#include "kernel/ksyms.h"
#include "tests/testing.h"

static const struct ksym syms[] = {
	{0x1000, 0x10, 0},  // alpha: 0x1000-0x1010
	{0x1020, 0, 6},     // beta: an assembly label, size unknown
	{0x1040, 0x20, 11}, // gamma
};
static const char names[] = "alpha\0beta\0gamma\0a.c\0b.c";
static const struct kline lines[] = {
	{0x1000, 0, 10}, {0x1008, 0, 11}, {0x1020, 1, 5}, {0x1030, 0, 0}, // end of a sequence
	{0x1040, 1, 7},
};
static const uint32_t files[] = {17, 21};
static const struct ksymtab tab = {syms, 3, names, lines, 5, files, 2};

// ksyms.c's wrappers read the image's table; the host has this one.
const struct ksymtab ksymtab = {syms, 3, names, lines, 5, files, 2};

TEST(TestKsymLookup)
{
	static const struct {
		uint64_t pc;
		const char *name; // NULL: no symbol
		uint64_t off;
	} cases[] = {
		{0x0fff, NULL, 0},    {0x1000, "alpha", 0}, {0x100f, "alpha", 0xf},
		{0x1010, NULL, 0},    {0x1020, "beta", 0},  {0x103f, "beta", 0x1f},
		{0x1045, "gamma", 5}, {0x1060, NULL, 0},    {0x100000000ULL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t off = 0;
		const char *name = ksymtab_lookup(&tab, cases[i].pc, &off);
		if ((name == NULL) != (cases[i].name == NULL) ||
		    (name != NULL && (strcmp(name, cases[i].name) != 0 || off != cases[i].off))) {
			t_errorf(t, "lookup(0x%lx) = %s+0x%lx, want %s+0x%lx", (unsigned long)cases[i].pc,
				 name ? name : "NULL", (unsigned long)off,
				 cases[i].name ? cases[i].name : "NULL", (unsigned long)cases[i].off);
		}
	}
	uint64_t off;
	if (ksym_lookup(0x1041, &off) == NULL || off != 1) {
		t_errorf(t, "ksym_lookup does not use the image's table");
	}
}

TEST(TestKsymEmptyTable)
{
	struct ksymtab empty = {syms, 0, names, lines, 0, files, 0};
	uint64_t off;
	const char *file;
	int line;
	if (ksymtab_lookup(&empty, 0x1000, &off) != NULL || ksymtab_line(&empty, 0x1000, &file, &line)) {
		t_errorf(t, "an empty table found something");
	}
}

TEST(TestKlineLookup)
{
	static const struct {
		uint64_t pc;
		const char *file; // NULL: no line
		int line;
	} cases[] = {
		{0x0fff, NULL, 0},  {0x1000, "a.c", 10}, {0x1007, "a.c", 10}, {0x1008, "a.c", 11},
		{0x1025, "b.c", 5}, {0x1030, NULL, 0},   {0x1050, "b.c", 7},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *file = NULL;
		int line = 0;
		bool ok = ksymtab_line(&tab, cases[i].pc, &file, &line);
		if (ok != (cases[i].file != NULL) ||
		    (ok && (strcmp(file, cases[i].file) != 0 || line != cases[i].line))) {
			t_errorf(t, "line(0x%lx) = %s:%d, want %s:%d", (unsigned long)cases[i].pc,
				 ok ? file : "none", line, cases[i].file ? cases[i].file : "none",
				 cases[i].line);
		}
	}
}
