/* The small instruction and event exits: CPUID, HLT, VMCALL, XSETBV, cache
 * flushes, VMX instructions in the guest, triple fault, INIT/SIPI, external
 * interrupts, NMIs and the preemption timer. */
#include "arch/x86/cpu.h"
#include "arch/x86/host_lapic.h"
#include "arch/x86/traps.h"
#include "guest/cpuid_policy.h"
#include "guest/hypercall.h"
#include "guest/pc_machine.h"
#include "guest/vcpu.h"
#include "guest/vcpu_intr.h"
#include "kernel/log.h"
#include "kernel/version.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"

#define RFLAGS_IF (UINT64_C(1) << 9)
#define CR4_OSXSAVE (UINT64_C(1) << 18)
#define XCR0_X87 (UINT64_C(1) << 0)
#define XCR0_SSE (UINT64_C(1) << 1)
#define XCR0_AVX (UINT64_C(1) << 2)

/* What keel's CPUID policy (guest/cpuid_policy.c, docs/cpuid.md) needs to
 * know about this vCPU's set-up. */
static void cpuid_context(struct vcpu *v, struct cpuid_policy_ctx *ctx)
{
    static uint32_t host_max_basic, host_max_extended;
    if (!host_max_basic) {
        host_max_basic = cpuid(0, 0).eax;
        host_max_extended = cpuid(0x80000000, 0).eax;
    }
    uint32_t proc2 = to_vmx(v)->secondary_controls;
    *ctx = (struct cpuid_policy_ctx){
        .vcpu_id = v->id,
        .vcpu_count = 1,
        .host_max_basic = host_max_basic,
        .host_max_extended = host_max_extended,
        .guest_cr4 = vcpu_cr4(v),
        .keel_version_major = KEEL_VERSION_MAJOR,
        .keel_version_minor = KEEL_VERSION_MINOR,
        .rdtscp_enabled = proc2 & SECONDARY_EXEC_ENABLE_RDTSCP,
        .invpcid_enabled = proc2 & SECONDARY_EXEC_ENABLE_INVPCID,
        .ept_enabled = proc2 & SECONDARY_EXEC_ENABLE_EPT,
        .apic_disabled = !(lapic_apic_base(&v->lapic) & IA32_APIC_BASE_EN),
    };
}

/* Leaves whose answer depends on ECX (SDM vol. 2A "CPUID", table 3-8); for
 * the others the sub-leaf is ignored, so it must not split the cache.  A
 * bit mask for the basic leaves below 32, on the exit path. */
#define BASIC_LEAVES_WITH_SUBLEAVES                                                   \
    ((1u << 0x4) | (1u << 0x7) | (1u << 0xb) | (1u << 0xd) | (1u << 0xf) | (1u << 0x10) | \
     (1u << 0x12) | (1u << 0x14) | (1u << 0x17) | (1u << 0x18) | (1u << 0x1a) |        \
     (1u << 0x1b) | (1u << 0x1d) | (1u << 0x1e) | (1u << 0x1f))

static inline bool leaf_has_subleaves(uint32_t leaf)
{
    if (leaf < 32)
        return (BASIC_LEAVES_WITH_SUBLEAVES >> leaf) & 1;
    return leaf == 0x8000001d || leaf == 0x80000020;
}

/* ECX as far as it selects a sub-leaf of leaf: all of it, or nothing. */
static inline uint32_t cpuid_subleaf(uint32_t leaf, uint32_t ecx)
{
    if (__builtin_expect(leaf < 32, 1))
        return ecx & -((BASIC_LEAVES_WITH_SUBLEAVES >> leaf) & 1u);
    return leaf_has_subleaves(leaf) ? ecx : 0;
}

/* The CR4 bits the policy mirrors into CPUID: OSXSAVE in leaf 1, OSPKE
 * in leaf 7 (SDM vol. 2A "CPUID"); no other leaf depends on CR4. */
#define CPUID_CR4_DEPENDENT ((UINT64_C(1) << 18) | (UINT64_C(1) << 22))

static bool leaf_depends_on_state(uint32_t leaf)
{
    return leaf == 0x1 || leaf == 0x7;
}

/* Leaf 1's EDX.APIC follows IA32_APIC_BASE.EN: part of the state (a bit
 * that is not one of the CR4 bits). */
#define CPUID_STATE_APIC_DISABLED (UINT32_C(1) << 31)

/* What a state-dependent leaf's answer depends on besides leaf and
 * sub-leaf: two CR4 bits, and for leaf 1 IA32_APIC_BASE.EN. */
static uint32_t cpuid_state(struct vcpu *v, uint32_t leaf)
{
    uint32_t state = (uint32_t)(vcpu_cr4(v) & CPUID_CR4_DEPENDENT);
    if (leaf == 0x1 && !(lapic_apic_base(&v->lapic) & IA32_APIC_BASE_EN))
        state |= CPUID_STATE_APIC_DISABLED;
    return state;
}

/* A leaf's slot: basic leaves k and extended leaves 0x8000000k land k ^ 8
 * apart for k below 8; the sub-leaves a guest walks spread over the rest. */
static inline struct cpuid_cache_entry *cpuid_cache_slot(struct vcpu_vmx *x, uint32_t leaf,
                                                         uint32_t subleaf)
{
    return &x->cpuid_cache[(leaf ^ (leaf >> 28) ^ subleaf) & (CPUID_CACHE_SIZE - 1)];
}

/*
 * The guest's CPUID is a fixed function of the leaf, the sub-leaf and, for
 * leaves 1 and 7, two CR4 bits and IA32_APIC_BASE.EN for a given vCPU, so
 * answers are cached (guests ask the same few leaves again and again, and
 * CPUID is the exit keel's exit path is measured by).  The sub-leaf must be
 * 0 already where the leaf has none.
 */
static const struct cpuid_result *cpuid_answer(struct vcpu *v, uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_cache_entry *e = cpuid_cache_slot(to_vmx(v), leaf, subleaf);
    bool dependent = leaf_depends_on_state(leaf);
    uint32_t state = dependent ? cpuid_state(v, leaf) : 0;
    if (e->kind != CPUID_ENTRY_EMPTY && e->leaf == leaf && e->subleaf == subleaf &&
        e->state == state)
        return &e->result;

    struct cpuid_policy_ctx ctx;
    cpuid_context(v, &ctx);
    struct cpuid_regs host = cpuid(cpuid_policy_source_leaf(leaf, &ctx), subleaf);
    struct cpuid_result res = { host.eax, host.ebx, host.ecx, host.edx };
    cpuid_policy_apply(leaf, subleaf, &ctx, &res);
    *e = (struct cpuid_cache_entry){
        .leaf = leaf,
        .subleaf = subleaf,
        .result = res,
        .state = state,
        .kind = dependent                 ? CPUID_ENTRY_STATE
                : leaf_has_subleaves(leaf) ? CPUID_ENTRY_SUBLEAF
                                          : CPUID_ENTRY_PLAIN,
    };
    return &e->result;
}

void vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_result *res)
{
    *res = *cpuid_answer(v, leaf, cpuid_subleaf(leaf, subleaf));
}

static inline enum exit_action emulate_cpuid(struct vcpu *v, const struct cpuid_result *res)
{
    v->regs.gpr[GPR_RAX] = res->eax;
    v->regs.gpr[GPR_RBX] = res->ebx;
    v->regs.gpr[GPR_RCX] = res->ecx;
    v->regs.gpr[GPR_RDX] = res->edx;
    return vmx_instruction_done(v);
}

static __attribute__((noinline)) enum exit_action cpuid_exit_slow(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
    return emulate_cpuid(v, cpuid_answer(v, leaf,
                                         cpuid_subleaf(leaf, (uint32_t)v->regs.gpr[GPR_RCX])));
}

/* The fast path, without a call: a cached answer that is a function of the
 * leaf alone (CPUID_ENTRY_PLAIN) is in the leaf's slot, found by the leaf
 * without looking at ECX.  Anything else goes to cpuid_exit_slow(). */
enum exit_action vmx_exit_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
    const struct cpuid_cache_entry *e = cpuid_cache_slot(to_vmx(v), leaf, 0);
    if (e->leaf != leaf || e->kind != CPUID_ENTRY_PLAIN)
        return cpuid_exit_slow(v);
    return emulate_cpuid(v, &e->result);
}

/* HLT waits for an interrupt.  With IF=0 (and NMIs unused by keel's guests)
 * nothing can ever wake the vCPU: that is a stopped VM, reported with its
 * RIP.  With IF=1 it waits for an event: none exists before keel emulates
 * interrupt controllers, which the scheduler notices. */
enum exit_action vmx_exit_hlt(struct vcpu *v)
{
    uint64_t rip = vcpu_rip(v);
    vcpu_skip_instruction(v);
    if (!(vcpu_rflags(v) & RFLAGS_IF)) {
        vm_stop(v->vm, VM_STOP_HALTED, 0, "HLT with interrupts disabled at RIP %lx", rip);
        return EXIT_RESUME;
    }
    /* HLT ends at the next interrupt: if one is deliverable already, the
     * entry delivers it and the guest goes on past the HLT. */
    if (pc_timers_due(v->vm, rdtsc()))
        pc_update_timers(v->vm);
    if (vcpu_intr_any_pending(v))
        return EXIT_RESUME;
    v->vm->state = VM_STATE_WAITING;
    return EXIT_YIELD;
}

enum exit_action vmx_exit_vmcall(struct vcpu *v)
{
    hypercall_dispatch(v);
    return vmx_instruction_done(v);
}

/* The XCR0 bits a guest may set: the host's, less what keel's CPUID policy
 * hides. */
static uint64_t xcr0_supported(struct vcpu *v)
{
    struct cpuid_regs r = cpuid(0xd, 0);
    struct cpuid_policy_ctx ctx;
    cpuid_context(v, &ctx);
    return cpuid_policy_xcr0_allowed(((uint64_t)r.edx << 32) | r.eax, &ctx);
}

/* XSETBV checks, SDM vol. 2D "XSETBV": #UD without CR4.OSXSAVE, #GP(0) at
 * CPL > 0, for an XCR other than 0, for bits the CPU lacks, without x87
 * state, or AVX state without SSE state. */
enum exit_action vmx_exit_xsetbv(struct vcpu *v)
{
    uint32_t xcr = (uint32_t)v->regs.gpr[GPR_RCX];
    uint64_t value = ((v->regs.gpr[GPR_RDX] & 0xffffffffu) << 32) |
                     (v->regs.gpr[GPR_RAX] & 0xffffffffu);
    if (!(vcpu_cr4(v) & CR4_OSXSAVE)) {
        vcpu_inject_exception(v, EXC_UD, false, 0);
        return EXIT_RESUME;
    }
    if (vcpu_cpl(v) != 0 || xcr != 0 || (value & ~xcr0_supported(v)) || !(value & XCR0_X87) ||
        ((value & XCR0_AVX) && !(value & XCR0_SSE))) {
        vcpu_inject_exception(v, EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    xsetbv(0, value);
    to_vmx(v)->xcr0 = value;
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* INVD and WBINVD: guest RAM is ordinary write-back memory and keel's
 * devices do no DMA, so there is nothing to flush for the guest. */
enum exit_action vmx_exit_cache_flush(struct vcpu *v)
{
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* keel hides VMX from its guests (CPUID.1:ECX.VMX = 0), so every VMX
 * instruction is an invalid opcode there, as on a CPU without VMX. */
enum exit_action vmx_exit_vmx_instruction(struct vcpu *v)
{
    vcpu_inject_exception(v, EXC_UD, false, 0);
    return EXIT_RESUME;
}

/* MONITOR/MWAIT are hidden too (CPUID.1:ECX.MONITOR = 0). */
enum exit_action vmx_exit_monitor_mwait(struct vcpu *v)
{
    vcpu_inject_exception(v, EXC_UD, false, 0);
    return EXIT_RESUME;
}

/* No performance counters are offered (CPUID leaf 0xA is zero): any counter
 * number is invalid, which is #GP(0). */
enum exit_action vmx_exit_rdpmc(struct vcpu *v)
{
    vcpu_inject_exception(v, EXC_GP, true, 0);
    return EXIT_RESUME;
}

/* A triple fault is a shutdown, which on a PC resets the machine: with
 * onreset=restart the VM starts again, otherwise it stops with a report. */
enum exit_action vmx_exit_triple_fault(struct vcpu *v)
{
    kprintf("keel: vm %s: triple fault at RIP %lx\n", v->vm->name, vcpu_rip(v));
    vmx_report_vcpu(v);
    if (v->vm->config->onreset == VM_ONRESET_RESTART) {
        vm_reset(v->vm, "triple fault");
        return EXIT_RESUME;
    }
    vm_stop(v->vm, VM_STOP_TRIPLE_FAULT, 0, "triple fault at RIP %lx", vcpu_rip(v));
    return EXIT_RESUME;
}

enum exit_action vmx_exit_init_signal(struct vcpu *v)
{
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "INIT signal (vCPU reset is not supported yet)");
    return EXIT_RESUME;
}

/* A SIPI only matters in the wait-for-SIPI state, which keel's vCPUs never
 * enter: nothing to do. */
enum exit_action vmx_exit_sipi(struct vcpu *v)
{
    (void)v;
    return EXIT_RESUME;
}

/* A host interrupt while the guest ran.  keel masks every host interrupt
 * source but its turn timer (arch/x86/host_lapic.c, on CPUs without the
 * preemption timer); "acknowledge interrupt on exit" took the vector from
 * the host's APIC, which then waits for keel's EOI (none for a spurious
 * vector: SDM vol. 3A 11.9).  The turn the timer was armed for ends; any
 * other interrupt is noted. */
enum exit_action vmx_exit_external_interrupt(struct vcpu *v)
{
    uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
    struct x86_event ev;
    vmx_decode_intr_info(info, 0, &ev);
    if (vmx_intr_info_valid(info) && vmx_policy.host_timer &&
        ev.vector != HOST_LAPIC_SPURIOUS_VECTOR)
        host_lapic_eoi();
    if (ev.vector != HOST_LAPIC_TIMER_VECTOR)
        pr_debug("vm %s: host interrupt vector %u during the guest", v->vm->name, ev.vector);
    return EXIT_YIELD;
}

/* Under EPT the exception bitmap is empty, so this exit is a host NMI; with
 * shadow paging #PF is intercepted too (vmx/exit_shadow.c). */
enum exit_action vmx_exit_exception_nmi(struct vcpu *v)
{
    struct x86_event ev;
    uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
    vmx_decode_intr_info(info, vmcs_read32(VM_EXIT_INTR_ERROR_CODE), &ev);
    /* Bit 12 is undefined for an exit during event delivery and for #DF
     * (SDM vol. 3C 28.2.3). */
    if (vmx_intr_info_nmi_unblocking(info) && !v->pending_event.valid && ev.vector != EXC_DF)
        vmx_reblock_nmis(v);
    if (ev.type == EVENT_NMI) {
        pr_warn("vm %s: NMI while the guest ran", v->vm->name);
        return EXIT_RESUME;
    }
    if (ev.type == EVENT_HARDWARE_EXCEPTION && ev.vector == EXC_PF && v->shadow)
        return vmx_exit_shadow_page_fault(v, vmx_exit_qualification(v), ev.error_code);
    kprintf("keel: vm %s: unexpected exception exit, vector %u\n", v->vm->name, ev.vector);
    vmx_report_vcpu(v);
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "unexpected exception exit %u", ev.vector);
    return EXIT_RESUME;
}

/* Either a virtual timer is due (the entry path updates it and injects
 * what it raised) or the vCPU's time slice is over. */
enum exit_action vmx_exit_preemption_timer(struct vcpu *v)
{
    /* Its count is 0 now: it is written again before the next entry. */
    vmx_rearm_preemption_timer(v);
    return rdtsc() >= v->vm->timer_deadline ? EXIT_RESUME : EXIT_YIELD;
}
