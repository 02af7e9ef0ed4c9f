// power.c: leaving the machine, with a status. In order of preference:
//
//  1. QEMU's isa-debug-exit device (port 0xf4), which ends QEMU with exit
//     code 2*status+1: how tests get a status out. Only tried under a
//     hypervisor; on a real PC nothing listens there.
//  2. ACPI soft-off (S5): write SLP_TYPa|SLP_EN to PM1a_CNT (and PM1b),
//     with SLP_TYPa read from the \_S5 package in the DSDT (ACPI 6.4,
//     7.4.2 and 16.1); on hardware-reduced ACPI (QEMU's microvm), write
//     SLP_TYP<<2|SLP_EN to the FADT's sleep control register instead
//     (ACPI 6.4, 4.8.3.7). The status is lost, so it is printed first.
//  3. Halt with a message, interrupts off.
//
// The exit statuses themselves are listed in kernel.h.

#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "kernel.h"
#include "memlayout.h"
#include "x86.h"

enum {
	DEBUG_EXIT_PORT = 0xf4,
	SLP_EN = 1 << 13,
	SLEEP_CONTROL_SLP_EN = 1 << 5,
	SCI_EN = 1 << 0,
	AML_ZERO = 0x00,
	AML_ONE = 0x01,
	AML_NAME = 0x08,
	AML_BYTE = 0x0A,
	AML_PACKAGE = 0x12,
};

static const char *acpi_s5(void);
static bool s5type(struct acpi_header *dsdt, int *typa, int *typb);

bool
hypervisor_present(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return c & CPUID1_ECX_HYPERVISOR;
}

void
poweroff(int status)
{
	cli();
	if (hypervisor_present()) {
		outl(DEBUG_EXIT_PORT, status);
	}
	kprintf("hood: exit status %d; powering off\n", status);
	kprintf("hood: cannot power off (%s); halted\n", acpi_s5());
	for (;;) {
		hlt();
	}
}

// Power off through ACPI. Returns only if that failed, saying why.
static const char *
acpi_s5(void)
{
	struct acpi_fadt *fadt = acpi_find("FACP");
	if (fadt == NULL) {
		return "no ACPI FADT";
	}
	bool reduced = (fadt->flags & FADT_HW_REDUCED_ACPI) &&
		       fadt->h.length >= offsetof(struct acpi_fadt, sleepstatus) &&
		       fadt->sleepcontrol.address != 0;
	if (!reduced && fadt->pm1acntblk == 0) {
		return "the FADT has no PM1a control block";
	}
	uint64_t dsdtpa = fadt->dsdt;
	if (fadt->h.length >= offsetof(struct acpi_fadt, xdsdt) + 8 && fadt->xdsdt != 0) {
		dsdtpa = fadt->xdsdt;
	}
	int typa, typb;
	if (dsdtpa == 0 || !s5type(p2v(dsdtpa), &typa, &typb)) {
		return "no \\_S5 package in the DSDT";
	}
	if (reduced) {
		uint8_t v = (typa & 7) << 2 | SLEEP_CONTROL_SLP_EN;
		if (fadt->sleepcontrol.space == GAS_IO) {
			outb(fadt->sleepcontrol.address, v);
		} else if (fadt->sleepcontrol.space == GAS_MEMORY) {
			*(volatile uint8_t *)p2v(fadt->sleepcontrol.address) = v;
		}
	} else {
		// Switch the chipset into ACPI mode if the firmware left it in
		// legacy mode: write ACPI_ENABLE to SMI_CMD and wait for SCI_EN.
		if (!(inw(fadt->pm1acntblk) & SCI_EN) && fadt->smicmd != 0 && fadt->acpienable != 0) {
			outb(fadt->smicmd, fadt->acpienable);
			for (int i = 0; i < 1000000 && !(inw(fadt->pm1acntblk) & SCI_EN); i++) {
				cpu_pause();
			}
		}
		outw(fadt->pm1acntblk, typa << 10 | SLP_EN);
		if (fadt->pm1bcntblk != 0) {
			outw(fadt->pm1bcntblk, typb << 10 | SLP_EN);
		}
	}
	// The machine goes off a moment later (QEMU too handles it
	// asynchronously); past that, it did not work.
	for (int i = 0; i < 100000000; i++) {
		cpu_pause();
	}
	return "the ACPI S5 write did not take effect";
}

// Read an AML integer that is Zero, One or a BytePrefix constant.
static bool
amlbyte(uint8_t **p, uint8_t *end, int *v)
{
	if (*p >= end) {
		return false;
	}
	switch (**p) {
	case AML_ZERO:
	case AML_ONE:
		*v = **p;
		*p += 1;
		return true;
	case AML_BYTE:
		if (*p + 1 >= end) {
			return false;
		}
		*v = (*p)[1];
		*p += 2;
		return true;
	}
	return false;
}

// Find "Name(_S5_, Package() {typa, typb, ...})" in the DSDT's AML without
// an interpreter: it is a NameOp, the name, a PackageOp, a PkgLength of 1
// to 4 bytes (the top two bits of the first byte count the extra bytes),
// an element count, then the two values.
static bool
s5type(struct acpi_header *dsdt, int *typa, int *typb)
{
	uint8_t *aml = (uint8_t *)(dsdt + 1);
	uint8_t *end = (uint8_t *)dsdt + dsdt->length;

	for (uint8_t *p = aml + 1; p + 4 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0) {
			continue;
		}
		bool named = p[-1] == AML_NAME || (p[-1] == '\\' && p - 2 >= aml && p[-2] == AML_NAME);
		uint8_t *q = p + 4;
		if (!named || q >= end || *q != AML_PACKAGE) {
			continue;
		}
		q++;
		if (q >= end) {
			return false;
		}
		q += 1 + (*q >> 6); // PkgLength
		q++;                // NumElements
		return amlbyte(&q, end, typa) && amlbyte(&q, end, typb);
	}
	return false;
}
