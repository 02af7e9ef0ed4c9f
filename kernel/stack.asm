; stack.asm: leave the boot stack for good.
;
;   void stack_switch(uint64_t top, void (*fn)(void));   // never returns
;
; Sets rsp to top (16-byte aligned), clears rbp so backtraces end there, and
; calls fn, which must not return.

bits 64
section .text

global stack_switch
stack_switch:
	mov rsp, rdi
	xor ebp, ebp
	call rsi
	ud2
