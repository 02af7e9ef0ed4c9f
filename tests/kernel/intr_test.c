// intr_test.c: interrupt vectors handed out for devices, and the debug
// checks of spinlocks.

#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/lapic.h"
#include "kernel/trap.h"
#include "tests/testing.h"

static volatile int hits;

static void
countintr(struct trapframe *tf, void *arg)
{
	(void)tf;
	hits += (int)(intptr_t)arg;
}

// A vector from vector_alloc delivers to its handler (sent here as a
// self-IPI, as a device's MSI would arrive), and vector_free frees it.
TEST(TestVectorAlloc)
{
	hits = 0;
	int v = vector_alloc(countintr, (void *)3);
	if (v < VEC_DYNAMIC || v >= VEC_DYNAMIC_END) {
		t_fatalf(t, "vector_alloc gave %d", v);
	}
	int w = vector_alloc(countintr, (void *)0);
	if (w == v || w < 0) {
		t_errorf(t, "second vector_alloc gave %d after %d", w, v);
	}
	lapic_ipi(IPI_SELF, IPI_FIXED, v);
	for (int i = 0; i < 1000000 && hits == 0; i++) {
		cpu_pause();
	}
	if (hits != 3) {
		t_errorf(t, "the handler ran with arg sum %d, want 3", hits);
	}
	uint64_t addr;
	uint32_t data;
	lapic_msi(mycpu(), v, &addr, &data);
	if ((addr & 0xFFF00000) != 0xFEE00000 || data != (uint32_t)v) {
		t_errorf(t, "MSI message 0x%lx/0x%x for vector %d", addr, data, v);
	}
	vector_free(w);
	vector_free(v);
	int again = vector_alloc(countintr, NULL);
	if (again != v) {
		t_errorf(t, "a freed vector was not reused: got %d, want %d", again, v);
	}
	vector_free(again);
}

static struct spinlock lowlock = SPINLOCK_INIT("testlow", LOCK_TEST);
static struct spinlock highlock = SPINLOCK_INIT("testconsole", LOCK_CONSOLE);

CRASHTEST(TestSpinlockRecursion, 2, "fatal error: spin_lock: testlow already held by this CPU")
{
	(void)t;
	spin_lock(&lowlock);
	spin_lock(&lowlock);
}

CRASHTEST(TestSpinlockOrder, 2,
	  "fatal error: spin_lock: lock order: testlow (rank 90) taken while holding testconsole (rank 100)")
{
	(void)t;
	spin_lock(&highlock);
	spin_lock(&lowlock);
}

CRASHTEST(TestSpinlockUnlockNotHeld, 2, "fatal error: spin_unlock: testlow not held by this CPU")
{
	(void)t;
	spin_unlock(&lowlock);
}
