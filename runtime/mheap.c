// mheap.c: the page heap (Go's mheap.go and, for the page allocator,
// mpagealloc.go's idea without its summaries): arenas reserved upward from
// the arena hints, mapped a chunk at a time as the heap grows, a bitmap of
// free pages per arena searched first fit, and the spans map from any
// address to its span. See malloc.h for an overview.
//
// Invariants, under mheap_.lock:
//   - A page is free (its bit set in its arena's free bitmap) iff it is
//     mapped and in no span. Reserved pages not yet mapped are not free;
//     curarena..curarenaend is what is reserved and not yet mapped.
//   - No free page lies below searchaddr.
//   - For every span s in use, spans[] of each of its pages is s.
//   - allarenas is sorted by address; adjacent arenas are contiguous
//     memory, and a run of free pages may cross from one into the next.
//   - Pages of an arena from zeroedbase on have never been in a span, so
//     they still read as the zeros the machine mapped.
//   - A page's scav bit is set only while it is free: the scavenger gave
//     its memory back (os_sysunused), and mheap_alloc takes it back
//     (os_sysused) before the page is in a span again. released is the
//     bytes of the pages with the bit set.

#include <string.h>

#include "runtime/malloc.h"

struct mheap mheap_;

static uint64_t pagefind(struct mheap *h, uint64_t npages, uint64_t align);
static void pagesetfree(struct mheap *h, uint64_t base, uint64_t npages, bool free);
static bool allocneedszero(struct mheap *h, uint64_t base, uint64_t npages);
static bool mheap_grow(struct mheap *h, uint64_t npages);
static uint64_t mheap_sysalloc(struct mheap *h, uint64_t n, uint64_t *size);
static void addarena(struct mheap *h, uint64_t base);
static struct heapArena *arenaof(uint64_t p);
static void pagesused(struct mheap *h, uint64_t base, uint64_t npages);
static uint64_t scavengefind(struct mheap *h, int64_t now, int64_t limit, uint64_t *from, uint64_t *npages);

enum { L2Entries = 1 << ArenaL2Bits };

void
mheap_init(struct mheap *h)
{
	spin_init(&h->lock, "mheap", LOCK_MHEAP);
	spin_init(&h->manuallock, "manualcache", LOCK_MANUALCACHE);
	for (int i = 0; i < NumSizeClasses; i++) {
		spin_init(&h->manualcentral[i].lock, "manualcentral", LOCK_MANUALCENTRAL);
	}
	fixalloc_init(&h->spanalloc, sizeof(struct mspan));
	fixalloc_init(&h->cachealloc, sizeof(struct mcache));
	fixalloc_init(&h->hintalloc, sizeof(struct arenahint));
	for (int i = 0; i < NumSpanClasses; i++) {
		mcentral_init(&h->central[i], (uint8_t)i);
	}
	// Go's mallocinit: hints at 0x00c0<<32 | i<<40 for i = 0x7f down
	// to 0, so the first is 0xc000000000, where Go's heaps begin.
	spin_lock(&h->lock);
	for (int i = 0x7f; i >= 0; i--) {
		struct arenahint *hint = fixalloc_alloc(&h->hintalloc);
		hint->addr = (uint64_t)i << 40 | 0x00c0ULL << 32;
		hint->next = h->arenahints;
		h->arenahints = hint;
	}
	spin_unlock(&h->lock);
}

// The arena holding p, or NULL. Lock-free: see struct mheap.
static struct heapArena *
arenaof(uint64_t p)
{
	uint64_t ai = p >> LogHeapArenaBytes;
	if (ai >> (ArenaL1Bits + ArenaL2Bits) != 0) {
		return NULL;
	}
	// Load-acquires; pair with the store-releases in addarena: the L2
	// map and the arena's metadata are initialised before they are seen.
	struct heapArena **l2 = atomic_load_acq(&mheap_.arenas[ai >> ArenaL2Bits]);
	if (l2 == NULL) {
		return NULL;
	}
	return atomic_load_acq(&l2[ai & (L2Entries - 1)]);
}

// spanof: the in-use span holding p, or NULL if p is not in one (Go's
// spanOf). Safe without the lock on any address: a span being made
// meanwhile may be missed, never one that is not there.
struct mspan *
spanof(uint64_t p)
{
	struct heapArena *ha = arenaof(p);
	if (ha == NULL) {
		return NULL;
	}
	// Relaxed: written under mheap_.lock before the span is handed out;
	// whoever holds a pointer into it got that pointer after.
	struct mspan *s = atomic_load_relaxed(&ha->spans[(p - ha->base) / PageSize]);
	if (s == NULL || s->state == MSpanDead || p < s->startaddr || p >= s->startaddr + s->npages * PageSize) {
		return NULL;
	}
	return s;
}

// mheap_alloc: a span of npages pages of spanclass, or NULL if the machine
// has no more memory. *needzero says whether its memory may hold old data
// (Go's allocNeedsZero). Runs on g0 (systemstack): it holds the heap lock
// while the machine maps memory.
struct mspan *
mheap_alloc(struct mheap *h, uint64_t npages, uint8_t spanclass, bool *needzero)
{
	return mheap_allocaligned(h, npages, 1, spanclass, MSpanInUse, needzero);
}

// mheap_allocaligned: mheap_alloc of a span in state (MSpanInUse or
// MSpanManual) whose base is a multiple of align pages (a power of two).
struct mspan *
mheap_allocaligned(struct mheap *h, uint64_t npages, uint64_t align, uint8_t spanclass, int state,
		   bool *needzero)
{
	spin_lock(&h->lock);
	uint64_t base = pagefind(h, npages, align);
	if (base == 0) {
		if (!mheap_grow(h, npages + align - 1)) {
			spin_unlock(&h->lock);
			return NULL;
		}
		base = pagefind(h, npages, align);
		if (base == 0) {
			throw("mheap_alloc: grew heap, but no adequate free span found");
		}
	}
	pagesetfree(h, base, npages, false);
	pagesused(h, base, npages);
	*needzero = allocneedszero(h, base, npages);
	struct mspan *s = fixalloc_alloc(&h->spanalloc);
	mspan_init(s, base, npages, spanclass);
	s->state = (uint8_t)state;
	for (uint64_t p = base; p < base + npages * PageSize; p += PageSize) {
		struct heapArena *ha = arenaof(p);
		// Relaxed: see spanof.
		atomic_store_relaxed(&ha->spans[(p - ha->base) / PageSize], s);
	}
	h->pagesinuse += npages;
	spin_unlock(&h->lock);
	return s;
}

// mheap_freemanual: s, a manual span, goes back to the page heap (Go's
// mheap.freeManual); its struct is free for reuse. Runs on g0.
void
mheap_freemanual(struct mheap *h, struct mspan *s)
{
	spin_lock(&h->lock);
	if (s->state != MSpanManual) {
		throw("mheap_freemanual: not a manual span");
	}
	for (uint64_t p = s->startaddr; p < s->startaddr + s->npages * PageSize; p += PageSize) {
		struct heapArena *ha = arenaof(p);
		// Relaxed: see spanof.
		atomic_store_relaxed(&ha->spans[(p - ha->base) / PageSize], NULL);
	}
	pagesetfree(h, s->startaddr, s->npages, true);
	if (s->startaddr < h->searchaddr) {
		h->searchaddr = s->startaddr;
	}
	h->pagesinuse -= s->npages;
	s->state = MSpanDead;
	fixalloc_free(&h->spanalloc, s);
	spin_unlock(&h->lock);
}

// The first run of npages free pages at or above searchaddr whose base is
// a multiple of align pages, or 0. Runs continue across contiguous
// arenas. searchaddr moves up to the first free page seen (past the run,
// if that is where the run begins).
static uint64_t
pagefind(struct mheap *h, uint64_t npages, uint64_t align)
{
	uint64_t runbase = 0, runlen = 0, firstfree = 0, prevend = 0;
	for (int a = 0; a < h->nallarenas; a++) {
		struct heapArena *ha = h->allarenas[a];
		if (ha->base + HeapArenaBytes <= h->searchaddr) {
			continue;
		}
		if (ha->base != prevend) {
			runlen = 0; // not contiguous with the arena before
		}
		prevend = ha->base + HeapArenaBytes;
		uint64_t i = h->searchaddr > ha->base ? (h->searchaddr - ha->base) / PageSize : 0;
		while (i < PagesPerArena) {
			uint64_t word = ha->free[i / 64] >> (i % 64);
			if (word == 0) { // nothing free in the rest of this word
				runlen = 0;
				i = (i | 63) + 1;
				continue;
			}
			uint64_t here = ha->base + i * PageSize;
			if (runlen == 0 && (here / PageSize) % align != 0) {
				firstfree = firstfree || !(word & 1) ? firstfree : here;
				i++; // a run may not begin here
				continue;
			}
			if (i % 64 == 0 && word == ~0ULL && runlen + 64 < npages) {
				if (runlen == 0) {
					runbase = ha->base + i * PageSize;
				}
				firstfree = firstfree ? firstfree : runbase;
				runlen += 64; // a whole word free, and the run goes on past it
				i += 64;
				continue;
			}
			if (word & 1) {
				if (runlen == 0) {
					runbase = ha->base + i * PageSize;
				}
				firstfree = firstfree ? firstfree : ha->base + i * PageSize;
				if (++runlen == npages) {
					h->searchaddr = firstfree == runbase ? runbase + npages * PageSize : firstfree;
					return runbase;
				}
			} else {
				runlen = 0;
			}
			i++;
		}
	}
	if (firstfree != 0) {
		h->searchaddr = firstfree;
	}
	return 0;
}

// Mark [base, base + npages pages) free or in use in their arenas' bitmaps.
static void
pagesetfree(struct mheap *h, uint64_t base, uint64_t npages, bool free)
{
	(void)h;
	for (uint64_t p = base; p < base + npages * PageSize; p += PageSize) {
		struct heapArena *ha = arenaof(p);
		uint64_t i = (p - ha->base) / PageSize;
		if (free) {
			ha->free[i / 64] |= 1ULL << (i % 64);
			ha->freedat[i / ChunkPages] = nanotime();
		} else {
			ha->free[i / 64] &= ~(1ULL << (i % 64));
		}
	}
}

// Whether [base, base + npages pages) may hold old data, and record that
// it is used now (Go's allocNeedsZero over zeroedBase).
static bool
allocneedszero(struct mheap *h, uint64_t base, uint64_t npages)
{
	(void)h;
	bool dirty = false;
	uint64_t end = base + npages * PageSize;
	for (uint64_t p = base; p < end;) {
		struct heapArena *ha = arenaof(p);
		uint64_t arenaend = ha->base + HeapArenaBytes;
		uint64_t upto = end < arenaend ? end : arenaend; // this arena's part
		uint64_t first = (p - ha->base) / PageSize, last = (upto - ha->base) / PageSize;
		if (first < ha->zeroedbase) {
			dirty = true;
		}
		if (last > ha->zeroedbase) {
			ha->zeroedbase = last;
		}
		p = upto;
	}
	return dirty;
}

// Add at least npages pages of mapped free memory to the heap (Go's
// mheap.grow): from what is reserved already (curarena), else from new
// arenas. False if the machine has no more.
static bool
mheap_grow(struct mheap *h, uint64_t npages)
{
	uint64_t ask = (npages * PageSize + HeapChunkBytes - 1) & ~(uint64_t)(HeapChunkBytes - 1);
	if (ask < npages * PageSize) {
		return false; // overflow: more than the address space
	}
	if (h->curarena == 0 || h->curarenaend - h->curarena < ask) {
		uint64_t size;
		uint64_t av = mheap_sysalloc(h, ask, &size);
		if (av == 0) {
			return false;
		}
		if (av == h->curarenaend) {
			h->curarenaend = av + size; // contiguous: the run may cross
		} else {
			// Go maps what is left of the old space into the heap;
			// here it stays reserved and unused (rare: a hint failed).
			h->curarena = av;
			h->curarenaend = av + size;
		}
	}
	if (!os_sysmap((void *)h->curarena, ask)) {
		return false;
	}
	pagesetfree(h, h->curarena, ask / PageSize, true);
	if (h->searchaddr > h->curarena) {
		h->searchaddr = h->curarena;
	}
	h->curarena += ask;
	h->heapsys += ask;
	return true;
}

// Reserve at least n bytes, a whole number of arenas, at the hints or
// anywhere arena-aligned, and make their metadata (Go's mheap.sysAlloc).
// Returns the base, and the size in *size; 0 if there is no room.
static uint64_t
mheap_sysalloc(struct mheap *h, uint64_t n, uint64_t *size)
{
	n = (n + HeapArenaBytes - 1) & ~(HeapArenaBytes - 1);
	uint64_t v = 0;
	for (struct arenahint *hint = h->arenahints; hint != NULL; hint = h->arenahints) {
		void *p = os_sysreserve((void *)hint->addr, n);
		if ((uint64_t)p == hint->addr) {
			v = hint->addr;
			hint->addr += n;
			break;
		}
		if (p != NULL) {
			os_sysfree(p, n);
		}
		h->arenahints = hint->next; // this hint is used up
		fixalloc_free(&h->hintalloc, hint);
	}
	if (v == 0) {
		// Anywhere, aligned: reserve an arena more and trim (Go's
		// sysReserveAligned).
		uint64_t p = (uint64_t)os_sysreserve(NULL, n + HeapArenaBytes);
		if (p == 0) {
			return 0;
		}
		v = (p + HeapArenaBytes - 1) & ~(HeapArenaBytes - 1);
		if (v > p) {
			os_sysfree((void *)p, v - p);
		}
		if (p + HeapArenaBytes > v) {
			os_sysfree((void *)(v + n), p + HeapArenaBytes - v);
		}
	}
	if ((v + n) >> HeapAddrBits != 0) {
		return 0; // past what the arena map covers (Go's check too)
	}
	for (uint64_t a = v; a < v + n; a += HeapArenaBytes) {
		addarena(h, a);
	}
	*size = n;
	return v;
}

// The metadata of the arena at base, in the map and in allarenas.
static void
addarena(struct mheap *h, uint64_t base)
{
	uint64_t ai = base >> LogHeapArenaBytes;
	struct heapArena ***l1 = &h->arenas[ai >> ArenaL2Bits];
	if (*l1 == NULL) {
		struct heapArena **l2 = persistentalloc(L2Entries * sizeof *l2, 8);
		h->othersys += L2Entries * sizeof *l2;
		// Store-release; pairs with the load-acquire in arenaof.
		atomic_store_rel(l1, l2);
	}
	struct heapArena *ha = persistentalloc(sizeof *ha, 64);
	h->othersys += sizeof *ha;
	ha->base = base;
	// Store-release; pairs with the load-acquire in arenaof.
	atomic_store_rel(&(*l1)[ai & (L2Entries - 1)], ha);
	if (h->nallarenas == h->allarenascap) {
		int cap = h->allarenascap ? 2 * h->allarenascap : 64;
		struct heapArena **all = persistentalloc((uint64_t)cap * sizeof *all, 8);
		if (h->nallarenas > 0) {
			memcpy(all, h->allarenas, (uint64_t)h->nallarenas * sizeof *all);
		}
		h->allarenas = all; // the old array is persistent: left behind
		h->allarenascap = cap;
	}
	int i = h->nallarenas++;
	while (i > 0 && h->allarenas[i - 1]->base > base) {
		h->allarenas[i] = h->allarenas[i - 1];
		i--;
	}
	h->allarenas[i] = ha;
}

// The scavenged pages of a run leaving the free bitmap become memory again
// (Go's sysUsed in allocSpan): os_sysused on each scavenged stretch. A
// machine without the memory is Go's out-of-memory report.
static void
pagesused(struct mheap *h, uint64_t base, uint64_t npages)
{
	uint64_t run = 0, runlen = 0;
	for (uint64_t p = base; p <= base + npages * PageSize; p += PageSize) {
		bool scav = false;
		if (p < base + npages * PageSize) {
			struct heapArena *ha = arenaof(p);
			uint64_t i = (p - ha->base) / PageSize;
			scav = ha->scav[i / 64] >> (i % 64) & 1;
			ha->scav[i / 64] &= ~(1ULL << (i % 64));
		}
		if (scav) {
			run = runlen == 0 ? p : run;
			runlen++;
		} else if (runlen > 0) {
			if (!os_sysused((void *)run, runlen * PageSize)) {
				throwoom(npages * PageSize);
			}
			h->released -= runlen * PageSize;
			runlen = 0;
		}
	}
}

// mheap_scavenge gives the machine back the memory of the free pages of
// chunks where nothing was freed for limit ns (all free pages if limit is
// 0), and returns the bytes given back. Go 1.11's mheap.scavenge, which
// sysmon runs every 2.5 minutes for spans unused for 5 (sysmon.c), and
// debug.FreeOSMemory with no limit. Each stretch is taken out of the free
// bitmap while the machine unmaps it with the heap unlocked (bare metal
// shoots the TLBs down, which no spinlock may be held across), then put
// back free and scavenged. Runs on g0 or sysmon's M.
uint64_t
mheap_scavenge(struct mheap *h, int64_t now, int64_t limit)
{
	uint64_t given = 0, from = 0, npages;
	for (;;) {
		spin_lock(&h->lock);
		uint64_t base = scavengefind(h, now, limit, &from, &npages);
		if (base != 0) {
			pagesetfree(h, base, npages, false);
		}
		spin_unlock(&h->lock);
		if (base == 0) {
			break;
		}
		os_sysunused((void *)base, npages * PageSize);
		spin_lock(&h->lock);
		pagesetfree(h, base, npages, true);
		for (uint64_t p = base; p < base + npages * PageSize; p += PageSize) {
			struct heapArena *ha = arenaof(p);
			uint64_t i = (p - ha->base) / PageSize;
			ha->scav[i / 64] |= 1ULL << (i % 64);
			ha->freedat[i / ChunkPages] = now - limit; // not "freed now": it was free already
		}
		h->released += npages * PageSize;
		spin_unlock(&h->lock);
		given += npages * PageSize;
		from = base + npages * PageSize;
	}
	if (given > 0) {
		spin_lock(&h->lock);
		h->nscavenge++;
		spin_unlock(&h->lock);
	}
	return given;
}

// The next stretch at or above *from, within one chunk, of pages free and
// not scavenged in a chunk idle since now - limit; 0 if none. Caller holds
// h->lock.
static uint64_t
scavengefind(struct mheap *h, int64_t now, int64_t limit, uint64_t *from, uint64_t *npages)
{
	for (int a = 0; a < h->nallarenas; a++) {
		struct heapArena *ha = h->allarenas[a];
		if (ha->base + HeapArenaBytes <= *from) {
			continue;
		}
		uint64_t i = *from > ha->base ? (*from - ha->base) / PageSize : 0;
		for (; i < PagesPerArena; i++) {
			uint64_t want = ha->free[i / 64] & ~ha->scav[i / 64];
			if ((want >> (i % 64)) == 0) {
				i |= 63; // nothing in the rest of this word
				continue;
			}
			if (!(want >> (i % 64) & 1) || (limit > 0 && now - ha->freedat[i / ChunkPages] < limit)) {
				continue;
			}
			uint64_t n = 1;
			while ((i + n) % ChunkPages != 0 &&
			       (ha->free[(i + n) / 64] & ~ha->scav[(i + n) / 64]) >> ((i + n) % 64) & 1) {
				n++;
			}
			*npages = n;
			return ha->base + i * PageSize;
		}
	}
	return 0;
}
