// os_linux.c: the machine interface (os.h) on Linux: the hosted port, as
// Go's os_linux.go and mem_linux.go are Go's. Ms are pthreads; the M of
// the running thread is a thread-local variable; notes and mutexes are
// futexes (lock_futex.c); nanotime is CLOCK_MONOTONIC; goroutine stacks are
// a reserved range of address space whose pages are made accessible as
// they fault (SIGSEGV, on the thread's alternate signal stack), as the
// bare-metal page-fault handler maps them; preemption is a signal, SIGURG
// as in Go 1.14, whose handler makes the goroutine call asyncpreempt
// (asyncpreempt_linux.asm), as the bare-metal timer interrupt does.
//
// A program hands over to the runtime at its own main: it links with
// -Wl,--wrap=main, so the C library's start calls __wrap_main here, which
// starts the runtime (rt0_go); the program's main (__real_main) then runs
// as goroutine 1, and its return ends the process with its status.
//
// What the preemption signal leaves alone (sigurg): a thread that is not
// running its goroutine on the goroutine's own stack (the scheduler on
// g0, the moments in between), holds runtime locks (m->locks) or port
// locks, or is pinned (thread_nopreempt); code outside the program's own
// text (the C library, whose locks belong to the thread); and the few
// functions that read the M in two steps (section hood_nopreempt).

#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime/os_linux.h"
#include "runtime/runtime.h"

// Under ThreadSanitizer, signal handlers run only outside its own code:
// a stack page that faults inside it (its pthread_create, say) would never
// be opened. So there the stacks are readable and writable from the start
// (Linux still commits pages only when touched), without guard pages.
// Its shadow memory also limits the region to 64 GiB.
#ifdef __SANITIZE_THREAD__
enum { StackProt = PROT_READ | PROT_WRITE };
#define StackRegionSize (64ULL << 30)
#else
enum { StackProt = PROT_NONE };
#define StackRegionSize (1ULL << 40) // 1 TiB of goroutine stacks: a million of 1 MiB
#endif

enum {
	SigStackSize = 64 << 10,
	RedZone = 128, // below rsp, the SysV ABI's leaf scratch
};

static int mainargc;
static char **mainargv;
static __thread struct m *curm;
static void (*runtimepreempt)(void);
static bool (*stackfaultfn)(uint64_t addr, bool write);
static bool (*entersyscallfn)(void);
static void (*exitsyscallfn)(void);
static uint64_t stackregion; // the reserved range, once made

// asyncpreempt_linux.asm's, for kernel/regs.inc's FPUSAVE: XSAVE of every
// component the OS enabled, into an area of CPUID leaf 0xD's size.
uint64_t fpusavesize;
uint8_t usexsave = 1;
void asyncpreempt(void);

extern char __executable_start[], etext[];
extern char __start_hood_nopreempt[], __stop_hood_nopreempt[];

static void sigurg(int sig, siginfo_t *si, void *uc);
static void sigsegv(int sig, siginfo_t *si, void *uc);
static void onsignal(int sig, void (*fn)(int, siginfo_t *, void *));

// ---- the process -------------------------------------------------------------

int __real_main(int argc, char **argv);
int __wrap_main(int argc, char **argv);

// The process's main (-Wl,--wrap=main): start the runtime on this
// thread, which becomes m0; the program's main runs as goroutine 1.
int
__wrap_main(int argc, char **argv)
{
	mainargc = argc;
	mainargv = argv;
	unsigned a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	fpusavesize = (b + 63) & ~63u; // CPUID.(EAX=0DH,ECX=0):EBX: for the enabled features
	rt0_go();
}

int
os_main(void)
{
	return __real_main(mainargc, mainargv);
}

int32_t
os_ncpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		return 1;
	}
	return CPU_COUNT(&set);
}

int32_t
os_gomaxprocs(void)
{
	const char *v = getenv("GOMAXPROCS");
	return v != NULL ? atoi(v) : 0;
}

// A GODEBUG variable: GODEBUG=name=value,name=value in the environment.
const char *
os_getenv(const char *name)
{
	static char value[64];
	const char *p = getenv("GODEBUG");
	size_t n = strlen(name);
	while (p != NULL && *p != '\0') {
		const char *end = strchrnul(p, ',');
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			snprintf(value, sizeof value, "%.*s", (int)(end - p - n - 1), p + n + 1);
			return value;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return NULL;
}

// A goroutine stack's size in bytes from HOOD_STACK (the boot option
// stack= of bare metal), else the runtime's default; sanitizer builds need
// larger stacks.
int64_t
os_stacksize(void)
{
	const char *v = getenv("HOOD_STACK");
	long n = v != NULL ? atol(v) : 0;
	return n >= 8192 && n % PhysPageSize == 0 ? n : 0;
}

int
os_print(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1) {
		n = sizeof buf - 1;
	}
	return write(2, buf, n); // one write: lines from threads stay whole
}

uint64_t
nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Leave after a fatal error, without atexit handlers or stdio, as Go.
void
os_exit(int status)
{
	_exit(status);
}

void throw(const char *msg)
{
	gothrow(msg);
}

void
fatalf(const char *fmt, ...)
{
	static char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	gothrow(msg);
}

// ---- threads -------------------------------------------------------------------

struct threadstart {
	struct m *mp;
	void (*fn)(void *);
};

static void *
threadmain(void *arg)
{
	struct threadstart ts = *(struct threadstart *)arg;
	free(arg);
	ts.fn(ts.mp);
	return NULL;
}

// A new pthread running fn(mp). Linux places threads itself: cpu is only
// the bare-metal port's.
void
os_newosproc(struct m *mp, int cpu, void (*fn)(void *mp))
{
	(void)cpu;
	struct threadstart *ts = malloc(sizeof *ts);
	if (ts == NULL) {
		throw("newosproc: out of memory");
	}
	*ts = (struct threadstart){mp, fn};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int err = pthread_create(&t, &attr, threadmain, ts);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		os_print("runtime: failed to create new OS thread (errno=%d)\n", err);
		throw("newosproc");
	}
}

// This thread is mp (Go's minit too): its signal stack, for stack faults
// and the preemption signal.
void
os_setm(struct m *mp)
{
	stack_t ss = {
		.ss_sp = mmap(NULL, SigStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		.ss_size = SigStackSize};
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0) {
		throw("os_setm: no signal stack");
	}
	mp->thread = (void *)pthread_self();
	curm = mp;
}

// These read the M and use it in two steps: the preemption signal leaves
// them alone (a goroutine moved between the steps would count on the old
// M), as interrupts off do on bare metal.
__attribute__((section("hood_nopreempt"), noinline)) struct m *
os_acquirem(void)
{
	struct m *mp = curm;
	mp->locks++;
	return mp;
}

__attribute__((section("hood_nopreempt"), noinline)) struct g *
os_getg(void)
{
	struct m *mp = curm;
	return mp != NULL ? mp->cur : NULL;
}

struct m *
os_getm(void)
{
	return curm;
}

uint64_t
os_threadstacktop(void)
{
	return ((uint64_t)__builtin_frame_address(0) & ~15ULL) - 256;
}

// Nothing to do: sigurg tells the moment before gogo from a goroutine by
// the stack it runs on.
void
os_intr_off(void)
{
}

void
os_procyield(void)
{
	__builtin_ia32_pause();
}

void
os_usleep(int64_t us)
{
	usleep(us);
}

void
os_exitthread(void)
{
	pthread_exit(NULL);
}

// ---- preemption and syscalls ------------------------------------------------

void
os_preempthook(void (*fn)(void))
{
	runtimepreempt = fn;
	onsignal(SIGURG, sigurg);
}

// ThreadSanitizer runs a signal's handler later, at a point of its own
// choosing, with the context of the signal's arrival: a call injected
// there would land on a stack that has moved on. So a TSan build does not
// preempt: goroutines yield where they call the scheduler.
bool
os_asyncpreempt(void)
{
#ifdef __SANITIZE_THREAD__
	return false;
#else
	return true;
#endif
}

bool
os_faultstacks(void)
{
	return StackProt == PROT_NONE;
}

bool
os_preemptm(struct m *mp)
{
	return os_asyncpreempt() && pthread_kill((pthread_t)mp->thread, SIGURG) == 0;
}

// SIGURG: if the goroutine may be preempted here, make it call
// asyncpreempt as if it had called it at the interrupted instruction: the
// return address and the flags go below the red zone, and asyncpreempt's
// `popfq; ret 128` steps back over them (Go's pushCall does the same).
static void
sigurg(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	struct m *mp = curm;
	uint64_t pc = uc->uc_mcontext.gregs[REG_RIP];
	uint64_t sp = uc->uc_mcontext.gregs[REG_RSP];
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (gp == NULL || mp->cur != gp || mp->locks > 0 || thread_nopreempt() ||
	    sp - RedZone - 16 < gp->stackmapped || sp > gp->stackhi || pc < (uint64_t)__executable_start ||
	    pc >= (uint64_t)etext ||
	    (pc >= (uint64_t)__start_hood_nopreempt && pc < (uint64_t)__stop_hood_nopreempt)) {
		return; // not now; sysmon asks again
	}
	sp -= RedZone + 16;
	((uint64_t *)sp)[1] = pc;
	((uint64_t *)sp)[0] = uc->uc_mcontext.gregs[REG_EFL];
	uc->uc_mcontext.gregs[REG_RSP] = sp;
	uc->uc_mcontext.gregs[REG_RIP] = (uint64_t)asyncpreempt;
}

// Called by asyncpreempt, all the goroutine's registers saved below.
void preempted(void);

void
preempted(void)
{
	runtimepreempt();
}

void
os_syscallhooks(bool (*enter)(void), void (*exit)(void))
{
	entersyscallfn = enter;
	exitsyscallfn = exit;
}

bool
blockbegin(void)
{
	return curm != NULL && entersyscallfn != NULL && entersyscallfn();
}

void
blockend(bool entered)
{
	if (entered) {
		exitsyscallfn();
	}
}

// ---- memory ----------------------------------------------------------------------

void *
os_sysalloc(uint64_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		throw("os_sysalloc: out of memory");
	}
	return p;
}

// The goroutine stack region: reserved (no access, no memory committed)
// at the first call.
uint64_t
os_stackregion(uint64_t *size)
{
	if (stackregion == 0) {
		void *p = mmap(NULL, StackRegionSize, StackProt, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (p == MAP_FAILED) {
			throw("os_stackregion: cannot reserve the goroutine stack region");
		}
		stackregion = (uint64_t)p;
	}
	*size = StackRegionSize;
	return stackregion;
}

// Make the page at va usable (Linux commits it at the first touch).
void
os_mapstack(uint64_t va)
{
	if (mprotect((void *)va, PhysPageSize, PROT_READ | PROT_WRITE) != 0) {
		throw("os_mapstack: mprotect failed");
	}
}

// Give the pages of [va, va+size) back to Linux and make them fault again.
void
os_unmapstack(uint64_t va, uint64_t size)
{
	madvise((void *)va, size, MADV_DONTNEED);
	mprotect((void *)va, size, StackProt);
}

void
os_setstackfault(bool (*fn)(uint64_t addr, bool write))
{
	stackfaultfn = fn;
	onsignal(SIGSEGV, sigsegv);
	onsignal(SIGBUS, sigsegv);
}

// SIGSEGV, on the signal stack: a goroutine stack's next page (the
// instruction runs again), or the end: Go's fault message.
static void
sigsegv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t addr = (uint64_t)si->si_addr;
	bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
	if (addr >= stackregion && addr < stackregion + StackRegionSize && stackfaultfn != NULL &&
	    stackfaultfn(addr, write)) {
		return;
	}
	os_print("unexpected fault address 0x%lx\n", addr);
	os_print("[signal %s: segmentation violation code=0x%x addr=0x%lx pc=0x%llx]\n",
		 sig == SIGBUS ? "SIGBUS" : "SIGSEGV", si->si_code, addr, uc->uc_mcontext.gregs[REG_RIP]);
	gothrow("fault");
}

static void
onsignal(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sig == SIGSEGV || sig == SIGBUS) {
		sa.sa_flags |= SA_NODEFER; // a fault while reporting one still reports
	}
	sigaction(sig, &sa, NULL);
}

// ---- the C library ---------------------------------------------------------------

// glibc keeps errno per thread already; it has no per-goroutine state to
// give.
void *
os_libcstate_new(void)
{
	return NULL;
}

void
os_libcstate_reset(void *st)
{
	(void)st;
}

// ---- backtraces --------------------------------------------------------------------

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
}

static const char *
symname(uint64_t pc, uint64_t *off)
{
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
// this thread's stack (below the frames of its start).
static bool
goodframe(uint64_t fp, uint64_t prev)
{
	uint64_t here = (uint64_t)__builtin_frame_address(0);
	bool ingstacks = fp >= stackregion && fp + 16 <= stackregion + StackRegionSize;
	bool onthread = fp >= here && fp - here < (8 << 20);
	return fp % 8 == 0 && fp > prev && (ingstacks || onthread);
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
