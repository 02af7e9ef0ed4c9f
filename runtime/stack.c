// stack.c: goroutine stacks. They never move (C code keeps pointers into
// its stack, so Go's copying stacks are not an option); instead each G
// reserves a slot of the stack region (os_stackregion): stacksize bytes
// with an unmapped guard region below (StackGuard). Only the top page is
// mapped at first; a fault on a lower page of the slot maps it
// (stackfault, called by the machine's page-fault handler), so a stack
// grows in place as deep as it needs, up to stacksize. A fault in the guard region is Go's stack
// overflow. Slots of dead Gs stay with them (a dead G keeps its stack, as
// in Go), so their pages are reused by the next G; but only the top
// StackKeep bytes: what a dead G mapped below is given back (stacktrim),
// as Go frees a dead G's stack that grew beyond the standard size. Dead
// Gs that stay unused on the global free list for a while give back even
// that (stackfreebatch, from proc.c's gfreestacks, sysmon's) and map their
// top page again when reused (stackmaptop), as Go's collector frees the
// stacks of the dead Gs on sched.gFree (markrootFreeGStacks). A G
// parked for long gives back the pages below its stack pointer but one
// (shrinkstack, after each collection and from sysmon's scavenger), as Go
// shrinks stacks at GC.
//
// g.stackmapped is the lowest page the G's own faults mapped: every
// mapped page of the stack lies at or above it (a deep frame may leave
// unmapped pages in between, which stay unmapped).
//
//	slot base   guard region, StackGuard bytes (never mapped)
//	+ StackGuard  stacklo                   a fault here maps the page
//	 ...
//	            mapped                      lowest page mapped so far
//	 ...
//	stackhi     = base + StackGuard + stacksize
//
// The guard catches an overflow only if no frame steps over it: the first
// byte a function touches below its caller's must lie at most StackGuard
// bytes lower. hood's code, its tests and applications are built with
// -fstack-clash-protection (Makefile), so a frame larger than a page is
// allocated and touched a page at a time; what is not (newlib, prebuilt
// by scripts/setup: its largest frame is 2 KiB, printf's under 500 bytes;
// glibc on the hosted port: fprintf to an unbuffered stream has an 8.5 KB
// frame) is covered by the guard's size. Go needs no guard: each function
// prologue compares the stack pointer less its frame with stackguard0
// before it touches the frame (the morestack check), whatever its size;
// Linux keeps a gap of 256 pages below a process's main stack for
// unprobed code (stack_guard_gap). See docs/scheduler.md, section 9.
//
// The default stacksize is 1 MiB; HOOD_STACK= (bytes, runtime1.c) sets it.

#include "runtime/runtime.h"

enum {
	DefaultStackSize = 1 << 20,
	// Four pages: one is enough for probed code; four cover glibc's
	// stdio (above). A million slots of 1 MiB + 16 KiB fit the hosted
	// port's 1 TiB region; guard pages are never mapped, so they cost
	// address space only.
	StackGuard = 4 * PhysPageSize,
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
	uint64_t base = region + slot * (size + StackGuard);
	if (base + size + StackGuard > region + regionsize) {
		return false;
	}
	gp->stackslot = base;
	gp->stacklo = base + StackGuard;
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

// The ranges of stackfreebatch's Gs. Owned by sysmon (proc.c's
// gfreestacks).
static struct osrange batchranges[GfreeStackBatch];

// Give back every page of the stacks of the dead Gs on l, at most
// GfreeStackBatch, in one os_unmapstacks; their slots stay theirs. Called
// only by gfreestacks, on sysmon's M, holding no lock.
void
stackfreebatch(struct gList *l)
{
	int n = 0;
	for (struct g *gp = l->head; gp != NULL; gp = gp->schedlink) {
		if (gp->stackmapped < gp->stackhi) {
			batchranges[n++] = (struct osrange){gp->stackmapped, gp->stackhi - gp->stackmapped};
			// Relaxed: readmemstats may read it meanwhile (sysmon runs
			// on with the world stopped); it counts, nothing more.
			atomic_store_relaxed(&gp->stackmapped, gp->stackhi);
		}
	}
	os_unmapstacks(n, batchranges);
}

// A dead G taken from the free list: map its top page again if
// stackfreebatch gave it back. Runs on g0.
void
stackmaptop(struct g *gp)
{
	if (gp->stackmapped == gp->stackhi) {
		gp->stackmapped = gp->stackhi - PhysPageSize;
		os_mapstack(gp->stackmapped);
	}
}

// gp is parked, since before parkedby (a nanotime): give back its
// stack's pages below the page of its stack pointer and the one under it
// (nothing below the stack pointer is live: hood's C has no red zone).
// The scan bit keeps gp from running meanwhile (casgstatus waits), and
// makes its waitsince and stack pointer safe to read. A G that is not
// parked, or not for so long, is left alone.
static void
shrinkstack(struct g *gp, int64_t parkedby)
{
	if (!castogscanstatus(gp, Gwaiting)) {
		return;
	}
	if (gp->waitsince == 0) {
		// First seen parked: gopark leaves the time to us (it reads no
		// clock). Parked since now at the latest; trimmed on a later pass.
		gp->waitsince = nanotime();
	}
	uint64_t keep = (gp->sched.sp & ~(uint64_t)(PhysPageSize - 1)) - PhysPageSize;
	if (gp->waitsince <= parkedby && keep > gp->stacklo && gp->stackmapped < keep) {
		os_unmapstack(gp->stackmapped, keep - gp->stackmapped);
		atomic_store_relaxed(&gp->stackmapped, keep); // relaxed: as in stackfreebatch
	}
	casfrom_Gscanstatus(gp, Gscanwaiting, Gwaiting);
}

// shrinkstacks: shrinkstack of every G parked since before parkedby
// (sysmon's scavenger, and the collector after each cycle). Runs on an
// M's own stack, holding no lock.
void
shrinkstacks(int64_t parkedby)
{
	// Load-acquire; pairs with allgadd's store-release, so each G is seen
	// whole; Gs are never removed.
	for (struct g *gp = atomic_load_acq(&allgs); gp != NULL; gp = gp->alllink) {
		if (readgstatus(gp) == Gwaiting) {
			shrinkstack(gp, parkedby);
		}
	}
}

// A page fault at addr in the stack region: map the page if it lies in a
// slot's stack, or report the overflow if it lies in a guard region.
static bool
stackfault(uint64_t addr, bool write)
{
	(void)write;
	if (addr < region || addr >= region + nslots * (size + StackGuard)) {
		return false;
	}
	uint64_t off = (addr - region) % (size + StackGuard);
	if (off < StackGuard) {
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
