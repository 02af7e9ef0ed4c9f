; swtch.asm: switching kernel threads (kernel/kthread.c).
;
;   void swtch(uint64_t *oldrsp, uint64_t newrsp);
;
; Saves the callee-saved registers and the SSE and x87 control words (the
; rest of the SSE state is caller-saved in the System V ABI, so a thread
; that calls swtch has nothing else live) on the current stack, stores the
; stack pointer in *oldrsp, loads newrsp and restores the same from there.
; An involuntary switch (preemption) goes through here too, from inside
; trap(): the interrupted state, all registers and the whole FPU/SSE state,
; is already saved on the thread's stack by trapasm.asm.
;
; The frame swtch leaves, from the top (kthread.c builds one for a new
; thread, returning into kthread_trampoline):
;
;   return address, rbp, rbx, r12, r13, r14, r15, MXCSR and FCW (8 bytes)
;
;   void kthread_trampoline(void);
;
; Where a new thread's first swtch returns to: calls kthread_start (C),
; which never returns, with an aligned stack and rbp = 0 to end backtraces.

bits 64
section .text

extern kthread_start

global swtch
swtch:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8
	stmxcsr [rsp]
	fnstcw [rsp + 4]
	mov [rdi], rsp
	mov rsp, rsi
	ldmxcsr [rsp]
	fldcw [rsp + 4]
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

global kthread_trampoline
kthread_trampoline:
	xor ebp, ebp
	call kthread_start
	ud2
