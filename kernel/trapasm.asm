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
; freely. (Preemption saves it again, on the preempted thread's own stack:
; asyncpreempt, below.) XSAVE saves every
; component XCR0 enables, into an area of fpusavesize bytes (CPUID leaf
; 0xD); without XSAVE, FXSAVE saves x87 and SSE in 512 bytes. trap.c sets
; both variables at boot:
;
;   uint64_t fpusavesize;   // bytes, a multiple of 64
;   uint8_t usexsave;

bits 64
%include "lib/regs.inc"
section .text

extern trap
extern preempted
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
	PUSHREGS
	FPUSAVE
	mov rdi, rbx                      ; the struct trapframe
	; Link this frame into the interrupted code's frame-pointer chain, so
	; a backtrace from inside trap() runs on into the code it interrupted.
	push qword [rbx + 17 * 8]         ; the interrupted rip
	push rbp                          ; the interrupted rbp
	mov rbp, rsp
	call trap
	add rsp, 16
	FPURESTORE
	POPREGS
	add rsp, 16                       ; the vector number and error code
	iretq

;   void asyncpreempt(void);
;
; Preemption. An interrupt runs on the CPU's interrupt stack, so it cannot
; switch threads where it stands; instead trap() (trap.c) makes the
; interrupted code call asyncpreempt, as Go's signal handler makes a
; goroutine call runtime.asyncPreempt: it pushes the interrupted rip and
; rflags onto the interrupted stack and returns to here, with interrupts
; off. asyncpreempt saves every register and the FPU state on that stack,
; calls preempted() (trap.c), which may switch threads or goroutines and
; come back much later, and then restores all and returns to the
; interrupted instruction with its flags.
global asyncpreempt
asyncpreempt:
	cld
	PUSHREGS
	FPUSAVE
	push qword [rbx + 16 * 8]         ; the interrupted rip, for backtraces
	push rbp
	mov rbp, rsp
	call preempted
	add rsp, 16
	FPURESTORE
	POPREGS
	popfq                             ; the interrupted flags: interrupts on
	ret                               ; to the interrupted rip
global asyncpreempt_end
asyncpreempt_end:                         ; trap() injects nothing before here

section .rodata
align 8
global vectors
vectors:
%assign v 0
%rep 256
	dq vector %+ v
%assign v v + 1
%endrep
