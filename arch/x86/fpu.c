/* Saving and loading guests' x87/SSE/AVX state (contract in arch/x86/fpu.h). */
#include "arch/x86/fpu.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define CPUID_1_ECX_XSAVE       (1u << 26)
#define CPUID_XSAVE_LEAF        0x0du
#define CR4_OSFXSR              (UINT64_C(1) << 9)
#define CR4_OSXSAVE             (UINT64_C(1) << 18)
#define CR0_TS                  (UINT64_C(1) << 3)
#define CR0_EM                  (UINT64_C(1) << 2)

/* The legacy region's fields (SDM vol. 1 10.5.1, table 10-2). */
#define FXSAVE_AREA_SIZE        512u
#define FXSAVE_FCW              0
#define FXSAVE_MXCSR            24
#define FCW_AFTER_RESET         0x037fu
#define MXCSR_AFTER_RESET       0x1f80u

static bool use_xsave;
static uint64_t all_components;     /* XCR0 bits the CPU supports */
static size_t area_size = FXSAVE_AREA_SIZE;

void fpu_init(void)
{
    /* FXSAVE and XSAVE fault with CR0.EM = 1, and CR0.TS = 1 would make
     * them #NM: keel keeps both clear, as its start-up code leaves them. */
    write_cr0(read_cr0() & ~(CR0_TS | CR0_EM));
    use_xsave = cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE;
    write_cr4(read_cr4() | CR4_OSFXSR | (use_xsave ? CR4_OSXSAVE : 0));
    if (use_xsave) {
        /* ECX of leaf 0Dh sub-leaf 0: the size the XSAVE area needs for
         * every component the CPU supports (SDM vol. 1 13.2). */
        struct cpuid_regs r = cpuid(CPUID_XSAVE_LEAF, 0);
        all_components = (uint64_t)r.edx << 32 | r.eax;
        if (r.ecx > area_size)
            area_size = r.ecx;
    }
    pr_info("FPU: guests' register state switched with %s, %zu-byte areas, XCR0 bits 0x%lx",
            use_xsave ? "XSAVE/XRSTOR" : "FXSAVE/FXRSTOR", area_size, all_components);
}

/* kmalloc gives page alignment from 4 KiB up: XSAVE needs 64 bytes, FXSAVE
 * 16 (SDM vol. 1 13.4, 10.5). */
void *fpu_alloc_area(void)
{
    size_t size = area_size < 4096 ? 4096 : area_size;
    void *area = kmalloc(size);
    fpu_reset_area(area);
    return area;
}

/* All zeros is the XSAVE header of an area whose components are all in
 * their initial configuration (XSTATE_BV = 0, SDM vol. 1 13.4.2); XRSTOR
 * still loads MXCSR from the legacy region (13.8.1), and FXRSTOR all of it. */
void fpu_reset_area(void *area)
{
    uint8_t *bytes = area;
    uint16_t fcw = FCW_AFTER_RESET;
    uint32_t mxcsr = MXCSR_AFTER_RESET;
    memset(bytes, 0, area_size);
    memcpy(bytes + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(bytes + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

static void xsave(void *area, uint64_t mask)
{
    __asm__ __volatile__("xsave64 (%0)"
                         : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                         : "memory");
}

static void xrstor(const void *area, uint64_t mask)
{
    __asm__ __volatile__("xrstor64 (%0)"
                         : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                         : "memory");
}

void fpu_switch(void *out, const void *in, uint64_t in_xcr0)
{
    if (!use_xsave) {
        if (out)
            __asm__ __volatile__("fxsave64 (%0)" : : "r"(out) : "memory");
        __asm__ __volatile__("fxrstor64 (%0)" : : "r"(in) : "memory");
        return;
    }
    xsetbv(0, all_components);
    if (out)
        xsave(out, all_components);
    xrstor(in, all_components);
    xsetbv(0, in_xcr0);
}
