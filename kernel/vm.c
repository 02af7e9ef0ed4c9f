// vm.c: the kernel's page tables. vm_init builds the final 4-level tables
// that memlayout.h draws and switches to them; vm_map and vm_unmap change
// single 4 KiB mappings afterwards; vm_dirtyscan reads and clears the
// dirty bits of a range, for the collector.
//
// Paging structures are as in the SDM vol. 3A, chapter 4.5 (4-level paging):
// PML4 -> PDPT -> PD -> PT, 512 entries each, indexed by bits 47-39, 38-30,
// 29-21 and 20-12 of the address. Tables are reached through the direct
// map, which the early tables already provide for the first 4 GiB, where
// physmem hands out its lowest frames first.
//
// Invariants:
//	the null page and everything from 4 KiB to KERNLINK is unmapped;
//	no mapping is both writable and executable (W^X);
//	an upper-level entry is always present, writable and executable, so
//	that the rights of a page are its leaf entry's alone.

#include <string.h>

#include "bootinfo.h"
#include "kernel.h"
#include "memlayout.h"
#include "smp.h"
#include "lib/atomic.h"
#include "lib/lock.h"
#include "x86.h"

enum {
	PTE_P = 1 << 0,   // present
	PTE_W = 1 << 1,   // writable
	PTE_PWT = 1 << 3, // write-through
	PTE_PCD = 1 << 4, // cache disable: with PWT, uncached (UC) under the default PAT
	PTE_A = 1 << 5,   // accessed: set by the CPU on a use of the translation
	PTE_D = 1 << 6,   // dirty: set by the CPU on a write through it (SDM 3A 4.8)
	PTE_PS = 1 << 7,  // large page (in a PDPT or PD entry)
	PTE_G = 1 << 8,   // global: kept in the TLB across CR3 loads
};
#define PTE_NX (1ULL << 63) // no execute (needs EFER.NXE, set at boot)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

static struct spinlock vmlock = SPINLOCK_INIT("vm", LOCK_VM);
static uint64_t *pml4;    // Protected by vmlock (the entries, not the pointer).
static uint64_t nkstacks; // Protected by vmlock: kernel stack slots used.
// Freed kernel stacks, for kstack_alloc to hand out again, each keeping
// the next one's top in its last word. Protected by vmlock:
static uint64_t freestacks;       // top of a freed stack with all its pages, or 0
static int nfreestacks;           // stacks on freestacks
static uint64_t trimstacks;       // top of a freed stack with only its top page, or 0
static uint64_t mmionext = KMMIO; // Protected by vmlock: next free KMMIO address.

static uint64_t *walk(uint64_t va, int level, bool create);
static void mapimage(void);
static void mapdirect(uint64_t end);

static uint64_t *
newtable(void)
{
	uint64_t *t = p2v(physmem_alloc());
	memset(t, 0, PGSIZE);
	return t;
}

// The index of va's entry in its table at level (3 = PML4 ... 0 = PT).
static int
pxindex(uint64_t va, int level)
{
	return (va >> (PGSHIFT + 9 * level)) & 511;
}

void
vm_init(void)
{
	// The direct map covers the first 4 GiB, where the local APIC, I/O
	// APIC and most devices live, and all RAM and ACPI memory above. Not
	// reserved ranges far up (QEMU reserves a range just below 1 TiB):
	// mapping those would cost megabytes of page tables for nothing.
	uint64_t end = 4ULL << 30;
	for (int i = 0; i < bootinfo.nmem; i++) {
		struct memrange *r = &bootinfo.mem[i];
		if (r->type != MEM_RESERVED && r->type != MEM_BAD && r->base + r->len > end) {
			end = r->base + r->len;
		}
	}
	struct framebuffer *fb = &bootinfo.fb;
	if (fb->type != FB_NONE && fb->addr + (uint64_t)fb->pitch * fb->height > end) {
		end = fb->addr + (uint64_t)fb->pitch * fb->height;
	}

	pml4 = newtable();
	mapimage();
	mapdirect(end);
	lcr3(v2p(pml4));
	// Global pages (the image and the direct map) stay in the TLB across
	// CR3 loads; invlpg still drops them one by one.
	lcr4(rcr4() | CR4_PGE);
}

// The kernel image at virtual == physical, one 4 KiB page at a time, with
// each section's rights.
static void
mapimage(void)
{
	for (uint64_t va = KERNLINK; va < (uint64_t)__kernel_end; va += PGSIZE) {
		uint64_t flags = PTE_P | PTE_G;
		if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end) {
			// read and execute
		} else if (va >= (uint64_t)__data_start && va < (uint64_t)__bss_end) {
			flags |= PTE_W | PTE_NX;
		} else {
			flags |= PTE_NX; // rodata, tests, ksyms: read only
		}
		*walk(va, 0, true) = va | flags;
	}
}

// Physical memory [0, end) at DIRECTMAP, with 1 GiB pages when the CPU has
// them and 2 MiB pages otherwise. Readable and writable, never executable.
static void
mapdirect(uint64_t end)
{
	uint32_t a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	bool gigapages = d & CPUID80000001_EDX_PDPE1GB;
	uint64_t step = gigapages ? GIGAPGSIZE : HUGEPGSIZE;

	for (uint64_t pa = 0; pa < end; pa += step) {
		*walk(DIRECTMAP + pa, gigapages ? 2 : 1, true) = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
}

// The entry for va in its table at level, creating the tables above it if
// create is set. NULL if a table is missing and create is not set, or if a
// large page above level already maps va. Caller holds vmlock, or is
// vm_init on the only running CPU.
static uint64_t *
walk(uint64_t va, int level, bool create)
{
	uint64_t *table = pml4;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[pxindex(va, l)];
		if (!(*e & PTE_P)) {
			if (!create) {
				return NULL;
			}
			*e = v2p(newtable()) | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = p2v(*e & PTE_ADDR);
	}
	return &table[pxindex(va, level)];
}

// Map size bytes of device registers at physical address pa, uncached, and
// return the virtual address of pa. Device registers must not be cached:
// the direct map's write-back pages would let reads see stale values and
// writes sit in the cache.
void *
vm_mapmmio(uint64_t pa, uint64_t size)
{
	uint64_t first = PGROUNDDOWN(pa), end = PGROUNDUP(pa + size);
	spin_lock(&vmlock);
	uint64_t va = mmionext;
	mmionext += end - first;
	if (mmionext > KMMIO + KMMIO_SIZE) {
		spin_unlock(&vmlock);
		throw("vm_mapmmio: KMMIO region exhausted");
	}
	for (uint64_t off = 0; off < end - first; off += PGSIZE) {
		uint64_t *pte = walk(va + off, 0, true);
		*pte = (first + off) | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_NX;
	}
	spin_unlock(&vmlock);
	return (void *)(va + (pa - first));
}

// Map the 4 KiB page at va to the frame at pa. Mapping over a present page
// is a bug. Never writable and executable both.
void
vm_map(uint64_t va, uint64_t pa, int flags)
{
	if ((flags & VM_WRITE) && (flags & VM_EXEC)) {
		fatalf("vm_map: 0x%lx would be writable and executable", va);
	}
	spin_lock(&vmlock);
	uint64_t *pte = walk(va, 0, true);
	if (pte == NULL || (*pte & PTE_P)) {
		spin_unlock(&vmlock);
		fatalf("vm_map: 0x%lx is already mapped", va);
	}
	*pte = pa | PTE_P | (flags & VM_WRITE ? PTE_W : 0) | (flags & VM_EXEC ? 0 : PTE_NX);
	spin_unlock(&vmlock);
}

// Unmap the 4 KiB page at va and drop it from every CPU's TLB before
// returning, so the frame is the caller's to free. The shootdown happens
// after vmlock is released (smp_call must not hold spinlocks); no CPU may
// use the translation meanwhile, since the caller owns the mapping.
void
vm_unmap(uint64_t va)
{
	spin_lock(&vmlock);
	uint64_t *pte = walk(va, 0, false);
	if (pte == NULL || !(*pte & PTE_P)) {
		spin_unlock(&vmlock);
		fatalf("vm_unmap: 0x%lx is not mapped", va);
	}
	*pte = 0;
	invlpg(va);
	spin_unlock(&vmlock);
	smp_tlbshootdown(va);
}

// Unmap whatever is mapped of [va, va+size) (4 KiB pages, not huge ones),
// drop it from every CPU's TLB and free the frames. The caller owns the
// range: nobody uses it meanwhile. Holds no spinlock.
void
vm_unmapfree(uint64_t va, uint64_t size)
{
	struct vmrange r = {va, size};
	vm_unmapfreev(1, &r);
}

// vm_unmapfree of n ranges at once: one pass over the tables, one round
// of shootdown IPIs for all of them (the span from the lowest range to the
// highest: past 32 pages each CPU forgets its whole TLB), then the frames.
// Until the shootdown another CPU may still hold a translation of a
// range, so the frames wait, linked through their first word, written by
// the direct map: no stale translation is used meanwhile, since the caller
// owns the ranges. Holds vmlock a page table's worth at a time (it keeps
// interrupts off), none while it shoots down.
void
vm_unmapfreev(int n, const struct vmrange *r)
{
	uint64_t freed = 0; // the first frame to free; each holds the next's address
	uint64_t lo = UINT64_MAX, hi = 0;
	int walked = 0;
	spin_lock(&vmlock);
	for (int i = 0; i < n; i++) {
		for (uint64_t a = r[i].va; a < r[i].va + r[i].size; a += PGSIZE) {
			if (++walked % 512 == 0) {
				spin_unlock(&vmlock);
				spin_lock(&vmlock);
			}
			uint64_t *pte = walk(a, 0, false);
			if (pte == NULL || !(*pte & PTE_P)) {
				continue;
			}
			uint64_t pa = *pte & PTE_ADDR;
			*pte = 0;
			*(uint64_t *)p2v(pa) = freed;
			freed = pa;
			lo = a < lo ? a : lo;
			hi = a + PGSIZE > hi ? a + PGSIZE : hi;
		}
	}
	spin_unlock(&vmlock);
	if (freed == 0) {
		return;
	}
	smp_tlbshootdown_range(lo, hi - lo);
	while (freed != 0) {
		uint64_t next = *(uint64_t *)p2v(freed);
		physmem_free(freed);
		freed = next;
	}
}

// The dirty bits of the 4 KiB pages of [va, va+size): bit i of bitmap
// (bitmap[i/64] >> i%64) says whether page i was written since its mapping
// or the last clearing scan; every bit of the range is written, unmapped
// pages read clean. Returns the count of dirty pages. With clear, the dirty
// bits are cleared too and, before returning, every CPU (this one too)
// forgets the range's translations in one round of IPIs (SDM 3A 4.10.4.2:
// a CPU may go on writing through a cached translation whose dirty flag
// it already set, without setting it again, until the TLB entry goes), so
// that any write after the return dirties its page again. The collector's
// write barrier (docs/memory.md). Holds vmlock while it walks, none while
// it shoots down: not to be called with spinlocks held. Interrupts on.
uint64_t
vm_dirtyscan(uint64_t va, uint64_t size, uint64_t *bitmap, bool clear)
{
	uint64_t npages = size / PGSIZE, ndirty = 0;
	memset(bitmap, 0, (npages + 63) / 64 * sizeof *bitmap);
	spin_lock(&vmlock);
	for (uint64_t i = 0; i < npages; i++) {
		if (i % 512 == 511) {
			// A page table's worth at a time: vmlock keeps
			// interrupts off, and a heap is many tables.
			spin_unlock(&vmlock);
			spin_lock(&vmlock);
		}
		uint64_t *pte = walk(va + i * PGSIZE, 0, false);
		if (pte == NULL) {
			continue;
		}
		// Relaxed: the CPU sets PTE_D with a locked read-modify-write
		// of its own (SDM 3A 4.8) and orders nothing we publish; the
		// CAS below only must not lose a concurrent A or D update.
		uint64_t e = atomic_load_relaxed(pte);
		if (!(e & PTE_P) || !(e & PTE_D)) {
			continue;
		}
		bitmap[i / 64] |= 1ULL << (i % 64);
		ndirty++;
		// seq_cst, a locked CMPXCHG: the CPUs' own atomic setting of
		// PTE_A and PTE_D is its partner; retry when one came between.
		while (clear && !atomic_cas(pte, e, e & ~(uint64_t)PTE_D)) {
			e = atomic_load_relaxed(pte);
		}
	}
	spin_unlock(&vmlock);
	if (clear && ndirty > 0) {
		smp_tlbshootdown_range(va, size);
	}
	return ndirty;
}

// Whether va is mapped, by a page of any size. Lock-free, for the fault
// path: it reads the tables of the current CR3 and may race with vm_map,
// which only ever adds entries below present ones.
bool
vm_mapped(uint64_t va)
{
	uint64_t *table = p2v(rcr3() & PTE_ADDR);
	for (int l = 3; l >= 0; l--) {
		uint64_t e = table[pxindex(va, l)];
		if (!(e & PTE_P)) {
			return false;
		}
		if (l == 0 || (e & PTE_PS)) {
			return true;
		}
		table = p2v(e & PTE_ADDR);
	}
	return false;
}

enum {
	// Freed kernel stacks kept whole: past KStackKeep + KStackBatch,
	// kstack_free gives back all but the top page of KStackBatch of them
	// in one shootdown (a thousand exited kernel threads kept 32 MiB).
	KStackKeep = 64,
	KStackBatch = 64,
};

// Map the pages of a kernel stack slot from va up to top, zeroed.
static void
kstack_map(uint64_t va, uint64_t top)
{
	for (; va < top; va += PGSIZE) {
		uint64_t pa = physmem_alloc();
		memset(p2v(pa), 0, PGSIZE);
		vm_map(va, pa, VM_WRITE);
	}
}

// A new kernel stack: KSTACKSIZE bytes mapped, with the page below them left
// unmapped, so running off the bottom faults (and panic.c says "kernel stack
// overflow"). Returns the top, 16-byte aligned.
uint64_t
kstack_alloc(void)
{
	spin_lock(&vmlock);
	uint64_t top = freestacks;
	if (top != 0) {
		freestacks = ((uint64_t *)top)[-1];
		nfreestacks--;
		spin_unlock(&vmlock);
		return top;
	}
	top = trimstacks;
	if (top != 0) {
		trimstacks = ((uint64_t *)top)[-1];
		spin_unlock(&vmlock);
		kstack_map(top - KSTACKSIZE, top - PGSIZE); // all but the top page, which it kept
		return top;
	}
	uint64_t slot = nkstacks++;
	spin_unlock(&vmlock);
	if ((slot + 1) * KSTACKSLOT > KSTACKS_SIZE) {
		throw("kstack_alloc: kernel stack region exhausted");
	}
	uint64_t base = KSTACKS + slot * KSTACKSLOT + PGSIZE; // above the guard
	kstack_map(base, base + KSTACKSIZE);
	return base + KSTACKSIZE;
}

// Give back a stack from kstack_alloc. Its pages stay mapped, for the next
// kstack_alloc, up to KStackKeep stacks and a batch; then a batch of them
// keeps only its top page (which holds the link). The caller holds no
// spinlock (the batch's shootdown may not).
void
kstack_free(uint64_t top)
{
	struct vmrange batch[KStackBatch];
	int n = 0;
	spin_lock(&vmlock);
	((uint64_t *)top)[-1] = freestacks;
	freestacks = top;
	nfreestacks++;
	if (nfreestacks > KStackKeep + KStackBatch) {
		for (; n < KStackBatch; n++) {
			uint64_t t = freestacks;
			freestacks = ((uint64_t *)t)[-1];
			batch[n] = (struct vmrange){t - KSTACKSIZE, KSTACKSIZE - PGSIZE};
		}
		nfreestacks -= n;
	}
	spin_unlock(&vmlock);
	if (n == 0) {
		return;
	}
	vm_unmapfreev(n, batch);
	spin_lock(&vmlock);
	for (int i = 0; i < n; i++) {
		uint64_t t = batch[i].va + KSTACKSIZE;
		((uint64_t *)t)[-1] = trimstacks;
		trimstacks = t;
	}
	spin_unlock(&vmlock);
}

// Whether va lies in the guard page of some kernel stack.
bool
kstack_guard(uint64_t va)
{
	return va >= KSTACKS && va < KSTACKS + KSTACKS_SIZE && (va - KSTACKS) % KSTACKSLOT < PGSIZE;
}
