// bootinfo.h: what the loader told us, in one structure, whichever way we
// were booted. bootinfo_parse reads the multiboot2 information (GRUB) or the
// PVH start info (qemu -kernel) into it, copying everything, so the loader's
// memory may be reused afterwards. See docs/boot.md.
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum {
	BOOT_MB2 = 1, // multiboot2; boot/entry.asm passes these
	BOOT_PVH = 2, // Xen PVH start info
};

// Memory range types. Both protocols use the E820 numbering.
enum {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3, // ACPI tables, reclaimable once read
	MEM_NVS = 4,  // ACPI non-volatile storage
	MEM_BAD = 5,
};

enum {
	BOOT_MAXMEM = 128,    // memory map entries kept
	BOOT_MAXMODULES = 16, // boot modules kept
	CMDLINE_MAX = 8192,   // bytes of command line kept, with its NUL (cmdline.h: CMDLINE_LINEMAX)
	CMDLINE_LOADERMAX = 1 << 20, // bytes of a PVH command line measured
	RSDP_SIZE = 36,       // an ACPI 2.0 RSDP; 1.0 uses the first 20 bytes
};

struct memrange {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

enum {
	FB_NONE = 0,
	FB_RGB = 1,     // linear framebuffer, direct colour
	FB_EGATEXT = 2, // 80x25 text cells of char + attribute
};

struct framebuffer {
	int type;       // FB_*
	uint64_t addr;  // physical
	uint32_t pitch; // bytes per line
	uint32_t width; // pixels, or characters for FB_EGATEXT
	uint32_t height;
	uint8_t bpp;
	uint8_t redpos, greenpos, bluepos; // bit positions for FB_RGB
};

struct bootinfo {
	int proto; // BOOT_MB2 or BOOT_PVH
	const char *protoname;
	char loader[64]; // the loader's name, when it gave one
	char cmdline[CMDLINE_MAX];
	size_t cmdlinelen; // the loader's length; at least CMDLINE_MAX: cut, refused
	struct memrange mem[BOOT_MAXMEM];
	int nmem;
	struct memrange modules[BOOT_MAXMODULES];
	int nmodules;
	uint8_t rsdp[RSDP_SIZE]; // a copy of the ACPI RSDP
	bool hasrsdp;
	struct framebuffer fb;
};

extern struct bootinfo bootinfo;

void bootinfo_parse(uint32_t proto, uint64_t info);
