// mfixalloc.c: fixalloc, Go's allocator for the runtime's fixed-size
// structures that come and go (spans, mcaches): a free list threaded
// through the first word of each free structure, over FixAllocChunk
// chunks from the machine. See malloc.h for an overview.
//
// Not thread-safe: each fixalloc is guarded by its owner's lock (all of
// mheap_'s by mheap_.lock). Like Go's with zero = false for spans, alloc
// does not clear what comes off the free list: a span's sweepgen must
// survive its struct's reuse. Callers initialise every field they use.

#include "runtime/malloc.h"

void
fixalloc_init(struct fixalloc *f, uint64_t size)
{
	if (size < sizeof(void *) || size > FixAllocChunk) {
		fatalf("fixalloc_init: size %lu", size);
	}
	*f = (struct fixalloc){.size = (size + 7) & ~(uint64_t)7};
}

void *
fixalloc_alloc(struct fixalloc *f)
{
	void *v = f->list;
	if (v != NULL) {
		f->list = *(void **)v;
		f->inuse += f->size;
		return v;
	}
	if (f->nchunk < f->size) {
		// From the machine, not persistentalloc: the collector scans
		// persistentalloc's chunks, and a span's startaddr there would
		// keep its first object alive (mgcmark.c).
		f->chunk = os_sysalloc(FixAllocChunk);
		f->nchunk = FixAllocChunk;
		f->sys += FixAllocChunk;
	}
	v = f->chunk;
	f->chunk += f->size;
	f->nchunk -= f->size;
	f->inuse += f->size;
	return v;
}

void
fixalloc_free(struct fixalloc *f, void *p)
{
	f->inuse -= f->size;
	*(void **)p = f->list;
	f->list = p;
}
