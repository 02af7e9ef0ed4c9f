; trapasm.asm: the way into the kernel for every interrupt and exception.
;
;   void trap(struct trapframe *tf);     // kernel/trap.c
;   extern uint64_t vectors[256];        // entry point of each vector's stub
;
; The CPU pushes ss, rsp, rflags, cs, rip and, for some exceptions, an error
; code (SDM vol. 3A, 6.14). Each stub makes the frame uniform by pushing a
; zero error code where the CPU pushed none, then the vector number, and
; jumps to alltraps, which saves the general registers (struct trapframe,
; kernel/trap.h) and the SSE state, and calls trap(). The SSE state is saved
; because C code, newlib's included, uses the XMM registers freely.

bits 64
section .text

extern trap

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
	mov rdi, rsp                      ; the struct trapframe
	mov rbx, rsp                      ; callee-saved: the frame, for after
	and rsp, -16                      ; fxsave wants 16-byte alignment,
	sub rsp, 512                      ; and 512 bytes
	fxsave64 [rsp]
	; Link this frame into the interrupted code's frame-pointer chain, so
	; a backtrace from inside trap() runs on into the code it interrupted.
	push qword [rbx + 17 * 8]         ; the interrupted rip
	push rbp                          ; the interrupted rbp
	mov rbp, rsp
	call trap
	add rsp, 16
	fxrstor64 [rsp]
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
