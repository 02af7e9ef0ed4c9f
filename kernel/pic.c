// pic.c: the two 8259A interrupt controllers of the PC/AT. hood uses the
// local and I/O APICs instead, but the 8259s are still there: they are
// remapped to vectors 32-47 first (by default IRQs 0-7 would arrive on
// the CPU exception vectors 8-15) and then every line is masked, before
// interrupts are first turned on, so none can arrive: one that did would
// be reported as an unexpected interrupt.

#include "kernel.h"
#include "trap.h"
#include "x86.h"

enum {
	PIC1_CMD = 0x20,
	PIC1_DATA = 0x21,
	PIC2_CMD = 0xA0,
	PIC2_DATA = 0xA1,
	ICW1_INIT = 0x11, // initialise, ICW4 follows
	ICW4_8086 = 0x01,
};

void
pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, IRQ_BASE); // ICW2: vector offsets
	outb(PIC2_DATA, IRQ_BASE + 8);
	outb(PIC1_DATA, 1 << 2); // ICW3: the slave hangs on IRQ 2
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xFF); // mask everything
	outb(PIC2_DATA, 0xFF);
}
