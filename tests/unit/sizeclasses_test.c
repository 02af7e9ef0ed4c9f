// sizeclasses_test.c: the generated size-class tables (tools/mksizeclasses.c
// into sizeclasses.h): Go's exact table with the default flags, and the
// properties the allocator (runtime/malloc.h) relies on with any flags.

#include <stdint.h>

#include "sizeclasses.h"
#include "tests/testing.h"

// Go's class_to_size for 8 KiB pages and 32 KiB small objects, go1.5 to
// go1.18 (reference/go-runtime-checklist.md, section 4).
static const uint16_t gosizes[] = {0, 8, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
				   256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024,
				   1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864,
				   5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
				   14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

TEST(TestSizeClassesAreGos)
{
	if (PageSize != 8192 || MaxSmallSize != 32768) {
		t_logf(t, "a table of other flags (PageSize %d, MaxSmallSize %d): Go's is not it", PageSize,
		       MaxSmallSize);
		return;
	}
	if (NumSizeClasses != sizeof gosizes / sizeof gosizes[0]) {
		t_fatalf(t, "%d classes, Go has %zu", NumSizeClasses, sizeof gosizes / sizeof gosizes[0]);
	}
	for (int i = 0; i < NumSizeClasses; i++) {
		if (class_to_size[i] != gosizes[i]) {
			t_errorf(t, "class %d: %d bytes, Go's %d", i, class_to_size[i], gosizes[i]);
		}
	}
	// Two of Go's spans, as the checklist gives them.
	if (class_to_allocnpages[48] != 5 || class_to_allocnpages[64] != 10) {
		t_errorf(t, "class 48 has %d pages (Go 5), class 64 %d (Go 10)", class_to_allocnpages[48],
			 class_to_allocnpages[64]);
	}
}

// Every size up to MaxSmallSize maps to the smallest class that holds it.
TEST(TestSizeToClassSmallest)
{
	for (uint64_t size = 1; size <= MaxSmallSize; size++) {
		int c = sizetoclass(size);
		if (c <= 0 || c >= NumSizeClasses || class_to_size[c] < size ||
		    (c > 1 && class_to_size[c - 1] >= size)) {
			t_fatalf(t, "size %lu: class %d (%d bytes)", (unsigned long)size, c,
				 c > 0 && c < NumSizeClasses ? class_to_size[c] : -1);
		}
	}
}

// Spans waste at most 1/8 in the tail, hold at most MaxObjsPerSpan
// objects, and the magic divides every offset exactly.
TEST(TestSizeClassSpans)
{
	for (int c = 1; c < NumSizeClasses; c++) {
		uint64_t span = (uint64_t)class_to_allocnpages[c] * PageSize;
		uint64_t size = class_to_size[c];
		if (span % size > span / 8) {
			t_errorf(t, "class %d: %lu bytes wasted of %lu", c, (unsigned long)(span % size),
				 (unsigned long)span);
		}
		if (span / size > MaxObjsPerSpan || span / size == 0) {
			t_errorf(t, "class %d: %lu objects a span", c, (unsigned long)(span / size));
		}
		if (size >= 16 && size % 16 != 0) {
			t_errorf(t, "class %d: %lu bytes is not 16-byte aligned", c, (unsigned long)size);
		}
		for (uint64_t off = 0; off < span; off++) {
			if ((off * class_to_divmagic[c]) >> 32 != off / size) {
				t_fatalf(t, "class %d: divmagic wrong at offset %lu", c, (unsigned long)off);
			}
		}
	}
}
