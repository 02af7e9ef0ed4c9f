// symtab_linux.c: the hosted port's backtraces (os.h's os_backtrace): the
// frame-pointer chain, each return address named from the program's own
// ELF symbol table (.symtab, read from /proc/self/exe once, at the first
// backtrace), as Go's symtab.go names its frames from the binary's
// pclntab. Part of the Linux port (os_linux.h).

#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

// The program's function symbols, from its own ELF file's .symtab (static
// functions too, which dladdr does not know, and global assembly labels),
// sorted by address.
struct sym {
	uint64_t addr, size;
	const char *name;
};

static struct sym *syms;
static size_t nsyms;
static pthread_once_t symsonce = PTHREAD_ONCE_INIT;
static bool symsloaded; // set at the end of loadsyms, inside symsonce

static int
symcmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void
loadsyms(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		return;
	}
	const char *f = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED) {
		return;
	}
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	// The load bias of a PIE: where a known function is, less its value.
	Dl_info self;
	uint64_t bias = 0;
	if (eh->e_type == ET_DYN && dladdr((void *)loadsyms, &self) != 0) {
		bias = (uint64_t)self.dli_fbase;
	}
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB) {
			continue;
		}
		const Elf64_Sym *s = (const Elf64_Sym *)(f + sh[i].sh_offset);
		const char *str = f + sh[sh[i].sh_link].sh_offset;
		size_t n = sh[i].sh_size / sizeof *s;
		syms = malloc(n * sizeof *syms);
		for (size_t k = 0; syms != NULL && k < n; k++) {
			int type = ELF64_ST_TYPE(s[k].st_info);
			bool code = type == STT_FUNC || (type == STT_NOTYPE && s[k].st_shndx != SHN_UNDEF &&
							 ELF64_ST_BIND(s[k].st_info) == STB_GLOBAL);
			if (code && s[k].st_value != 0) { // NOTYPE: assembly labels
				syms[nsyms++] =
					(struct sym){s[k].st_value + bias, s[k].st_size, str + s[k].st_name};
			}
		}
	}
	qsort(syms, nsyms, sizeof *syms, symcmp);
	symsloaded = true;
}

// At osinit, on the first thread, before any fault can need it.
void
symtabinit(void)
{
	pthread_once(&symsonce, loadsyms);
}

const char *
symname(uint64_t pc, uint64_t *off)
{
	if (insignal > 0 && !symsloaded) {
		// Loading means malloc and qsort, which a signal handler must
		// not call (the fault may have come inside malloc): the frames
		// go unnamed instead.
		static bool said;
		if (!said) {
			said = true;
			os_print("runtime: symbol table not loaded before the fault: frames unnamed\n");
		}
		return NULL;
	}
	pthread_once(&symsonce, loadsyms);
	size_t lo = 0, hi = nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (syms[mid].addr <= pc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo == 0 || pc >= syms[lo - 1].addr + syms[lo - 1].size + (syms[lo - 1].size == 0) * 4096) {
		return NULL;
	}
	*off = pc - syms[lo - 1].addr;
	return syms[lo - 1].name;
}

// Whether fp may be followed: in the goroutine stack region or within
// this thread's stack (below the frames of its start). Frames go up the
// stack, except once: from a frame outside the region (the signal stack,
// which lies above it, where a stack overflow's report runs) down into a
// goroutine's stack, to the frames that faulted.
static bool
goodframe(uint64_t fp, uint64_t prev)
{
	uint64_t here = (uint64_t)__builtin_frame_address(0);
	bool ingstacks = fp >= stackregion && fp + 16 <= stackregion + StackRegionSize;
	bool previngstacks = prev >= stackregion && prev < stackregion + StackRegionSize;
	bool onthread = fp >= here && fp - here < (8 << 20);
	return fp % 8 == 0 && (fp > prev || (ingstacks && !previngstacks)) && (ingstacks || onthread);
}

size_t
os_backtrace(uint64_t ret, uint64_t fp, char *buf, size_t len)
{
	char line[160];
	size_t n = 0;
	for (int i = 0; i < 64 && (ret != 0 || fp != 0); i++) {
		if (ret != 0) {
			uint64_t off;
			const char *name = symname(ret - 1, &off);
			if (name != NULL) {
				snprintf(line, sizeof line, "\t%s+0x%lx\n", name, off + 1);
			} else {
				snprintf(line, sizeof line, "\t0x%lx ?\n", ret);
			}
			if (buf == NULL) {
				os_print("%s", line);
			} else {
				size_t k = strlen(line) < len - n ? strlen(line) : len - n;
				memcpy(buf + n, line, k);
				n += k;
			}
		}
		if (fp == 0 || !goodframe(fp, 0)) {
			break;
		}
		uint64_t *frame = (uint64_t *)fp;
		ret = frame[1];
		fp = frame[0] != 0 && goodframe(frame[0], fp) ? frame[0] : 0;
		if (ret == 0) {
			break;
		}
	}
	return n;
}
