// kernel.h: the kernel's services to the rest of hood, by file. Each file
// begins with its own description; docs/boot.md tells the boot order.
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trapframe;

// console.c
void console_panic(void);
void console_write(const char *s, size_t n);
void console_input(char c);
size_t console_read(char *buf, size_t n); // 0: end of input (Ctrl-D)
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

// A console sink: somewhere the console's bytes go (the serial port, the
// screen). Drivers register theirs; console_write calls each in turn with
// the console lock held and interrupts off.
struct consink {
	const char *name;
	void (*write)(const char *s, size_t n);
	struct consink *next;
};
void console_register(struct consink *k);

// physmem.c (see frames.h for the allocator itself)
void physmem_init(void);
uint64_t physmem_alloc(void);
void physmem_free(uint64_t pa);
uint64_t physmem_nfree(void); // free frames now: for tests, reports and os_sysmap

// vm.c
enum {
	VM_WRITE = 1 << 0,
	VM_EXEC = 1 << 1,
};
void vm_init(void);
void vm_map(uint64_t va, uint64_t pa, int flags);
void *vm_mapmmio(uint64_t pa, uint64_t size);
void vm_unmap(uint64_t va);
void vm_unmapfree(uint64_t va, uint64_t size);
struct vmrange {
	uint64_t va, size;
};
void vm_unmapfreev(int n, const struct vmrange *r);
bool vm_mapped(uint64_t va);
uint64_t vm_dirtyscan(uint64_t va, uint64_t size, uint64_t *bitmap, bool clear);
uint64_t kstack_alloc(void);
void kstack_free(uint64_t top);
bool kstack_guard(uint64_t va);

// gdt.c
void gdt_init(uint64_t *ist);

// trap.c
void trap_init(void);
void trap(struct trapframe *tf);

// panic.c: fatal errors. All print "fatal error: ..." with a report of the
// machine state and a backtrace, then power off with status 2.
void throw(const char *msg) __attribute__((noreturn));
void fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fatal_trap(struct trapframe *tf) __attribute__((noreturn));
void fatal_nmi(struct trapframe *tf, void *arg);
void backtrace_print(uint64_t pc, uint64_t ret, uint64_t fp);
size_t backtrace_sprint(char *buf, size_t len, uint64_t pc, uint64_t ret, uint64_t fp);

// ksyms.c: the symbol and line tables embedded at link time.
const char *ksym_lookup(uint64_t pc, uint64_t *off);
bool kline_lookup(uint64_t pc, const char **file, int *line);

// tsc.c
void tsc_init(void);
uint64_t tsc_calibrate(void);
uint64_t tsc_measure(uint64_t window_us);
uint64_t tsc_hz(void);
uint64_t nanotime(void);
uint64_t tsc_at(uint64_t ns);

// rtc.c
void rtc_init(void);
int64_t walltime(void);

// pic.c
void pic_disable(void);

// acpi.c
void acpi_init(void);
void *acpi_find(const char *sig);

// power.c
void poweroff(int status) __attribute__((noreturn));
bool hypervisor_present(void);

// Exit statuses: the one place that says what each status means. QEMU's
// isa-debug-exit turns a status s into a process exit code of 2*s + 1.
enum {
	EXIT_OK = 0,     // the program (or every test) succeeded
	EXIT_FAIL = 1,   // the program returned 1, or a test failed
	EXIT_FATAL = 2,  // a fatal error or unrecovered panic: Go's status
	EXIT_USAGE = 64, // a malformed boot command line (sysexits' EX_USAGE)
};

// stack.asm
void stack_switch(uint64_t top, void (*fn)(void)) __attribute__((noreturn));

// The application's entry point, run by the runtime as goroutine 1.
int main(void);

// main.c: with boottime=on, the table of the boot's steps, before the
// program's first output (newlib's write calls it each time; cheap after).
void boottime_output(void);

// The runtime's entry point (runtime/proc.c): the kernel's hand-off.
void rt0_go(void) __attribute__((noreturn));
