// madt.c: read the MADT into struct madt (madt.h). The table is a header,
// the local APIC address and flags, then variable-length entries, each
// beginning with a type and a length byte.

#include <string.h>

#include "acpi.h"
#include "cmdline.h"
#include "kernel.h"
#include "madt.h"

struct madt madt;

enum {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 0xA,
	LAPIC_ENABLED = 1 << 0,
	LAPIC_ONLINE_CAPABLE = 1 << 1,
};

static void addcpu(uint32_t apicid, uint32_t uid, uint32_t flags);
static void addnmi(uint32_t uid, uint8_t lint, uint16_t flags);

void
madt_init(void)
{
	if (bootargs.nomadt) {
		kprintf("madt: ignored (madt=off): one CPU, no I/O APIC\n");
		return;
	}
	struct acpi_header *h = acpi_find("APIC");
	if (h == NULL) {
		kprintf("madt: no MADT: one CPU, no I/O APIC\n");
		return;
	}
	uint8_t *p = (uint8_t *)(h + 1);
	uint8_t *end = (uint8_t *)h + h->length;
	madt.lapicaddr = *(uint32_t *)p;
	p += 8; // local APIC address, flags

	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		switch (p[0]) {
		case MADT_LAPIC:
			addcpu(p[3], p[2] == MADT_ALLCPUS ? MADT_ALLCPUS_X2 : p[2], *(uint32_t *)(p + 4));
			break;
		case MADT_X2APIC:
			addcpu(*(uint32_t *)(p + 4), *(uint32_t *)(p + 12), *(uint32_t *)(p + 8));
			break;
		case MADT_LAPIC_NMI:
			addnmi(p[2] == MADT_ALLCPUS ? MADT_ALLCPUS_X2 : p[2], p[5], *(uint16_t *)(p + 3));
			break;
		case MADT_X2APIC_NMI:
			addnmi(*(uint32_t *)(p + 4), p[8], *(uint16_t *)(p + 2));
			break;
		case MADT_IOAPIC:
			if (madt.nioapic < MADT_MAXIOAPIC) {
				madt.ioapic[madt.nioapic].id = p[2];
				madt.ioapic[madt.nioapic].addr = *(uint32_t *)(p + 4);
				madt.ioapic[madt.nioapic].gsibase = *(uint32_t *)(p + 8);
				madt.nioapic++;
			}
			break;
		case MADT_OVERRIDE:
			if (madt.noverride < MADT_MAXOVERRIDE) {
				madt.override[madt.noverride].irq = p[3];
				madt.override[madt.noverride].gsi = *(uint32_t *)(p + 4);
				madt.override[madt.noverride].flags = *(uint16_t *)(p + 8);
				madt.noverride++;
			}
			break;
		case MADT_LAPIC_ADDR:
			madt.lapicaddr = *(uint64_t *)(p + 4);
			break;
		}
		p += p[1];
	}
	madt.present = true;
	kprintf("madt: %d CPU%s, %d I/O APICs, %d interrupt overrides, %d NMI inputs\n", madt.ncpu,
		madt.ncpu == 1 ? "" : "s", madt.nioapic, madt.noverride, madt.nnmi);
}

static void
addnmi(uint32_t uid, uint8_t lint, uint16_t flags)
{
	if (madt.nnmi < MADT_MAXOVERRIDE && lint <= 1) {
		madt.nmi[madt.nnmi].uid = uid;
		madt.nmi[madt.nnmi].lint = lint;
		madt.nmi[madt.nnmi].flags = flags;
		madt.nnmi++;
	}
}

// Which local interrupt pin (0 or 1) brings NMIs to the CPU with APIC ID
// apicid, and its polarity and trigger flags; -1 if the MADT says none.
int
madt_nmi_lint(uint32_t apicid, uint16_t *flags)
{
	uint32_t uid = MADT_ALLCPUS_X2;
	for (int i = 0; i < madt.ncpu; i++) {
		if (madt.apicid[i] == apicid) {
			uid = madt.uid[i];
		}
	}
	for (int i = 0; i < madt.nnmi; i++) {
		if (madt.nmi[i].uid == MADT_ALLCPUS_X2 || madt.nmi[i].uid == uid) {
			*flags = madt.nmi[i].flags;
			return madt.nmi[i].lint;
		}
	}
	return -1;
}

static void
addcpu(uint32_t apicid, uint32_t uid, uint32_t flags)
{
	if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE))) {
		return;
	}
	for (int i = 0; i < madt.ncpu; i++) {
		if (madt.apicid[i] == apicid) {
			return; // listed as both xAPIC and x2APIC
		}
	}
	if (madt.ncpu < MADT_MAXCPU) {
		madt.uid[madt.ncpu] = uid;
		madt.apicid[madt.ncpu++] = apicid;
	}
}

// The GSI of ISA IRQ irq and its polarity and trigger flags: identity
// unless an override says otherwise (ISA IRQs are edge, active high).
uint32_t
madt_irq_gsi(int irq, uint16_t *flags)
{
	for (int i = 0; i < madt.noverride; i++) {
		if (madt.override[i].irq == irq) {
			*flags = madt.override[i].flags;
			return madt.override[i].gsi;
		}
	}
	*flags = 0;
	return irq;
}
