/*
 * Running a vCPU: the loop that enters the guest (vcpu_run()), the exit
 * path every VM exit takes (vmx_exit_begin() and vmx_exit_end(), called by
 * vmx/entry.asm around the exit's handler), and what is due before an
 * entry: timer models, events, the preemption timer.
 *
 * The exit path is written for length, since every exit pays for it: an
 * exit that keel handles in place costs entry.asm's register save and
 * restore, these two functions and the handler, nothing more.  In the
 * common case neither function makes a call but the handler's (a tail
 * call), so neither needs a stack frame, and vcpu_run() is not involved
 * at all.  Under Bochs, where an
 * instruction is a TSC tick, `make bench` measures the result
 * (docs/benchmarks.md).
 */
#include "vmx/vcpu_vmx.h"

#include "arch/x86/cpu.h"
#include "arch/x86/host_lapic.h"
#include "guest/pc_machine.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"

int vmx_enter(struct vcpu *v, int launched);

/* ---- The preemption timer ------------------------------------------------- */

/* Timer ticks for `tsc` TSC ticks, rounded up so that the timer never
 * ends before the TSC value it is armed for (SDM vol. 3C 26.5.1: it counts
 * down by one each time TSC bit IA32_VMX_MISC[4:0] changes). */
static uint64_t tsc_to_timer_ticks(uint64_t tsc)
{
    unsigned rate = vmx_caps.preemption_timer_rate;
    return (tsc + (UINT64_C(1) << rate) - 1) >> rate;
}

/*
 * The preemption timer ends the guest's run at the earlier of the end of
 * its turn and the next virtual timer event (SDM vol. 3C 26.5.1: it counts
 * down while the guest runs and exits at 0).
 *
 * Where the CPU saves its count at each exit (the VM-exit control "save
 * VMX-preemption timer value", SDM 25.7.1, 28.3.3), it counts on across
 * exits, the guest's time alone: it comes late by keel's own time on the
 * exits since it was written.  So it is written again at least every
 * VMX_TIMER_REARM_TICKS (and whenever the timers change), and the exits in
 * between do not write it at all.  Elsewhere it starts again from the VMCS
 * at each entry, so while a virtual timer is armed it is written before
 * every entry.
 *
 * Returns the TSC by which the exit path must look again (turn_end).
 */
static uint64_t arm_preemption_timer(struct vcpu *v, uint64_t turn_end)
{
    struct vcpu_vmx *x = to_vmx(v);
    uint64_t deadline = v->vm->timer_deadline, now = rdtsc();
    if (x->preemption_timer_saved) {
        uint64_t value = turn_end > now ? tsc_to_timer_ticks(turn_end - now) : 0;
        x->preemption_timer_value = value;
        vmcs_write(VMX_PREEMPTION_TIMER_VALUE, value);
        return turn_end < now + VMX_TIMER_REARM_TICKS ? turn_end : now + VMX_TIMER_REARM_TICKS;
    }
    uint64_t value = VMX_TIME_SLICE_TICKS;
    if (deadline != UINT64_MAX) {
        uint64_t left = deadline > now ? tsc_to_timer_ticks(deadline - now) : 0;
        if (left < value)
            value = left;
    }
    if (value != x->preemption_timer_value) {
        x->preemption_timer_value = value;
        vmcs_write(VMX_PREEMPTION_TIMER_VALUE, value);
    }
    /* Restarted from this value at every entry: written again before the
     * next one while it stands for a virtual timer. */
    return deadline == UINT64_MAX ? turn_end : 0;
}

void vmx_rearm_preemption_timer(struct vcpu *v)
{
    v->turn_end = 0;
}

/* ---- Before an entry -------------------------------------------------------- */

/*
 * Everything due before an entry besides the exit's bookkeeping: timer
 * models brought up to date, events injected, the virtual-APIC page brought
 * up to date with the local APIC model (vmx/apicv.c), the preemption timer
 * armed, and turn_end, the TSC at which the exit path must come here again:
 * the earliest of the turn's end, the next virtual timer event and, with a
 * preemption timer that counts on across exits, its next re-arming.  Every
 * change of the timer deadline, and of the local APIC model, comes through
 * here before the next entry.  (The TPR needs nothing: with the TPR shadow
 * the model keeps it in the virtual-APIC page, where the guest's MOV to
 * CR8 puts it.)
 */
static void prepare_entry(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (pc_timers_due(v->vm, rdtsc()))
        pc_update_timers(v->vm);
    vmx_inject_events(v);
    vmx_apicv_before_entry(v);
    uint64_t turn_end = x->slice_start + VCPU_TIME_SLICE_TICKS;
    if (v->vm->timer_deadline < turn_end)
        turn_end = v->vm->timer_deadline;
    if (vmx_policy.preemption_timer)
        turn_end = arm_preemption_timer(v, turn_end);
    else if (vmx_policy.host_timer)
        host_lapic_timer_arm(turn_end, rdtsc());
    v->turn_end = turn_end;
}

/* Whether the exit path must stop by prepare_entry() or end the turn: the
 * turn's end, a timer model due or a preemption timer to re-arm
 * (turn_end); an event to inject or to look for, a guest access that may
 * have re-armed a timer, or a local APIC model that parted from its copy
 * in the virtual-APIC page (intr_check, which is set whenever an event is
 * queued in pending_event, by pc_timers_touched() and by the model's
 * lapic_ops.copy_stale).  In the common case
 * none of these, and the exit path pays these tests alone.  The exit's TSC
 * stands for the present. */
static inline bool entry_work_pending(struct vcpu *v)
{
    return v->exit_tsc >= v->turn_end || v->intr_check;
}

/* ---- The exit's bookkeeping --------------------------------------------------- */

/* The bookkeeping of an exit's start (its TSC was taken first): its trace
 * entry, with the reason and RIP, the qualification 0 and no guest-physical
 * address until the exit path reads them. */
static inline __attribute__((always_inline)) struct exit_trace_entry *
start_bookkeeping(struct vcpu *v, uint32_t reason, uint64_t rip)
{
    struct exit_trace_entry *traced = exit_trace_claim(&v->trace);
    traced->exit_reason = reason;
    traced->guest_rip = rip;
    traced->qualification = 0;
    return traced;
}

/* Counts the exit that is ending in the statistics and completes its trace
 * entry: its time runs from its TSC (taken first thing at the exit) to
 * now, just before the next entry. */
static inline __attribute__((always_inline)) void end_bookkeeping(struct vcpu *v)
{
    uint64_t ticks = rdtsc() - v->exit_tsc;
    exit_stats_record(&v->stats, v->exit_reason & EXIT_REASON_BASIC_MASK, ticks);
    exit_trace_complete(&v->trace, ticks);
}

/* The same where it is not known that an exit is being handled. */
static void end_exit(struct vcpu *v)
{
    if (exit_trace_newest_open(&v->trace))
        end_bookkeeping(v);
}

/* ---- The exit path ---------------------------------------------------------------- */

/* vmx_exit_begin() for a failed VM entry (vcpu_run() reports it) or a
 * basic reason beyond the table (vmx_exit_unhandled() reports it), with
 * the qualification read for either report. */
static __attribute__((noinline)) enum exit_action exit_begin_unusual(struct vcpu *v,
                                                                     struct exit_trace_entry *traced,
                                                                     uint32_t reason)
{
    traced->qualification = vmcs_read(EXIT_QUALIFICATION);
    if (reason & EXIT_REASON_FAILED_VMENTRY)
        return EXIT_ENTRY_FAILED;
    return vmx_exit_unhandled(v);
}

/* vmx_exit_begin() for an exit that interrupted an event's delivery (its
 * IDT-vectoring information is valid): out of line, so that the others
 * need no stack frame. */
static __attribute__((noinline)) enum exit_action exit_begin_delivery(struct vcpu *v,
                                                                      exit_handler_fn handler,
                                                                      uint32_t idt_vectoring)
{
    vmx_remember_interrupted_event(v, idt_vectoring);
    return handler(v);
}

/*
 * The start of every exit, called by vmx/entry.asm with the guest's
 * registers saved in v->regs.  The TSC first, for the statistics; then the
 * fields every exit needs, read once: the reason and its kind (vmx/exit.c:
 * the handler, and what to read for it), the qualification and the
 * guest-physical address only for reasons that have them, RIP; the trace
 * entry; an event the exit interrupted (only exits that can interrupt one).
 * Then the handler, as a tail call: what it returns is returned, or
 * EXIT_ENTRY_FAILED for a failed VM entry.
 */
enum exit_action vmx_exit_begin(struct vcpu *v);

enum exit_action vmx_exit_begin(struct vcpu *v)
{
    v->exit_tsc = rdtsc();
    uint32_t reason = vmcs_read32(VM_EXIT_REASON);
    uint64_t rip = vmcs_read(GUEST_RIP);
    v->exit_reason = reason;
    v->rip = rip;
    /* The exit's trace entry is also where the handlers find the
     * qualification and the guest-physical address
     * (vmx_exit_qualification()): each is read once, into it. */
    struct exit_trace_entry *traced = start_bookkeeping(v, reason, rip);
    /* A failed entry, or a basic reason beyond the table's 256 slots. */
    if (__builtin_expect(reason & (EXIT_REASON_FAILED_VMENTRY | VMX_EXIT_KIND_HIGH_BITS), 0))
        return exit_begin_unusual(v, traced, reason);
    const struct vmx_exit_kind *kind = &vmx_exits[reason & VMX_EXIT_KIND_INDEX_MASK];
    exit_handler_fn handler = kind->handler;
    uint32_t flags = kind->flags;
    /* An exit without a qualification has nothing more to read (vmx/exit.c):
     * most exits that come often, in one test. */
    if (flags & EXIT_NO_QUALIFICATION)
        return handler(v);
    if (!(flags & EXIT_NO_QUALIFICATION))
        traced->qualification = vmcs_read(EXIT_QUALIFICATION);
    if (flags & EXIT_HAS_GPA) {
        traced->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
        traced->gpa_valid = true;
    }
    if (flags & EXIT_DURING_DELIVERY) {
        uint32_t idt_vectoring = vmcs_read32(IDT_VECTORING_INFO_FIELD);
        if (vmx_intr_info_valid(idt_vectoring))
            return exit_begin_delivery(v, handler, idt_vectoring);
    }
    return handler(v);
}

/* vmx_exit_end() when the entry needs preparing: the turn may be over. */
static __attribute__((noinline)) struct vcpu *exit_end_prepared(struct vcpu *v)
{
    if (v->exit_tsc - to_vmx(v)->slice_start > VCPU_TIME_SLICE_TICKS)
        return NULL;
    prepare_entry(v);
    end_bookkeeping(v);
    return v;
}

/*
 * After the handler, called by vmx/entry.asm with what vmx_exit_begin()
 * returned: whether the vCPU goes on at once.  If it does (the handler
 * neither yielded nor found a failed entry, the VM is still runnable and
 * its turn is not over), the entry is prepared and the exit ends, counted
 * in the statistics and the trace, and entry.asm resumes the guest: v is
 * returned, for it to load the registers from.  Otherwise NULL, and
 * vcpu_run() takes over.
 */
struct vcpu *vmx_exit_end(struct vcpu *v, enum exit_action action);

struct vcpu *vmx_exit_end(struct vcpu *v, enum exit_action action)
{
    if (action != EXIT_RESUME) {
        to_vmx(v)->yield = action == EXIT_YIELD;
        return NULL;
    }
    if (v->vm->state != VM_STATE_RUNNABLE)
        return NULL;
    if (entry_work_pending(v))
        return exit_end_prepared(v);
    end_bookkeeping(v);
    return v;
}

/* ---- What the bookkeeping costs ---------------------------------------------------- */

/* One exit's bookkeeping, on a scratch vCPU: what the exit path does for
 * the statistics and the trace (and no more), with the same inline code. */
static __attribute__((noinline)) void bookkeeping_sample(struct vcpu *v, uint32_t reason,
                                                         uint64_t rip)
{
    v->exit_tsc = rdtsc();
    struct exit_trace_entry *traced = start_bookkeeping(v, reason, rip);
    traced->qualification = rip;
    end_bookkeeping(v);
}

/* The same call doing nothing: what the measurement's loop costs. */
static __attribute__((noinline)) void bookkeeping_none(struct vcpu *v, uint32_t reason,
                                                       uint64_t rip)
{
    __asm__ __volatile__("" : : "r"(v), "r"(reason), "r"(rip) : "memory");
}

#define BOOKKEEPING_SAMPLES 64u
#define BOOKKEEPING_ROUNDS  8u

static uint64_t time_samples(void (*sample)(struct vcpu *v, uint32_t reason, uint64_t rip),
                             struct vcpu *v)
{
    uint64_t start = rdtsc();
    for (uint32_t i = 0; i < BOOKKEEPING_SAMPLES; i++)
        sample(v, EXIT_REASON_CPUID, i);
    return rdtsc() - start;
}

/*
 * The TSC ticks the statistics and the trace add to each exit: the two TSC
 * reads, the trace entry and the statistics update, timed at boot over a
 * scratch vCPU, less the loop around them, the fastest of a few rounds.
 * Under Bochs, where the TSC counts instructions, it is their number.  The
 * bookkeeping is always on; this says what it costs (make bench reports it).
 */
uint64_t vmx_bookkeeping_ticks(void)
{
    static struct vcpu scratch;
    exit_stats_reset(&scratch.stats);
    exit_trace_reset(&scratch.trace);
    uint64_t best = UINT64_MAX;
    for (uint32_t round = 0; round < BOOKKEEPING_ROUNDS; round++) {
        uint64_t with = time_samples(bookkeeping_sample, &scratch);
        uint64_t without = time_samples(bookkeeping_none, &scratch);
        uint64_t per_exit = with > without ? (with - without) / BOOKKEEPING_SAMPLES : 0;
        if (per_exit < best)
            best = per_exit;
    }
    return best;
}

/* ---- The turn ------------------------------------------------------------------------- */

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

/* A vCPU's turn: it runs until it stops, yields, or the turn is over.  The
 * exits keel handles in place never come back here (vmx/entry.asm resumes
 * the guest itself); the others do, through vmx_enter()'s return. */
void vcpu_run(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    x->slice_start = rdtsc();
    x->yield = false;
    vmx_vcpu_activate(v);
    while (v->vm->state == VM_STATE_RUNNABLE) {
        prepare_entry(v);
        end_exit(v);
        int failed = vmx_enter(v, x->launched);
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
        if (v->exit_reason & EXIT_REASON_FAILED_VMENTRY) {
            explain_failed_entry(v, v->exit_reason, vmx_exit_qualification(v));
            vm_stop(v->vm, VM_STOP_ENTRY_FAILED, 0, "VM entry failed: %s",
                    exit_reason_name(v->exit_reason & EXIT_REASON_BASIC_MASK));
            return;
        }
        if (x->yield || v->exit_tsc - x->slice_start > VCPU_TIME_SLICE_TICKS) {
            /* The exit's cost ends here: time spent running other vCPUs
             * before this one's next entry is not its handling time. */
            end_exit(v);
            if (vmx_policy.host_timer)
                host_lapic_timer_stop();
            return;
        }
    }
}
