// cpu.c: the per-CPU area (cpu.h) and interrupt nesting. pushcli and
// popcli are xv6's: interrupts go off at the first pushcli and come back
// at the matching last popcli, if they were on before it.

#include "cpu.h"
#include "kernel.h"
#include "x86.h"

struct cpu cpus[MAXCPU];
int ncpu = 1;

// Point this CPU's GS base at c. The first thing each CPU does in C.
void
cpu_setgs(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void
pushcli(void)
{
	uint64_t flags = readrflags();
	cli();
	struct cpu *c = mycpu();
	if (c->ncli++ == 0) {
		c->intena = flags & FL_IF;
	}
}

void
popcli(void)
{
	if (readrflags() & FL_IF) {
		throw("popcli: interrupts are on");
	}
	struct cpu *c = mycpu();
	if (--c->ncli < 0) {
		throw("popcli: not pushed");
	}
	if (c->ncli == 0 && c->intena) {
		sti();
	}
}
