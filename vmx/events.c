/*
 * Events for a VT-x guest: an event an exit interrupted, exceptions keel
 * queues, and the NMIs and interrupts of the vCPU's interrupt controllers
 * (guest/vcpu_intr.c decides what is pending; this file when and how it is
 * injected: SDM vol. 3C 26.6 "Event Injection"), with the interrupt and NMI
 * windows and the TPR threshold that tell keel when the guest can take one.
 */
#include "arch/x86/traps.h"
#include "guest/vcpu.h"
#include "guest/vcpu_intr.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_controls.h"

#define RFLAGS_IF (UINT64_C(1) << 9)

/* An event the exit interrupted (IDT-vectoring information, SDM vol. 3C
 * 28.2.4, valid in `info`) must be delivered again, or the guest loses
 * it.  Only exits flagged EXIT_DURING_DELIVERY (vmx/exit.c) can interrupt
 * one. */
void vmx_remember_interrupted_event(struct vcpu *v, uint32_t info)
{
    struct x86_event ev;
    vmx_decode_intr_info(info, 0, &ev);
    if (ev.has_error_code)
        ev.error_code = vmcs_read32(IDT_VECTORING_ERROR_CODE);
    v->pending_event = ev;
    v->intr_check = true;       /* the exit path's one test for events */
}

/* An exit caused by a fault in an IRET that had unblocked NMIs ("NMI
 * unblocking due to IRET", SDM vol. 3C 28.2.3): the guest is still inside
 * the handler that IRET ends, and whether keel lets the IRET run again or
 * reflects its fault, NMIs must stay blocked until an IRET completes (vol.
 * 3C 31.7.1.2), or a pending NMI arrives on the IRET itself.  The CPU
 * tracks that blocking only with virtual NMIs. */
void vmx_reblock_nmis(struct vcpu *v)
{
    if (!to_vmx(v)->virtual_nmis)
        return;
    uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr | INTERRUPTIBILITY_NMI);
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

/* A TPR lowered in the guest must exit when it lets a held interrupt
 * through: the threshold is the class of the highest request, but never
 * above the current TPR class, which VM entry requires (SDM vol. 3C
 * 26.3.1.1, "TPR threshold"); 0 when nothing is held.  With virtual-
 * interrupt delivery the CPU itself delivers what a TPR drop lets through
 * and ignores the threshold (SDM vol. 3C 29.1.2). */
static void update_tpr_threshold(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (!x->virtual_apic || v->virtual_interrupt_delivery)
        return;
    int request = lapic_highest_request(&v->lapic);
    uint32_t tpr_class = lapic_tpr(&v->lapic) >> 4;
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
void vmx_inject_events(struct vcpu *v)
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

