// mem_linux.c: the hosted port's memory (os.h, "memory" and "goroutine
// stacks"), as Go's mem_linux.go: reservations are PROT_NONE mappings,
// sysMap maps over them with MAP_FIXED, sysUnused is MADV_DONTNEED,
// sysFree munmap. Part of the Linux port (os_linux.h).
//
// Dirty pages (os_dirtyscan; docs/memory.md). Soft-dirty bits are not
// there on the kernels this port is developed on (6.18: a written page
// never shows pagemap's bit 55), so the written state comes from
// userfaultfd's asynchronous write protection (Linux 6.7,
// UFFD_FEATURE_WP_ASYNC): every range os_sysmap maps is registered in
// write-protect mode and write-protected; a write to a protected page is
// resolved by the kernel itself, with no signal and no thread of ours,
// and the page counts as written from then on. The PAGEMAP_SCAN ioctl on
// /proc/self/pagemap (Linux 6.7) lists the written pages of a range and,
// with PM_SCAN_WP_MATCHING, write-protects them again in the same call,
// TLBs flushed: Linux's counterpart of the bare-metal PTE_D walk and its
// shootdown. UFFD_FEATURE_WP_UNPOPULATED makes pages never touched (and
// pages dropped by MADV_DONTNEED) count as protected, so they read clean.
//
// Debian 12's headers are Linux 6.1's: the constants and structs from 6.7
// are defined below from the kernel's uapi (linux/userfaultfd.h,
// linux/fs.h). If the kernel refuses any of it (too old, or userfaultfd
// disabled by vm.unprivileged_userfaultfd and no UFFD_USER_MODE_ONLY),
// the port falls back to reporting every page dirty (os_dirtyexact()
// false): a collector over it stays correct, it only re-scans everything.

#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

// linux/userfaultfd.h of Linux 6.4 and 6.7.
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

// linux/fs.h of Linux 6.7: the PAGEMAP_SCAN ioctl.
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WRITTEN (1 << 1)
struct page_region {
	uint64_t start, end; // [start, end) of pages with the same categories
	uint64_t categories;
};
struct pm_scan_arg {
	uint64_t size; // sizeof(struct pm_scan_arg)
	uint64_t flags;
	uint64_t start, end; // the range to walk
	uint64_t walk_end;   // out: where the walk stopped
	uint64_t vec;        // struct page_region[vec_len], out
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;       // all of these must match
	uint64_t category_anyof_mask; // one of these must match
	uint64_t return_mask;         // reported in page_region.categories
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)   // write-protect the pages matched
#define PM_SCAN_CHECK_WPASYNC (1 << 1) // fail on a page not under async WP
#endif

uint64_t stackregion; // the reserved range, once made

// Set once by dirtyinit (pthread_once orders it before every reader):
// -1 when the kernel cannot track writes, and os_dirtyscan reports all.
static int uffd = -1, pagemapfd = -1;
static pthread_once_t dirtyonce = PTHREAD_ONCE_INIT;

static void dirtyinit(void);
static int64_t pagemapscan(uint64_t va, uint64_t npages, uint64_t *bitmap, bool clear);
static bool trackwrites(uint64_t va, uint64_t n);
static bool writeprotect(uint64_t va, uint64_t n);

// ---- the runtime's memory ----------------------------------------------------

void *
os_sysalloc(uint64_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		os_print("runtime: cannot allocate memory (%lu bytes for the runtime's own use)\n", n);
		throw("out of memory");
	}
	return p;
}

void *
os_sysreserve(void *v, uint64_t n)
{
	void *p = mmap(v, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

// Fresh zero pages over the reservation, registered for write tracking.
bool
os_sysmap(void *v, uint64_t n)
{
	void *p = mmap(v, n, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return false;
	}
	pthread_once(&dirtyonce, dirtyinit);
	if (uffd >= 0 && !trackwrites((uint64_t)v, n)) {
		throw("os_sysmap: userfaultfd refused a range it accepted before");
	}
	return true;
}

// The pages go back to Linux; a touch would read zeros, but the contract
// is os_sysused first.
void
os_sysunused(void *v, uint64_t n)
{
	if (madvise(v, n, MADV_DONTNEED) != 0) {
		throw("os_sysunused: madvise failed");
	}
}

// Dropped pages are unpopulated, so write-protected already
// (WP_UNPOPULATED); protecting them again costs little and makes "clean"
// not depend on it.
bool
os_sysused(void *v, uint64_t n)
{
	if (uffd >= 0 && !writeprotect((uint64_t)v, n)) {
		throw("os_sysused: userfaultfd write-protect failed");
	}
	return true; // Linux commits the pages at the first touch
}

void
os_sysfree(void *v, uint64_t n)
{
	munmap(v, n);
}

bool
os_dirtyexact(void)
{
	pthread_once(&dirtyonce, dirtyinit);
	return uffd >= 0;
}

// The executable's data and bss, one range: glibc's crt1 marks the start,
// the linker the end.
extern char __data_start[], _end[];

bool
os_dataregion(int i, uint64_t *lo, uint64_t *hi)
{
	if (i > 0) {
		return false;
	}
	*lo = (uint64_t)__data_start;
	*hi = (uint64_t)_end;
	return true;
}

uint64_t
os_dirtyscan(void *v, uint64_t n, uint64_t *bitmap, bool clear)
{
	uint64_t npages = n / PhysPageSize;
	memset(bitmap, 0, (npages + 63) / 64 * sizeof *bitmap);
	if (!os_dirtyexact()) {
		for (uint64_t i = 0; i < npages; i++) {
			bitmap[i / 64] |= 1ULL << (i % 64);
		}
		return npages;
	}
	int64_t ndirty = pagemapscan((uint64_t)v, npages, bitmap, clear);
	if (ndirty < 0) {
		throw("os_dirtyscan: PAGEMAP_SCAN failed (a range not from os_sysmap?)");
	}
	return ndirty;
}

// The written pages of npages from va into bitmap (zeroed by the caller),
// write-protecting them again if clear; their count, or -1.
static int64_t
pagemapscan(uint64_t va, uint64_t npages, uint64_t *bitmap, bool clear)
{
	struct page_region vec[32];
	int64_t ndirty = 0;
	for (uint64_t start = va; start < va + npages * PhysPageSize;) {
		struct pm_scan_arg a = {
			.size = sizeof a,
			.flags = clear ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0,
			.start = start,
			.end = va + npages * PhysPageSize,
			.vec = (uint64_t)vec,
			.vec_len = sizeof vec / sizeof vec[0],
			.category_mask = PAGE_IS_WRITTEN,
			.return_mask = PAGE_IS_WRITTEN,
		};
		long nr = ioctl(pagemapfd, PAGEMAP_SCAN, &a);
		if (nr < 0 || a.walk_end <= start) {
			return -1;
		}
		for (long r = 0; r < nr; r++) {
			for (uint64_t p = vec[r].start; p < vec[r].end; p += PhysPageSize) {
				uint64_t i = (p - va) / PhysPageSize;
				bitmap[i / 64] |= 1ULL << (i % 64);
				ndirty++;
			}
		}
		start = a.walk_end; // the vector filled up, or the walk is done
	}
	return ndirty;
}

// One userfaultfd for the process, in asynchronous write-protect mode,
// and the pagemap file; then a probe: one page mapped, protected, written,
// scanned. Any refusal leaves uffd at -1.
static void
dirtyinit(void)
{
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0) {
		return;
	}
	struct uffdio_api api = {.api = UFFD_API,
				 .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0 || ioctl(fd, UFFDIO_API, &api) != 0 || !(api.features & UFFD_FEATURE_WP_ASYNC)) {
		goto closeboth;
	}
	uffd = fd;
	pagemapfd = pm;
	char *page = mmap(NULL, PhysPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		goto fail;
	}
	uint64_t va = (uint64_t)page, b0 = 0, b1 = 0, b2 = 0;
	bool ok = trackwrites(va, PhysPageSize) && pagemapscan(va, 1, &b0, true) == 0;
	page[0] = 1;
	ok = ok && pagemapscan(va, 1, &b1, true) == 1 && b1 == 1 && pagemapscan(va, 1, &b2, false) == 0;
	munmap(page, PhysPageSize);
	if (ok) {
		return;
	}
fail:
	uffd = -1;
	pagemapfd = -1;
closeboth:
	if (pm >= 0) {
		close(pm);
	}
	close(fd);
}

// Register [va, va+n) for asynchronous write protection, and protect it.
static bool
trackwrites(uint64_t va, uint64_t n)
{
	struct uffdio_register reg = {.range = {.start = va, .len = n}, .mode = UFFDIO_REGISTER_MODE_WP};
	return ioctl(uffd, UFFDIO_REGISTER, &reg) == 0 && writeprotect(va, n);
}

static bool
writeprotect(uint64_t va, uint64_t n)
{
	struct uffdio_writeprotect wp = {.range = {.start = va, .len = n},
					 .mode = UFFDIO_WRITEPROTECT_MODE_WP};
	return ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0;
}

// ---- goroutine stacks --------------------------------------------------------
//
// A page of the stack region faults until os_mapstack opens it; the guard
// page of each slot never opens (stack.c). Two ways to do that:
//
// Guard markers (Linux 6.13's MADV_GUARD_INSTALL): the slots handed out
// so far lie in a prefix of the region, [stackregion, stackready), one
// read-write mapping whose pages all carry guard markers, page-table
// entries that fault like PROT_NONE without being a mapping of their own;
// os_mapstack removes the marker of its page (MADV_GUARD_REMOVE; the page
// reads as zeros), os_unmapstack installs markers again, which drops the
// pages' memory. The prefix grows by StackChunk (mprotect, then markers)
// when os_mapstack reaches past it; the rest of the region stays PROT_NONE
// and reserved. So the region costs two mappings whatever the number of
// goroutines, and the markers live in page tables that the stacks' top
// pages need anyway (one page-table page maps 2 MiB: two slots).
//
// mprotect, the fallback where the kernel refuses the markers (EINVAL
// before 6.13): the whole region PROT_NONE, os_mapstack mprotects its page
// read-write. The open top pages of each stack split the region: two
// mappings a stack, so vm.max_map_count (65,530 by default) allows about
// 32,000 live goroutines, and os_mapstack's fatal error says so.
//
// Go needs neither: its stacks are heap memory, checked by every
// function's prologue against g.stackguard0 (morestack), and copied to
// a larger one when they run out.

// linux/mman-common.h of Linux 6.13; Debian 12's headers are 6.1's.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

enum { StackChunk = 64 << 20 }; // the guarded prefix grows by this much

// Set once by os_stackregion, on the first thread, before any goroutine.
static bool stackguards;     // guard markers, not mprotect
static long maxmapcount = -1; // vm.max_map_count, for the fallback's fatal error
// Atomic: the end of the guarded prefix. Store-release under growlock
// after the markers of the chunk are in; pairs with the load-acquire in
// os_mapstack, which then may open a page below it.
static uint64_t stackready;
static pthread_mutex_t growlock = PTHREAD_MUTEX_INITIALIZER;

static bool guardsprobe(void);
static void stackgrowprefix(uint64_t end);

// The goroutine stack region: reserved (no access, no memory committed)
// at the first call; and which way its pages open.
uint64_t
os_stackregion(uint64_t *size)
{
	if (stackregion == 0) {
		void *p = mmap(NULL, StackRegionSize, StackProt, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (p == MAP_FAILED) {
			throw("os_stackregion: cannot reserve the goroutine stack region");
		}
		stackregion = (uint64_t)p;
		stackready = stackregion;
		stackguards = StackProt == PROT_NONE && guardsprobe();
		if (!stackguards) {
			char buf[32] = {0};
			int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0) {
				maxmapcount = strtol(buf, NULL, 10);
			}
			if (fd >= 0) {
				close(fd);
			}
		}
	}
	*size = StackRegionSize;
	return stackregion;
}

// Whether the kernel takes guard markers: one page of a scratch mapping.
static bool
guardsprobe(void)
{
	void *p = mmap(NULL, PhysPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return false;
	}
	bool ok = madvise(p, PhysPageSize, MADV_GUARD_INSTALL) == 0 && madvise(p, PhysPageSize, MADV_GUARD_REMOVE) == 0;
	munmap(p, PhysPageSize);
	return ok;
}

// Make the page at va usable (Linux commits it at the first touch). With
// guard markers, called from the fault handler too: errno, which a failed
// call would set, is the goroutine's, but a failure is fatal anyway.
void
os_mapstack(uint64_t va)
{
	if (!stackguards) {
		if (mprotect((void *)va, PhysPageSize, PROT_READ | PROT_WRITE) != 0) {
			if (StackProt == PROT_NONE) {
				fatalf("os_mapstack: mprotect failed: the kernel has no MADV_GUARD_INSTALL (Linux "
				       "6.13), so each goroutine stack costs two of vm.max_map_count's %ld "
				       "mappings (about %ld live goroutines)",
				       maxmapcount, maxmapcount / 2);
			}
			throw("os_mapstack: mprotect failed");
		}
		return;
	}
	// Load-acquire; pairs with the store-release in stackgrowprefix: the
	// page's marker is in.
	if (va + PhysPageSize > atomic_load_acq(&stackready)) {
		stackgrowprefix(va + PhysPageSize); // a new slot's top page, on g0: never the fault handler
	}
	if (madvise((void *)va, PhysPageSize, MADV_GUARD_REMOVE) != 0) {
		throw("os_mapstack: MADV_GUARD_REMOVE failed");
	}
}

// Grow the guarded prefix to at least end: read-write, then every page's
// marker. On g0 (stackalloc), never in a fault handler: it takes a mutex.
static void
stackgrowprefix(uint64_t end)
{
	pthread_mutex_lock(&growlock);
	uint64_t ready = atomic_load_relaxed(&stackready); // relaxed: written only under growlock
	while (ready < end) {
		uint64_t n = stackregion + StackRegionSize - ready < StackChunk
				     ? stackregion + StackRegionSize - ready
				     : StackChunk;
		if (mprotect((void *)ready, n, PROT_READ | PROT_WRITE) != 0 ||
		    madvise((void *)ready, n, MADV_GUARD_INSTALL) != 0) {
			throw("os_mapstack: cannot guard more of the goroutine stack region");
		}
		ready += n;
		atomic_store_rel(&stackready, ready); // pairs with os_mapstack's load-acquire
	}
	pthread_mutex_unlock(&growlock);
}

// Give the pages of [va, va+size) back to Linux and make them fault again.
// A marker installed over a page drops it, as MADV_DONTNEED does.
void
os_unmapstack(uint64_t va, uint64_t size)
{
	if (stackguards) {
		if (madvise((void *)va, size, MADV_GUARD_INSTALL) != 0) {
			throw("os_unmapstack: MADV_GUARD_INSTALL failed");
		}
		return;
	}
	madvise((void *)va, size, MADV_DONTNEED);
	mprotect((void *)va, size, StackProt);
}

// Linux keeps the TLBs itself: no batch to gain.
void
os_unmapstacks(int n, const struct osrange *r)
{
	for (int i = 0; i < n; i++) {
		os_unmapstack(r[i].va, r[i].size);
	}
}

bool
os_faultstacks(void)
{
	return StackProt == PROT_NONE;
}

// ASan poisons a frame's red zones on entry and clears them at return:
// frames dropped by a jump would leave theirs, and a later frame there
// would be reported as overflowing into them.
void
os_stackunwound(uint64_t lo, uint64_t hi)
{
#ifdef __SANITIZE_ADDRESS__
	__asan_unpoison_memory_region((void *)lo, hi - lo);
#else
	(void)lo;
	(void)hi;
#endif
}
