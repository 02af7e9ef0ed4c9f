// malloc.c: memory for the runtime's own structures (Gs, Ms, Ps, timers):
// persistentalloc, Go's bump allocator over chunks from the machine
// (os_sysalloc) for what lives as long as the program (malloc.go). Gs, Ms
// and Ps are never freed, in Go as here; Gs are reused from free lists
// (proc.c). The heap allocator proper (mallocgc) is the allocator issue's.
//
// Why not newlib's malloc: its lock is a sleeping mutex. The scheduler
// allocates on g0 holding its P (newproc1's malg, addtimer in gopark's
// unlockf); an M that sleeps there keeps its P, which sysmon cannot take
// back, while the M that holds malloc's lock may be waiting for a P
// (exitsyscall): a deadlock. persistentalloc only spins, for a few instructions.
//
// Lock order: persistentalloc's lock, then the machine's page-table and
// frame locks (lib/lockrank.h). So a caller holds no runtime spinlock
// (sched.lock and the others rank above).

#include "runtime/runtime.h"

enum {
	PersistentChunkSize = 256 << 10, // Go's persistentChunkSize
	MaxBlock = 64 << 10,             // bigger requests go to the machine directly
};

// The current chunk and how much of it is used.
static struct {
	struct spinlock lock;
	char *base; // Protected by lock
	uint64_t off;
} persistent = {SPINLOCK_INIT("persistentalloc", LOCK_PALLOC), NULL, 0};

// persistentalloc: size bytes, zeroed, aligned to align (a power of two
// up to 4096), for good. Go's persistentalloc. Caller holds no runtime
// spinlock.
void *
persistentalloc(uint64_t size, uint64_t align)
{
	if (align == 0 || (align & (align - 1)) != 0 || align > 4096) {
		fatalf("persistentalloc: bad align %lu", align);
	}
	if (size >= MaxBlock) {
		return os_sysalloc(size);
	}
	spin_lock(&persistent.lock);
	persistent.off = (persistent.off + align - 1) & ~(align - 1);
	if (persistent.base == NULL || persistent.off + size > PersistentChunkSize) {
		persistent.base = os_sysalloc(PersistentChunkSize);
		persistent.off = 0;
	}
	void *p = persistent.base + persistent.off;
	persistent.off += size;
	spin_unlock(&persistent.lock);
	return p;
}
