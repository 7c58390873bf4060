#include "lib/paging_arch.h"
#include "lib/paging_cpu.h"
#include "lib/x86.h"

/* Without CPUID.80000008H the SDM says MAXPHYADDR is 36 if PAE exists (and
 * 32 otherwise, where nothing here asks). */
#define DEFAULT_MAXPHYADDR 36u

static bool leaf1_edx(uint32_t bit)
{
    return cpuid(CPUID_LEAF_FEATURES).edx & bit;
}

static bool extended_leaf_exists(uint32_t leaf)
{
    return cpuid(CPUID_LEAF_EXTENDED_MAX).eax >= leaf;
}

static bool extended_edx(uint32_t bit)
{
    if (!extended_leaf_exists(CPUID_LEAF_EXTENDED_FEATURES))
        return false;
    return cpuid(CPUID_LEAF_EXTENDED_FEATURES).edx & bit;
}

bool cpu_has_pse(void)
{
    return leaf1_edx(CPUID_1_EDX_PSE);
}

bool cpu_has_pae(void)
{
    return leaf1_edx(CPUID_1_EDX_PAE);
}

bool cpu_has_pge(void)
{
    return leaf1_edx(CPUID_1_EDX_PGE);
}

bool cpu_has_nx(void)
{
    return extended_edx(CPUID_80000001_EDX_NX);
}

bool cpu_has_1g_pages(void)
{
    return extended_edx(CPUID_80000001_EDX_PAGE1GB);
}

bool cpu_has_long_mode(void)
{
    return extended_edx(CPUID_80000001_EDX_LM);
}

bool cpu_has_smep(void)
{
    return cpuid_leaf7().ebx & CPUID_7_EBX_SMEP;
}

bool cpu_has_smap(void)
{
    return cpuid_leaf7().ebx & CPUID_7_EBX_SMAP;
}

unsigned cpu_maxphyaddr(void)
{
    if (!extended_leaf_exists(CPUID_LEAF_ADDRESS_SIZES))
        return DEFAULT_MAXPHYADDR;
    return cpuid(CPUID_LEAF_ADDRESS_SIZES).eax & CPUID_80000008_EAX_MAXPHYADDR;
}

uint32_t efer_read(void)
{
    return (uint32_t)rdmsr(MSR_IA32_EFER);
}

void efer_set(uint32_t bits)
{
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | bits);
}

void efer_clear(uint32_t bits)
{
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~(uint64_t)bits);
}
