; apboot.asm: the trampoline that brings the other CPUs (APs) to long mode.
;
;   extern const uint8_t apboot[], apboot_end[];           // kernel/smp.c
;   extern uint64_t apboot_cr3, apboot_stack, apboot_arg;  // its parameters
;
; An AP starts in 16-bit real mode at the page the startup IPI names
; (SDM vol. 3A, 8.4.4), with nothing set up. smp.c copies these bytes to
; physical APBOOT_ADDR, fills in the parameters at the end (their offsets
; are the labels' offsets from apboot), maps the page at virtual ==
; physical for the switch to paging, and sends INIT, SIPI, SIPI. The code
; is never run where it is linked: every address in it is APBOOT_ADDR plus
; an offset from apboot, and in real mode CS = APBOOT_ADDR >> 4, so plain
; offsets from apboot address the copy.
;
; Path: real mode -> protected mode (boot GDT below) -> PAE, the kernel's
; CR3, EFER.LME and NXE, paging -> long mode -> ap_start64 in
; boot/entry.asm with rsp = apboot_stack and rdi = apboot_arg.

%define APBOOT_ADDR 0x8000              ; kernel/smp.c

%include "boot/x86.inc"

%define ABS(label) (APBOOT_ADDR + (label) - apboot)

extern ap_start64

section .rodata
bits 16

global apboot
apboot:
	cli
	cld
	mov ax, cs
	mov ds, ax
	lgdt [apgdtptr - apboot]
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)        ; an AP starts with caches off
	or eax, CR0_PE
	mov cr0, eax
	jmp dword 0x18:ABS(ap32)           ; GDT_KCODE32

bits 32
ap32:
	mov ax, 0x10                       ; GDT_KDATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	; The kernel's CR3 lies below 4 GiB: physmem hands out low frames first.
	LONGMODE_ON CR4_PGE, [ABS(apboot_cr3)]
	jmp 0x08:ABS(ap64)                 ; GDT_KCODE

bits 64
ap64:
	mov rsp, [ABS(apboot_stack)]
	mov rdi, [ABS(apboot_arg)]
	mov rax, ap_start64                ; in the kernel image, mapped
	jmp rax

align 8
apgdt:
	dq 0
	dq 0x00AF9A000000FFFF              ; 0x08: 64-bit code
	dq 0x00CF92000000FFFF              ; 0x10: data
	dq 0x00CF9A000000FFFF              ; 0x18: 32-bit code
apgdtptr:
	dw apgdtptr - apgdt - 1
	dd ABS(apgdt)

align 8
global apboot_cr3, apboot_stack, apboot_arg
apboot_cr3:   dq 0
apboot_stack: dq 0
apboot_arg:   dq 0

global apboot_end
apboot_end:
