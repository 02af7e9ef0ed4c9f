// malloc.c: mallocgc, Go's allocator entry (malloc.go), and
// persistentalloc, the bump allocator for what lives as long as the
// program. See malloc.h for an overview of the heap.
//
// persistentalloc is for the runtime's own structures (Gs, Ms, Ps,
// timers, the heap's metadata): chunks from the machine (os_sysalloc),
// never freed, as in Go; Gs are reused from free lists (proc.c).
//
// Why not newlib's malloc for those: its lock is a sleeping mutex. The
// scheduler allocates on g0 holding its P (newproc1's malg, addtimer in
// gopark's unlockf); an M that sleeps there keeps its P, which sysmon
// cannot take back, while the M that holds malloc's lock may be waiting
// for a P (exitsyscall): a deadlock. persistentalloc only spins, for a few
// instructions.
//
// Lock order: persistentalloc's lock, then the machine's page-table and
// frame locks (lib/lockrank.h). So a caller holds no runtime spinlock
// but the heap's (sched.lock and the others rank above).

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/mgc.h"

enum {
	PersistentChunkSize = 256 << 10, // Go's persistentChunkSize
	MaxBlock = 64 << 10,             // bigger requests go to the machine directly
};

// The current chunk and how much of it is used, and every chunk so far,
// for the collector's roots (persistentchunk): a list of pages of chunk
// addresses, from the machine.
enum { ChunksPerPage = (4096 - 16) / 8 };
struct chunkpage {
	struct chunkpage *next;
	uint64_t n;
	char *chunk[ChunksPerPage];
};

struct persistentpool {
	struct spinlock lock;
	char *base; // Protected by lock
	uint64_t off;
	struct chunkpage *chunks; // Protected by lock: the newest page first; NULL for the noscan pool
	bool roots;               // its chunks are the collector's roots
};

static struct persistentpool persistent = {SPINLOCK_INIT("persistentalloc", LOCK_PALLOC), NULL, 0, NULL, true};
// Memory that holds no pointers (span bitmaps), which the collector need
// not scan: Go keeps its gcBits arenas apart likewise.
static struct persistentpool persistentnoscan = {SPINLOCK_INIT("persistentalloc", LOCK_PALLOC), NULL, 0, NULL,
						 false};

static void *
poolalloc(struct persistentpool *pp, uint64_t size, uint64_t align)
{
	if (align == 0 || (align & (align - 1)) != 0 || align > 4096) {
		fatalf("persistentalloc: bad align %lu", align);
	}
	if (size >= MaxBlock) {
		return os_sysalloc(size);
	}
	spin_lock(&pp->lock);
	pp->off = (pp->off + align - 1) & ~(align - 1);
	if (pp->base == NULL || pp->off + size > PersistentChunkSize) {
		pp->base = os_sysalloc(PersistentChunkSize);
		pp->off = 0;
		if (pp->roots) {
			struct chunkpage *cp = pp->chunks;
			if (cp == NULL || cp->n == ChunksPerPage) {
				cp = os_sysalloc(sizeof *cp);
				cp->next = pp->chunks;
				pp->chunks = cp;
			}
			cp->chunk[cp->n++] = pp->base;
		}
	}
	void *p = pp->base + pp->off;
	pp->off += size;
	spin_unlock(&pp->lock);
	return p;
}

// persistentalloc: size bytes, zeroed, aligned to align (a power of two
// up to 4096), for good. Go's persistentalloc. Caller holds no runtime
// spinlock.
void *
persistentalloc(uint64_t size, uint64_t align)
{
	return poolalloc(&persistent, size, align);
}

// persistentallocnoscan: persistentalloc of memory that will never hold a
// pointer to the heap (the collector does not scan it).
void *
persistentallocnoscan(uint64_t size, uint64_t align)
{
	return poolalloc(&persistentnoscan, size, align);
}

// persistentchunk: the ith chunk of persistentalloc, [*lo, *hi), or false
// past the last (the blocks of MaxBlock bytes and more that came from the
// machine directly are not among them: the heap's arena metadata, which
// points at no heap object; what may, such as the timer heaps' arrays,
// comes from the collected heap instead). The collector's roots, read
// with the world stopped.
bool
persistentchunk(int i, uint64_t *lo, uint64_t *hi)
{
	spin_lock(&persistent.lock);
	for (struct chunkpage *cp = persistent.chunks; cp != NULL; cp = cp->next) {
		if ((uint64_t)i < cp->n) {
			*lo = (uint64_t)cp->chunk[i];
			*hi = *lo + PersistentChunkSize;
			spin_unlock(&persistent.lock);
			return true;
		}
		i -= (int)cp->n;
	}
	spin_unlock(&persistent.lock);
	return false;
}

// The address of every zero-byte allocation (Go's zerobase).
uint8_t zerobase[8] __attribute__((aligned(8)));

// What mallocgc's slow paths pass to the g0 stack (systemstack).
struct refillreq {
	struct mcache *c;
	uint8_t spc;
	bool ok; // false: the heap has no more memory
};
struct largereq {
	uint64_t size;
	bool noscan;
	struct mspan *s; // the new span
	bool needzero;   // its memory may hold old data
};

static uint64_t nextfree(struct mcache *c, uint8_t spc, struct mspan **sp, bool *shouldhelpgc);
static void refill(void *arg);
static void largealloc(void *arg);

// Once, by schedinit, or by the first malloc if that comes before it (the
// kernel's C library on bare metal, on one CPU): not thread-safe.
void
mallocinit(void)
{
	if (manualkey != 0) {
		return;
	}
	if (class_to_size[TinySizeClass] != TinySize) {
		throw("mallocinit: class_to_size[TinySizeClass] is not TinySize");
	}
	mheap_init(&mheap_);
	// Odd, and not predictable from one boot to the next (mmanual.c).
	manualkey = (uint64_t)nanotime() * 0x9e3779b97f4a7c15ULL | 1;
}

// mallocgc: size bytes of the heap, zeroed unless flags has FlagNoZero,
// in a noscan span if flags has FlagNoScan (Go's mallocgc). Every size 0
// gets zerobase. Throws Go's "out of memory" when the machine has no more.
void *
mallocgc(uint64_t size, int flags)
{
	if (size == 0) {
		return zerobase;
	}
	struct m *mp = acquirem();
	if (mp->mallocing) {
		throw("malloc deadlock");
	}
	mp->mallocing = true;
	struct mcache *c = getmcache(mp);
	bool noscan = flags & FlagNoScan;
	bool needzero = !(flags & FlagNoZero);
	bool shouldhelpgc = false; // took memory from the heap: time for a cycle? (Go's)
	uint64_t x;
	if (noscan && size < TinySize) {
		// The tiny allocator: objects share 16-byte blocks, aligned as
		// their size says (Go's rules: 8 for a multiple of 8, 4, 2).
		uint64_t off = c->tinyoffset;
		if ((size & 7) == 0) {
			off = (off + 7) & ~7ULL;
		} else if ((size & 3) == 0) {
			off = (off + 3) & ~3ULL;
		} else if ((size & 1) == 0) {
			off = (off + 1) & ~1ULL;
		}
		if (off + size <= TinySize && c->tiny != 0) {
			x = c->tiny + off;
			c->tinyoffset = off + size;
			c->tinyAllocs++;
			goto done;
		}
		struct mspan *s = c->alloc[TinySpanClass];
		x = nextfreefast(s);
		if (x == 0) {
			x = nextfree(c, TinySpanClass, &s, &shouldhelpgc);
		}
		memset((void *)x, 0, TinySize);
		if (atomic_load_relaxed(&gcphase) == GCmark) { // relaxed: mgc.h
			gcmarknewobject(s, x); // the block: what shares it later is born in it
		}
		// Keep whichever block has more room left (Go's rule).
		if (size < c->tinyoffset || c->tiny == 0) {
			c->tiny = x;
			c->tinyoffset = size;
		}
	} else if (size <= MaxSmallSize) {
		uint8_t spc = makespanclass(sizetoclass(size), noscan);
		struct mspan *s = c->alloc[spc];
		x = nextfreefast(s);
		if (x == 0) {
			x = nextfree(c, spc, &s, &shouldhelpgc);
		}
		if (needzero && s->needzero) {
			memset((void *)x, 0, s->elemsize);
		}
		if (atomic_load_relaxed(&gcphase) == GCmark) { // relaxed: mgc.h
			gcmarknewobject(s, x);
		}
	} else {
		struct largereq r = {size, noscan, NULL, false};
		systemstack(largealloc, &r);
		if (r.s == NULL) {
			throwoom(size); // here, where the traceback shows the caller
		}
		x = r.s->startaddr;
		c->largeAlloc += r.s->elemsize;
		c->largeAllocCount++;
		atomic_xadd_relaxed(&gccontroller.heapLive, r.s->elemsize); // relaxed: mgc.h
		shouldhelpgc = true;
		if (needzero && r.needzero) {
			memset((void *)x, 0, size);
		}
		if (atomic_load_relaxed(&gcphase) == GCmark) { // relaxed: mgc.h
			gcmarknewobject(r.s, x);
		}
	}
done:
	mp->mallocing = false;
	releasem(mp);
	if (shouldhelpgc) {
		gctrigger();
	}
	return (void *)x;
}

// The next free slot of class spc in c, with a new span from the
// mcentral if the one held is full (Go's mcache.nextFree); *sp is the
// span it came from.
static uint64_t
nextfree(struct mcache *c, uint8_t spc, struct mspan **sp, bool *shouldhelpgc)
{
	struct mspan *s = c->alloc[spc];
	uint16_t i = mspan_nextfreeindex(s);
	if (i == s->nelems) {
		if (s->allocCount != s->nelems) {
			throw("nextfree: s.allocCount != s.nelems && freeIndex == s.nelems");
		}
		struct refillreq r = {c, spc, false};
		systemstack(refill, &r);
		if (!r.ok) {
			throwoom(class_to_size[spanclass_sizeclass(spc)]);
		}
		s = c->alloc[spc];
		i = mspan_nextfreeindex(s);
		*shouldhelpgc = true;
	}
	if (i >= s->nelems) {
		throw("nextfree: freeIndex is not valid");
	}
	s->allocCount++;
	*sp = s;
	return s->startaddr + (uint64_t)i * s->elemsize;
}

static void
refill(void *arg)
{
	struct refillreq *r = arg;
	r->ok = mcache_refill(r->c, r->spc);
}

// A span of its own for an object over MaxSmallSize (Go's largeAlloc),
// on g0; r->s stays NULL if the heap has no more memory.
static void
largealloc(void *arg)
{
	struct largereq *r = arg;
	uint64_t npages = r->size / PageSize + (r->size % PageSize != 0);
	if (r->size + PageSize < r->size) {
		return; // more than the address space: r->s stays NULL
	}
	r->s = mheap_alloc(&mheap_, npages, makespanclass(0, r->noscan), &r->needzero);
	if (r->s == NULL) {
		return;
	}
	r->s->limit = r->s->startaddr + r->size;
	r->s->allocCount = 1;
	r->s->freeindex = 1;
}

// Go's out-of-memory report: the request, what the heap has in use, then
// the fatal error.
void
throwoom(uint64_t size)
{
	os_print("runtime: out of memory: cannot allocate %lu-byte block (%lu in use)\n", size,
		 mheap_.pagesinuse * PageSize);
	gothrow("out of memory");
}

// hood.h's new and newnoscan (Go's newobject).
void *
runtime_new(size_t size, bool noscan)
{
	return mallocgc(size, noscan ? FlagNoScan : 0);
}

// hood.h's newarray (Go's makeslice): n elements of size bytes. An n that
// overflows is Go's panic.
void *
runtime_newarray(size_t size, size_t n, bool noscan)
{
	if (size != 0 && n > UINT64_MAX / size) {
		gopanic("runtime error: makeslice: len out of range");
	}
	return mallocgc(size * n, noscan ? FlagNoScan : 0);
}
