/*
 * vmx_ud: keel hides VMX (CPUID.1:ECX.VMX = 0), so every VMX instruction
 * must raise #UD in the guest, at the instruction.  In VMX non-root
 * operation these instructions cause VM exits (SDM vol. 3C 26.1.2), and
 * keel must inject the #UD a CPU without VMX would raise; VMFUNC raises #UD
 * itself while "enable VM functions" is off (26.1.3).  VMCALL is keel's
 * hypercall: an unknown number returns all ones and does not fault.
 *
 * Expected under keel: pass.  Bare (QEMU TCG has no VMX): the #UD checks
 * pass, the VMCALL check SKIPs.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/paging.h"
#include "lib/report.h"
#include "lib/runner.h"

/* An operand for the instructions that take a memory operand: a zeroed,
 * page-aligned region, as VMXON and VMPTRLD would want. */
static uint8_t vmx_region[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* A VMX instruction that must raise #UD, written out by VMX_UD_TEST. */
struct vmx_ud_case {
    const char *name;
    void (*execute)(void);
};

/* Each instruction runs under ASM_TRY with EAX = the region's address and
 * EBX = 0 (a VMCS field encoding, a value, an INVEPT/INVVPID type). */
#define VMX_UD_TEST(fn, insn)                                               \
    static void fn(void)                                                    \
    {                                                                       \
        __asm__ __volatile__(ASM_TRY(insn)                                  \
                             : : "a"(vmx_region), "b"(0) : "memory", "cc"); \
    }

VMX_UD_TEST(try_vmxon, "vmxon (%%eax)")
VMX_UD_TEST(try_vmclear, "vmclear (%%eax)")
VMX_UD_TEST(try_vmptrld, "vmptrld (%%eax)")
VMX_UD_TEST(try_vmptrst, "vmptrst (%%eax)")
VMX_UD_TEST(try_vmread, "vmread %%ebx, %%ecx")
VMX_UD_TEST(try_vmwrite, "vmwrite %%ecx, %%ebx")
VMX_UD_TEST(try_vmlaunch, "vmlaunch")
VMX_UD_TEST(try_vmresume, "vmresume")
VMX_UD_TEST(try_vmxoff, "vmxoff")
VMX_UD_TEST(try_invept, "invept (%%eax), %%ebx")
VMX_UD_TEST(try_invvpid, "invvpid (%%eax), %%ebx")
VMX_UD_TEST(try_vmfunc, "vmfunc")

static const struct vmx_ud_case ud_cases[] = {
    { "VMXON", try_vmxon },
    { "VMCLEAR", try_vmclear },
    { "VMPTRLD", try_vmptrld },
    { "VMPTRST", try_vmptrst },
    { "VMREAD", try_vmread },
    { "VMWRITE", try_vmwrite },
    { "VMLAUNCH", try_vmlaunch },
    { "VMRESUME", try_vmresume },
    { "VMXOFF", try_vmxoff },
    { "INVEPT", try_invept },
    { "INVVPID", try_invvpid },
    { "VMFUNC", try_vmfunc },
};

static bool raises_ud(const struct vmx_ud_case *c)
{
    fault_reset();
    c->execute();
    bool ok = fault_at_try(UD_VECTOR);
    if (!ok)
        printf("vmx_ud: %s: vector %d (%s) at 0x%08x, instruction at 0x%08x\n", c->name,
               last_fault.vector, exception_name(last_fault.vector), last_fault.eip,
               fault_try_eip);
    return ok;
}

static bool unknown_vmcall_returns_all_ones(void)
{
    fault_reset();
    uint32_t eax = 0x7FFFFFFFu, ebx = 0, ecx = 0;
    __asm__ __volatile__(ASM_TRY("vmcall") : "+a"(eax), "+b"(ebx), "+c"(ecx) : : "memory");
    printf("vmx_ud: VMCALL 0x7fffffff: EAX 0x%08x, vector %d\n", eax, last_fault.vector);
    return last_fault.vector == NO_FAULT && eax == KEEL_HC_UNKNOWN;
}

static const struct named_test keel_tests[] = {
    { "vmx_ud: VMCALL with an unknown number returns all ones", NEEDS_KEEL,
      unknown_vmcall_returns_all_ones },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    char name[64];
    for (size_t i = 0; i < ARRAY_SIZE(ud_cases); i++) {
        snprintf(name, sizeof(name), "vmx_ud: %s raises #UD", ud_cases[i].name);
        if (test_selected(name))
            report(raises_ud(&ud_cases[i]), "%s", name);
    }
    run_tests(keel_tests, ARRAY_SIZE(keel_tests));
}
