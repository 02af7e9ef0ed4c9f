; asyncpreempt_linux.asm: the hosted port's preemption entry, the twin of
; kernel/trapasm.asm's asyncpreempt. sigurg (os_linux.c) makes the
; goroutine enter it as if it had called it at the interrupted
; instruction, with the interrupted flags pushed below the return address,
; both 128 bytes below that instruction's stack pointer (the red zone). It
; saves every register and the extended state (lib/regs.inc), calls
; preempted() (the runtime may switch to another goroutine there and come
; back on another thread), restores everything and returns over the red
; zone.
;
;   void asyncpreempt(void);
;   void preempted(void);          // os_linux.c
;   uint64_t fpusavesize;          // os_linux.c, for FPUSAVE
;   uint8_t usexsave;

bits 64
default rel
%include "lib/regs.inc"
; With preempted, in the text sigurg never interrupts (signal_linux.c):
; once preempted has cleared the G's mark, the rest of the call must not
; take a second one.
section hood_nopreempt progbits alloc exec nowrite align=16

extern preempted
extern fpusavesize
extern usexsave

global asyncpreempt
asyncpreempt:
	PUSHREGS
	FPUSAVE
	push qword [rbx + 16 * 8]         ; the interrupted rip, for backtraces
	push rbp
	mov rbp, rsp
	call preempted wrt ..plt
	add rsp, 16
	FPURESTORE
	POPREGS
	popfq                             ; the interrupted flags
	ret 128                           ; to the interrupted rip, over the red zone

section .note.GNU-stack noalloc noexec nowrite progbits
