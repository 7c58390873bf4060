/*
 * keel's CPUID policy (interface in guest/cpuid_policy.h, contract for users
 * in docs/cpuid.md; keep the three in step).
 *
 * Feature flags are filtered by keep-lists, never by drop-lists: a bit keel
 * has not thought about, including every bit a future CPU defines, reads 0.
 * Bit positions: Intel SDM vol. 2A, CPUID, tables "Feature Information
 * Returned in the ECX Register" / "... EDX Register" (leaf 1), "Structured
 * Extended Feature Flags Enumeration Leaf" (leaf 7), "Processor Extended
 * State Enumeration" (leaf 0DH), and the leaf 0BH/1FH/80000001H-80000008H
 * rows of "Information Returned by CPUID Instruction".
 */
#include "guest/cpuid_policy.h"

/* ---- Leaf 1 (SDM vol. 2A, CPUID, tables 3-10 and 3-11) ---------------- */
#define CPUID_1_EBX_LOW_MASK            0x0000ffffu     /* brand index, CLFLUSH size */
#define CPUID_1_EBX_LOGICAL_COUNT_SHIFT 16              /* 23:16 */
#define CPUID_1_EBX_APIC_ID_SHIFT       24              /* 31:24 */

#define CPUID_1_ECX_SSE3                (1u << 0)
#define CPUID_1_ECX_PCLMULQDQ           (1u << 1)
#define CPUID_1_ECX_MONITOR             (1u << 3)
#define CPUID_1_ECX_VMX                 (1u << 5)
#define CPUID_1_ECX_SMX                 (1u << 6)
#define CPUID_1_ECX_SSSE3               (1u << 9)
#define CPUID_1_ECX_FMA                 (1u << 12)
#define CPUID_1_ECX_CMPXCHG16B          (1u << 13)
#define CPUID_1_ECX_PDCM                (1u << 15)
#define CPUID_1_ECX_PCID                (1u << 17)
#define CPUID_1_ECX_SSE4_1              (1u << 19)
#define CPUID_1_ECX_SSE4_2              (1u << 20)
#define CPUID_1_ECX_X2APIC              (1u << 21)
#define CPUID_1_ECX_MOVBE               (1u << 22)
#define CPUID_1_ECX_POPCNT              (1u << 23)
#define CPUID_1_ECX_TSC_DEADLINE        (1u << 24)
#define CPUID_1_ECX_AES                 (1u << 25)
#define CPUID_1_ECX_XSAVE               (1u << 26)
#define CPUID_1_ECX_OSXSAVE             (1u << 27)
#define CPUID_1_ECX_AVX                 (1u << 28)
#define CPUID_1_ECX_F16C                (1u << 29)
#define CPUID_1_ECX_RDRAND              (1u << 30)
#define CPUID_1_ECX_HYPERVISOR          (1u << 31)      /* reserved for hypervisors */

#define CPUID_1_EDX_FPU                 (1u << 0)
#define CPUID_1_EDX_VME                 (1u << 1)
#define CPUID_1_EDX_DE                  (1u << 2)
#define CPUID_1_EDX_PSE                 (1u << 3)
#define CPUID_1_EDX_TSC                 (1u << 4)
#define CPUID_1_EDX_MSR                 (1u << 5)
#define CPUID_1_EDX_PAE                 (1u << 6)
#define CPUID_1_EDX_MCE                 (1u << 7)
#define CPUID_1_EDX_CX8                 (1u << 8)
#define CPUID_1_EDX_APIC                (1u << 9)
#define CPUID_1_EDX_SEP                 (1u << 11)
#define CPUID_1_EDX_MTRR                (1u << 12)
#define CPUID_1_EDX_PGE                 (1u << 13)
#define CPUID_1_EDX_MCA                 (1u << 14)
#define CPUID_1_EDX_CMOV                (1u << 15)
#define CPUID_1_EDX_PAT                 (1u << 16)
#define CPUID_1_EDX_PSE36               (1u << 17)
#define CPUID_1_EDX_CLFSH               (1u << 19)
#define CPUID_1_EDX_DS                  (1u << 21)
#define CPUID_1_EDX_ACPI                (1u << 22)
#define CPUID_1_EDX_MMX                 (1u << 23)
#define CPUID_1_EDX_FXSR                (1u << 24)
#define CPUID_1_EDX_SSE                 (1u << 25)
#define CPUID_1_EDX_SSE2                (1u << 26)
#define CPUID_1_EDX_SS                  (1u << 27)
#define CPUID_1_EDX_HTT                 (1u << 28)
#define CPUID_1_EDX_TM                  (1u << 29)
#define CPUID_1_EDX_PBE                 (1u << 31)

/*
 * Not kept from leaf 1 ECX: DTES64 (2), MONITOR (3), DS-CPL (4), VMX (5),
 * SMX (6), EIST (7), TM2 (8), CNXT-ID (10), SDBG (11), xTPR (14), PDCM (15),
 * DCA (18): debug store, power, thermal, performance and nested-VMX
 * features whose MSRs or instructions keel does not virtualize.
 * x2APIC (21) and TSC-deadline (24) are set whatever the host has: they
 * describe keel's own local APIC (guest/dev/lapic.c), which emulates both.
 */
#define CPUID_1_ECX_KEEL_APIC (CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE)
#define CPUID_1_ECX_KEEP                                                            \
    (CPUID_1_ECX_SSE3 | CPUID_1_ECX_PCLMULQDQ | CPUID_1_ECX_SSSE3 | CPUID_1_ECX_FMA |  \
     CPUID_1_ECX_CMPXCHG16B | CPUID_1_ECX_SSE4_1 | CPUID_1_ECX_SSE4_2 |               \
     CPUID_1_ECX_MOVBE | CPUID_1_ECX_POPCNT | CPUID_1_ECX_AES | CPUID_1_ECX_XSAVE |   \
     CPUID_1_ECX_AVX | CPUID_1_ECX_F16C | CPUID_1_ECX_RDRAND)

/* Not kept from leaf 1 EDX: MCE (7) and MCA (14), whose MSRs keel does not
 * emulate; PSN (18); DS (21), ACPI (22), TM (29), PBE (31): debug store and
 * thermal monitoring.  HTT (28) is computed. */
#define CPUID_1_EDX_KEEP                                                            \
    (CPUID_1_EDX_FPU | CPUID_1_EDX_VME | CPUID_1_EDX_DE | CPUID_1_EDX_PSE |            \
     CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 |           \
     CPUID_1_EDX_APIC | CPUID_1_EDX_SEP | CPUID_1_EDX_MTRR | CPUID_1_EDX_PGE |         \
     CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT | CPUID_1_EDX_PSE36 | CPUID_1_EDX_CLFSH |      \
     CPUID_1_EDX_MMX | CPUID_1_EDX_FXSR | CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2 |         \
     CPUID_1_EDX_SS)

/* ---- Leaf 4 (deterministic cache parameters) -------------------------- */
#define CPUID_4_EAX_CACHE_TYPE_MASK     0x1fu           /* 4:0, 0 = no more caches */
#define CPUID_4_EAX_LEVEL_SHIFT         5               /* 7:5 */
#define CPUID_4_EAX_LEVEL_MASK          0x7u
#define CPUID_4_EAX_SHARING_SHIFT       14              /* 25:14: max IDs sharing - 1 */
#define CPUID_4_EAX_SHARING_MASK        0xfffu
#define CPUID_4_EAX_CORES_SHIFT         26              /* 31:26: max core IDs - 1 */
#define CPUID_4_EAX_CORES_MASK          0x3fu

/* ---- Leaf 7 subleaf 0 (structured extended features) ------------------ */
#define CPUID_7_EBX_FSGSBASE            (1u << 0)
#define CPUID_7_EBX_TSC_ADJUST          (1u << 1)
#define CPUID_7_EBX_SGX                 (1u << 2)
#define CPUID_7_EBX_BMI1                (1u << 3)
#define CPUID_7_EBX_HLE                 (1u << 4)
#define CPUID_7_EBX_AVX2                (1u << 5)
#define CPUID_7_EBX_FDP_EXCPTN_ONLY     (1u << 6)
#define CPUID_7_EBX_SMEP                (1u << 7)
#define CPUID_7_EBX_BMI2                (1u << 8)
#define CPUID_7_EBX_ERMS                (1u << 9)
#define CPUID_7_EBX_INVPCID             (1u << 10)
#define CPUID_7_EBX_RTM                 (1u << 11)
#define CPUID_7_EBX_RDT_M               (1u << 12)
#define CPUID_7_EBX_FPU_CS_DS_DEPRECATED (1u << 13)
#define CPUID_7_EBX_MPX                 (1u << 14)
#define CPUID_7_EBX_RDT_A               (1u << 15)
#define CPUID_7_EBX_AVX512F             (1u << 16)
#define CPUID_7_EBX_AVX512DQ            (1u << 17)
#define CPUID_7_EBX_RDSEED              (1u << 18)
#define CPUID_7_EBX_ADX                 (1u << 19)
#define CPUID_7_EBX_SMAP                (1u << 20)
#define CPUID_7_EBX_AVX512_IFMA         (1u << 21)
#define CPUID_7_EBX_CLFLUSHOPT          (1u << 23)
#define CPUID_7_EBX_CLWB                (1u << 24)
#define CPUID_7_EBX_PT                  (1u << 25)
#define CPUID_7_EBX_AVX512PF            (1u << 26)
#define CPUID_7_EBX_AVX512ER            (1u << 27)
#define CPUID_7_EBX_AVX512CD            (1u << 28)
#define CPUID_7_EBX_SHA                 (1u << 29)
#define CPUID_7_EBX_AVX512BW            (1u << 30)
#define CPUID_7_EBX_AVX512VL            (1u << 31)

#define CPUID_7_ECX_PREFETCHWT1         (1u << 0)
#define CPUID_7_ECX_AVX512_VBMI         (1u << 1)
#define CPUID_7_ECX_UMIP                (1u << 2)
#define CPUID_7_ECX_PKU                 (1u << 3)
#define CPUID_7_ECX_OSPKE               (1u << 4)
#define CPUID_7_ECX_WAITPKG             (1u << 5)
#define CPUID_7_ECX_AVX512_VBMI2        (1u << 6)
#define CPUID_7_ECX_CET_SS              (1u << 7)
#define CPUID_7_ECX_GFNI                (1u << 8)
#define CPUID_7_ECX_VAES                (1u << 9)
#define CPUID_7_ECX_VPCLMULQDQ          (1u << 10)
#define CPUID_7_ECX_AVX512_VNNI         (1u << 11)
#define CPUID_7_ECX_AVX512_BITALG       (1u << 12)
#define CPUID_7_ECX_AVX512_VPOPCNTDQ    (1u << 14)
#define CPUID_7_ECX_LA57                (1u << 16)
#define CPUID_7_ECX_RDPID               (1u << 22)
#define CPUID_7_ECX_KL                  (1u << 23)
#define CPUID_7_ECX_CLDEMOTE            (1u << 25)
#define CPUID_7_ECX_MOVDIRI             (1u << 27)
#define CPUID_7_ECX_MOVDIR64B           (1u << 28)
#define CPUID_7_ECX_SGX_LC              (1u << 30)

#define CPUID_7_EDX_AVX512_4VNNIW       (1u << 2)
#define CPUID_7_EDX_AVX512_4FMAPS       (1u << 3)
#define CPUID_7_EDX_FSRM                (1u << 4)
#define CPUID_7_EDX_AVX512_VP2INTERSECT (1u << 8)
#define CPUID_7_EDX_MD_CLEAR            (1u << 10)
#define CPUID_7_EDX_RTM_ALWAYS_ABORT    (1u << 11)
#define CPUID_7_EDX_SERIALIZE           (1u << 14)
#define CPUID_7_EDX_HYBRID              (1u << 15)
#define CPUID_7_EDX_TSXLDTRK            (1u << 16)
#define CPUID_7_EDX_AVX512_FP16         (1u << 23)
#define CPUID_7_EDX_AMX_TILE            (1u << 24)
#define CPUID_7_EDX_IBRS_IBPB           (1u << 26)
#define CPUID_7_EDX_ARCH_CAPABILITIES   (1u << 29)

/*
 * Not kept from leaf 7 EBX: TSC_ADJUST (1, MSR not emulated), SGX (2),
 * RDT monitoring and allocation (12, 15), MPX (14, needs IA32_BNDCFGS
 * switching), Intel PT (25).  SMEP, SMAP (and PKU in ECX) are offered only
 * with EPT, INVPCID only when keel enabled it (else it would #UD).
 */
#define CPUID_7_EBX_KEEP                                                            \
    (CPUID_7_EBX_FSGSBASE | CPUID_7_EBX_BMI1 | CPUID_7_EBX_HLE | CPUID_7_EBX_AVX2 |     \
     CPUID_7_EBX_FDP_EXCPTN_ONLY | CPUID_7_EBX_BMI2 | CPUID_7_EBX_ERMS |                \
     CPUID_7_EBX_RTM | CPUID_7_EBX_FPU_CS_DS_DEPRECATED | CPUID_7_EBX_AVX512F |         \
     CPUID_7_EBX_AVX512DQ | CPUID_7_EBX_RDSEED | CPUID_7_EBX_ADX |                      \
     CPUID_7_EBX_AVX512_IFMA | CPUID_7_EBX_CLFLUSHOPT | CPUID_7_EBX_CLWB |              \
     CPUID_7_EBX_AVX512PF | CPUID_7_EBX_AVX512ER | CPUID_7_EBX_AVX512CD |               \
     CPUID_7_EBX_SHA | CPUID_7_EBX_AVX512BW | CPUID_7_EBX_AVX512VL)

/* Not kept from leaf 7 ECX: OSPKE (4, computed), WAITPKG (5, needs "enable
 * user wait and pause"), CET shadow stacks (7), TME (13), LA57 (16: keel's
 * own guest page walker is 4-level), MAWAU (21:17), Key Locker (23), bus-lock
 * detection (24), ENQCMD (29), SGX launch control (30), PKS (31).  RDPID (22)
 * reads IA32_TSC_AUX like RDTSCP and follows it. */
#define CPUID_7_ECX_KEEP                                                            \
    (CPUID_7_ECX_PREFETCHWT1 | CPUID_7_ECX_AVX512_VBMI | CPUID_7_ECX_UMIP |            \
     CPUID_7_ECX_AVX512_VBMI2 | CPUID_7_ECX_GFNI | CPUID_7_ECX_VAES |                   \
     CPUID_7_ECX_VPCLMULQDQ | CPUID_7_ECX_AVX512_VNNI | CPUID_7_ECX_AVX512_BITALG |     \
     CPUID_7_ECX_AVX512_VPOPCNTDQ | CPUID_7_ECX_CLDEMOTE | CPUID_7_ECX_MOVDIRI |        \
     CPUID_7_ECX_MOVDIR64B)

/* Not kept from leaf 7 EDX: SGX keys (1), UINTR (5), SRBDS_CTRL (9),
 * TSX_FORCE_ABORT (13), hybrid (15), PCONFIG (18), architectural LBRs (19),
 * CET IBT (20), AMX (22, 24, 25), and the speculation-control MSRs
 * IA32_SPEC_CTRL / PRED_CMD / FLUSH_CMD / ARCH_CAPABILITIES /
 * CORE_CAPABILITIES (26-31) until keel passes those MSRs through. */
#define CPUID_7_EDX_KEEP                                                            \
    (CPUID_7_EDX_AVX512_4VNNIW | CPUID_7_EDX_AVX512_4FMAPS | CPUID_7_EDX_FSRM |         \
     CPUID_7_EDX_AVX512_VP2INTERSECT | CPUID_7_EDX_MD_CLEAR |                           \
     CPUID_7_EDX_RTM_ALWAYS_ABORT | CPUID_7_EDX_SERIALIZE | CPUID_7_EDX_TSXLDTRK |      \
     CPUID_7_EDX_AVX512_FP16)

/* ---- Leaves 0BH and 1FH (extended topology) --------------------------- */
#define CPUID_TOPOLOGY_LEVEL_TYPE_SHIFT 8               /* ECX 15:8 */
#define CPUID_TOPOLOGY_LEVEL_INVALID    0u
#define CPUID_TOPOLOGY_LEVEL_SMT        1u
#define CPUID_TOPOLOGY_LEVEL_CORE       2u
#define CPUID_TOPOLOGY_SUBLEAF_MASK     0xffu           /* ECX 7:0 echoes the subleaf */

/* ---- Leaf 0DH (XSAVE state components) -------------------------------- */
#define XCR0_X87                        (1ull << 0)
#define XCR0_SSE                        (1ull << 1)
#define XCR0_AVX                        (1ull << 2)
#define XCR0_OPMASK                     (1ull << 5)
#define XCR0_ZMM_HI256                  (1ull << 6)
#define XCR0_HI16_ZMM                   (1ull << 7)
#define XCR0_PKRU                       (1ull << 9)
/* MPX (3, 4) and AMX (17, 18) state follow their hidden features out; the
 * IA32_XSS components (PT, CET, ...) go with XSAVES. */
#define XCR0_KEEP (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XSAVE_MAX_COMPONENT             62

#define CPUID_D_1_EAX_XSAVEOPT          (1u << 0)
#define CPUID_D_1_EAX_XSAVEC            (1u << 1)
#define CPUID_D_1_EAX_XGETBV_ECX1       (1u << 2)
/* Not kept: XSAVES/XRSTORS (3, needs IA32_XSS handling), XFD (4). */
#define CPUID_D_1_EAX_KEEP \
    (CPUID_D_1_EAX_XSAVEOPT | CPUID_D_1_EAX_XSAVEC | CPUID_D_1_EAX_XGETBV_ECX1)

/* ---- Extended leaves -------------------------------------------------- */
#define CPUID_80000001_ECX_LAHF_SAHF    (1u << 0)
#define CPUID_80000001_ECX_SVM          (1u << 2)
#define CPUID_80000001_ECX_LZCNT        (1u << 5)
#define CPUID_80000001_ECX_PREFETCHW    (1u << 8)
#define CPUID_80000001_EDX_SYSCALL      (1u << 11)
#define CPUID_80000001_EDX_NX           (1u << 20)
#define CPUID_80000001_EDX_PAGE1GB      (1u << 26)
#define CPUID_80000001_EDX_RDTSCP       (1u << 27)
#define CPUID_80000001_EDX_LM           (1u << 29)
#define CPUID_80000001_ECX_KEEP \
    (CPUID_80000001_ECX_LAHF_SAHF | CPUID_80000001_ECX_LZCNT | CPUID_80000001_ECX_PREFETCHW)
#define CPUID_80000001_EDX_KEEP \
    (CPUID_80000001_EDX_SYSCALL | CPUID_80000001_EDX_NX | CPUID_80000001_EDX_LM)

#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)
#define CPUID_80000008_EAX_ADDR_SIZES   0x0000ffffu     /* 7:0 physical, 15:8 linear */

/* Architectural CR4 bits the policy mirrors (SDM vol. 3A 2.5). */
#define CR4_OSXSAVE                     (1ull << 18)
#define CR4_PKE                         (1ull << 22)

/* ---- Helpers ---------------------------------------------------------- */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t vcpu_count(const struct cpuid_policy_ctx *ctx)
{
    return ctx->vcpu_count ? ctx->vcpu_count : 1;
}

/* Bits an APIC ID needs to tell the VM's vCPUs apart: ceil(log2(count)). */
static uint32_t vcpu_id_bits(const struct cpuid_policy_ctx *ctx)
{
    uint32_t bits = 0;

    while ((1u << bits) < vcpu_count(ctx) && bits < 31)
        bits++;
    return bits;
}

static void clear(struct cpuid_result *r)
{
    r->eax = r->ebx = r->ecx = r->edx = 0;
}

uint32_t cpuid_policy_max_basic(const struct cpuid_policy_ctx *ctx)
{
    return min_u32(ctx->host_max_basic, CPUID_POLICY_MAX_BASIC_LEAF);
}

uint32_t cpuid_policy_max_extended(const struct cpuid_policy_ctx *ctx)
{
    return min_u32(ctx->host_max_extended, CPUID_POLICY_MAX_EXTENDED_LEAF);
}

static bool is_hypervisor_leaf(uint32_t leaf)
{
    return leaf >= CPUID_HYPERVISOR_BASE && leaf <= CPUID_HYPERVISOR_LAST;
}

uint32_t cpuid_policy_source_leaf(uint32_t leaf, const struct cpuid_policy_ctx *ctx)
{
    if (leaf <= cpuid_policy_max_basic(ctx) || is_hypervisor_leaf(leaf))
        return leaf;
    if (leaf >= CPUID_EXTENDED_BASE && leaf <= cpuid_policy_max_extended(ctx))
        return leaf;
    return cpuid_policy_max_basic(ctx);
}

uint64_t cpuid_policy_xcr0_allowed(uint64_t host_supported, const struct cpuid_policy_ctx *ctx)
{
    /* PKRU state exists for the guest exactly when PKU does (leaf 7). */
    uint64_t keep = XCR0_KEEP | (ctx->ept_enabled ? XCR0_PKRU : 0);

    return host_supported & keep;
}

/* ---- Basic leaves ----------------------------------------------------- */

static void leaf_1(const struct cpuid_policy_ctx *ctx, struct cpuid_result *r)
{
    uint32_t count = min_u32(vcpu_count(ctx), 0xff);
    uint32_t keep_ecx = CPUID_1_ECX_KEEP | (ctx->ept_enabled ? CPUID_1_ECX_PCID : 0);

    r->ebx = (r->ebx & CPUID_1_EBX_LOW_MASK) | (count << CPUID_1_EBX_LOGICAL_COUNT_SHIFT) |
             ((ctx->vcpu_id & 0xffu) << CPUID_1_EBX_APIC_ID_SHIFT);

    r->ecx = (r->ecx & keep_ecx) | CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_KEEL_APIC;
    /* OSXSAVE reflects the guest's CR4, not keel's (SDM vol. 2A, CPUID). */
    if ((r->ecx & CPUID_1_ECX_XSAVE) && (ctx->guest_cr4 & CR4_OSXSAVE))
        r->ecx |= CPUID_1_ECX_OSXSAVE;

    /* Every vCPU has keel's local APIC, whether or not the host's is on;
     * the bit follows the guest's IA32_APIC_BASE.EN. */
    r->edx = (r->edx & CPUID_1_EDX_KEEP & ~CPUID_1_EDX_APIC) |
             (ctx->apic_disabled ? 0 : CPUID_1_EDX_APIC);
    /* HTT = 0 says "one logical processor per package, ignore EBX[23:16]". */
    if (count > 1)
        r->edx |= CPUID_1_EDX_HTT;
}

/* Cache descriptions stay the host's; who shares them is the VM's topology:
 * one thread per core, so per-core caches (L1, L2) are private and the
 * package's (L3 and up) are shared by all vCPUs. */
static void leaf_4(const struct cpuid_policy_ctx *ctx, struct cpuid_result *r)
{
    uint32_t ids_minus_1 = (1u << vcpu_id_bits(ctx)) - 1;
    uint32_t level = (r->eax >> CPUID_4_EAX_LEVEL_SHIFT) & CPUID_4_EAX_LEVEL_MASK;
    uint32_t sharing = level >= 3 ? ids_minus_1 : 0;

    if ((r->eax & CPUID_4_EAX_CACHE_TYPE_MASK) == 0)
        return;                                 /* "no more caches": all zero anyway */
    r->eax &= ~((CPUID_4_EAX_SHARING_MASK << CPUID_4_EAX_SHARING_SHIFT) |
                (CPUID_4_EAX_CORES_MASK << CPUID_4_EAX_CORES_SHIFT));
    r->eax |= ((sharing & CPUID_4_EAX_SHARING_MASK) << CPUID_4_EAX_SHARING_SHIFT) |
              ((ids_minus_1 & CPUID_4_EAX_CORES_MASK) << CPUID_4_EAX_CORES_SHIFT);
}

static void leaf_7(uint32_t subleaf, const struct cpuid_policy_ctx *ctx, struct cpuid_result *r)
{
    uint32_t keep_ebx = CPUID_7_EBX_KEEP, keep_ecx = CPUID_7_ECX_KEEP;

    if (subleaf != 0) {                         /* keel describes subleaf 0 only */
        clear(r);
        return;
    }
    if (ctx->ept_enabled) {
        keep_ebx |= CPUID_7_EBX_SMEP | CPUID_7_EBX_SMAP;
        keep_ecx |= CPUID_7_ECX_PKU;
    }
    if (ctx->invpcid_enabled)
        keep_ebx |= CPUID_7_EBX_INVPCID;
    if (ctx->rdtscp_enabled)
        keep_ecx |= CPUID_7_ECX_RDPID;

    r->eax = 0;                                 /* highest subleaf */
    r->ebx &= keep_ebx;
    r->ecx &= keep_ecx;
    if ((r->ecx & CPUID_7_ECX_PKU) && (ctx->guest_cr4 & CR4_PKE))
        r->ecx |= CPUID_7_ECX_OSPKE;
    r->edx &= CPUID_7_EDX_KEEP;
}

/* One thread per core, vcpu_count cores in one package; x2APIC ID = vCPU id. */
static void leaf_topology(uint32_t subleaf, const struct cpuid_policy_ctx *ctx,
                          struct cpuid_result *r)
{
    clear(r);
    switch (subleaf) {
    case 0:
        r->eax = 0;                             /* no SMT bits in the APIC ID */
        r->ebx = 1;                             /* logical processors per core */
        r->ecx = CPUID_TOPOLOGY_LEVEL_SMT << CPUID_TOPOLOGY_LEVEL_TYPE_SHIFT;
        break;
    case 1:
        r->eax = vcpu_id_bits(ctx);             /* shift to the package ID */
        r->ebx = vcpu_count(ctx) & 0xffffu;     /* logical processors per package */
        r->ecx = CPUID_TOPOLOGY_LEVEL_CORE << CPUID_TOPOLOGY_LEVEL_TYPE_SHIFT;
        break;
    default:
        r->ecx = CPUID_TOPOLOGY_LEVEL_INVALID << CPUID_TOPOLOGY_LEVEL_TYPE_SHIFT;
        break;
    }
    r->ecx |= subleaf & CPUID_TOPOLOGY_SUBLEAF_MASK;
    r->edx = ctx->vcpu_id;
}

static void leaf_0d(uint32_t subleaf, const struct cpuid_policy_ctx *ctx, struct cpuid_result *r)
{
    uint64_t allowed = cpuid_policy_xcr0_allowed(~0ull, ctx);

    switch (subleaf) {
    case 0:
        /* EBX (size for the XCR0 in effect) and ECX (size for every host
         * component, an upper bound for the kept ones) stay the host's. */
        r->eax &= (uint32_t)allowed;
        r->edx &= (uint32_t)(allowed >> 32);
        break;
    case 1:
        r->eax &= CPUID_D_1_EAX_KEEP;
        r->ecx = r->edx = 0;                    /* no IA32_XSS components */
        break;
    default:
        if (subleaf > XSAVE_MAX_COMPONENT || !(allowed & (1ull << subleaf)))
            clear(r);
        break;
    }
}

static void apply_basic(uint32_t leaf, uint32_t subleaf, const struct cpuid_policy_ctx *ctx,
                        struct cpuid_result *r)
{
    switch (leaf) {
    case 0x0:
        r->eax = cpuid_policy_max_basic(ctx);   /* vendor string stays */
        break;
    case 0x1:
        leaf_1(ctx, r);
        break;
    case 0x2:                                   /* cache and TLB descriptors */
    case 0x15:                                  /* TSC / crystal clock ratio */
    case 0x16:                                  /* nominal frequencies */
        break;
    case 0x4:
        leaf_4(ctx, r);
        break;
    case 0x7:
        leaf_7(subleaf, ctx, r);
        break;
    case 0xb:
    case 0x1f:
        leaf_topology(subleaf, ctx, r);
        break;
    case 0xd:
        leaf_0d(subleaf, ctx, r);
        break;
    default:
        /* 3 (serial number), 5 (MONITOR), 6 (thermal and power), 8, 9 (DCA),
         * 0AH (PMU), 0CH, 0EH, 0FH/10H (RDT), 11H, 12H (SGX), 13H, 14H (PT),
         * 17H (SoC), 18H (TLBs), 19H (Key Locker), 1AH (hybrid), 1BH
         * (PCONFIG), 1CH (LBR), 1DH/1EH (AMX): described as absent. */
        clear(r);
        break;
    }
}

/* ---- Hypervisor leaves ------------------------------------------------ */

static void apply_hypervisor(uint32_t leaf, const struct cpuid_policy_ctx *ctx,
                             struct cpuid_result *r)
{
    clear(r);
    if (leaf == CPUID_HYPERVISOR_BASE) {
        r->eax = CPUID_HYPERVISOR_VERSION;      /* highest hypervisor leaf */
        r->ebx = r->ecx = r->edx = CPUID_KEEL_SIGNATURE_WORD;
    } else if (leaf == CPUID_HYPERVISOR_VERSION) {
        r->eax = ((uint32_t)ctx->keel_version_major << 16) | ctx->keel_version_minor;
    }
}

/* ---- Extended leaves -------------------------------------------------- */

static void apply_extended(uint32_t leaf, const struct cpuid_policy_ctx *ctx,
                           struct cpuid_result *r)
{
    uint32_t keep_edx = CPUID_80000001_EDX_KEEP;

    switch (leaf) {
    case 0x80000000:
        r->eax = cpuid_policy_max_extended(ctx);
        break;
    case 0x80000001:
        if (ctx->ept_enabled)
            keep_edx |= CPUID_80000001_EDX_PAGE1GB;
        if (ctx->rdtscp_enabled)
            keep_edx |= CPUID_80000001_EDX_RDTSCP;
        r->ebx = 0;
        r->ecx &= CPUID_80000001_ECX_KEEP;      /* SVM among the dropped */
        r->edx &= keep_edx;
        break;
    case 0x80000002:                            /* brand string */
    case 0x80000003:
    case 0x80000004:
    case 0x80000005:                            /* reserved on Intel */
    case 0x80000006:                            /* L2 cache */
        break;
    case 0x80000007:
        /* The guest's TSC is the host's plus a constant offset, so it is
         * invariant exactly when the host's is. */
        r->eax = r->ebx = r->ecx = 0;
        r->edx &= CPUID_80000007_EDX_INVARIANT_TSC;
        break;
    case 0x80000008:
        r->eax &= CPUID_80000008_EAX_ADDR_SIZES;
        r->ebx = r->ecx = r->edx = 0;
        break;
    default:
        clear(r);
        break;
    }
}

void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, const struct cpuid_policy_ctx *ctx,
                        struct cpuid_result *inout)
{
    uint32_t source = cpuid_policy_source_leaf(leaf, ctx);

    if (is_hypervisor_leaf(source))
        apply_hypervisor(source, ctx, inout);
    else if (source >= CPUID_EXTENDED_BASE)
        apply_extended(source, ctx, inout);
    else
        apply_basic(source, subleaf, ctx, inout);
}
