// stack.c: goroutine stacks. They never move (C code keeps pointers into
// its stack, so Go's copying stacks are not an option); instead each G
// reserves a slot of the stack region (os_stackregion): stacksize bytes
// with an unmapped guard page below. Only the top page is mapped at
// first; a fault on a lower page of the slot maps it (stackfault, called
// by the machine's page-fault handler), so a stack grows in place as deep
// as it needs, up to stacksize. A fault in the guard page is Go's stack
// overflow. Slots of dead Gs stay with them (a dead G keeps its stack, as
// in Go), so their pages are reused by the next G; but only the top
// StackKeep bytes: what a dead G mapped below is given back (stacktrim),
// as Go frees a dead G's stack that grew beyond the standard size. A G
// parked for long gives back the pages below its stack pointer but one
// (shrinkstack, from sysmon's scavenger), as Go shrinks stacks at GC.
//
// g.stackmapped is the lowest page the G's own faults mapped: every
// mapped page of the stack lies at or above it (a deep frame may leave
// unmapped pages in between, which stay unmapped).
//
//	slot base   guard page (never mapped)
//	+ PhysPageSize  stacklo                     a fault here maps the page
//	 ...
//	            mapped                      lowest page mapped so far
//	 ...
//	stackhi     = base + PhysPageSize + stacksize
//
// The default stacksize is 1 MiB; HOOD_STACK= (bytes, runtime1.c) sets it.

#include "runtime/runtime.h"

enum {
	DefaultStackSize = 1 << 20,
	StackKeep = 2 * PhysPageSize, // mapped bytes a dead G keeps for the next
};

static uint64_t region, regionsize; // the stack region, from the machine
static uint64_t size;               // bytes of stack per G, without the guard
static uint64_t nslots;             // Atomic: slots handed out

static bool stackfault(uint64_t addr, bool write);

void
stackinit(void)
{
	region = os_stackregion(&regionsize);
	size = knobs.stacksize > 0 ? (uint64_t)knobs.stacksize : DefaultStackSize;
	os_setstackfault(stackfault);
}

uint64_t
stacksize(void)
{
	return size;
}

// Give gp a stack: a new slot with its top page mapped.
bool
stackalloc(struct g *gp)
{
	// Relaxed: a counter; each caller only needs a slot of its own.
	uint64_t slot = atomic_xadd_relaxed(&nslots, 1) - 1;
	uint64_t base = region + slot * (size + PhysPageSize);
	if (base + size + PhysPageSize > region + regionsize) {
		return false;
	}
	gp->stackslot = base;
	gp->stacklo = base + PhysPageSize;
	gp->stackhi = gp->stacklo + size;
	gp->stackmapped = gp->stackhi - PhysPageSize;
	os_mapstack(gp->stackmapped);
	return true;
}

// A G died: keep the top StackKeep bytes of its stack mapped, give back
// the pages below. Runs on g0.
void
stacktrim(struct g *gp)
{
	uint64_t keep = gp->stackhi - StackKeep;
	if (gp->stackmapped < keep) {
		os_unmapstack(gp->stackmapped, keep - gp->stackmapped);
		gp->stackmapped = keep;
	}
}

// gp is parked, since before parkedby (a nanotime): give back its
// stack's pages below the page of its stack pointer and the one under it
// (nothing below the stack pointer is live: hood's C has no red zone).
// The scan bit keeps gp from running meanwhile (casgstatus waits), and
// makes its waitsince and stack pointer safe to read. A G that is not
// parked, or not for so long, is left alone. Runs on an M's own stack,
// holding no lock.
void
shrinkstack(struct g *gp, int64_t parkedby)
{
	if (!castogscanstatus(gp, Gwaiting)) {
		return;
	}
	uint64_t keep = (gp->sched.sp & ~(uint64_t)(PhysPageSize - 1)) - PhysPageSize;
	if (gp->waitsince <= parkedby && keep > gp->stacklo && gp->stackmapped < keep) {
		os_unmapstack(gp->stackmapped, keep - gp->stackmapped);
		gp->stackmapped = keep;
	}
	casfrom_Gscanstatus(gp, Gscanwaiting, Gwaiting);
}

// A page fault at addr in the stack region: map the page if it lies in a
// slot's stack, or report the overflow if it lies in a guard page.
static bool
stackfault(uint64_t addr, bool write)
{
	(void)write;
	if (addr < region || addr >= region + nslots * (size + PhysPageSize)) {
		return false;
	}
	uint64_t off = (addr - region) % (size + PhysPageSize);
	if (off < PhysPageSize) {
		os_print("runtime: goroutine stack exceeds %lu-byte limit\n", size);
		gothrow("stack overflow");
	}
	uint64_t page = addr & ~(uint64_t)(PhysPageSize - 1);
	os_mapstack(page);
	// The fault is the G's own: its M's curg, even if the M is between
	// the G and g0 (mcall, systemstack).
	struct m *mp = getm();
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (gp != NULL && page >= gp->stacklo && page < gp->stackmapped) {
		gp->stackmapped = page;
	}
	return true;
}
