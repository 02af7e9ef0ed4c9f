// syscalls.c: the system calls newlib needs, implemented on the kernel.
// newlib (built by scripts/setup with --disable-newlib-supplied-syscalls)
// calls these plain names for everything that touches the outside world:
//
//   write     fds 1 and 2 go to the console
//   read      fd 0 reads the console (serial input), waiting for a byte
//   sbrk      the heap grows page by page in the KHEAP region
//   _exit     powers off with the status
//   gettimeofday  walltime: the RTC at boot, carried on by nanotime
//   __getreent    the running goroutine's reentrancy structure, through
//                 the hook of libc.h
//
// The rest say what a machine with no files says. Errors set errno through
// newlib's reentrancy structure, as newlib's own stubs do.

#include <errno.h>
#include <reent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "kernel/memlayout.h"
#include "lib/lock.h"
#include "lib/newlib/libc.h"

static struct spinlock heaplock = SPINLOCK_INIT("sbrk", LOCK_HEAP);
static uint64_t heapend = KHEAP;    // Protected by heaplock: the break
static uint64_t heapmapped = KHEAP; // Protected by heaplock: mapped up to here

static struct _reent *(*statehook)(void); // libc.h: set once, before goroutines

// Set up stdio in newlib's global reentrancy structure at boot. Goroutines
// have reentrancy structures of their own (__getreent, below) but share
// stdin, stdout and stderr; exit flushes the streams only if the global
// structure initialised them, whichever goroutine used them first.
void
libc_init(void)
{
	(void)fileno(stdout); // stdio's first use in a structure sets it up (__sinit)
}

void
libc_setstatehook(struct _reent *(*fn)(void))
{
	statehook = fn;
}

// newlib's question "whose errno?": the running thread's own structure if
// the hook gives one (a goroutine's, on bare metal), else the global one
// (kernel threads, g0, and everything before the runtime starts).
struct _reent *
__getreent(void)
{
	struct _reent *r = statehook != NULL ? statehook() : NULL;
	return r != NULL ? r : _impure_ptr;
}

_READ_WRITE_RETURN_TYPE
write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	boottime_output(); // boottime=on: the boot's steps, before the first output
	console_write(buf, n);
	return n;
}

// fd 0 is the console. read returns 0 at the console's end of input, a
// Ctrl-D at the start of a line (kernel/console.c), so stdio sees end of
// file there as on a terminal: fgets returns NULL, feof(stdin) is true.
_READ_WRITE_RETURN_TYPE
read(int fd, void *buf, size_t n)
{
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	return console_read(buf, n);
}

void *
sbrk(ptrdiff_t incr)
{
	spin_lock(&heaplock);
	uint64_t old = heapend;
	if (incr < 0 || heapend + incr > KHEAP + KHEAP_SIZE) {
		spin_unlock(&heaplock);
		errno = ENOMEM;
		return (void *)-1;
	}
	heapend += incr;
	while (heapmapped < heapend) {
		uint64_t pa = physmem_alloc();
		memset(p2v(pa), 0, PGSIZE);
		vm_map(heapmapped, pa, VM_WRITE);
		heapmapped += PGSIZE;
	}
	spin_unlock(&heaplock);
	return (void *)old;
}

void
_exit(int status)
{
	poweroff(status);
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	int64_t ns = walltime();
	tv->tv_sec = ns / 1000000000;
	tv->tv_usec = ns % 1000000000 / 1000;
	return 0;
}

int
close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int
fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR; // the console
	return 0;
}

// The console is a terminal, so newlib line-buffers stdout.
int
isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

off_t
lseek(int fd, off_t off, int whence)
{
	(void)fd;
	(void)off;
	(void)whence;
	errno = ESPIPE;
	return -1;
}

int
open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOENT;
	return -1;
}

int
getpid(void)
{
	return 1;
}

int
kill(int pid, int sig)
{
	// abort() raises SIGABRT on itself: like Go, exit with status 2.
	if (pid == 1) {
		kprintf("hood: killed by signal %d\n", sig);
		poweroff(EXIT_FATAL);
	}
	errno = ESRCH;
	return -1;
}
