# hood's build. One Makefile, explicit object lists, everything under build/.
# `make help` lists the targets; README.md explains them.

APP ?= hello
CPUS ?= 1
MEM ?= 128M
ACCEL ?= tcg
QEMU ?= qemu-system-x86_64
TIMEOUT ?= 60

NEWLIB := .deps/newlib/x86_64-elf
B := build

CC := gcc
NASM := nasm
LD := ld

# Kernel C: freestanding, no red zone (interrupts push on the current
# stack), frame pointers everywhere and no sibling calls (backtraces),
# newlib's headers instead of the host's (TOOLCHAIN.md, "Compiling").
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-fno-stack-protector -fcf-protection=none \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-nostdinc -isystem $(NEWLIB)/include -idirafter $(shell $(CC) -print-file-name=include) \
	-U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix \
	-D__DYNAMIC_REENT__ \
	-I. -Iinclude -MMD -MP
NASMFLAGS := -f elf64 -g -F dwarf -I.
LDFLAGS := -nostdlib -T linker.ld -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments
LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a

KERNEL_OBJS := \
	boot/entry.o \
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
	boot/apboot.o \
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
	kernel/power.o \
	drivers/serial.o \
	drivers/screen.o \
	drivers/font.o \
	lib/syscalls.o \
	lib/locks.o \
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
	runtime/malloc.o \
	runtime/api.o \
	runtime/os_hood.o \
	runtime/asm_amd64.o

TEST_OBJS := \
	tests/testing.o \
	tests/match.o \
	tests/guest/main.o \
	tests/guest/libc_test.o \
	tests/guest/fault_test.o \
	tests/guest/vm_test.o \
	tests/guest/runner_test.o \
	tests/guest/kthread_test.o \
	tests/guest/smp_test.o \
	tests/guest/intr_test.o \
	tests/guest/sched_test.o \
	tests/guest/syscall_test.o \
	tests/guest/procresize_test.o \
	tests/guest/traceback_test.o \
	tests/wg.o

# Every example is built; APP picks the one build/hood.elf holds.
EXAMPLES := $(sort hello echo spin $(APP))

KERNEL_OBJS := $(addprefix $(B)/,$(KERNEL_OBJS))
TEST_OBJS := $(addprefix $(B)/,$(TEST_OBJS))

all: $(B)/hood.elf $(B)/test.elf $(B)/bench.elf $(foreach e,$(EXAMPLES),$(B)/app-$(e).elf)

.DELETE_ON_ERROR:

$(NEWLIB)/lib/libc.a:
	@echo "newlib is not built: run scripts/setup first" >&2; exit 1

# V=1 shows the commands.
Q := $(if $(V),,@)

$(B)/%.o: %.c $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $<

$(B)/%.o: %.asm
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -MD $(B)/$*.d -o $@ $<

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

BENCH_OBJS := $(addprefix $(B)/, \
	tests/match.o \
	bench/bench.o \
	bench/main.o \
	bench/machine_bench.o \
	bench/sched_bench.o \
	tests/wg.o)

$(eval $(call image,bench,$(KERNEL_OBJS) $(BENCH_OBJS)))

$(foreach e,$(EXAMPLES),$(eval $(call image,app-$(e),$(KERNEL_OBJS) \
	$(patsubst %.c,$(B)/%.o,$(wildcard examples/$(e)/*.c)))))
$(eval $(call image,test,$(KERNEL_OBJS) $(TEST_OBJS)))

# build/hood.elf is the image of the chosen APP.
$(B)/hood.elf: $(B)/app-$(APP).elf FORCE
	@cmp -s $< $@ || cp $< $@
FORCE:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# --- running -------------------------------------------------------------

CMDLINE ?=
QEMUOPTS = --cpus $(CPUS) --mem $(MEM)

# Boot the application in QEMU with the console on this terminal. Ends
# when the program does (or after TIMEOUT seconds); QEMU's exit code is
# 2*status+1 (scripts/qemu), which this target translates back.
run: $(B)/hood.elf
	@ACCEL=$(ACCEL) scripts/qemu $(QEMUOPTS) -t $(TIMEOUT) -a "$(CMDLINE)" $<; \
	code=$$?; if [ $$((code % 2)) = 1 ]; then echo "[hood exited with status $$(((code - 1) / 2))]"; \
	else echo "[qemu exited with code $$code]"; fi

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
	ACCEL=$(ACCEL) scripts/qemu $(QEMUOPTS) -t 100000 --gdb $(GDBPORT) -a "$(CMDLINE)" $<

# --- testing --------------------------------------------------------------

# Host unit tests: pure kernel code built for Linux with AddressSanitizer
# and UBSan, run by scripts/runtests with the guest tests.
HOSTCC := gcc
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -MMD -MP \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_TEST_SRCS := \
	tests/testing.c \
	tests/match.c \
	tests/host/main.c \
	tests/host/cmdline_test.c \
	tests/host/ksyms_test.c \
	tests/host/frames_test.c \
	kernel/cmdline.c \
	kernel/ksyms.c \
	kernel/frames.c
HOST_TEST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(HOST_TEST_SRCS))

$(B)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c -o $@ $<

$(B)/host/unittest: $(HOST_TEST_OBJS)
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ $^

host-test: $(B)/host/unittest

# --- the hosted port ---------------------------------------------------------

# The runtime as a Linux library (runtime/os_linux.c, lock_futex.c): the
# same generic files as the kernel's, another machine underneath. A program
# links with build/host/libhood.a and -Wl,--wrap=main (README, "Using hood
# on Linux").
HOSTED_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -MMD -MP -pthread \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls
HOSTED_LDFLAGS := -pthread -Wl,--wrap=main
HOSTED_RUNTIME := proc schedule runq lockosthread syscall stw sysmon traceback stack time \
	malloc api os_linux lock_futex
HOSTED_LIB_OBJS := $(patsubst %,$(B)/host/lib/runtime/%.o,$(HOSTED_RUNTIME)) \
	$(B)/host/lib/runtime/asm_amd64.o $(B)/host/lib/runtime/asyncpreempt_linux.o
HOSTED_TEST_OBJS := $(patsubst %.c,$(B)/host/lib/%.o,tests/testing.c tests/match.c tests/wg.c \
	tests/hosted/main.c \
	tests/guest/sched_test.c tests/guest/syscall_test.c tests/guest/procresize_test.c \
	tests/guest/traceback_test.c)

$(B)/host/lib/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(HOSTCC) $(HOSTED_CFLAGS) -c -o $@ $<

$(B)/host/lib/%.o: %.asm
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -MD $(B)/host/lib/$*.d -o $@ $<

$(B)/host/libhood.a: $(HOSTED_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/host/include/hood.h: include/hood.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

HOSTED_BENCH_OBJS := $(patsubst %.c,$(B)/host/lib/%.o,tests/match.c tests/wg.c bench/bench.c \
	bench/hosted/main.c bench/sched_bench.c)

$(B)/host/bench: $(HOSTED_BENCH_OBJS) $(B)/host/libhood.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) -o $@ $(HOSTED_BENCH_OBJS) $(B)/host/libhood.a

$(B)/host/test: $(HOSTED_TEST_OBJS) $(B)/host/libhood.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) -o $@ $(HOSTED_TEST_OBJS) $(B)/host/libhood.a

host: $(B)/host/libhood.a $(B)/host/include/hood.h $(B)/host/test $(B)/host/bench

# The same tests under AddressSanitizer and UBSan: every object rebuilt
# with them, into build/host/asan/. Goroutine stacks get 8 MiB (HOOD_STACK):
# ASan's red zones make frames larger.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_OBJS := $(patsubst $(B)/host/lib/%,$(B)/host/asan/%,$(HOSTED_LIB_OBJS) $(HOSTED_TEST_OBJS))

$(B)/host/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ASANCC  $<")
	$(Q)$(HOSTCC) $(HOSTED_CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<

$(B)/host/asan/%.o: %.asm
	@mkdir -p $(dir $@)
	$(Q)$(NASM) $(NASMFLAGS) -o $@ $<

$(B)/host/asan/test: $(ASAN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) $(ASAN_FLAGS) -o $@ $^

# Fuzz targets (tests/fuzz/), clang's libFuzzer with ASan and UBSan:
# make fuzz runs each for FUZZTIME seconds, keeping its corpus in
# build/fuzz/corpus-NAME.
FUZZTIME ?= 30
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -Iinclude
FUZZERS := cmdline runq

$(B)/fuzz/cmdline: tests/fuzz/cmdline_fuzz.c kernel/cmdline.c
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

# And under ThreadSanitizer (build/host/tsan/): a race it reports is
# fixed, not suppressed. Stacks of 4 MiB within TSan's 64 GiB region.
# Without function entry and exit hooks: a goroutine starts on one thread
# and returns on another, which TSan's per-thread shadow call stacks
# cannot follow (reports then show the racing accesses' own frames).
TSAN_FLAGS := -fsanitize=thread --param=tsan-instrument-func-entry-exit=0
TSAN_OBJS := $(patsubst $(B)/host/lib/%,$(B)/host/tsan/%,$(HOSTED_LIB_OBJS) $(HOSTED_TEST_OBJS))

$(B)/host/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TSANCC  $<")
	$(Q)$(HOSTCC) $(HOSTED_CFLAGS) -O1 $(TSAN_FLAGS) -c -o $@ $<

$(B)/host/tsan/%.o: %.asm
	@mkdir -p $(dir $@)
	$(Q)$(NASM) $(NASMFLAGS) -o $@ $<

$(B)/host/tsan/test: $(TSAN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOSTCC) $(HOSTED_LDFLAGS) -fsanitize=thread -o $@ $^

test-tsan: $(B)/host/tsan/test
	HOOD_SHORT=1 HOOD_STACK=4194304 TSAN_OPTIONS=halt_on_error=1 $(B)/host/tsan/test

test-host: $(B)/host/test
	HOOD_SHORT=1 $(B)/host/test

test-asan: $(B)/host/asan/test
	HOOD_SHORT=1 HOOD_STACK=8388608 $(B)/host/asan/test

# The hosted build's benchmarks and their Go twins (bench/go), interleaved
# on this machine, as one table of hood/Go ratios. Installs golang-go if Go
# is missing.
bench-compare: host
	scripts/benchcompare

test: all $(B)/hood.iso $(B)/host/unittest host $(B)/host/asan/test $(B)/host/tsan/test \
	$(addprefix $(B)/fuzz/,$(FUZZERS))
	scripts/runtests

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

test-uefi: all $(B)/hood.iso
	scripts/runtests -run 'TestBootGRUB'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

.PHONY: all clean run iso qemu-gdb test test-uefi host-test host test-host test-asan test-tsan fuzz bench \
	bench-go bench-compare format FORCE
clean:
	rm -rf $(B)
