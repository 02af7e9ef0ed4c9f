# hood's build. One Makefile, explicit object lists, everything under build/.
# `make help` lists the targets; README.md explains them.

APP ?= hello
CPUS ?= 1
MEM ?= 128M
ACCEL ?= tcg
QEMU ?= qemu-system-x86_64
TIMEOUT ?= 60

NEWLIB := .deps/newlib/x86_64-elf
# linker.ld names B's folders (the kernel's text comes first in the image).
B := build

CC := gcc
NASM := nasm
LD := ld

# Kernel C: freestanding, no red zone (interrupts push on the current
# stack), frame pointers everywhere and no sibling calls (backtraces),
# newlib's headers instead of the host's.
# Stack-clash protection: a frame larger than a page is allocated and
# touched a page at a time, so it cannot step over a goroutine stack's
# guard (docs/scheduler.md, section 9). lib/newlib/include comes before
# newlib's headers: its stdatomic.h is the compiler's (HOOD_CC_STDATOMIC),
# since newlib's does not compile with gcc in C11.
CC_INCLUDE := $(shell $(CC) -print-file-name=include)
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-fno-stack-protector -fstack-clash-protection -fcf-protection=none \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-nostdinc -isystem lib/newlib/include -isystem $(NEWLIB)/include -idirafter $(CC_INCLUDE) \
	-DHOOD_CC_STDATOMIC='"$(CC_INCLUDE)/stdatomic.h"' \
	-U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix \
	-D__DYNAMIC_REENT__ \
	-I. -Iinclude -I$(B)/gen -MMD -MP
NASMFLAGS := -f elf64 -g -F dwarf -I.
LDFLAGS := -nostdlib -T linker.ld -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments
LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a

# --- the layers -------------------------------------------------------------
#
# One list per layer (docs/layers.md): boot, the kernel, the drivers, the C
# library's port, the generic runtime (listed once, built for both ports),
# and each port's own files. A new file is one edit, in its layer's list.

BOOT_OBJS := \
	boot/entry.o \
	boot/apboot.o

KERNEL_OBJS := \
	kernel/main.o \
	kernel/bootinfo.o \
	kernel/console.o \
	kernel/spinlock.o \
	kernel/cpu.o \
	kernel/pic.o \
	kernel/lapic.o \
	kernel/timer.o \
	kernel/kthread.o \
	kernel/swtch.o \
	kernel/note.o \
	kernel/mutex.o \
	kernel/madt.o \
	kernel/smp.o \
	kernel/ioapic.o \
	kernel/cmdline.o \
	kernel/gdt.o \
	kernel/trap.o \
	kernel/trapasm.o \
	kernel/panic.o \
	kernel/ksyms.o \
	kernel/tsc.o \
	kernel/rtc.o \
	kernel/frames.o \
	kernel/physmem.o \
	kernel/vm.o \
	kernel/stack.o \
	kernel/acpi.o \
	kernel/power.o

DRIVER_OBJS := \
	drivers/serial.o \
	drivers/screen.o \
	drivers/font.o

# newlib's system calls and locks (lib/newlib/): above the kernel.
LIBC_OBJS := \
	lib/newlib/syscalls.o \
	lib/newlib/locks.o

# The generic runtime: the same objects in the kernel image and in the
# hosted library.
RUNTIME_OBJS := \
	runtime/proc.o \
	runtime/schedule.o \
	runtime/lockosthread.o \
	runtime/syscall.o \
	runtime/stw.o \
	runtime/sysmon.o \
	runtime/traceback.o \
	runtime/runq.o \
	runtime/stack.o \
	runtime/time.o \
	runtime/timeval.o \
	runtime/malloc.o \
	runtime/mheap.o \
	runtime/mcentral.o \
	runtime/mcache.o \
	runtime/mbitmap.o \
	runtime/mfixalloc.o \
	runtime/mstats.o \
	runtime/mmanual.o \
	runtime/mgc.o \
	runtime/mgcmark.o \
	runtime/mgcsweep.o \
	runtime/mfinal.o \
	runtime/chan.o \
	runtime/select.o \
	runtime/map.o \
	runtime/map_grow.o \
	runtime/map_fast.o \
	runtime/alg.o \
	runtime/panic.o \
	runtime/sema.o \
	runtime/debug.o \
	runtime/runtime1.o \
	runtime/asm_amd64.o

# Go's package sync, above the runtime: it reaches it only through
# runtime/sema.h. Both ports build it.
SYNC_OBJS := \
	sync/mutex.o \
	sync/rwmutex.o \
	sync/waitgroup.o \
	sync/once.o \
	sync/cond.o \
	sync/pool.o \
	sync/value.o \
	sync/map.o

# The ports of the runtime: bare metal (os.h over the kernel) and Linux.
RUNTIME_HOOD_OBJS := \
	runtime/os_hood.o

RUNTIME_LINUX_OBJS := \
	runtime/os_linux.o \
	runtime/mem_linux.o \
	runtime/signal_linux.o \
	runtime/symtab_linux.o \
	runtime/lock_futex.o \
	runtime/asyncpreempt_linux.o

# --- the tests, by subject ---------------------------------------------------
#
# tests/runtime/: the runtime's tests, built into the guest test image and
# into the hosted test programs; they include only runtime/*.h, hood.h and
# tests/*.h. tests/kernel/: the machine's tests, guest only. tests/unit/:
# pure code built for the host with the code it tests. A new test file is
# one edit, in its subject's list.

TESTING_OBJS := \
	tests/testing.o \
	tests/match.o \
	tests/wg.o

RUNTIME_TESTS := \
	tests/runtime/sched_test.o \
	tests/runtime/syscall_test.o \
	tests/runtime/procresize_test.o \
	tests/runtime/traceback_test.o \
	tests/runtime/mem_test.o \
	tests/runtime/handoff_test.o \
	tests/runtime/sleep_test.o \
	tests/runtime/time_test.o \
	tests/runtime/lockosthread_test.o \
	tests/runtime/errno_test.o \
	tests/runtime/chan_test.o \
	tests/runtime/panic_test.o \
	tests/runtime/sigpanic_test.o \
	tests/runtime/libccallback_test.o \
	tests/runtime/manyparked_test.o \
	tests/runtime/stackoverflow_test.o \
	tests/runtime/stdatomic_test.o \
	tests/runtime/idletimer_test.o \
	tests/runtime/malloc_test.o \
	tests/runtime/mmanual_test.o \
	tests/runtime/gc_test.o \
	tests/runtime/mfinal_test.o \
	tests/runtime/map_test.o \
	tests/runtime/sync_test.o

KERNEL_TESTS := \
	tests/kernel/libc_test.o \
	tests/kernel/fault_test.o \
	tests/kernel/vm_test.o \
	tests/kernel/runner_test.o \
	tests/kernel/kthread_test.o \
	tests/kernel/smp_test.o \
	tests/kernel/intr_test.o \
	tests/kernel/kstack_test.o \
	tests/kernel/parkcost_test.o \
	tests/kernel/tsc_test.o \
	tests/kernel/oom_test.o

# Each unit test file, and the code it tests.
UNIT_TESTS := \
	tests/unit/cmdline_test.o kernel/cmdline.o \
	tests/unit/runtime1_test.o runtime/runtime1.o \
	tests/unit/ksyms_test.o kernel/ksyms.o \
	tests/unit/frames_test.o kernel/frames.o \
	tests/unit/sizeclasses_test.o

# The benchmarks: the runtime's (in the image and the hosted program,
# each with a Go twin in bench/go) and the machine's (the image only).
BENCH_OBJS := \
	bench/bench.o \
	bench/sched_bench.o \
	bench/malloc_bench.o \
	bench/alloc_bench.o \
	bench/chan_bench.o \
	bench/sync_bench.o \
	bench/time_bench.o \
	bench/map_bench.o

MACHINE_BENCH_OBJS := \
	bench/machine_bench.o

# The collector's (in the image, and as a hosted program of its own, so
# that each run's peak resident set is its own; twins in bench/go and
# bench/boehm).
GC_BENCH_OBJS := \
	bench/gc_bench.o

# Every example is built; APP picks the one build/hood.elf holds.
EXAMPLES := $(sort hello echo spin alloc sieve trees wordfreq ticker $(APP))
ifeq ($(wildcard examples/$(APP)/*.c),)
$(error APP=$(APP): there is no examples/$(APP)/ with C files; the examples are $(notdir $(wildcard examples/*)))
endif

HOOD_OBJS := $(addprefix $(B)/,$(BOOT_OBJS) $(KERNEL_OBJS) $(DRIVER_OBJS) $(LIBC_OBJS) \
	$(RUNTIME_OBJS) $(SYNC_OBJS) $(RUNTIME_HOOD_OBJS))

all: $(B)/hood.elf $(B)/test.elf $(B)/bench.elf $(foreach e,$(EXAMPLES),$(B)/app-$(e).elf)

.DELETE_ON_ERROR:

$(NEWLIB)/lib/libc.a:
	@echo "newlib is not built: run scripts/setup first" >&2; exit 1

# V=1 shows the commands.
Q := $(if $(V),,@)

$(B)/%.o: %.c $(NEWLIB)/lib/libc.a | $(B)/gen/sizeclasses.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $<

# NASM 2.16's -MD leaves the %include'd files out of the .d file; a -M pass
# first lists them, so a change to lib/regs.inc rebuilds its users.
$(B)/%.o: %.asm
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -M -MP -MT $@ -MF $(B)/$*.d $< && $(NASM) $(NASMFLAGS) -o $@ $<

FONT := .deps/font/console.psf

$(FONT):
	@echo "$(FONT) is missing: run scripts/setup first" >&2; exit 1

$(B)/drivers/font.o: drivers/font.asm $(FONT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -DFONT='"$(FONT)"' -o $@ $<

# Two-pass link. The first link has empty symbol and line tables; mksyms
# reads that image and writes the real tables as C; the second link puts
# them in .ksyms, the image's last segment, so no other address moves. The
# check at the end proves it: both images have the same symbols.
$(B)/ksyms_empty.o: scripts/mksyms
	@mkdir -p $(B)
	$(Q)scripts/mksyms - $(B)/ksyms_empty.c
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $(B)/ksyms_empty.c

define image
$(B)/$(1).pass1.elf: $(2) $(B)/ksyms_empty.o linker.ld
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(LD) $(LDFLAGS) -o $$@ $(2) $(B)/ksyms_empty.o --start-group $(LIBS) --end-group

$(B)/$(1).ksyms.o: $(B)/$(1).pass1.elf scripts/mksyms
	@$(if $(Q),echo "  KSYMS   $$@")
	$(Q)scripts/mksyms $$< $(B)/$(1).ksyms.c
	$(Q)$(CC) $(KCFLAGS) -c -o $$@ $(B)/$(1).ksyms.c

$(B)/$(1).elf: $(B)/$(1).pass1.elf $(B)/$(1).ksyms.o
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(LD) $(LDFLAGS) -o $$@ $(2) $(B)/$(1).ksyms.o --start-group $(LIBS) --end-group
	$(Q)nm -n $(B)/$(1).pass1.elf | awk '/ __ksyms_start$$$$/ { exit } { print }' > $(B)/$(1).pass1.sym
	$(Q)nm -n $$@ | awk '/ __ksyms_start$$$$/ { exit } { print }' > $(B)/$(1).pass2.sym
	$(Q)cmp -s $(B)/$(1).pass1.sym $(B)/$(1).pass2.sym || { echo "two-pass link moved symbols" >&2; exit 1; }
	$(Q)nm -n $$@ > $(B)/$(1).sym
	$(Q)objdump -d -S --no-show-raw-insn $$@ > $(B)/$(1).asm 2>/dev/null
endef

$(eval $(call image,bench,$(HOOD_OBJS) $(addprefix $(B)/,$(BENCH_OBJS) $(MACHINE_BENCH_OBJS) \
	$(GC_BENCH_OBJS) bench/main.o tests/match.o tests/wg.o)))

$(foreach e,$(EXAMPLES),$(eval $(call image,app-$(e),$(HOOD_OBJS) \
	$(patsubst %.c,$(B)/%.o,$(wildcard examples/$(e)/*.c)))))
$(eval $(call image,test,$(HOOD_OBJS) $(addprefix $(B)/,$(TESTING_OBJS) tests/main_guest.o \
	$(RUNTIME_TESTS) $(KERNEL_TESTS))))

# build/hood.elf is the image of the chosen APP.
$(B)/hood.elf: $(B)/app-$(APP).elf FORCE
	@cmp -s $< $@ || cp $< $@
FORCE:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# --- running -------------------------------------------------------------

CMDLINE ?=
QEMUOPTS = --cpus $(CPUS) --mem $(MEM)

# Boot the application in QEMU with the console on this terminal. Ends when
# the program does (or after TIMEOUT seconds), then says how (scripts/qemu
# --report; tests/run/qemu.py decodes QEMU's exit code, the one place).
run: $(B)/hood.elf
	@ACCEL=$(ACCEL) scripts/qemu --report $(QEMUOPTS) -t $(TIMEOUT) -a "$(CMDLINE)" $<

# A BIOS+UEFI hybrid ISO: GRUB loads build/hood.elf through multiboot2,
# with CMDLINE in its grub.cfg; the stamp remakes the ISO when it changes.
$(B)/cmdline.stamp: FORCE
	@mkdir -p $(B)
	@echo "$(CMDLINE)" | cmp -s - $@ || echo "$(CMDLINE)" > $@

$(B)/hood.iso: $(B)/hood.elf $(B)/cmdline.stamp scripts/mkiso
	$(Q)scripts/mkiso $(B)/hood.elf $@ "$(CMDLINE)"

iso: $(B)/hood.iso

# gdb on 127.0.0.1, on a port of this user's own; QEMU waits for it.
GDBPORT ?= $(shell expr 20000 + $$(id -u) % 10000)
qemu-gdb: $(B)/hood.elf
	@sed "s/@PORT@/$(GDBPORT)/" scripts/gdbinit.in > $(B)/gdbinit
	@echo "QEMU waits for gdb on 127.0.0.1:$(GDBPORT). In another terminal:"
	@echo "    gdb -x $(B)/gdbinit"
	@ACCEL=$(ACCEL) scripts/qemu --report $(QEMUOPTS) -t 100000 --gdb $(GDBPORT) -a "$(CMDLINE)" $<

# --- generated code ------------------------------------------------------------

# The allocator's size classes (runtime/malloc.h), made by
# tools/mksizeclasses.c as Go's mksizeclasses.go makes sizeclasses.go;
# never in git. Another table: make clean, then make
# SIZECLASSES_FLAGS='-pageshift 12' (docs/malloc.md).
SIZECLASSES_FLAGS ?=

$(B)/tools/mksizeclasses: tools/mksizeclasses.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/gen/sizeclasses.h: $(B)/tools/mksizeclasses
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$< $(SIZECLASSES_FLAGS) > $@.tmp && mv $@.tmp $@

# --- the host unit tests -------------------------------------------------------

# Pure kernel code built for Linux with AddressSanitizer and UBSan, run by
# scripts/runtests with the other tiers (make test-unit).
HOSTCC := gcc
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -I$(B)/gen -MMD -MP \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_OBJS := $(addprefix $(B)/unit/,tests/testing.o tests/match.o tests/main_unit.o $(UNIT_TESTS))

$(B)/unit/%.o: %.c | $(B)/gen/sizeclasses.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -c -o $@ $<

$(B)/host/unittest: $(UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -o $@ $^

unit: $(B)/host/unittest

# --- the hosted port ---------------------------------------------------------

# The runtime as a Linux library: the generic runtime's objects over the
# Linux port (docs/hosted.md). A program links with build/host/libhood.a
# and -Wl,--wrap=main (README, "Using hood on Linux"). Three variants, one
# template: plain (build/host/), AddressSanitizer with UBSan
# (build/host/asan/) and ThreadSanitizer (build/host/tsan/), each a
# libhood.a and a test program of the runtime's tests. Stack-clash
# protection as in KCFLAGS; a program's own code needs it too (the README's
# compile line has it).
HOSTED_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -I$(B)/gen -MMD -MP -pthread \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-fstack-clash-protection
HOSTED_LDFLAGS := -pthread -Wl,--wrap=main
HOSTED_LIB := $(RUNTIME_OBJS) $(SYNC_OBJS) $(RUNTIME_LINUX_OBJS)
HOSTED_TESTS := $(TESTING_OBJS) tests/main_hosted.o $(RUNTIME_TESTS)

# Goroutine stacks of the sanitizer builds: ASan's red zones make frames
# larger (8 MiB); TSan's stacks must fit its 64 GiB region (4 MiB). Under
# TSan, no function entry and exit hooks: a goroutine starts on one thread
# and returns on another, which TSan's per-thread shadow call stacks
# cannot follow (reports then show the racing accesses' own frames). A race
# TSan reports is fixed, not suppressed.
ASAN_FLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS := -O1 -fsanitize=thread --param=tsan-instrument-func-entry-exit=0

# hostvariant OBJDIR OUTDIR CFLAGS LDFLAGS NAME: the rules of one variant.
define hostvariant
$(1)/%.o: %.c | $(B)/gen/sizeclasses.h
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  $(5)  $$<")
	$$(Q)$$(HOSTCC) $$(HOSTED_CFLAGS) $(3) -c -o $$@ $$<

$(1)/%.o: %.asm
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  NASM    $$<")
	$$(Q)$$(NASM) $$(NASMFLAGS) -M -MP -MT $$@ -MF $(1)/$$*.d $$< && $$(NASM) $$(NASMFLAGS) -o $$@ $$<

$(2)/libhood.a: $$(addprefix $(1)/,$$(HOSTED_LIB))
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^

$(2)/test: $$(addprefix $(1)/,$$(HOSTED_TESTS)) $(2)/libhood.a
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(HOSTCC) $$(HOSTED_LDFLAGS) $(4) -o $$@ $$^
endef

$(eval $(call hostvariant,$(B)/host/lib,$(B)/host,,,HOSTCC))
$(eval $(call hostvariant,$(B)/host/asan,$(B)/host/asan,$(ASAN_FLAGS),$(ASAN_FLAGS),ASANCC))
$(eval $(call hostvariant,$(B)/host/tsan,$(B)/host/tsan,$(TSAN_FLAGS),-fsanitize=thread,TSANCC))

$(B)/host/include/hood.h: include/hood.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

HOSTED_BENCH_OBJS := $(addprefix $(B)/host/lib/,$(BENCH_OBJS) bench/hosted/main.o \
	tests/match.o tests/wg.o)

$(B)/host/bench: $(HOSTED_BENCH_OBJS) $(B)/host/libhood.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) -o $@ $^

$(B)/host/gcbench: $(addprefix $(B)/host/lib/,bench/bench.o $(GC_BENCH_OBJS) bench/hosted/main.o tests/match.o \
	tests/wg.o) $(B)/host/libhood.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) -o $@ $^

# Boehm's collector on the same work: a plain program with Debian's libgc
# (scripts/setup installs libgc-dev), for bench-compare only.
$(B)/host/gcbench-boehm: bench/boehm/gcbench.c bench/gcwork.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -pthread -o $@ $< -lgc

host: $(B)/host/libhood.a $(B)/host/include/hood.h $(B)/host/test $(B)/host/bench $(B)/host/gcbench

# Fuzz targets (tests/fuzz/), clang's libFuzzer with ASan and UBSan:
# make fuzz runs each for FUZZTIME seconds, keeping its corpus in
# build/fuzz/corpus-NAME.
FUZZTIME ?= 30
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -Iinclude
FUZZERS := cmdline runq

$(B)/fuzz/cmdline: tests/fuzz/cmdline_fuzz.c kernel/cmdline.c runtime/runtime1.c
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_FLAGS) -o $@ $^

$(B)/fuzz/runq: tests/fuzz/runq_fuzz.c runtime/runq.c
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_FLAGS) -o $@ $^

fuzz: $(addprefix $(B)/fuzz/,$(FUZZERS))
	@for f in $(FUZZERS); do \
		mkdir -p $(B)/fuzz/corpus-$$f; \
		echo "fuzz: $$f for $(FUZZTIME) s"; \
		$(B)/fuzz/$$f -max_total_time=$(FUZZTIME) -artifact_prefix=$(B)/fuzz/$$f- \
			$(B)/fuzz/corpus-$$f 2>&1 | tail -1 || exit 1; \
	done

# --- the test tiers ------------------------------------------------------------

# make test runs every tier; each tier builds only what it runs.
# scripts/runtests -run REGEX -v runs some tests, showing their consoles.
test: lint all $(B)/hood.iso unit host $(B)/host/asan/test $(B)/host/tsan/test $(addprefix $(B)/fuzz/,$(FUZZERS))
	scripts/runtests

# The layering and atomics rules (docs/layers.md).
lint:
	scripts/lint

test-unit: unit $(addprefix $(B)/fuzz/,$(FUZZERS))
	scripts/runtests -tier unit

test-runtime: $(B)/host/test $(B)/host/asan/test $(B)/host/tsan/test
	scripts/runtests -tier runtime

test-guest: $(B)/test.elf
	scripts/runtests -tier guest

test-boot: all $(B)/hood.iso
	scripts/runtests -tier boot

# The runtime's tests on the hosted port alone: plain, ASan+UBSan, TSan
# (build/host/test lists the tests for all three).
test-host: $(B)/host/test
	scripts/runtests -tier runtime -run '/hosted$$'

test-asan: $(B)/host/test $(B)/host/asan/test
	scripts/runtests -tier runtime -run '/asan$$'

test-tsan: $(B)/host/test $(B)/host/tsan/test
	scripts/runtests -tier runtime -run '/tsan$$'

# The hosted build's benchmarks and their Go twins (bench/go), interleaved
# on this machine, as one table of hood/Go ratios. Installs golang-go if Go
# is missing.
bench-compare: host $(B)/host/gcbench-boehm
	scripts/benchcompare

# The benchmarks, in Go's format, under QEMU with CPUS CPUs (2 if not
# given): emulator timings, see docs/ and README.md.
BENCHCPUS := $(if $(filter command line,$(origin CPUS)),$(CPUS),2)
bench: $(B)/bench.elf
	@ACCEL=$(ACCEL) scripts/qemu --cpus $(BENCHCPUS) --mem $(MEM) -t 600 -a "bench=$(or $(BENCH),all)" $< | \
		tr -d '\r' | sed -n '/^goos:/,/^PASS/p'

# The Go twins of the benchmarks (bench/go), natively on this machine.
# Needs Go (Debian's golang-go).
bench-go:
	cd bench/go && go test -bench . -benchtime 500ms

test-uefi: $(B)/hood.iso
	scripts/runtests -tier boot -run '^TestBootGRUB'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# make help: the targets, a line each (README.md explains them).
help:
	@echo "make                build the app image (build/hood.elf), the test and bench images"
	@echo "make run            boot APP (default hello) in QEMU; CPUS=n MEM=size CMDLINE='...'"
	@echo "make iso            build/hood.iso, bootable through GRUB on BIOS and UEFI"
	@echo "make qemu-gdb       boot and wait for gdb (gdb -x build/gdbinit)"
	@echo "make test           every tier below; last line 'N passed, N failed'"
	@echo "make test-unit      host unit tests and the fuzz targets for a few seconds"
	@echo "make test-runtime   the runtime's tests on the hosted port: plain, ASan+UBSan, TSan"
	@echo "make test-guest     the tests in the guest image at 1, 2, 4, 8 and 64 CPUs, crash tests"
	@echo "make test-boot      whole boots from outside: PVH, GRUB BIOS/UEFI, microvm, options"
	@echo "make test-host, test-asan, test-tsan   one hosted variant of test-runtime"
	@echo "make host           the hosted library build/host/libhood.a and its programs"
	@echo "make bench          the benchmarks under QEMU (CPUS=, BENCH=Prefix*)"
	@echo "make bench-go       their Go twins, natively"
	@echo "make bench-compare  the hosted benchmarks against their Go twins, one table"
	@echo "make fuzz           the libFuzzer targets, FUZZTIME seconds each"
	@echo "make lint           the layering and atomics rules"
	@echo "make format         clang-format every C file"
	@echo "make clean          remove build/"

.PHONY: all clean help run iso qemu-gdb test test-unit test-runtime test-guest test-boot test-uefi unit host \
	test-host test-asan test-tsan fuzz bench bench-go bench-compare lint format FORCE
clean:
	rm -rf $(B)
