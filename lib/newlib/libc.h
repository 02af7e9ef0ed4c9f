// libc.h: the C library's port (lib/newlib/) as the layers around it see
// it: libc_init, called by the composition root (kernel/main.c) once the
// console works, and the hook by which the port finds the C library state
// of whatever runs (lib/newlib/syscalls.c, __getreent).
//
// newlib is built to ask __getreent() for the current reentrancy
// structure (scripts/setup: __DYNAMIC_REENT__): errno, strtok's and
// rand's state, and the like. The C library's port sits above the kernel
// and below the runtime, so it cannot know what a goroutine is: whoever
// gives threads a state of their own (the runtime's bare-metal port,
// runtime/os_hood.c, for each goroutine) registers a function that
// returns the running one's, or NULL for "the global one" (_impure_ptr).
//
// The hook's contract: it may be called from any context newlib runs in
// (any kernel thread, g0, a goroutine, with interrupts on or off), so it
// must not allocate, take a lock or block, and it must read the current
// thread's state in one step that no preemption can split. Registered once,
// before the first goroutine runs, never changed after (a plain store:
// threads other than the registering one first run Go code after the
// runtime started them, which orders it).
#pragma once

struct _reent;

// Set up stdio in newlib's global structure, so exit flushes it.
void libc_init(void);

void libc_setstatehook(struct _reent *(*fn)(void));
