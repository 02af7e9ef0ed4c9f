; asm_amd64.asm: switching goroutines (runtime/proc.c). Go's asm_amd64.s
; has the same routines, for the same reasons.
;
; A G's context while it is off the CPU is its stack pointer (gobuf.sp);
; below it on its own stack lie what a C function call must preserve
; (System V ABI): rbx, rbp, r12-r15, the SSE and x87 control words, plus
; rflags (so a G parked with interrupts on comes back with them on).
; Everything else is dead across the call that switched. The frame is
; struct gogoframe (runtime.h): rflags pushed first, then lib/regs.inc's
; SWITCHSAVE frame (struct switchframe, lib/switchframe.h), the one the
; kernel's swtch uses too.
;
;   void mcall_switch(struct gobuf *save, void (*fn)(struct g *),
;                     struct g *gp, uint64_t g0sp);
;
; Save the running G's context in *save, switch to the g0 stack at g0sp
; and call fn(gp) there. fn never returns (it ends in gogo); when gogo
; resumes this G, mcall_switch returns to its caller.
;
;   void gogo(struct gobuf *buf);        // never returns
;
; Resume the context saved in *buf.
;
;   void gostart(void);
;
; Where a new G's first gogo returns to: the frame newproc built holds
; its function in r12 and argument in r13; call fn(arg), then goexit1.

bits 64
%include "lib/regs.inc"
section .text

extern goexit1

global mcall_switch
mcall_switch:
	pushfq
	SWITCHSAVE
	mov [rdi], rsp
	mov rsp, rcx
	mov rdi, rdx
	xor ebp, ebp                      ; g0's backtraces end here
	call rsi
	ud2

global gogo
gogo:
	mov rsp, [rdi]
	SWITCHRESTORE
	popfq
	ret

global gostart
gostart:
	xor ebp, ebp                      ; a G's backtrace ends here
	mov rdi, r13
	call r12
	call goexit1 wrt ..plt            ; PLT-relative: the hosted port is PIE
	ud2

;   void systemstack_switch(void (*fn)(void *), void *arg, uint64_t sp);
;
; Call fn(arg) on the stack whose top is sp (the M's g0 stack), then come
; back to this one. The frame on the new stack links to ours, so
; backtraces run through. (proc.c's systemstack decides when to switch.)
global systemstack_switch
systemstack_switch:
	push rbp
	mov rbp, rsp
	push rbx
	mov rbx, rsp                      ; callee-saved: the stack to return to
	mov rsp, rdx
	and rsp, -16
	push qword [rbp + 8]              ; our return address, for backtraces
	push rbp
	mov rbp, rsp
	mov rax, rdi
	mov rdi, rsi
	call rax
	mov rsp, rbx
	pop rbx
	pop rbp
	ret
section .note.GNU-stack noalloc noexec nowrite progbits
