// physmem.c: the kernel's physical memory, from the boot memory map. One
// struct frames (frames.h) describes every frame below the top of usable
// memory, above 4 GiB too; its bitmap lives in the first usable memory
// that fits, below 4 GiB so the early direct map reaches it.
//
// Never handed out: everything below 1 MiB (the real-mode IVT, the BIOS
// data area, the AP trampoline at 0x8000), the kernel image, boot modules, the
// bitmap itself, and every range the map does not call usable (ACPI tables
// included, which live in ACPI or reserved ranges).

#include <string.h>

#include "bootinfo.h"
#include "frames.h"
#include "kernel.h"
#include "memlayout.h"
#include "lib/lock.h"

enum {
	LOWMEM = 1 << 20,      // below this, nothing is allocated
	EARLYMAP = 4ULL << 30, // what boot/entry.asm's direct map covers
};

static struct spinlock physlock = SPINLOCK_INIT("physmem", LOCK_PHYSMEM);
static struct frames frames; // Protected by physlock.

static uint64_t placebitmap(uint64_t bytes);
static bool overlapsreserved(uint64_t base, uint64_t len);

void
physmem_init(void)
{
	uint64_t top = 0, usable = 0;
	int nusable = 0;

	for (int i = 0; i < bootinfo.nmem; i++) {
		struct memrange *r = &bootinfo.mem[i];
		if (r->type == MEM_USABLE && r->len > 0) {
			nusable++;
			usable += r->len;
			if (r->base + r->len > top) {
				top = r->base + r->len;
			}
		}
	}
	if (nusable == 0) {
		fatalf("physmem: the memory map has no usable memory");
	}

	uint64_t nframes = top / PGSIZE;
	uint64_t bytes = FRAMES_BITMAP_BYTES(nframes);
	uint64_t bitmap = placebitmap(bytes);

	frames_init(&frames, p2v(bitmap), nframes);
	for (int i = 0; i < bootinfo.nmem; i++) {
		struct memrange *r = &bootinfo.mem[i];
		if (r->type == MEM_USABLE) {
			frames_add(&frames, r->base, r->len);
		}
	}
	frames_reserve(&frames, 0, LOWMEM);
	frames_reserve(&frames, KERNLINK, (uint64_t)__kernel_end - KERNLINK);
	for (int i = 0; i < bootinfo.nmodules; i++) {
		frames_reserve(&frames, bootinfo.modules[i].base, bootinfo.modules[i].len);
	}
	frames_reserve(&frames, bitmap, bytes);

	kprintf("mem: %lu MiB usable in %d ranges, %lu MiB free after the kernel\n", usable >> 20, nusable,
		(frames.nfree * PGSIZE) >> 20);
}

// Find room for the bitmap: in usable memory, above LOWMEM, below the early
// map's end, clear of the kernel and the modules. Tries each usable range's
// start and the end of each thing that might be in the way.
static uint64_t
placebitmap(uint64_t bytes)
{
	uint64_t candidates[2 + BOOT_MAXMODULES];
	int nc = 0;

	candidates[nc++] = LOWMEM;
	candidates[nc++] = PGROUNDUP((uint64_t)__kernel_end);
	for (int i = 0; i < bootinfo.nmodules; i++) {
		candidates[nc++] = PGROUNDUP(bootinfo.modules[i].base + bootinfo.modules[i].len);
	}
	for (int i = 0; i < bootinfo.nmem; i++) {
		struct memrange *r = &bootinfo.mem[i];
		if (r->type != MEM_USABLE) {
			continue;
		}
		for (int c = -1; c < nc; c++) {
			uint64_t base = PGROUNDUP(c < 0 ? r->base : candidates[c]);
			if (base < LOWMEM || base < r->base || base + bytes > r->base + r->len ||
			    base + bytes > EARLYMAP) {
				continue;
			}
			if (!overlapsreserved(base, bytes)) {
				return base;
			}
		}
	}
	fatalf("physmem: no room below 4 GiB for a %lu-byte frame bitmap", bytes);
}

static bool
overlapsreserved(uint64_t base, uint64_t len)
{
	uint64_t end = base + len;
	if (base < (uint64_t)__kernel_end && end > KERNLINK) {
		return true;
	}
	for (int i = 0; i < bootinfo.nmodules; i++) {
		struct memrange *m = &bootinfo.modules[i];
		if (base < m->base + m->len && end > m->base) {
			return true;
		}
	}
	return false;
}

// A free physical frame, contents undefined. Out of memory is fatal: the
// kernel has no way to wait for memory. The heap sees it coming (os_sysmap
// looks first) and says Go's words itself; a goroutine stack's next page,
// a page table or a kernel stack come here, with the same headline (Go's
// stackalloc throws "out of memory" too).
uint64_t
physmem_alloc(void)
{
	spin_lock(&physlock);
	uint64_t pa = frames_alloc(&frames);
	spin_unlock(&physlock);
	if (pa == 0) {
		kprintf("physmem: out of memory: no free %d-byte frame left of the machine's\n", PGSIZE);
		throw("out of memory");
	}
	return pa;
}

void
physmem_free(uint64_t pa)
{
	spin_lock(&physlock);
	bool ok = frames_free(&frames, pa);
	spin_unlock(&physlock);
	if (!ok) {
		fatalf("physmem_free: 0x%lx is not an allocated frame", pa);
	}
}

// The count of free frames. A moment's answer: others allocate meanwhile.
uint64_t
physmem_nfree(void)
{
	spin_lock(&physlock);
	uint64_t n = frames.nfree;
	spin_unlock(&physlock);
	return n;
}
