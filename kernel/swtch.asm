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
; The frame swtch leaves is struct swtchframe (kthread.h): lib/regs.inc's
; SWITCHSAVE frame (struct switchframe, lib/switchframe.h), then the
; return address. kthread.c builds one for a new thread, returning into
; kthread_trampoline. Unlike gogo, swtch keeps no rflags: every switch is
; made with interrupts off, the CPU's runlock held.
;
;   void kthread_trampoline(void);
;
; Where a new thread's first swtch returns to: calls kthread_start (C),
; which never returns, with an aligned stack and rbp = 0 to end backtraces.

bits 64
%include "lib/regs.inc"
section .text

extern kthread_start

global swtch
swtch:
	SWITCHSAVE
	mov [rdi], rsp
	mov rsp, rsi
	SWITCHRESTORE
	ret

global kthread_trampoline
kthread_trampoline:
	xor ebp, ebp
	call kthread_start
	ud2
