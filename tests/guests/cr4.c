/*
 * cr4: MOV to CR4 with a bit the (virtual) CPU does not support must raise
 * #GP(0) and leave CR4 as it was (SDM vol. 3A 2.5: "Attempting to set any
 * reserved bits in CR4 results in a general-protection exception"; a bit
 * whose feature CPUID does not report is reserved).  Bits it supports must
 * stick when set and when cleared.
 *
 * So keel's CR4 handling and its CPUID must agree: VMXE is the bit that
 * shows it, since keel hides VMX (CPUID.1:ECX.VMX = 0) yet runs the guest
 * with the real CR4.VMXE set underneath.
 *
 * Bits reserved on every CPU: 15, and 31 (SDM 2.5 and the AMD APM vol. 2
 * 3.1.3 leave both undefined; bit 19 is Key Locker, 12 LA57 on new CPUs).
 * PCIDE can only be set in IA-32e mode (SDM 2.5, 4.10.1), and this guest
 * runs in 32-bit protected mode: setting it must fault wherever it is
 * supported; where it is not, it is reserved anyway.
 *
 * Expected under keel: pass.  Bare: the toggles pass and the #GP checks
 * SKIP, because QEMU 7.2's TCG does not raise #GP for a reserved CR4 bit: it
 * takes its SVM #VMEXIT(ERR) path and, outside an SVM guest, retries the MOV
 * forever (fixed in later QEMU).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

#define CR4_RESERVED_BIT15 (1u << 15)
#define CR4_RESERVED_BIT31 (1u << 31)

enum cpuid_register { REG_EBX, REG_ECX, REG_EDX };

/* Where CPUID reports a feature; leaf 0 means "every CPU that has CR4". */
struct cpuid_feature {
    uint32_t leaf;                  /* 0, 1 or 7 */
    enum cpuid_register reg;
    uint32_t mask;
};

struct cr4_bit {
    const char *name;
    uint32_t bit;
    struct cpuid_feature feature;
};

static const struct cr4_bit cr4_bits[] = {
    { "VME", CR4_VME, { 1, REG_EDX, CPUID_1_EDX_VME } },
    { "PVI", CR4_PVI, { 1, REG_EDX, CPUID_1_EDX_VME } },
    { "TSD", CR4_TSD, { 1, REG_EDX, CPUID_1_EDX_TSC } },
    { "DE", CR4_DE, { 1, REG_EDX, CPUID_1_EDX_DE } },
    { "PSE", CR4_PSE, { 1, REG_EDX, CPUID_1_EDX_PSE } },
    { "PAE", CR4_PAE, { 1, REG_EDX, CPUID_1_EDX_PAE } },
    { "MCE", CR4_MCE, { 1, REG_EDX, CPUID_1_EDX_MCE } },
    { "PGE", CR4_PGE, { 1, REG_EDX, CPUID_1_EDX_PGE } },
    { "PCE", CR4_PCE, { 0, REG_EDX, 0 } },
    { "OSFXSR", CR4_OSFXSR, { 1, REG_EDX, CPUID_1_EDX_FXSR } },
    { "OSXMMEXCPT", CR4_OSXMMEXCPT, { 1, REG_EDX, CPUID_1_EDX_SSE } },
    { "UMIP", CR4_UMIP, { 7, REG_ECX, CPUID_7_ECX_UMIP } },
    { "LA57", CR4_LA57, { 7, REG_ECX, CPUID_7_ECX_LA57 } },
    { "VMXE", CR4_VMXE, { 1, REG_ECX, CPUID_1_ECX_VMX } },
    { "SMXE", CR4_SMXE, { 1, REG_ECX, CPUID_1_ECX_SMX } },
    { "FSGSBASE", CR4_FSGSBASE, { 7, REG_EBX, CPUID_7_EBX_FSGSBASE } },
    { "OSXSAVE", CR4_OSXSAVE, { 1, REG_ECX, CPUID_1_ECX_XSAVE } },
    { "SMEP", CR4_SMEP, { 7, REG_EBX, CPUID_7_EBX_SMEP } },
    { "SMAP", CR4_SMAP, { 7, REG_EBX, CPUID_7_EBX_SMAP } },
    { "PKE", CR4_PKE, { 7, REG_ECX, CPUID_7_ECX_PKU } },
};

static const struct {
    const char *name;
    uint32_t bit;
} must_fault[] = {
    { "reserved bit 15", CR4_RESERVED_BIT15 },
    { "reserved bit 31", CR4_RESERVED_BIT31 },
    { "PCIDE outside IA-32e mode", CR4_PCIDE },
};

static bool feature_present(const struct cpuid_feature *f)
{
    if (f->leaf == 0)
        return true;
    struct cpuid_regs r = f->leaf == CPUID_LEAF_EXTENDED ? cpuid_leaf7() : cpuid(f->leaf);
    uint32_t value = f->reg == REG_EBX ? r.ebx : f->reg == REG_ECX ? r.ecx : r.edx;
    return value & f->mask;
}

static int write_cr4_try(uint32_t value)
{
    fault_reset();
    __asm__ __volatile__(ASM_TRY("mov %0, %%cr4") : : "r"(value) : "memory");
    return last_fault.vector;
}

/* Setting 'bit' must raise #GP(0) at the MOV and leave CR4 unchanged. */
static bool set_faults(uint32_t bit)
{
    uint32_t before = read_cr4();
    write_cr4_try(before | bit);
    uint32_t after = read_cr4();
    bool ok = fault_at_try(GP_VECTOR) && last_fault.error_code == 0 && after == before;
    if (!ok)
        printf("cr4: CR4 0x%08x | 0x%08x: vector %d error 0x%x, CR4 now 0x%08x\n",
               before, bit, last_fault.vector, last_fault.error_code, after);
    write_cr4(before);
    return ok;
}

/* Flipping 'bit' one way and back must not fault and must read back. */
static bool toggle_sticks(uint32_t bit)
{
    uint32_t original = read_cr4();
    uint32_t flipped = original ^ bit;
    int v1 = write_cr4_try(flipped);
    uint32_t seen1 = read_cr4();
    int v2 = write_cr4_try(original);
    uint32_t seen2 = read_cr4();
    bool ok = v1 == NO_FAULT && v2 == NO_FAULT && seen1 == flipped && seen2 == original;
    if (!ok)
        printf("cr4: 0x%08x -> 0x%08x (vector %d, read 0x%08x) -> back (vector %d, read 0x%08x)\n",
               original, flipped, v1, seen1, v2, seen2);
    write_cr4(original);
    return ok;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    char name[80];
    printf("cr4: CR4 at start 0x%08x\n", read_cr4());

    for (size_t i = 0; i < ARRAY_SIZE(must_fault); i++) {
        snprintf(name, sizeof(name), "cr4: set %s raises #GP(0)", must_fault[i].name);
        if (test_selected(name) && test_needs_met(name, NEEDS_KEEL))
            report(set_faults(must_fault[i].bit), "%s", name);
    }

    for (size_t i = 0; i < ARRAY_SIZE(cr4_bits); i++) {
        const struct cr4_bit *b = &cr4_bits[i];
        bool present = feature_present(&b->feature);
        if (present)
            snprintf(name, sizeof(name), "cr4: %s (supported) toggles", b->name);
        else
            snprintf(name, sizeof(name), "cr4: %s (not in CPUID) raises #GP(0)", b->name);
        if (!test_selected(name) || (!present && !test_needs_met(name, NEEDS_KEEL)))
            continue;
        report(present ? toggle_sticks(b->bit) : set_faults(b->bit), "%s", name);
    }
}
