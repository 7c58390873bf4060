/*
 * Decoding of the VMX capability MSRs and the boot-time VT-x report
 * (contract in vmx/vmx_caps.h).  Pure logic: the values come from
 * vmx/probe.c in keel and from tables in tests/unit/test_vmx_caps.c.
 */
#include "vmx/vmx_caps.h"

#include <stdarg.h>
#include <stddef.h>

#include "arch/x86/msr.h"
#include "lib/format.h"
#include "lib/string.h"

/* ---- Decoding -------------------------------------------------------- */

static void decode_feature_control(struct vmx_caps *c, uint64_t fc)
{
    c->feature_control = fc;
    c->feature_control_locked = (fc & FEATURE_CONTROL_LOCKED) != 0;
    c->vmxon_outside_smx = (fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX) != 0;
    /* Until the lock bit is set, WRMSR may still change the MSR (SDM 24.7),
     * so keel can turn VMXON outside SMX on itself. */
    c->feature_control_can_enable = !c->feature_control_locked;
}

static void decode_basic(struct vmx_caps *c, uint64_t basic)
{
    c->vmcs_revision_id = (uint32_t)(basic & VMX_BASIC_REVISION_ID_MASK);
    c->vmcs_region_size =
        (uint32_t)((basic >> VMX_BASIC_REGION_SIZE_SHIFT) & VMX_BASIC_REGION_SIZE_MASK);
    c->vmcs_memory_type =
        (uint32_t)((basic >> VMX_BASIC_MEMORY_TYPE_SHIFT) & VMX_BASIC_MEMORY_TYPE_MASK);
    c->phys_addr_32bit = (basic & VMX_BASIC_PHYS_ADDR_WIDTH_32) != 0;
    c->dual_monitor_smm = (basic & VMX_BASIC_DUAL_MONITOR_SMM) != 0;
    c->ins_outs_info = (basic & VMX_BASIC_INS_OUTS_INFO) != 0;
    c->has_true_msrs = (basic & VMX_BASIC_TRUE_CTLS) != 0;
}

/* SDM A.3.1: where the TRUE_* MSRs exist they are the authority on which
 * default-1 controls may be 0; their allowed 1-settings equal the plain MSR's. */
static void decode_controls(struct vmx_caps *c, const struct vmx_msrs *m)
{
    bool use_true = c->has_true_msrs && m->have_true_ctls;

    c->pinbased = vmx_ctl_from_msr(use_true ? m->true_pinbased_ctls : m->pinbased_ctls);
    c->procbased = vmx_ctl_from_msr(use_true ? m->true_procbased_ctls : m->procbased_ctls);
    c->exit = vmx_ctl_from_msr(use_true ? m->true_exit_ctls : m->exit_ctls);
    c->entry = vmx_ctl_from_msr(use_true ? m->true_entry_ctls : m->entry_ctls);

    /* SDM 25.6.2: a CPU that only allows 0 for "activate secondary controls"
     * has none; IA32_VMX_PROCBASED_CTLS2 then does not exist. */
    c->secondary_controls =
        vmx_ctl_allows(&c->procbased, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
        m->have_procbased_ctls2;
    if (c->secondary_controls)
        c->procbased2 = vmx_ctl_from_msr(m->procbased_ctls2);
}

static void decode_features(struct vmx_caps *c, const struct vmx_msrs *m)
{
    c->preemption_timer = vmx_ctl_allows(&c->pinbased, PIN_BASED_ACTIVATE_PREEMPTION_TIMER);
    c->preemption_timer_rate = (uint32_t)(m->misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK);
    c->posted_interrupts = vmx_ctl_allows(&c->pinbased, PIN_BASED_PROCESS_POSTED_INTERRUPTS);

    c->io_bitmaps = vmx_ctl_allows(&c->procbased, CPU_BASED_USE_IO_BITMAPS);
    c->msr_bitmaps = vmx_ctl_allows(&c->procbased, CPU_BASED_USE_MSR_BITMAPS);
    c->tpr_shadow = vmx_ctl_allows(&c->procbased, CPU_BASED_USE_TPR_SHADOW);

    /* procbased2 is all-zero without secondary controls, so these are false. */
    c->ept = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_ENABLE_EPT);
    c->vpid = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_ENABLE_VPID);
    c->unrestricted_guest = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_UNRESTRICTED_GUEST);
    c->apic_access = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);
    c->apic_register_virtualization =
        vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_APIC_REGISTER_VIRTUALIZATION);
    c->virtualize_x2apic = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE);
    c->virtual_interrupt_delivery =
        vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_VIRTUAL_INTERRUPT_DELIVERY);
    c->vmfunc = vmx_ctl_allows(&c->procbased2, SECONDARY_EXEC_ENABLE_VM_FUNCTIONS);
    c->eptp_switching = c->vmfunc && m->have_vmfunc && (m->vmfunc & VMX_VMFUNC_EPTP_SWITCHING);

    c->host_64bit = vmx_ctl_allows(&c->exit, VM_EXIT_HOST_ADDRESS_SPACE_SIZE);
    c->preemption_timer_save = vmx_ctl_allows(&c->exit, VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE);
}

static void decode_ept_caps(struct vmx_ept_caps *e, uint64_t cap)
{
    e->execute_only = (cap & VMX_EPT_EXECUTE_ONLY) != 0;
    e->walk_4level = (cap & VMX_EPT_PAGE_WALK_4) != 0;
    e->walk_5level = (cap & VMX_EPT_PAGE_WALK_5) != 0;
    e->memtype_uc = (cap & VMX_EPT_MEMORY_TYPE_UC) != 0;
    e->memtype_wb = (cap & VMX_EPT_MEMORY_TYPE_WB) != 0;
    e->pages_2m = (cap & VMX_EPT_PDE_2MB) != 0;
    e->pages_1g = (cap & VMX_EPT_PDPTE_1GB) != 0;
    e->invept = (cap & VMX_EPT_INVEPT) != 0;
    /* The INVEPT types only mean something when INVEPT exists (SDM A.10). */
    e->invept_single = e->invept && (cap & VMX_EPT_INVEPT_SINGLE_CONTEXT);
    e->invept_all = e->invept && (cap & VMX_EPT_INVEPT_ALL_CONTEXT);
    e->accessed_dirty = (cap & VMX_EPT_ACCESSED_DIRTY) != 0;
}

static void decode_vpid_caps(struct vmx_vpid_caps *v, uint64_t cap)
{
    v->invvpid = (cap & VMX_VPID_INVVPID) != 0;
    v->invvpid_individual = v->invvpid && (cap & VMX_VPID_INVVPID_INDIVIDUAL_ADDRESS);
    v->invvpid_single = v->invvpid && (cap & VMX_VPID_INVVPID_SINGLE_CONTEXT);
    v->invvpid_all = v->invvpid && (cap & VMX_VPID_INVVPID_ALL_CONTEXT);
    v->invvpid_single_globals = v->invvpid && (cap & VMX_VPID_INVVPID_SINGLE_CONTEXT_GLOBALS);
}

void vmx_caps_decode(const struct vmx_msrs *msrs, struct vmx_caps *caps)
{
    memset(caps, 0, sizeof(*caps));
    caps->raw = *msrs;
    caps->vmx_supported = (msrs->cpuid1_ecx & CPUID_1_ECX_VMX) != 0;
    if (!caps->vmx_supported || !msrs->have_basic)
        return;

    decode_feature_control(caps, msrs->feature_control);
    decode_basic(caps, msrs->basic);
    decode_controls(caps, msrs);
    decode_features(caps, msrs);
    if (caps->ept && msrs->have_ept_vpid_cap)
        decode_ept_caps(&caps->ept_caps, msrs->ept_vpid_cap);
    if (caps->vpid && msrs->have_ept_vpid_cap)
        decode_vpid_caps(&caps->vpid_caps, msrs->ept_vpid_cap);
}

/* ---- Can keel use it? ------------------------------------------------ */

const char *vmx_unsupported_reason(const struct vmx_caps *caps)
{
    if (!caps->vmx_supported)
        return "CPUID.1:ECX.VMX[bit 5] = 0: this CPU (or the hypervisor below keel) "
               "offers no VT-x";
    if (!caps->raw.have_basic)
        return "the VMX capability MSRs were not read";
    /* SDM 24.7: VMXON outside SMX #GPs unless bit 2 is set, and once the
     * firmware set the lock bit nobody can set bit 2 before the next reset. */
    if (caps->feature_control_locked && !caps->vmxon_outside_smx)
        return "IA32_FEATURE_CONTROL is locked with VMXON outside SMX disabled "
               "(enable VT-x in the firmware setup)";
    if (caps->vmcs_region_size == 0 || caps->vmcs_region_size > VMX_BASIC_REGION_SIZE_MAX)
        return "IA32_VMX_BASIC[44:32]: VMCS region size is not within 1..4096 bytes";
    /* keel maps its VMXON/VMCS regions write-back, so they must be accessed
     * that way by the CPU too (SDM A.1; only UC and WB are defined). */
    if (caps->vmcs_memory_type != VMX_MEMORY_TYPE_WB)
        return "VMCS memory type is not write-back (IA32_VMX_BASIC[53:50] != 6)";
    /* keel is a 64-bit host: every VM exit must return to 64-bit mode. */
    if (!caps->host_64bit)
        return "VM-exit control \"host address-space size\" cannot be 1, so no VM exit "
               "can return to a 64-bit host";
    return NULL;
}

/* ---- Report ---------------------------------------------------------- */

#define REPORT_LABEL_WIDTH 17
#define REPORT_LINE_MAX    192
#define REPORT_DETAIL_MAX  96

struct report {
    void (*line)(const char *text, void *ctx);
    void *ctx;
};

static void report_line(const struct report *r, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "  <label padded> <value>" */
static void report_line(const struct report *r, const char *label, const char *fmt, ...)
{
    char text[REPORT_LINE_MAX];
    int n = ksnprintf(text, sizeof(text), "  %-*s", REPORT_LABEL_WIDTH, label);

    if (n >= 0 && (size_t)n < sizeof(text)) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    r->line(text, r->ctx);
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

/* Appends sep (unless buf is empty) and word to the string in buf. */
static void append_word(char *buf, size_t size, const char *sep, const char *word)
{
    size_t len = strlen(buf);

    if (len < size)
        ksnprintf(buf + len, size - len, "%s%s", len ? sep : "", word);
}

/* "yes" alone, or "yes (detail)" when there is one. */
static void report_feature(const struct report *r, const char *label, bool present,
                           const char *detail)
{
    if (present && detail && detail[0])
        report_line(r, label, "yes (%s)", detail);
    else
        report_line(r, label, "%s", yes_no(present));
}

static void describe_ept(const struct vmx_ept_caps *e, char *buf, size_t size)
{
    char group[REPORT_DETAIL_MAX];

    buf[0] = '\0';
    if (e->walk_4level)
        append_word(buf, size, ", ", "4-level");
    if (e->walk_5level)
        append_word(buf, size, ", ", "5-level");
    if (e->memtype_wb)
        append_word(buf, size, ", ", "WB");
    if (e->memtype_uc)
        append_word(buf, size, ", ", "UC");

    group[0] = '\0';
    if (e->pages_2m)
        append_word(group, sizeof(group), " ", "2M");
    if (e->pages_1g)
        append_word(group, sizeof(group), " ", "1G");
    if (group[0]) {
        append_word(group, sizeof(group), " ", "pages");
        append_word(buf, size, ", ", group);
    }

    if (e->invept) {
        ksnprintf(group, sizeof(group), "INVEPT%s%s", e->invept_single ? " single" : "",
                  e->invept_all ? " all" : "");
        append_word(buf, size, ", ", group);
    } else {
        append_word(buf, size, ", ", "no INVEPT");
    }
    if (e->accessed_dirty)
        append_word(buf, size, ", ", "A/D");
    if (e->execute_only)
        append_word(buf, size, ", ", "execute-only");
}

static void describe_vpid(const struct vmx_vpid_caps *v, char *buf, size_t size)
{
    if (!v->invvpid) {
        ksnprintf(buf, size, "no INVVPID");
        return;
    }
    ksnprintf(buf, size, "INVVPID%s%s%s%s", v->invvpid_individual ? " address" : "",
              v->invvpid_single ? " single" : "", v->invvpid_all ? " all" : "",
              v->invvpid_single_globals ? " single-keep-globals" : "");
}

static const char *memory_type_name(uint32_t type)
{
    switch (type) {
    case VMX_MEMORY_TYPE_UC:
        return "UC";
    case VMX_MEMORY_TYPE_WB:
        return "WB";
    default:
        return "reserved type";
    }
}

static void report_feature_control(const struct report *r, const struct vmx_caps *c)
{
    const char *state;

    if (c->feature_control_locked)
        state = c->vmxon_outside_smx ? "locked, VMXON outside SMX allowed"
                                     : "locked, VMXON outside SMX disabled";
    else
        state = c->vmxon_outside_smx ? "not locked, VMXON outside SMX allowed"
                                     : "not locked: keel can enable VMXON outside SMX";
    report_line(r, "FEATURE_CONTROL", "0x%llx (%s)", (unsigned long long)c->feature_control,
                state);
}

static void report_msr_details(const struct report *r, const struct vmx_caps *c)
{
    char detail[REPORT_DETAIL_MAX];

    report_feature_control(r, c);
    report_line(r, "VMCS revision", "0x%x (%u-byte regions, %s)", c->vmcs_revision_id,
                c->vmcs_region_size, memory_type_name(c->vmcs_memory_type));
    report_line(r, "TRUE_* MSRs", "%s", yes_no(c->has_true_msrs));
    report_line(r, "INS/OUTS info", "%s", yes_no(c->ins_outs_info));
    report_line(r, "64-bit host", "%s", yes_no(c->host_64bit));
    report_line(r, "Secondary ctls", "%s", yes_no(c->secondary_controls));

    describe_ept(&c->ept_caps, detail, sizeof(detail));
    report_feature(r, "EPT", c->ept, detail);
    describe_vpid(&c->vpid_caps, detail, sizeof(detail));
    report_feature(r, "VPID", c->vpid, detail);
    report_line(r, "Unrestricted", "%s", yes_no(c->unrestricted_guest));

    ksnprintf(detail, sizeof(detail), "TSC >> %u%s", c->preemption_timer_rate,
              c->preemption_timer_save ? ", value saved on exit" : "");
    report_feature(r, "Preemption timer", c->preemption_timer, detail);
    report_line(r, "I/O bitmaps", "%s", yes_no(c->io_bitmaps));
    report_line(r, "MSR bitmaps", "%s", yes_no(c->msr_bitmaps));
    report_line(r, "TPR shadow", "%s", yes_no(c->tpr_shadow));
    report_line(r, "APIC accesses", "%s", yes_no(c->apic_access));
    report_line(r, "APIC registers", "%s", yes_no(c->apic_register_virtualization));
    report_line(r, "Virtual x2APIC", "%s", yes_no(c->virtualize_x2apic));
    report_line(r, "Virtual intr", "%s", yes_no(c->virtual_interrupt_delivery));
    report_line(r, "Posted intr", "%s", yes_no(c->posted_interrupts));
    report_feature(r, "VMFUNC", c->vmfunc, c->eptp_switching ? "EPTP switching" : NULL);
}

void vmx_caps_report(const struct vmx_caps *caps, void (*line)(const char *text, void *ctx),
                     void *ctx)
{
    const struct report r = { line, ctx };
    const char *reason = vmx_unsupported_reason(caps);

    line("VT-x:", ctx);
    report_line(&r, "VMX", "%s", yes_no(caps->vmx_supported));
    /* Without VMX the capability MSRs do not exist: say nothing about them. */
    if (caps->vmx_supported && caps->raw.have_basic)
        report_msr_details(&r, caps);
    if (reason)
        report_line(&r, "Usable", "no: %s", reason);
    else
        report_line(&r, "Usable", "yes");
}
