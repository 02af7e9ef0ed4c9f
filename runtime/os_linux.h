// os_linux.h: what the hosted port's two files share: lock_futex.c (locks,
// notes, mutexes) and os_linux.c (threads, signals, memory). Not for
// generic runtime files, which see the machine through os.h only.
#pragma once

#include <stdbool.h>

// The running thread's goroutine must stay on it: it holds a spinlock or
// is pinned (lock_futex.c).
bool thread_nopreempt(void);

// Around a wait in the port (a note, a contended mutex): Go's
// entersyscall and exitsyscall, if the thread is an M (os_linux.c).
bool blockbegin(void);
void blockend(bool entered);
