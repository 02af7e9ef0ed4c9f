// acpi.h: ACPI table headers as the ACPI specification (6.4, chapter 5.2)
// lays them out. acpi.c finds tables; their users read the fields they need.
#pragma once

#include <stdint.h>

struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; // "RSD PTR "
	uint8_t checksum;  // over the first 20 bytes
	char oemid[6];
	uint8_t revision; // 0: ACPI 1.0 (RSDT only); 2: 2.0 and later (XSDT)
	uint32_t rsdtaddr;
	uint32_t length; // revision 2 on
	uint64_t xsdtaddr;
	uint8_t xchecksum; // over all length bytes
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oemid[6];
	char oemtableid[8];
	uint32_t oemrevision;
	uint32_t creatorid;
	uint32_t creatorrevision;
};

// A Generic Address Structure: a register in memory or I/O space.
struct __attribute__((packed)) acpi_gas {
	uint8_t space; // GAS_MEMORY, GAS_IO, ...
	uint8_t bitwidth;
	uint8_t bitoffset;
	uint8_t accesssize;
	uint64_t address;
};

// The FADT ("FACP") fields hood uses, at their offsets.
struct __attribute__((packed)) acpi_fadt {
	struct acpi_header h;
	uint32_t firmwarectrl; // 36
	uint32_t dsdt;         // 40
	uint8_t reserved0;
	uint8_t preferredpm;
	uint16_t sciint;
	uint32_t smicmd; // 48
	uint8_t acpienable;
	uint8_t acpidisable;
	uint8_t s4biosreq;
	uint8_t pstatecnt;
	uint32_t pm1aevtblk; // 56
	uint32_t pm1bevtblk;
	uint32_t pm1acntblk; // 64
	uint32_t pm1bcntblk; // 68
	uint8_t rest0[112 - 72];
	uint32_t flags; // 112
	uint8_t rest1[140 - 116];
	uint64_t xdsdt; // 140, ACPI 2.0 on
	uint8_t rest2[244 - 148];
	struct acpi_gas sleepcontrol; // 244, ACPI 5.0 on: hardware-reduced sleep
	struct acpi_gas sleepstatus;  // 256
};

enum {
	FADT_HW_REDUCED_ACPI = 1 << 20, // no PM1 blocks; sleep through sleepcontrol
	GAS_MEMORY = 0,
	GAS_IO = 1,
};
