// hood.h: the Go-shaped API for hood's applications. A program is C with
// goroutines:
//
//	#include <hood.h>
//	#include <stdio.h>
//
//	static void
//	hello(void *arg)
//	{
//		printf("hello from goroutine %s\n", (char *)arg);
//	}
//
//	int
//	main(void)
//	{
//		go(hello, "two");
//		time_sleep(10 * Millisecond);
//		printf("goroutines: %d\n", runtime_numgoroutine());
//		return 0;
//	}
//
// main runs as goroutine 1; when it returns, the program ends with its
// status, other goroutines or not (as in Go). Everything here is safe to
// call from any goroutine. A goroutine that waits in a C library call
// (newlib's locks, reading the console) lends its P to the others
// meanwhile, as a Go goroutine in a system call does; errno is each
// goroutine's own. Channels, select, defer, panic, recover, maps, sync
// and time are here; net arrives with the issue that builds it.
//
// The sections follow Go's packages, in the order a Go program meets them:
// the go statement and package runtime, then time; channels and select,
// defer and panic, maps, sync and sync/atomic; net comes after them when it
// is built. Each section opens with a short example.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// ---- go and package runtime --------------------------------------------------
//
//	go(worker, &job);                   // go worker(&job)
//	runtime_gosched();                  // runtime.Gosched()
//	int n = runtime_gomaxprocs(0);      // runtime.GOMAXPROCS(0)

// go(fn, arg): run fn(arg) in a new goroutine.
void newproc(void (*fn)(void *), void *arg);
#define go(fn, arg) newproc((fn), (arg))

// Gosched yields the processor; Goexit ends the calling goroutine (in
// main: the program goes on until no goroutine can run, then Go's
// deadlock error).
void runtime_gosched(void);
void runtime_goexit(void) __attribute__((noreturn));
int runtime_numgoroutine(void);
int runtime_numcpu(void);
int runtime_gomaxprocs(int n); // n <= 0: only report; returns the previous value

// Go's os.Getenv over the runtime's environment: on bare metal the boot
// command line's KEY=VALUE words (test=all, GOGC=50), on Linux the
// process's. NULL when not set; the string is not the caller's to change.
const char *runtime_getenv(const char *key);

// runtime.Stack: the calling goroutine's traceback ("goroutine 1
// [running]:" and its frames), and with all every other goroutine's, into
// buf (not NUL-terminated); returns the bytes written, at most len.
int runtime_stack(char *buf, int len, bool all);

// LockOSThread: the calling goroutine runs only on its thread (M), and
// the thread runs only it, until as many UnlockOSThreads. A goroutine that
// exits while locked takes its thread with it (Go's rule).
void runtime_lockosthread(void);
void runtime_unlockosthread(void);

// ---- memory: new and runtime.MemStats -----------------------------------------
//
//	struct node *n = new(struct node);            // n := new(node)
//	int64_t *v = newarray(int64_t, 1000);         // v := make([]int64, 1000)
//	char *buf = newarraynoscan(char, 1 << 20);    // a buffer that holds no pointers
//	struct memstats ms;
//	runtime_readmemstats(&ms);                    // runtime.ReadMemStats(&ms)
//
// Memory from new is the runtime's heap (Go's mallocgc): zeroed, aligned
// for any type its size can hold (16 bytes from 16 up), and never freed
// by the program. The collector frees what nothing points to (a word
// anywhere in the roots or in a scan object that holds an address inside
// an object keeps it: the roots are static data, every goroutine's stack
// and registers, malloc's memory and the runtime's own structures):
// when the heap has grown by GOGC percent, or runtime_gc asks (Go's
// runtime.GC). Scan or noscan: memory that holds pointers
// (to other heap objects) must come from new or newarray, so that the
// collector looks inside it; memory that holds none (byte buffers,
// numbers) should come from newnoscan or newarraynoscan, which the
// collector never reads: cheaper to collect, and a number that looks like
// an address keeps nothing alive there. Use new, not malloc, for what the
// collector should manage; malloc and free stay C's.
void *runtime_new(size_t size, bool noscan);
void *runtime_newarray(size_t size, size_t n, bool noscan); // Go's panic if size * n overflows
#define new(T) ((T *)runtime_new(sizeof(T), false))
#define newnoscan(T) ((T *)runtime_new(sizeof(T), true))
#define newarray(T, n) ((T *)runtime_newarray(sizeof(T), (n), false))
#define newarraynoscan(T, n) ((T *)runtime_newarray(sizeof(T), (n), true))

// runtime.MemStats, Go's fields and meanings (bytes unless named a count).
// LastGC and PauseEnd are the monotonic clock's nanoseconds (Go's are the
// wall clock's: hood has none yet).
struct memstats {
	uint64_t Alloc;      // bytes of heap objects allocated and not yet freed
	uint64_t TotalAlloc; // bytes of heap objects ever allocated
	uint64_t Sys;        // bytes obtained from the machine, all below together
	uint64_t Lookups;
	uint64_t Mallocs; // heap objects ever allocated (count)
	uint64_t Frees;   // heap objects freed (count)

	uint64_t HeapAlloc;    // = Alloc
	uint64_t HeapSys;      // heap memory mapped
	uint64_t HeapIdle;     // of it, in no span
	uint64_t HeapInuse;    // of it, in spans
	uint64_t HeapReleased; // idle memory given back to the machine
	uint64_t HeapObjects;  // Mallocs - Frees (count)

	uint64_t StackInuse, StackSys;   // goroutine stacks' mapped memory
	uint64_t MSpanInuse, MSpanSys;   // span structures
	uint64_t MCacheInuse, MCacheSys; // mcache structures
	uint64_t BuckHashSys;            // profiling buckets: none
	uint64_t GCSys;                  // the collector's metadata (span bitmaps)
	uint64_t OtherSys;               // the rest: arena metadata

	uint64_t NextGC, LastGC, PauseTotalNs;
	uint64_t PauseNs[256], PauseEnd[256];
	uint32_t NumGC, NumForcedGC;
	double GCCPUFraction;
	bool EnableGC, DebugGC;

	// Per size class: objects of size (BySize[i-1].Size, BySize[i].Size].
	struct {
		uint32_t Size;
		uint64_t Mallocs, Frees;
	} BySize[61];
};
void runtime_readmemstats(struct memstats *ms);
// runtime.GC: a full collection that begins after the call (the program
// runs on while it marks; two short stops of the world); returns once the
// freed memory is free. Allocation starts one by itself when the heap has
// grown by GOGC percent (default 100) over what the last one left, from
// 4 MiB up, and sysmon every 2 minutes if none ran. runtime_setgcpercent
// is debug.SetGCPercent: GOGC now, the old value returned; a negative one
// turns collection off.
void runtime_gc(void);
int runtime_setgcpercent(int pct);
// runtime.SetFinalizer: fn(p) runs once, on the runtime's finalizer
// goroutine, after a collection finds p unreachable; p and what it points
// to live until then (and, unless fn stores p somewhere, are freed by the
// next collection after). p is an object's start, from new or newarray;
// fn NULL removes p's finalizer. Go's panics for a bad p: nil, not at the
// beginning of an allocated block, a finalizer already set. Objects in a
// cycle with a finalizer on it are never freed (Go's rule too).
// runtime_keepalive(p) is runtime.KeepAlive: p counts as reachable until
// here (a finalizer cannot run before).
void runtime_setfinalizer(void *p, void (*fn)(void *));
static inline void
runtime_keepalive(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory"); // p in a register here: the collector sees it
}
// debug.FreeOSMemory: the heap's free memory back to the machine now. The
// scavenger does the same from sysmon for memory free for 5 minutes (Go
// 1.11's policy; GODEBUG=scavenge=1: 20 ms, with Go's scvg lines).
void runtime_freeosmemory(void);

// The C library's allocator, served by the runtime: per-P caches, no
// sleeping lock, so malloc scales across CPUs and is safe from any
// goroutine. On bare metal newlib's malloc, free, calloc, realloc, memalign
// and posix_memalign are these; on Linux glibc's stay the process's, and
// these sit beside them. Never collected; a pointer kept in this memory
// keeps heap objects (new) alive. A free of a pointer malloc never gave,
// or a second free, is a fatal error.
void *runtime_malloc(size_t size);
void runtime_free(void *p);
void *runtime_calloc(size_t n, size_t size);
void *runtime_realloc(void *p, size_t size);
void *runtime_memalign(size_t align, size_t size); // align a power of two
size_t runtime_mallocsize(void *p);               // the usable size (malloc_usable_size)

// ---- time ------------------------------------------------------------------------
//
//	struct time_time start = time_now();            // start := time.Now()
//	time_sleep(10 * Millisecond);                   // time.Sleep(10 * time.Millisecond)
//	printf("%s\n", time_duration_string(time_since(start))); // fmt.Println(time.Since(start))
//
//	struct time_ticker *tk = time_newticker(Second); // tk := time.NewTicker(time.Second)
//	struct hchan *idle = time_after(5 * Second);    // idle := time.After(5 * time.Second)
//	for (bool done = false; !done;) {               // for {
//		struct time_time now;
//		struct selectcase cases[] = {           //         select {
//			select_recv(work, &job),        //         case job = <-work:
//			select_recv(tk->C, &now),       //         case now = <-tk.C:
//			select_recv(idle, NULL),        //         case <-idle:
//		};
//		switch (chan_select(cases, 3, false)) {
//		case 0:
//			handle(job);
//			idle = time_after(5 * Second); //                 idle = time.After(5 * time.Second)
//			break;
//		case 2:
//			done = true;                    //                 return
//		}
//	}
//	time_ticker_stop(tk);                           // tk.Stop()
//
// Go's package time. A Duration is an int64_t of nanoseconds. A Time is a
// struct time_time of two readings, as Go's: the wall clock's (an instant
// in UTC, with the offset of the zone it was written in) and, for a Time
// from time_now, the monotonic clock's, which Sub, Since, Before, After
// and Equal use when both Times have it, so that a measurement is right
// when the wall clock is set meanwhile. time_time_add keeps the reading;
// a Time from time_unix or time_parse has none. hood has no zone
// database: Local is UTC. The zero struct is Go's zero Time (January 1,
// year 1, UTC).
//
// Timers and tickers are Go 1.23's: each sends the Time it was due on its
// channel C, which holds no value a Stop or Reset made stale: once
// time_timer_stop or _reset returns, a receive never gets a value from
// before the call. A Ticker whose receiver is slow drops ticks rather
// than queue them, and stays on its beat. len and cap of C say 0. A
// Timer or Ticker nobody refers to is collected, stopped or not (an
// AfterFunc lives until it runs or stops). docs/time.md has the design
// and the whole table of Go and hood.

// Durations in nanoseconds, as Go's time.Duration: int64_t constants, so
// that 5000 * Millisecond does not overflow an int.
#define Nanosecond ((int64_t)1)
#define Microsecond (1000 * Nanosecond)
#define Millisecond (1000 * Microsecond)
#define Second (1000 * Millisecond)
#define Minute (60 * Second)
#define Hour (60 * Minute)

// Sleep at least ns nanoseconds; ns <= 0 returns at once.
void time_sleep(int64_t ns);
// The monotonic clock in nanoseconds: since boot on bare metal, Linux's
// CLOCK_MONOTONIC in the hosted port. Only differences mean anything.
int64_t time_nanotime(void);

// Go's time.Time (24 bytes, passed by value as Go passes it).
struct time_time {
	int64_t sec;    // seconds since January 1, year 1, 00:00:00 UTC
	int32_t nsec;   // [0, 999999999]
	int32_t offset; // the zone's offset east of UTC, seconds: what Format writes
	int64_t mono;   // time_nanotime()'s reading; 0: none
};

struct time_time time_now(void);
struct time_time time_unix(int64_t sec, int64_t nsec); // time.Unix: UTC, no monotonic reading
int64_t time_since(struct time_time t);               // time.Since(t): time_now() - t
int64_t time_until(struct time_time t);               // time.Until(t): t - time_now()
// Time's methods: t.Sub(u), t.Add(d), t.Before(u), t.After(u), t.Equal(u),
// t.Compare(u) (-1, 0, +1), t.IsZero(), t.Unix(), t.UnixNano().
int64_t time_time_sub(struct time_time t, struct time_time u); // saturates at the int64 ends
struct time_time time_time_add(struct time_time t, int64_t d);
bool time_time_before(struct time_time t, struct time_time u);
bool time_time_after(struct time_time t, struct time_time u);
bool time_time_equal(struct time_time t, struct time_time u);
int time_time_compare(struct time_time t, struct time_time u);
bool time_time_iszero(struct time_time t);
int64_t time_time_unix(struct time_time t);
int64_t time_time_unixnano(struct time_time t); // undefined outside 1678 to 2262, as Go's

// Strings are the collector's, as Go's: NUL-terminated, never freed by
// the program. d.String() writes Go's "1h2m3.5s", "300ms", "1.1µs", "0s".
const char *time_duration_string(int64_t d);
// t.Format(layout) and time.Parse(layout, value) for Go's RFC 3339 layouts
// (time.RFC3339 "2006-01-02T15:04:05Z07:00" and time.RFC3339Nano, which
// writes the nanoseconds without trailing zeros). time_parse returns NULL
// and the Time in *t, or Go's error message (`parsing time "x" as
// "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`). Both
// layouts parse a fraction of a second if there is one.
enum time_layout { RFC3339 = 1, RFC3339Nano };
const char *time_time_format(struct time_time t, enum time_layout layout);
const char *time_parse(enum time_layout layout, const char *value, struct time_time *t);

// time.Timer and time.Ticker: C is the channel the Time arrives on (the
// runtime's part of the struct follows; it is not the program's).
// time_timer_stop and time_timer_reset return whether the timer was
// armed (its Time not yet sent, or sent and not yet received: Stop takes
// it back). time_after(d) is time.After: a Timer's channel. A Ticker
// sends every d (time_newticker: d <= 0 panics "non-positive interval for
// NewTicker"; Reset: "non-positive interval for Ticker.Reset").
// time_afterfunc(d, fn, arg) runs fn(arg) in a goroutine of its own
// after d; its C is NULL, and Stop returns false once fn has started.
struct hchan;
struct time_timer {
	struct hchan *C;
};
struct time_ticker {
	struct hchan *C;
};
struct time_timer *time_newtimer(int64_t d);
bool time_timer_stop(struct time_timer *t);
bool time_timer_reset(struct time_timer *t, int64_t d);
struct hchan *time_after(int64_t d);
struct time_timer *time_afterfunc(int64_t d, void (*fn)(void *), void *arg);
struct time_ticker *time_newticker(int64_t d);
void time_ticker_stop(struct time_ticker *t);
void time_ticker_reset(struct time_ticker *t, int64_t d);

// ---- channels and select ------------------------------------------------------------
//
//	struct hchan *c = make_chan(int64_t, 10);       // c := make(chan int64, 10)
//	chan_sendv(c, int64_t, 42);                      // c <- 42
//	int64_t v = chan_recvv(c, int64_t);              // v := <-c
//	while (chan_recv2(c, &v)) { ... }                // for v := range c
//	chan_close(c);                                   // close(c)
//
//	struct selectcase cases[] = {                    // select {
//		select_recv(in, &v),                     // case v = <-in:
//		select_send(out, &w),                    // case out <- w:
//	};
//	switch (chan_select(cases, 2, false)) {          // (true: with a default)
//	case 0: ...                                      // cases[0].ok: v, ok = <-in
//	case 1: ...
//	case -1: ...                                     // default: (only with true)
//	}
//
// Go's channels: unbuffered (size 0) or buffered, FIFO, safe between any
// goroutines. Elements are copied by size through pointers: chan_send
// copies elemsize bytes from elem, a receive copies them to elem (NULL:
// drop the value). A send on a closed channel, a close of a closed or
// nil channel and a size below 0 panic with Go's messages; a receive from
// a closed channel, once its buffer is drained, gives the zero value and
// ok false. A nil channel (NULL) blocks for ever, in select too: its cases
// are never chosen. docs/chan.md has the whole table of Go and hood.
struct hchan;
struct hchan *chan_make(size_t elemsize, long size);
void chan_send(struct hchan *c, const void *elem);
void chan_recv(struct hchan *c, void *elem);
bool chan_recv2(struct hchan *c, void *elem); // v, ok := <-c: false once closed and drained
void chan_close(struct hchan *c);
long chan_len(struct hchan *c);
long chan_cap(struct hchan *c);
// A select of one case and a default (Go's selectnbsend, selectnbrecv):
// false if the operation would block. chan_tryrecv's *ok (may be NULL) is
// the receive's ok.
bool chan_trysend(struct hchan *c, const void *elem);
bool chan_tryrecv(struct hchan *c, void *elem, bool *ok);

// Typed helpers; T is the element type. chan_sendv and chan_recvv are
// GNU C statement expressions (gcc and clang); each evaluates its
// arguments once.
#define make_chan(T, n) chan_make(sizeof(T), (n))
#define chan_sendv(c, T, v)                                                                                  \
	do {                                                                                                 \
		T chan_sendv_v_ = (v);                                                                       \
		chan_send((c), &chan_sendv_v_);                                                              \
	} while (0)
#define chan_recvv(c, T)                                                                                     \
	({                                                                                                   \
		T chan_recvv_v_;                                                                             \
		chan_recv((c), &chan_recvv_v_);                                                              \
		chan_recvv_v_;                                                                               \
	})

// select: cases in an array, each a send or a receive on a channel (NULL:
// never chosen) with its element's address. chan_select returns the index
// of the case that went (chosen at random among those ready, as Go's), or
// -1 when hasdefault and none was ready; a receive case's ok says whether
// it got a value (false: closed). At most 65536 cases, as Go's
// reflect.Select. No cases and no default blocks for ever, as Go's
// select {}.
enum { SelectSend = 1, SelectRecv = 2 };

struct selectcase {
	struct hchan *c;
	void *elem;
	int dir;  // SelectSend or SelectRecv
	bool ok; // set by chan_select for a receive
};

#define select_send(ch, p) ((struct selectcase){.c = (ch), .elem = (void *)(p), .dir = SelectSend})
#define select_recv(ch, p) ((struct selectcase){.c = (ch), .elem = (p), .dir = SelectRecv})
int chan_select(struct selectcase *cases, int ncases, bool hasdefault);

// ---- defer, panic and recover ----------------------------------------------------------
//
//	static void
//	report(void *arg)
//	{
//		const char *e = runtime_recover();          // if e := recover(); e != nil {
//		if (e != NULL) {
//			printf("%s: recovered: %s\n", (char *)arg, e);
//		}
//	}
//
//	static void
//	work(struct job *j)
//	{
//		deferscope {                                 // func work(j *job) {
//			defer(report, "work");               //         defer report("work")
//			if (j == NULL) {
//				runtime_panic("no job");     //         panic("no job")
//			}
//			...                                  //         (return works too)
//		}                                            // }: deferred calls run here
//	}
//
// A function that defers puts its body in a deferscope block; defer(fn,
// arg) runs fn(arg) when the block ends, however it ends (falling out,
// return, break), the latest deferred first, as Go runs them at the
// function's return. runtime_panic runs the goroutine's deferred calls,
// newest first, across the blocks of every function it is in; a deferred
// call that calls runtime_recover stops the panic and gets its message,
// and its function goes on after its deferscope block (the block's older
// deferred calls run first). Nobody recovering ends the program with Go's
// report (the panic, every goroutine, status 2). Channel errors (send on
// closed channel, ...) are panics too, recovered the same way; recover
// returns NULL when no panic runs the call. runtime_goexit runs the
// deferred calls before the goroutine ends. As with setjmp, a local
// variable changed in the block and read after a recovered panic must be
// volatile.
enum { DeferFrameSlots = 2 }; // records a block keeps on the stack; more go to the heap
struct deferslot {
	void (*fn)(void *);
	void *arg;
};
struct deferframe {
	uint64_t jb[8];           // where a recovered panic comes back: the block's end
	struct deferframe *link;  // the enclosing open frame
	struct g *gp;             // the goroutine whose frame it is
	struct defer *more;       // records past the slots, newest first
	struct deferslot slot[DeferFrameSlots];
	int nslot;                // slots in use, oldest first
};
bool deferframe_begin(struct deferframe *f);
int deferframe_setjmp(struct deferframe *f) __attribute__((returns_twice)); // setjmp on jb
void deferreturn(struct deferframe *f);
void deferproc(void (*fn)(void *), void *arg);
void runtime_panic(const char *msg) __attribute__((noreturn));
const char *runtime_recover(void);

// The block's frame lives in the inner for statement, uninitialised
// (deferframe_begin sets what it needs); its cleanup (GCC and clang's
// cleanup attribute) is Go's deferreturn. The body runs once: the outer
// loop's flag ends both loops. deferframe_setjmp returns again, with 1,
// when a panic recovers in the block: the loops end, the cleanup runs.
#define deferscope                                                                                           \
	for (bool hood_deferonce_ = true; hood_deferonce_; hood_deferonce_ = false)                          \
		for (struct deferframe hood_deferframe_ __attribute__((cleanup(deferreturn)));                \
		     hood_deferonce_ && deferframe_begin(&hood_deferframe_) &&                                \
		     deferframe_setjmp(&hood_deferframe_) == 0;                                               \
		     hood_deferonce_ = false)
#define defer(fn, arg) deferproc((fn), (arg))

// ---- runtime errors --------------------------------------------------------------------
//
// Go's run-time panics, recovered like any other (runtime_recover returns
// their message): a goroutine that dereferences nil, calls through a nil
// function pointer or divides an integer by zero panics with "runtime
// error: invalid memory address or nil pointer dereference" or "runtime
// error: integer divide by zero"; unrecovered, the report has Go's
// "[signal SIGSEGV: segmentation violation code=... addr=0x0 pc=...]" line
// under the panic. A fault at another address, and any fault in the
// runtime's or the kernel's critical parts (holding a lock, in malloc, on
// the scheduler's stack) or in the hosted port's C library, stays a fatal
// error, as in Go (docs/panic.md).
//
// C has no bounds checks; these are Go's, for code that wants them:
//
//	int v = a[bounds_index(i, n)];          // v := a[i], len(a) == n
//	int w = bounds_at(arr, i);              // w := arr[i], arr a C array
//	bounds_slice(lo, hi, cap);              // s[lo:hi], cap(s) == cap
//
// bounds_index returns i if 0 <= i < n, else panics "runtime error: index
// out of range [i] with length n"; bounds_slice panics as Go's a[lo:hi]
// ("slice bounds out of range [:hi] with capacity cap", "... [lo:hi]").
// bounds_at evaluates a twice (in sizeof only: once at run time).
void runtime_panicindex(int64_t i, int64_t n) __attribute__((noreturn));
void runtime_panicslice(int64_t lo, int64_t hi, int64_t cap) __attribute__((noreturn));

static inline int64_t
bounds_index(int64_t i, int64_t n)
{
	if (__builtin_expect((uint64_t)i >= (uint64_t)n, 0)) {
		runtime_panicindex(i, n);
	}
	return i;
}

static inline void
bounds_slice(int64_t lo, int64_t hi, int64_t cap)
{
	if (__builtin_expect((uint64_t)hi > (uint64_t)cap || (uint64_t)lo > (uint64_t)hi, 0)) {
		runtime_panicslice(lo, hi, cap);
	}
}

#define bounds_at(a, i) ((a)[bounds_index((i), (int64_t)(sizeof(a) / sizeof((a)[0])))])

// ---- maps ---------------------------------------------------------------------------------
//
//	struct hmap *m = make_map(int64_t, struct point, MapKeyInt64, 0); // m := make(map[int64]point)
//	*(struct point *)map_assign(m, &k) = p;               // m[k] = p
//	map_setv(m, int64_t, struct point, k, p);             // the same, typed
//	const struct point *v = map_access1(m, &k);           // v := m[k] (the zero value if k is not in m)
//	v = map_access2(m, &k, &ok);                          // v, ok := m[k]
//	struct point w = map_getv(m, int64_t, struct point, k); // w := m[k], typed
//	map_delete(m, &k);                                    // delete(m, k)
//	long n = map_len(m);                                  // len(m)
//	struct hiter it;                                      // for k, v := range m {
//	for (map_range(m, &it); it.key != NULL; map_next(&it)) {
//		const int64_t *k = it.key;
//		struct point *v = it.elem;
//	}                                                     // }
//	map_clear(m);                                         // clear(m)
//
// Go's maps (go1.11's hash table: buckets of 8, incremental growth), in
// the collector's heap. A map's types are sizes and a key kind: keys are
// integers (MapKeyInt32, MapKeyInt64), pointers (MapKeyPtr), strings
// (MapKeyString: a struct gostring, Go's string, pointer and length), any
// fixed-size memory compared byte for byte (MapKeyMem: a struct without
// padding, an array), or the program's own hash and equality
// (make_mapfunc). Keys and values are copied by size through pointers, as
// a channel's elements are. map_access1 and map_access2 return a pointer
// to the value, or to zeros when the key is missing (never NULL: read it,
// never write it); map_assign returns the value's cell for the caller to
// store into (a new key's is zeroed), valid until the map's next insert
// or delete. A NULL map is Go's nil map: reads find nothing, map_len is 0,
// map_delete does nothing, and map_assign panics "assignment to entry in
// nil map". A range starts at a random place each time (two ranges over a
// map differ), and the ranging goroutine may insert and delete meanwhile
// (a key deleted before it is reached is not produced; an inserted one may
// be or not). A map is not safe for concurrent use: many readers, or one
// writer; a write beside another write, a read or a range is Go's fatal
// error ("concurrent map writes", "concurrent map read and map write",
// "concurrent map iteration and map write"). docs/map.md has the whole
// table of Go and hood.
//
// A string key's bytes are copied into the map when the key is inserted
// (Go's m[string(b)] = v), so the caller's buffer may change after; the
// map's keys point to its copies. Scan or noscan: make_map's buckets are
// read by the collector, whose pointers keep objects alive;
// make_mapnoscan says that no key or value holds a pointer the map must
// keep alive (numbers), and the collector never reads its buckets, as for
// newnoscan (a string-keyed map's it still reads: they point to the
// copies of the keys, which the map keeps). A MapKeyFunc map's
// hash must mix in the seed it is given (map_memhash does) and agree with
// its equal; keys for which equal(k, k) is false (NaN) are stored, never
// found, and produced by a range, as in Go.
struct hmap;

enum {
	MapKeyInt32 = 1, // int32_t, uint32_t
	MapKeyInt64,     // int64_t, uint64_t: the fast64 calls
	MapKeyPtr,       // any pointer: the fast64 calls
	MapKeyString,    // struct gostring: the faststr calls
	MapKeyMem,       // keysize bytes compared with memcmp
	MapKeyFunc,      // hash and equal (make_mapfunc)
};

// Go's string: len bytes at str, not NUL-terminated, never changed.
struct gostring {
	const char *str;
	size_t len;
};

static inline struct gostring
gostring(const char *s) // a C string's bytes, without the NUL
{
	return (struct gostring){s, __builtin_strlen(s)};
}

static inline struct gostring
gostringn(const char *p, size_t n)
{
	return (struct gostring){p, n};
}

// Go's maptype, from the make_map macros: sizes, alignments, the key's
// kind, the noscan claim, and MapKeyFunc's pair.
struct maptype {
	size_t keysize, elemsize;
	size_t keyalign, elemalign;
	int kind;
	bool noscan;
	uint64_t (*hash)(const void *key, uint64_t seed);
	bool (*equal)(const void *a, const void *b);
};

// hint: room for about that many keys before the first growth (Go's
// make(map[K]V, hint); a negative one is 0).
struct hmap *map_make(const struct maptype *t, long hint);
#define make_map(K, V, kind, hint)                                                                           \
	map_make(&(const struct maptype){sizeof(K), sizeof(V), _Alignof(K), _Alignof(V), (kind), false,      \
					 NULL, NULL},                                                        \
		 (hint))
#define make_mapnoscan(K, V, kind, hint)                                                                     \
	map_make(&(const struct maptype){sizeof(K), sizeof(V), _Alignof(K), _Alignof(V), (kind), true, NULL, \
					 NULL},                                                              \
		 (hint))
#define make_mapfunc(K, V, hash, equal, hint)                                                                \
	map_make(&(const struct maptype){sizeof(K), sizeof(V), _Alignof(K), _Alignof(V), MapKeyFunc, false,  \
					 (hash), (equal)},                                                   \
		 (hint))

const void *map_access1(struct hmap *m, const void *key);
const void *map_access2(struct hmap *m, const void *key, bool *ok);
void *map_assign(struct hmap *m, const void *key);
void map_delete(struct hmap *m, const void *key);
long map_len(struct hmap *m);
void map_clear(struct hmap *m);

// The fast paths (Go's mapaccess1_fast64 and its kin, which Go's
// compiler picks for these key types): keys by value, for MapKeyInt64
// and MapKeyPtr maps (fast64) and MapKeyString maps (faststr); on a map
// of another kind they are a fatal error. map_access1 and the others take
// them by themselves for those kinds; these save the key's copy and a
// test.
const void *map_access1_fast64(struct hmap *m, uint64_t key);
const void *map_access2_fast64(struct hmap *m, uint64_t key, bool *ok);
void *map_assign_fast64(struct hmap *m, uint64_t key);
void map_delete_fast64(struct hmap *m, uint64_t key);
const void *map_access1_faststr(struct hmap *m, struct gostring key);
const void *map_access2_faststr(struct hmap *m, struct gostring key, bool *ok);
void *map_assign_faststr(struct hmap *m, struct gostring key);
void map_delete_faststr(struct hmap *m, struct gostring key);

// Go's hash/maphash over bytes, for a MapKeyFunc map's hash: n bytes at
// p under seed (AES-NI where the CPU has it).
uint64_t map_memhash(const void *p, size_t n, uint64_t seed);

// A range (Go's hiter): key and elem point to the current key and its
// value (elem may be written: m[k] = v for the key at hand), and key is
// NULL once the range is over. The rest is the iterator's own; it lives
// on the ranging goroutine's stack, where it keeps the buckets it walks
// alive.
struct hiter {
	const void *key;
	void *elem;
	struct hmap *h;
	void *buckets;     // the bucket array when the range began
	void *bptr;        // the bucket at hand
	void *overflow[2]; // noscan maps: the overflow buckets' lists, kept alive
	uintptr_t startBucket;
	uint8_t offset; // the cell each bucket starts at
	bool wrapped;   // past the last bucket, back to the first
	uint8_t B;
	uint8_t i;
	uintptr_t bucket;
	uintptr_t checkBucket;
};
void map_range(struct hmap *m, struct hiter *it);
void map_next(struct hiter *it);

// Typed helpers; K and V are the key and value types. GNU C statement
// expressions; each evaluates its arguments once. map_getv gives V's zero
// for a missing key (any V: read through map_access2).
#define map_getv(m, K, V, k)                                                                                 \
	({                                                                                                   \
		K map_getv_k_ = (k);                                                                         \
		bool map_getv_ok_;                                                                           \
		const V *map_getv_p_ = map_access2((m), &map_getv_k_, &map_getv_ok_);                        \
		map_getv_ok_ ? *map_getv_p_ : (V){0};                                                        \
	})
#define map_setv(m, K, V, k, v)                                                                              \
	do {                                                                                                 \
		K map_setv_k_ = (k);                                                                         \
		V map_setv_v_ = (v);                                                                         \
		*(V *)map_assign((m), &map_setv_k_) = map_setv_v_;                                           \
	} while (0)
#define map_deletev(m, K, k)                                                                                 \
	do {                                                                                                 \
		K map_deletev_k_ = (k);                                                                      \
		map_delete((m), &map_deletev_k_);                                                            \
	} while (0)

// ---- sync ----------------------------------------------------------------------------------
//
//	static struct sync_mutex mu;                 // var mu sync.Mutex
//	static long total;
//
//	static void
//	add(void *arg)
//	{
//		sync_mutex_lock(&mu);                // mu.Lock()
//		total++;
//		sync_mutex_unlock(&mu);              // mu.Unlock()
//		sync_waitgroup_done(arg);            // wg.Done()
//	}
//
//	struct sync_waitgroup wg = {0};              // var wg sync.WaitGroup
//	for (int i = 0; i < 10; i++) {
//		sync_waitgroup_add(&wg, 1);          // wg.Add(1)
//		go(add, &wg);                        // go add(&wg)
//	}
//	sync_waitgroup_wait(&wg);                    // wg.Wait()
//
// Go's package sync (sync/*.c, on the runtime's semaphores: runtime/
// sema.c). As in Go, the zero value of each type is ready to use (a zero
// mutex is unlocked, a zero wait group counts 0) and must not be copied
// once used; a Cond needs its L set (Go's sync.NewCond). Misuse ends the
// program with Go's fatal errors ("sync: unlock of unlocked mutex",
// "sync: RUnlock of unlocked RWMutex", ...) or panics with Go's messages
// ("sync: negative WaitGroup counter"). docs/sync.md has the whole table
// of Go and hood.

// sync.Mutex: Go's, with its normal and starvation modes (a waiter kept
// waiting over 1 ms turns the mutex fair: ownership is then handed from
// the unlocker to the oldest waiter).
struct sync_mutex {
	int32_t state; // mutexLocked | mutexWoken | mutexStarving | waiters << 3 (sync/mutex.c)
	uint32_t sema;
};
bool sync_mutex_trylock(struct sync_mutex *m);
void sync_mutex_lockslow(struct sync_mutex *m);
void sync_mutex_unlockslow(struct sync_mutex *m, int32_t new);

// Lock and Unlock's fast paths are inline, as Go's compiler inlines
// them: a CAS of the unlocked state to locked, a subtraction of the lock
// bit that finds nobody waiting; everything else is sync/mutex.c's.
static inline void
sync_mutex_lock(struct sync_mutex *m)
{
	int32_t unlocked = 0;
	// Acq_rel: the acquire pairs with the release of the Unlock before,
	// so what its holder wrote is visible here.
	if (!__atomic_compare_exchange_n(&m->state, &unlocked, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		sync_mutex_lockslow(m);
	}
}

static inline void
sync_mutex_unlock(struct sync_mutex *m)
{
	// Release: pairs with the acquire of the next Lock's CAS (or of a
	// woken waiter's load in sync/mutex.c), publishing what the holder
	// wrote.
	int32_t new = __atomic_add_fetch(&m->state, -1, __ATOMIC_ACQ_REL);
	if (new != 0) {
		sync_mutex_unlockslow(m, new);
	}
}

// sync.RWMutex: any number of readers or one writer; a writer waiting
// keeps new readers out, so readers cannot starve it (Go's).
struct sync_rwmutex {
	struct sync_mutex w;  // held by a writer, and by one waiting for readers to leave
	uint32_t writerSem;   // a writer waits here for the readers to leave
	uint32_t readerSem;   // readers wait here for a writer to leave
	int32_t readerCount;  // readers in, minus rwmutexMaxReaders while a writer holds or waits
	int32_t readerWait;   // readers a waiting writer still waits for
};
void sync_rwmutex_lock(struct sync_rwmutex *rw);
bool sync_rwmutex_trylock(struct sync_rwmutex *rw);
void sync_rwmutex_unlock(struct sync_rwmutex *rw);
void sync_rwmutex_rlock(struct sync_rwmutex *rw);
bool sync_rwmutex_tryrlock(struct sync_rwmutex *rw);
void sync_rwmutex_runlock(struct sync_rwmutex *rw);

// sync.WaitGroup: wait for a count of goroutines to finish. _go is Go
// 1.25's wg.Go(f): add one, run fn(arg) in a new goroutine, done when it
// returns.
struct sync_waitgroup {
	uint64_t state; // the counter << 32 | the waiters
	uint32_t sema;
};
void sync_waitgroup_add(struct sync_waitgroup *wg, int delta);
void sync_waitgroup_done(struct sync_waitgroup *wg);
void sync_waitgroup_wait(struct sync_waitgroup *wg);
void sync_waitgroup_go(struct sync_waitgroup *wg, void (*fn)(void *), void *arg);

// sync.Once: fn(arg) runs once, in the first caller; every caller returns
// only after it has returned. An fn that panics counts as done (Go's).
struct sync_once {
	uint32_t done;
	struct sync_mutex m;
};
void sync_once_doslow(struct sync_once *o, void (*fn)(void *), void *arg);

// Inline, as Go's Once.Do: a load of done. Acquire: pairs with the
// store-release of done after fn returned (sync/once.c).
static inline void
sync_once_do(struct sync_once *o, void (*fn)(void *), void *arg)
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE) == 0) {
		sync_once_doslow(o, fn, arg);
	}
}

// sync.Cond: wait for a condition under L. sync_cond_wait unlocks L,
// waits for a signal and locks L again; Signal wakes the longest waiter,
// Broadcast every one.
//
//	struct sync_cond c = {.L = &mu};           // c := sync.NewCond(&mu)
//	sync_mutex_lock(&mu);
//	while (!ready) {
//		sync_cond_wait(&c);                  // c.Wait()
//	}
//	sync_mutex_unlock(&mu);
struct sudog;
struct sync_notifylist { // Go's notifyList (runtime/sema.c)
	uint32_t wait;       // the next ticket to take
	uint32_t notify;     // the next ticket to notify
	struct sudog *head, *tail; // the waiters, by ticket
};
struct sync_cond {
	struct sync_mutex *L;
	struct sync_notifylist notify;
	uintptr_t checker; // Go's copyChecker: where the Cond was first used ("sync.Cond is copied")
};
void sync_cond_wait(struct sync_cond *c);
void sync_cond_signal(struct sync_cond *c);
void sync_cond_broadcast(struct sync_cond *c);

// sync.Pool: a cache of objects for reuse, one a P at hand and more
// shared, emptied over two collections (Go 1.13's victim cache): what is
// Put may be gone at the next Get. Get returns New()'s result (or NULL
// without a New) when the pool has nothing. Objects live in the GC heap.
//
//	static struct sync_pool bufs = {.New = newbuf};
//	char *b = sync_pool_get(&bufs);             // b := bufs.Get().(*buf)
//	...
//	sync_pool_put(&bufs, b);                    // bufs.Put(b)
struct poolLocal;
struct sync_pool {
	void *(*New)(void);
	// The pool's own, under the runtime's pin (sync/pool.c):
	struct poolLocal *local;  // one per P, localSize of them
	uintptr_t localSize;
	struct poolLocal *victim; // local before the last collection
	uintptr_t victimSize;
	struct sync_pool *allnext, *oldnext; // on the lists of pools with a local, a victim array
};
void *sync_pool_get(struct sync_pool *p);
void sync_pool_put(struct sync_pool *p, void *x);

// sync.Map: a map safe for concurrent use, Go's read-only and dirty pair
// (sync/map.c): loads, stores of keys it has and deletes take no lock.
// Its keys are of one type, given when it is made, as a hood map's;
// its values are pointers (Go's any: NULL is a value too). What Go's is
// for, this is: keys written once and read often, or goroutines that keep
// to keys of their own; otherwise a map under a Mutex is as good.
//
//	static struct sync_map cache = SYNC_MAP_INIT(int64_t, MapKeyInt64); // var cache sync.Map
//	int64_t k = 42;
//	sync_map_store(&cache, &k, obj);                       // cache.Store(k, obj)
//	bool ok;
//	struct obj *o = sync_map_load(&cache, &k, &ok);        // o, ok := cache.Load(k)
//	sync_map_range(&cache, visit, arg);                    // cache.Range(visit)
struct sync_map {
	struct maptype t; // the key's type, and values of a pointer each
	struct sync_mutex mu;
	void *read;         // Atomic: the read-only part (sync/map.c's readOnly)
	struct hmap *dirty; // Protected by mu
	long misses;        // Protected by mu
};
#define SYNC_MAP_INIT(K, kind)                                                                               \
	{                                                                                                    \
		.t = {sizeof(K), sizeof(void *), _Alignof(K), _Alignof(void *), (kind), false, NULL, NULL}   \
	}
#define SYNC_MAP_INITFUNC(K, hash, equal)                                                                    \
	{                                                                                                    \
		.t = {sizeof(K), sizeof(void *), _Alignof(K), _Alignof(void *), MapKeyFunc, false, (hash),    \
		      (equal)}                                                                               \
	}
void *sync_map_load(struct sync_map *m, const void *key, bool *ok); // ok may be NULL
void sync_map_store(struct sync_map *m, const void *key, void *value);
void *sync_map_loadorstore(struct sync_map *m, const void *key, void *value, bool *loaded);
void *sync_map_loadanddelete(struct sync_map *m, const void *key, bool *loaded);
void sync_map_delete(struct sync_map *m, const void *key);
void *sync_map_swap(struct sync_map *m, const void *key, void *value, bool *loaded); // the old value
bool sync_map_compareandswap(struct sync_map *m, const void *key, void *old, void *value);
bool sync_map_compareanddelete(struct sync_map *m, const void *key, void *old);
// f(key, value, arg) for each key, until f returns false. Each key once,
// in no fixed order; a key stored or deleted meanwhile may be seen or not
// (Go's Range).
void sync_map_range(struct sync_map *m, bool (*f)(const void *key, void *value, void *arg), void *arg);
void sync_map_clear(struct sync_map *m);

// ---- sync/atomic ---------------------------------------------------------------------------
//
//	static struct atomic_value config;           // var config atomic.Value
//	atomic_value_store(&config, newconfig());    // config.Store(newconfig())
//	struct config *c = atomic_value_load(&config); // c := config.Load().(*config)
//
// C11's <stdatomic.h> is Go's sync/atomic for numbers and flags (an
// atomic_int's atomic_fetch_add is atomic.AddInt32, and so on) and works
// in every goroutine on both ports. Go's atomic operations are
// sequentially consistent, C11's default (the functions without
// _explicit); a weaker memory_order is C's own choice and has no Go
// counterpart. What C11 lacks is Go's atomic.Value, here for pointers: a
// Load sees the pointer of the latest Store, and everything its storer
// wrote before the Store (the object it points to, filled in first). A
// Store of NULL panics as Go's store of nil.
struct atomic_value {
	void *v;
};

// Acquire: pairs with the release of atomic_value_store (sync/value.c).
static inline void *
atomic_value_load(struct atomic_value *v)
{
	return __atomic_load_n(&v->v, __ATOMIC_ACQUIRE);
}

void atomic_value_store(struct atomic_value *v, void *x);
void *atomic_value_swap(struct atomic_value *v, void *x); // the old value
bool atomic_value_compareandswap(struct atomic_value *v, void *old, void *x);
