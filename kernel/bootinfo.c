// bootinfo.c: read the loader's information into struct bootinfo. Two
// parsers, one per protocol; everything after this file sees only the
// structure. The formats are the multiboot2 specification (version 2.0,
// section 3.6, "Boot information format") and Xen's
// public/arch-x86/hvm/start_info.h (the PVH boot ABI).
//
// Runs before anything else but the serial port: must not allocate, and
// reads the loader's structures through the early direct map.

#include <string.h>

#include "bootinfo.h"
#include "kernel.h"
#include "memlayout.h"

struct bootinfo bootinfo;

static void parse_mb2(uint64_t info);
static void parse_pvh(uint64_t info);
static void setcmdline(const char *s, size_t max);
static void addmem(uint64_t base, uint64_t len, uint32_t type);
static void addmodule(uint64_t base, uint64_t len);

enum {
	MB2_BOOTLOADER_MAGIC = 0x36D76289,
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,

	PVH_MAGIC = 0x336EC578,
};

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

struct __attribute__((packed)) mb2_framebuffer {
	uint64_t addr;
	uint32_t pitch;
	uint32_t width;
	uint32_t height;
	uint8_t bpp;
	uint8_t type;
	uint16_t reserved;
	// For type 1 (RGB): position and size of each colour field.
	uint8_t redpos, redsize, greenpos, greensize, bluepos, bluesize;
};

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; // version 1 and later
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

void
bootinfo_parse(uint32_t proto, uint64_t info)
{
	bootinfo.proto = proto;
	if (proto == BOOT_MB2) {
		bootinfo.protoname = "multiboot2";
		parse_mb2(info);
	} else if (proto == BOOT_PVH) {
		bootinfo.protoname = "pvh";
		parse_pvh(info);
	} else {
		fatalf("bootinfo: unknown boot protocol %u", proto);
	}
	if (bootinfo.nmem == 0) {
		fatalf("bootinfo: the %s loader gave no memory map", bootinfo.protoname);
	}
}

// Multiboot2: a list of tags, each 8-byte aligned, ended by a tag of type 0.
static void
parse_mb2(uint64_t info)
{
	uint8_t *p = p2v(info);
	uint32_t total = *(uint32_t *)p;
	uint8_t *end = p + total;

	for (p += 8; p + sizeof(struct mb2_tag) <= end;) {
		struct mb2_tag *tag = (struct mb2_tag *)p;
		uint8_t *body = p + sizeof(*tag);

		if (tag->type == MB2_TAG_END) {
			break;
		}
		if (tag->size < sizeof(*tag) || p + tag->size > end) {
			fatalf("bootinfo: malformed multiboot2 tag %u of size %u", tag->type, tag->size);
		}
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			setcmdline((const char *)body, tag->size - sizeof(*tag));
			break;
		case MB2_TAG_LOADER:
			strlcpy(bootinfo.loader, (const char *)body, sizeof bootinfo.loader);
			break;
		case MB2_TAG_MODULE: {
			uint32_t *mod = (uint32_t *)body; // mod_start, mod_end, string
			addmodule(mod[0], mod[1] - mod[0]);
			break;
		}
		case MB2_TAG_MMAP: {
			uint32_t entsize = *(uint32_t *)body;
			if (entsize < sizeof(struct mb2_mmap_entry)) {
				fatalf("bootinfo: multiboot2 memory map entry size %u too small", entsize);
			}
			for (uint8_t *e = body + 8; e + entsize <= p + tag->size; e += entsize) {
				struct mb2_mmap_entry *me = (struct mb2_mmap_entry *)e;
				addmem(me->base, me->len, me->type);
			}
			break;
		}
		case MB2_TAG_FRAMEBUFFER: {
			struct mb2_framebuffer *fb = (struct mb2_framebuffer *)body;
			if (fb->type == FB_RGB || fb->type == FB_EGATEXT) {
				bootinfo.fb = (struct framebuffer){
					.type = fb->type,
					.addr = fb->addr,
					.pitch = fb->pitch,
					.width = fb->width,
					.height = fb->height,
					.bpp = fb->bpp,
					.redpos = fb->redpos,
					.greenpos = fb->greenpos,
					.bluepos = fb->bluepos,
				};
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			// A copy of the RSDP itself. Prefer the 2.0 one if both come.
			if (!bootinfo.hasrsdp || tag->type == MB2_TAG_ACPI_NEW) {
				uint32_t n = tag->size - sizeof(*tag);
				memcpy(bootinfo.rsdp, body, n < RSDP_SIZE ? n : RSDP_SIZE);
				bootinfo.hasrsdp = true;
			}
			break;
		}
		p += (tag->size + 7) & ~7u;
	}
}

// PVH: one fixed structure with physical pointers to the rest.
static void
parse_pvh(uint64_t info)
{
	struct hvm_start_info *si = p2v(info);

	if (si->magic != PVH_MAGIC) {
		fatalf("bootinfo: bad PVH start info magic 0x%x", si->magic);
	}
	strlcpy(bootinfo.loader, "PVH loader", sizeof bootinfo.loader);
	if (si->cmdline_paddr != 0) {
		setcmdline(p2v(si->cmdline_paddr), CMDLINE_LOADERMAX);
	}
	if (si->rsdp_paddr != 0) {
		memcpy(bootinfo.rsdp, p2v(si->rsdp_paddr), RSDP_SIZE);
		bootinfo.hasrsdp = true;
	}
	struct hvm_modlist_entry *mods = p2v(si->modlist_paddr);
	for (uint32_t i = 0; i < si->nr_modules; i++) {
		addmodule(mods[i].paddr, mods[i].size);
	}
	if (si->version >= 1) {
		struct hvm_memmap_table_entry *mm = p2v(si->memmap_paddr);
		for (uint32_t i = 0; i < si->memmap_entries; i++) {
			addmem(mm[i].addr, mm[i].size, mm[i].type);
		}
	}
}

// The loader's command line, at most max bytes long (a multiboot2 tag's
// body; for PVH, whose string has no stated bound, CMDLINE_LOADERMAX).
// A line longer than bootinfo.cmdline holds is cut here and refused, with
// its length, by cmdline_init (kernel/main.c): never used cut.
static void
setcmdline(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	size_t keep = n < sizeof bootinfo.cmdline ? n : sizeof bootinfo.cmdline - 1;
	memcpy(bootinfo.cmdline, s, keep);
	bootinfo.cmdline[keep] = '\0';
	bootinfo.cmdlinelen = n;
}

static void
addmem(uint64_t base, uint64_t len, uint32_t type)
{
	if (bootinfo.nmem == BOOT_MAXMEM) {
		kprintf("bootinfo: memory map has more than %d entries; ignoring the rest\n", BOOT_MAXMEM);
		return;
	}
	bootinfo.mem[bootinfo.nmem++] = (struct memrange){base, len, type};
}

static void
addmodule(uint64_t base, uint64_t len)
{
	if (bootinfo.nmodules == BOOT_MAXMODULES) {
		fatalf("bootinfo: more than %d boot modules", BOOT_MAXMODULES);
	}
	bootinfo.modules[bootinfo.nmodules++] = (struct memrange){base, len, MEM_RESERVED};
}
