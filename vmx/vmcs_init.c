/*
 * Setting up a vCPU's VMCS: controls computed from the capability MSRs, the
 * host state keel returns to on every exit, and the guest state a multiboot
 * guest starts in (SDM vol. 3C chapter 25 "Virtual Machine Control
 * Structures", 26.2/26.3 for what VM entry checks).
 */
#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/fpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/msr.h"
#include "arch/x86/traps.h"
#include "guest/shadow_mmu.h"
#include "guest/vcpu.h"
#include "guest/x86.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_ops.h"

#define CR0_PE (UINT64_C(1) << 0)
#define CR0_ET (UINT64_C(1) << 4)
#define CR0_NE (UINT64_C(1) << 5)
#define CR0_NW (UINT64_C(1) << 29)
#define CR0_CD (UINT64_C(1) << 30)
#define CR0_PG (UINT64_C(1) << 31)
#define CR4_VMXE (UINT64_C(1) << 13)
#define RFLAGS_FIXED1 (UINT64_C(1) << 1)
#define DR7_INIT 0x400
#define PAT_POWER_ON UINT64_C(0x0007040600070406)
#define MULTIBOOT1_GUEST_MAGIC 0x2BADB002u
/* Segment access rights as the VMCS holds them (SDM vol. 3C 25.4.1, table
 * 25-2): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16. */
#define AR_TYPE_CODE_EXEC_READ_ACCESSED 0xb
#define AR_TYPE_DATA_RW_ACCESSED        0x3
#define AR_TYPE_TSS32_BUSY              0xb
#define AR_S                            (1u << 4)
#define AR_P                            (1u << 7)
#define AR_DB                           (1u << 14)
#define AR_G                            (1u << 15)
#define AR_UNUSABLE                     (1u << 16)

/* Where a multiboot guest starts: flat 4 GiB segments in 32-bit protected
 * mode with paging off (multiboot 0.6.96, 3.2 "Machine state"). */
#define FLAT_CODE_AR (AR_TYPE_CODE_EXEC_READ_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define FLAT_DATA_AR (AR_TYPE_DATA_RW_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define FLAT_CODE_SEL 0x08
#define FLAT_DATA_SEL 0x10

/* MSRs a guest may use directly: they belong to the guest alone and keel
 * swaps them on vCPU switches (vcpu_vmx.c) or the VMCS switches them. */
static const uint32_t passthrough_msrs[] = {
    MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, MSR_IA32_KERNEL_GS_BASE, MSR_IA32_STAR,
    MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK, MSR_IA32_TSC_AUX,
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/* The control value keel runs with: what it wants, adjusted to what the CPU
 * allows; a wanted bit in `required` that the CPU cannot set is an error
 * naming the control. */
static int adjust_controls(const char *name, const struct vmx_ctl *ctl, uint32_t wanted,
                           uint32_t required, uint32_t *out)
{
    uint32_t value = vmx_ctl_adjust(ctl, wanted);
    uint32_t missing = required & ~value;
    if (missing) {
        pr_err("VT-x: this CPU cannot set %s controls 0x%x that keel needs", name, missing);
        return -1;
    }
    *out = value;
    return 0;
}

static int setup_controls(struct vcpu_vmx *x)
{
    const struct vmx_caps *c = &vmx_caps;
    uint32_t pin, proc, proc2 = 0, exit, entry;

    uint32_t need_pin = PIN_BASED_EXTERNAL_INTERRUPT_EXITING | PIN_BASED_NMI_EXITING;
    if (vmx_policy.preemption_timer)
        need_pin |= PIN_BASED_ACTIVATE_PREEMPTION_TIMER;
    /* Virtual NMIs make the CPU track the guest's NMI blocking and give
     * NMI-window exiting (SDM vol. 3C 25.3, 26.6.1.2); without them keel
     * delivers an NMI only where an interrupt could go (vmx/events.c). */
    uint32_t want_pin = need_pin | PIN_BASED_VIRTUAL_NMIS;
    if (adjust_controls("pin-based", &c->pinbased, want_pin, need_pin, &pin))
        return -1;
    x->virtual_nmis = pin & PIN_BASED_VIRTUAL_NMIS;

    uint32_t need_proc = CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS |
                         CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
    uint32_t want_proc = need_proc | CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
                         CPU_BASED_RDPMC_EXITING | CPU_BASED_USE_TSC_OFFSETTING;
    /* With the TPR shadow, MOV to and from CR8 run in the guest against
     * the virtual-APIC page (SDM vol. 3C 30.1); only a TPR drop below the
     * threshold exits.  Without it every CR8 access exits. */
    want_proc |= vmx_policy.tpr_shadow
                     ? CPU_BASED_USE_TPR_SHADOW
                     : CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING;
    if (!vmx_policy.ept)
        want_proc |= CPU_BASED_INVLPG_EXITING | CPU_BASED_CR3_LOAD_EXITING |
                     CPU_BASED_CR3_STORE_EXITING;
    if (adjust_controls("primary processor-based", &c->procbased, want_proc, need_proc, &proc))
        return -1;

    uint32_t need_proc2 = 0;
    if (vmx_policy.ept)
        need_proc2 |= SECONDARY_EXEC_ENABLE_EPT;
    if (vmx_policy.vpid)
        need_proc2 |= SECONDARY_EXEC_ENABLE_VPID;
    if (vmx_policy.unrestricted_guest)
        need_proc2 |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
    uint32_t want_proc2 = need_proc2 | SECONDARY_EXEC_WBINVD_EXITING |
                          SECONDARY_EXEC_ENABLE_RDTSCP | SECONDARY_EXEC_ENABLE_INVPCID |
                          SECONDARY_EXEC_ENABLE_XSAVES_XRSTORS;
    if (c->secondary_controls &&
        adjust_controls("secondary processor-based", &c->procbased2, want_proc2, need_proc2,
                        &proc2))
        return -1;

    /* EFER and PAT are switched by these controls where the CPU has them,
     * else through MSR-load areas (vmx/msr_switch.c). */
    uint32_t need_exit = VM_EXIT_HOST_ADDRESS_SPACE_SIZE;
    /* The host timer's interrupt must be taken by the exit itself: keel
     * never enables interrupts (SDM vol. 3C 28.2: the vector is then in
     * the exit interruption information, and the APIC awaits an EOI). */
    if (vmx_policy.host_timer)
        need_exit |= VM_EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT;
    uint32_t want_exit = need_exit | VM_EXIT_LOAD_IA32_EFER | VM_EXIT_LOAD_IA32_PAT |
                         VM_EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT;
    /* A preemption timer that keeps its count across exits need not be
     * written before every entry (vmx/run.c, arm_preemption_timer()). */
    if (vmx_policy.preemption_timer)
        want_exit |= VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE;
    if (adjust_controls("VM-exit", &c->exit, want_exit, need_exit, &exit))
        return -1;

    uint32_t want_entry = VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT;
    if (adjust_controls("VM-entry", &c->entry, want_entry, 0, &entry))
        return -1;
    entry &= ~VM_ENTRY_IA32E_MODE_GUEST;        /* the guest starts in 32-bit mode */

    vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pin);
    vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
    if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
        vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
    x->secondary_controls = proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS ? proc2 : 0;
    x->proc_controls = proc;
    vmcs_write(VM_EXIT_CONTROLS, exit);
    vmcs_write(VM_ENTRY_CONTROLS, entry);
    vmcs_write(EXCEPTION_BITMAP, 0);
    vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
    vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
    vmcs_write(CR3_TARGET_COUNT, 0);
    vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
    vmx_msr_switch_init(x, entry, exit);
    vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
    vmcs_write(IO_BITMAP_A, x->io_bitmap_a);
    vmcs_write(IO_BITMAP_B, x->io_bitmap_b);
    vmcs_write(MSR_BITMAP, x->msr_bitmap);
    if (vmx_policy.ept)
        vmcs_write(EPT_POINTER, x->eptp);
    if (vmx_policy.vpid)
        vmcs_write(VIRTUAL_PROCESSOR_ID, x->vpid);
    if (pin & PIN_BASED_ACTIVATE_PREEMPTION_TIMER)
        vmcs_write(VMX_PREEMPTION_TIMER_VALUE, VMX_TIME_SLICE_TICKS);
    x->preemption_timer_value = VMX_TIME_SLICE_TICKS;
    x->preemption_timer_saved = exit & VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE;
    return 0;
}

/* Every port exits (SDM vol. 3C 25.6.4): one bit per port, A for 0-0x7fff. */
static void setup_io_bitmaps(struct vcpu_vmx *x)
{
    x->io_bitmap_a = frame_alloc();
    x->io_bitmap_b = frame_alloc();
    memset(phys_to_virt(x->io_bitmap_a), 0xff, PAGE_SIZE);
    memset(phys_to_virt(x->io_bitmap_b), 0xff, PAGE_SIZE);
}

/* MSR bitmap layout (SDM vol. 3C 25.6.9): read-low, read-high, write-low,
 * write-high, 1 KiB each; low = 0..0x1fff, high = 0xc0000000..0xc0001fff. */
static void msr_bitmap_allow(uint8_t *bitmap, uint32_t msr)
{
    unsigned base = msr >= 0xc0000000u ? 0x400 : 0;
    unsigned bit = msr & 0x1fff;
    bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));            /* read */
    bitmap[0x800 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8));    /* write */
}

static void setup_msr_bitmap(struct vcpu_vmx *x)
{
    x->msr_bitmap = frame_alloc();
    uint8_t *bitmap = phys_to_virt(x->msr_bitmap);
    memset(bitmap, 0xff, PAGE_SIZE);
    for (size_t i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++)
        msr_bitmap_allow(bitmap, passthrough_msrs[i]);
}

static void setup_host_state(void)
{
    struct descriptor_table_ptr idtr;
    extern char vmx_exit_entry[];

    sidt(&idtr);
    vmcs_write(HOST_CR0, read_cr0());
    vmcs_write(HOST_CR3, read_cr3());
    vmcs_write(HOST_CR4, read_cr4());
    vmcs_write(HOST_CS_SELECTOR, GDT_KERNEL_CS);
    vmcs_write(HOST_SS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(HOST_DS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(HOST_ES_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(HOST_FS_SELECTOR, 0);
    vmcs_write(HOST_GS_SELECTOR, 0);
    vmcs_write(HOST_TR_SELECTOR, GDT_TSS);
    vmcs_write(HOST_FS_BASE, 0);
    vmcs_write(HOST_GS_BASE, 0);
    vmcs_write(HOST_TR_BASE, tss_base());
    vmcs_write(HOST_GDTR_BASE, gdt_base());
    vmcs_write(HOST_IDTR_BASE, idtr.base);
    vmcs_write(HOST_IA32_SYSENTER_CS, 0);
    vmcs_write(HOST_IA32_SYSENTER_ESP, 0);
    vmcs_write(HOST_IA32_SYSENTER_EIP, 0);
    vmcs_write(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
    /* HOST_RSP is written by vmx_enter on every entry. */
}

static void set_guest_segment(enum x86_seg seg, uint16_t sel, uint32_t ar)
{
    static const enum vmcs_field sel_field[NR_SEGS] = {
        GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
        GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
    };
    /* The selector, base, limit and AR fields of one segment are 2 apart
     * in each width group (SDM vol. 3D appendix B), in the same order. */
    enum vmcs_field base = (enum vmcs_field)(GUEST_ES_BASE + 2 * seg);
    enum vmcs_field limit = (enum vmcs_field)(GUEST_ES_LIMIT + 2 * seg);
    enum vmcs_field arf = (enum vmcs_field)(GUEST_ES_AR_BYTES + 2 * seg);
    vmcs_write(sel_field[seg], sel);
    vmcs_write(base, 0);
    vmcs_write(limit, 0xffffffff);
    vmcs_write(arf, ar);
}

/* Under shadow paging the CPU always pages, in protected mode, with CR0.WP
 * (so keel sees supervisor writes to read-only shadow entries) and PAE
 * (shadows are PAE or 4-level tables): guest/shadow_mmu.c. */
#define CR0_WP (UINT64_C(1) << 16)
#define CR4_PAE (UINT64_C(1) << 5)

uint64_t vmx_cr0_real(const struct vcpu_vmx *x, uint64_t guest_cr0)
{
    if (x->shadow_paging)
        guest_cr0 |= CR0_PG | CR0_PE | CR0_WP;
    return (guest_cr0 | x->cr0_fixed0) & x->cr0_fixed1;
}

uint64_t vmx_cr4_real(const struct vcpu_vmx *x, uint64_t guest_cr4)
{
    if (x->shadow_paging)
        guest_cr4 |= CR4_PAE;
    return (guest_cr4 | x->cr4_fixed0) & x->cr4_fixed1;
}

/* CR0 bits the CPU fixes in VMX operation are keel's: the guest sees its
 * own values through the read shadows (SDM vol. 3C 25.6.6).  PG is always
 * intercepted so keel can follow EFER.LMA. */
static void setup_control_registers(struct vcpu_vmx *x)
{
    x->cr0_fixed0 = vmx_caps.raw.cr0_fixed0;
    x->cr0_fixed1 = vmx_caps.raw.cr0_fixed1;
    if (vmx_policy.unrestricted_guest)
        x->cr0_fixed0 &= ~(CR0_PE | CR0_PG);     /* SDM vol. 3C 26.3.1.1 */
    x->cr4_fixed0 = vmx_caps.raw.cr4_fixed0;
    x->cr4_fixed1 = vmx_caps.raw.cr4_fixed1;

    x->cr0_mask = (x->cr0_fixed0 | ~x->cr0_fixed1 | CR0_PG | CR0_CD | CR0_NW) & 0xffffffffu;
    if (x->shadow_paging)
        x->cr0_mask = 0xffffffffu;      /* PE, PG and WP differ from the guest's */
    /* Every CR4 bit is keel's: which bits a guest may set depends on the
     * CPUID keel shows it (guest/cr.c), and CR4 writes are rare. */
    x->cr4_mask = ~UINT64_C(0);

    uint64_t cr0 = CR0_PE | CR0_ET;
    vmcs_write(CR0_GUEST_HOST_MASK, x->cr0_mask);
    vmcs_write(CR0_READ_SHADOW, cr0);
    vmcs_write(GUEST_CR0, vmx_cr0_real(x, cr0));
    vmcs_write(CR4_GUEST_HOST_MASK, x->cr4_mask);
    vmcs_write(CR4_READ_SHADOW, 0);
    vmcs_write(GUEST_CR4, vmx_cr4_real(x, 0));
    vmcs_write(GUEST_CR3, 0);
}

/* Shadow paging needs every #PF (the guest's tables decide each one: SDM
 * vol. 3C 26.2 "page-fault error-code mask/match" with mask = match = 0 and
 * bit 14 set means all of them) and every CR3 access and INVLPG (set in
 * setup_controls when EPT is off). */
static void setup_shadow_paging(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    x->guest_cr3 = 0;
    vmcs_set_bits(EXCEPTION_BITMAP, UINT64_C(1) << EXC_PF);
    vmcs_write(GUEST_CR3, shadow_activate(v, false));
}

static void setup_guest_state(struct vcpu *v, uint32_t eip)
{
    set_guest_segment(SEG_CS, FLAT_CODE_SEL, FLAT_CODE_AR);
    set_guest_segment(SEG_SS, FLAT_DATA_SEL, FLAT_DATA_AR);
    set_guest_segment(SEG_DS, FLAT_DATA_SEL, FLAT_DATA_AR);
    set_guest_segment(SEG_ES, FLAT_DATA_SEL, FLAT_DATA_AR);
    set_guest_segment(SEG_FS, FLAT_DATA_SEL, FLAT_DATA_AR);
    set_guest_segment(SEG_GS, FLAT_DATA_SEL, FLAT_DATA_AR);

    /* No TSS or LDT yet: TR must still be a usable busy TSS (SDM vol. 3C
     * 26.3.1.2), LDTR may be unusable. */
    vmcs_write(GUEST_TR_SELECTOR, 0);
    vmcs_write(GUEST_TR_BASE, 0);
    vmcs_write(GUEST_TR_LIMIT, 0xff);
    vmcs_write(GUEST_TR_AR_BYTES, AR_TYPE_TSS32_BUSY | AR_P);
    vmcs_write(GUEST_LDTR_SELECTOR, 0);
    vmcs_write(GUEST_LDTR_BASE, 0);
    vmcs_write(GUEST_LDTR_LIMIT, 0);
    vmcs_write(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
    vmcs_write(GUEST_GDTR_BASE, 0);
    vmcs_write(GUEST_GDTR_LIMIT, 0);
    vmcs_write(GUEST_IDTR_BASE, 0);
    vmcs_write(GUEST_IDTR_LIMIT, 0);

    vmcs_write(GUEST_RIP, eip);
    vmcs_write(GUEST_RSP, 0);
    vmcs_write(GUEST_RFLAGS, RFLAGS_FIXED1);
    vmcs_write(GUEST_DR7, DR7_INIT);
    vmcs_write(GUEST_IA32_DEBUGCTL, 0);
    struct vcpu_vmx *x = to_vmx(v);
    x->guest_efer = 0;
    x->guest_pat = PAT_POWER_ON;
    vmx_set_guest_efer(x, 0);
    vmx_set_guest_pat(x, PAT_POWER_ON);
    vmcs_write(GUEST_SYSENTER_CS, 0);
    vmcs_write(GUEST_SYSENTER_ESP, 0);
    vmcs_write(GUEST_SYSENTER_EIP, 0);
    vmcs_write(GUEST_ACTIVITY_STATE, 0);
    vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
    vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write(VMCS_LINK_POINTER, ~UINT64_C(0));

    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.gpr[GPR_RAX] = MULTIBOOT1_GUEST_MAGIC;
}

/* What a vCPU holds outside the VMCS, as after RESET (SDM vol. 3A 10.1.1). */
static void reset_vcpu_state(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    x->xcr0 = 1;                        /* x87 state only */
    fpu_reset_area(x->fpu_area);
    x->unswitched = (struct guest_unswitched_state){ .dr6 = DR6_RESET };
    for (unsigned i = 0; i < CPUID_CACHE_SIZE; i++)
        x->cpuid_cache[i].kind = CPUID_ENTRY_EMPTY;
    v->pending_event.valid = false;
    v->turn_end = 0;                    /* prepare the first entry in full */
    v->msr = (struct vcpu_msr_state){ .misc_enable = UINT64_C(1) };     /* fast strings */
}

/* testbreak=: one deliberately invalid field (SDM vol. 3C 26.3.1), so the
 * VM-entry failure explainer has something to explain. */
static void apply_testbreak(enum vm_testbreak what)
{
    switch (what) {
    case VM_TESTBREAK_RFLAGS:
        vmcs_write(GUEST_RFLAGS, 0);
        break;
    case VM_TESTBREAK_CS:
        vmcs_write(GUEST_CS_AR_BYTES, FLAT_CODE_AR & ~AR_P);
        break;
    case VM_TESTBREAK_EFER:
        vmcs_write(GUEST_IA32_EFER, EFER_LMA | EFER_LME);   /* needs "load IA32_EFER" */
        break;
    case VM_TESTBREAK_NONE:
        break;
    }
}

/* Fills the current VMCS for a vCPU entering 32-bit protected mode at eip. */
static int vmcs_setup(struct vcpu *v, uint32_t eip)
{
    struct vcpu_vmx *x = to_vmx(v);
    vmcs_clear(x->vmcs_phys);
    vmx_vcpu_load(v);
    if (setup_controls(x))
        return -1;
    setup_host_state();
    setup_control_registers(x);
    setup_guest_state(v, eip);
    /* guest/pc_machine.c chose the offset that starts the guest TSC at 0. */
    vmcs_write(TSC_OFFSET, v->tsc_offset);
    if (x->proc_controls & CPU_BASED_USE_TPR_SHADOW) {
        vmcs_write(VIRTUAL_APIC_PAGE_ADDR, x->virtual_apic_phys);
        vmcs_write(TPR_THRESHOLD, 0);
        x->tpr_threshold = 0;
        x->virtual_apic = phys_to_virt(x->virtual_apic_phys);
        /* The guest's TPR is VTPR from now on: MOV to CR8 writes it
         * without an exit, and the local APIC model uses it there. */
        lapic_move_tpr(&v->lapic, &x->virtual_apic[VIRTUAL_APIC_VTPR]);
    } else {
        x->virtual_apic = NULL;
    }
    vmx_apicv_setup(v);
    if (x->shadow_paging)
        setup_shadow_paging(v);
    apply_testbreak(v->vm->config->testbreak);
    if (vmx_policy.ept && vmx_caps.ept_caps.invept_single)
        invept(INVEPT_SINGLE_CONTEXT, x->eptp);
    else if (vmx_policy.ept)
        invept(INVEPT_ALL_CONTEXT, 0);
    return 0;
}

int vcpu_arch_create(struct vcpu *v, uint32_t eip)
{
    if (vmx_policy.ept && !vmx_policy.unrestricted_guest) {
        pr_err("vm %s: with EPT, a guest that starts with paging off needs unrestricted guest "
               "(off: %s); boot with noept to run it on shadow paging", v->vm->name,
               vmx_caps.unrestricted_guest ? "nounrestricted" : "the CPU lacks it");
        return -1;
    }
    struct vcpu_vmx *x = kzalloc(sizeof(*x));
    v->arch = x;
    x->vmcs_phys = frame_alloc();
    *(uint32_t *)phys_to_virt(x->vmcs_phys) = vmx_caps.vmcs_revision_id;
    x->vpid = vmx_policy.vpid ? vmx_alloc_vpid() : 0;
    x->eptp = v->vm->eptp;
    x->shadow_paging = !vmx_policy.ept;
    x->msr_area = frame_alloc();
    x->virtual_apic_phys = frame_alloc();
    x->fpu_area = fpu_alloc_area();
    setup_io_bitmaps(x);
    setup_msr_bitmap(x);
    if (x->shadow_paging)
        v->shadow = kzalloc(sizeof(*v->shadow));
    reset_vcpu_state(v);
    return vmcs_setup(v, eip);
}

int vcpu_arch_reset(struct vcpu *v, uint32_t eip)
{
    struct vcpu_vmx *x = to_vmx(v);
    x->launched = false;
    if (v->shadow)
        shadow_flush_all(v);
    /* What the CPU holds of the old run (XCR0, x87/SSE, syscall MSRs) is
     * replaced by the reset values when vmcs_setup() loads the vCPU. */
    vmx_vcpu_forget(v);
    reset_vcpu_state(v);
    return vmcs_setup(v, eip);
}
