// trap.c: the interrupt descriptor table and the C side of every trap.
//
// For now every CPU exception is fatal: the kernel and the runtime run in
// ring 0 and a fault is a bug or, later, a goroutine's nil dereference that
// the runtime turns into a panic. fatal_trap (panic.c) says in words what
// happened and powers off with status 2. Device interrupts are not enabled
// yet; a vector above 31 arriving anyway is reported the same way.

#include <stdint.h>

#include "kernel.h"
#include "trap.h"
#include "x86.h"

// An interrupt gate descriptor (SDM vol. 3A, figure 6-8).
struct __attribute__((packed)) gatedesc {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; // present, DPL 0, 64-bit interrupt gate: 0x8E
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
};

extern uint64_t vectors[NVECTOR]; // trapasm.asm

static struct gatedesc idt[NVECTOR];

static const char *const names[NEXCEPTION] = {
	[T_DE] = "divide error",
	[T_DB] = "debug exception",
	[T_NMI] = "non-maskable interrupt",
	[T_BP] = "breakpoint",
	[T_OF] = "overflow",
	[T_BR] = "bound range exceeded",
	[T_UD] = "invalid opcode",
	[T_NM] = "device not available",
	[T_DF] = "double fault",
	[9] = "coprocessor segment overrun",
	[T_TS] = "invalid TSS",
	[T_NP] = "segment not present",
	[T_SS] = "stack-segment fault",
	[T_GP] = "general protection fault",
	[T_PF] = "page fault",
	[15] = "reserved exception 15",
	[T_MF] = "x87 floating-point error",
	[T_AC] = "alignment check",
	[T_MC] = "machine check",
	[T_XM] = "SIMD floating-point exception",
	[T_VE] = "virtualization exception",
	[T_CP] = "control protection exception",
	[22] = "reserved exception 22",
	[23] = "reserved exception 23",
	[24] = "reserved exception 24",
	[25] = "reserved exception 25",
	[26] = "reserved exception 26",
	[27] = "reserved exception 27",
	[28] = "hypervisor injection exception",
	[29] = "VMM communication exception",
	[30] = "security exception",
	[31] = "reserved exception 31",
};

static void
setgate(int v, uint64_t fn, int ist)
{
	idt[v] = (struct gatedesc){
		.off0 = fn & 0xFFFF,
		.sel = 0x08, // GDT_KCODE
		.ist = ist,
		.type = 0x8E,
		.off1 = (fn >> 16) & 0xFFFF,
		.off2 = fn >> 32,
	};
}

// Caller has run gdt_init: the IST slots name stacks in its TSS.
void
trap_init(void)
{
	for (int v = 0; v < NVECTOR; v++) {
		setgate(v, vectors[v], 0);
	}
	setgate(T_DF, vectors[T_DF], IST_DF);
	setgate(T_NMI, vectors[T_NMI], IST_NMI);
	setgate(T_MC, vectors[T_MC], IST_MC);
	lidt(idt, sizeof idt - 1);
}

const char *
trap_name(int trapno)
{
	if (trapno >= 0 && trapno < NEXCEPTION) {
		return names[trapno];
	}
	return "unexpected interrupt";
}

void
trap(struct trapframe *tf)
{
	fatal_trap(tf);
}
