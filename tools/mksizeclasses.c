// mksizeclasses.c: generates the allocator's size-class tables, as Go's
// mksizeclasses.go does for sizeclasses.go. The build runs it and writes
// $(B)/gen/sizeclasses.h (runtime/malloc.h includes it); nothing it makes
// is kept in git. A host program, built with the host's compiler:
//
//	mksizeclasses [-pageshift N] [-maxsmall BYTES] > sizeclasses.h
//
// The defaults are Go's (8 KiB pages, 32 KiB the largest small object),
// which give Go's 67 classes of go1.5 to go1.18 (class 0 is "large"). To
// try other tables, set SIZECLASSES_FLAGS on make's command line (make
// SIZECLASSES_FLAGS='-pageshift 12'); tests/unit/sizeclasses_test.c checks
// the properties any table must have, and Go's exact table for the
// defaults.
//
// The algorithm, Go's:
//  1. Sizes grow by an alignment that itself grows with the size: 8 up to
//     16, then 16 (what SSE needs, and what malloc promises), then size/8
//     from 128 and 256 from 2048, changed at each power of two.
//  2. Each size gets the fewest pages that waste at most 1/8 of the span
//     in the tail.
//  3. A size that gets as many pages and objects as the one before it
//     replaces it: the bigger one wastes less of the same span.
//  4. Each class then grows to the largest size that fits the same number
//     of objects in its pages, a multiple of LargeSizeDiv so that
//     size_to_class128 still finds it; classes that grew into the same
//     size are one (with 4 KiB pages, 1408 and 1536 do).
// Then the lookup tables: size_to_class8 for sizes up to SmallSizeMax in
// steps of 8, size_to_class128 above it in steps of 128, and for each class
// the magic number that divides an offset in a span by the object size
// with a multiply and a shift: (off * divmagic) >> 32 (Go's divMul; exact
// for every offset below the span's size, which main checks).

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SmallSizeDiv = 8,
	SmallSizeMax = 1024,
	LargeSizeDiv = 128,
	MaxClasses = 256,
};

struct class {
	int size;   // bytes per object
	int npages; // pages per span
};

static struct class classes[MaxClasses];
static int nclasses;
static int pageshift = 13;
static int maxsmall = 32768;

static void makeclasses(void);
static void check(void);
static void print(void);
static int powerof2(int x);

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "mksizeclasses: %s needs a value\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "-pageshift") == 0) {
			pageshift = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "-maxsmall") == 0) {
			maxsmall = atoi(argv[i + 1]);
		} else {
			fprintf(stderr, "usage: mksizeclasses [-pageshift N] [-maxsmall BYTES]\n");
			return 2;
		}
	}
	if (pageshift < 12 || pageshift > 16 || maxsmall < 2 * SmallSizeMax || maxsmall > 32768 ||
	    !powerof2(maxsmall)) {
		fprintf(stderr, "mksizeclasses: want 12 <= pageshift <= 16 and maxsmall a power of two "
				"from %d to 32768 (class_to_size is 16 bits)\n",
			2 * SmallSizeMax);
		return 2;
	}
	makeclasses();
	check();
	print();
	return 0;
}

static int
powerof2(int x)
{
	return x > 0 && (x & (x - 1)) == 0;
}

static void
makeclasses(void)
{
	int pagesize = 1 << pageshift;
	nclasses = 1; // class 0: large objects
	int align = 8;
	for (int size = align; size <= maxsmall; size += align) {
		if (powerof2(size)) {
			if (size >= 2048) {
				align = 256;
			} else if (size >= 128) {
				align = size / 8;
			} else if (size >= 16) {
				align = 16;
			}
		}
		int allocsize = pagesize;
		while (allocsize % size > allocsize / 8) {
			allocsize += pagesize;
		}
		int npages = allocsize / pagesize;
		struct class *prev = &classes[nclasses - 1];
		if (nclasses > 1 && npages == prev->npages && allocsize / size == allocsize / prev->size) {
			prev->size = size;
			continue;
		}
		if (nclasses == MaxClasses) {
			fprintf(stderr, "mksizeclasses: more than %d classes\n", MaxClasses);
			exit(1);
		}
		classes[nclasses++] = (struct class){size, npages};
	}
	int n = 1;
	for (int i = 1; i < nclasses; i++) {
		struct class c = classes[i];
		int psize = c.npages * pagesize;
		int bigger = (psize / (psize / c.size)) & ~(LargeSizeDiv - 1);
		if (bigger > c.size) {
			c.size = bigger;
		}
		if (n > 1 && classes[n - 1].size == c.size) {
			n--;
		}
		classes[n++] = c;
	}
	nclasses = n;
}

static uint32_t
divmagic(int size)
{
	return (uint32_t)(UINT32_MAX / (uint32_t)size + 1);
}

// What every table must give: sizes strictly increasing, 16-byte aligned
// from 16 on, at most MaxObjsPerSpan (a page's worth of 8-byte objects, as
// Go's maxObjsPerSpan) objects a span, and an exact division for every
// offset in the span.
static void
check(void)
{
	int pagesize = 1 << pageshift;
	int maxobjs = pagesize / 8;
	for (int i = 1; i < nclasses; i++) {
		struct class *c = &classes[i];
		int span = c->npages * pagesize;
		if (i > 1 && c->size <= classes[i - 1].size) {
			fprintf(stderr, "mksizeclasses: class %d: size %d not above %d\n", i, c->size,
				classes[i - 1].size);
			exit(1);
		}
		if ((c->size >= 16 && c->size % 16 != 0) || span / c->size > maxobjs) {
			fprintf(stderr, "mksizeclasses: class %d: size %d, %d objects\n", i, c->size,
				span / c->size);
			exit(1);
		}
		uint32_t m = divmagic(c->size);
		for (int off = 0; off < span; off++) {
			if ((uint32_t)(((uint64_t)off * m) >> 32) != (uint32_t)(off / c->size)) {
				fprintf(stderr, "mksizeclasses: class %d: divmagic wrong at %d\n", i, off);
				exit(1);
			}
		}
	}
	if (classes[nclasses - 1].size != maxsmall) {
		fprintf(stderr, "mksizeclasses: the last class is %d, not %d\n", classes[nclasses - 1].size, maxsmall);
		exit(1);
	}
}

static int
classof(int size)
{
	for (int i = 1; i < nclasses; i++) {
		if (classes[i].size >= size) {
			return i;
		}
	}
	return -1;
}

static void
print(void)
{
	int pagesize = 1 << pageshift;
	printf("// Code generated by tools/mksizeclasses.c; DO NOT EDIT.\n");
	printf("// mksizeclasses -pageshift %d -maxsmall %d\n//\n", pageshift, maxsmall);
	printf("// class  bytes/obj  bytes/span  objects  tail waste\n");
	for (int i = 1; i < nclasses; i++) {
		struct class *c = &classes[i];
		int span = c->npages * pagesize;
		printf("// %5d  %9d  %10d  %7d  %10d\n", i, c->size, span, span / c->size, span % c->size);
	}
	printf("#pragma once\n\n#include <stdint.h>\n\n");
	printf("enum {\n");
	printf("\tNumSizeClasses = %d,\n", nclasses);
	printf("\tPageShift = %d,\n", pageshift);
	printf("\tPageSize = %d,\n", pagesize);
	printf("\tMaxSmallSize = %d,\n", maxsmall);
	printf("\tSmallSizeDiv = %d,\n", SmallSizeDiv);
	printf("\tSmallSizeMax = %d,\n", SmallSizeMax);
	printf("\tLargeSizeDiv = %d,\n", LargeSizeDiv);
	printf("\tMaxObjsPerSpan = %d,\n", pagesize / 8);
	printf("};\n\n");
	printf("static const uint16_t class_to_size[NumSizeClasses] = {0");
	for (int i = 1; i < nclasses; i++) {
		printf(",%s%d", i % 16 == 0 ? "\n\t" : " ", classes[i].size);
	}
	printf("};\n\n");
	printf("static const uint8_t class_to_allocnpages[NumSizeClasses] = {0");
	for (int i = 1; i < nclasses; i++) {
		printf(",%s%d", i % 16 == 0 ? "\n\t" : " ", classes[i].npages);
	}
	printf("};\n\n");
	printf("static const uint32_t class_to_divmagic[NumSizeClasses] = {0");
	for (int i = 1; i < nclasses; i++) {
		printf(",%s%u", i % 8 == 0 ? "\n\t" : " ", divmagic(classes[i].size));
	}
	printf("};\n\n");
	int n8 = SmallSizeMax / SmallSizeDiv + 1;
	printf("static const uint8_t size_to_class8[%d] = {0", n8);
	for (int i = 1; i < n8; i++) {
		printf(",%s%d", i % 16 == 0 ? "\n\t" : " ", classof(i * SmallSizeDiv));
	}
	printf("};\n\n");
	int n128 = (maxsmall - SmallSizeMax) / LargeSizeDiv + 1;
	printf("static const uint8_t size_to_class128[%d] = {%d", n128, classof(SmallSizeMax));
	for (int i = 1; i < n128; i++) {
		printf(",%s%d", i % 16 == 0 ? "\n\t" : " ", classof(SmallSizeMax + i * LargeSizeDiv));
	}
	printf("};\n\n");
	// The lookup goes with the tables, so that the allocator and the
	// tables' test use the one (Go's is in malloc.go).
	printf("// The size class of a small size (Go's size_to_class8/size_to_class128).\n");
	printf("static inline int\nsizetoclass(uint64_t size)\n{\n");
	printf("\tif (size <= SmallSizeMax - 8) {\n");
	printf("\t\treturn size_to_class8[(size + SmallSizeDiv - 1) / SmallSizeDiv];\n\t}\n");
	printf("\treturn size_to_class128[(size - SmallSizeMax + LargeSizeDiv - 1) / LargeSizeDiv];\n}\n");
}
