// x86.h: the x86-64 instructions C code needs, one static inline function
// each, so that no .c file holds raw asm (STYLE.md, "Assembly"). Names follow
// the instruction; the Intel SDM volume 2 describes each.
#pragma once

#include <stdint.h>

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t
inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

static inline uint64_t
rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void
wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

// rdtsc is not ordered against earlier loads; lfence before it makes the
// reading happen after them (SDM vol. 2B, RDTSC).
static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t
rcr0(void)
{
	uint64_t v;
	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t
rcr2(void)
{
	uint64_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t
rcr3(void)
{
	uint64_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void
lcr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t
rcr4(void)
{
	uint64_t v;
	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void
lcr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void
invlpg(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t
readrflags(void)
{
	uint64_t v;
	asm volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void
cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void
sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void
hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void
cpu_pause(void)
{
	asm volatile("pause");
}

static inline uint64_t
readrbp(void)
{
	uint64_t v;
	asm volatile("mov %%rbp, %0" : "=r"(v));
	return v;
}

static inline uint64_t
readrsp(void)
{
	uint64_t v;
	asm volatile("mov %%rsp, %0" : "=r"(v));
	return v;
}

// A descriptor-table pointer as lgdt and lidt take it.
struct __attribute__((packed)) dtptr {
	uint16_t limit;
	uint64_t base;
};

static inline void
lgdt(void *base, uint16_t limit)
{
	struct dtptr p = {limit, (uint64_t)base};
	asm volatile("lgdt %0" : : "m"(p));
}

static inline void
lidt(void *base, uint16_t limit)
{
	struct dtptr p = {limit, (uint64_t)base};
	asm volatile("lidt %0" : : "m"(p));
}

static inline void
ltr(uint16_t sel)
{
	asm volatile("ltr %0" : : "r"(sel));
}

// RFLAGS bits.
enum {
	FL_IF = 1 << 9, // interrupts enabled
};

// Control register and MSR bits the kernel reads or sets.
enum {
	CR0_NW = 1 << 29, // not write-through
	CR0_CD = 1 << 30, // cache disable
	CR4_PGE = 1 << 7,
	CR4_OSXSAVE = 1 << 18,
	XCR0_AVX = 1 << 2,
	CPUID1_ECX_HYPERVISOR = 1u << 31,
	CPUID80000001_EDX_PDPE1GB = 1u << 26,
	MSR_EFER = 0xC0000080,
	MSR_FS_BASE = 0xC0000100,
	MSR_GS_BASE = 0xC0000101,
};

// The 8-byte word at offset off in the GS segment: the per-CPU area
// (kernel/cpu.h), whose first word points to itself.
static inline uint64_t
gsread64(uint64_t off)
{
	uint64_t v;
	asm volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static inline void
xsetbv(uint32_t reg, uint64_t v)
{
	asm volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t
xgetbv(uint32_t reg)
{
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(reg));
	return (uint64_t)hi << 32 | lo;
}

// Enable interrupts and halt, as one step: sti takes effect only after the
// next instruction, so an interrupt already pending is taken once the CPU
// has halted, and ends the halt, instead of slipping in before it.
static inline void
sti_hlt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
