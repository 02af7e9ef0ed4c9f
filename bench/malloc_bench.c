// malloc_bench.c: malloc and free for C code (runtime/mmanual.c, see
// docs/malloc.md) against other allocators, in three patterns that
// mimalloc-bench also runs:
//
//	MallocFree/N              a malloc of N bytes and its free, one
//	                          goroutine: the per-P fast path
//	MallocProducerConsumer/64 one goroutine allocates, another frees,
//	                          through a bounded ring (larson's and
//	                          xmalloc-test's pattern): objects move
//	                          between Ps
//	MallocCacheScratch/8      each P's goroutine frees an object that the
//	                          benchmark allocated beside the others', then
//	                          allocates small objects and writes them over
//	                          and over (Hoard's cache-scratch): if two Ps
//	                          get objects in one cache line, the line
//	                          bounces between CPUs (false sharing)
//
// Each pattern runs once per allocator, under Go's sub-benchmark names
// (BenchmarkMallocFree/16/hood, .../16/glibc, .../16/mimalloc,
// .../16/jemalloc), so that scripts/benchcompare puts them side by side.
// Every allocator is called through a function pointer, so all pay the
// same call.
//
// On the Linux port glibc's malloc is the process's, and mimalloc and
// jemalloc (Debian's libmimalloc2.0 and libjemalloc2, which scripts/setup
// installs) are loaded with dlopen when their shared libraries are there:
// neither the runtime nor its tests ever link them. libjemalloc.so.2
// exports plain malloc and free, so it is opened RTLD_LOCAL (its symbols
// do not replace glibc's for the process) and RTLD_DEEPBIND (its own calls
// to them stay inside it), and its functions are looked up on its handle;
// its initial-exec thread-locals need more static TLS than glibc keeps for
// dlopen, which GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 gives
// (scripts/benchcompare sets it).
// An allocator that is not there is skipped, saying why. On bare metal
// newlib's malloc is hood's, so only the hood rows exist: the Linux parts
// are under __linux__, which the kernel's flags undefine (KCFLAGS).
//
// Memory stays bounded: every object is freed before its benchmark ends;
// at most RingSize objects are live in the ring.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <dlfcn.h>
#endif

#include "bench/bench.h"
#include "include/hood.h"
#include "lib/atomic.h"
#include "tests/wg.h"

struct allocator;

static bool allocator_open(struct B *b, struct allocator *a);
static void mallocfree(struct B *b, struct allocator *a, long size);
static void producer(struct B *b, struct allocator *a, long size);
static void consumer(void *arg);
static void cachescratch(struct B *b, struct allocator *a, long size);
static void scratcher(void *arg);

// An allocator's malloc and free; set from the start, or by
// allocator_open from a shared library (Linux).
struct allocator {
	const char *name;
	void *(*malloc)(size_t size);
	void (*free)(void *p);
	// Where allocator_open finds them; lib is NULL for one linked in.
	const char *lib, *mallocsym, *freesym;
	int flags; // dlopen's
	// Set by allocator_open, on the benchmarks' goroutine only:
	bool opened;
	char why[200]; // why malloc is NULL
};

static struct allocator alloc_hood = {.name = "hood", .malloc = runtime_malloc, .free = runtime_free};

#ifdef __linux__
static struct allocator alloc_glibc = {.name = "glibc", .malloc = malloc, .free = free};
static struct allocator alloc_mimalloc = {
	.name = "mimalloc",
	.lib = "libmimalloc.so.2",
	.mallocsym = "mi_malloc",
	.freesym = "mi_free",
	.flags = RTLD_NOW | RTLD_LOCAL,
};
static struct allocator alloc_jemalloc = {
	.name = "jemalloc",
	.lib = "libjemalloc.so.2",
	.mallocsym = "malloc",
	.freesym = "free",
	.flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND,
};
#endif

// Whether a's functions are there, loading its library the first time;
// if not, the benchmark is skipped, saying why.
static bool
allocator_open(struct B *b, struct allocator *a)
{
#ifdef __linux__
	if (a->lib != NULL && !a->opened) {
		a->opened = true;
		void *h = dlopen(a->lib, a->flags);
		void *m = h != NULL ? dlsym(h, a->mallocsym) : NULL,
		     *f = h != NULL ? dlsym(h, a->freesym) : NULL;
		if (h == NULL) {
			// jemalloc's thread-locals are initial-exec TLS, 2.6 KiB of
			// it, more than the 512 bytes glibc keeps for dlopen.
			const char *err = dlerror();
			snprintf(a->why, sizeof a->why, "%s (%s)", err,
				 strstr(err, "static TLS") != NULL
					 ? "run with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096, as "
					   "scripts/benchcompare does"
					 : "Debian's package is installed by scripts/setup");
		} else if (m == NULL || f == NULL) {
			snprintf(a->why, sizeof a->why, "%s has no %s or %s", a->lib, a->mallocsym,
				 a->freesym);
		} else if (m == (void *)malloc) {
			// A library without its own malloc: dlsym found glibc's.
			snprintf(a->why, sizeof a->why, "%s's %s is glibc's", a->lib, a->mallocsym);
		} else {
			a->malloc = (void *(*)(size_t))m;
			a->free = (void (*)(void *))f;
		}
	}
#endif
	if (a->malloc == NULL) {
		b_skip(b, a->why);
		return false;
	}
	b_resettimer(b); // dlopen is not what is measured
	return true;
}

// --- MallocFree ---------------------------------------------------------------

// A malloc and a free per op; the object's first byte is written, as a
// program would, through a volatile so that nothing folds the pair away.
static void
mallocfree(struct B *b, struct allocator *a, long size)
{
	if (!allocator_open(b, a)) {
		return;
	}
	void *(*alloc)(size_t) = a->malloc;
	void (*release)(void *) = a->free;
	for (long i = 0; i < b->n; i++) {
		volatile char *p = alloc(size);
		p[0] = (char)i;
		release((void *)p);
	}
}

// --- MallocProducerConsumer ---------------------------------------------------

// The ring between the two goroutines: one producer, one consumer, each
// index written by one side only. Slots [head, tail) hold objects; the
// producer fills slot tail % RingSize, then publishes it by advancing
// tail (store-release; pairs with the consumer's load-acquire of tail,
// which then sees the slot and the object's contents); the consumer
// empties slot head % RingSize, then gives it back by advancing head
// (store-release; pairs with the producer's load-acquire of head, so the
// slot is read before it is written again). The indexes only grow (2^64
// objects would take centuries), and each is on a cache line of its own,
// away from the other and the slots, so that the ring's own traffic is
// one line per index, not false sharing of its own.
enum { RingSize = 1024 }; // a power of two

struct ring {
	_Alignas(64) uint64_t tail; // Atomic; written by the producer
	_Alignas(64) uint64_t head; // Atomic; written by the consumer
	_Alignas(64) char *slot[RingSize];
	// Set before the consumer starts (go() publishes them):
	struct allocator *a;
	long n;
	struct waitgroup wg;
	bool corrupt; // the consumer saw an object that was not the producer's
};

static struct ring ring;

// An op is one object, allocated and written by the benchmark's goroutine,
// read and freed by a consumer goroutine, which runs on another P when
// there are two (GOMAXPROCS). A full or empty ring yields.
static void
producer(struct B *b, struct allocator *a, long size)
{
	if (!allocator_open(b, a)) {
		return;
	}
	ring.a = a;
	ring.n = b->n;
	// Relaxed: no consumer runs yet; go() publishes these to the next.
	atomic_store_relaxed(&ring.head, 0);
	atomic_store_relaxed(&ring.tail, 0);
	ring.corrupt = false;
	wg_add(&ring.wg, 1);
	go(consumer, NULL);
	uint64_t tail = 0;
	for (long i = 0; i < b->n; i++) {
		char *p = a->malloc(size);
		p[0] = (char)i;
		p[size - 1] = (char)i;
		// Load-acquire; pairs with the consumer's store-release of head:
		// the slot about to be filled has been read.
		while (tail - atomic_load_acq(&ring.head) == RingSize) {
			runtime_gosched();
		}
		ring.slot[tail % RingSize] = p;
		tail++;
		// Store-release; pairs with the consumer's load-acquire of tail.
		atomic_store_rel(&ring.tail, tail);
	}
	wg_wait(&ring.wg);
	if (ring.corrupt) {
		// Go's b.Fatal; bench.h has none: no result line, as for a skip.
		printf("--- FAIL: %s\n    an object came out of the ring changed\n", b->name);
		b->skipped = true;
	}
}

static void
consumer(void *arg)
{
	(void)arg;
	uint64_t head = 0;
	for (long i = 0; i < ring.n; i++) {
		// Load-acquire; pairs with the producer's store-release of tail:
		// the slot and the object in it are visible.
		while (atomic_load_acq(&ring.tail) == head) {
			runtime_gosched();
		}
		char *p = ring.slot[head % RingSize];
		if (p[0] != (char)i) {
			ring.corrupt = true; // read by the producer after wg_wait
		}
		ring.a->free(p);
		head++;
		// Store-release; pairs with the producer's load-acquire of head.
		atomic_store_rel(&ring.head, head);
	}
	wg_done(&ring.wg);
}

// --- MallocCacheScratch -------------------------------------------------------

// One goroutine a P (up to MaxScratchers), each doing b->n / workers
// rounds: malloc a small object, write each of its bytes ScratchWrites
// times, free it. Before its rounds a worker frees an object that the
// benchmark's goroutine allocated right after the other workers' ones
// (so likely in the same cache line): an allocator that hands a freed
// object to the P that freed it puts objects of two Ps in one line, and
// every write of one CPU takes the line from the other (Berger et al.,
// "Hoard", ASPLOS 2000: passive false sharing). The shared-lines metric
// counts the pairs of workers whose last objects shared a line.
enum {
	MaxScratchers = 64,
	ScratchWrites = 50,
	CacheLine = 64,
};

struct scratcher {
	struct allocator *a;
	long n, size;
	char *first;    // allocated by the benchmark's goroutine, freed by this one
	uintptr_t last; // the last object's address, read after wg_wait
	struct waitgroup *wg;
};

static struct waitgroup scratchwg;

static void
cachescratch(struct B *b, struct allocator *a, long size)
{
	if (!allocator_open(b, a)) {
		return;
	}
	static struct scratcher w[MaxScratchers];
	int nw = runtime_gomaxprocs(0);
	nw = nw > MaxScratchers ? MaxScratchers : nw;
	for (int i = 0; i < nw; i++) {
		w[i] = (struct scratcher){a,         b->n / nw + (i < b->n % nw), size, a->malloc(size), 0,
					  &scratchwg};
	}
	wg_add(&scratchwg, nw);
	for (int i = 0; i < nw; i++) {
		go(scratcher, &w[i]);
	}
	wg_wait(&scratchwg);
	int shared = 0;
	for (int i = 0; i < nw; i++) {
		for (int j = i + 1; j < nw; j++) {
			shared += w[i].last != 0 && w[i].last / CacheLine == w[j].last / CacheLine;
		}
	}
	b_reportmetric(b, shared, "shared-lines");
}

static void
scratcher(void *arg)
{
	struct scratcher *w = arg;
	w->a->free(w->first);
	for (long i = 0; i < w->n; i++) {
		volatile char *p = w->a->malloc(w->size);
		for (int k = 0; k < ScratchWrites; k++) {
			for (long j = 0; j < w->size; j++) {
				p[j] = (char)(k + j);
			}
		}
		w->last = (uintptr_t)p;
		w->a->free((void *)p);
	}
	wg_done(w->wg);
}

// --- the benchmarks, one per pattern, size and allocator --------------------

// BENCH for one allocator: fn(b, &alloc_who, arg) registered under Go's
// sub-benchmark name "Benchmark" label "/" who. Each on a line of its own:
// benchmarks run in line order.
#define ALLOCBENCH(fn, arg, label, who)                                                                      \
	static void fn##_##arg##_##who(struct B *b)                                                          \
	{                                                                                                    \
		fn(b, &alloc_##who, arg);                                                                    \
	}                                                                                                    \
	BENCH_REGISTER(fn##_##arg##_##who, "Benchmark" label "/" #who);

// The allocators only the Linux port has.
#ifdef __linux__
#define LINUXBENCH(fn, arg, label, who) ALLOCBENCH(fn, arg, label, who)
#else
#define LINUXBENCH(fn, arg, label, who)
#endif

ALLOCBENCH(mallocfree, 16, "MallocFree/16", hood)
LINUXBENCH(mallocfree, 16, "MallocFree/16", glibc)
LINUXBENCH(mallocfree, 16, "MallocFree/16", mimalloc)
LINUXBENCH(mallocfree, 16, "MallocFree/16", jemalloc)
ALLOCBENCH(mallocfree, 64, "MallocFree/64", hood)
LINUXBENCH(mallocfree, 64, "MallocFree/64", glibc)
LINUXBENCH(mallocfree, 64, "MallocFree/64", mimalloc)
LINUXBENCH(mallocfree, 64, "MallocFree/64", jemalloc)
ALLOCBENCH(mallocfree, 256, "MallocFree/256", hood)
LINUXBENCH(mallocfree, 256, "MallocFree/256", glibc)
LINUXBENCH(mallocfree, 256, "MallocFree/256", mimalloc)
LINUXBENCH(mallocfree, 256, "MallocFree/256", jemalloc)
ALLOCBENCH(mallocfree, 1024, "MallocFree/1K", hood)
LINUXBENCH(mallocfree, 1024, "MallocFree/1K", glibc)
LINUXBENCH(mallocfree, 1024, "MallocFree/1K", mimalloc)
LINUXBENCH(mallocfree, 1024, "MallocFree/1K", jemalloc)
ALLOCBENCH(mallocfree, 4096, "MallocFree/4K", hood)
LINUXBENCH(mallocfree, 4096, "MallocFree/4K", glibc)
LINUXBENCH(mallocfree, 4096, "MallocFree/4K", mimalloc)
LINUXBENCH(mallocfree, 4096, "MallocFree/4K", jemalloc)
ALLOCBENCH(mallocfree, 32768, "MallocFree/32K", hood)
LINUXBENCH(mallocfree, 32768, "MallocFree/32K", glibc)
LINUXBENCH(mallocfree, 32768, "MallocFree/32K", mimalloc)
LINUXBENCH(mallocfree, 32768, "MallocFree/32K", jemalloc)
ALLOCBENCH(producer, 64, "MallocProducerConsumer/64", hood)
LINUXBENCH(producer, 64, "MallocProducerConsumer/64", glibc)
LINUXBENCH(producer, 64, "MallocProducerConsumer/64", mimalloc)
LINUXBENCH(producer, 64, "MallocProducerConsumer/64", jemalloc)
ALLOCBENCH(cachescratch, 8, "MallocCacheScratch/8", hood)
LINUXBENCH(cachescratch, 8, "MallocCacheScratch/8", glibc)
LINUXBENCH(cachescratch, 8, "MallocCacheScratch/8", mimalloc)
LINUXBENCH(cachescratch, 8, "MallocCacheScratch/8", jemalloc)
