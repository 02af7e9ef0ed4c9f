// atomic.h: atomic operations with Go's names (runtime/internal/atomic:
// Load, LoadAcq, Store, StoreRel, Cas, CasRel, Xadd, Xchg), for
// every layer: the kernel, the runtime on both ports, the tests. Nothing
// else in the tree calls the compiler's __atomic builtins (make lint
// checks it), so that every atomic reads as Go's do and names its order.
//
// The order is in the name; no suffix means sequentially consistent, as
// Go's own atomics and C11's defaults are:
//
//	suffix      order          use it for
//	(none)      seq_cst        a flag two threads each write and then
//	                           read the other's (Dekker: nmspinning and
//	                           the run queues, spinning and npidle)
//	_acq        acquire        the load that sees a release: what was
//	                           written before that release is visible
//	_rel        release        publishing: everything written before it
//	                           is visible to whoever acquires the value
//	_acqrel     both           a read-modify-write that takes and
//	                           publishes (a CAS on a G's status)
//	_relaxed    none           a counter or a peek whose staleness is
//	                           harmless; still atomic, so no torn value
//	                           and no data race for ThreadSanitizer
//
// Every acquire, release and seq_cst operation says in a comment what it
// pairs with ("release; pairs with the acquire in runqsteal"), as
// STYLE.md asks. On x86-64 a load is already an acquire and a store a
// release, and every read-modify-write is a full barrier (LOCK-prefixed);
// the orders still bind the compiler, and ThreadSanitizer checks them.
//
// All are macros over the compiler's type-generic builtins, for any
// integer or pointer type of 1, 2, 4 or 8 bytes; each evaluates p once.
// The compare-and-swaps return whether they swapped (Go's Cas); the
// failure order is the strongest the success order allows.
#pragma once

#include <stdbool.h>

// Loads.
#define atomic_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define atomic_load_acq(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)

// Stores.
#define atomic_store(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_store_rel(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

// Compare and swap: if *p == old, *p = new and true; else false.
#define ATOMIC_CAS(p, old, new, succ, fail)                                                                  \
	({                                                                                                   \
		__typeof__(*(p)) atomic_old_ = (old);                                                        \
		__atomic_compare_exchange_n((p), &atomic_old_, (new), false, (succ), (fail));                \
	})
#define atomic_cas(p, old, new) ATOMIC_CAS(p, old, new, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define atomic_cas_acq(p, old, new) ATOMIC_CAS(p, old, new, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)
#define atomic_cas_rel(p, old, new) ATOMIC_CAS(p, old, new, __ATOMIC_RELEASE, __ATOMIC_RELAXED)
#define atomic_cas_acqrel(p, old, new) ATOMIC_CAS(p, old, new, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

// Compare and swap, returning what *p held: old if it swapped, else the
// value that made it fail, read by the same instruction (C11's
// compare_exchange; Go's Cas has no such form). For a caller that must
// know what it lost to, where a second load could see a later value.
#define ATOMIC_CASV(p, old, new, succ, fail)                                                                 \
	({                                                                                                   \
		__typeof__(*(p)) atomic_old_ = (old);                                                        \
		__atomic_compare_exchange_n((p), &atomic_old_, (new), false, (succ), (fail));                \
		atomic_old_;                                                                                 \
	})
#define atomic_casv_acqrel(p, old, new) ATOMIC_CASV(p, old, new, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

// Add delta and return the new value (Go's Xadd).
#define atomic_xadd(p, d) __atomic_add_fetch((p), (d), __ATOMIC_SEQ_CST)
#define atomic_xadd_acqrel(p, d) __atomic_add_fetch((p), (d), __ATOMIC_ACQ_REL)
#define atomic_xadd_relaxed(p, d) __atomic_add_fetch((p), (d), __ATOMIC_RELAXED)

// Store v and return the old value (Go's Xchg).
#define atomic_xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_xchg_acq(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQUIRE)
#define atomic_xchg_rel(p, v) __atomic_exchange_n((p), (v), __ATOMIC_RELEASE)
#define atomic_xchg_acqrel(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

// Or v in and return the old value (Go's Or returns nothing; the old
// bits say whether this caller set them).
#define atomic_or_relaxed(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELAXED)

// A compiler barrier, no instruction (C11's atomic_signal_fence): no
// memory access moves across it, for what a signal or an interrupt on the
// same thread must see in program order (releasem's, runtime.h).
#define atomic_signalfence() __atomic_signal_fence(__ATOMIC_SEQ_CST)

// A full fence (MFENCE): stores before it are visible before loads after
// it.
#define atomic_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
