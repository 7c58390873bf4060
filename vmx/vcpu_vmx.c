/*
 * Running a vCPU under VT-x, and the guest-state accessors generic code uses
 * (guest/vcpu.h).
 */
#include "vmx/vcpu_vmx.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/fpu.h"
#include "arch/x86/msr.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
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

_Static_assert(offsetof(struct guest_regs, gpr[GPR_RAX]) == 0, "vmx/entry.asm REG_RAX");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_RBX]) == 24, "vmx/entry.asm REG_RBX");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_RDI]) == 56, "vmx/entry.asm REG_RDI");
_Static_assert(offsetof(struct guest_regs, gpr[GPR_R15]) == 120, "vmx/entry.asm REG_R15");

int vmx_enter(struct guest_regs *regs, int launched);

#define RFLAGS_VM (UINT64_C(1) << 17)
#define CR4_OSXSAVE (UINT64_C(1) << 18)
#define CR0_PG (UINT64_C(1) << 31)
#define INTERRUPTIBILITY_STI    (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI    (1u << 3)
#define RFLAGS_IF (UINT64_C(1) << 9)
#define RFLAGS_RF (UINT64_C(1) << 16)
#define AR_DPL(ar)  (((ar) >> 5) & 3)
#define AR_L        (1u << 13)
#define AR_DB       (1u << 14)

static struct vcpu *current_vcpu;

static void save_syscall_msrs(struct guest_syscall_msrs *m)
{
    m->star = rdmsr(MSR_IA32_STAR);
    m->lstar = rdmsr(MSR_IA32_LSTAR);
    m->cstar = rdmsr(MSR_IA32_CSTAR);
    m->fmask = rdmsr(MSR_IA32_FMASK);
    m->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    m->tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
    m->cr2 = read_cr2();
}

static void load_syscall_msrs(const struct guest_syscall_msrs *m)
{
    wrmsr(MSR_IA32_STAR, m->star);
    wrmsr(MSR_IA32_LSTAR, m->lstar);
    wrmsr(MSR_IA32_CSTAR, m->cstar);
    wrmsr(MSR_IA32_FMASK, m->fmask);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, m->kernel_gs_base);
    wrmsr(MSR_IA32_TSC_AUX, m->tsc_aux);
    write_cr2(m->cr2);
}

/* Makes v's VMCS the current one (VMPTRLD) even if keel thinks it already
 * is: after VMCLEAR it is not, whatever current_vcpu says. */
void vmx_vcpu_load(struct vcpu *v)
{
    struct vcpu_vmx *out = current_vcpu && current_vcpu != v ? to_vmx(current_vcpu) : NULL;
    if (out)
        save_syscall_msrs(&out->syscall_msrs);
    vmcs_load(to_vmx(v)->vmcs_phys);
    if (current_vcpu != v) {
        struct vcpu_vmx *in = to_vmx(v);
        load_syscall_msrs(&in->syscall_msrs);
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

/* RIP is read once per exit (begin_exit) and kept in step with every write. */
uint64_t vcpu_rip(struct vcpu *v)
{
    return to_vmx(v)->guest_rip;
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

enum vcpu_mode vcpu_mode(struct vcpu *v)
{
    uint32_t cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
    if (!(vcpu_cr0(v) & 1))
        return VCPU_MODE_REAL;
    if (vcpu_efer(v) & EFER_LMA) {
        if (cs_ar & AR_L)
            return VCPU_MODE_LONG_64;
        return cs_ar & AR_DB ? VCPU_MODE_COMPAT_32 : VCPU_MODE_COMPAT_16;
    }
    return cs_ar & AR_DB ? VCPU_MODE_PROTECTED_32 : VCPU_MODE_PROTECTED_16;
}

void vcpu_skip_instruction(struct vcpu *v)
{
    uint64_t len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
    vcpu_set_rip(v, to_vmx(v)->guest_rip + len);
}

void vcpu_set_rip(struct vcpu *v, uint64_t rip)
{
    to_vmx(v)->guest_rip = rip;
    vmcs_write(GUEST_RIP, rip);
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
                   intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void vcpu_set_cr2(struct vcpu *v, uint64_t cr2)
{
    to_vmx(v)->syscall_msrs.cr2 = cr2;
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

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    if (exception_is_fault(vector))
        vcpu_set_rflags(v, vcpu_rflags(v) | RFLAGS_RF);
    v->pending_event = (struct x86_event){
        .valid = true,
        .type = EVENT_HARDWARE_EXCEPTION,
        .vector = vector,
        .has_error_code = has_error,
        .error_code = error,
    };
}

/* Exits that can happen while the CPU delivers an event through the IDT
 * (SDM vol. 3C 28.2.4); an instruction exit (CPUID, I/O, ...) cannot, so its
 * IDT-vectoring information need not be read. */
static bool exit_may_interrupt_delivery(unsigned basic)
{
    switch (basic) {
    case EXIT_REASON_EXCEPTION_NMI:
    case EXIT_REASON_TRIPLE_FAULT:
    case EXIT_REASON_TASK_SWITCH:
    case EXIT_REASON_EPT_VIOLATION:
    case EXIT_REASON_EPT_MISCONFIG:
    case EXIT_REASON_APIC_ACCESS:
    case EXIT_REASON_PML_FULL:
    case EXIT_REASON_SPP:
        return true;
    default:
        return false;
    }
}

/* An event the exit interrupted (IDT-vectoring information, SDM vol. 3C
 * 28.2.4) must be delivered again, or the guest loses it. */
static void remember_interrupted_event(struct vcpu *v)
{
    if (!exit_may_interrupt_delivery(to_vmx(v)->exit_reason & EXIT_REASON_BASIC_MASK))
        return;
    uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
    struct x86_event ev;
    vmx_decode_intr_info(info, 0, &ev);
    if (!ev.valid)
        return;
    if (ev.has_error_code)
        ev.error_code = vmcs_read32(IDT_VECTORING_ERROR_CODE);
    v->pending_event = ev;
}

/* Writes an event into the VM-entry interruption-information fields. */
static void write_entry_event(const struct x86_event *ev)
{
    vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vmx_encode_entry_intr_info(ev));
    if (ev->has_error_code)
        vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, ev->error_code);
    /* Software interrupts and exceptions are re-executed from their length
     * (SDM vol. 3C 26.6.1.1). */
    if (ev->type == EVENT_SOFTWARE_INTERRUPT || ev->type == EVENT_SOFTWARE_EXCEPTION ||
        ev->type == EVENT_PRIVILEGED_SOFTWARE_EXCEPTION)
        vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}

/* Turns an exiting control on or off, writing the VMCS only on a change. */
static void set_proc_control(struct vcpu_vmx *x, uint32_t control, bool on)
{
    uint32_t value = on ? x->proc_controls | control : x->proc_controls & ~control;
    if (value == x->proc_controls)
        return;
    x->proc_controls = value;
    vmcs_write(CPU_BASED_VM_EXEC_CONTROL, value);
}

/* Asks the CPU to exit as soon as the guest can take what is pending: an
 * NMI once NMIs are unblocked (needs virtual NMIs; otherwise the interrupt
 * window is the nearest approximation), an interrupt once RFLAGS.IF = 1 and
 * no STI or MOV SS blocking remains (SDM vol. 3C 26.7.5, 26.7.6). */
static void request_window(struct vcpu *v, enum vcpu_intr_kind kind)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (kind == VCPU_INTR_NMI && x->virtual_nmis)
        set_proc_control(x, CPU_BASED_NMI_WINDOW_EXITING, true);
    else if (kind != VCPU_INTR_NONE)
        set_proc_control(x, CPU_BASED_INTERRUPT_WINDOW_EXITING, true);
}

/* An NMI can be injected unless NMIs are blocked (the guest is in its NMI
 * handler) or the previous instruction was MOV SS or STI: SDM vol. 3C
 * 26.3.1.5 makes STI blocking with an NMI injection an entry failure on
 * some processors. */
static bool nmi_injectable(uint32_t interruptibility)
{
    return !(interruptibility &
             (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI));
}

static bool interrupt_injectable(uint32_t interruptibility)
{
    return (vmcs_read(GUEST_RFLAGS) & RFLAGS_IF) &&
           !(interruptibility & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void inject_from_controllers(struct vcpu *v, enum vcpu_intr_kind kind)
{
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    struct x86_event ev = { .valid = true };
    if (kind == VCPU_INTR_NMI && nmi_injectable(intr)) {
        ev.type = EVENT_NMI;
        ev.vector = EXC_NMI;
        vcpu_intr_nmi_taken(v);
    } else if (kind == VCPU_INTR_EXTERNAL && interrupt_injectable(intr)) {
        ev.type = EVENT_EXTERNAL_INTERRUPT;
        ev.vector = vcpu_intr_acknowledge(v);
    } else {
        request_window(v, kind);
        /* Nothing to look at again until the window opens or something
         * new arrives (both set intr_check): a guest that runs with
         * IF = 0 and a tick pending pays nothing on its other exits. */
        v->intr_check = false;
        return;
    }
    write_entry_event(&ev);
    /* Another may be waiting behind this one: come back when the guest
     * can take it (it cannot before this one's handler runs). */
    request_window(v, vcpu_intr_pending(v));
    v->intr_check = false;
}

/* With the TPR shadow the guest's TPR lives in the virtual-APIC page while
 * it runs (MOV to CR8 does not exit): the local APIC model takes it from
 * there at each exit and gives it back before each entry. */
static void tpr_from_guest(struct vcpu *v)
{
    uint8_t *vapic = to_vmx(v)->virtual_apic;
    if (vapic)
        v->lapic.tpr = vapic[VIRTUAL_APIC_VTPR];
}

static void tpr_to_guest(struct vcpu *v)
{
    uint8_t *vapic = to_vmx(v)->virtual_apic;
    if (vapic)
        vapic[VIRTUAL_APIC_VTPR] = v->lapic.tpr;
}

/* A TPR lowered in the guest must exit when it lets a held interrupt
 * through: the threshold is the class of the highest request, but never
 * above the current TPR class, which VM entry requires (SDM vol. 3C
 * 26.3.1.1, "TPR threshold"); 0 when nothing is held. */
static void update_tpr_threshold(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (!x->virtual_apic)
        return;
    int request = lapic_highest_request(&v->lapic);
    uint32_t tpr_class = v->lapic.tpr >> 4;
    uint32_t threshold = request < 0 ? 0 : (uint32_t)request >> 4;
    if (threshold > tpr_class)
        threshold = tpr_class;
    if (threshold != x->tpr_threshold) {
        x->tpr_threshold = threshold;
        vmcs_write(TPR_THRESHOLD, threshold);
    }
}

enum exit_action vmx_exit_tpr_below_threshold(struct vcpu *v)
{
    v->intr_check = true;
    return EXIT_RESUME;
}

/* Before each entry: an event to deliver again or a queued exception goes
 * first (it happened before anything pending now); otherwise the highest-
 * priority NMI or interrupt, if the guest can take it now. */
static void inject_events(struct vcpu *v)
{
    struct x86_event *ev = &v->pending_event;
    if (ev->valid) {
        write_entry_event(ev);
        ev->valid = false;
        if (v->intr_check) {
            request_window(v, vcpu_intr_pending(v));
            v->intr_check = false;
        }
        return;
    }
    if (!v->intr_check)
        return;
    enum vcpu_intr_kind kind = vcpu_intr_pending(v);
    if (kind != VCPU_INTR_NONE)
        inject_from_controllers(v, kind);
    update_tpr_threshold(v);
}

enum exit_action vmx_exit_interrupt_window(struct vcpu *v)
{
    set_proc_control(to_vmx(v), CPU_BASED_INTERRUPT_WINDOW_EXITING, false);
    v->intr_check = true;
    return EXIT_RESUME;
}

enum exit_action vmx_exit_nmi_window(struct vcpu *v)
{
    set_proc_control(to_vmx(v), CPU_BASED_NMI_WINDOW_EXITING, false);
    v->intr_check = true;
    return EXIT_RESUME;
}

/* The preemption timer ends the guest's run at the earlier of its time
 * slice and the next virtual timer event (SDM vol. 3C 26.5.1: it counts
 * down at the TSC rate >> IA32_VMX_MISC[4:0] while the guest runs). */
static void arm_preemption_timer(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (!vmx_policy.preemption_timer)
        return;
    uint64_t value = VMX_TIME_SLICE_TICKS, deadline = v->vm->timer_deadline;
    if (deadline != UINT64_MAX) {
        uint64_t now = rdtsc();
        uint64_t left = deadline > now ? (deadline - now) >> vmx_caps.preemption_timer_rate : 0;
        if (left < value)
            value = left;
    }
    if (value != x->preemption_timer_value) {
        x->preemption_timer_value = value;
        vmcs_write(VMX_PREEMPTION_TIMER_VALUE, value);
    }
}

static void report_entry_failure_line(const char *text, void *ctx)
{
    (void)ctx;
    kprintf("  %s\n", text);
}

static void explain_failed_entry(struct vcpu *v, uint32_t reason, uint64_t qual)
{
    kprintf("keel: vm %s: VM entry failed: exit reason %u with the failed-entry bit\n",
            v->vm->name, reason & EXIT_REASON_BASIC_MASK);
    entry_failure_explain_current(reason, qual, report_entry_failure_line, NULL);
}

#define EXIT_BIT(reason) (UINT64_C(1) << (reason))

/* Exits whose qualification is undefined or 0 (SDM vol. 3C 28.2.1, table
 * 28-1 lists the exits that have one), among those that come often: their
 * qualification is not read. */
static const uint64_t exits_without_qualification =
    EXIT_BIT(EXIT_REASON_EXTERNAL_INTERRUPT) | EXIT_BIT(EXIT_REASON_INTERRUPT_WINDOW) |
    EXIT_BIT(EXIT_REASON_NMI_WINDOW) | EXIT_BIT(EXIT_REASON_CPUID) | EXIT_BIT(EXIT_REASON_HLT) |
    EXIT_BIT(EXIT_REASON_RDPMC) | EXIT_BIT(EXIT_REASON_RDTSC) | EXIT_BIT(EXIT_REASON_VMCALL) |
    EXIT_BIT(EXIT_REASON_MSR_READ) | EXIT_BIT(EXIT_REASON_MSR_WRITE) |
    EXIT_BIT(EXIT_REASON_TPR_BELOW_THRESHOLD) | EXIT_BIT(EXIT_REASON_PREEMPTION_TIMER) |
    EXIT_BIT(EXIT_REASON_WBINVD) | EXIT_BIT(EXIT_REASON_XSETBV);

static bool exit_has_qualification(unsigned basic)
{
    return basic >= 64 || !(exits_without_qualification & EXIT_BIT(basic));
}

/* The exit's start, for the statistics and the trace: the TSC first, then
 * the fields every exit needs (reason, qualification where it has one, RIP),
 * read once. */
static void begin_exit(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    v->exit_tsc = rdtsc();
    x->exit_reason = vmcs_read32(VM_EXIT_REASON);
    unsigned basic = x->exit_reason & EXIT_REASON_BASIC_MASK;
    x->exit_qualification = exit_has_qualification(basic) ? vmcs_read(EXIT_QUALIFICATION) : 0;
    x->guest_rip = vmcs_read(GUEST_RIP);
    v->exit_reason = x->exit_reason;
    bool gpa_valid = basic == EXIT_REASON_EPT_VIOLATION || basic == EXIT_REASON_EPT_MISCONFIG;
    exit_trace_push(&v->trace, x->exit_reason, x->exit_qualification, x->guest_rip,
                    gpa_valid ? vmcs_read(GUEST_PHYSICAL_ADDRESS) : 0, gpa_valid);
}

/* The exit ends at the next entry: its time from exit to entry is what the
 * statistics count (the guest-visible cost of the exit). */
static inline __attribute__((always_inline)) void end_exit(struct vcpu *v)
{
    if (!v->exit_tsc)
        return;
    uint64_t ticks = rdtsc() - v->exit_tsc;
    exit_stats_record(&v->stats, v->exit_reason & EXIT_REASON_BASIC_MASK, ticks);
    exit_trace_complete(&v->trace, ticks);
    v->exit_tsc = 0;
}

/* A vCPU's turn, counting the time keel spends on its exits as well as the
 * guest's own (the preemption timer sees only the latter, so a guest that
 * exits constantly, such as one printing, would otherwise never yield). */
#define VCPU_TIME_SLICE_TICKS UINT64_C(4000000)

void vcpu_run(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    uint64_t slice_start = rdtsc();
    vmx_vcpu_activate(v);
    while (v->vm->state == VM_STATE_RUNNABLE) {
        if (pc_timers_due(v->vm, rdtsc()))
            pc_update_timers(v->vm);
        inject_events(v);
        tpr_to_guest(v);
        arm_preemption_timer(v);
        end_exit(v);
        int failed = vmx_enter(&v->regs, x->launched);
        if (failed) {
            const char *why = failed == 1 ? "VMfailInvalid" : vmcs_instruction_error_text();
            kprintf("keel: vm %s: %s failed: %s\n", v->vm->name,
                    x->launched ? "VMRESUME" : "VMLAUNCH", why);
            if (failed == 2)
                entry_failure_explain_current(0, 0, report_entry_failure_line, NULL);
            vm_stop(v->vm, VM_STOP_ENTRY_FAILED, 0, "%s", why);
            return;
        }
        x->launched = true;
        begin_exit(v);
        tpr_from_guest(v);
        if (x->exit_reason & EXIT_REASON_FAILED_VMENTRY) {
            explain_failed_entry(v, x->exit_reason, x->exit_qualification);
            vm_stop(v->vm, VM_STOP_ENTRY_FAILED, 0, "VM entry failed: %s",
                    exit_reason_name(x->exit_reason & EXIT_REASON_BASIC_MASK));
            return;
        }
        remember_interrupted_event(v);
        if (vmx_handle_exit(v) == EXIT_YIELD ||
            v->exit_tsc - slice_start > VCPU_TIME_SLICE_TICKS) {
            /* The exit's cost ends here: time spent running other vCPUs
             * before this one's next entry is not its handling time. */
            end_exit(v);
            return;
        }
    }
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
    v->vm->timers_dirty = true;
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
