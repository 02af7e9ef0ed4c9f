// vm_test.c: the page tables: the kernel's own rights (W^X), the direct
// map, vm_map/vm_unmap, and goroutine stacks that fault near them.

#include <stdint.h>
#include <string.h>

#include "include/hood.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/memlayout.h"
#include "lib/atomic.h"
#include "tests/testing.h"
#include "tests/wg.h"

TEST(TestNullPageUnmapped)
{
	if (vm_mapped(0) || vm_mapped(PGSIZE - 1)) {
		t_errorf(t, "the null page is mapped");
	}
	if (vm_mapped(KERNLINK - PGSIZE)) {
		t_errorf(t, "memory below the kernel image is mapped");
	}
}

TEST(TestDirectMap)
{
	uint64_t pa = physmem_alloc();
	uint64_t *p = p2v(pa);
	p[0] = 0x1122334455667788;
	if (!vm_mapped((uint64_t)p) || *(volatile uint64_t *)p2v(pa) != 0x1122334455667788) {
		t_errorf(t, "frame 0x%lx does not read back through the direct map", pa);
	}
	physmem_free(pa);
}

// A page mapped at a fresh address shows the frame's contents; once
// unmapped, vm_mapped says so (the TLB entry is gone too: a read would
// fault, which the fault tests check).
TEST(TestMapUnmap)
{
	uint64_t va = KHEAP + KHEAP_SIZE - PGSIZE; // far above anything sbrk gives
	uint64_t pa = physmem_alloc();
	memset(p2v(pa), 0x5a, PGSIZE);
	vm_map(va, pa, VM_WRITE);
	if (*(volatile uint8_t *)va != 0x5a) {
		t_errorf(t, "mapped page does not show the frame's bytes");
	}
	*(volatile uint8_t *)(va + 1) = 0xa5;
	if (*(uint8_t *)p2v(pa + 1) != 0xa5) {
		t_errorf(t, "a write through the mapping did not reach the frame");
	}
	vm_unmap(va);
	if (vm_mapped(va)) {
		t_errorf(t, "page still mapped after vm_unmap");
	}
	physmem_free(pa);
}

TEST(TestFrameAllocatorReuses)
{
	uint64_t a = physmem_alloc();
	physmem_free(a);
	uint64_t b = physmem_alloc();
	if (a != b) {
		t_errorf(t, "freed frame 0x%lx not reused first (got 0x%lx)", a, b);
	}
	physmem_free(b);
}

// vm_unmap drops the TLB entry: a read through the just-unmapped address,
// cached in the TLB by the read before, must fault.
CRASHTEST(TestUnmappedPageFaults, 2, "fatal error: unexpected fault address 0xffffc0fffffff000")
{
	uint64_t va = KHEAP + KHEAP_SIZE - PGSIZE;
	uint64_t pa = physmem_alloc();
	vm_map(va, pa, VM_WRITE);
	*(volatile uint8_t *)va = 1;
	vm_unmap(va);
	(void)*(volatile uint8_t *)va;
	t_errorf(t, "read of an unmapped page did not fault");
}

// Code on a goroutine stack may take the page-table lock (sbrk does, for
// malloc), and the stack may need a new page right then: the fault
// handler, which maps it, takes that lock too. spin_lock maps the stack's
// next pages before the first memory lock, so no fault comes while one is
// held. Goroutines put their stack pointer just above an unmapped page at
// offsets 0 to 2 KiB, then map and unmap a page.
static struct waitgroup faultwg;

static void __attribute__((noipa)) mapnear(uint64_t off, uint64_t va, uint64_t pa)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	uint64_t target = ((sp - 4 * PGSIZE) & ~(uint64_t)(PGSIZE - 1)) + off;
	volatile char *pad = __builtin_alloca(sp - target);
	pad[0] = 1;
	vm_map(va, pa, VM_WRITE); // the first call that goes deeper
}

static void
faultnearlock(void *arg)
{
	// A fresh 2 MiB region for each: vm_map makes its page table, calling
	// physmem_alloc and memset while it holds the lock. Far above
	// anything sbrk gives.
	uint64_t off = (uint64_t)arg;
	uint64_t va = KHEAP + KHEAP_SIZE - (off + 2) * HUGEPGSIZE;
	uint64_t pa = physmem_alloc();
	mapnear(off, va, pa);
	vm_unmap(va);
	physmem_free(pa);
	wg_done(&faultwg);
}

TEST(TestStackFaultNotUnderVMLock)
{
	(void)t; // it fails with spin_lock's fatal error: vm already held
	for (uint64_t off = 0; off < 1024; off += 8) {
		wg_add(&faultwg, 1);
		go(faultnearlock, (void *)off);
		wg_wait(&faultwg);
	}
}

// A page fault that returns with a preemption pending (trap.c) must not
// push the preemption's frame onto the faulting stack from the page-fault
// handler: that push can fault on the next page down, and the second fault
// then lands on the same IST stack as the first, over its frame (CI saw a
// general protection fault at the first one's iretq). The goroutine puts
// its stack pointer at the bottom of an unmapped page, above another, asks
// for preemption and writes there with interrupts on.
static void __attribute__((noipa)) faultpoked(struct T *t)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	uint64_t target = 0;
	for (uint64_t p = (sp & ~(uint64_t)(PGSIZE - 1)) - 2 * PGSIZE; p > sp - 64 * PGSIZE; p -= PGSIZE) {
		if (!vm_mapped(p) && !vm_mapped(p - PGSIZE)) {
			target = p;
			break;
		}
	}
	if (target == 0) {
		t_errorf(t, "no two unmapped pages within 64 pages below sp 0x%lx", sp);
		return;
	}
	pushcli();
	// Relaxed: this CPU's own trap() reads it, as kthread_poke's IPI would.
	atomic_store_relaxed(&mycpu()->poked, true);
	popcli();
	uint64_t saved;
	__asm__ volatile("mov %%rsp, %0\n\t"
			 "mov %1, %%rsp\n\t"
			 "movb $1, (%%rsp)\n\t"
			 "mov %0, %%rsp"
			 : "=&r"(saved)
			 : "r"(target)
			 : "memory");
}

static void
faultpokedg(void *arg)
{
	faultpoked(arg);
	wg_done(&faultwg);
}

TEST(TestStackFaultWithPreemptionPending)
{
	for (int i = 0; i < 64; i++) {
		wg_add(&faultwg, 1);
		go(faultpokedg, t);
		wg_wait(&faultwg);
	}
}
