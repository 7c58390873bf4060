/*
 * The MSRs keel emulates for guests.  EFER and PAT live in the VMCS guest
 * state (loaded and saved on every entry/exit), TSC is the host's, the MTRRs
 * are a guest-private copy (guest memory types come from EPT), the local
 * APIC's MSRs belong to its model (guest/vcpu_intr.c), the machine-check
 * MSRs say "no banks" (CPUID hides MCE/MCA, but OSes read them anyway),
 * IA32_MISC_ENABLE keeps its writable bits without acting on them, and
 * IA32_FEATURE_CONTROL says "locked, VMX off" as it would on a CPU whose
 * firmware disabled VT-x.  Anything else is #GP(0).
 */
#include "guest/msr_emul.h"

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "guest/cr.h"
#include "guest/vcpu.h"
#include "guest/vcpu_intr.h"
#include "guest/vcpu_state.h"

#define MTRR_VARIABLE_COUNT 8
#define MTRRCAP_FIXED       (1u << 8)
#define MTRRCAP_WC          (1u << 10)
#define MTRR_DEF_TYPE_VALID (0xcffu)        /* type 7:0, FE 10, E 11 */
#define PAT_VALID_TYPES     0xf3u           /* 0,1,4,5,6,7 are types; 2,3 reserved */
#define EFER_VALID          (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* IA32_MISC_ENABLE (SDM vol. 4, table 2-2): read-only "performance
 * monitoring available" (7), "BTS unavailable" (11), "PEBS unavailable" (12)
 * as keel shows them; writable fast strings (0), automatic thermal control
 * (3), EIST (16), MONITOR FSM (18), limit CPUID maxval (22), xTPR message
 * disable (23), XD disable (34).  keel stores the writable bits and gives
 * them no effect: its CPUID policy (docs/cpuid.md) decides what is shown. */
#define MISC_ENABLE_READ_ONLY  ((UINT64_C(1) << 7) | (UINT64_C(1) << 11) | (UINT64_C(1) << 12))
#define MISC_ENABLE_WRITABLE                                                                  \
    ((UINT64_C(1) << 0) | (UINT64_C(1) << 3) | (UINT64_C(1) << 16) | (UINT64_C(1) << 18) |    \
     (UINT64_C(1) << 22) | (UINT64_C(1) << 23) | (UINT64_C(1) << 34))
#define MISC_ENABLE_FAST_STRINGS (UINT64_C(1) << 0)

static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned type = (unsigned)(pat >> (i * 8)) & 0xff;
        if (type > 7 || !(PAT_VALID_TYPES & (1u << type)))
            return false;
    }
    return true;
}

static uint64_t *mtrr_slot(struct vcpu_msr_state *s, uint32_t msr)
{
    if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VARIABLE_COUNT)
        return &s->mtrr_var[msr - MSR_IA32_MTRR_PHYSBASE0];
    switch (msr) {
    case MSR_IA32_MTRR_FIX64K_00000: return &s->mtrr_fixed[0];
    case MSR_IA32_MTRR_FIX16K_80000: return &s->mtrr_fixed[1];
    case MSR_IA32_MTRR_FIX16K_A0000: return &s->mtrr_fixed[2];
    case MSR_IA32_MTRR_DEF_TYPE: return &s->mtrr_def_type;
    default:
        if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000)
            return &s->mtrr_fixed[3 + msr - MSR_IA32_MTRR_FIX4K_C0000];
        return NULL;
    }
}

bool msr_emul_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    struct vcpu_msr_state *s = vcpu_msr_state(v);
    uint64_t *slot;
    if (vcpu_lapic_owns_msr(msr))
        return vcpu_lapic_msr_read(v, msr, value);
    switch (msr) {
    case MSR_IA32_TIME_STAMP_COUNTER:
        *value = vcpu_guest_tsc(v);
        return true;
    case MSR_IA32_EFER:
        *value = vcpu_efer(v);
        return true;
    case MSR_IA32_PAT:
        *value = vcpu_pat(v);
        return true;
    case MSR_IA32_FEATURE_CONTROL:
        *value = FEATURE_CONTROL_LOCKED;
        return true;
    case MSR_IA32_MISC_ENABLE:
        *value = MISC_ENABLE_READ_ONLY | (s->misc_enable & MISC_ENABLE_WRITABLE);
        return true;
    case MSR_IA32_MCG_CAP:              /* no banks, no MCG_CTL */
    case MSR_IA32_MCG_STATUS:
        *value = 0;
        return true;
    case MSR_IA32_MTRRCAP:
        *value = MTRR_VARIABLE_COUNT | MTRRCAP_FIXED | MTRRCAP_WC;
        return true;
    case MSR_IA32_DEBUGCTL:
        *value = 0;
        return true;
    default:
        slot = mtrr_slot(s, msr);
        if (!slot)
            return false;
        *value = *slot;
        return true;
    }
}

bool msr_emul_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    struct vcpu_msr_state *s = vcpu_msr_state(v);
    uint64_t *slot;
    if (vcpu_lapic_owns_msr(msr))
        return vcpu_lapic_msr_write(v, msr, value);
    switch (msr) {
    case MSR_IA32_TIME_STAMP_COUNTER:
        /* Writing the TSC sets the guest's offset from the host's. */
        vcpu_set_tsc_offset(v, value - rdtsc());
        return true;
    case MSR_IA32_EFER:
        if (value & ~EFER_VALID)
            return false;
        return efer_write(v, value);
    case MSR_IA32_PAT:
        if (!pat_valid(value))
            return false;
        vcpu_set_pat(v, value);
        return true;
    case MSR_IA32_DEBUGCTL:
        return value == 0;
    case MSR_IA32_MISC_ENABLE:
        if ((value & ~MISC_ENABLE_WRITABLE) != MISC_ENABLE_READ_ONLY)
            return false;
        s->misc_enable = value & MISC_ENABLE_WRITABLE;
        return true;
    case MSR_IA32_MCG_STATUS:           /* writable with 0 (SDM vol. 3B 16.3.1.2) */
        return value == 0;
    case MSR_IA32_MTRR_DEF_TYPE:
        if (value & ~(uint64_t)MTRR_DEF_TYPE_VALID)
            return false;
        s->mtrr_def_type = value;
        return true;
    default:
        slot = mtrr_slot(s, msr);
        if (!slot)
            return false;
        *slot = value;
        return true;
    }
}
