// mmanual.c: the C library's malloc and free, served from the runtime's
// heap in manual spans (MSpanManual), never collected: runtime_malloc,
// runtime_free, runtime_calloc, runtime_realloc, runtime_memalign and
// runtime_mallocsize (hood.h). On bare metal they are newlib's malloc
// family (os_hood.c); on Linux glibc's malloc stays the process's and these
// are there beside it, to be measured against it. See malloc.h for the
// heap.
//
// The design is tcmalloc's, which Go's mcache grew from: objects of a size
// class, free ones on lists linked through their first word, in three
// tiers. A P's mcache has a bin per class (manual[]): a free list, and the
// rest of the span it is carving; malloc pops, free pushes, neither takes
// a lock. A bin that grows past 2 batches gives a batch to the class's
// manualcentral (a locked list), where a bin with nothing takes a batch
// before it carves a new span from the heap. A batch is 64 KiB of objects,
// from 2 to 32 of them (tcmalloc's num_objects_to_move). So a goroutine
// that frees what another allocated (producer and consumer) moves objects
// between Ps a batch at a time. An M without a P (a kernel thread, the
// kernel before the runtime starts, a goroutine in a blocking call) uses
// one shared mcache under a lock. Objects over MaxSmallSize get a manual
// span each, and free gives its pages back to the heap.
//
// Every object is 16-byte aligned (malloc's promise on x86-64): size
// classes from 16 up are multiples of 16, and a request of 8 bytes or less
// still takes class 2 (16 bytes), so a free object has two words: the link
// and a key. The key is manualkey ^ the object's address, written by free
// and cleared by malloc: a free of an object whose key is set is a double
// free (glibc's tcache keeps the same kind of key; a program whose data
// holds exactly that word where its object begins would be misreported,
// with odds of 2^-64 a free). A free of a pointer that is not the start of
// an object in a manual span is "not allocated by malloc". Both are fatal.
//
// The collector will treat these spans as roots: every word of a manual
// span, free objects too, is scanned conservatively, so a pointer kept in
// malloc'd memory keeps a heap object alive (spanof tells the spans).

#include <string.h>

#include "include/hood.h"
#include "runtime/malloc.h"

static void *smallalloc(uint64_t size);
static void smallfree(struct mspan *s, uint64_t p);
static void *largealloc(uint64_t size, uint64_t align, bool zero);
static inline struct mcache *lockcache(struct m **mpp);
static struct mcache *lockshared(struct m *mp, struct m **mpp);
static inline void unlockcache(struct m *mp);
static void binrefill(struct mcache *c, int sizeclass);
static void binflush(struct mcache *c, int sizeclass);
static int batchsize(int sizeclass);
static _Noreturn void badfree(const char *what, uint64_t p);
static void onsystemstack(void (*fn)(void *), void *arg);
static void allocspan(void *arg);
static void freespan(void *arg);

// What the heap calls take to the g0 stack.
struct spanreq {
	uint64_t npages, alignpages;
	int sizeclass;
	struct mspan *s; // the new span
	bool needzero;
};

uint64_t manualkey; // set once by mallocinit, odd

// The mcache for this call: the P's, with the M acquired (*mpp), or the
// shared one, locked (*mpp is NULL). The M is acquired before its P is
// looked at, so the P is the one the call keeps, and unlockcache releases
// that M without looking it up again. Inline, on malloc's and free's
// fast paths (two calls each were a fifth of a malloc-free pair); the
// shared cache is out of line.
static inline struct mcache *
lockcache(struct m **mpp)
{
	struct m *mp = acquirem();
	if (mp != NULL && mp->p != NULL && !mp->mallocing) {
		*mpp = mp;
		return mp->p->mcache;
	}
	return lockshared(mp, mpp);
}

static struct mcache *
lockshared(struct m *mp, struct m **mpp)
{
	if (mp != NULL) {
		releasem(mp);
	}
	spin_lock(&mheap_.manuallock);
	*mpp = NULL;
	if (mheap_.manualcache == NULL) {
		mheap_.manualcache = allocmcache();
	}
	return mheap_.manualcache;
}

static inline void
unlockcache(struct m *mp)
{
	if (mp == NULL) {
		spin_unlock(&mheap_.manuallock);
	} else {
		releasem(mp);
	}
}

// The heap, made by the first call if it comes before schedinit's
// mallocinit (the C library on bare metal: one CPU, no M). smallalloc and
// largealloc, the two ways into the heap, look.
static inline void
manualinit(void)
{
	if (manualkey == 0) {
		mallocinit();
	}
}

// The size class of a block of size bytes: never class 1 (8 bytes), so
// every block is 16-byte aligned and has room for the free key.
static inline int
manualclass(uint64_t size)
{
	return size <= TinySize ? TinySizeClass : sizetoclass(size);
}

void *
runtime_malloc(size_t size)
{
	if (size > MaxSmallSize) {
		return largealloc(size, 1, false);
	}
	return smallalloc(size);
}

static void *
smallalloc(uint64_t size)
{
	manualinit();
	int sizeclass = manualclass(size);
	struct m *mp;
	struct mcache *c = lockcache(&mp);
	struct manualbin *b = &c->manual[sizeclass];
	uint64_t *v = b->list;
	if (v == NULL && b->carve == b->carveend) {
		binrefill(c, sizeclass);
		v = b->list;
	}
	if (v != NULL) {
		b->list = (void *)v[0];
		b->n--;
	} else {
		v = (uint64_t *)b->carve; // fresh from the span: never freed, so no key
		b->carve += class_to_size[sizeclass];
		unlockcache(mp);
		return v;
	}
	unlockcache(mp);
	v[1] = 0; // no longer free
	return v;
}

// The last of the first n objects of the free list at head, or of all of
// them if the list is shorter; *got is how many that is. Free lists link
// through each object's first word.
static uint64_t *
listtail(uint64_t *head, uint64_t n, uint64_t *got)
{
	uint64_t *tail = head;
	uint64_t k = 1;
	while (k < n && tail[0] != 0) {
		tail = (uint64_t *)tail[0];
		k++;
	}
	*got = k;
	return tail;
}

// Objects for an empty bin: a batch from the central list, else the rest
// of a new span to carve. Caller holds the cache.
static void
binrefill(struct mcache *c, int sizeclass)
{
	struct manualbin *b = &c->manual[sizeclass];
	struct manualcentral *mc = &mheap_.manualcentral[sizeclass];
	spin_lock(&mc->lock);
	if (mc->list != NULL) {
		uint64_t k;
		uint64_t *head = mc->list, *tail = listtail(head, (uint64_t)batchsize(sizeclass), &k);
		mc->list = (void *)tail[0];
		mc->n -= k;
		spin_unlock(&mc->lock);
		tail[0] = (uint64_t)b->list;
		b->list = head;
		b->n += (uint32_t)k;
		return;
	}
	spin_unlock(&mc->lock);
	struct spanreq r = {class_to_allocnpages[sizeclass], 1, sizeclass, NULL, false};
	onsystemstack(allocspan, &r);
	if (r.s == NULL) {
		throwoom(class_to_size[sizeclass]);
	}
	r.s->needzero = r.needzero;
	b->carve = r.s->startaddr;
	b->carveend = r.s->limit;
}

// Give a batch of a bin's objects to the central list. Caller holds the
// cache.
static void
binflush(struct mcache *c, int sizeclass)
{
	struct manualbin *b = &c->manual[sizeclass];
	uint64_t n;
	uint64_t *head = b->list, *tail = listtail(head, (uint64_t)batchsize(sizeclass), &n); // the bin holds more
	b->list = (void *)tail[0];
	b->n -= (uint32_t)n;
	struct manualcentral *mc = &mheap_.manualcentral[sizeclass];
	spin_lock(&mc->lock);
	tail[0] = (uint64_t)mc->list;
	mc->list = head;
	mc->n += n;
	spin_unlock(&mc->lock);
}

// Every free object of c's bins to its class's central list (an mcache
// given up: mcache_releaseall). What is left to carve stays with c, for
// its P's return.
void
manual_releasebins(struct mcache *c)
{
	for (int k = 1; k < NumSizeClasses; k++) {
		struct manualbin *b = &c->manual[k];
		if (b->list == NULL) {
			continue;
		}
		uint64_t n;
		uint64_t *tail = listtail(b->list, UINT64_MAX, &n);
		struct manualcentral *mc = &mheap_.manualcentral[k];
		spin_lock(&mc->lock);
		tail[0] = (uint64_t)mc->list;
		mc->list = b->list;
		mc->n += n;
		spin_unlock(&mc->lock);
		b->list = NULL;
		b->n = 0;
	}
}

// tcmalloc's num_objects_to_move: 64 KiB of objects, 2 to 32 of them.
static int
batchsize(int sizeclass)
{
	if (class_to_size[sizeclass] <= (64 << 10) / 32) {
		return 32; // no division on free's path for the classes up to 2 KiB
	}
	int n = (64 << 10) / class_to_size[sizeclass];
	return n < 2 ? 2 : n > 32 ? 32 : n;
}

void
runtime_free(void *ptr)
{
	if (ptr == NULL) {
		return;
	}
	uint64_t p = (uint64_t)ptr;
	struct mspan *s = spanof(p);
	if (s == NULL || s->state != MSpanManual) {
		badfree("a pointer not allocated by malloc", p);
	}
	if (spanclass_sizeclass(s->spanclass) == 0) {
		if (p != s->startaddr) {
			badfree("a pointer not allocated by malloc", p);
		}
		onsystemstack(freespan, s);
		return;
	}
	smallfree(s, p);
}

static void
smallfree(struct mspan *s, uint64_t p)
{
	uint64_t off = p - s->startaddr;
	if (p >= s->limit || ((off * s->divmagic) >> 32) * s->elemsize != off) {
		badfree("a pointer not allocated by malloc", p);
	}
	uint64_t *v = (uint64_t *)p;
	if (v[1] == (manualkey ^ p)) {
		badfree("double free", p);
	}
	int sizeclass = spanclass_sizeclass(s->spanclass);
	struct m *mp;
	struct mcache *c = lockcache(&mp);
	struct manualbin *b = &c->manual[sizeclass];
	v[0] = (uint64_t)b->list;
	v[1] = manualkey ^ p;
	b->list = v;
	if (++b->n > 2 * (uint32_t)batchsize(sizeclass)) {
		binflush(c, sizeclass);
	}
	unlockcache(mp);
}

// A manual span of its own for an object over MaxSmallSize, or for an
// alignment over what a size class gives; align is a power of two. zero:
// calloc's, which must read zeros (pages used before may not).
static void *
largealloc(uint64_t size, uint64_t align, bool zero)
{
	manualinit();
	if (size + PageSize < size || size + align < size) {
		throwoom(size);
	}
	uint64_t npages = (size + PageSize - 1) / PageSize;
	uint64_t alignpages = align > PageSize ? align / PageSize : 1;
	struct spanreq r = {npages, alignpages, 0, NULL, false};
	onsystemstack(allocspan, &r);
	if (r.s == NULL) {
		throwoom(size);
	}
	r.s->limit = r.s->startaddr + size;
	if (zero && r.needzero) {
		memset((void *)r.s->startaddr, 0, size);
	}
	return (void *)r.s->startaddr;
}

void *
runtime_calloc(size_t n, size_t size)
{
	if (size != 0 && n > UINT64_MAX / size) {
		return NULL; // C's answer to an overflow (errno ENOMEM is the caller's)
	}
	if (n * size > MaxSmallSize) {
		return largealloc(n * size, 1, true);
	}
	void *p = runtime_malloc(n * size);
	memset(p, 0, n * size); // a reused object holds old data
	return p;
}

// The usable size of an object from runtime_malloc (glibc's
// malloc_usable_size).
size_t
runtime_mallocsize(void *ptr)
{
	struct mspan *s = spanof((uint64_t)ptr);
	if (s == NULL || s->state != MSpanManual) {
		badfree("a pointer not allocated by malloc", (uint64_t)ptr);
	}
	if (spanclass_sizeclass(s->spanclass) == 0) {
		return s->npages * PageSize;
	}
	return s->elemsize;
}

void *
runtime_realloc(void *ptr, size_t size)
{
	if (ptr == NULL) {
		return runtime_malloc(size);
	}
	if (size == 0) {
		runtime_free(ptr);
		return NULL;
	}
	size_t have = runtime_mallocsize(ptr);
	if (size <= have && (have <= MaxSmallSize ? size > have / 2 : size > have - have / 4)) {
		return ptr; // fits, and not much too big
	}
	void *p = runtime_malloc(size);
	memcpy(p, ptr, size < have ? size : have);
	runtime_free(ptr);
	return p;
}

// size bytes at a multiple of align, a power of two (C's aligned_alloc,
// newlib's memalign). A class whose objects are multiples of align gives
// aligned objects, since spans start on pages; bigger alignments get a
// span of their own.
void *
runtime_memalign(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)) != 0) {
		return NULL;
	}
	if (align <= 16) {
		return runtime_malloc(size);
	}
	if (align <= PageSize && size <= MaxSmallSize) {
		for (int c = manualclass(size); c < NumSizeClasses; c++) {
			if (class_to_size[c] % align == 0) {
				return smallalloc(class_to_size[c]);
			}
		}
	}
	return largealloc(size, align, false);
}

// The heap's calls run on g0, as mallocgc's (they hold the heap's lock
// while the machine maps memory); without an M (the kernel before the
// runtime starts) the caller's stack is the kernel's already.
static void
onsystemstack(void (*fn)(void *), void *arg)
{
	if (getm() == NULL) {
		fn(arg);
	} else {
		systemstack(fn, arg);
	}
}

static void
allocspan(void *arg)
{
	struct spanreq *r = arg;
	r->s = mheap_allocaligned(&mheap_, r->npages, r->alignpages, makespanclass(r->sizeclass, false),
				  MSpanManual, &r->needzero);
}

static void
freespan(void *arg)
{
	mheap_freespan(&mheap_, arg);
}

static _Noreturn void
badfree(const char *what, uint64_t p)
{
	os_print("runtime: free of %#lx: %s\n", p, what);
	throw(strcmp(what, "double free") == 0 ? "free: double free" : "free: invalid pointer");
}
