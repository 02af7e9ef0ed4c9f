// memlayout.h: hood's virtual address space, drawn once. Every region's
// constants are defined here and nowhere else.
//
//   virtual address       size      what                              rights
//   --------------------  --------  --------------------------------  ------
//   0x0000_0000_0000      4 KiB     null page, never mapped:          none
//                                   a nil dereference faults
//   0x0000_0000_1000      ~1 MiB    unmapped low memory               none
//   0x0000_0010_0000      ~1 MiB    kernel image at virtual ==
//     (KERNLINK)                    physical (linker.ld):
//                                     .text (and .boot)               R X
//                                     .rodata, tests                  R
//                                     .data, .bss                     RW NX
//                                     .ksyms (symbol table)           R
//   0x00c0_0000_0000      4 TiB     ARENAS: the runtime's reserved    RW NX
//                                   memory (os_sysreserve: the GC
//                                   heap's arenas, as Go's), mapped
//                                   by os_sysmap
//   0x0800_0000_0000      1 TiB     SYSMEM: the runtime's own         RW NX
//                                   memory (os_sysalloc), mapped
//                                   when handed out
//   0x1000_0000_0000      16 TiB    GSTACKS: goroutine stacks, a      RW NX
//                                   slot each, mapped on demand
//                                   (runtime/stack.c)
//   0xffff_8000_0000_0000 64 TiB    DIRECTMAP: all physical memory,   RW NX
//                                   at DIRECTMAP + physical address
//   0xffff_c000_0000_0000 1 TiB     KHEAP: newlib's heap (sbrk),      RW NX
//                                   mapped page by page as it grows
//   0xffff_d000_0000_0000 1 TiB     KMMIO: device registers, mapped   RW NX
//                                   uncached by vm_mapmmio             UC
//   0xffff_e000_0000_0000 1 TiB     KSTACKS: kernel stacks, each      RW NX
//                                   KSTACKSIZE below an unmapped
//                                   guard page's worth of gap
//
// The early page tables (boot/entry.asm) map the first 4 GiB both at
// virtual == physical and at DIRECTMAP; vm_init (kernel/vm.c) replaces them
// with the table above and nothing else.
#pragma once

#include <stdint.h>

enum {
	PGSIZE = 4096,
	PGSHIFT = 12,
	HUGEPGSIZE = 2 << 20, // a 2 MiB page (page directory entry with PS)
	GIGAPGSIZE = 1 << 30, // a 1 GiB page (PDPT entry with PS)
};

#define KERNLINK 0x100000ULL            // where linker.ld puts the image
#define DIRECTMAP 0xffff800000000000ULL // physical memory, all of it
#define DIRECTMAP_SIZE (64ULL << 40)
#define ARENAS 0x000000c000000000ULL // the runtime's reservations (Go's arenas)
#define ARENAS_SIZE (4ULL << 40)
#define SYSMEM 0x0000080000000000ULL // the runtime's persistent memory
#define SYSMEM_SIZE (1ULL << 40)
#define GSTACKS 0x0000100000000000ULL // goroutine stacks
#define GSTACKS_SIZE (16ULL << 40)
#define KHEAP 0xffffc00000000000ULL // newlib's sbrk heap
#define KHEAP_SIZE (1ULL << 40)
#define KMMIO 0xffffd00000000000ULL // device registers, uncached
#define KMMIO_SIZE (1ULL << 40)
#define KSTACKS 0xffffe00000000000ULL // kernel stacks
#define KSTACKS_SIZE (1ULL << 40)
#define KSTACKSIZE (32 * 1024)           // one kernel stack, without its guard
#define KSTACKSLOT (KSTACKSIZE + PGSIZE) // a stack and the guard page below it

#define PGROUNDUP(a) (((a) + PGSIZE - 1) & ~(uint64_t)(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(uint64_t)(PGSIZE - 1))

// Physical address to its direct-map virtual address, and back.
static inline void *
p2v(uint64_t pa)
{
	return (void *)(pa + DIRECTMAP);
}

static inline uint64_t
v2p(void *va)
{
	return (uint64_t)va - DIRECTMAP;
}

// The image's section boundaries, from linker.ld. Each is page-aligned.
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];
extern char __ksyms_start[], __kernel_end[];
