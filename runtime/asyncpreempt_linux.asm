; asyncpreempt_linux.asm: the hosted port's preemption entry. sigurg
; (os_linux.c) makes the goroutine enter it as if it had called it at the
; interrupted instruction, 128 bytes below that instruction's stack pointer
; (the red zone). It saves every register and the extended state (XSAVE,
; asyncpreempt_xsavesize bytes, from CPUID leaf 0xD), calls preempted()
; (the runtime may switch to another goroutine there and come back on
; another thread), restores everything and returns over the red zone.
; The bare-metal twin is kernel/trapasm.asm's asyncpreempt.

bits 64
default rel
section .text

extern preempted
extern asyncpreempt_xsavesize

; void asyncpreempt(void)
global asyncpreempt
asyncpreempt:
	push rbp
	mov rbp, rsp                      ; a frame: backtraces go on into the goroutine
	pushfq
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rbx, rsp                      ; callee-saved: where the registers are
	sub rsp, [asyncpreempt_xsavesize]
	and rsp, -64                      ; XSAVE wants 64-byte alignment
	xor eax, eax                      ; XRSTOR faults on a dirty header: zero it
	mov [rsp + 512], rax
	mov [rsp + 520], rax
	mov [rsp + 528], rax
	mov [rsp + 536], rax
	mov [rsp + 544], rax
	mov [rsp + 552], rax
	mov [rsp + 560], rax
	mov [rsp + 568], rax
	mov eax, -1                       ; every component XCR0 enables
	mov edx, -1
	xsave64 [rsp]
	call preempted wrt ..plt
	mov eax, -1
	mov edx, -1
	xrstor64 [rsp]
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	popfq
	pop rbp
	ret 128                           ; back over the red zone

section .note.GNU-stack noalloc noexec nowrite progbits
