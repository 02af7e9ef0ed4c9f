// console.c: the kernel console. Everything hood prints, from the first boot
// line to a fault report, goes through console_write, which hands the bytes
// to every registered sink (the serial port, the screen) under one lock, so
// lines from different CPUs and from interrupt handlers do not interleave.
//
// kprintf formats with newlib's vsnprintf into a buffer on the stack. That
// path does not allocate for integer and string conversions, so it is safe
// before the heap exists and inside fault handlers; %f allocates (newlib's
// dtoa) and must wait until vm_init has run.
//
// The fatal-error path (panic.c) calls console_panic first: from then on
// the lock is ignored, so a fault taken while the lock was held still gets
// its report out.

#include <stdio.h>

#include "kernel.h"
#include "spinlock.h"

static struct spinlock conslock = SPINLOCK_INIT("console", LOCK_CONSOLE);
static struct consink *sinks; // Protected by conslock.
static bool panicking;

void
console_register(struct consink *k)
{
	spin_lock(&conslock);
	k->next = sinks;
	sinks = k;
	spin_unlock(&conslock);
}

void
console_write(const char *s, size_t n)
{
	bool locked = !panicking;
	if (locked) {
		spin_lock(&conslock);
	}
	for (struct consink *k = sinks; k != NULL; k = k->next) {
		k->write(s, n);
	}
	if (locked) {
		spin_unlock(&conslock);
	}
}

// console_panic stops taking the console lock: the caller is about to print
// a fatal report and never return.
void
console_panic(void)
{
	panicking = true;
}

int
vkprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0) {
		return n;
	}
	console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	return n;
}

int
kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
