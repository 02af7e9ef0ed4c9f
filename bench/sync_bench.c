// sync_bench.c: the sync package (sync/*.c, runtime/sema.c), each with its
// Go twin in bench/go/sync_test.go doing the same work:
//
//	MutexUncontended        one goroutine locks and unlocks its mutex
//	MutexContended/goroutines=G
//	                        G goroutines (2, 8) share one mutex, each
//	                        adding to a counter under it; an op is one
//	                        lock and unlock, b->n in all
//	RWMutexRead             a goroutine on each P read-locks one RWMutex
//	                        (b->n in all): Go's readers share the count
//	WaitGroupAddDone        Add(1) then Done on one group
//	OncePath                Do on a Once already done (the fast path)
//	PoolGetPut              Get then Put of one object
//	SyncMapLoad             a goroutine on each P loads keys of a
//	                        sync.Map of 1000 int64 keys

#include "bench/bench.h"
#include "include/hood.h"

BENCH(BenchmarkMutexUncontended)
{
	struct sync_mutex mu = {0};
	for (long i = 0; i < b->n; i++) {
		sync_mutex_lock(&mu);
		sync_mutex_unlock(&mu);
	}
}

struct contended {
	struct sync_mutex mu;
	struct sync_waitgroup wg;
	long each;
	long count; // Protected by mu
};

static void
contender(void *arg)
{
	struct contended *c = arg;
	for (long i = 0; i < c->each; i++) {
		sync_mutex_lock(&c->mu);
		c->count++;
		sync_mutex_unlock(&c->mu);
	}
	sync_waitgroup_done(&c->wg);
}

static void
contended(struct B *b, int goroutines)
{
	static struct contended c;
	c = (struct contended){.each = b->n / goroutines};
	for (int i = 0; i < goroutines; i++) {
		sync_waitgroup_add(&c.wg, 1);
		go(contender, &c);
	}
	sync_waitgroup_wait(&c.wg);
	if (c.count != c.each * goroutines) {
		b_skip(b, "the counter lost increments");
	}
}

#define CONTENDED(g)                                                                                         \
	static void contended_##g(struct B *b)                                                               \
	{                                                                                                    \
		contended(b, g);                                                                             \
	}                                                                                                    \
	BENCH_REGISTER(contended_##g, "BenchmarkMutexContended/goroutines=" #g)

CONTENDED(2);
CONTENDED(8);

struct readers {
	struct sync_rwmutex rw;
	struct sync_waitgroup wg;
	long each;
};

static void
reader(void *arg)
{
	struct readers *r = arg;
	for (long i = 0; i < r->each; i++) {
		sync_rwmutex_rlock(&r->rw);
		sync_rwmutex_runlock(&r->rw);
	}
	sync_waitgroup_done(&r->wg);
}

BENCH(BenchmarkRWMutexRead)
{
	static struct readers r;
	int procs = runtime_gomaxprocs(0);
	r = (struct readers){.each = b->n / procs};
	for (int i = 0; i < procs; i++) {
		sync_waitgroup_add(&r.wg, 1);
		go(reader, &r);
	}
	sync_waitgroup_wait(&r.wg);
}

BENCH(BenchmarkWaitGroupAddDone)
{
	struct sync_waitgroup wg = {0};
	for (long i = 0; i < b->n; i++) {
		sync_waitgroup_add(&wg, 1);
		sync_waitgroup_done(&wg);
	}
}

static void
nothing(void *arg)
{
	(void)arg;
}

BENCH(BenchmarkOncePath)
{
	struct sync_once once = {0};
	sync_once_do(&once, nothing, NULL);
	for (long i = 0; i < b->n; i++) {
		sync_once_do(&once, nothing, NULL);
	}
}

static void *
newpooled(void)
{
	return runtime_new(64, true);
}

BENCH(BenchmarkPoolGetPut)
{
	static struct sync_pool p = {.New = newpooled};
	for (long i = 0; i < b->n; i++) {
		void *x = sync_pool_get(&p);
		sync_pool_put(&p, x);
	}
}

// SyncMapLoad: a goroutine on each P loads keys of a sync.Map of 1000
// int64 keys, b->n loads in all (Go's BenchmarkLoadMostlyHits, on
// int64 keys).
enum { SyncMapKeys = 1000 };

struct syncmapload {
	struct sync_map m;
	struct sync_waitgroup wg;
	long each;
};

static void
syncmaploader(void *arg)
{
	struct syncmapload *s = arg;
	for (long i = 0; i < s->each; i++) {
		int64_t k = i % SyncMapKeys;
		sync_map_load(&s->m, &k, NULL);
	}
	sync_waitgroup_done(&s->wg);
}

BENCH(BenchmarkSyncMapLoad)
{
	static struct syncmapload s = {.m = SYNC_MAP_INIT(int64_t, MapKeyInt64)};
	for (int64_t k = 0; k < SyncMapKeys; k++) {
		sync_map_store(&s.m, &k, (void *)(uintptr_t)(k + 1));
	}
	for (int64_t k = 0; k < SyncMapKeys; k++) {
		sync_map_load(&s.m, &k, NULL); // misses, until dirty becomes read
	}
	b_resettimer(b);
	int procs = runtime_gomaxprocs(0);
	s.each = b->n / procs;
	for (int i = 0; i < procs; i++) {
		sync_waitgroup_add(&s.wg, 1);
		go(syncmaploader, &s);
	}
	sync_waitgroup_wait(&s.wg);
}
