/*
 * Control-register semantics, for any backend.  The backend supplies the
 * raw loads (vcpu_load_cr0/cr4/cr3, vcpu_load_efer) that also keep its own
 * view consistent (VT-x: read shadows, the IA-32e-mode-guest entry control).
 */
#include "guest/cr.h"

#include "arch/x86/msr.h"
#include "arch/x86/traps.h"
#include "guest/cpuid_policy.h"
#include "guest/vcpu.h"
#include "guest/vcpu_intr.h"
#include "guest/vcpu_state.h"

#define CR0_PE (UINT64_C(1) << 0)
#define CR0_TS (UINT64_C(1) << 3)
#define CR0_ET (UINT64_C(1) << 4)
#define CR0_NW (UINT64_C(1) << 29)
#define CR0_CD (UINT64_C(1) << 30)
#define CR0_PG (UINT64_C(1) << 31)
#define CR0_WP (UINT64_C(1) << 16)
/* Bits of CR0 that exist (SDM vol. 3A 2.5): PE MP EM TS ET NE WP AM NW CD PG. */
#define CR0_DEFINED 0xe005003fu
#define CR4_PSE (UINT64_C(1) << 4)
#define CR4_PAE (UINT64_C(1) << 5)
#define CR4_PGE (UINT64_C(1) << 7)
#define CR4_PCIDE (UINT64_C(1) << 17)
#define CR4_SMEP (UINT64_C(1) << 20)
#define CR4_SMAP (UINT64_C(1) << 21)
#define CR4_PAGING_BITS (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP)
#define CR8_TPR_MASK 0xfu

/* Each CR4 bit exists only where CPUID says its feature does (SDM vol. 3A
 * 2.5, 2.6): a guest setting a bit for a feature its CPUID hides gets #GP,
 * as on a CPU without the feature. */
struct cr4_feature {
    uint8_t bit;
    uint32_t leaf;
    uint8_t reg;                /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
    uint8_t cpuid_bit;
};

enum { REG_EBX = 1, REG_ECX = 2, REG_EDX = 3 };

static const struct cr4_feature cr4_features[] = {
    { 0, 1, REG_EDX, 1 },       /* VME: VME */
    { 1, 1, REG_EDX, 1 },       /* PVI: VME */
    { 2, 1, REG_EDX, 4 },       /* TSD: TSC */
    { 3, 1, REG_EDX, 2 },       /* DE: DE */
    { 4, 1, REG_EDX, 3 },       /* PSE: PSE */
    { 5, 1, REG_EDX, 6 },       /* PAE: PAE */
    { 6, 1, REG_EDX, 7 },       /* MCE: MCE */
    { 7, 1, REG_EDX, 13 },      /* PGE: PGE */
    { 9, 1, REG_EDX, 24 },      /* OSFXSR: FXSR */
    { 10, 1, REG_EDX, 25 },     /* OSXMMEXCPT: SSE */
    { 11, 7, REG_ECX, 2 },      /* UMIP */
    { 12, 7, REG_ECX, 16 },     /* LA57 */
    { 13, 1, REG_ECX, 5 },      /* VMXE: VMX */
    { 14, 1, REG_ECX, 6 },      /* SMXE: SMX */
    { 16, 7, REG_EBX, 0 },      /* FSGSBASE */
    { 17, 1, REG_ECX, 17 },     /* PCIDE: PCID */
    { 18, 1, REG_ECX, 26 },     /* OSXSAVE: XSAVE */
    { 19, 7, REG_ECX, 23 },     /* KL */
    { 20, 7, REG_EBX, 7 },      /* SMEP */
    { 21, 7, REG_EBX, 20 },     /* SMAP */
    { 22, 7, REG_ECX, 3 },      /* PKE: PKU */
    { 23, 7, REG_ECX, 7 },      /* CET: CET_SS */
    { 24, 7, REG_ECX, 31 },     /* PKS */
};

/* PCE (bit 8) has no CPUID flag; every other bit is reserved. */
static uint64_t cr4_guest_allowed(struct vcpu *v)
{
    uint64_t allowed = UINT64_C(1) << 8;
    struct cpuid_result leaf1, leaf7;
    vcpu_cpuid(v, 1, 0, &leaf1);
    vcpu_cpuid(v, 7, 0, &leaf7);
    for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
        const struct cr4_feature *f = &cr4_features[i];
        const struct cpuid_result *r = f->leaf == 1 ? &leaf1 : &leaf7;
        uint32_t word = f->reg == REG_EBX ? r->ebx : f->reg == REG_ECX ? r->ecx : r->edx;
        if (word & (UINT32_C(1) << f->cpuid_bit))
            allowed |= UINT64_C(1) << f->bit;
    }
    return allowed & vcpu_cr4_allowed(v);
}

static bool inject_gp(struct vcpu *v)
{
    vcpu_inject_exception(v, EXC_GP, true, 0);
    return false;
}

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

static bool cr0_write(struct vcpu *v, uint64_t value)
{
    uint64_t old = vcpu_cr0(v), cr4 = vcpu_cr4(v), efer = vcpu_efer(v);
    if (value >> 32)
        return inject_gp(v);
    /* Writes to undefined bits of CR0[31:0] are ignored, not faulted; ET
     * is hardwired to 1 on the P6 family and later (SDM vol. 3A 2.5), so a
     * guest that writes it 0 reads 1 back, as it does where the CPU owns
     * the bit (EPT: keel's read shadow covers it only with shadow paging). */
    value = (value & CR0_DEFINED) | (old & ~(uint64_t)CR0_DEFINED & 0xffffffffu) | CR0_ET;
    if ((value & CR0_PG) && !(value & CR0_PE))
        return inject_gp(v);
    if ((value & CR0_NW) && !(value & CR0_CD))
        return inject_gp(v);

    bool paging_on = (value & CR0_PG) && !(old & CR0_PG);
    bool paging_off = !(value & CR0_PG) && (old & CR0_PG);
    if (paging_on && (efer & EFER_LME)) {
        /* Activating IA-32e mode needs PAE, and not from a 64-bit CS. */
        if (!(cr4 & CR4_PAE) || vcpu_mode(v) == VCPU_MODE_LONG_64)
            return inject_gp(v);
        efer |= EFER_LMA;
    }
    if (paging_off) {
        if (vcpu_mode(v) == VCPU_MODE_LONG_64)
            return inject_gp(v);
        efer &= ~EFER_LMA;
    }
    if (pae_paging(value, cr4, efer) && !vcpu_load_pdptes(v, vcpu_cr3(v)))
        return inject_gp(v);
    vcpu_load_efer(v, efer);
    vcpu_load_cr0(v, value);
    if ((value ^ old) & (CR0_PG | CR0_WP | CR0_PE))
        vcpu_flush_tlb(v);
    return true;
}

static bool cr4_write(struct vcpu *v, uint64_t value)
{
    uint64_t old = vcpu_cr4(v), cr0 = vcpu_cr0(v), efer = vcpu_efer(v);
    if (value & ~cr4_guest_allowed(v))
        return inject_gp(v);
    if ((efer & EFER_LMA) && !(value & CR4_PAE))
        return inject_gp(v);
    /* PCIDE may be turned on only in IA-32e mode with CR3[11:0] = 0 (SDM
     * vol. 2B "MOV—Move to/from Control Registers", protected-mode #GP). */
    if ((value & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        (!(efer & EFER_LMA) || (vcpu_cr3(v) & 0xfff)))
        return inject_gp(v);
    if (pae_paging(cr0, value, efer) && ((value ^ old) & (CR4_PAE | CR4_PSE | CR4_SMEP)) &&
        !vcpu_load_pdptes(v, vcpu_cr3(v)))
        return inject_gp(v);
    vcpu_load_cr4(v, value);
    if ((value ^ old) & CR4_PAGING_BITS)
        vcpu_flush_tlb(v);
    return true;
}

bool cr_write(struct vcpu *v, unsigned cr, uint64_t value)
{
    switch (cr) {
    case 0:
        return cr0_write(v, value);
    case 3:
        if (pae_paging(vcpu_cr0(v), vcpu_cr4(v), vcpu_efer(v)) && !vcpu_load_pdptes(v, value))
            return inject_gp(v);
        vcpu_load_cr3(v, value);
        return true;
    case 4:
        return cr4_write(v, value);
    case 8:
        if (value & ~(uint64_t)CR8_TPR_MASK)
            return inject_gp(v);
        vcpu_lapic_write_cr8(v, value);
        return true;
    default:
        vcpu_inject_exception(v, EXC_UD, false, 0);
        return false;
    }
}

uint64_t cr_read(struct vcpu *v, unsigned cr)
{
    switch (cr) {
    case 0: return vcpu_cr0(v);
    case 3: return vcpu_cr3(v);
    case 4: return vcpu_cr4(v);
    default: return vcpu_lapic_read_cr8(v);
    }
}

bool efer_write(struct vcpu *v, uint64_t value)
{
    uint64_t old = vcpu_efer(v);
    if ((value ^ old) & EFER_LME) {
        if (vcpu_cr0(v) & CR0_PG)
            return false;
    }
    /* LMA is read-only: keep the CPU's. */
    value = (value & ~EFER_LMA) | (old & EFER_LMA);
    vcpu_load_efer(v, value);
    return true;
}
