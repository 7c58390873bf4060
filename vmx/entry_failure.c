/*
 * The VM-entry failure explainer (contract in vmx/entry_failure.h).
 *
 * Each check_* function below is one paragraph of Intel SDM vol. 3C 27.3.1
 * "Checks on the Guest State Area", in the SDM's order; each fail() call is
 * one rule of that paragraph.  All checks run, so one report shows every
 * problem (the CPU stops at the first one it meets, in an unspecified order).
 */
#include "vmx/entry_failure.h"

#include <stdarg.h>
#include <stddef.h>

#include "arch/x86/msr.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vmx/exit_qual.h"
#include "vmx/exit_reasons.h"
#include "vmx/vmx_controls.h"

/* Architectural register bits the checks name (SDM vol. 3A 2.5 for CR0/CR4,
 * vol. 1 3.4.3 for RFLAGS, vol. 3B 18.4.1 for IA32_DEBUGCTL). */
#define CR0_PE                  (1ull << 0)
#define CR0_WP                  (1ull << 16)
#define CR0_NW                  (1ull << 29)
#define CR0_CD                  (1ull << 30)
#define CR0_PG                  (1ull << 31)
#define CR4_PAE                 (1ull << 5)
#define CR4_PCIDE               (1ull << 17)
#define CR4_CET                 (1ull << 23)
#define RFLAGS_FIXED1           (1ull << 1)
#define RFLAGS_TF               (1ull << 8)
#define RFLAGS_IF               (1ull << 9)
#define RFLAGS_IOPL_SHIFT       12
#define RFLAGS_IOPL_MASK        0x3ull
#define RFLAGS_VM               (1ull << 17)
/* Bits 63:22, 15, 5 and 3 (SDM 27.3.1.4). */
#define RFLAGS_RESERVED         0xffffffffffc08028ull
#define DEBUGCTL_BTF            (1ull << 1)
/* The IA32_EFER bits Intel defines; the rest is reserved (SDM vol. 4 2.1). */
#define EFER_DEFINED            (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* Bits 11:4, 13, 15 and 63:17 of the pending-debug-exceptions field. */
#define PENDING_DBG_RESERVED    0xfffffffffffeaff0ull

#define DEFAULT_PHYS_ADDR_BITS  52
#define DEFAULT_LINEAR_ADDR_BITS 48
#define VMCS_LINK_POINTER_NONE  0xffffffffffffffffull
#define VMCS_LINK_POINTER_ALIGN 0xfffull
#define MSR_LOAD_ENTRY_BYTES    16      /* SDM 25.8.2, table "Format of an MSR Entry" */

/* Vectors the activity-state rules name (SDM vol. 3A 6.3.1). */
#define VECTOR_DB               1
#define VECTOR_MC               18

#define STI_OR_MOV_SS (INTERRUPTIBILITY_BLOCKING_BY_STI | INTERRUPTIBILITY_BLOCKING_BY_MOV_SS)

#define LINE_MAX_CHARS          224

/* ---- Names ------------------------------------------------------------ */

static const char *const cr0_bit_names[64] = {
    [0] = "PE", [1] = "MP", [2] = "EM", [3] = "TS", [4] = "ET", [5] = "NE",
    [16] = "WP", [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
};

static const char *const cr4_bit_names[64] = {
    [0] = "VME", [1] = "PVI", [2] = "TSD", [3] = "DE", [4] = "PSE", [5] = "PAE",
    [6] = "MCE", [7] = "PGE", [8] = "PCE", [9] = "OSFXSR", [10] = "OSXMMEXCPT",
    [11] = "UMIP", [12] = "LA57", [13] = "VMXE", [14] = "SMXE", [16] = "FSGSBASE",
    [17] = "PCIDE", [18] = "OSXSAVE", [19] = "KL", [20] = "SMEP", [21] = "SMAP",
    [22] = "PKE", [23] = "CET", [24] = "PKS", [25] = "UINTR",
};

static const char *const efer_bit_names[64] = {
    [0] = "SCE", [8] = "LME", [10] = "LMA", [11] = "NXE",
};

/* IOPL (13:12) is printed as a number, bit 1 is always 1: neither is listed. */
static const char *const rflags_bit_names[64] = {
    [0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF", [8] = "TF",
    [9] = "IF", [10] = "DF", [11] = "OF", [14] = "NT", [16] = "RF", [17] = "VM",
    [18] = "AC", [19] = "VIF", [20] = "VIP", [21] = "ID",
};

static const char *const seg_names[NR_SEGS] = {
    [SEG_ES] = "ES", [SEG_CS] = "CS", [SEG_SS] = "SS",
    [SEG_DS] = "DS", [SEG_FS] = "FS", [SEG_GS] = "GS",
};

/* The order of the SDM's text and of the report. */
static const enum x86_seg seg_check_order[NR_SEGS] = {
    SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS,
};

static const char *activity_state_name(uint32_t state)
{
    switch (state) {
    case ACTIVITY_STATE_ACTIVE:
        return "active";
    case ACTIVITY_STATE_HLT:
        return "HLT";
    case ACTIVITY_STATE_SHUTDOWN:
        return "shutdown";
    case ACTIVITY_STATE_WAIT_FOR_SIPI:
        return "wait-for-SIPI";
    default:
        return "undefined";
    }
}

static const char *event_type_name(uint32_t type)
{
    switch (type) {
    case EVENT_EXTERNAL_INTERRUPT:
        return "external interrupt";
    case EVENT_NMI:
        return "NMI";
    case EVENT_HARDWARE_EXCEPTION:
        return "hardware exception";
    case EVENT_SOFTWARE_INTERRUPT:
        return "software interrupt";
    case EVENT_PRIVILEGED_SOFTWARE_EXCEPTION:
        return "privileged software exception";
    case EVENT_SOFTWARE_EXCEPTION:
        return "software exception";
    case EVENT_OTHER:
        return "other event";
    default:
        return "reserved event type";
    }
}

/* "PE ET NE PG": names of the set bits, "bit N" for unnamed ones, "none". */
static void describe_bits(uint64_t value, const char *const names[64], char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (unsigned bit = 0; bit < 64 && len < size; bit++) {
        if (!(value & (1ull << bit)))
            continue;
        int n = names[bit] ? ksnprintf(buf + len, size - len, "%s%s", len ? " " : "", names[bit])
                           : ksnprintf(buf + len, size - len, "%sbit %u", len ? " " : "", bit);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (buf[0] == '\0')
        ksnprintf(buf, size, "none");
}

/* ---- Segment access rights -------------------------------------------- */

static uint32_t ar_type(uint32_t ar)
{
    return ar & VMX_AR_TYPE_MASK;
}

static uint32_t ar_dpl(uint32_t ar)
{
    return (ar >> VMX_AR_DPL_SHIFT) & VMX_AR_DPL_MASK;
}

static bool ar_usable(uint32_t ar)
{
    return (ar & VMX_AR_UNUSABLE) == 0;
}

static unsigned ar_flag(uint32_t ar, uint32_t bit)
{
    return (ar & bit) ? 1u : 0u;
}

static uint32_t selector_rpl(uint16_t selector)
{
    return selector & 0x3u;             /* bits 1:0 (SDM vol. 3A 3.4.2) */
}

static bool selector_ti(uint16_t selector)
{
    return (selector & 0x4u) != 0;      /* bit 2: LDT rather than GDT */
}

void vmx_describe_segment_ar(uint32_t ar, char *buf, size_t size)
{
    ksnprintf(buf, size, "type=0x%x S=%u DPL=%u P=%u L=%u D=%u G=%u %s", ar_type(ar),
              ar_flag(ar, VMX_AR_S), ar_dpl(ar), ar_flag(ar, VMX_AR_P), ar_flag(ar, VMX_AR_L),
              ar_flag(ar, VMX_AR_DB), ar_flag(ar, VMX_AR_G),
              ar_usable(ar) ? "usable" : "unusable");
}

/* ---- Addresses -------------------------------------------------------- */

/* Bits 63:bits-1 all equal (SDM vol. 1 3.3.7.1). */
static bool is_canonical(uint64_t addr, unsigned bits)
{
    uint64_t upper = addr >> (bits - 1);

    return upper == 0 || upper == (~0ull >> (bits - 1));
}

static bool beyond_width(uint64_t addr, unsigned bits)
{
    return bits < 64 && (addr >> bits) != 0;
}

/* ---- The checker ------------------------------------------------------ */

struct checker {
    const struct vm_entry_state *s;
    void (*line)(const char *text, void *ctx);
    void *ctx;
    unsigned failures;

    /* Terms of SDM 27.3.1.2. */
    bool unrestricted;          /* "unrestricted guest", when secondary controls are on */
    bool ia32e;                 /* "the guest will be IA-32e mode" */
    bool v8086;                 /* "the guest will be virtual-8086" (see checker_init) */
    unsigned phys_bits, linear_bits;
};

static void fail(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct checker *c, const char *fmt, ...)
{
    char text[LINE_MAX_CHARS];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    c->failures++;
    c->line(text, c->ctx);
}

static void checker_init(struct checker *c, const struct vm_entry_state *s,
                         void (*line)(const char *text, void *ctx), void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->line = line;
    c->ctx = ctx;
    c->unrestricted = (s->cpu_based_controls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
                      (s->secondary_controls & SECONDARY_EXEC_UNRESTRICTED_GUEST);
    c->ia32e = (s->entry_controls & VM_ENTRY_IA32E_MODE_GUEST) != 0;
    /* The SDM's term is just RFLAGS.VM = 1.  When VM may not be 1 at all
     * (IA-32e mode guest, or CR0.PE = 0) check_rflags() says so, and judging
     * the segments by virtual-8086 rules as well would only bury that line
     * under consequences. */
    c->v8086 = (s->rflags & RFLAGS_VM) && !c->ia32e && (s->cr0 & CR0_PE);
    c->phys_bits = s->phys_addr_bits ? s->phys_addr_bits : DEFAULT_PHYS_ADDR_BITS;
    c->linear_bits = s->linear_addr_bits ? s->linear_addr_bits : DEFAULT_LINEAR_ADDR_BITS;
}

static bool entry_injects(const struct vm_entry_state *s, uint32_t type)
{
    return (s->entry_intr_info & INTR_INFO_VALID) &&
           ((s->entry_intr_info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK) == type;
}

/* ---- 27.3.1.1 Control registers, debug registers and MSRs -------------- */

struct fixed_bits {
    const char *field;                  /* "GUEST_CR0" */
    uint64_t value;
    uint64_t fixed0, fixed1;
    const char *fixed0_name, *fixed1_name;
    const char *const *names;
    uint64_t never_checked;             /* CR0.NW/CD: VM entry does not load them */
    uint64_t relaxable;                 /* CR0.PE/PG: free with unrestricted guest */
};

static void check_fixed_bits(struct checker *c, const struct fixed_bits *f)
{
    for (unsigned bit = 0; bit < 64; bit++) {
        uint64_t m = 1ull << bit;
        const char *name = f->names[bit] ? f->names[bit] : "";
        const char *sep = f->names[bit] ? " " : "";

        if (m & f->never_checked)
            continue;
        if ((m & f->relaxable) && c->unrestricted)
            continue;
        if ((f->fixed0 & m) && !(f->value & m))
            fail(c, "%s 0x%08llx: bit %u%s%s is 0 but %s requires it%s", f->field,
                 (unsigned long long)f->value, bit, sep, name, f->fixed0_name,
                 (m & f->relaxable) ? " (no unrestricted guest)" : "");
        if (!(f->fixed1 & m) && (f->value & m))
            fail(c, "%s 0x%08llx: bit %u%s%s is 1 but %s forbids it", f->field,
                 (unsigned long long)f->value, bit, sep, name, f->fixed1_name);
    }
}

static void check_cr0_cr4(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    const struct fixed_bits cr0 = {
        "GUEST_CR0", s->cr0, s->cr0_fixed0, s->cr0_fixed1,
        "IA32_VMX_CR0_FIXED0", "IA32_VMX_CR0_FIXED1", cr0_bit_names,
        CR0_NW | CR0_CD, CR0_PE | CR0_PG,
    };
    const struct fixed_bits cr4 = {
        "GUEST_CR4", s->cr4, s->cr4_fixed0, s->cr4_fixed1,
        "IA32_VMX_CR4_FIXED0", "IA32_VMX_CR4_FIXED1", cr4_bit_names, 0, 0,
    };

    check_fixed_bits(c, &cr0);
    if ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE))
        fail(c, "GUEST_CR0 0x%08llx: bit 31 PG is 1 but bit 0 PE is 0",
             (unsigned long long)s->cr0);
    check_fixed_bits(c, &cr4);
    if ((s->cr4 & CR4_CET) && !(s->cr0 & CR0_WP))
        fail(c, "GUEST_CR4 0x%08llx: bit 23 CET is 1 but GUEST_CR0.WP is 0",
             (unsigned long long)s->cr4);

    if (c->ia32e) {
        if (!(s->cr0 & CR0_PG))
            fail(c, "VM-entry control IA-32e mode guest is 1 but GUEST_CR0.PG is 0 "
                    "(GUEST_CR0 0x%08llx)", (unsigned long long)s->cr0);
        if (!(s->cr4 & CR4_PAE))
            fail(c, "VM-entry control IA-32e mode guest is 1 but GUEST_CR4.PAE is 0 "
                    "(GUEST_CR4 0x%08llx)", (unsigned long long)s->cr4);
    } else if (s->cr4 & CR4_PCIDE) {
        fail(c, "GUEST_CR4 0x%08llx: bit 17 PCIDE is 1 but VM-entry control IA-32e mode "
                "guest is 0", (unsigned long long)s->cr4);
    }
}

static void check_cr3_dr7_sysenter(struct checker *c)
{
    const struct vm_entry_state *s = c->s;

    if (beyond_width(s->cr3, c->phys_bits))
        fail(c, "GUEST_CR3 0x%016llx: bits 63:%u must be 0 (%u-bit physical addresses)",
             (unsigned long long)s->cr3, c->phys_bits, c->phys_bits);
    if ((s->entry_controls & VM_ENTRY_LOAD_DEBUG_CONTROLS) && (s->dr7 >> 32))
        fail(c, "GUEST_DR7 0x%016llx: bits 63:32 must be 0 (VM-entry control load debug "
                "controls is 1)", (unsigned long long)s->dr7);
    if (!is_canonical(s->ia32_sysenter_esp, c->linear_bits))
        fail(c, "GUEST_SYSENTER_ESP 0x%016llx: not canonical (%u-bit linear addresses)",
             (unsigned long long)s->ia32_sysenter_esp, c->linear_bits);
    if (!is_canonical(s->ia32_sysenter_eip, c->linear_bits))
        fail(c, "GUEST_SYSENTER_EIP 0x%016llx: not canonical (%u-bit linear addresses)",
             (unsigned long long)s->ia32_sysenter_eip, c->linear_bits);
}

/* WRMSR-valid PAT entries: UC, WC, WT, WP, WB, UC- (SDM 27.3.1.1). */
static bool pat_type_valid(unsigned type)
{
    return type == 0 || type == 1 || type == 4 || type == 5 || type == 6 || type == 7;
}

static void check_pat(struct checker *c)
{
    const struct vm_entry_state *s = c->s;

    if (!(s->entry_controls & VM_ENTRY_LOAD_IA32_PAT))
        return;
    for (unsigned i = 0; i < 8; i++) {
        unsigned type = (unsigned)(s->ia32_pat >> (8 * i)) & 0xffu;
        if (!pat_type_valid(type))
            fail(c, "GUEST_IA32_PAT 0x%016llx: entry PA%u is 0x%02x, not a memory type "
                    "(0, 1, 4, 5, 6 or 7)", (unsigned long long)s->ia32_pat, i, type);
    }
}

static void check_efer(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    unsigned lma = (s->ia32_efer & EFER_LMA) ? 1 : 0;
    unsigned lme = (s->ia32_efer & EFER_LME) ? 1 : 0;

    /* Without "load IA32_EFER" the CPU derives LMA/LME from the IA-32e mode
     * guest control itself and the field is not checked. */
    if (!(s->entry_controls & VM_ENTRY_LOAD_IA32_EFER))
        return;
    if (s->ia32_efer & ~EFER_DEFINED)
        fail(c, "GUEST_IA32_EFER 0x%016llx: reserved bits 0x%llx are set",
             (unsigned long long)s->ia32_efer, (unsigned long long)(s->ia32_efer & ~EFER_DEFINED));
    if (lma != (c->ia32e ? 1u : 0u))
        fail(c, "VM-entry control IA-32e mode guest is %u but GUEST_IA32_EFER.LMA is %u",
             c->ia32e ? 1u : 0u, lma);
    if ((s->cr0 & CR0_PG) && lma != lme)
        fail(c, "GUEST_IA32_EFER 0x%016llx: LMA is %u but LME is %u while GUEST_CR0.PG is 1",
             (unsigned long long)s->ia32_efer, lma, lme);
}

/* ---- 27.3.1.2 Segment registers --------------------------------------- */

static void check_selectors(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    const struct vmx_segment_state *cs = &s->seg[SEG_CS], *ss = &s->seg[SEG_SS];

    if (selector_ti(s->tr.selector))
        fail(c, "GUEST_TR_SELECTOR 0x%04x: TI (bit 2) must be 0", s->tr.selector);
    if (ar_usable(s->ldtr.ar) && selector_ti(s->ldtr.selector))
        fail(c, "GUEST_LDTR_SELECTOR 0x%04x: TI (bit 2) must be 0 for a usable LDTR",
             s->ldtr.selector);
    if (!c->v8086 && !c->unrestricted && selector_rpl(ss->selector) != selector_rpl(cs->selector))
        fail(c, "GUEST_SS_SELECTOR 0x%04x: RPL %u differs from the RPL %u of GUEST_CS_SELECTOR "
                "0x%04x (no unrestricted guest)", ss->selector, selector_rpl(ss->selector),
             selector_rpl(cs->selector), cs->selector);
}

static void check_bases_and_limits(struct checker *c)
{
    const struct vm_entry_state *s = c->s;

    for (unsigned i = 0; i < NR_SEGS; i++) {
        enum x86_seg seg = seg_check_order[i];
        const struct vmx_segment_state *r = &s->seg[seg];
        bool usable = ar_usable(r->ar);

        if (c->v8086 && r->base != (uint64_t)r->selector << 4)
            fail(c, "GUEST_%s_BASE 0x%016llx: must be the selector 0x%04x times 16 in "
                    "virtual-8086 mode", seg_names[seg], (unsigned long long)r->base,
                 r->selector);
        if (c->v8086 && r->limit != 0xffff)
            fail(c, "GUEST_%s_LIMIT 0x%08x: must be 0x0000ffff in virtual-8086 mode",
                 seg_names[seg], r->limit);
        if (seg == SEG_FS || seg == SEG_GS) {
            if (!is_canonical(r->base, c->linear_bits))
                fail(c, "GUEST_%s_BASE 0x%016llx: not canonical (%u-bit linear addresses)",
                     seg_names[seg], (unsigned long long)r->base, c->linear_bits);
        } else if ((seg == SEG_CS || usable) && (r->base >> 32)) {
            fail(c, "GUEST_%s_BASE 0x%016llx: bits 63:32 must be 0%s", seg_names[seg],
                 (unsigned long long)r->base, seg == SEG_CS ? "" : " for a usable segment");
        }
    }
    if (!is_canonical(s->tr.base, c->linear_bits))
        fail(c, "GUEST_TR_BASE 0x%016llx: not canonical (%u-bit linear addresses)",
             (unsigned long long)s->tr.base, c->linear_bits);
    if (ar_usable(s->ldtr.ar) && !is_canonical(s->ldtr.base, c->linear_bits))
        fail(c, "GUEST_LDTR_BASE 0x%016llx: not canonical (%u-bit linear addresses)",
             (unsigned long long)s->ldtr.base, c->linear_bits);
}

/* G must agree with the limit: a limit that is not a whole number of 4-KiB
 * pages needs G = 0, one above 1 MiB needs G = 1. */
static void check_granularity(struct checker *c, const char *reg, uint32_t ar, uint32_t limit)
{
    if ((limit & 0xfffu) != 0xfffu && (ar & VMX_AR_G))
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: G is 1 but GUEST_%s_LIMIT 0x%08x has bits 11:0 "
                "not all 1", reg, ar, reg, limit);
    if ((limit & 0xfff00000u) && !(ar & VMX_AR_G))
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: G is 0 but GUEST_%s_LIMIT 0x%08x has bits 31:20 "
                "set", reg, ar, reg, limit);
}

/* Type, S, P, reserved bits and G of CS (always) or of a usable SS..GS. */
static void check_code_data_ar(struct checker *c, enum x86_seg seg)
{
    const struct vmx_segment_state *r = &c->s->seg[seg];
    const char *name = seg_names[seg];
    uint32_t ar = r->ar, type = ar_type(ar);

    if (seg == SEG_CS) {
        bool code = (type & VMX_AR_TYPE_CODE) && (type & VMX_AR_TYPE_ACCESSED);
        if (!code && !(c->unrestricted && type == SEG_TYPE_DATA_RW_ACCESSED))
            fail(c, "GUEST_CS_AR_BYTES 0x%08x: type 0x%x is not an accessed code segment "
                    "(9, 11, 13, 15%s)", ar, type,
                 c->unrestricted ? " or 3 with unrestricted guest" : "");
    } else if (seg == SEG_SS) {
        if (type != SEG_TYPE_DATA_RW_ACCESSED && type != SEG_TYPE_DATA_RW_DOWN_ACCESSED)
            fail(c, "GUEST_SS_AR_BYTES 0x%08x: type 0x%x is not a read/write accessed data "
                    "segment (3 or 7)", ar, type);
    } else {
        if (!(type & VMX_AR_TYPE_ACCESSED))
            fail(c, "GUEST_%s_AR_BYTES 0x%08x: type 0x%x is not accessed (type bit 0 is 0)",
                 name, ar, type);
        if ((type & VMX_AR_TYPE_CODE) && !(type & VMX_AR_TYPE_READABLE))
            fail(c, "GUEST_%s_AR_BYTES 0x%08x: type 0x%x is an execute-only code segment",
                 name, ar, type);
    }
    if (!(ar & VMX_AR_S))
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: S is 0 (a system segment)", name, ar);
    if (!(ar & VMX_AR_P))
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: P is 0", name, ar);
    if (ar & VMX_AR_RESERVED_11_8)
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: reserved bits 11:8 must be 0", name, ar);
    if (seg == SEG_CS && c->ia32e && (ar & VMX_AR_L) && (ar & VMX_AR_DB))
        fail(c, "GUEST_CS_AR_BYTES 0x%08x: L and D both set in an IA-32e mode guest", ar);
    check_granularity(c, name, ar, r->limit);
    if (ar & VMX_AR_RESERVED_31_17)
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: reserved bits 31:17 must be 0", name, ar);
}

static void check_cs_dpl(struct checker *c)
{
    uint32_t ar = c->s->seg[SEG_CS].ar, type = ar_type(ar);
    uint32_t dpl = ar_dpl(ar), ss_dpl = ar_dpl(c->s->seg[SEG_SS].ar);

    if (type == SEG_TYPE_DATA_RW_ACCESSED && dpl != 0)
        fail(c, "GUEST_CS_AR_BYTES 0x%08x: DPL %u must be 0 for a data-segment (type 3) CS",
             ar, dpl);
    else if ((type & VMX_AR_TYPE_CODE) && !(type & VMX_AR_TYPE_CONFORMING) && dpl != ss_dpl)
        fail(c, "GUEST_CS_AR_BYTES 0x%08x: DPL %u of a non-conforming code segment differs "
                "from the SS DPL %u", ar, dpl, ss_dpl);
    else if ((type & VMX_AR_TYPE_CODE) && (type & VMX_AR_TYPE_CONFORMING) && dpl > ss_dpl)
        fail(c, "GUEST_CS_AR_BYTES 0x%08x: DPL %u of a conforming code segment is above the "
                "SS DPL %u", ar, dpl, ss_dpl);
}

static void check_ss_dpl(struct checker *c)
{
    const struct vmx_segment_state *ss = &c->s->seg[SEG_SS];
    uint32_t dpl = ar_dpl(ss->ar);

    if (!c->unrestricted && dpl != selector_rpl(ss->selector))
        fail(c, "GUEST_SS_AR_BYTES 0x%08x: DPL %u differs from the RPL %u of "
                "GUEST_SS_SELECTOR 0x%04x (no unrestricted guest)", ss->ar, dpl,
             selector_rpl(ss->selector), ss->selector);
    if (dpl != 0 && ar_type(c->s->seg[SEG_CS].ar) == SEG_TYPE_DATA_RW_ACCESSED)
        fail(c, "GUEST_SS_AR_BYTES 0x%08x: DPL %u must be 0 when CS is a data segment (type 3)",
             ss->ar, dpl);
    if (dpl != 0 && !(c->s->cr0 & CR0_PE))
        fail(c, "GUEST_SS_AR_BYTES 0x%08x: DPL %u must be 0 when GUEST_CR0.PE is 0", ss->ar, dpl);
}

/* DS, ES, FS, GS: a data or non-conforming code segment may not be more
 * privileged than the selector that loaded it. */
static void check_data_dpl(struct checker *c, enum x86_seg seg)
{
    const struct vmx_segment_state *r = &c->s->seg[seg];
    uint32_t dpl = ar_dpl(r->ar), rpl = selector_rpl(r->selector);

    if (!c->unrestricted && ar_usable(r->ar) && ar_type(r->ar) <= 11 && dpl < rpl)
        fail(c, "GUEST_%s_AR_BYTES 0x%08x: DPL %u is below the RPL %u of GUEST_%s_SELECTOR "
                "0x%04x (no unrestricted guest)", seg_names[seg], r->ar, dpl, rpl,
             seg_names[seg], r->selector);
}

static void check_segment_access_rights(struct checker *c)
{
    for (unsigned i = 0; i < NR_SEGS; i++) {
        enum x86_seg seg = seg_check_order[i];
        uint32_t ar = c->s->seg[seg].ar;

        if (c->v8086) {
            if (ar != VMX_AR_VIRTUAL_8086)
                fail(c, "GUEST_%s_AR_BYTES 0x%08x: must be 0x000000f3 in virtual-8086 mode",
                     seg_names[seg], ar);
            continue;
        }
        if (seg == SEG_CS || ar_usable(ar))
            check_code_data_ar(c, seg);
        if (seg != SEG_CS && seg != SEG_SS)
            check_data_dpl(c, seg);
    }
    if (!c->v8086) {
        check_cs_dpl(c);
        check_ss_dpl(c);
    }
}

static void check_tr(struct checker *c)
{
    const struct vmx_segment_state *tr = &c->s->tr;
    uint32_t ar = tr->ar, type = ar_type(ar);

    if (c->ia32e && type != SEG_TYPE_TSS_BUSY)
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: type 0x%x is not a busy 64-bit TSS (11) in an "
                "IA-32e mode guest", ar, type);
    else if (!c->ia32e && type != SEG_TYPE_TSS_BUSY && type != SEG_TYPE_TSS16_BUSY)
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: type 0x%x is not a busy TSS (3 or 11)", ar, type);
    if (ar & VMX_AR_S)
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: S must be 0", ar);
    if (!(ar & VMX_AR_P))
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: P is 0", ar);
    if (ar & VMX_AR_RESERVED_11_8)
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: reserved bits 11:8 must be 0", ar);
    check_granularity(c, "TR", ar, tr->limit);
    if (!ar_usable(ar))
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: TR must be usable (bit 16 is 1)", ar);
    if (ar & VMX_AR_RESERVED_31_17)
        fail(c, "GUEST_TR_AR_BYTES 0x%08x: reserved bits 31:17 must be 0", ar);
}

static void check_ldtr(struct checker *c)
{
    const struct vmx_segment_state *ldtr = &c->s->ldtr;
    uint32_t ar = ldtr->ar;

    if (!ar_usable(ar))
        return;
    if (ar_type(ar) != SEG_TYPE_LDT)
        fail(c, "GUEST_LDTR_AR_BYTES 0x%08x: type 0x%x is not an LDT (2)", ar, ar_type(ar));
    if (ar & VMX_AR_S)
        fail(c, "GUEST_LDTR_AR_BYTES 0x%08x: S must be 0", ar);
    if (!(ar & VMX_AR_P))
        fail(c, "GUEST_LDTR_AR_BYTES 0x%08x: P is 0", ar);
    if (ar & VMX_AR_RESERVED_11_8)
        fail(c, "GUEST_LDTR_AR_BYTES 0x%08x: reserved bits 11:8 must be 0", ar);
    check_granularity(c, "LDTR", ar, ldtr->limit);
    if (ar & VMX_AR_RESERVED_31_17)
        fail(c, "GUEST_LDTR_AR_BYTES 0x%08x: reserved bits 31:17 must be 0", ar);
}

/* ---- 27.3.1.3 Descriptor-table registers ------------------------------ */

static void check_descriptor_table(struct checker *c, const char *name, uint64_t base,
                                   uint32_t limit)
{
    if (!is_canonical(base, c->linear_bits))
        fail(c, "GUEST_%s_BASE 0x%016llx: not canonical (%u-bit linear addresses)", name,
             (unsigned long long)base, c->linear_bits);
    if (limit & 0xffff0000u)
        fail(c, "GUEST_%s_LIMIT 0x%08x: bits 31:16 must be 0", name, limit);
}

/* ---- 27.3.1.4 RIP and RFLAGS ------------------------------------------ */

static void check_rip(struct checker *c)
{
    uint64_t rip = c->s->rip;
    bool cs_l = (c->s->seg[SEG_CS].ar & VMX_AR_L) != 0;

    if (!c->ia32e || !cs_l) {
        if (rip >> 32)
            fail(c, "GUEST_RIP 0x%016llx: bits 63:32 must be 0 (%s)", (unsigned long long)rip,
                 c->ia32e ? "CS.L is 0" : "IA-32e mode guest is 0");
        return;
    }
    /* Only bits 63:N must agree; bit N-1 may differ (the guest then faults
     * on its first fetch, not VM entry). */
    if (c->linear_bits < 64) {
        uint64_t upper = rip >> c->linear_bits;
        if (upper != 0 && upper != (~0ull >> c->linear_bits))
            fail(c, "GUEST_RIP 0x%016llx: bits 63:%u must be identical (64-bit code)",
                 (unsigned long long)rip, c->linear_bits);
    }
}

static void check_rflags(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    unsigned long long rflags = s->rflags;

    if (s->rflags & RFLAGS_RESERVED)
        fail(c, "GUEST_RFLAGS 0x%08llx: reserved bits 0x%llx (63:22, 15, 5, 3) must be 0",
             rflags, (unsigned long long)(s->rflags & RFLAGS_RESERVED));
    if (!(s->rflags & RFLAGS_FIXED1))
        fail(c, "GUEST_RFLAGS 0x%08llx: reserved bit 1 must be 1", rflags);
    if ((s->rflags & RFLAGS_VM) && c->ia32e)
        fail(c, "GUEST_RFLAGS 0x%08llx: VM (bit 17) must be 0 when VM-entry control IA-32e "
                "mode guest is 1", rflags);
    else if ((s->rflags & RFLAGS_VM) && !(s->cr0 & CR0_PE))
        fail(c, "GUEST_RFLAGS 0x%08llx: VM (bit 17) must be 0 when GUEST_CR0.PE is 0", rflags);
    if (!(s->rflags & RFLAGS_IF) && entry_injects(s, EVENT_EXTERNAL_INTERRUPT))
        fail(c, "GUEST_RFLAGS 0x%08llx: IF is 0 but VM_ENTRY_INTR_INFO_FIELD 0x%08x injects "
                "an external interrupt", rflags, s->entry_intr_info);
}

/* ---- 27.3.1.5 Non-register state -------------------------------------- */

/* IA32_VMX_MISC bit that says the CPU supports an inactive state (SDM A.6). */
static uint64_t activity_state_misc_bit(uint32_t state)
{
    switch (state) {
    case ACTIVITY_STATE_HLT:
        return VMX_MISC_ACTIVITY_HLT;
    case ACTIVITY_STATE_SHUTDOWN:
        return VMX_MISC_ACTIVITY_SHUTDOWN;
    case ACTIVITY_STATE_WAIT_FOR_SIPI:
        return VMX_MISC_ACTIVITY_WAIT_FOR_SIPI;
    default:
        return 0;
    }
}

static unsigned bit_number(uint64_t single_bit)
{
    unsigned n = 0;

    while (single_bit > 1) {
        single_bit >>= 1;
        n++;
    }
    return n;
}

/* Events a CPU in this activity state could take anyway (SDM 27.3.1.5). */
static bool injection_allowed_in(uint32_t state, uint32_t type, uint32_t vector)
{
    switch (state) {
    case ACTIVITY_STATE_HLT:
        return type == EVENT_EXTERNAL_INTERRUPT || type == EVENT_NMI ||
               (type == EVENT_HARDWARE_EXCEPTION && (vector == VECTOR_DB || vector == VECTOR_MC)) ||
               (type == EVENT_OTHER && vector == 0);
    case ACTIVITY_STATE_SHUTDOWN:
        return type == EVENT_NMI || (type == EVENT_HARDWARE_EXCEPTION && vector == VECTOR_MC);
    case ACTIVITY_STATE_WAIT_FOR_SIPI:
        return false;
    default:
        return true;
    }
}

static void check_activity_state(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    uint32_t state = s->activity_state, info = s->entry_intr_info;
    uint64_t misc_bit = activity_state_misc_bit(state);

    if (state > ACTIVITY_STATE_WAIT_FOR_SIPI)
        fail(c, "GUEST_ACTIVITY_STATE %u is not an activity state (0-3)", state);
    else if (misc_bit && !(s->vmx_misc & misc_bit))
        fail(c, "GUEST_ACTIVITY_STATE %u (%s) is not supported (IA32_VMX_MISC bit %u is 0)",
             state, activity_state_name(state), bit_number(misc_bit));
    if (state == ACTIVITY_STATE_HLT && ar_dpl(s->seg[SEG_SS].ar) != 0)
        fail(c, "GUEST_ACTIVITY_STATE 1 (HLT) needs CPL 0 but the SS DPL is %u",
             ar_dpl(s->seg[SEG_SS].ar));
    if (state != ACTIVITY_STATE_ACTIVE && (s->interruptibility & STI_OR_MOV_SS))
        fail(c, "GUEST_ACTIVITY_STATE %u (%s) is not active but GUEST_INTERRUPTIBILITY_INFO "
                "0x%x has blocking by STI or MOV SS", state, activity_state_name(state),
             s->interruptibility);
    if (info & INTR_INFO_VALID) {
        uint32_t type = (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK;
        uint32_t vector = info & INTR_INFO_VECTOR_MASK;
        if (!injection_allowed_in(state, type, vector))
            fail(c, "VM_ENTRY_INTR_INFO_FIELD 0x%08x: %s vector %u cannot be injected in "
                    "activity state %u (%s)", info, event_type_name(type), vector, state,
                 activity_state_name(state));
    }
    if (state == ACTIVITY_STATE_WAIT_FOR_SIPI && (s->entry_controls & VM_ENTRY_ENTRY_TO_SMM))
        fail(c, "GUEST_ACTIVITY_STATE 3 (wait-for-SIPI) is not allowed with VM-entry control "
                "entry to SMM");
}

static void check_interruptibility(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    uint32_t v = s->interruptibility;
    bool sti = v & INTERRUPTIBILITY_BLOCKING_BY_STI;
    bool mov_ss = v & INTERRUPTIBILITY_BLOCKING_BY_MOV_SS;
    bool smi = v & INTERRUPTIBILITY_BLOCKING_BY_SMI;
    bool nmi = v & INTERRUPTIBILITY_BLOCKING_BY_NMI;
    bool to_smm = (s->entry_controls & VM_ENTRY_ENTRY_TO_SMM) != 0;

    if (v & INTERRUPTIBILITY_RESERVED)
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: reserved bits 31:5 must be 0", v);
    if (sti && mov_ss)
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by STI and by MOV SS both set", v);
    if (sti && !(s->rflags & RFLAGS_IF))
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by STI while GUEST_RFLAGS.IF is 0", v);
    if ((sti || mov_ss) && entry_injects(s, EVENT_EXTERNAL_INTERRUPT))
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by STI or MOV SS while injecting "
                "an external interrupt", v);
    if (mov_ss && entry_injects(s, EVENT_NMI))
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by MOV SS while injecting an NMI", v);
    /* keel never runs in SMM, so SMI blocking only fits entry to SMM. */
    if (smi && !to_smm)
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by SMI outside SMM", v);
    if (!smi && to_smm)
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by SMI must be 1 with VM-entry "
                "control entry to SMM", v);
    if (sti && entry_injects(s, EVENT_NMI))
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by STI while injecting an NMI "
                "(refused by some processors: exit qualification 3)", v);
    if (nmi && (s->pin_based_controls & PIN_BASED_VIRTUAL_NMIS) && entry_injects(s, EVENT_NMI))
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: blocking by NMI while injecting an NMI with "
                "virtual NMIs", v);
    if ((v & INTERRUPTIBILITY_ENCLAVE_INTERRUPTION) && mov_ss)
        fail(c, "GUEST_INTERRUPTIBILITY_INFO 0x%x: enclave interruption with blocking by "
                "MOV SS", v);
}

static void check_pending_debug_exceptions(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    uint64_t v = s->pending_dbg_exceptions;
    unsigned long long shown = v;
    bool blocking = (s->interruptibility & STI_OR_MOV_SS) ||
                    s->activity_state == ACTIVITY_STATE_HLT;
    bool tf = (s->rflags & RFLAGS_TF) != 0, btf = (s->ia32_debugctl & DEBUGCTL_BTF) != 0;
    bool bs = (v & PENDING_DBG_BS) != 0;

    if (v & PENDING_DBG_RESERVED)
        fail(c, "GUEST_PENDING_DBG_EXCEPTIONS 0x%llx: reserved bits 0x%llx (11:4, 13, 15, "
                "63:17) must be 0", shown, (unsigned long long)(v & PENDING_DBG_RESERVED));
    /* A single-step trap is pending exactly when TF (without BTF) stepped the
     * instruction whose STI/MOV SS blocking or HLT is being resumed. */
    if (blocking && tf && !btf && !bs)
        fail(c, "GUEST_PENDING_DBG_EXCEPTIONS 0x%llx: BS (bit 14) must be 1 with RFLAGS.TF 1, "
                "IA32_DEBUGCTL.BTF 0 and blocking by STI/MOV SS or HLT", shown);
    if (blocking && (!tf || btf) && bs)
        fail(c, "GUEST_PENDING_DBG_EXCEPTIONS 0x%llx: BS (bit 14) must be 0 with RFLAGS.TF 0 "
                "or IA32_DEBUGCTL.BTF 1 and blocking by STI/MOV SS or HLT", shown);
    if (v & PENDING_DBG_RTM) {
        if ((v & 0xffffull) != PENDING_DBG_ENABLED_BREAKPOINT)
            fail(c, "GUEST_PENDING_DBG_EXCEPTIONS 0x%llx: with RTM (bit 16) set, bit 12 must "
                    "be 1 and bits 11:0 and 15:13 must be 0", shown);
        if (s->interruptibility & INTERRUPTIBILITY_BLOCKING_BY_MOV_SS)
            fail(c, "GUEST_PENDING_DBG_EXCEPTIONS 0x%llx: RTM (bit 16) set with blocking by "
                    "MOV SS", shown);
    }
}

static void check_vmcs_link_pointer(struct checker *c)
{
    const struct vm_entry_state *s = c->s;
    uint64_t link = s->vmcs_link_pointer;
    bool shadowing = (s->cpu_based_controls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
                     (s->secondary_controls & SECONDARY_EXEC_VMCS_SHADOWING);

    if (link == VMCS_LINK_POINTER_NONE)
        return;
    if (!shadowing)
        fail(c, "VMCS_LINK_POINTER 0x%016llx is not all ones (VMCS shadowing is off), so the "
                "CPU checks the VMCS it names (exit qualification 4)", (unsigned long long)link);
    if (link & VMCS_LINK_POINTER_ALIGN)
        fail(c, "VMCS_LINK_POINTER 0x%016llx: bits 11:0 must be 0", (unsigned long long)link);
    if (beyond_width(link, c->phys_bits))
        fail(c, "VMCS_LINK_POINTER 0x%016llx: bits 63:%u must be 0 (%u-bit physical addresses)",
             (unsigned long long)link, c->phys_bits, c->phys_bits);
}

unsigned vmx_check_guest_state(const struct vm_entry_state *s,
                               void (*line)(const char *text, void *ctx), void *ctx)
{
    struct checker c;

    checker_init(&c, s, line, ctx);

    /* 27.3.1.1 */
    check_cr0_cr4(&c);
    check_cr3_dr7_sysenter(&c);
    check_pat(&c);
    check_efer(&c);
    /* 27.3.1.2 */
    check_selectors(&c);
    check_bases_and_limits(&c);
    check_segment_access_rights(&c);
    check_tr(&c);
    check_ldtr(&c);
    /* 27.3.1.3 */
    check_descriptor_table(&c, "GDTR", s->gdtr_base, s->gdtr_limit);
    check_descriptor_table(&c, "IDTR", s->idtr_base, s->idtr_limit);
    /* 27.3.1.4 */
    check_rip(&c);
    check_rflags(&c);
    /* 27.3.1.5 */
    check_activity_state(&c);
    check_interruptibility(&c);
    check_pending_debug_exceptions(&c);
    check_vmcs_link_pointer(&c);
    return c.failures;
}

/* ---- The report ------------------------------------------------------- */

struct report {
    void (*line)(const char *text, void *ctx);
    void *ctx;
};

static void report_line(const struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_line(const struct report *r, const char *fmt, ...)
{
    char text[LINE_MAX_CHARS];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    r->line(text, r->ctx);
}

/* Passes each failed check on indented by two spaces. */
static void indented_line(const char *text, void *p)
{
    report_line(p, "  %s", text);
}

static void dump_segment(const struct report *r, const char *name,
                         const struct vmx_segment_state *seg)
{
    char ar[LINE_MAX_CHARS / 2];

    vmx_describe_segment_ar(seg->ar, ar, sizeof(ar));
    report_line(r, "  %-4s sel=0x%04x base=0x%016llx limit=0x%08x ar=0x%08x (%s)", name,
                seg->selector, (unsigned long long)seg->base, seg->limit, seg->ar, ar);
}

static void dump_registers(const struct report *r, const struct vm_entry_state *s)
{
    char bits[LINE_MAX_CHARS / 2];

    describe_bits(s->cr0, cr0_bit_names, bits, sizeof(bits));
    report_line(r, "  CR0    0x%016llx (%s)", (unsigned long long)s->cr0, bits);
    report_line(r, "  CR3    0x%016llx", (unsigned long long)s->cr3);
    describe_bits(s->cr4, cr4_bit_names, bits, sizeof(bits));
    report_line(r, "  CR4    0x%016llx (%s)", (unsigned long long)s->cr4, bits);
    describe_bits(s->ia32_efer, efer_bit_names, bits, sizeof(bits));
    report_line(r, "  EFER   0x%016llx (%s)%s", (unsigned long long)s->ia32_efer, bits,
                (s->entry_controls & VM_ENTRY_LOAD_IA32_EFER) ? "" : ", not loaded");
    describe_bits(s->rflags & ~(RFLAGS_FIXED1 | (RFLAGS_IOPL_MASK << RFLAGS_IOPL_SHIFT)),
                  rflags_bit_names, bits, sizeof(bits));
    report_line(r, "  RFLAGS 0x%016llx (%s IOPL=%u)", (unsigned long long)s->rflags, bits,
                (unsigned)((s->rflags >> RFLAGS_IOPL_SHIFT) & RFLAGS_IOPL_MASK));
    report_line(r, "  RIP    0x%016llx", (unsigned long long)s->rip);
}

static void dump_non_register_state(const struct report *r, const struct vm_entry_state *s)
{
    bool secondary = (s->cpu_based_controls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) != 0;
    bool unrestricted = secondary && (s->secondary_controls & SECONDARY_EXEC_UNRESTRICTED_GUEST);

    report_line(r, "  GDTR   base=0x%016llx limit=0x%08x", (unsigned long long)s->gdtr_base,
                s->gdtr_limit);
    report_line(r, "  IDTR   base=0x%016llx limit=0x%08x", (unsigned long long)s->idtr_base,
                s->idtr_limit);
    report_line(r, "  activity=%u (%s) interruptibility=0x%x pending_dbg=0x%llx link=0x%016llx",
                s->activity_state, activity_state_name(s->activity_state), s->interruptibility,
                (unsigned long long)s->pending_dbg_exceptions,
                (unsigned long long)s->vmcs_link_pointer);
    report_line(r, "  controls pin=0x%08x cpu=0x%08x secondary=0x%08x entry=0x%08x "
                   "entry_intr_info=0x%08x", s->pin_based_controls, s->cpu_based_controls,
                s->secondary_controls, s->entry_controls, s->entry_intr_info);
    report_line(r, "  IA-32e mode guest=%u unrestricted guest=%u virtual-8086=%u",
                (s->entry_controls & VM_ENTRY_IA32E_MODE_GUEST) ? 1u : 0u, unrestricted ? 1u : 0u,
                (s->rflags & RFLAGS_VM) ? 1u : 0u);
}

void vm_entry_state_dump(const struct vm_entry_state *s,
                         void (*line)(const char *text, void *ctx), void *ctx)
{
    const struct report r = { line, ctx };

    line("Guest state:", ctx);
    dump_registers(&r, s);
    for (unsigned i = 0; i < NR_SEGS; i++)
        dump_segment(&r, seg_names[seg_check_order[i]], &s->seg[seg_check_order[i]]);
    dump_segment(&r, "TR", &s->tr);
    dump_segment(&r, "LDTR", &s->ldtr);
    dump_non_register_state(&r, s);
}

/* SDM 27.8: the exit qualification of a failure due to invalid guest state. */
static const char *invalid_guest_state_qualification(uint64_t qual)
{
    switch (qual) {
    case 0:
        return "no further detail";
    case 2:
        return "loading the PDPTEs failed (SDM 27.3.1.6; not checked here)";
    case 3:
        return "injecting an NMI while the guest blocks by STI";
    case 4:
        return "the VMCS link pointer is invalid";
    default:
        return "a value the SDM does not define";
    }
}

static unsigned explain_invalid_guest_state(const struct report *r, const struct vm_entry_state *s)
{
    unsigned failures;

    report_line(r, "Exit qualification %llu: %s", (unsigned long long)s->exit_qualification,
                invalid_guest_state_qualification(s->exit_qualification));
    r->line("Failed checks (SDM 27.3.1):", r->ctx);
    failures = vmx_check_guest_state(s, indented_line, (void *)r);
    if (failures == 0)
        r->line("  none of the checks made here fails: suspect the PDPTEs or a check this "
                "explainer does not make (see vmx/entry_failure.h)", r->ctx);
    return failures;
}

static void explain_msr_loading(const struct report *r, const struct vm_entry_state *s)
{
    uint64_t entry = s->exit_qualification;

    /* SDM 27.8: entries count from 1. */
    if (entry == 0) {
        r->line("Exit qualification 0: no MSR-load entry named", r->ctx);
        return;
    }
    report_line(r, "Exit qualification %llu: MSR-load entry %llu (byte offset %llu of the "
                   "VM-entry MSR-load area) could not be loaded", (unsigned long long)entry,
                (unsigned long long)entry,
                (unsigned long long)((entry - 1) * MSR_LOAD_ENTRY_BYTES));
}

unsigned vm_entry_failure_explain(const struct vm_entry_state *s,
                                  void (*line)(const char *text, void *ctx), void *ctx)
{
    const struct report r = { line, ctx };
    uint16_t basic = vmx_exit_reason_basic(s->exit_reason);
    unsigned failures = 0;

    if (!vmx_exit_reason_is_failed_vmentry(s->exit_reason)) {
        report_line(&r, "Exit reason 0x%08x = %s is not a failed VM entry (bit 31 is 0)",
                    s->exit_reason, exit_reason_name(basic));
        vm_entry_state_dump(s, line, ctx);
        return 0;
    }
    report_line(&r, "VM entry failed: exit reason 0x%08x = %s", s->exit_reason,
                exit_reason_name(basic));
    switch (basic) {
    case EXIT_REASON_INVALID_GUEST_STATE:
        failures = explain_invalid_guest_state(&r, s);
        break;
    case EXIT_REASON_MSR_LOADING:
        explain_msr_loading(&r, s);
        break;
    case EXIT_REASON_MACHINE_CHECK:
        line("A machine check occurred during VM entry (SDM 27.9): look at the MCA banks, "
             "the guest state need not be at fault", ctx);
        break;
    default:
        line("This basic reason is not one a failed VM entry reports (33, 34 or 41)", ctx);
        break;
    }
    vm_entry_state_dump(s, line, ctx);
    return failures;
}
