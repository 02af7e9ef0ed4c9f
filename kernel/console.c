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
//
// Input goes the other way: a driver's interrupt handler hands each byte
// to console_input, which keeps it in a ring until console_read (newlib's
// read on fd 0) takes it; a reader with nothing to read parks until the
// next byte comes. Bytes that come when the ring is full are dropped.
//
// End of input is Ctrl-D (EOT, 0x04), as a terminal's VEOF in canonical
// mode (POSIX, General Terminal Interface, "Special Characters"): a serial
// line has no end of its own, and QEMU's serial console gives the guest
// no sign that its host side (a pipe, a file) has ended. At the start of
// a line, Ctrl-D makes the read that meets it return 0, once; later reads
// wait for input again. After other bytes of a line it only hands those
// over, which console_read does anyway, so it is dropped, and a second
// Ctrl-D is the end of input. Which Ctrl-D ends the input depends only on
// the bytes before it, never on when the reader came. Ctrl-D is not
// echoed, and a program cannot read it as a byte.

#include <stdio.h>

#include "kernel.h"
#include "kthread.h"
#include "lib/lock.h"

static struct spinlock conslock = SPINLOCK_INIT("console", LOCK_CONSOLE);
static struct consink *sinks; // Protected by conslock.
static bool panicking;

enum {
	INPUTSIZE = 1024,
	EOT = 0x04, // Ctrl-D: the end of input at the start of a line
};

static struct spinlock inputlock = SPINLOCK_INIT("input", LOCK_INPUT);
// Protected by inputlock:
static char input[INPUTSIZE];       // the ring; an EOT in it is an end of input
static uint32_t inputr, inputw;     // read, write counts
static bool inputmidline;           // a byte other than \n came since the last \n or end
static struct kthread *inputwaiter; // the parked reader

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

// A byte of input from a driver; from its interrupt handler. As a
// terminal would, it turns the Enter key's carriage return into a newline,
// echoes what is typed and takes Ctrl-D for the end of input (see the top
// of this file).
void
console_input(char c)
{
	if (c == '\r') {
		c = '\n';
	}
	if (c != EOT) {
		console_write(&c, 1);
	}
	spin_lock(&inputlock);
	if (c == EOT && inputmidline) {
		inputmidline = false; // hands the line's bytes over: nothing to store
	} else if (inputw - inputr < INPUTSIZE) {
		input[inputw++ % INPUTSIZE] = c;
		inputmidline = c != '\n' && c != EOT;
	}
	struct kthread *t = inputwaiter;
	inputwaiter = NULL;
	spin_unlock(&inputlock);
	if (t != NULL) {
		kthread_unpark(t);
	}
}

// Up to n bytes of input, waiting until there is at least one; 0 at an
// end of input, which it takes, so the next read waits again. The bytes
// stop before an end of input. One reader at a time. The reader's thread
// is pinned while it waits, so the wakeup goes to the goroutine that waits
// (kthread_pin).
size_t
console_read(char *buf, size_t n)
{
	struct kthread *self = kthread_pin();
	for (;;) {
		spin_lock(&inputlock);
		if (inputw != inputr) {
			size_t k = 0;
			if (input[inputr % INPUTSIZE] == EOT) {
				inputr++; // the end of input: this read returns 0
			} else {
				while (k < n && inputr != inputw && input[inputr % INPUTSIZE] != EOT) {
					buf[k++] = input[inputr++ % INPUTSIZE];
				}
			}
			spin_unlock(&inputlock);
			kthread_unpin(self);
			return k;
		}
		inputwaiter = self;
		spin_unlock(&inputlock);
		// An unpark between the unlock and the park is kept by the
		// thread's permit: the park returns at once.
		bool syscall = kthread_blockbegin();
		kthread_park();
		kthread_blockend(syscall);
	}
}
