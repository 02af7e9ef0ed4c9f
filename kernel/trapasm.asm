; trapasm.asm: the way into the kernel for every interrupt and exception.
;
;   void trap(struct trapframe *tf);     // kernel/trap.c
;   extern uint64_t vectors[256];        // entry point of each vector's stub
;
; The CPU pushes ss, rsp, rflags, cs, rip and, for some exceptions, an error
; code (SDM vol. 3A, 6.14). Each stub makes the frame uniform by pushing a
; zero error code where the CPU pushed none, then the vector number, and
; jumps to alltraps, which saves the general registers (struct trapframe,
; kernel/trap.h) and the whole FPU/SSE/AVX state, and calls trap(). That
; state is saved because C code, newlib's included, uses the XMM registers
; freely, and because trap() may switch threads (preemption): the
; interrupted thread's state then waits on its stack. XSAVE saves every
; component XCR0 enables, into an area of fpusavesize bytes (CPUID leaf
; 0xD); without XSAVE, FXSAVE saves x87 and SSE in 512 bytes. trap.c sets
; both variables at boot:
;
;   uint64_t fpusavesize;   // bytes, a multiple of 64
;   uint8_t usexsave;

bits 64
section .text

extern trap
extern fpusavesize
extern usexsave

; Vectors for which the CPU pushes an error code.
%define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
vector %+ v:
%if !HAS_ERRCODE(v)
	push 0
%endif
	push v
	jmp alltraps
%assign v v + 1
%endrep

alltraps:
	cld                               ; the C ABI wants DF clear
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rbx, rsp                      ; callee-saved: the frame, for after
	and rsp, -64                      ; XSAVE wants 64-byte alignment
	sub rsp, [fpusavesize]
	cmp byte [usexsave], 0
	je .fxsave
	xor eax, eax                      ; XRSTOR faults on a dirty XSAVE
	mov [rsp + 512], rax              ; header, and XSAVE writes only its
	mov [rsp + 520], rax              ; first 8 bytes: zero the rest
	mov [rsp + 528], rax
	mov [rsp + 536], rax
	mov [rsp + 544], rax
	mov [rsp + 552], rax
	mov [rsp + 560], rax
	mov [rsp + 568], rax
	mov eax, -1                       ; every enabled component
	mov edx, -1
	xsave64 [rsp]
	jmp .saved
.fxsave:
	fxsave64 [rsp]
.saved:
	mov rdi, rbx                      ; the struct trapframe
	; Link this frame into the interrupted code's frame-pointer chain, so
	; a backtrace from inside trap() runs on into the code it interrupted.
	push qword [rbx + 17 * 8]         ; the interrupted rip
	push rbp                          ; the interrupted rbp
	mov rbp, rsp
	call trap
	add rsp, 16
	cmp byte [usexsave], 0
	je .fxrstor
	mov eax, -1
	mov edx, -1
	xrstor64 [rsp]
	jmp .restored
.fxrstor:
	fxrstor64 [rsp]
.restored:
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                       ; the vector number and error code
	iretq

section .rodata
align 8
global vectors
vectors:
%assign v 0
%rep 256
	dq vector %+ v
%assign v v + 1
%endrep
