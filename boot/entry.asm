; The first instructions hood runs, for both ways a loader can start it.
;
; A loader enters here in 32-bit protected mode with paging off:
;   - GRUB (BIOS or UEFI) through the multiboot2 header, at mb2_start,
;     with eax = MB2_BOOTLOADER_MAGIC and ebx = the multiboot2 information;
;   - qemu -kernel (and other PVH loaders) through the Xen PVH ELF note, at
;     pvh_start, with ebx = struct hvm_start_info and no magic.
; Both paths meet in start32, which checks that the CPU can run us, builds
; the early page tables, enters long mode, turns on SSE (and XSAVE/AVX when
; present) and calls the kernel's C entry:
;
;   void kmain(uint32_t proto, uint64_t info);   // kernel/main.c
;
; with proto = BOOT_MB2 or BOOT_PVH (kernel/bootinfo.h) and info the physical
; address of the loader's structure. See docs/boot.md for the whole story.
;
; The early page tables map the first 4 GiB twice with 2 MiB pages: at
; virtual = physical, where the kernel is linked, and at KERNBASE's direct map
; (kernel/memlayout.h), so C code reads boot structures through the direct
; map from its first line on. vm_init replaces them with the final tables.

%define MB2_HEADER_MAGIC     0xE85250D6
%define MB2_BOOTLOADER_MAGIC 0x36D76289
%define MB2_ARCH_I386        0

%define BOOT_MB2 1                     ; kernel/bootinfo.h
%define BOOT_PVH 2

%define DIRECTMAP_PML4_INDEX 256       ; 0xffff800000000000 >> 39 & 511

%define COM1 0x3F8
%define DEBUG_EXIT_PORT 0xF4           ; kernel/power.c
%define EXIT_FATAL 2                   ; kernel/kernel.h

%include "boot/x86.inc"

%define PTE_P  (1 << 0)
%define PTE_W  (1 << 1)
%define PTE_PS (1 << 7)

%define XCR0_X87 (1 << 0)
%define XCR0_SSE (1 << 1)
%define XCR0_AVX (1 << 2)

%define BOOT_STACK_SIZE 16384

; ---------------------------------------------------------------------------
; The multiboot2 header: GRUB looks for it in the first 32 KiB of the image,
; 8-byte aligned (multiboot2 spec, section 3.1). The linker script puts
; .multiboot first.
section .multiboot
align 8
mb2_header:
	dd MB2_HEADER_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; Framebuffer tag (type 5), optional: we take any mode GRUB offers, and
	; grub.cfg keeps text mode on BIOS. Under UEFI this gives us a screen.
	align 8
	dw 5, 1                            ; type, flags = optional
	dd 20                              ; size
	dd 0, 0, 32                        ; width, height: any; depth 32
	; End tag.
	align 8
	dw 0, 0
	dd 8
mb2_header_end:

; The PVH entry note (Xen's public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY = 18).
; QEMU 7.2 reads the descriptor as 8 bytes, so it is a quad.
section .note.pvh note alloc noexec nowrite align=4
	dd 4                               ; name size, "Xen\0"
	dd 8                               ; descriptor size
	dd 18                              ; type
	db "Xen", 0
	dq pvh_start

; ---------------------------------------------------------------------------
section .boot exec

extern kmain
extern ap_main
bits 32

global mb2_start
mb2_start:
	cmp eax, MB2_BOOTLOADER_MAGIC
	jne .notmb2
	mov edi, BOOT_MB2
	mov esi, ebx
	jmp start32
.notmb2:
	mov esi, msg_loader
	jmp die32

global pvh_start
pvh_start:
	mov edi, BOOT_PVH
	mov esi, ebx
	jmp start32

; From here on edi = protocol and esi = its information; nothing below
; touches them, so they arrive in kmain as its first two arguments.
start32:
	cli
	cld
	lgdt [gdt_ptr]
	mov eax, 0x10                      ; GDT_KDATA
	mov ds, eax
	mov es, eax
	mov ss, eax
	mov fs, eax
	mov gs, eax
	jmp 0x18:.cs32                     ; GDT_KCODE32: a known code segment
.cs32:
	mov esp, boot_stack_top

	; The CPU must have long mode and NX (CPUID 0x80000001 edx bits 29 and
	; 20) and SSE2 (CPUID 1 edx bit 26), which x86-64 code assumes.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .nolm
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .nolm
	test edx, 1 << 20
	jz .nonx
	mov eax, 1
	cpuid
	test edx, 1 << 26
	jz .nosse

	rdtsc                              ; boot_tsc: the hand-off, for boottime=on
	mov [boot_tsc], eax                ; (kernel/main.c); long mode implies a TSC
	mov [boot_tsc + 4], edx
	call build_early_tables

	LONGMODE_ON 0, early_pml4
	jmp 0x08:start64                   ; GDT_KCODE: now in long mode

.nolm:
	mov esi, msg_nolm
	jmp die32
.nonx:
	mov esi, msg_nonx
	jmp die32
.nosse:
	mov esi, msg_nosse
	jmp die32

; Identity-map the first 4 GiB with 2 MiB pages, and map the same 4 GiB again
; at the direct map (PML4 slot 256). One PDPT serves both PML4 slots.
build_early_tables:
	mov eax, early_pdpt
	or eax, PTE_P | PTE_W
	mov [early_pml4], eax
	mov [early_pml4 + DIRECTMAP_PML4_INDEX * 8], eax
	xor ecx, ecx                       ; ecx = index of the page directory
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, early_pd
	or eax, PTE_P | PTE_W
	mov [early_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	xor ecx, ecx                       ; ecx = index of the 2 MiB page
.pd:
	mov eax, ecx
	shl eax, 21                        ; low 32 bits of the physical address
	or eax, PTE_P | PTE_W | PTE_PS
	mov [early_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                        ; high bits: ecx * 2 MiB >> 32
	mov [early_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 4 * 512
	jb .pd
	ret

; Print the NUL-terminated string at esi on COM1, leave QEMU with the fatal
; status 2 through isa-debug-exit (kernel/power.c; nothing listens on that
; port on a real PC), and halt forever. The UART is set to 115200 8N1 first,
; since nothing may have set it up.
die32:
	mov dx, COM1 + 1                   ; IER: no interrupts
	mov al, 0
	out dx, al
	mov dx, COM1 + 3                   ; LCR: DLAB on
	mov al, 0x80
	out dx, al
	mov dx, COM1                       ; divisor 1 = 115200 baud
	mov al, 1
	out dx, al
	mov dx, COM1 + 1
	mov al, 0
	out dx, al
	mov dx, COM1 + 3                   ; 8N1, DLAB off
	mov al, 0x03
	out dx, al
.next:
	lodsb
	test al, al
	jz .halt
	mov bl, al
	mov dx, COM1 + 5                   ; LSR: wait for THR empty (bit 5)
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov dx, COM1
	mov al, bl
	out dx, al
	jmp .next
.halt:
	mov dx, DEBUG_EXIT_PORT
	mov eax, EXIT_FATAL
	out dx, eax
.forever:
	hlt
	jmp .forever

; ---------------------------------------------------------------------------
bits 64
start64:
	xor eax, eax                       ; the data segments are ignored in
	mov ds, eax                        ; long mode; null them
	mov es, eax
	mov ss, eax
	mov fs, eax
	mov gs, eax
	mov rsp, boot_stack_top
	mov edi, edi                       ; the upper halves are undefined after
	mov esi, esi                       ; the mode switch: zero-extend
	call enable_fpu
	xor ebp, ebp                       ; the end of every backtrace
	call kmain
	ud2                                ; kmain never returns

; The other CPUs arrive here from the trampoline (boot/apboot.asm) in long
; mode, on their own stack, with rdi = their struct cpu:
;
;   void ap_main(struct cpu *c);      // kernel/smp.c, never returns
global ap_start64
ap_start64:
	xor eax, eax
	mov ds, eax
	mov es, eax
	mov ss, eax
	mov fs, eax
	mov gs, eax
	call enable_fpu
	xor ebp, ebp
	call ap_main
	ud2

; Turn on SSE (newlib's printf, memcpy and varargs use it: TOOLCHAIN.md)
; and, when the CPU has them (CPUID 1 ecx bits 26 and 28), XSAVE and the
; AVX state in XCR0. Clobbers rax, rcx, rdx, r8, r9; keeps rdi and rsi.
;
; XSAVE is left off, and traps use FXSAVE (kernel/trap.c says why on the
; fpu: line), unless CPUID leaf 0xD exists and its sub-leaf 1 eax lists at
; least one extension (XSAVEOPT, XSAVEC, XGETBV1, XSAVES). The SDM (vol.
; 3A, 2.5) ties CR4.OSXSAVE to CPUID 1 ecx bit 26 alone, but QEMU 7.2's
; TCG takes CR4.OSXSAVE for a reserved bit when that eax is 0 (its
; cr4_reserved_bits reads the wrong feature word), and a reserved bit there
; is not a #GP but a failed SVM consistency check: with no guest to leave,
; the write restarts forever, silently (Opteron_G4, Opteron_G5,
; qemu64,+xsave). A real CPU with XSAVE and an empty sub-leaf 1 only loses
; the AVX state, which nothing in hood is compiled to use. XCR0 takes only
; components CPUID 0xD sub-leaf 0 eax supports: xsetbv #GPs on any other.
enable_fpu:
	mov rax, cr0
	and eax, ~CR0_EM
	or eax, CR0_MP
	mov cr0, rax
	mov rax, cr4
	or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, rax
	push rbx                           ; cpuid writes it; callee-saved
	mov eax, 1
	cpuid
	mov r8d, ecx                       ; r8d = leaf 1 ecx
	test r8d, 1 << 26
	jz .done
	xor eax, eax                       ; leaf 0 eax: the highest basic leaf
	cpuid
	cmp eax, 0xD
	jb .done
	mov eax, 0xD
	mov ecx, 1
	cpuid
	test eax, eax
	jz .done                           ; QEMU would hang on CR4.OSXSAVE
	mov eax, 0xD
	xor ecx, ecx
	cpuid
	mov r9d, eax                       ; r9d = XCR0 bits the CPU supports
	mov rax, cr4
	or eax, CR4_OSXSAVE
	mov cr4, rax
	mov eax, XCR0_X87 | XCR0_SSE
	test r8d, 1 << 28
	jz .noavx
	or eax, XCR0_AVX
.noavx:
	and eax, r9d
	or eax, XCR0_X87                   ; bit 0 is always 1
	xor edx, edx
	xor ecx, ecx
	xsetbv
.done:
	pop rbx
	ret

; ---------------------------------------------------------------------------
section .rodata
align 8
; The boot GDT: null, 64-bit code, data, 32-bit code. kernel/gdt.c installs
; the final per-CPU GDT with the same selectors plus a TSS.
gdt:
	dq 0
	dq 0x00AF9A000000FFFF              ; 0x08 GDT_KCODE: 64-bit, present, ring 0
	dq 0x00CF92000000FFFF              ; 0x10 GDT_KDATA: flat 4 GiB, writable
	dq 0x00CF9A000000FFFF              ; 0x18 GDT_KCODE32: flat 4 GiB, 32-bit
gdt_end:
gdt_ptr:
	dw gdt_end - gdt - 1
	dq gdt

msg_loader: db "hood: not started by a multiboot2 loader (bad magic in eax)", 13, 10, 0
msg_nolm:   db "hood: this CPU cannot run 64-bit code (no long mode); hood needs an x86-64 CPU", 13, 10, 0
msg_nonx:   db "hood: this CPU has no NX bit; hood needs it for W^X page protection", 13, 10, 0
msg_nosse:  db "hood: this CPU has no SSE2; hood needs it", 13, 10, 0

section .bss
align 4096
early_pml4: resb 4096
early_pdpt: resb 4096
early_pd:   resb 4 * 4096
boot_stack: resb BOOT_STACK_SIZE
boot_stack_top:
global boot_tsc
boot_tsc: resq 1                       ; uint64_t boot_tsc (kernel/main.c)
