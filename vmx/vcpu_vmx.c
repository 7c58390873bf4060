/*
 * Running a vCPU under VT-x, and the guest-state accessors generic code uses
 * (guest/vcpu.h).
 */
#include "vmx/vcpu_vmx.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/fpu.h"
#include "arch/x86/msr.h"
#include "guest/event_combine.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/entry_failure.h"
#include "vmx/exit_qual.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_ops.h"
#include "guest/shadow_mmu.h"
#include "guest/vcpu_state.h"
#include "guest/pc_machine.h"
#include "guest/vcpu_intr.h"
#include "arch/x86/traps.h"
#include "vmx/vmx_caps.h"

_Static_assert(offsetof(struct vcpu, regs) == 16, "vmx/entry.asm VCPU_REGS");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_RAX]) == 0, "vmx/entry.asm REG_RAX");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_RBX]) == 24, "vmx/entry.asm REG_RBX");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_RDI]) == 56, "vmx/entry.asm REG_RDI");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_R15]) == 120, "vmx/entry.asm REG_R15");


#define RFLAGS_VM (UINT64_C(1) << 17)
#define CR4_OSXSAVE (UINT64_C(1) << 18)
#define CR0_PG (UINT64_C(1) << 31)
#define RFLAGS_IF (UINT64_C(1) << 9)
#define RFLAGS_RF (UINT64_C(1) << 16)
#define RFLAGS_TF (UINT64_C(1) << 8)
/* IA32_DEBUGCTL.BTF: TF traps on branches only (SDM vol. 3B 18.4.1). */
#define DEBUGCTL_BTF (UINT64_C(1) << 1)
#define AR_DPL(ar)  (((ar) >> 5) & 3)
#define AR_L        (1u << 13)
#define AR_DB       (1u << 14)

static struct vcpu *current_vcpu;

/* IA32_TSC_AUX exists where CPUID.80000001H:EDX.RDTSCP[27] or
 * CPUID.(EAX=7,ECX=0):ECX.RDPID[22] says so (SDM vol. 4, table 2-2);
 * elsewhere RDMSR/WRMSR of it would #GP in keel itself. */
#define CPUID_80000001_EDX_RDTSCP (1u << 27)
#define CPUID_7_ECX_RDPID         (1u << 22)

static bool host_has_tsc_aux(void)
{
    static int known = -1;
    if (known < 0) {
        bool rdtscp = cpuid(0x80000000u, 0).eax >= 0x80000001u &&
                      (cpuid(0x80000001u, 0).edx & CPUID_80000001_EDX_RDTSCP);
        bool rdpid = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & CPUID_7_ECX_RDPID);
        known = rdtscp || rdpid;
    }
    return known;
}

static void save_unswitched_state(struct guest_unswitched_state *m)
{
    m->star = rdmsr(MSR_IA32_STAR);
    m->lstar = rdmsr(MSR_IA32_LSTAR);
    m->cstar = rdmsr(MSR_IA32_CSTAR);
    m->fmask = rdmsr(MSR_IA32_FMASK);
    m->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    if (host_has_tsc_aux())
        m->tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
    m->cr2 = read_cr2();
    m->dr0 = read_dr0();
    m->dr1 = read_dr1();
    m->dr2 = read_dr2();
    m->dr3 = read_dr3();
    m->dr6 = read_dr6();
}

static void load_unswitched_state(const struct guest_unswitched_state *m)
{
    wrmsr(MSR_IA32_STAR, m->star);
    wrmsr(MSR_IA32_LSTAR, m->lstar);
    wrmsr(MSR_IA32_CSTAR, m->cstar);
    wrmsr(MSR_IA32_FMASK, m->fmask);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, m->kernel_gs_base);
    if (host_has_tsc_aux())
        wrmsr(MSR_IA32_TSC_AUX, m->tsc_aux);
    write_cr2(m->cr2);
    write_dr0(m->dr0);
    write_dr1(m->dr1);
    write_dr2(m->dr2);
    write_dr3(m->dr3);
    write_dr6(m->dr6);
}

/* Makes v's VMCS the current one (VMPTRLD) even if keel thinks it already
 * is: after VMCLEAR it is not, whatever current_vcpu says. */
void vmx_vcpu_load(struct vcpu *v)
{
    struct vcpu_vmx *out = current_vcpu && current_vcpu != v ? to_vmx(current_vcpu) : NULL;
    if (out)
        save_unswitched_state(&out->unswitched);
    vmcs_load(to_vmx(v)->vmcs_phys);
    if (current_vcpu != v) {
        struct vcpu_vmx *in = to_vmx(v);
        load_unswitched_state(&in->unswitched);
        /* Neither the x87/SSE/AVX registers nor XCR0 are switched by VM
         * entry and exit (SDM vol. 3C 27.3, 28.5). */
        fpu_switch(out ? out->fpu_area : NULL, in->fpu_area, in->xcr0);
    }
    current_vcpu = v;
}

/* v's state on the CPU is to be dropped, not saved (a reset): the next
 * vmx_vcpu_load() loads all of it from v's fields. */
void vmx_vcpu_forget(struct vcpu *v)
{
    if (current_vcpu == v)
        current_vcpu = NULL;
}

void vmx_vcpu_activate(struct vcpu *v)
{
    if (current_vcpu != v)
        vmx_vcpu_load(v);
}

uint64_t vcpu_gpr(struct vcpu *v, enum x86_gpr r)
{
    return r == GPR_RSP ? vmcs_read(GUEST_RSP) : v->regs.gpr[r];
}

void vcpu_set_gpr(struct vcpu *v, enum x86_gpr r, uint64_t value)
{
    if (r == GPR_RSP)
        vmcs_write(GUEST_RSP, value);
    else
        v->regs.gpr[r] = value;
}

/* RIP is read once per exit (vmx_exit_begin) and kept in step with every write. */
uint64_t vcpu_rip(struct vcpu *v)
{
    return v->rip;
}

uint64_t vcpu_rflags(struct vcpu *v)
{
    (void)v;
    return vmcs_read(GUEST_RFLAGS);
}

void vcpu_set_rflags(struct vcpu *v, uint64_t rflags)
{
    (void)v;
    vmcs_write(GUEST_RFLAGS, rflags);
}

/* Guest-visible CR0/CR4: bits keel owns come from the read shadow, the rest
 * from the value the CPU runs with (SDM vol. 3C 25.6.6). */
uint64_t vcpu_cr0(struct vcpu *v)
{
    uint64_t mask = to_vmx(v)->cr0_mask;
    return (vmcs_read(GUEST_CR0) & ~mask) | (vmcs_read(CR0_READ_SHADOW) & mask);
}

uint64_t vcpu_cr4(struct vcpu *v)
{
    uint64_t mask = to_vmx(v)->cr4_mask;
    return (vmcs_read(GUEST_CR4) & ~mask) | (vmcs_read(CR4_READ_SHADOW) & mask);
}

uint64_t vcpu_cr3(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    return x->shadow_paging ? x->guest_cr3 : vmcs_read(GUEST_CR3);
}

uint64_t vcpu_efer(struct vcpu *v)
{
    return to_vmx(v)->guest_efer;
}

uint64_t vcpu_seg_base(struct vcpu *v, enum x86_seg seg)
{
    (void)v;
    return vmcs_read((enum vmcs_field)(GUEST_ES_BASE + 2 * seg));
}

unsigned vcpu_cpl(struct vcpu *v)
{
    (void)v;
    return AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

void vcpu_gdtr(struct vcpu *v, uint64_t *base, uint32_t *limit)
{
    (void)v;
    *base = vmcs_read(GUEST_GDTR_BASE);
    *limit = vmcs_read32(GUEST_GDTR_LIMIT);
}

void vcpu_set_tr(struct vcpu *v, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar)
{
    (void)v;
    vmcs_write(GUEST_TR_SELECTOR, selector);
    vmcs_write(GUEST_TR_BASE, base);
    vmcs_write(GUEST_TR_LIMIT, limit);
    vmcs_write(GUEST_TR_AR_BYTES, ar);
}

/* The guest-state fields of ES..GS are numbered in enum x86_seg order, two
 * encodings apart (SDM vol. 3C appendix B). */
static enum vmcs_field seg_field(enum vmcs_field es_field, enum x86_seg seg)
{
    return (enum vmcs_field)(es_field + 2 * seg);
}

void vcpu_segment(struct vcpu *v, enum x86_seg seg, struct x86_segment *s)
{
    (void)v;
    s->selector = (uint16_t)vmcs_read(seg_field(GUEST_ES_SELECTOR, seg));
    s->base = vmcs_read(seg_field(GUEST_ES_BASE, seg));
    s->limit = vmcs_read32(seg_field(GUEST_ES_LIMIT, seg));
    s->ar = vmcs_read32(seg_field(GUEST_ES_AR_BYTES, seg));
}

void vcpu_ldtr(struct vcpu *v, struct x86_segment *s)
{
    (void)v;
    s->selector = (uint16_t)vmcs_read(GUEST_LDTR_SELECTOR);
    s->base = vmcs_read(GUEST_LDTR_BASE);
    s->limit = vmcs_read32(GUEST_LDTR_LIMIT);
    s->ar = vmcs_read32(GUEST_LDTR_AR_BYTES);
}

void vcpu_set_segment(struct vcpu *v, enum x86_seg seg, const struct x86_segment *s)
{
    (void)v;
    vmcs_write(seg_field(GUEST_ES_SELECTOR, seg), s->selector);
    vmcs_write(seg_field(GUEST_ES_BASE, seg), s->base);
    vmcs_write(seg_field(GUEST_ES_LIMIT, seg), s->limit);
    vmcs_write(seg_field(GUEST_ES_AR_BYTES, seg), s->ar);
}

/*
 * Blocking by MOV SS in the interruptibility state (SDM vol. 3C 25.4.2);
 * STI blocking cannot be set with it (26.3.1.5).  With RFLAGS.TF = 1 the
 * single-step trap of the MOV SS is held back with the blocking, so VM
 * entry wants it pending: BS = 1 unless IA32_DEBUGCTL.BTF makes TF a
 * branch trap (26.3.1.5, "pending debug exceptions").
 */
void vcpu_block_by_mov_ss(struct vcpu *v)
{
    (void)v;
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
               (intr & ~INTERRUPTIBILITY_STI) | INTERRUPTIBILITY_MOV_SS);
    uint64_t pending = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS) & ~PENDING_DBG_BS;
    if ((vmcs_read(GUEST_RFLAGS) & RFLAGS_TF) && !(vmcs_read(GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF))
        pending |= PENDING_DBG_BS;
    vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, pending);
}

unsigned vcpu_stack_addr_size(struct vcpu *v)
{
    (void)v;
    return vmcs_read32(GUEST_SS_AR_BYTES) & AR_DB ? 4 : 2;
}

/* The mode from CR0.PE, EFER.LMA and CS.L/D (SDM vol. 3A 2.2). */
static enum vcpu_mode mode_of(uint64_t cr0, uint64_t efer, uint32_t cs_ar)
{
    if (!(cr0 & 1))
        return VCPU_MODE_REAL;
    if (efer & EFER_LMA) {
        if (cs_ar & AR_L)
            return VCPU_MODE_LONG_64;
        return cs_ar & AR_DB ? VCPU_MODE_COMPAT_32 : VCPU_MODE_COMPAT_16;
    }
    return cs_ar & AR_DB ? VCPU_MODE_PROTECTED_32 : VCPU_MODE_PROTECTED_16;
}

enum vcpu_mode vcpu_mode(struct vcpu *v)
{
    return mode_of(vcpu_cr0(v), vcpu_efer(v), vmcs_read32(GUEST_CS_AR_BYTES));
}

void vcpu_code_position(struct vcpu *v, struct vcpu_code_position *out)
{
    out->cr0 = vcpu_cr0(v);
    out->mode = mode_of(out->cr0, vcpu_efer(v), vmcs_read32(GUEST_CS_AR_BYTES));
    out->cs_base = vmcs_read(GUEST_CS_BASE);
    out->rip = v->rip;
}

void vcpu_skip_instruction(struct vcpu *v)
{
    vmx_instruction_done(v);
}

enum exit_action vmx_clear_blocking(uint32_t interruptibility)
{
    vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
               interruptibility & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
    return EXIT_RESUME;
}

uint64_t vmx_wrap_rip(struct vcpu *v, uint64_t rip)
{
    return vcpu_mode(v) == VCPU_MODE_LONG_64 ? rip : (uint32_t)rip;
}

enum exit_action vmx_instruction_done_carried(struct vcpu *v, uint64_t rip)
{
    vcpu_set_rip(v, rip);
    return EXIT_RESUME;
}

void vcpu_set_rip(struct vcpu *v, uint64_t rip)
{
    rip = vmx_next_rip(v, rip);
    v->rip = rip;
    vmcs_write(GUEST_RIP, rip);
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmx_clear_blocking(intr);
}

void vcpu_set_cr2(struct vcpu *v, uint64_t cr2)
{
    to_vmx(v)->unswitched.cr2 = cr2;
    write_cr2(cr2);
}

/* Exceptions of the fault class (SDM vol. 3A 6.5, table 6-1) restart the
 * instruction, so a CPU delivering one pushes RFLAGS with RF set (vol. 3A
 * 17.3.1.1): keel's injected faults must look the same. */
static bool exception_is_fault(uint8_t vector)
{
    switch (vector) {
    case EXC_DB: case EXC_NMI: case EXC_BP: case EXC_OF: case EXC_DF: case EXC_MC:
        return false;
    default:
        return vector < 32;
    }
}

/* An exit that interrupted an event's delivery left that event in
 * v->pending_event (vmx_remember_interrupted_event()); an exception keel
 * raises in such an exit arose during that delivery, and the two combine as
 * on a CPU (guest/event_combine.c): the new exception, a double fault, or
 * a triple fault, which ends the guest as one the CPU reported would. */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    if (v->pending_event.valid) {
        switch (event_combine(&v->pending_event, vector)) {
        case EVENT_TRIPLE_FAULT:
            v->pending_event.valid = false;
            vmx_exit_triple_fault(v);
            return;
        case EVENT_DOUBLE_FAULT:
            vector = EXC_DF;
            has_error = true;
            error = 0;
            break;
        case EVENT_DELIVER_SECOND:
            break;
        }
    }
    if (exception_is_fault(vector))
        vcpu_set_rflags(v, vcpu_rflags(v) | RFLAGS_RF);
    v->pending_event = (struct x86_event){
        .valid = true,
        .type = EVENT_HARDWARE_EXCEPTION,
        .vector = vector,
        .has_error_code = has_error,
        .error_code = error,
    };
    v->intr_check = true;       /* the exit path's one test for events */
}

/* ---- Raw loads for guest/cr.c (guest/vcpu_state.h) ---- */

uint64_t vcpu_tsc_offset(struct vcpu *v)
{
    return v->tsc_offset;
}

void vcpu_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
    v->tsc_offset = offset;
    vmcs_write(TSC_OFFSET, offset);
    /* A TSC deadline is a guest TSC value: it moved with the TSC. */
    pc_timers_touched(v->vm);
}

uint64_t vcpu_pat(struct vcpu *v)
{
    return to_vmx(v)->guest_pat;
}

void vcpu_set_pat(struct vcpu *v, uint64_t pat)
{
    to_vmx(v)->guest_pat = pat;
    vmx_set_guest_pat(to_vmx(v), pat);
}

/* The CPU's EFER under shadow paging: the guest's, except that LME waits
 * for the guest's CR0.PG, since the CPU itself always pages (a CPU with
 * EFER.LME = 1 and CR0.PG = 1 is in IA-32e mode). */
static void shadow_load_real_efer(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    uint64_t efer = x->guest_efer;
    if (!(vmcs_read(CR0_READ_SHADOW) & CR0_PG))
        efer &= ~(EFER_LME | EFER_LMA);
    vmx_set_guest_efer(x, efer);
    if (efer & EFER_LMA)
        vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE_GUEST);
    else
        vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE_GUEST);
}

void vcpu_load_cr0(struct vcpu *v, uint64_t cr0)
{
    struct vcpu_vmx *x = to_vmx(v);
    vmcs_write(CR0_READ_SHADOW, cr0);
    vmcs_write(GUEST_CR0, vmx_cr0_real(x, cr0));
    if (!x->shadow_paging)
        return;
    shadow_load_real_efer(v);
    /* Without unrestricted guest the CPU cannot run real mode (SDM vol. 3C
     * 26.3.1.1), and keel does not emulate it. */
    if (!(cr0 & 1))
        vm_stop(v->vm, VM_STOP_UNHANDLED, 0,
                "the guest cleared CR0.PE: real mode needs unrestricted guest (EPT)");
}

void vcpu_load_cr4(struct vcpu *v, uint64_t cr4)
{
    vmcs_write(CR4_READ_SHADOW, cr4);
    vmcs_write(GUEST_CR4, vmx_cr4_real(to_vmx(v), cr4));
}

/* A CR3 load is a TLB flush of non-global entries: with shadow paging, the
 * shadow for the new CR3 is chosen and its non-global entries dropped. */
void vcpu_load_cr3(struct vcpu *v, uint64_t cr3)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (!x->shadow_paging) {
        vmcs_write(GUEST_CR3, cr3);
        return;
    }
    x->guest_cr3 = cr3;
    vmcs_write(GUEST_CR3, shadow_activate(v, true));
}

/* The IA-32e-mode-guest entry control must equal EFER.LMA at every entry
 * (SDM vol. 3C 26.3.1.1), so it follows every EFER change. */
void vcpu_load_efer(struct vcpu *v, uint64_t efer)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (x->shadow_paging) {
        bool nxe_changed = (x->guest_efer ^ efer) & EFER_NXE;
        x->guest_efer = efer;
        shadow_load_real_efer(v);
        if (nxe_changed)
            vcpu_flush_tlb(v);
        return;
    }
    x->guest_efer = efer;
    vmx_set_guest_efer(x, efer);
    if (efer & EFER_LMA)
        vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE_GUEST);
    else
        vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE_GUEST);
}

/* With EPT, VM entry takes PAE PDPTEs from the VMCS, not from memory
 * (SDM vol. 3C 26.3.2.4): keel reads them where a CPU would, at CR3
 * (bits 31:5), when the guest enters PAE paging or loads CR3 in it. */
#define PDPTE_PRESENT 1u
#define PDPTE_RESERVED UINT64_C(0xfff00000000001e6)   /* bits 2:1, 8:5, 63:MAXPHYADDR (52) */

bool vcpu_load_pdptes(struct vcpu *v, uint64_t cr3)
{
    uint64_t pdpte[4];
    if (!vm_ram_read(v->vm, cr3 & 0xffffffe0u, pdpte, sizeof(pdpte)))
        return false;
    for (int i = 0; i < 4; i++)
        if ((pdpte[i] & PDPTE_PRESENT) && (pdpte[i] & PDPTE_RESERVED))
            return false;
    if (vmx_policy.ept)
        for (int i = 0; i < 4; i++)
            vmcs_write((enum vmcs_field)(GUEST_PDPTE0 + 2 * i), pdpte[i]);
    return true;
}

uint64_t vcpu_cr4_allowed(struct vcpu *v)
{
    /* What VMX operation allows, less VMXE and SMXE: keel hides VMX and SMX
     * from guests, so setting those bits faults as on a CPU without them. */
    return to_vmx(v)->cr4_fixed1 & ~((UINT64_C(1) << 13) | (UINT64_C(1) << 14));
}

void vcpu_flush_hw_tlb(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    /* Without VPID every VM entry and exit flushes the TLB anyway (SDM vol.
     * 3C 29.4.3.1). */
    if (vmx_policy.vpid)
        invvpid(INVVPID_SINGLE_CONTEXT, x->vpid, 0);
}

void vcpu_flush_tlb(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (x->shadow_paging) {
        shadow_flush_all(v);
        vmcs_write(GUEST_CR3, shadow_activate(v, false));
        return;
    }
    vcpu_flush_hw_tlb(v);
}
