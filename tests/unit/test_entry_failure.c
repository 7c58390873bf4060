/*
 * Host tests for vmx/entry_failure.c.
 *
 * Three valid guest states (32-bit protected mode with paging off under
 * unrestricted guest; 64-bit long mode without unrestricted guest;
 * virtual-8086 mode) must pass every check: that is the test that the checks
 * are not over-eager.  Then each rule of SDM vol. 3C 27.3.1 is broken alone
 * on those states and must be reported as exactly the expected line(s); the
 * "0 lines" rows are the cases where the SDM does not apply the rule.
 */
#include "tests/unit/unit.h"

#include "lib/format.c"
#include "vmx/entry_failure.c"
#include "vmx/exit_qual.c"
#include "vmx/vmx_names.c"

#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define CR4_LA57 (1ull << 12)

/* ---- Collecting the output --------------------------------------------- */

#define MAX_LINES 64

struct collected {
    int n;
    char lines[MAX_LINES][LINE_MAX_CHARS];
};

static void collect(const char *text, void *ctx)
{
    struct collected *c = ctx;

    if (c->n < MAX_LINES)
        snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", text);
    c->n++;
}

static bool has_line_containing(const struct collected *c, const char *needle)
{
    for (int i = 0; i < c->n && i < MAX_LINES; i++)
        if (strstr(c->lines[i], needle))
            return true;
    return false;
}

static void print_lines(const struct collected *c)
{
    for (int i = 0; i < c->n && i < MAX_LINES; i++)
        printf("      | %s\n", c->lines[i]);
}

/* ---- The valid states -------------------------------------------------- */

/* What both states share: Haswell capability MSRs (as in test_vmx_caps.c),
 * controls keel would use, power-on values for the rest. */
static struct vm_entry_state common_state(void)
{
    struct vm_entry_state s;

    memset(&s, 0, sizeof(s));
    s.cr0_fixed0 = 0x80000021ull;               /* PE, NE, PG */
    s.cr0_fixed1 = 0xffffffffull;
    s.cr4_fixed0 = 0x00002000ull;               /* VMXE */
    s.cr4_fixed1 = 0x003767ffull;
    s.vmx_misc = 0x00000000200401e0ull;         /* HLT, shutdown, wait-for-SIPI */
    s.phys_addr_bits = 39;
    s.linear_addr_bits = 48;

    s.pin_based_controls = PIN_BASED_DEFAULT1 | PIN_BASED_EXTERNAL_INTERRUPT_EXITING |
                           PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS;
    s.cpu_based_controls = CPU_BASED_DEFAULT1 | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
    s.secondary_controls = SECONDARY_EXEC_ENABLE_EPT;
    /* VM_ENTRY_DEFAULT1 includes "load debug controls". */
    s.entry_controls = VM_ENTRY_DEFAULT1 | VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT;

    s.dr7 = 0x400;
    s.ia32_pat = 0x0007040600070406ull;
    s.rflags = 0x2;
    s.ldtr.ar = VMX_AR_UNUSABLE;
    s.vmcs_link_pointer = ~0ull;
    s.exit_reason = 0x80000021u;
    return s;
}

static void set_seg(struct vmx_segment_state *r, uint16_t sel, uint64_t base, uint32_t limit,
                    uint32_t ar)
{
    r->selector = sel;
    r->base = base;
    r->limit = limit;
    r->ar = ar;
}

/* Flat 32-bit protected mode, paging off: needs unrestricted guest. */
static struct vm_entry_state protected32_state(void)
{
    struct vm_entry_state s = common_state();

    s.secondary_controls |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
    s.cr0 = 0x00000031ull;                      /* PE ET NE */
    s.cr4 = CR4_VMXE;
    s.ia32_efer = 0;
    s.rip = 0x00100000;
    set_seg(&s.seg[SEG_CS], 0x08, 0, 0xffffffff, 0xc09b);
    set_seg(&s.seg[SEG_SS], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_DS], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_ES], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_FS], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_GS], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.tr, 0x18, 0x1000, 0x67, 0x8b);  /* busy 32-bit TSS */
    s.gdtr_base = 0x2000;
    s.gdtr_limit = 0x1f;
    s.idtr_limit = 0x7ff;
    return s;
}

/* 64-bit long mode, higher-half kernel, no unrestricted guest. */
static struct vm_entry_state long64_state(void)
{
    struct vm_entry_state s = common_state();

    s.cr0 = 0x80000031ull;                      /* PE ET NE PG */
    s.cr3 = 0x1000;
    s.cr4 = CR4_VMXE | (1ull << 5);             /* PAE */
    s.ia32_efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    s.entry_controls |= VM_ENTRY_IA32E_MODE_GUEST;
    s.rip = 0xffffffff81000000ull;
    s.ia32_sysenter_esp = 0xfffffe0000003000ull;
    set_seg(&s.seg[SEG_CS], 0x08, 0, 0xffffffff, 0xa09b);     /* L=1 D=0 */
    set_seg(&s.seg[SEG_SS], 0x10, 0, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_DS], 0, 0, 0, VMX_AR_UNUSABLE);
    set_seg(&s.seg[SEG_ES], 0, 0, 0, VMX_AR_UNUSABLE);
    set_seg(&s.seg[SEG_FS], 0, 0x00007f0000000000ull, 0xffffffff, 0xc093);
    set_seg(&s.seg[SEG_GS], 0, 0xffff888000000000ull, 0xffffffff, 0xc093);
    set_seg(&s.tr, 0x28, 0xfffffe0000001000ull, 0x67, 0x8b);  /* busy 64-bit TSS */
    s.gdtr_base = 0xfffffe0000000000ull;
    s.gdtr_limit = 0x7f;
    s.idtr_base = 0xfffffe0000002000ull;
    s.idtr_limit = 0xfff;
    return s;
}

/* Virtual-8086 mode under a 32-bit protected-mode monitor. */
static struct vm_entry_state v8086_state(void)
{
    struct vm_entry_state s = protected32_state();

    s.rflags = 0x00020202ull;                   /* VM, IF */
    set_seg(&s.seg[SEG_CS], 0xf000, 0xf0000, 0xffff, 0xf3);
    set_seg(&s.seg[SEG_SS], 0x9000, 0x90000, 0xffff, 0xf3);
    set_seg(&s.seg[SEG_DS], 0x0040, 0x00400, 0xffff, 0xf3);
    set_seg(&s.seg[SEG_ES], 0xb800, 0xb8000, 0xffff, 0xf3);
    set_seg(&s.seg[SEG_FS], 0, 0, 0xffff, 0xf3);
    set_seg(&s.seg[SEG_GS], 0, 0, 0xffff, 0xf3);
    s.rip = 0xfff0;
    return s;
}

static unsigned run_checks(const struct vm_entry_state *s, struct collected *out)
{
    memset(out, 0, sizeof(*out));
    return vmx_check_guest_state(s, collect, out);
}

TEST(valid_protected32_unrestricted_passes)
{
    struct vm_entry_state s = protected32_state();
    struct collected c;

    CHECK_EQ_U(run_checks(&s, &c), 0);
    CHECK_EQ_I(c.n, 0);
    print_lines(&c);
}

TEST(valid_long64_passes)
{
    struct vm_entry_state s = long64_state();
    struct collected c;

    CHECK_EQ_U(run_checks(&s, &c), 0);
    CHECK_EQ_I(c.n, 0);
    print_lines(&c);
}

TEST(valid_v8086_passes)
{
    struct vm_entry_state s = v8086_state();
    struct collected c;

    CHECK_EQ_U(run_checks(&s, &c), 0);
    print_lines(&c);
}

/* ---- One broken rule at a time ------------------------------------------ */

#define B32 1u      /* protected32_state */
#define B64 2u      /* long64_state */
#define BV86 4u     /* v8086_state */

struct mutation {
    const char *name;
    void (*apply)(struct vm_entry_state *s);
    unsigned bases;
    int lines;                  /* failed checks expected */
    const char *expect;         /* a substring of one of them (when lines > 0) */
    const char *expect2;        /* and of another (optional) */
};

#define MUT(name, body) \
    static void mut_##name(struct vm_entry_state *s) { body; }

/* 27.3.1.1 */
MUT(cr0_ne_clear, s->cr0 &= ~CR0_NE)
MUT(cr0_bit32, s->cr0 |= 1ull << 32)
MUT(cr0_pg_clear, s->cr0 &= ~CR0_PG)
MUT(ug_off, s->secondary_controls &= ~SECONDARY_EXEC_UNRESTRICTED_GUEST)
MUT(secondary_off, s->cpu_based_controls &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
MUT(cr0_pe_clear, s->cr0 &= ~CR0_PE)
MUT(pg_without_pe, s->cr0 = (s->cr0 & ~CR0_PE) | CR0_PG)
MUT(cd_nw_never_checked, s->cr0 |= CR0_CD | CR0_NW; s->cr0_fixed1 &= ~(CR0_CD | CR0_NW))
MUT(cr4_vmxe_clear, s->cr4 &= ~CR4_VMXE)
MUT(cr4_la57, s->cr4 |= CR4_LA57)
MUT(cet_without_wp, s->cr4_fixed1 |= CR4_CET; s->cr4 |= CR4_CET)
MUT(cet_with_wp, s->cr4_fixed1 |= CR4_CET; s->cr4 |= CR4_CET; s->cr0 |= CR0_WP)
MUT(pae_clear, s->cr4 &= ~CR4_PAE)
MUT(pcide, s->cr4 |= CR4_PCIDE)
MUT(cr3_bit63, s->cr3 |= 1ull << 63)
MUT(cr3_beyond_maxphyaddr, s->cr3 |= 1ull << 39)
MUT(cr3_within_maxphyaddr, s->cr3 |= 1ull << 38)
MUT(dr7_high, s->dr7 |= 1ull << 32)
MUT(dr7_high_not_loaded, s->dr7 |= 1ull << 32; s->entry_controls &= ~VM_ENTRY_LOAD_DEBUG_CONTROLS)
MUT(sysenter_esp, s->ia32_sysenter_esp = 0x0000800000000000ull)
MUT(sysenter_eip, s->ia32_sysenter_eip = 0xffff7fffffffffffull)
MUT(pat_invalid, s->ia32_pat = 0x0007040600070402ull)
MUT(pat_invalid_not_loaded, s->ia32_pat = 0x0007040600070402ull;
    s->entry_controls &= ~VM_ENTRY_LOAD_IA32_PAT)
MUT(efer_lma_set, s->ia32_efer |= EFER_LMA)
MUT(efer_lme_set, s->ia32_efer |= EFER_LME)
MUT(efer_lma_lme_clear, s->ia32_efer &= ~(EFER_LMA | EFER_LME))
MUT(efer_lme_clear, s->ia32_efer &= ~EFER_LME)
MUT(efer_reserved, s->ia32_efer |= 1ull << 1)
MUT(efer_not_loaded, s->ia32_efer = 0; s->entry_controls &= ~VM_ENTRY_LOAD_IA32_EFER)
/* 27.3.1.2 */
MUT(tr_ti, s->tr.selector |= 4)
MUT(ldtr_ti, set_seg(&s->ldtr, 0x2c, 0x3000, 0xff, 0x82))
MUT(ldtr_valid, set_seg(&s->ldtr, 0x28, 0x3000, 0xff, 0x82))
MUT(cs_rpl3, s->seg[SEG_CS].selector = 0x0b)
MUT(cs_base_high, s->seg[SEG_CS].base = 1ull << 32)
MUT(ss_base_high, s->seg[SEG_SS].base = 1ull << 32)
MUT(ds_unusable_base_high, s->seg[SEG_DS].base = 1ull << 32; s->seg[SEG_DS].ar = VMX_AR_UNUSABLE)
MUT(fs_base_noncanonical, s->seg[SEG_FS].base = 0x0000800000000000ull)
MUT(tr_base_noncanonical, s->tr.base = 0x0000800000000000ull)
MUT(cs_type3, s->seg[SEG_CS].ar = (s->seg[SEG_CS].ar & ~0xfu) | 0x3)
MUT(cs_not_accessed, s->seg[SEG_CS].ar &= ~1u)
MUT(cs_type3_dpl3, s->seg[SEG_CS].ar = 0xc0f3)
MUT(cs_dpl3, s->seg[SEG_CS].ar |= 3u << 5)
MUT(cs_conforming_dpl3, s->seg[SEG_CS].ar = (s->seg[SEG_CS].ar & ~0xfu) | 0xf | 3u << 5)
MUT(ss_code, s->seg[SEG_SS].ar = 0xc09b)
MUT(ss_expand_down, s->seg[SEG_SS].ar = 0xc097)
/* DS is unusable with limit 0 in long64_state: these make it a flat segment. */
MUT(ds_not_accessed, s->seg[SEG_DS].ar = 0xc092; s->seg[SEG_DS].limit = 0xffffffff)
MUT(ds_execute_only, s->seg[SEG_DS].ar = 0xc099; s->seg[SEG_DS].limit = 0xffffffff)
MUT(ds_readable_code, s->seg[SEG_DS].ar = 0xc09b; s->seg[SEG_DS].limit = 0xffffffff)
MUT(ds_system, s->seg[SEG_DS].ar = 0xc083; s->seg[SEG_DS].limit = 0xffffffff)
MUT(ss_not_present, s->seg[SEG_SS].ar = 0xc013)
MUT(cs_reserved_11_8, s->seg[SEG_CS].ar |= 0x100)
MUT(fs_reserved_31_17, s->seg[SEG_FS].ar |= 0x20000)
MUT(es_unusable_garbage, s->seg[SEG_ES].ar = 0xfffff0f0)
MUT(fs_g_partial_page, s->seg[SEG_FS].limit = 0xffff0)
MUT(fs_no_g_big_limit, s->seg[SEG_FS].ar = 0x4093; s->seg[SEG_FS].limit = 0x100000)
MUT(fs_no_g_1m_limit, s->seg[SEG_FS].ar = 0x4093; s->seg[SEG_FS].limit = 0xfffff)
MUT(cs_l_and_d, s->seg[SEG_CS].ar = 0xe09b)
MUT(ds_dpl_below_rpl, set_seg(&s->seg[SEG_DS], 0x13, 0, 0xffffffff, 0xc093))
MUT(ds_conforming_dpl_below_rpl, set_seg(&s->seg[SEG_DS], 0x13, 0, 0xffffffff, 0xc09f))
MUT(ss_dpl_vs_rpl, s->seg[SEG_CS].selector = 0x0b; s->seg[SEG_SS].selector = 0x13)
MUT(ss_dpl3_pe0, s->cr0 &= ~CR0_PE; s->seg[SEG_SS].ar = 0xc0f3; s->seg[SEG_CS].ar = 0xc0fb)
MUT(ss_dpl3_cs_type3, s->seg[SEG_CS].ar = 0xc093; s->seg[SEG_SS].ar = 0xc0f3)
MUT(tr_type3, s->tr.ar = 0x83)
MUT(tr_available, s->tr.ar = 0x89)
MUT(tr_s, s->tr.ar = 0x9b)
MUT(tr_not_present, s->tr.ar = 0x0b)
MUT(tr_unusable, s->tr.ar = 0x1008b)
MUT(tr_g, s->tr.ar = 0x808b)
MUT(tr_reserved_11_8, s->tr.ar = 0x18b)
MUT(tr_reserved_31_17, s->tr.ar = 0x2008b)
MUT(ldtr_type, set_seg(&s->ldtr, 0x28, 0x3000, 0xff, 0x83))
MUT(ldtr_s, set_seg(&s->ldtr, 0x28, 0x3000, 0xff, 0x92))
MUT(ldtr_p, set_seg(&s->ldtr, 0x28, 0x3000, 0xff, 0x02))
MUT(ldtr_base, set_seg(&s->ldtr, 0x28, 0x0000800000000000ull, 0xff, 0x82))
MUT(v86_cs_base, s->seg[SEG_CS].base = 0)
MUT(v86_ss_limit, s->seg[SEG_SS].limit = 0xffffffff)
MUT(v86_ds_ar, s->seg[SEG_DS].ar = 0xc093)
/* 27.3.1.3 */
MUT(gdtr_limit, s->gdtr_limit = 0x10000)
MUT(idtr_base, s->idtr_base = 0x0000800000000000ull)
/* 27.3.1.4 */
MUT(rflags_bit1_clear, s->rflags &= ~RFLAGS_FIXED1)
MUT(rflags_bit15, s->rflags |= 1ull << 15)
MUT(rflags_bit22, s->rflags |= 1ull << 22)
MUT(rflags_vm, s->rflags |= RFLAGS_VM)
MUT(rflags_vm_pe0, s->cr0 &= ~CR0_PE; s->rflags |= RFLAGS_VM)
MUT(ext_intr_if0, s->entry_intr_info = 0x80000020u)
MUT(ext_intr_if1, s->entry_intr_info = 0x80000020u; s->rflags |= RFLAGS_IF)
MUT(rip_high, s->rip = 0x100000000ull)
MUT(rip_compat_mode, s->seg[SEG_CS].ar &= ~VMX_AR_L)
MUT(rip_noncanonical, s->rip = 0x0001000000000000ull)
MUT(rip_bit47_only, s->rip = 0x0000800000000000ull)
/* 27.3.1.5 */
MUT(shutdown_unsupported, s->activity_state = ACTIVITY_STATE_SHUTDOWN;
    s->vmx_misc &= ~VMX_MISC_ACTIVITY_SHUTDOWN)
MUT(shutdown_supported, s->activity_state = ACTIVITY_STATE_SHUTDOWN)
MUT(activity_undefined, s->activity_state = 4)
MUT(hlt_cpl3, s->activity_state = ACTIVITY_STATE_HLT; s->seg[SEG_SS].ar = 0xc0f3;
    s->seg[SEG_CS].ar = 0xc0fb)
MUT(hlt_with_sti, s->activity_state = ACTIVITY_STATE_HLT; s->interruptibility = 1;
    s->rflags |= RFLAGS_IF)
MUT(hlt_inject_gp, s->activity_state = ACTIVITY_STATE_HLT; s->entry_intr_info = 0x80000b0du)
MUT(hlt_inject_db, s->activity_state = ACTIVITY_STATE_HLT; s->entry_intr_info = 0x80000301u)
MUT(hlt_inject_irq, s->activity_state = ACTIVITY_STATE_HLT; s->entry_intr_info = 0x80000030u;
    s->rflags |= RFLAGS_IF)
MUT(hlt_inject_mtf, s->activity_state = ACTIVITY_STATE_HLT; s->entry_intr_info = 0x80000700u)
MUT(shutdown_inject_irq, s->activity_state = ACTIVITY_STATE_SHUTDOWN;
    s->entry_intr_info = 0x80000030u; s->rflags |= RFLAGS_IF)
MUT(shutdown_inject_mc, s->activity_state = ACTIVITY_STATE_SHUTDOWN;
    s->entry_intr_info = 0x80000312u)
MUT(sipi_inject_nmi, s->activity_state = ACTIVITY_STATE_WAIT_FOR_SIPI;
    s->entry_intr_info = 0x80000202u)
MUT(sipi_entry_to_smm, s->activity_state = ACTIVITY_STATE_WAIT_FOR_SIPI;
    s->entry_controls |= VM_ENTRY_ENTRY_TO_SMM; s->interruptibility = 4)
MUT(intr_reserved, s->interruptibility = 0x20)
MUT(sti_and_mov_ss, s->interruptibility = 3; s->rflags |= RFLAGS_IF)
MUT(sti_if0, s->interruptibility = 1)
MUT(sti_if1, s->interruptibility = 1; s->rflags |= RFLAGS_IF)
MUT(mov_ss_inject_irq, s->interruptibility = 2; s->rflags |= RFLAGS_IF;
    s->entry_intr_info = 0x80000030u)
MUT(mov_ss_inject_nmi, s->interruptibility = 2; s->entry_intr_info = 0x80000202u)
MUT(sti_inject_nmi, s->interruptibility = 1; s->rflags |= RFLAGS_IF;
    s->entry_intr_info = 0x80000202u)
MUT(smi_blocking, s->interruptibility = 4)
MUT(nmi_blocking_inject_nmi, s->interruptibility = 8; s->entry_intr_info = 0x80000202u)
MUT(nmi_blocking_inject_nmi_no_vnmi, s->interruptibility = 8; s->entry_intr_info = 0x80000202u;
    s->pin_based_controls &= ~PIN_BASED_VIRTUAL_NMIS)
MUT(enclave_mov_ss, s->interruptibility = 0x12)
MUT(pdbg_reserved, s->pending_dbg_exceptions = 0x10)
MUT(pdbg_bs_missing, s->interruptibility = 1; s->rflags |= RFLAGS_IF | RFLAGS_TF)
MUT(pdbg_bs_present, s->interruptibility = 1; s->rflags |= RFLAGS_IF | RFLAGS_TF;
    s->pending_dbg_exceptions = PENDING_DBG_BS)
MUT(pdbg_bs_with_btf, s->interruptibility = 1; s->rflags |= RFLAGS_IF | RFLAGS_TF;
    s->ia32_debugctl = DEBUGCTL_BTF; s->pending_dbg_exceptions = PENDING_DBG_BS)
MUT(pdbg_bs_hlt_no_tf, s->activity_state = ACTIVITY_STATE_HLT;
    s->pending_dbg_exceptions = PENDING_DBG_BS)
MUT(pdbg_bs_not_blocking, s->pending_dbg_exceptions = PENDING_DBG_BS)
MUT(pdbg_rtm_alone, s->pending_dbg_exceptions = PENDING_DBG_RTM)
MUT(pdbg_rtm_ok, s->pending_dbg_exceptions = PENDING_DBG_RTM | PENDING_DBG_ENABLED_BREAKPOINT)
MUT(pdbg_rtm_mov_ss, s->pending_dbg_exceptions = PENDING_DBG_RTM | PENDING_DBG_ENABLED_BREAKPOINT;
    s->interruptibility = 2)
MUT(link_not_ones, s->vmcs_link_pointer = 0x1000)
MUT(link_unaligned, s->vmcs_link_pointer = 0x1001)
MUT(link_shadowing, s->vmcs_link_pointer = 0x1000;
    s->secondary_controls |= SECONDARY_EXEC_VMCS_SHADOWING)

#define ROW(name, bases, lines, ...) { #name, mut_##name, bases, lines, __VA_ARGS__ }

static const struct mutation cr_msr_mutations[] = {
    ROW(cr0_ne_clear, B32 | B64, 1, "bit 5 NE is 0 but IA32_VMX_CR0_FIXED0 requires it", NULL),
    ROW(cr0_bit32, B32 | B64, 1, "bit 32 is 1 but IA32_VMX_CR0_FIXED1 forbids it", NULL),
    ROW(cr0_pg_clear, B64, 2,
        "GUEST_CR0 0x00000031: bit 31 PG is 0 but IA32_VMX_CR0_FIXED0 requires it (no "
        "unrestricted guest)", "VM-entry control IA-32e mode guest is 1 but GUEST_CR0.PG is 0"),
    ROW(ug_off, B32, 1,
        "GUEST_CR0 0x00000031: bit 31 PG is 0 but IA32_VMX_CR0_FIXED0 requires it (no "
        "unrestricted guest)", NULL),
    ROW(secondary_off, B32, 1, "bit 31 PG is 0 but IA32_VMX_CR0_FIXED0 requires it", NULL),
    ROW(cr0_pe_clear, B32, 0, NULL, NULL),
    ROW(pg_without_pe, B32, 1, "GUEST_CR0 0x80000030: bit 31 PG is 1 but bit 0 PE is 0", NULL),
    ROW(cd_nw_never_checked, B32 | B64, 0, NULL, NULL),
    ROW(cr4_vmxe_clear, B32 | B64, 1, "bit 13 VMXE is 0 but IA32_VMX_CR4_FIXED0 requires it",
        NULL),
    ROW(cr4_la57, B32 | B64, 1, "bit 12 LA57 is 1 but IA32_VMX_CR4_FIXED1 forbids it", NULL),
    ROW(cet_without_wp, B32 | B64, 1, "bit 23 CET is 1 but GUEST_CR0.WP is 0", NULL),
    ROW(cet_with_wp, B32 | B64, 0, NULL, NULL),
    ROW(pae_clear, B64, 1, "VM-entry control IA-32e mode guest is 1 but GUEST_CR4.PAE is 0",
        NULL),
    ROW(pcide, B32, 1, "GUEST_CR4 0x00022000: bit 17 PCIDE is 1 but VM-entry control IA-32e "
        "mode guest is 0", NULL),
    ROW(pcide, B64, 0, NULL, NULL),
    ROW(cr3_bit63, B32 | B64, 1, "bits 63:39 must be 0 (39-bit physical addresses)", NULL),
    ROW(cr3_beyond_maxphyaddr, B32 | B64, 1, "GUEST_CR3 0x00000080000", NULL),
    ROW(cr3_within_maxphyaddr, B32 | B64, 0, NULL, NULL),
    ROW(dr7_high, B32 | B64, 1, "GUEST_DR7 0x0000000100000400: bits 63:32 must be 0", NULL),
    ROW(dr7_high_not_loaded, B32 | B64, 0, NULL, NULL),
    ROW(sysenter_esp, B32 | B64, 1, "GUEST_SYSENTER_ESP 0x0000800000000000: not canonical",
        NULL),
    ROW(sysenter_eip, B32 | B64, 1, "GUEST_SYSENTER_EIP 0xffff7fffffffffff: not canonical",
        NULL),
    ROW(pat_invalid, B32 | B64, 1, "GUEST_IA32_PAT 0x0007040600070402: entry PA0 is 0x02", NULL),
    ROW(pat_invalid_not_loaded, B32 | B64, 0, NULL, NULL),
    ROW(efer_lma_set, B32, 1, "VM-entry control IA-32e mode guest is 0 but GUEST_IA32_EFER.LMA "
        "is 1", NULL),
    ROW(efer_lme_set, B32, 0, NULL, NULL),
    ROW(efer_lma_lme_clear, B64, 1, "VM-entry control IA-32e mode guest is 1 but "
        "GUEST_IA32_EFER.LMA is 0", NULL),
    ROW(efer_lme_clear, B64, 1, "GUEST_IA32_EFER 0x0000000000000c01: LMA is 1 but LME is 0 "
        "while GUEST_CR0.PG is 1", NULL),
    ROW(efer_reserved, B32 | B64, 1, "reserved bits 0x2 are set", NULL),
    ROW(efer_not_loaded, B64, 0, NULL, NULL),
};

static const struct mutation segment_mutations[] = {
    ROW(tr_ti, B32 | B64, 1, "GUEST_TR_SELECTOR 0x00", NULL),
    ROW(ldtr_ti, B32 | B64, 1, "GUEST_LDTR_SELECTOR 0x002c: TI (bit 2) must be 0", NULL),
    ROW(ldtr_valid, B32 | B64 | BV86, 0, NULL, NULL),
    ROW(cs_rpl3, B64, 1, "GUEST_SS_SELECTOR 0x0010: RPL 0 differs from the RPL 3 of "
        "GUEST_CS_SELECTOR 0x000b", NULL),
    ROW(cs_rpl3, B32, 0, NULL, NULL),
    ROW(cs_base_high, B32 | B64, 1, "GUEST_CS_BASE 0x0000000100000000: bits 63:32 must be 0",
        NULL),
    ROW(ss_base_high, B32 | B64, 1, "GUEST_SS_BASE 0x0000000100000000: bits 63:32 must be 0 "
        "for a usable segment", NULL),
    ROW(ds_unusable_base_high, B32 | B64, 0, NULL, NULL),
    ROW(fs_base_noncanonical, B32 | B64, 1, "GUEST_FS_BASE 0x0000800000000000: not canonical",
        NULL),
    ROW(tr_base_noncanonical, B32 | B64, 1, "GUEST_TR_BASE 0x0000800000000000: not canonical",
        NULL),
    ROW(cs_type3, B64, 1, "GUEST_CS_AR_BYTES 0x0000a093: type 0x3 is not an accessed code "
        "segment (9, 11, 13, 15)", NULL),
    ROW(cs_type3, B32, 0, NULL, NULL),
    ROW(cs_not_accessed, B32 | B64, 1, "type 0xa is not an accessed code segment", NULL),
    ROW(cs_type3_dpl3, B32, 1, "GUEST_CS_AR_BYTES 0x0000c0f3: DPL 3 must be 0 for a "
        "data-segment (type 3) CS", NULL),
    ROW(cs_dpl3, B32, 1, "DPL 3 of a non-conforming code segment differs from the SS DPL 0",
        NULL),
    ROW(cs_conforming_dpl3, B32 | B64, 1, "DPL 3 of a conforming code segment is above the SS "
        "DPL 0", NULL),
    ROW(ss_code, B32 | B64, 1, "GUEST_SS_AR_BYTES 0x0000c09b: type 0xb is not a read/write "
        "accessed data segment (3 or 7)", NULL),
    ROW(ss_expand_down, B32 | B64, 0, NULL, NULL),
    ROW(ds_not_accessed, B32 | B64, 1, "GUEST_DS_AR_BYTES 0x0000c092: type 0x2 is not accessed",
        NULL),
    ROW(ds_execute_only, B32 | B64, 1, "type 0x9 is an execute-only code segment", NULL),
    ROW(ds_readable_code, B32 | B64, 0, NULL, NULL),
    ROW(ds_system, B32 | B64, 1, "GUEST_DS_AR_BYTES 0x0000c083: S is 0", NULL),
    ROW(ss_not_present, B32 | B64, 1, "GUEST_SS_AR_BYTES 0x0000c013: P is 0", NULL),
    ROW(cs_reserved_11_8, B32 | B64, 1, "reserved bits 11:8 must be 0", NULL),
    ROW(fs_reserved_31_17, B32 | B64, 1, "GUEST_FS_AR_BYTES 0x0002c093: reserved bits 31:17",
        NULL),
    ROW(es_unusable_garbage, B32 | B64, 0, NULL, NULL),
    ROW(fs_g_partial_page, B32 | B64, 1, "GUEST_FS_AR_BYTES 0x0000c093: G is 1 but "
        "GUEST_FS_LIMIT 0x000ffff0 has bits 11:0 not all 1", NULL),
    ROW(fs_no_g_big_limit, B32 | B64, 1, "G is 0 but GUEST_FS_LIMIT 0x00100000 has bits 31:20 "
        "set", NULL),
    ROW(fs_no_g_1m_limit, B32 | B64, 0, NULL, NULL),
    ROW(cs_l_and_d, B64, 1, "GUEST_CS_AR_BYTES 0x0000e09b: L and D both set in an IA-32e mode "
        "guest", NULL),
    ROW(cs_l_and_d, B32, 0, NULL, NULL),
    ROW(ds_dpl_below_rpl, B64, 1, "GUEST_DS_AR_BYTES 0x0000c093: DPL 0 is below the RPL 3 of "
        "GUEST_DS_SELECTOR 0x0013", NULL),
    ROW(ds_dpl_below_rpl, B32, 0, NULL, NULL),
    ROW(ds_conforming_dpl_below_rpl, B64, 0, NULL, NULL),
    ROW(ss_dpl_vs_rpl, B64, 1, "GUEST_SS_AR_BYTES 0x0000c093: DPL 0 differs from the RPL 3 of "
        "GUEST_SS_SELECTOR 0x0013", NULL),
    ROW(ss_dpl3_pe0, B32, 1, "GUEST_SS_AR_BYTES 0x0000c0f3: DPL 3 must be 0 when GUEST_CR0.PE "
        "is 0", NULL),
    ROW(ss_dpl3_cs_type3, B32, 1, "DPL 3 must be 0 when CS is a data segment (type 3)", NULL),
    ROW(tr_type3, B64, 1, "GUEST_TR_AR_BYTES 0x00000083: type 0x3 is not a busy 64-bit TSS",
        NULL),
    ROW(tr_type3, B32, 0, NULL, NULL),
    ROW(tr_available, B32 | B64, 1, "GUEST_TR_AR_BYTES 0x00000089: type 0x9 is not a busy",
        NULL),
    ROW(tr_s, B32 | B64, 1, "GUEST_TR_AR_BYTES 0x0000009b: S must be 0", NULL),
    ROW(tr_not_present, B32 | B64, 1, "GUEST_TR_AR_BYTES 0x0000000b: P is 0", NULL),
    ROW(tr_unusable, B32 | B64, 1, "TR must be usable", NULL),
    ROW(tr_g, B32 | B64, 1, "G is 1 but GUEST_TR_LIMIT 0x00000067 has bits 11:0 not all 1",
        NULL),
    ROW(tr_reserved_11_8, B32 | B64, 1, "GUEST_TR_AR_BYTES 0x0000018b: reserved bits 11:8",
        NULL),
    ROW(tr_reserved_31_17, B32 | B64, 1, "GUEST_TR_AR_BYTES 0x0002008b: reserved bits 31:17",
        NULL),
    ROW(ldtr_type, B32 | B64, 1, "GUEST_LDTR_AR_BYTES 0x00000083: type 0x3 is not an LDT",
        NULL),
    ROW(ldtr_s, B32 | B64, 1, "GUEST_LDTR_AR_BYTES 0x00000092: S must be 0", NULL),
    ROW(ldtr_p, B32 | B64, 1, "GUEST_LDTR_AR_BYTES 0x00000002: P is 0", NULL),
    ROW(ldtr_base, B32 | B64, 1, "GUEST_LDTR_BASE 0x0000800000000000: not canonical", NULL),
    ROW(v86_cs_base, BV86, 1, "GUEST_CS_BASE 0x0000000000000000: must be the selector 0xf000 "
        "times 16 in virtual-8086 mode", NULL),
    ROW(v86_ss_limit, BV86, 1, "GUEST_SS_LIMIT 0xffffffff: must be 0x0000ffff", NULL),
    ROW(v86_ds_ar, BV86, 1, "GUEST_DS_AR_BYTES 0x0000c093: must be 0x000000f3 in virtual-8086 "
        "mode", NULL),
};

static const struct mutation dtr_rip_rflags_mutations[] = {
    ROW(gdtr_limit, B32 | B64, 1, "GUEST_GDTR_LIMIT 0x00010000: bits 31:16 must be 0", NULL),
    ROW(idtr_base, B32 | B64, 1, "GUEST_IDTR_BASE 0x0000800000000000: not canonical", NULL),
    ROW(rflags_bit1_clear, B32 | B64, 1, "GUEST_RFLAGS 0x00000000: reserved bit 1 must be 1",
        NULL),
    ROW(rflags_bit15, B32 | B64, 1, "GUEST_RFLAGS 0x00008002: reserved bits 0x8000", NULL),
    ROW(rflags_bit22, B32 | B64, 1, "reserved bits 0x400000 (63:22, 15, 5, 3) must be 0", NULL),
    ROW(rflags_vm, B64, 1, "GUEST_RFLAGS 0x00020002: VM (bit 17) must be 0 when VM-entry "
        "control IA-32e mode guest is 1", NULL),
    ROW(rflags_vm_pe0, B32, 1, "VM (bit 17) must be 0 when GUEST_CR0.PE is 0", NULL),
    ROW(ext_intr_if0, B32 | B64, 1, "GUEST_RFLAGS 0x00000002: IF is 0 but "
        "VM_ENTRY_INTR_INFO_FIELD 0x80000020 injects an external interrupt", NULL),
    ROW(ext_intr_if1, B32 | B64, 0, NULL, NULL),
    ROW(rip_high, B32, 1, "GUEST_RIP 0x0000000100000000: bits 63:32 must be 0 (IA-32e mode "
        "guest is 0)", NULL),
    ROW(rip_compat_mode, B64, 1, "GUEST_RIP 0xffffffff81000000: bits 63:32 must be 0 (CS.L is "
        "0)", NULL),
    ROW(rip_noncanonical, B64, 1, "GUEST_RIP 0x0001000000000000: bits 63:48 must be identical",
        NULL),
    ROW(rip_bit47_only, B64, 0, NULL, NULL),
};

static const struct mutation non_register_mutations[] = {
    ROW(shutdown_unsupported, B32 | B64, 1, "GUEST_ACTIVITY_STATE 2 (shutdown) is not supported "
        "(IA32_VMX_MISC bit 7 is 0)", NULL),
    ROW(shutdown_supported, B32 | B64, 0, NULL, NULL),
    ROW(activity_undefined, B32 | B64, 1, "GUEST_ACTIVITY_STATE 4 is not an activity state",
        NULL),
    ROW(hlt_cpl3, B32, 1, "GUEST_ACTIVITY_STATE 1 (HLT) needs CPL 0 but the SS DPL is 3", NULL),
    ROW(hlt_with_sti, B32 | B64, 1, "GUEST_ACTIVITY_STATE 1 (HLT) is not active but "
        "GUEST_INTERRUPTIBILITY_INFO 0x1 has blocking by STI or MOV SS", NULL),
    ROW(hlt_inject_gp, B32 | B64, 1, "VM_ENTRY_INTR_INFO_FIELD 0x80000b0d: hardware exception "
        "vector 13 cannot be injected in activity state 1 (HLT)", NULL),
    ROW(hlt_inject_db, B32 | B64, 0, NULL, NULL),
    ROW(hlt_inject_irq, B32 | B64, 0, NULL, NULL),
    ROW(hlt_inject_mtf, B32 | B64, 0, NULL, NULL),
    ROW(shutdown_inject_irq, B32 | B64, 1, "external interrupt vector 48 cannot be injected "
        "in activity state 2 (shutdown)", NULL),
    ROW(shutdown_inject_mc, B32 | B64, 0, NULL, NULL),
    ROW(sipi_inject_nmi, B32 | B64, 1, "NMI vector 2 cannot be injected in activity state 3 "
        "(wait-for-SIPI)", NULL),
    ROW(sipi_entry_to_smm, B32 | B64, 1, "GUEST_ACTIVITY_STATE 3 (wait-for-SIPI) is not allowed "
        "with VM-entry control entry to SMM", NULL),
    ROW(intr_reserved, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x20: reserved bits 31:5",
        NULL),
    ROW(sti_and_mov_ss, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x3: blocking by STI and by "
        "MOV SS both set", NULL),
    ROW(sti_if0, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x1: blocking by STI while "
        "GUEST_RFLAGS.IF is 0", NULL),
    ROW(sti_if1, B32 | B64, 0, NULL, NULL),
    ROW(mov_ss_inject_irq, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x2: blocking by STI or "
        "MOV SS while injecting an external interrupt", NULL),
    ROW(mov_ss_inject_nmi, B32 | B64, 1, "blocking by MOV SS while injecting an NMI", NULL),
    ROW(sti_inject_nmi, B32 | B64, 1, "blocking by STI while injecting an NMI (refused by some "
        "processors: exit qualification 3)", NULL),
    ROW(smi_blocking, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x4: blocking by SMI outside "
        "SMM", NULL),
    ROW(nmi_blocking_inject_nmi, B32 | B64, 1, "blocking by NMI while injecting an NMI with "
        "virtual NMIs", NULL),
    ROW(nmi_blocking_inject_nmi_no_vnmi, B32 | B64, 0, NULL, NULL),
    ROW(enclave_mov_ss, B32 | B64, 1, "GUEST_INTERRUPTIBILITY_INFO 0x12: enclave interruption "
        "with blocking by MOV SS", NULL),
    ROW(pdbg_reserved, B32 | B64, 1, "GUEST_PENDING_DBG_EXCEPTIONS 0x10: reserved bits 0x10",
        NULL),
    ROW(pdbg_bs_missing, B32 | B64, 1, "GUEST_PENDING_DBG_EXCEPTIONS 0x0: BS (bit 14) must be 1",
        NULL),
    ROW(pdbg_bs_present, B32 | B64, 0, NULL, NULL),
    ROW(pdbg_bs_with_btf, B32 | B64, 1, "GUEST_PENDING_DBG_EXCEPTIONS 0x4000: BS (bit 14) must "
        "be 0", NULL),
    ROW(pdbg_bs_hlt_no_tf, B32 | B64, 1, "BS (bit 14) must be 0 with RFLAGS.TF 0", NULL),
    ROW(pdbg_bs_not_blocking, B32 | B64, 0, NULL, NULL),
    ROW(pdbg_rtm_alone, B32 | B64, 1, "GUEST_PENDING_DBG_EXCEPTIONS 0x10000: with RTM (bit 16) "
        "set, bit 12 must be 1", NULL),
    ROW(pdbg_rtm_ok, B32 | B64, 0, NULL, NULL),
    ROW(pdbg_rtm_mov_ss, B32 | B64, 1, "RTM (bit 16) set with blocking by MOV SS", NULL),
    ROW(link_not_ones, B32 | B64, 1, "VMCS_LINK_POINTER 0x0000000000001000 is not all ones",
        NULL),
    ROW(link_unaligned, B32 | B64, 2, "is not all ones",
        "VMCS_LINK_POINTER 0x0000000000001001: bits 11:0 must be 0"),
    ROW(link_shadowing, B32 | B64, 0, NULL, NULL),
};

static const char *base_name(unsigned base)
{
    return base == B32 ? "protected32" : base == B64 ? "long64" : "v8086";
}

static struct vm_entry_state base_state(unsigned base)
{
    return base == B32 ? protected32_state() : base == B64 ? long64_state() : v8086_state();
}

/* True when the mutated state fails exactly the expected checks. */
static bool mutation_matches(const struct mutation *m, unsigned base, struct collected *c)
{
    struct vm_entry_state s = base_state(base);
    unsigned failures;

    m->apply(&s);
    failures = run_checks(&s, c);
    return (int)failures == m->lines && c->n == m->lines &&
           (!m->expect || has_line_containing(c, m->expect)) &&
           (!m->expect2 || has_line_containing(c, m->expect2));
}

/* Runs every row on every state it names; returns how many cases ran. */
static int run_mutations(const struct mutation *rows, size_t n)
{
    int cases = 0;

    for (size_t i = 0; i < n; i++) {
        for (unsigned base = B32; base <= BV86; base <<= 1) {
            struct collected c;

            if (!(rows[i].bases & base))
                continue;
            cases++;
            if (!mutation_matches(&rows[i], base, &c)) {
                UNIT_FAIL("%s on %s: %d failed checks, expected %d%s%s", rows[i].name,
                          base_name(base), c.n, rows[i].lines, rows[i].expect ? " with: " : "",
                          rows[i].expect ? rows[i].expect : "");
                print_lines(&c);
            }
        }
    }
    return cases;
}

/* Every row must have run at least once. */
#define RUN_TABLE(t) CHECK(run_mutations(t, sizeof(t) / sizeof((t)[0])) >= \
                           (int)(sizeof(t) / sizeof((t)[0])))

TEST(control_register_and_msr_rules_fire_alone)
{
    RUN_TABLE(cr_msr_mutations);
}

TEST(segment_register_rules_fire_alone)
{
    RUN_TABLE(segment_mutations);
}

TEST(descriptor_table_rip_rflags_rules_fire_alone)
{
    RUN_TABLE(dtr_rip_rflags_mutations);
}

TEST(non_register_state_rules_fire_alone)
{
    RUN_TABLE(non_register_mutations);
}

/* The comparison itself: wrong text or a wrong count must not match. */
TEST(mutation_harness_detects_a_wrong_expectation)
{
    const struct mutation right = { "rflags_bit1_clear", mut_rflags_bit1_clear, B32, 1,
                                    "reserved bit 1 must be 1", NULL };
    const struct mutation wrong_text = { "rflags_bit1_clear", mut_rflags_bit1_clear, B32, 1,
                                         "no such sentence", NULL };
    const struct mutation wrong_count = { "rflags_bit1_clear", mut_rflags_bit1_clear, B32, 0,
                                          NULL, NULL };
    struct collected c;

    CHECK(mutation_matches(&right, B32, &c));
    CHECK(!mutation_matches(&wrong_text, B32, &c));
    CHECK(!mutation_matches(&wrong_count, B32, &c));
}

/* ---- Helpers ------------------------------------------------------------ */

TEST(describe_segment_ar)
{
    char buf[96];

    vmx_describe_segment_ar(0xa09b, buf, sizeof(buf));
    CHECK_STR(buf, "type=0xb S=1 DPL=0 P=1 L=1 D=0 G=1 usable");
    vmx_describe_segment_ar(0xc0f3, buf, sizeof(buf));
    CHECK_STR(buf, "type=0x3 S=1 DPL=3 P=1 L=0 D=1 G=1 usable");
    vmx_describe_segment_ar(0x1c000, buf, sizeof(buf));
    CHECK_STR(buf, "type=0x0 S=0 DPL=0 P=0 L=0 D=1 G=1 unusable");
    vmx_describe_segment_ar(0x8b, buf, sizeof(buf));
    CHECK_STR(buf, "type=0xb S=0 DPL=0 P=1 L=0 D=0 G=0 usable");
}

TEST(canonical_helpers)
{
    CHECK(is_canonical(0x00007fffffffffffull, 48));
    CHECK(is_canonical(0xffff800000000000ull, 48));
    CHECK(!is_canonical(0x0000800000000000ull, 48));
    CHECK(!is_canonical(0xffff7fffffffffffull, 48));
    CHECK(is_canonical(0x00ffffffffffffffull, 57));
    CHECK(!is_canonical(0x0100000000000000ull, 57));
    CHECK(is_canonical(0x8000000000000000ull, 64));
    CHECK(beyond_width(1ull << 39, 39));
    CHECK(!beyond_width((1ull << 39) - 1, 39));
    CHECK(!beyond_width(~0ull, 64));
}

/* ---- The whole report ----------------------------------------------------- */

static void explain(const struct vm_entry_state *s, struct collected *c, unsigned *failures)
{
    memset(c, 0, sizeof(*c));
    *failures = vm_entry_failure_explain(s, collect, c);
}

TEST(explain_invalid_guest_state)
{
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.interruptibility = 3;
    s.rflags |= RFLAGS_IF;
    explain(&s, &c, &failures);
    CHECK_EQ_U(failures, 1);
    CHECK(c.n >= 4);
    CHECK_STR(c.lines[0], "VM entry failed: exit reason 0x80000021 = INVALID_GUEST_STATE");
    CHECK_STR(c.lines[1], "Exit qualification 0: no further detail");
    CHECK_STR(c.lines[2], "Failed checks (SDM 27.3.1):");
    CHECK_STR(c.lines[3],
              "  GUEST_INTERRUPTIBILITY_INFO 0x3: blocking by STI and by MOV SS both set");
    CHECK_STR(c.lines[4], "Guest state:");
    CHECK(has_line_containing(&c, "  CR0    0x0000000080000031 (PE ET NE PG)"));
    CHECK(has_line_containing(&c, "  CR4    0x0000000000002020 (PAE VMXE)"));
    CHECK(has_line_containing(&c, "  EFER   0x0000000000000d01 (SCE LME LMA NXE)"));
    CHECK(has_line_containing(&c, "  RFLAGS 0x0000000000000202 (IF IOPL=0)"));
    CHECK(has_line_containing(&c, "  CS   sel=0x0008 base=0x0000000000000000 limit=0xffffffff "
                                  "ar=0x0000a09b (type=0xb S=1 DPL=0 P=1 L=1 D=0 G=1 usable)"));
    CHECK(has_line_containing(&c, "  DS   sel=0x0000 base=0x0000000000000000 limit=0x00000000 "
                                  "ar=0x00010000 (type=0x0 S=0 DPL=0 P=0 L=0 D=0 G=0 unusable)"));
    CHECK(has_line_containing(&c, "  TR   sel=0x0028 base=0xfffffe0000001000 limit=0x00000067 "
                                  "ar=0x0000008b (type=0xb S=0 DPL=0 P=1 L=0 D=0 G=0 usable)"));
    CHECK(has_line_containing(&c, "  LDTR sel=0x0000"));
    CHECK(has_line_containing(&c, "  GDTR   base=0xfffffe0000000000 limit=0x0000007f"));
    CHECK(has_line_containing(&c, "  activity=0 (active) interruptibility=0x3"));
    CHECK(has_line_containing(&c, "  IA-32e mode guest=1 unrestricted guest=0 virtual-8086=0"));
}

TEST(explain_invalid_guest_state_nothing_found)
{
    struct vm_entry_state s = protected32_state();
    struct collected c;
    unsigned failures;

    s.exit_qualification = 2;
    explain(&s, &c, &failures);
    CHECK_EQ_U(failures, 0);
    CHECK_STR(c.lines[1], "Exit qualification 2: loading the PDPTEs failed (SDM 27.3.1.6; not "
                          "checked here)");
    CHECK(has_line_containing(&c, "  none of the checks made here fails"));
    CHECK(has_line_containing(&c, "  CR0    0x0000000000000031 (PE ET NE)"));
    CHECK(has_line_containing(&c, "  IA-32e mode guest=0 unrestricted guest=1 virtual-8086=0"));
}

TEST(explain_link_pointer_qualification)
{
    struct vm_entry_state s = protected32_state();
    struct collected c;
    unsigned failures;

    s.exit_qualification = 4;
    s.vmcs_link_pointer = 0;
    explain(&s, &c, &failures);
    CHECK_EQ_U(failures, 1);
    CHECK_STR(c.lines[1], "Exit qualification 4: the VMCS link pointer is invalid");
    CHECK(has_line_containing(&c, "  VMCS_LINK_POINTER 0x0000000000000000 is not all ones"));
}

TEST(explain_msr_loading)
{
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.exit_reason = 0x80000022u;
    s.exit_qualification = 3;
    s.rflags = 0;                       /* not looked at for reason 34 */
    explain(&s, &c, &failures);
    CHECK_EQ_U(failures, 0);
    CHECK_STR(c.lines[0], "VM entry failed: exit reason 0x80000022 = MSR_LOADING");
    CHECK_STR(c.lines[1], "Exit qualification 3: MSR-load entry 3 (byte offset 32 of the "
                          "VM-entry MSR-load area) could not be loaded");
    CHECK_STR(c.lines[2], "Guest state:");
    CHECK(!has_line_containing(&c, "Failed checks"));
}

TEST(explain_machine_check)
{
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.exit_reason = 0x80000029u;
    explain(&s, &c, &failures);
    CHECK_STR(c.lines[0], "VM entry failed: exit reason 0x80000029 = MACHINE_CHECK");
    CHECK(has_line_containing(&c, "A machine check occurred during VM entry"));
    CHECK_STR(c.lines[2], "Guest state:");
}

TEST(explain_not_a_failed_entry)
{
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.exit_reason = 0x0000000cu;
    explain(&s, &c, &failures);
    CHECK_EQ_U(failures, 0);
    CHECK_STR(c.lines[0], "Exit reason 0x0000000c = HLT is not a failed VM entry (bit 31 is 0)");
    CHECK_STR(c.lines[1], "Guest state:");
}

TEST(explain_unexpected_failed_reason)
{
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.exit_reason = 0x8000000cu;
    explain(&s, &c, &failures);
    CHECK(has_line_containing(&c, "not one a failed VM entry reports (33, 34 or 41)"));
}

TEST(report_lines_fit)
{
    /* The widest lines: every CR4 bit set, every RFLAGS bit, huge values. */
    struct vm_entry_state s = long64_state();
    struct collected c;
    unsigned failures;

    s.cr4 = ~0ull;
    s.cr0 = ~0ull;
    s.rflags = ~0ull;
    s.ia32_efer = ~0ull;
    explain(&s, &c, &failures);
    CHECK(failures > 10);
    for (int i = 0; i < c.n && i < MAX_LINES; i++)
        CHECK(strlen(c.lines[i]) < LINE_MAX_CHARS - 1);
}
