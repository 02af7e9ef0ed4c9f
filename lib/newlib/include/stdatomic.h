// stdatomic.h: C11's atomics for bare-metal code, which is compiled with
// newlib's headers (KCFLAGS). This directory comes before newlib's in the
// search, so this file is what `#include <stdatomic.h>` finds, and it is
// the compiler's own stdatomic.h: gcc's, at the path the Makefile passes
// as HOOD_CC_STDATOMIC (`gcc -print-file-name=include`), the header a
// hosted program gets as well.
//
// Not newlib's: its stdatomic.h (FreeBSD's) wants _Atomic(T) to be the
// struct { T __val; } that sys/cdefs.h defines for compilers without C11
// atomics, but with gcc in C11 mode cdefs leaves _Atomic alone (the
// keyword), so every operation fails ("request for member '__val' in
// something not a structure or union"). gcc's header has no such case:
// _Atomic is the keyword and each operation a __atomic builtin.
//
// hood's own code uses lib/atomic.h's Go-named wrappers, not these: both
// define atomic_load and atomic_store, so a file includes one or the
// other (an application that includes only hood.h may use this one).
#pragma once

#ifdef _Atomic
#error "_Atomic is a macro (newlib's sys/cdefs.h before C11?): C11 atomics need -std=gnu11"
#endif

#include HOOD_CC_STDATOMIC
