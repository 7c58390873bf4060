#include "lib/keel.h"
#include "lib/x86.h"

static bool keel_probed;
static bool keel_present;

static bool probe_keel(void)
{
    if (!(cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_HYPERVISOR))
        return false;
    return cpuid(KEEL_CPUID_LEAF_SIGNATURE).ebx == KEEL_SIGNATURE_EBX;
}

bool is_keel(void)
{
    if (!keel_probed) {
        keel_present = probe_keel();
        keel_probed = true;
    }
    return keel_present;
}

struct hypercall_result keel_hypercall(uint32_t nr, uint32_t ebx, uint32_t ecx)
{
    struct hypercall_result r = { .eax = nr, .ebx = ebx };
    /* "memory": the print hypercall reads guest memory the compiler must
     * have written out first, and the exit-cost one writes memory the
     * compiler must read afresh. */
    __asm__ __volatile__("vmcall"
                         : "+a"(r.eax), "+b"(r.ebx), "+c"(ecx)
                         :
                         : "memory");
    return r;
}

uint32_t keel_version(uint32_t *signature)
{
    struct hypercall_result r = keel_hypercall(KEEL_HC_VERSION, 0, 0);
    if (signature)
        *signature = r.ebx;
    return r.eax;
}

uint32_t keel_print(const void *bytes, uint32_t length)
{
    return keel_hypercall(KEEL_HC_PRINT, (uint32_t)(uintptr_t)bytes, length).eax;
}

uint32_t keel_exit_count(uint32_t basic_exit_reason)
{
    return keel_hypercall(KEEL_HC_EXIT_COUNT, basic_exit_reason, 0).eax;
}

uint32_t keel_exit_cost(uint32_t basic_exit_reason, struct keel_exit_cost *out)
{
    return keel_hypercall(KEEL_HC_EXIT_COST, basic_exit_reason, (uint32_t)(uintptr_t)out).eax;
}

uint32_t keel_reset_exit_stats(void)
{
    return keel_hypercall(KEEL_HC_RESET_STATS, 0, 0).eax;
}

uint32_t keel_kvm_send_ipi(uint32_t bitmap_low, uint32_t bitmap_high, uint32_t min_apic_id,
                           uint32_t icr_low)
{
    uint32_t eax = KEEL_HC_KVM_SEND_IPI;
    __asm__ __volatile__("vmcall"
                         : "+a"(eax)
                         : "b"(bitmap_low), "c"(bitmap_high), "d"(min_apic_id), "S"(icr_low)
                         : "memory");
    return eax;
}
