// acpi.c: finding ACPI tables. The RSDP comes from the loader (a copy in
// bootinfo) or, failing that, from the BIOS areas where ACPI 1.0 says to
// look: the first KiB of the EBDA and 0xE0000-0xFFFFF, on 16-byte
// boundaries. From it, the XSDT (or the RSDT on ACPI 1.0) lists the other
// tables. Every table's checksum is verified; a bad one is skipped with a
// boot line, never trusted.
//
// acpi_init runs after vm_init; before it (power off from an early fatal
// error) acpi_find reads the tables through the early direct map, which
// also covers them: firmware puts them below 4 GiB.

#include <string.h>

#include "acpi.h"
#include "bootinfo.h"
#include "kernel.h"
#include "memlayout.h"

static struct acpi_rsdp *findrsdp(void);

static struct acpi_rsdp *rsdp; // NULL until found
static bool searched;

static uint8_t
sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++) {
		s += b[i];
	}
	return s;
}

static bool
validrsdp(struct acpi_rsdp *r)
{
	if (memcmp(r->signature, "RSD PTR ", 8) != 0 || sum(r, 20) != 0) {
		return false;
	}
	return r->revision < 2 || sum(r, r->length < RSDP_SIZE ? RSDP_SIZE : r->length) == 0;
}

static struct acpi_rsdp *
scan(uint64_t pa, uint64_t len)
{
	for (uint64_t p = pa; p + sizeof(struct acpi_rsdp) <= pa + len; p += 16) {
		struct acpi_rsdp *r = p2v(p);
		if (validrsdp(r)) {
			return r;
		}
	}
	return NULL;
}

static struct acpi_rsdp *
findrsdp(void)
{
	if (bootinfo.hasrsdp && validrsdp((struct acpi_rsdp *)bootinfo.rsdp)) {
		return (struct acpi_rsdp *)bootinfo.rsdp;
	}
	uint64_t ebda = (uint64_t) * (uint16_t *)p2v(0x40E) << 4; // BDA word: EBDA segment
	struct acpi_rsdp *r = NULL;
	if (ebda >= 0x80000 && ebda < 0xA0000) {
		r = scan(ebda, 1024);
	}
	if (r == NULL) {
		r = scan(0xE0000, 0x20000);
	}
	return r;
}

// The root table lists the others: 64-bit addresses in the XSDT (ACPI 2.0
// on), 32-bit ones in the RSDT. sdtentries returns the list and its width.
static uint8_t *
sdtentries(int *n, int *width)
{
	bool x = rsdp->revision >= 2 && rsdp->xsdtaddr != 0;
	struct acpi_header *sdt = p2v(x ? rsdp->xsdtaddr : rsdp->rsdtaddr);
	*width = x ? 8 : 4;
	*n = sum(sdt, sdt->length) == 0 ? (sdt->length - sizeof *sdt) / *width : 0;
	return (uint8_t *)(sdt + 1);
}

static struct acpi_header *
sdtentry(uint8_t *list, int width, int i)
{
	uint8_t *e = list + i * width;
	return p2v(width == 8 ? *(uint64_t *)e : *(uint32_t *)e);
}

void
acpi_init(void)
{
	rsdp = findrsdp();
	searched = true;
	if (rsdp == NULL) {
		kprintf("acpi: no RSDP found; no ACPI power off\n");
		return;
	}
	int n, width;
	uint8_t *list = sdtentries(&n, &width);
	kprintf("acpi: RSDP revision %d, OEM %.6s, %s:", rsdp->revision, rsdp->oemid,
		n == 0 ? "bad root table" : "tables");
	for (int i = 0; i < n; i++) {
		struct acpi_header *h = sdtentry(list, width, i);
		kprintf(" %.4s%s", h->signature, sum(h, h->length) == 0 ? "" : "(bad checksum)");
	}
	kprintf("\n");
}

// The table with signature sig ("FACP", "APIC", ...), checksum verified, or
// NULL. The DSDT is not in the list: read it through the FADT.
void *
acpi_find(const char *sig)
{
	if (!searched) {
		rsdp = findrsdp();
		searched = true;
	}
	if (rsdp == NULL) {
		return NULL;
	}
	int n, width;
	uint8_t *list = sdtentries(&n, &width);
	for (int i = 0; i < n; i++) {
		struct acpi_header *h = sdtentry(list, width, i);
		if (memcmp(h->signature, sig, 4) == 0 && sum(h, h->length) == 0) {
			return h;
		}
	}
	return NULL;
}
