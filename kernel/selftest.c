#include "kernel/selftest.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/log.h"
#include "kernel/options.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "vmx/vmcs.h"

/* An address nothing else in keel maps: the start of the vmalloc-style hole
 * between the direct map and keel's image. */
#define SELFTEST_VA UINT64_C(0xffffc00000000000)

static int checks, failures;

static void expect(bool ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        pr_err("selftest: FAILED: %s", what);
    }
}

static bool frame_is_zero(uint64_t phys)
{
    const uint64_t *p = phys_to_virt(phys);
    for (size_t i = 0; i < PAGE_SIZE / 8; i++)
        if (p[i])
            return false;
    return true;
}

static void selftest_frames(void)
{
    enum { N = 64 };
    uint64_t frames[N];
    size_t before = frame_free_count();

    for (int i = 0; i < N; i++) {
        frames[i] = frame_alloc();
        expect(frames[i] && (frames[i] & (PAGE_SIZE - 1)) == 0, "frame_alloc gives aligned frames");
        expect(frame_is_zero(frames[i]), "frame_alloc zeroes the frame");
        memset(phys_to_virt(frames[i]), 0xa5, PAGE_SIZE);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            expect(frames[i] != frames[j], "frame_alloc never hands out a frame twice");
    expect(frame_free_count() == before - N, "free count drops by the frames allocated");
    for (int i = 0; i < N; i++)
        frame_free(frames[i]);
    expect(frame_free_count() == before, "free count restored after frame_free");

    uint64_t big = frame_alloc_contig(512, 512);
    expect((big & (LARGE_PAGE_SIZE - 1)) == 0, "frame_alloc_contig honours 2 MiB alignment");
    expect(frame_is_zero(big) && frame_is_zero(big + 511 * PAGE_SIZE),
           "frame_alloc_contig zeroes every frame");
    frame_free_contig(big, 512);
    expect(frame_free_count() == before, "free count restored after frame_free_contig");
}

static void selftest_kmalloc(void)
{
    static const size_t sizes[] = { 1, 15, 16, 17, 100, 512, 2048, 2049, 4096, 10000 };
    void *p[sizeof(sizes) / sizeof(sizes[0])];

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        p[i] = kmalloc(sizes[i]);
        expect(((uintptr_t)p[i] & 15) == 0, "kmalloc is 16-byte aligned");
        memset(p[i], (int)i + 1, sizes[i]);
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const uint8_t *b = p[i];
        expect(b[0] == i + 1 && b[sizes[i] - 1] == i + 1, "kmalloc blocks do not overlap");
        kfree(p[i]);
    }
    uint8_t *z = kzalloc(300);
    bool zero = true;
    for (int i = 0; i < 300; i++)
        zero = zero && z[i] == 0;
    expect(zero, "kzalloc zeroes");
    kfree(z);
}

static void selftest_paging(void)
{
    uint64_t frame = frame_alloc();
    paging_map(SELFTEST_VA, frame, PTE_WRITABLE | PTE_NX);
    expect(paging_translate(SELFTEST_VA + 0x123) == frame + 0x123, "paging_translate");
    volatile uint32_t *va = (volatile uint32_t *)(uintptr_t)SELFTEST_VA;
    *va = 0x6b65656c;
    expect(*(volatile uint32_t *)phys_to_virt(frame) == 0x6b65656c,
           "a mapping and the direct map see the same frame");
    paging_unmap(SELFTEST_VA);
    expect(paging_translate(SELFTEST_VA) == ~UINT64_C(0), "paging_unmap removes the mapping");
    expect(paging_translate(0) == ~UINT64_C(0), "nothing is mapped at address 0");
    expect(paging_translate(DIRECT_MAP_BASE + 0xb8000) == 0xb8000, "direct map of low memory");
    frame_free(frame);
}

static void selftest_mm(void)
{
    checks = failures = 0;
    selftest_frames();
    selftest_kmalloc();
    selftest_paging();
    pr_info("selftest mm: %d checks, %d failed", checks, failures);
}

static void crash_pagefault(void)
{
    pr_info("selftest: writing near address 0 on purpose");
    /* Through an opaque register so the compiler cannot see the address. */
    uint64_t addr = 8;
    __asm__ __volatile__("movq $1, (%0)" : : "r"(addr) : "memory");
}

static void crash_ud(void)
{
    pr_info("selftest: executing UD2 on purpose");
    __asm__ __volatile__("ud2");
}

static void crash_panic(void)
{
    panic("selftest: a deliberate panic");
}

static void crash_oom(void)
{
    pr_info("selftest: allocating frames until none is left");
    for (;;)
        frame_alloc();
}

/* A VMREAD that fails: in VMX operation, with no current VMCS (none is
 * loaded before the first VM is set up). */
static void crash_vmcs(void)
{
    pr_info("selftest: VMREAD with no current VMCS on purpose");
    uint64_t value = vmcs_read(VM_INSTRUCTION_ERROR);
    /* Used, or the compiler drops the read (VMREAD has no side effects). */
    __asm__ __volatile__("" : : "r"(value));
}

struct selftest {
    const char *name;
    void (*run)(void);
    bool in_vmx;        /* runs once keel is in VMX operation */
};

static const struct selftest selftests[] = {
    { "mm", selftest_mm, false },
    { "pagefault", crash_pagefault, false },
    { "ud", crash_ud, false },
    { "panic", crash_panic, false },
    { "oom", crash_oom, false },
    { "vmcs", crash_vmcs, true },
};

#define NR_SELFTESTS (sizeof(selftests) / sizeof(selftests[0]))

int selftest_check_name(const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < NR_SELFTESTS; i++)
        if (strcmp(selftests[i].name, name) == 0)
            return 0;
    int len = ksnprintf(err, errlen, "unknown selftest '%s' (known:", name);
    for (size_t i = 0; i < NR_SELFTESTS && len > 0 && (size_t)len < errlen; i++)
        len += ksnprintf(err + len, errlen - (size_t)len, " %s", selftests[i].name);
    if (len > 0 && (size_t)len < errlen)
        ksnprintf(err + len, errlen - (size_t)len, ")");
    return -1;
}

static int run_selftest(bool in_vmx)
{
    if (!keel_options.selftest[0])
        return 0;
    for (size_t i = 0; i < NR_SELFTESTS; i++) {
        if (strcmp(selftests[i].name, keel_options.selftest) == 0 &&
            selftests[i].in_vmx == in_vmx) {
            failures = 0;
            selftests[i].run();
            return failures;
        }
    }
    return 0;
}

int selftest_run(void)
{
    return run_selftest(false);
}

int selftest_run_in_vmx(void)
{
    return run_selftest(true);
}
