// serial.c: the COM1 16550 UART, hood's main console: 115200 baud, 8 data
// bits, no parity, 1 stop bit, polled output. Registers and bits are those
// of the 16550 data sheet (PC16550D), by their usual names.
//
// Nothing typed or piped before or during boot is lost, so serial_init
// leaves the FIFO mode (FCR bit 0) as it finds it. A change of that mode
// clears what was received (PC16550D, FCR bit 0: "When changing from the
// FIFO Mode to the 16450 Mode and vice versa, data is automatically
// cleared from the FIFOs"; QEMU clears the receive buffer too), and
// enabling the FIFO here threw away the byte QEMU had put in the receive
// buffer before the first kernel line (TestConsoleInputBeforeBoot:
// "echo: ello there"). Reading that byte first does not help:
// the next one can come between the read and the write to FCR. QEMU
// resets the UART to 16450 mode, and there nothing is lost: while the
// receive buffer is full QEMU keeps the rest in its character device (the
// pipe, the file, the terminal) until serial_intr reads it. A real UART
// has no one to hold bytes back: it keeps one (16 if the firmware turned
// the FIFO on) until the receive interrupt is enabled, and overruns after.

#include "drivers.h"
#include "kernel/ioapic.h"
#include "kernel/kernel.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

enum {
	COM1 = 0x3F8,
	UART_THR = 0, // transmit holding register (write)
	UART_IER = 1, // interrupt enable
	UART_DLL = 0, // divisor latch, low byte (with LCR_DLAB)
	UART_DLM = 1, // divisor latch, high byte (with LCR_DLAB)
	UART_LCR = 3, // line control
	UART_MCR = 4, // modem control
	UART_RBR = 0, // receive buffer (read)
	UART_LSR = 5, // line status
	UART_SCR = 7, // scratch

	LCR_8N1 = 0x03,
	LCR_DLAB = 0x80,
	MCR_DTR_RTS = 0x03,
	LSR_THRE = 0x20, // transmit holding register empty
	LSR_DR = 0x01,   // data ready
	IER_RDA = 0x01,  // interrupt when data is available
	COM1_IRQ = 4,
};

static void serial_write(const char *s, size_t n);

static struct consink serialsink = {"serial", serial_write, NULL};
static bool present;

void
serial_init(void)
{
	// A UART answers its scratch register; a missing port reads 0xff.
	outb(COM1 + UART_SCR, 0x5a);
	if (inb(COM1 + UART_SCR) != 0x5a) {
		return;
	}
	present = true;
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); // 115200 / 1
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	// No write to FCR: a change of FIFO mode clears what was received
	// (see the top of this file).
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	console_register(&serialsink);
}

static void
serial_putc(char c)
{
	// Bounded wait: a UART that never drains must not hang the kernel.
	for (int i = 0; i < 100000 && (inb(COM1 + UART_LSR) & LSR_THRE) == 0; i++) {
		cpu_pause();
	}
	outb(COM1 + UART_THR, (uint8_t)c);
}

// Called with the console lock held.
static void
serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			serial_putc('\r');
		}
		serial_putc(s[i]);
	}
}

bool
serial_present(void)
{
	return present;
}

static void
serial_intr(struct trapframe *tf, void *arg)
{
	(void)tf;
	(void)arg;
	while (inb(COM1 + UART_LSR) & LSR_DR) {
		console_input(inb(COM1 + UART_RBR));
	}
}

// Console input: COM1's receive interrupt, through the I/O APIC, to the
// boot CPU. Needs the I/O APIC (no MADT: no input).
void
serial_enableinput(void)
{
	if (!present) {
		return;
	}
	intr_register(IRQ_BASE + COM1_IRQ, serial_intr, NULL);
	if (!ioapic_enable(COM1_IRQ, 0)) {
		kprintf("serial: no I/O APIC for IRQ %d; console input is off\n", COM1_IRQ);
		intr_register(IRQ_BASE + COM1_IRQ, NULL, NULL);
		return;
	}
	outb(COM1 + UART_IER, IER_RDA);
}
