/* Host tests for vmx/vmx_caps.c: decoding of the VMX capability MSRs, the
 * "can keel use VT-x" verdict and the boot-time report. */
#include "tests/unit/unit.h"

#include "lib/format.c"
#include "vmx/vmx_caps.c"

/*
 * A Haswell-class CPU as Bochs's corei7_haswell_4770 model presents it.
 * Derived from the SDM bit definitions (appendix A) and the Bochs VMX model:
 *   BASIC     revision 0x2b, 4096-byte regions (bits 44:32), WB (53:50 = 6),
 *             INS/OUTS info (54), TRUE_* MSRs (55);
 *   PINBASED  allowed0 = default-1 bits 1,2,4; allowed1 adds external-interrupt
 *             exiting, NMI exiting, virtual NMIs, preemption timer (no posted
 *             interrupts);
 *   PROCBASED allowed0 = default-1 bits 0x0401e172, allowed1 = all but 0,17,18;
 *             the TRUE variant lets CR3-load/store exiting (15,16) be 0;
 *   EXIT      allowed0 0x36dff (TRUE: save debug controls may be 0), allowed1
 *             bits 0-22; ENTRY allowed0 0x11ff (TRUE 0x11fb), allowed1 bits 0-15;
 *   MISC      preemption timer rate 0, EFER.LMA store, HLT/shutdown/SIPI
 *             activity states, 4 CR3 targets, VMWRITE to any field;
 *   CTLS2     allowed1 bits 0-14 (APIC accesses ... VMCS shadowing);
 *   EPT/VPID  execute-only, 4-level, UC, WB, 2M, 1G, INVEPT (single, all),
 *             A/D, INVVPID with all four types;
 *   VMFUNC    EPTP switching.
 */
static struct vmx_msrs haswell_msrs(void)
{
    struct vmx_msrs m = { 0 };

    m.cpuid1_ecx = 0x7ffafbbf;
    m.have_basic = true;
    m.feature_control = 0x5;
    m.basic = 0x00d810000000002bull;
    m.pinbased_ctls = 0x0000007f00000016ull;
    m.procbased_ctls = 0xfff9fffe0401e172ull;
    m.exit_ctls = 0x007fffff00036dffull;
    m.entry_ctls = 0x0000ffff000011ffull;
    m.misc = 0x00000000200401e0ull;
    m.cr0_fixed0 = 0x80000021ull;
    m.cr0_fixed1 = 0xffffffffull;
    m.cr4_fixed0 = 0x00002000ull;
    m.cr4_fixed1 = 0x003767ffull;
    m.have_true_ctls = true;
    m.true_pinbased_ctls = 0x0000007f00000016ull;
    m.true_procbased_ctls = 0xfff9fffe04006172ull;
    m.true_exit_ctls = 0x007fffff00036dfbull;
    m.true_entry_ctls = 0x0000ffff000011fbull;
    m.have_procbased_ctls2 = true;
    m.procbased_ctls2 = 0x00007fff00000000ull;
    m.have_ept_vpid_cap = true;
    m.ept_vpid_cap = 0x00000f0106334141ull;
    m.have_vmfunc = true;
    m.vmfunc = 0x1;
    return m;
}

/*
 * A Core 2 (Penryn) class CPU: VT-x without EPT, VPID, unrestricted guest or
 * the preemption timer, and without the TRUE_* MSRs.  BASIC: revision 0xd,
 * 2048-byte regions, dual-monitor SMM, WB, INS/OUTS info, bit 55 clear.
 * Secondary controls: only "virtualize APIC accesses" and "WBINVD exiting".
 */
static struct vmx_msrs penryn_msrs(void)
{
    struct vmx_msrs m = { 0 };

    m.cpuid1_ecx = 0x0008e3fd;
    m.have_basic = true;
    m.feature_control = 0x5;
    m.basic = 0x005a08000000000dull;
    m.pinbased_ctls = 0x0000003f00000016ull;
    m.procbased_ctls = 0xf7f9fffe0401e172ull;
    m.exit_ctls = 0x0003ffff00036dffull;
    m.entry_ctls = 0x00003fff000011ffull;
    m.misc = 0x00000000000401c0ull;
    m.cr0_fixed0 = 0x80000021ull;
    m.cr0_fixed1 = 0xffffffffull;
    m.cr4_fixed0 = 0x00002000ull;
    m.cr4_fixed1 = 0x000027ffull;
    m.have_procbased_ctls2 = true;
    m.procbased_ctls2 = 0x0000004100000000ull;
    return m;
}

/* A CPU (or a hypervisor below keel) without VMX: nothing but CPUID was read. */
static struct vmx_msrs no_vmx_msrs(void)
{
    struct vmx_msrs m = { 0 };
    m.cpuid1_ecx = 0x7ffafb9f;  /* bit 5 clear */
    return m;
}

/* ---- Report capture ---------------------------------------------------- */

#define MAX_LINES 40
static char lines[MAX_LINES][REPORT_LINE_MAX + 1];
static int nlines;

static void collect_line(const char *text, void *ctx)
{
    (*(int *)ctx)++;
    if (nlines < MAX_LINES)
        snprintf(lines[nlines++], sizeof(lines[0]), "%s", text);
}

static int run_report(const struct vmx_caps *caps)
{
    int calls = 0;
    nlines = 0;
    vmx_caps_report(caps, collect_line, &calls);
    return calls;
}

/* The value after "  <label>" and at least one blank, as a test runner's
 * `label +value` pattern sees it; NULL if no line has that label. */
static const char *value_of(const char *label)
{
    size_t len = strlen(label);
    for (int i = 0; i < nlines; i++) {
        const char *l = lines[i];
        if (strncmp(l, "  ", 2) != 0 || strncmp(l + 2, label, len) != 0 || l[2 + len] != ' ')
            continue;
        l += 2 + len;
        while (*l == ' ')
            l++;
        return l;
    }
    return NULL;
}

static bool any_line_contains(const char *s)
{
    for (int i = 0; i < nlines; i++)
        if (strstr(lines[i], s))
            return true;
    return false;
}

static struct vmx_caps decode(struct vmx_msrs m)
{
    struct vmx_caps c;
    memset(&c, 0xa5, sizeof(c));        /* decode must not rely on a zeroed caps */
    vmx_caps_decode(&m, &c);
    return c;
}

/* ---- Decoding -------------------------------------------------------- */

TEST(haswell_basic_fields)
{
    struct vmx_caps c = decode(haswell_msrs());

    CHECK(c.vmx_supported);
    CHECK_EQ_U(c.vmcs_revision_id, 0x2b);
    CHECK_EQ_U(c.vmcs_region_size, 4096);
    CHECK_EQ_U(c.vmcs_memory_type, VMX_MEMORY_TYPE_WB);
    CHECK(c.has_true_msrs);
    CHECK(c.ins_outs_info);
    CHECK(!c.phys_addr_32bit);
    CHECK(!c.dual_monitor_smm);
    CHECK_EQ_U(c.feature_control, 0x5);
    CHECK(c.feature_control_locked);
    CHECK(c.vmxon_outside_smx);
    CHECK(!c.feature_control_can_enable);
    CHECK_EQ_U(c.raw.cr0_fixed0, 0x80000021);
}

TEST(haswell_features)
{
    struct vmx_caps c = decode(haswell_msrs());

    CHECK(c.secondary_controls);
    CHECK(c.ept);
    CHECK(c.vpid);
    CHECK(c.unrestricted_guest);
    CHECK(c.preemption_timer);
    CHECK_EQ_U(c.preemption_timer_rate, 0);
    CHECK(c.preemption_timer_save);
    CHECK(c.io_bitmaps);
    CHECK(c.msr_bitmaps);
    CHECK(c.tpr_shadow);
    CHECK(c.apic_access);
    CHECK(c.apic_register_virtualization);
    CHECK(c.virtualize_x2apic);
    CHECK(c.virtual_interrupt_delivery);
    CHECK(!c.posted_interrupts);
    CHECK(c.vmfunc);
    CHECK(c.eptp_switching);
    CHECK(c.host_64bit);
}

TEST(haswell_ept_and_vpid_caps)
{
    struct vmx_caps c = decode(haswell_msrs());

    CHECK(c.ept_caps.execute_only);
    CHECK(c.ept_caps.walk_4level);
    CHECK(!c.ept_caps.walk_5level);
    CHECK(c.ept_caps.memtype_uc);
    CHECK(c.ept_caps.memtype_wb);
    CHECK(c.ept_caps.pages_2m);
    CHECK(c.ept_caps.pages_1g);
    CHECK(c.ept_caps.invept);
    CHECK(c.ept_caps.invept_single);
    CHECK(c.ept_caps.invept_all);
    CHECK(c.ept_caps.accessed_dirty);
    CHECK(c.vpid_caps.invvpid);
    CHECK(c.vpid_caps.invvpid_individual);
    CHECK(c.vpid_caps.invvpid_single);
    CHECK(c.vpid_caps.invvpid_all);
    CHECK(c.vpid_caps.invvpid_single_globals);
}

TEST(true_msrs_are_used_when_basic_bit55_set)
{
    struct vmx_caps c = decode(haswell_msrs());

    /* The TRUE MSRs let CR3-load/store exiting and the debug-control
     * save/load be 0; the plain ones insist on 1. */
    CHECK_EQ_U(c.procbased.allowed0, 0x04006172);
    CHECK(!vmx_ctl_requires(&c.procbased, CPU_BASED_CR3_LOAD_EXITING));
    CHECK(!vmx_ctl_requires(&c.procbased, CPU_BASED_CR3_STORE_EXITING));
    CHECK(vmx_ctl_requires(&c.procbased, 1u << 1));     /* still default-1 */
    CHECK_EQ_U(c.exit.allowed0, 0x00036dfb);
    CHECK(!vmx_ctl_requires(&c.exit, VM_EXIT_SAVE_DEBUG_CONTROLS));
    CHECK_EQ_U(c.entry.allowed0, 0x000011fb);
    CHECK(!vmx_ctl_requires(&c.entry, VM_ENTRY_LOAD_DEBUG_CONTROLS));
    CHECK_EQ_U(c.procbased.allowed1, 0xfff9fffe);
    CHECK_EQ_U(c.procbased2.allowed0, 0);
    CHECK_EQ_U(c.procbased2.allowed1, 0x7fff);
}

TEST(no_true_msrs_uses_plain_msrs_even_if_values_present)
{
    struct vmx_msrs m = penryn_msrs();
    /* Garbage in the TRUE slots must be ignored when BASIC[55] = 0. */
    m.have_true_ctls = true;
    m.true_procbased_ctls = 0;
    m.true_pinbased_ctls = 0;
    m.true_exit_ctls = 0;
    m.true_entry_ctls = 0;
    struct vmx_caps c = decode(m);

    CHECK(!c.has_true_msrs);
    CHECK_EQ_U(c.procbased.allowed0, 0x0401e172);
    CHECK(vmx_ctl_requires(&c.procbased, CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING));
    CHECK_EQ_U(c.pinbased.allowed0, PIN_BASED_DEFAULT1);
    CHECK_EQ_U(c.exit.allowed0, VM_EXIT_DEFAULT1);
    CHECK(vmx_ctl_requires(&c.exit, VM_EXIT_SAVE_DEBUG_CONTROLS));
    CHECK_EQ_U(c.entry.allowed0, VM_ENTRY_DEFAULT1);
    CHECK(c.host_64bit);
}

TEST(true_bit_set_but_true_msrs_not_read_falls_back)
{
    struct vmx_msrs m = haswell_msrs();
    m.have_true_ctls = false;
    m.true_procbased_ctls = 0;
    struct vmx_caps c = decode(m);

    CHECK(c.has_true_msrs);
    CHECK_EQ_U(c.procbased.allowed0, 0x0401e172);
}

TEST(penryn_has_no_ept)
{
    struct vmx_caps c = decode(penryn_msrs());

    CHECK(c.vmx_supported);
    CHECK_EQ_U(c.vmcs_revision_id, 0xd);
    CHECK_EQ_U(c.vmcs_region_size, 2048);
    CHECK(c.dual_monitor_smm);
    CHECK(c.ins_outs_info);
    CHECK(c.secondary_controls);
    CHECK(!c.ept);
    CHECK(!c.vpid);
    CHECK(!c.unrestricted_guest);
    CHECK(!c.preemption_timer);
    CHECK(!c.vmfunc);
    CHECK(!c.virtual_interrupt_delivery);
    CHECK(!c.apic_register_virtualization);
    CHECK(!c.virtualize_x2apic);
    CHECK(c.apic_access);
    CHECK(c.io_bitmaps);
    CHECK(c.msr_bitmaps);
    CHECK(c.tpr_shadow);
    CHECK(!c.ept_caps.walk_4level);
    CHECK(!c.vpid_caps.invvpid);
    /* VT-x itself is usable; EPT is the VMCS code's requirement, not VMXON's. */
    CHECK(vmx_unsupported_reason(&c) == NULL);
}

TEST(secondary_controls_need_primary_bit31)
{
    struct vmx_msrs m = haswell_msrs();
    m.procbased_ctls &= ~((uint64_t)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
    m.true_procbased_ctls &= ~((uint64_t)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
    struct vmx_caps c = decode(m);

    CHECK(!c.secondary_controls);
    CHECK(!c.ept);
    CHECK(!c.vpid);
    CHECK(!c.unrestricted_guest);
    CHECK(!c.ept_caps.invept);
    CHECK_EQ_U(c.procbased2.allowed1, 0);
    CHECK(c.preemption_timer);          /* pin-based: unaffected */
}

TEST(ept_without_capability_msr_has_no_ept_caps)
{
    struct vmx_msrs m = haswell_msrs();
    m.have_ept_vpid_cap = false;
    struct vmx_caps c = decode(m);

    CHECK(c.ept);
    CHECK(!c.ept_caps.walk_4level);
    CHECK(!c.vpid_caps.invvpid);
}

TEST(invept_types_need_invept)
{
    struct vmx_msrs m = haswell_msrs();
    m.ept_vpid_cap &= ~(VMX_EPT_INVEPT | VMX_VPID_INVVPID);
    struct vmx_caps c = decode(m);

    CHECK(!c.ept_caps.invept);
    CHECK(!c.ept_caps.invept_single);
    CHECK(!c.ept_caps.invept_all);
    CHECK(!c.vpid_caps.invvpid_single);
    CHECK(c.ept_caps.walk_4level);
}

TEST(preemption_timer_rate_from_misc)
{
    struct vmx_msrs m = haswell_msrs();
    m.misc = (m.misc & ~VMX_MISC_PREEMPTION_TIMER_RATE_MASK) | 5;
    struct vmx_caps c = decode(m);

    CHECK(c.preemption_timer);
    CHECK_EQ_U(c.preemption_timer_rate, 5);
}

/* Bit 22 of the VM-exit controls' allowed-1 half (SDM A.4): whether the
 * CPU can save the timer's count at exits. */
TEST(preemption_timer_save_from_exit_controls)
{
    struct vmx_msrs m = haswell_msrs();
    m.true_exit_ctls &= ~((uint64_t)VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE << 32);
    m.exit_ctls &= ~((uint64_t)VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE << 32);
    struct vmx_caps c = decode(m);

    CHECK(c.preemption_timer);
    CHECK(!c.preemption_timer_save);
}

TEST(vmfunc_without_eptp_switching)
{
    struct vmx_msrs m = haswell_msrs();
    m.vmfunc = 0;
    struct vmx_caps c = decode(m);

    CHECK(c.vmfunc);
    CHECK(!c.eptp_switching);
}

TEST(ctl_adjust_adds_must_be_one_and_drops_unsupported)
{
    struct vmx_caps c = decode(haswell_msrs());
    uint32_t want = PIN_BASED_EXTERNAL_INTERRUPT_EXITING | PIN_BASED_PROCESS_POSTED_INTERRUPTS;

    CHECK_EQ_U(vmx_ctl_adjust(&c.pinbased, want), 0x17);
    CHECK(vmx_ctl_allows(&c.pinbased, PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS));
    CHECK(!vmx_ctl_allows(&c.pinbased, PIN_BASED_NMI_EXITING | PIN_BASED_PROCESS_POSTED_INTERRUPTS));
    CHECK_EQ_U(vmx_msr_allowed0(0x1234567890abcdefull), 0x90abcdef);
    CHECK_EQ_U(vmx_msr_allowed1(0x1234567890abcdefull), 0x12345678);
}

/* ---- Verdict --------------------------------------------------------- */

TEST(no_vmx)
{
    struct vmx_caps c = decode(no_vmx_msrs());

    CHECK(!c.vmx_supported);
    CHECK(!c.ept);
    CHECK(!c.feature_control_locked);
    CHECK_STR(vmx_unsupported_reason(&c),
              "CPUID.1:ECX.VMX[bit 5] = 0: this CPU (or the hypervisor below keel) offers no VT-x");
}

TEST(haswell_is_usable)
{
    struct vmx_caps c = decode(haswell_msrs());
    CHECK(vmx_unsupported_reason(&c) == NULL);
}

TEST(feature_control_locked_off)
{
    struct vmx_msrs m = haswell_msrs();
    m.feature_control = FEATURE_CONTROL_LOCKED;
    struct vmx_caps c = decode(m);

    CHECK(c.feature_control_locked);
    CHECK(!c.vmxon_outside_smx);
    CHECK(!c.feature_control_can_enable);
    CHECK_STR(vmx_unsupported_reason(&c),
              "IA32_FEATURE_CONTROL is locked with VMXON outside SMX disabled "
              "(enable VT-x in the firmware setup)");
    /* Only VMXON inside SMX does not help keel either. */
    m.feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_INSIDE_SMX;
    c = decode(m);
    CHECK(vmx_unsupported_reason(&c) != NULL);
}

TEST(feature_control_unlocked_is_usable)
{
    struct vmx_msrs m = haswell_msrs();
    m.feature_control = 0;
    struct vmx_caps c = decode(m);

    CHECK(!c.feature_control_locked);
    CHECK(!c.vmxon_outside_smx);
    CHECK(c.feature_control_can_enable);
    CHECK(vmx_unsupported_reason(&c) == NULL);
}

TEST(vmcs_memory_type_uc_is_refused)
{
    struct vmx_msrs m = haswell_msrs();
    m.basic &= ~(VMX_BASIC_MEMORY_TYPE_MASK << VMX_BASIC_MEMORY_TYPE_SHIFT);
    struct vmx_caps c = decode(m);

    CHECK_EQ_U(c.vmcs_memory_type, VMX_MEMORY_TYPE_UC);
    CHECK_STR(vmx_unsupported_reason(&c),
              "VMCS memory type is not write-back (IA32_VMX_BASIC[53:50] != 6)");
}

TEST(vmcs_region_size_out_of_range_is_refused)
{
    struct vmx_msrs m = haswell_msrs();
    m.basic &= ~(VMX_BASIC_REGION_SIZE_MASK << VMX_BASIC_REGION_SIZE_SHIFT);
    struct vmx_caps c = decode(m);
    CHECK_EQ_U(c.vmcs_region_size, 0);
    CHECK_STR(vmx_unsupported_reason(&c),
              "IA32_VMX_BASIC[44:32]: VMCS region size is not within 1..4096 bytes");

    m.basic |= 4104ull << VMX_BASIC_REGION_SIZE_SHIFT;   /* fits 44:32, too big */
    c = decode(m);
    CHECK_EQ_U(c.vmcs_region_size, 4104);
    CHECK(vmx_unsupported_reason(&c) != NULL);
}

TEST(no_64bit_host_is_refused)
{
    struct vmx_msrs m = haswell_msrs();
    m.true_exit_ctls &= ~((uint64_t)VM_EXIT_HOST_ADDRESS_SPACE_SIZE << 32);
    struct vmx_caps c = decode(m);

    CHECK(!c.host_64bit);
    CHECK_STR(vmx_unsupported_reason(&c),
              "VM-exit control \"host address-space size\" cannot be 1, so no VM exit can "
              "return to a 64-bit host");
}

TEST(vmx_but_msrs_not_read)
{
    struct vmx_msrs m = haswell_msrs();
    m.have_basic = false;
    struct vmx_caps c = decode(m);

    CHECK(c.vmx_supported);
    CHECK(!c.ept);
    CHECK_STR(vmx_unsupported_reason(&c), "the VMX capability MSRs were not read");
}

TEST(feature_control_check_comes_first)
{
    /* Several things wrong: the reason names the first check in order. */
    struct vmx_msrs m = haswell_msrs();
    m.feature_control = FEATURE_CONTROL_LOCKED;
    m.basic &= ~(VMX_BASIC_MEMORY_TYPE_MASK << VMX_BASIC_MEMORY_TYPE_SHIFT);
    struct vmx_caps c = decode(m);
    CHECK(strstr(vmx_unsupported_reason(&c), "IA32_FEATURE_CONTROL") != NULL);
}

/* ---- Report ---------------------------------------------------------- */

TEST(report_haswell_full_block)
{
    static const char *const want[] = {
        "VT-x:",
        "  VMX              yes",
        "  FEATURE_CONTROL  0x5 (locked, VMXON outside SMX allowed)",
        "  VMCS revision    0x2b (4096-byte regions, WB)",
        "  TRUE_* MSRs      yes",
        "  INS/OUTS info    yes",
        "  64-bit host      yes",
        "  Secondary ctls   yes",
        "  EPT              yes (4-level, WB, UC, 2M 1G pages, INVEPT single all, A/D, "
        "execute-only)",
        "  VPID             yes (INVVPID address single all single-keep-globals)",
        "  Unrestricted     yes",
        "  Preemption timer yes (TSC >> 0, value saved on exit)",
        "  I/O bitmaps      yes",
        "  MSR bitmaps      yes",
        "  TPR shadow       yes",
        "  APIC accesses    yes",
        "  APIC registers   yes",
        "  Virtual x2APIC   yes",
        "  Virtual intr     yes",
        "  Posted intr      no",
        "  VMFUNC           yes (EPTP switching)",
        "  Usable           yes",
    };
    struct vmx_caps c = decode(haswell_msrs());
    int calls = run_report(&c);

    CHECK_EQ_I(calls, (int)(sizeof(want) / sizeof(want[0])));
    CHECK_EQ_I(nlines, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < nlines && i < (int)(sizeof(want) / sizeof(want[0])); i++)
        CHECK_STR(lines[i], want[i]);
}

TEST(report_words_followed_by_yes_no)
{
    static const char *const labels[] = {
        "VMX", "EPT", "VPID", "Unrestricted", "Preemption timer",
        "I/O bitmaps", "MSR bitmaps", "TRUE_* MSRs",
    };
    struct vmx_caps c = decode(haswell_msrs());
    run_report(&c);
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        const char *v = value_of(labels[i]);
        CHECK(v != NULL && strncmp(v, "yes", 3) == 0);
    }
    CHECK(value_of("VMCS revision") != NULL);
    CHECK(value_of("FEATURE_CONTROL") != NULL);

    c = decode(penryn_msrs());
    run_report(&c);
    CHECK_STR(value_of("EPT"), "no");
    CHECK_STR(value_of("VPID"), "no");
    CHECK_STR(value_of("Unrestricted"), "no");
    CHECK_STR(value_of("Preemption timer"), "no");
    CHECK_STR(value_of("TRUE_* MSRs"), "no");
    CHECK_STR(value_of("VMX"), "yes");
    CHECK_STR(value_of("I/O bitmaps"), "yes");
    CHECK_STR(value_of("MSR bitmaps"), "yes");
    CHECK_STR(value_of("VMCS revision"), "0xd (2048-byte regions, WB)");
    CHECK_STR(value_of("Usable"), "yes");
}

TEST(report_no_vmx_says_only_that)
{
    struct vmx_caps c = decode(no_vmx_msrs());
    int calls = run_report(&c);

    CHECK_EQ_I(calls, 3);
    CHECK_STR(lines[0], "VT-x:");
    CHECK_STR(lines[1], "  VMX              no");
    CHECK_STR(lines[2], "  Usable           no: CPUID.1:ECX.VMX[bit 5] = 0: this CPU (or the "
                        "hypervisor below keel) offers no VT-x");
    CHECK(!any_line_contains("EPT"));
    CHECK(!any_line_contains("FEATURE_CONTROL"));
    CHECK(!any_line_contains("VMCS"));
}

TEST(report_locked_off)
{
    struct vmx_msrs m = haswell_msrs();
    m.feature_control = FEATURE_CONTROL_LOCKED;
    struct vmx_caps c = decode(m);
    run_report(&c);

    CHECK_STR(value_of("VMX"), "yes");
    CHECK_STR(value_of("FEATURE_CONTROL"), "0x1 (locked, VMXON outside SMX disabled)");
    /* What the CPU could do once enabled is still shown. */
    CHECK(strncmp(value_of("EPT"), "yes", 3) == 0);
    CHECK_STR(value_of("Usable"), "no: IA32_FEATURE_CONTROL is locked with VMXON outside SMX "
                                  "disabled (enable VT-x in the firmware setup)");
}

TEST(report_unlocked)
{
    struct vmx_msrs m = haswell_msrs();
    m.feature_control = 0;
    struct vmx_caps c = decode(m);
    run_report(&c);
    CHECK_STR(value_of("FEATURE_CONTROL"), "0x0 (not locked: keel can enable VMXON outside SMX)");
    CHECK_STR(value_of("Usable"), "yes");

    m.feature_control = FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
    c = decode(m);
    run_report(&c);
    CHECK_STR(value_of("FEATURE_CONTROL"), "0x4 (not locked, VMXON outside SMX allowed)");
}

TEST(report_partial_ept_and_vpid)
{
    struct vmx_msrs m = haswell_msrs();
    m.ept_vpid_cap = VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMORY_TYPE_WB | VMX_EPT_PDE_2MB |
                     VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT;
    m.misc |= 7;
    m.vmfunc = 0;
    struct vmx_caps c = decode(m);
    run_report(&c);

    CHECK_STR(value_of("EPT"), "yes (4-level, WB, 2M pages, INVEPT all)");
    CHECK_STR(value_of("VPID"), "yes (no INVVPID)");
    CHECK_STR(value_of("Preemption timer"), "yes (TSC >> 7, value saved on exit)");
    CHECK_STR(value_of("VMFUNC"), "yes");
}

TEST(report_uc_vmcs_names_reason)
{
    struct vmx_msrs m = haswell_msrs();
    m.basic &= ~(VMX_BASIC_MEMORY_TYPE_MASK << VMX_BASIC_MEMORY_TYPE_SHIFT);
    struct vmx_caps c = decode(m);
    run_report(&c);

    CHECK_STR(value_of("VMCS revision"), "0x2b (4096-byte regions, UC)");
    CHECK_STR(value_of("Usable"),
              "no: VMCS memory type is not write-back (IA32_VMX_BASIC[53:50] != 6)");
}
