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
#include "runtime/mgc.h"

struct mheap mheap_;

static void freespanlocked(struct mheap *h, struct mspan *s);
static uint64_t pagefind(struct mheap *h, uint64_t npages, uint64_t align);
static void pagesetfree(struct mheap *h, uint64_t base, uint64_t npages, bool free);
static struct pagesum sumwords(const uint64_t *words, int nwords);
static void summarize(struct heapArena *ha, uint64_t first, uint64_t last);
static bool allocneedszero(struct mheap *h, uint64_t base, uint64_t npages);
static bool mheap_grow(struct mheap *h, uint64_t npages);
static uint64_t mheap_sysalloc(struct mheap *h, uint64_t n, uint64_t *size);
static void addarena(struct mheap *h, uint64_t base);
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
	// Store-release, last: the concurrent mark finds spans through
	// spanof without the lock, and a struct freed and handed out again
	// must not look in use before its fields are; pairs with the
	// load-acquire in spanof.
	atomic_store_rel(&s->state, (uint8_t)state);
	if (state == MSpanManual && atomic_load_relaxed(&gcphase) == GCmark) { // relaxed: mgc.h
		gcnewmanualspan(s); // made during the mark: its words are scanned at termination
	}
	for (uint64_t p = base; p < base + npages * PageSize; p += PageSize) {
		struct heapArena *ha = arenaof(p);
		// Relaxed: see spanof.
		atomic_store_relaxed(&ha->spans[(p - ha->base) / PageSize], s);
	}
	h->pagesinuse += npages;
	spin_unlock(&h->lock);
	return s;
}

// mheap_freespan: s, a manual span given back (Go's mheap.freeManual) or
// an in-use span the sweep found empty (Go's mheap.freeSpan), goes back
// to the page heap; its struct is free for reuse. Runs on g0 or with the
// world stopped.
void
mheap_freespan(struct mheap *h, struct mspan *s)
{
	spin_lock(&h->lock);
	if (s->state != MSpanManual && s->state != MSpanInUse) {
		throw("mheap_freespan: span not in use");
	}
	freespanlocked(h, s);
	spin_unlock(&h->lock);
}

// The pages of s free, its struct too. Caller holds h->lock.
static void
freespanlocked(struct mheap *h, struct mspan *s)
{
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
	atomic_store_relaxed(&s->state, MSpanDead); // relaxed: spanof reads Dead or the old state, either is safe
	fixalloc_free(&h->spanalloc, s);
}

// The first run of npages free pages at or above searchaddr whose base is
// a multiple of align pages, or 0. Runs continue across contiguous
// arenas. An arena's summary (summarize) lets the search pass over one
// that holds no run long enough, or take a run that ends in its free
// start, without reading its bitmap, as Go 1.14's summaries do at every
// level of their tree; inside an arena the bitmap is read a word at a
// time. searchaddr moves up to the first free page seen (past the run, if
// that is where the run begins).
static uint64_t
pagefind(struct mheap *h, uint64_t npages, uint64_t align)
{
	uint64_t alignbytes = align * PageSize;
	uint64_t runbase = 0, runlen = 0, firstfree = 0, prevend = 0;
	for (int a = 0; a < h->nallarenas; a++) {
		struct heapArena *ha = h->allarenas[a];
		uint64_t arenaend = ha->base + HeapArenaBytes;
		if (arenaend <= h->searchaddr) {
			continue;
		}
		if (ha->base != prevend) {
			runlen = 0; // not contiguous with the arena before
		}
		prevend = arenaend;
		uint64_t i = h->searchaddr > ha->base ? (h->searchaddr - ha->base) / PageSize : 0;
		if (i == 0) {
			if (ha->sum.max == 0) {
				runlen = 0;
				continue;
			}
			if (firstfree == 0) {
				uint64_t k = 0;
				while (ha->free[k] == 0) {
					k++; // there is a free page: sum.max > 0
				}
				firstfree = ha->base + (k * 64 + (uint64_t)__builtin_ctzll(ha->free[k])) * PageSize;
			}
			if (runlen > 0 && runlen + ha->sum.start >= npages) {
				goto found;
			}
			if (ha->sum.max < npages) {
				// No run inside: only the one its free end begins.
				if (ha->sum.start == PagesPerArena && runlen > 0) {
					runlen += PagesPerArena;
					continue;
				}
				uint64_t b = ha->base + (PagesPerArena - (uint64_t)ha->sum.end) * PageSize;
				b = (b + alignbytes - 1) / alignbytes * alignbytes;
				runbase = b;
				runlen = b < arenaend ? (arenaend - b) / PageSize : 0;
				continue;
			}
		}
		while (i < PagesPerArena) {
			uint64_t w = ha->free[i / 64] >> (i % 64);
			unsigned left = 64 - (unsigned)(i % 64); // the word's bits from i on
			if (w == 0) {
				runlen = 0;
				i += left;
				continue;
			}
			unsigned zeros = (unsigned)__builtin_ctzll(w);
			if (zeros > 0) {
				runlen = 0;
				i += zeros;
				continue;
			}
			unsigned ones = ~w == 0 ? left : (unsigned)__builtin_ctzll(~w);
			uint64_t here = ha->base + i * PageSize;
			firstfree = firstfree ? firstfree : here;
			if (runlen == 0) {
				uint64_t b = (here + alignbytes - 1) / alignbytes * alignbytes;
				if (b >= here + (uint64_t)ones * PageSize) {
					i += ones; // no aligned page in these
					continue;
				}
				runbase = b;
				runlen = ones - (b - here) / PageSize;
			} else {
				runlen += ones;
			}
			if (runlen >= npages) {
				goto found;
			}
			i += ones;
		}
	}
	if (firstfree != 0) {
		h->searchaddr = firstfree;
	}
	return 0;
found:
	h->searchaddr = firstfree == runbase ? runbase + npages * PageSize : firstfree;
	return runbase;
}

// Mark [base, base + npages pages) free or in use in their arenas'
// bitmaps, and summarize each arena again.
static void
pagesetfree(struct mheap *h, uint64_t base, uint64_t npages, bool free)
{
	(void)h;
	uint64_t end = base + npages * PageSize;
	int64_t now = free ? nanotime() : 0;
	for (uint64_t p = base; p < end;) {
		struct heapArena *ha = arenaof(p);
		uint64_t arenaend = ha->base + HeapArenaBytes;
		uint64_t upto = end < arenaend ? end : arenaend;
		uint64_t i = (p - ha->base) / PageSize, last = (upto - ha->base) / PageSize;
		while (i < last) {
			// The bits of [i, last) in word i / 64, at once.
			uint64_t n = last - i < 64 - i % 64 ? last - i : 64 - i % 64;
			uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << (i % 64);
			if (free) {
				ha->free[i / 64] |= mask;
			} else {
				ha->free[i / 64] &= ~mask;
			}
			i += n;
		}
		if (free) {
			uint64_t first = (p - ha->base) / PageSize;
			for (uint64_t c = first / ChunkPages; c <= (last - 1) / ChunkPages; c++) {
				ha->freedat[c] = now;
			}
		}
		summarize(ha, (p - ha->base) / PageSize, last);
		p = upto;
	}
}

// The summary of n pages' free bits, words[0..n/64) (Go's pallocSum):
// the free pages they start with, the longest free run, the free pages
// they end with.
static struct pagesum
sumwords(const uint64_t *words, int nwords)
{
	uint32_t start = 0, max = 0, cur = 0;
	bool instart = true;
	for (int k = 0; k < nwords; k++) {
		uint64_t w = words[k];
		if (w == ~0ULL) {
			cur += 64;
			continue;
		}
		cur += (uint32_t)__builtin_ctzll(~w); // the run goes on into this word's low pages
		if (instart) {
			start = cur;
			instart = false;
		}
		max = cur > max ? cur : max;
		// The longest run inside the word: a run of n ones survives n-1
		// rounds of x &= x >> 1.
		uint32_t inner = 0;
		for (uint64_t x = w; x != 0; x &= x >> 1) {
			inner++;
		}
		max = inner > max ? inner : max;
		cur = (uint32_t)__builtin_clzll(~w); // and the run its high pages begin
	}
	if (instart) {
		start = cur; // all free
	}
	max = cur > max ? cur : max;
	return (struct pagesum){start, max, cur};
}

// Summarize the chunks of [first, last) pages of ha again, then the arena
// from its chunks: two levels of Go 1.14's tree of summaries.
static void
summarize(struct heapArena *ha, uint64_t first, uint64_t last)
{
	enum { ChunkWords = ChunkPages / 64, Chunks = PagesPerArena / ChunkPages };
	for (uint64_t c = first / ChunkPages; c <= (last - 1) / ChunkPages; c++) {
		ha->chunksum[c] = sumwords(&ha->free[c * ChunkWords], ChunkWords);
	}
	// Merge left to right: sum covers n pages, each chunk ChunkPages.
	struct pagesum sum = ha->chunksum[0];
	uint32_t n = ChunkPages;
	for (int c = 1; c < Chunks; c++) {
		struct pagesum next = ha->chunksum[c];
		struct pagesum m;
		m.start = sum.start == n ? n + next.start : sum.start;
		m.end = next.end == ChunkPages ? ChunkPages + sum.end : next.end;
		m.max = sum.max > next.max ? sum.max : next.max;
		m.max = sum.end + next.start > m.max ? sum.end + next.start : m.max;
		sum = m;
		n += ChunkPages;
	}
	ha->sum = sum;
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
	// A small heap grows in small steps: bare metal maps and zeroes the
	// frames at once, and 4 MiB of them cost a boot under TCG about 12 ms
	// before the first malloc (newlib's, in libc_init) returned.
	uint64_t step = h->heapsys < HeapChunkBytes ? HeapSmallStep : HeapChunkBytes;
	uint64_t ask = (npages * PageSize + step - 1) & ~(step - 1);
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
	for (uint64_t p = h->curarena; p < h->curarena + ask;) {
		struct heapArena *ha = arenaof(p);
		uint64_t upto = h->curarena + ask < ha->base + HeapArenaBytes ? h->curarena + ask : ha->base + HeapArenaBytes;
		ha->mapped = upto - ha->base; // a run is mapped from an arena's base up (mheap_sysalloc's arenas)
		p = upto;
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
		// Not while the collector marks: it reads the memory of manual
		// spans that may be freed meanwhile (mgcmark.c's ms->manual).
		// Relaxed: a span freed since the mark began was freed under
		// this lock after the phase changed (the world's start between).
		if (atomic_load_relaxed(&gcphase) != GCoff) {
			base = 0;
		}
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
