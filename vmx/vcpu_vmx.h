/* The VT-x half of a vCPU (vmx/vcpu_vmx.c, vmx/vmcs_init.c, vmx/exit*.c). */
#ifndef KEEL_VMX_VCPU_VMX_H
#define KEEL_VMX_VCPU_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"
#include "vmx/vmcs.h"

/* Registers the guest reaches directly that VM entry and exit do not
 * switch: keel swaps them when it changes vCPUs (vmx_vcpu_load()). */
struct guest_unswitched_state {
    /* MSRs in the MSR bitmap's pass-through list (vmx/vmcs_init.c). */
    uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
    uint64_t cr2;               /* not in the VMCS either (SDM vol. 3C 28.3) */
    /* No MOV-DR exiting, and entry and exit switch only DR7 (SDM vol. 3C
     * 27.3.1.1, 28.3.1). */
    uint64_t dr0, dr1, dr2, dr3, dr6;
};

/* DR6 after RESET (SDM vol. 3A 10.1.1, table 10-1). */
#define DR6_RESET UINT64_C(0xffff0ff0)

#include "guest/cpuid_policy.h"
#include "vmx/apicv.h"

#define CPUID_CACHE_SIZE 16     /* a power of two */

/* One cached CPUID answer (vmx/exit_misc.c): for leaf and sub-leaf (0
 * where the leaf has none), of one of the kinds below; an answer that also
 * depends on CR4 or IA32_APIC_BASE keeps what it depended on in state.
 * 32 bytes, so that a slot is one shift away. */
enum cpuid_entry_kind {
    CPUID_ENTRY_EMPTY,
    CPUID_ENTRY_PLAIN,          /* a function of the leaf alone: the exit path's fast case */
    CPUID_ENTRY_SUBLEAF,        /* of the leaf and the sub-leaf */
    CPUID_ENTRY_STATE,          /* of the leaf, the sub-leaf and state */
};

struct cpuid_cache_entry {
    uint32_t leaf, subleaf;
    struct cpuid_result result;
    uint32_t state;
    uint8_t kind;               /* enum cpuid_entry_kind */
} __attribute__((aligned(32)));

struct vcpu_vmx {
    uint64_t vmcs_phys;
    bool launched;
    uint16_t vpid;
    uint64_t eptp;
    uint64_t io_bitmap_a, io_bitmap_b, msr_bitmap;
    uint32_t secondary_controls;        /* as last written (vmx/apicv.c changes the APIC ones) */
    uint32_t proc_controls;             /* primary processor-based, as last written */
    bool virtual_nmis;                  /* pin-based "virtual NMIs" is on */
    /* The preemption timer (arm_preemption_timer() in vmx/run.c): the
     * value last written, and whether the CPU saves its count at each exit
     * (so that it counts on across exits). */
    uint64_t preemption_timer_value;
    bool preemption_timer_saved;

    /* The TPR shadow: the virtual-APIC page, whose VTPR byte is the
     * guest's TPR while it runs (NULL when the shadow is off). */
    uint64_t virtual_apic_phys;
    uint8_t *virtual_apic;
    uint32_t tpr_threshold;             /* as last written */
    struct vmx_apicv apicv;             /* the rest of APIC virtualization (vmx/apicv.c) */

    /* CR0/CR4 bits keel owns (guest/host masks) and what they must be. */
    uint64_t cr0_mask, cr4_mask;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;

    /* The current turn (vcpu_run): when it began, and whether an exit
     * handler asked to give the CPU up. */
    uint64_t slice_start;
    bool yield;

    /* The exit's own fields are in its trace entry
     * (vmx_exit_qualification()), RIP in struct vcpu. */

    uint64_t xcr0;
    void *fpu_area;             /* x87/SSE/AVX registers while another vCPU runs */
    struct guest_unswitched_state unswitched;
    struct cpuid_cache_entry cpuid_cache[CPUID_CACHE_SIZE];   /* vmx/exit_misc.c */

    /* Shadow paging (no EPT): the CPU's CR3 holds a shadow root and its EFER
     * may differ from the guest's, so keel keeps the guest's values here. */
    bool shadow_paging;
    uint64_t guest_cr3;

    /* The guest's EFER and PAT as it wrote them (vmx/msr_switch.c switches
     * the CPU's), and the MSR-load areas where the controls are missing. */
    uint64_t guest_efer;
    uint64_t guest_pat;
    uint64_t msr_area;
    unsigned entry_msr_count, exit_msr_count;
    int efer_slot, pat_slot;
};

static inline struct vcpu_vmx *to_vmx(struct vcpu *v)
{
    return (struct vcpu_vmx *)v->arch;
}

/* The current exit's qualification (0 for reasons without one) and
 * guest-physical address (only for EPT violations and misconfigurations).
 * The exit path reads each once, into the exit's trace entry, which is the
 * newest one until the next exit. */
static inline uint64_t vmx_exit_qualification(const struct vcpu *v)
{
    return v->trace.newest->qualification;
}

static inline uint64_t vmx_exit_gpa(const struct vcpu *v)
{
    return v->trace.newest->gpa;
}

/* A vCPU's turn: it yields at the first exit after this many TSC ticks,
 * counting the time keel spends on its exits as well as the guest's own;
 * the preemption timer ends a turn without exits. */
#define VCPU_TIME_SLICE_TICKS UINT64_C(4000000)

/* A vCPU's time slice on a CPU whose preemption timer starts again from
 * its value at each entry: in timer ticks, which count TSC ticks >>
 * IA32_VMX_MISC[4:0] (SDM vol. 3C 26.5.1). */
#define VMX_TIME_SLICE_TICKS 2000000u

/* Where the preemption timer counts on across exits, how often keel writes
 * it again: it runs late by keel's own time on exits since it was written,
 * which is a part of this (about 7 us at 3 GHz). */
#define VMX_TIMER_REARM_TICKS UINT64_C(20000)

/* VTPR: the TPR's offset in the virtual-APIC page (SDM vol. 3C 30.1.1). */
#define VIRTUAL_APIC_VTPR 0x80

enum exit_action {
    EXIT_RESUME,        /* enter the guest again */
    EXIT_YIELD,         /* let the scheduler pick a vCPU (time slice, HLT) */
    EXIT_ENTRY_FAILED,  /* (vmx/run.c only) the VM entry failed: vcpu_run() reports it */
};

/* vmx/vmcs_init.c: allocates the VMCS and bitmaps and fills the VMCS for a
 * guest that starts in 32-bit protected mode at eip with EAX/EBX set.
 * Returns 0, or -1 after saying why. */
int vcpu_arch_create(struct vcpu *v, uint32_t eip);

/* vmx/vcpu_vmx.c */
void vmx_vcpu_activate(struct vcpu *v);     /* VMPTRLD and MSR swap, if not current */
void vmx_vcpu_load(struct vcpu *v);         /* the same, unconditionally */
void vmx_vcpu_forget(struct vcpu *v);       /* drop, not save, v's state on the CPU */

/* vmx/run.c */
void vcpu_run(struct vcpu *v);              /* until it stops or yields */
void vmx_rearm_preemption_timer(struct vcpu *v);    /* before the next entry */

/* vmx/events.c: the event the current exit interrupted (its valid
 * IDT-vectoring information) is queued again; the queued event, or an NMI
 * or interrupt the guest can take now, goes into the VMCS before an entry. */
void vmx_remember_interrupted_event(struct vcpu *v, uint32_t idt_vectoring);
void vmx_inject_events(struct vcpu *v);
/* NMIs blocked again after an exit that interrupted an IRET which had
 * unblocked them (vmx/events.c). */
void vmx_reblock_nmis(struct vcpu *v);

/* STI and MOV SS blocking (interruptibility state, SDM vol. 3C 25.4.2,
 * table 25-3). */
#define INTERRUPTIBILITY_STI    (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI    (1u << 3)

/* Ends STI or MOV SS blocking, as completing an instruction does
 * (vmx/vcpu_vmx.c); returns EXIT_RESUME. */
enum exit_action vmx_clear_blocking(uint32_t interruptibility);

/* vcpu_skip_instruction() for the exit handlers, which return what it
 * returns, EXIT_RESUME: RIP moves on by the exiting instruction's length
 * (SDM vol. 3C 28.2.5), and STI or MOV SS blocking ends.  Inline, since
 * most exits end here, and without a call but for the rare blocking that
 * has to be cleared (a tail call), so that a handler's fast path needs no
 * stack frame. */
/* Outside 64-bit mode the instruction pointer is EIP: an instruction that
 * ends at 0xFFFFFFFF goes on at 0 (SDM vol. 1 3.5), and VM entry refuses a
 * guest RIP with bits 63:32 set there (vol. 3C 27.3.1.4).  'rip' is the
 * current RIP plus an instruction length; the wrap applies only when that
 * sum carried out of bit 31, so only then is the mode looked up. */
uint64_t vmx_wrap_rip(struct vcpu *v, uint64_t rip);

/* Whether 'rip', the current RIP plus a length below 2^32, carried out of
 * bit 31: its low half is then below the current RIP's. */
static inline bool vmx_rip_carried(const struct vcpu *v, uint64_t rip)
{
    return __builtin_expect((uint32_t)rip < (uint32_t)v->rip, 0);
}

static inline uint64_t vmx_next_rip(const struct vcpu *v, uint64_t rip)
{
    if (vmx_rip_carried(v, rip))
        return vmx_wrap_rip((struct vcpu *)v, rip);
    return rip;
}

/* vmx_instruction_done() when RIP carried out of bit 31 (vmx/vcpu_vmx.c):
 * out of line, and reached by a tail call, so that the common case needs
 * no stack frame. */
enum exit_action vmx_instruction_done_carried(struct vcpu *v, uint64_t rip);

static inline enum exit_action vmx_instruction_done(struct vcpu *v)
{
    uint64_t rip = v->rip + vmcs_read(VM_EXIT_INSTRUCTION_LEN);
    if (vmx_rip_carried(v, rip))
        return vmx_instruction_done_carried(v, rip);
    v->rip = rip;
    vmcs_write(GUEST_RIP, rip);
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    if (__builtin_expect(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS), 0))
        return vmx_clear_blocking(intr);
    return EXIT_RESUME;
}

/* vmx/exit.c: the exit-handler table, by basic exit reason, and what the
 * exit path reads for each reason before its handler runs. */
typedef enum exit_action (*exit_handler_fn)(struct vcpu *v);

enum vmx_exit_flags {
    EXIT_NO_QUALIFICATION = 1u << 0,
    EXIT_DURING_DELIVERY = 1u << 1,
    EXIT_HAS_GPA = 1u << 2,
};

struct vmx_exit_kind {
    exit_handler_fn handler;    /* vmx_exit_unhandled: keel does not expect this exit */
    uint32_t flags;             /* enum vmx_exit_flags */
};

/* By basic exit reason, 256 slots (every reason the SDM defines, and
 * vmx_exit_unhandled for the rest): the exit path indexes it with the
 * reason's low byte and sends a reason with any of bits 15:8 set to
 * vmx_exit_unhandled itself. */
#define VMX_EXIT_KINDS              256u
#define VMX_EXIT_KIND_INDEX_MASK    0xffu
#define VMX_EXIT_KIND_HIGH_BITS     0xff00u
_Static_assert(NR_EXIT_REASONS <= VMX_EXIT_KINDS, "every reason has a slot");

extern const struct vmx_exit_kind vmx_exits[VMX_EXIT_KINDS];

/* Stops the VM over an exit keel does not expect, with a decoded report. */
enum exit_action vmx_exit_unhandled(struct vcpu *v);

void vmx_report_vcpu(struct vcpu *v);       /* decoded state for stop reports */

/* Exit handlers, one per file by subject (vmx/exit_*.c). */
enum exit_action vmx_exit_cpuid(struct vcpu *v);
enum exit_action vmx_exit_hlt(struct vcpu *v);
enum exit_action vmx_exit_vmcall(struct vcpu *v);
enum exit_action vmx_exit_xsetbv(struct vcpu *v);
enum exit_action vmx_exit_cache_flush(struct vcpu *v);
enum exit_action vmx_exit_vmx_instruction(struct vcpu *v);
enum exit_action vmx_exit_triple_fault(struct vcpu *v);
enum exit_action vmx_exit_init_signal(struct vcpu *v);
enum exit_action vmx_exit_sipi(struct vcpu *v);
enum exit_action vmx_exit_external_interrupt(struct vcpu *v);
enum exit_action vmx_exit_exception_nmi(struct vcpu *v);
enum exit_action vmx_exit_preemption_timer(struct vcpu *v);
enum exit_action vmx_exit_interrupt_window(struct vcpu *v);
enum exit_action vmx_exit_nmi_window(struct vcpu *v);
enum exit_action vmx_exit_tpr_below_threshold(struct vcpu *v);
enum exit_action vmx_exit_monitor_mwait(struct vcpu *v);
enum exit_action vmx_exit_rdpmc(struct vcpu *v);
enum exit_action vmx_exit_io(struct vcpu *v);
enum exit_action vmx_exit_msr_read(struct vcpu *v);
enum exit_action vmx_exit_msr_write(struct vcpu *v);
enum exit_action vmx_exit_cr_access(struct vcpu *v);
enum exit_action vmx_exit_ept_violation(struct vcpu *v);
enum exit_action vmx_exit_ept_misconfig(struct vcpu *v);
enum exit_action vmx_exit_invlpg(struct vcpu *v);
enum exit_action vmx_exit_shadow_page_fault(struct vcpu *v, uint64_t gla, uint32_t error);
enum exit_action vmx_exit_apic_access(struct vcpu *v);          /* vmx/apicv.c */
enum exit_action vmx_exit_apic_write(struct vcpu *v);
enum exit_action vmx_exit_virtualized_eoi(struct vcpu *v);

/* Reports a guest access to guest-physical memory that is neither RAM nor
 * MMIO and stops the VM (vmx/exit_ept.c). */
void vmx_stop_bad_access(struct vcpu *v, uint64_t gpa, bool gla_valid, uint64_t gla,
                         bool write, bool fetch);

/* vmx/msr_switch.c: EFER and PAT through the VMCS or the MSR-load areas. */
void vmx_msr_switch_init(struct vcpu_vmx *x, uint32_t entry_ctls, uint32_t exit_ctls);
void vmx_set_guest_efer(struct vcpu_vmx *x, uint64_t efer);
void vmx_set_guest_pat(struct vcpu_vmx *x, uint64_t pat);

/* vmx/entry_state.c: reads the current VMCS into the explainer's input and
 * prints its report (vmx/entry_failure.c) through line(). */
void entry_failure_explain_current(uint32_t exit_reason, uint64_t exit_qualification,
                                   void (*line)(const char *text, void *ctx), void *ctx);

/* CR0/CR4 values the CPU must run with for the guest-visible ones. */
uint64_t vmx_cr0_real(const struct vcpu_vmx *x, uint64_t guest_cr0);
uint64_t vmx_cr4_real(const struct vcpu_vmx *x, uint64_t guest_cr4);

/*
 * vmx/apicv.c's hook before an entry that prepare_entry() (vmx/run.c)
 * prepares, the last thing done to the local APIC model before the guest
 * runs: the checks inline here, the work there.  The controls follow the
 * APIC's mode and base, the virtual-APIC page what the model changed, and
 * from then on the page may be ahead of the model (lapic_copy_running()).
 * An exit that resumes the guest without preparing the entry (vmx/run.c)
 * has not touched the model since the last one: a look would have called
 * lapic_ops.copy_stale, which asks for the entry to be prepared
 * (guest/vcpu_intr.c), as does every change of IA32_APIC_BASE
 * (apic_base_written) and of the model's registers (page_changes).
 */
static inline void vmx_apicv_before_entry(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (!x->apicv.mode_known || v->apic_base_written)
        vmx_apicv_follow_mode(v);
    if (x->apicv.copy && (!x->apicv.page_valid || v->lapic.page_changes))
        vmx_apicv_refresh_page(v);
    lapic_copy_running(&v->lapic);
}

#endif
