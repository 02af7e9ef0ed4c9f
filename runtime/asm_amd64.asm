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

; gogo pops SWITCHSAVE's frame (lib/regs.inc, offsets asserted in
; lib/switchframe.h) as SWITCHRESTORE does, but loads each control word
; and rflags only if it differs from the running one: ldmxcsr and fldcw
; cost about 3.5 ns each and popfq 12 (one switch was about 20 ns of
; them), comparing costs about 2, and the words almost never differ. The
; MXCSR and FCW compares are of the whole words, so the result is the
; same as loading them. Of rflags only IF is compared: the System V ABI
; has DF clear at every call and preserves no other flag across one, so
; IF (bare metal: execute switched interrupts off, the frame has them on)
; is all a switch must restore. [rsp - 8] is scratch: nothing is live
; below a saved frame, and the hosted preemption signal writes only below
; the red zone, bare metal's interrupts are off.
global gogo
gogo:
	mov rsp, [rdi]
	stmxcsr [rsp - 8]
	fnstcw [rsp - 4]
	mov eax, [rsp - 8]
	cmp eax, [rsp]
	je .mxcsrsame
	ldmxcsr [rsp]
.mxcsrsame:
	mov ax, [rsp - 4]
	cmp ax, [rsp + 4]
	je .fcwsame
	fldcw [rsp + 4]
.fcwsame:
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	pushfq
	pop rax
	xor rax, [rsp]
	test eax, 0x200                   ; IF
	jnz .popf
	add rsp, 8
	ret
.popf:
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

;   int deferframe_setjmp(struct deferframe *f);    // hood.h; returns_twice
;   void deferframe_longjmp(struct deferframe *f);  // never returns
;
; A recovered panic's way back to its deferscope block (panic.c): setjmp
; and longjmp, hood's own, on f->jb (at offset 0, asserted in panic.c):
; rbx, rbp, r12-r15, the stack pointer after the return and the return
; address. setjmp returns 0; longjmp makes it return again, with 1, on
; the same goroutine's stack, frames below dropped. The C library's pair
; would do, but the sanitizers intercept it and keep per-thread records of
; setjmp calls, which a goroutine that moved to another thread meanwhile
; does not find (ThreadSanitizer's check fails); panic.c tells the port
; about the dropped frames instead (os_stackunwound).
global deferframe_setjmp
deferframe_setjmp:
	mov [rdi], rbx
	mov [rdi + 8], rbp
	mov [rdi + 16], r12
	mov [rdi + 24], r13
	mov [rdi + 32], r14
	mov [rdi + 40], r15
	lea rdx, [rsp + 8]
	mov [rdi + 48], rdx               ; the caller's stack pointer after our ret
	mov rdx, [rsp]
	mov [rdi + 56], rdx               ; where our ret goes
	xor eax, eax
	ret

global deferframe_longjmp
deferframe_longjmp:
	mov rbx, [rdi]
	mov rbp, [rdi + 8]
	mov r12, [rdi + 16]
	mov r13, [rdi + 24]
	mov r14, [rdi + 32]
	mov r15, [rdi + 40]
	mov rsp, [rdi + 48]
	mov eax, 1
	jmp [rdi + 56]
;   void sigpanic0(void);    // rdi: the faulting pc, or 0; never returns
;
; Where a goroutine that faulted goes on (os.h, "faults that become
; panics"): the port's fault handler resumed it here on its own stack. A
; faulting pc (rdi) becomes the return address of a call to sigpanic, so
; tracebacks show the faulting function as sigpanic's caller; with rdi 0
; (a call through nil) the caller's return address is on top already, and
; the stack is as at a call. The faulting frame is dead: sigpanic never
; returns, so the stack may be realigned as a call wants it.
extern sigpanic
global sigpanic0
sigpanic0:
	test rdi, rdi
	jz .call
	and rsp, -16
	push rdi                          ; as a call would: rsp is 8 mod 16 now
.call:
	jmp sigpanic wrt ..plt            ; PLT-relative: the hosted port is PIE

section .note.GNU-stack noalloc noexec nowrite progbits
