/*
 * A VM's EPT: built from its guest-physical map (vmx/ept.c) with table pages
 * from keel's frame allocator, memory types from the host's MTRRs.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "guest/vm_table.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/mtrr.h"
#include "mm/paging.h"
#include "vmx/apicv.h"
#include "vmx/ept.h"
#include "vmx/vmx.h"
#include "vmx/vmx_ops.h"

#define CPUID_1_EDX_MTRR (1u << 12)

static struct mtrr_state host_mtrrs;
static bool host_mtrrs_read;

/* The host's MTRRs, read once.  A CPU without MTRRs caches everything
 * write-back as far as keel is concerned. */
static const struct mtrr_state *read_host_mtrrs(void)
{
    if (host_mtrrs_read)
        return &host_mtrrs;
    host_mtrrs_read = true;
    uint8_t maxphy = (uint8_t)cpuid(0x80000008, 0).eax;
    host_mtrrs.maxphyaddr = maxphy >= 36 && maxphy <= 52 ? maxphy : 36;
    if (!(cpuid(1, 0).edx & CPUID_1_EDX_MTRR)) {
        host_mtrrs.def_type = MTRR_DEF_TYPE_E | MEMORY_TYPE_WB;
        return &host_mtrrs;
    }
    host_mtrrs.cap = rdmsr(MSR_IA32_MTRRCAP);
    host_mtrrs.def_type = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
    for (unsigned i = 0; i < MTRR_NR_FIXED; i++)
        host_mtrrs.fixed[i] = rdmsr(mtrr_fixed_msr(i));
    for (unsigned n = 0; n < mtrr_variable_count(&host_mtrrs); n++) {
        host_mtrrs.variable[n].base = rdmsr(mtrr_physbase_msr(n));
        host_mtrrs.variable[n].mask = rdmsr(mtrr_physmask_msr(n));
    }
    return &host_mtrrs;
}

static bool ept_alloc_table(void *ctx, void **virt, uint64_t *phys)
{
    (void)ctx;
    *phys = frame_alloc();
    *virt = phys_to_virt(*phys);
    return true;
}

static void ept_free_table(void *ctx, void *virt, uint64_t phys)
{
    (void)ctx, (void)virt;
    frame_free(phys);
}

static void *ept_table_virt(void *ctx, uint64_t phys)
{
    (void)ctx;
    return phys_to_virt(phys);
}

static const struct ept_alloc_ops ept_frames = {
    .alloc_table = ept_alloc_table,
    .free_table = ept_free_table,
    .table_virt = ept_table_virt,
};

int vm_arch_build_address_space(struct vm *vm)
{
    if (!vmx_policy.ept) {
        vm->eptp = 0;           /* shadow paging (guest/shadow_mmu.c) */
        return 0;
    }
    uint64_t pml4;
    int st = ept_build(&vm->gpa_map, read_host_mtrrs(), &ept_frames, NULL, &pml4);
    if (st != EPT_OK) {
        ksnprintf(vm->stop_detail, sizeof(vm->stop_detail), "building its EPT failed (%d)", st);
        return -1;
    }
    vm->eptp = ept_pointer(pml4, false);
    return 0;
}

/* After changing entries the CPU may have cached (SDM vol. 3C 29.4.3.1). */
static void invalidate_ept(const struct vm *vm)
{
    if (vmx_caps.ept_caps.invept_single)
        invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
    else
        invept(INVEPT_ALL_CONTEXT, 0);
}

int vmx_ept_map_page(struct vm *vm, uint64_t gpa, uint64_t hpa)
{
    int st = ept_map_range(vm->eptp & ~(uint64_t)(PAGE_SIZE - 1), gpa, hpa, PAGE_SIZE,
                           EPT_READ | EPT_WRITE, read_host_mtrrs(), &ept_frames, NULL);
    invalidate_ept(vm);
    return st;
}

int vmx_ept_unmap_page(struct vm *vm, uint64_t gpa)
{
    int st = ept_unmap(vm->eptp & ~(uint64_t)(PAGE_SIZE - 1), gpa, PAGE_SIZE, &ept_frames, NULL);
    invalidate_ept(vm);
    return st;
}
