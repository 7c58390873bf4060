/*
 * Guest linear → guest-physical translation for emulation (string I/O,
 * instruction fetch for MMIO), through the guest's own page tables with the
 * one walker keel has (mm/pt_walk.c).  Faults become the #PF a CPU would
 * raise (SDM vol. 3A 5.7): CR2 and the error code.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/traps.h"
#include "guest/cpuid_policy.h"
#include "guest/vcpu.h"
#include "mm/pt_walk.h"

#define CR0_PG (UINT64_C(1) << 31)
#define CR0_WP (UINT64_C(1) << 16)
#define CR4_PSE (UINT64_C(1) << 4)
#define CR4_PAE (UINT64_C(1) << 5)
#define CR4_SMEP (UINT64_C(1) << 20)
#define CR4_SMAP (UINT64_C(1) << 21)
#define RFLAGS_AC (UINT64_C(1) << 18)
#define CPUID_EXT_PAGE1GB (1u << 26)

static int read_guest_entry(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
    *value = 0;
    return vm_ram_read(ctx, phys, value, size) ? 0 : -1;
}

/* Accessed/dirty updates are atomic, as the CPU's own (SDM vol. 3A 5.8). */
static int cmpxchg_guest_entry(void *ctx, uint64_t phys, uint64_t old, uint64_t new_value,
                               unsigned size)
{
    void *p = vm_ram_ptr(ctx, phys, size);
    if (!p)
        return -1;
    bool ok = size == 8 ? __atomic_compare_exchange_n((uint64_t *)p, &old, new_value, false,
                                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
                        : __atomic_compare_exchange_n((uint32_t *)p, &(uint32_t){ (uint32_t)old },
                                                      (uint32_t)new_value, false,
                                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return ok ? 0 : PT_MEM_CHANGED;
}

static const struct pt_mem_ops guest_ram_ops = {
    .read_entry = read_guest_entry,
    .cmpxchg_entry = cmpxchg_guest_entry,
};

/* 1 GiB pages exist for the guest only if its CPUID says so (keel hides
 * them under shadow paging): asked once per vCPU. */
static bool guest_has_1g_pages(struct vcpu *v)
{
    if (!v->paging_caps_known) {
        struct cpuid_result r;
        vcpu_cpuid(v, 0x80000001, 0, &r);
        v->page_1g = r.edx & CPUID_EXT_PAGE1GB;
        v->paging_caps_known = true;
    }
    return v->page_1g;
}

static uint8_t max_phys_addr_bits(void)
{
    uint8_t bits = (uint8_t)cpuid(0x80000008, 0).eax;
    return bits >= 32 && bits <= 52 ? bits : 36;
}

int vcpu_walk(struct vcpu *v, uint64_t gla, enum pt_access_type type, unsigned cpl,
              struct pt_walk_result *res)
{
    uint64_t cr0 = vcpu_cr0(v);
    uint64_t cr4 = vcpu_cr4(v), efer = vcpu_efer(v);
    struct pt_access acc = {
        .type = type,
        .cpl = (uint8_t)cpl,
        .cr0_wp = cr0 & CR0_WP,
        .cr4_smep = cr4 & CR4_SMEP,
        .cr4_smap = cr4 & CR4_SMAP,
        .rflags_ac = vcpu_rflags(v) & RFLAGS_AC,
        .efer_nxe = efer & EFER_NXE,
        .page_1g = guest_has_1g_pages(v),
        .maxphyaddr = max_phys_addr_bits(),
        .set_ad = true,
    };
    const struct pt_format *fmt =
        pt_format_for_paging_mode(cr4 & CR4_PAE, cr4 & CR4_PSE, efer & EFER_LMA);
    return pt_walk(fmt, vcpu_cr3(v), gla, &acc, &guest_ram_ops, v->vm, res);
}

bool vcpu_translate(struct vcpu *v, uint64_t gla, bool write, bool fetch, uint64_t *gpa)
{
    if (!(vcpu_cr0(v) & CR0_PG)) {
        *gpa = gla & 0xffffffffu;
        return true;
    }
    struct pt_walk_result res;
    enum pt_access_type type = fetch ? PT_ACCESS_FETCH : write ? PT_ACCESS_WRITE : PT_ACCESS_READ;
    int st = vcpu_walk(v, gla, type, vcpu_cpl(v), &res);
    if (st == PT_WALK_OK) {
        *gpa = res.phys;
        return true;
    }
    if (st == PT_WALK_FAULT) {
        vcpu_set_cr2(v, gla);
        vcpu_inject_exception(v, EXC_PF, true, res.error_code);
        return false;
    }
    vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0,
            "guest page tables for %lx lie outside RAM (entry at %lx)", gla, res.bad_entry_addr);
    return false;
}
