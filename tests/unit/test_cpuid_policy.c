/*
 * Host tests for guest/cpuid_policy.c against a realistic host: CPUID of a
 * Core i7-4770 (Haswell, 4 cores / 8 threads, microcode with MD_CLEAR and the
 * speculation-control bits), as that CPU reports it.  The fake host answers
 * leaves beyond its ranges with its highest basic leaf, as real CPUs do, and
 * answers the hypervisor range like a KVM underneath keel would.
 */
#include "tests/unit/unit.h"

#include "guest/cpuid_policy.c"

struct host_leaf {
    uint32_t leaf, subleaf;
    struct cpuid_result r;
};

#define HASWELL_MAX_BASIC 0xdu
#define HASWELL_MAX_EXTENDED 0x80000008u

static const struct host_leaf haswell[] = {
    { 0x0, 0, { 0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69 } },  /* GenuineIntel */
    { 0x1, 0, { 0x000306c3, 0x03100800, 0x7ffafbbf, 0xbfebfbff } },
    { 0x2, 0, { 0x76036301, 0x00f0b5ff, 0x00000000, 0x00c10000 } },
    { 0x4, 0, { 0x1c004121, 0x01c0003f, 0x0000003f, 0x00000000 } },  /* L1d */
    { 0x4, 1, { 0x1c004122, 0x01c0003f, 0x0000003f, 0x00000000 } },  /* L1i */
    { 0x4, 2, { 0x1c004143, 0x01c0003f, 0x000001ff, 0x00000000 } },  /* L2 */
    { 0x4, 3, { 0x1c03c163, 0x03c0003f, 0x00001fff, 0x00000006 } },  /* L3 */
    { 0x5, 0, { 0x00000040, 0x00000040, 0x00000003, 0x00042120 } },
    { 0x6, 0, { 0x00000077, 0x00000002, 0x00000009, 0x00000000 } },
    { 0x7, 0, { 0x00000000, 0x000027ab, 0x00000000, 0x9c000400 } },
    { 0xa, 0, { 0x07300403, 0x00000000, 0x00000000, 0x00000603 } },
    { 0xb, 0, { 0x00000001, 0x00000002, 0x00000100, 0x00000003 } },
    { 0xb, 1, { 0x00000004, 0x00000008, 0x00000201, 0x00000003 } },
    { 0xb, 2, { 0x00000000, 0x00000000, 0x00000002, 0x00000003 } },
    { 0xd, 0, { 0x00000007, 0x00000340, 0x00000340, 0x00000000 } },
    { 0xd, 1, { 0x00000001, 0x00000000, 0x00000000, 0x00000000 } },
    { 0xd, 2, { 0x00000100, 0x00000240, 0x00000000, 0x00000000 } },
    /* A KVM below keel answers the hypervisor range with its own leaves. */
    { 0x40000000, 0, { 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d } },
    { 0x40000001, 0, { 0x01007afb, 0x00000000, 0x00000000, 0x00000000 } },
    { 0x80000000, 0, { 0x80000008, 0x00000000, 0x00000000, 0x00000000 } },
    { 0x80000001, 0, { 0x00000000, 0x00000000, 0x00000021, 0x2c100800 } },
    { 0x80000002, 0, { 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865 } },
    { 0x80000003, 0, { 0x37692029, 0x3737342d, 0x50432030, 0x20402055 } },
    { 0x80000004, 0, { 0x30342e33, 0x007a4847, 0x00000000, 0x00000000 } },
    { 0x80000006, 0, { 0x00000000, 0x00000000, 0x01006040, 0x00000000 } },
    { 0x80000007, 0, { 0x00000000, 0x00000000, 0x00000000, 0x00000100 } },
    { 0x80000008, 0, { 0x00003027, 0x00000000, 0x00000000, 0x00000000 } },
};

/* Leaves with subleaves: others ignore ECX. */
static bool has_subleaves(uint32_t leaf)
{
    return leaf == 0x4 || leaf == 0x7 || leaf == 0xb || leaf == 0xd;
}

static struct cpuid_result haswell_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_result zero = { 0, 0, 0, 0 };

    /* Outside both ranges (the hypervisor range is KVM's, above): the
     * highest basic leaf's data. */
    bool hv = leaf >= 0x40000000u && leaf <= 0x400000ffu;
    if (!hv && leaf > HASWELL_MAX_BASIC && (leaf < 0x80000000u || leaf > HASWELL_MAX_EXTENDED))
        leaf = HASWELL_MAX_BASIC;
    if (!has_subleaves(leaf))
        subleaf = 0;
    for (size_t i = 0; i < sizeof(haswell) / sizeof(haswell[0]); i++)
        if (haswell[i].leaf == leaf && haswell[i].subleaf == subleaf)
            return haswell[i].r;
    return zero;
}

static struct cpuid_policy_ctx haswell_ctx(void)
{
    struct cpuid_policy_ctx ctx = {
        .vcpu_id = 0,
        .vcpu_count = 1,
        .host_max_basic = HASWELL_MAX_BASIC,
        .host_max_extended = HASWELL_MAX_EXTENDED,
        .keel_version_major = 0,
        .keel_version_minor = 1,
        .guest_cr4 = 0,
        .rdtscp_enabled = true,
        .invpcid_enabled = false,
        .ept_enabled = true,
    };
    return ctx;
}

/* What keel's exit handler does: run the source leaf on the host, apply. */
static struct cpuid_result guest_cpuid(uint32_t leaf, uint32_t subleaf,
                                       const struct cpuid_policy_ctx *ctx)
{
    struct cpuid_result r = haswell_cpuid(cpuid_policy_source_leaf(leaf, ctx), subleaf);

    cpuid_policy_apply(leaf, subleaf, ctx, &r);
    return r;
}

static struct cpuid_result all_ones(uint32_t leaf, uint32_t subleaf,
                                    const struct cpuid_policy_ctx *ctx)
{
    struct cpuid_result r = { ~0u, ~0u, ~0u, ~0u };

    cpuid_policy_apply(leaf, subleaf, ctx, &r);
    return r;
}

#define CHECK_REGS(r, a, b, c, d)       \
    do {                                \
        CHECK_EQ_U((r).eax, (a));       \
        CHECK_EQ_U((r).ebx, (b));       \
        CHECK_EQ_U((r).ecx, (c));       \
        CHECK_EQ_U((r).edx, (d));       \
    } while (0)

/* ---- Leaf 0 and the leaf ranges ------------------------------------------ */

TEST(leaf0_keeps_vendor_and_host_max_below_cap)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(0, 0, &ctx);

    CHECK_REGS(r, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
    CHECK_EQ_U(cpuid_policy_max_basic(&ctx), 0xd);
}

TEST(leaf0_caps_a_newer_host)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = { 0x20, 0x756e6547, 0x6c65746e, 0x49656e69 };

    ctx.host_max_basic = 0x20;
    cpuid_policy_apply(0, 0, &ctx, &r);
    CHECK_EQ_U(r.eax, CPUID_POLICY_MAX_BASIC_LEAF);
    CHECK_EQ_U(r.ebx, 0x756e6547);
}

TEST(source_leaf_maps_out_of_range_to_highest_basic)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_EQ_U(cpuid_policy_source_leaf(0x0, &ctx), 0x0);
    CHECK_EQ_U(cpuid_policy_source_leaf(0xd, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0xe, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x1f, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x20000000, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x40000000, &ctx), 0x40000000);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x400000ff, &ctx), 0x400000ff);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x40000100, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x80000000, &ctx), 0x80000000);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x80000008, &ctx), 0x80000008);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x80000009, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0xc0000000, &ctx), 0xd);
    CHECK_EQ_U(cpuid_policy_source_leaf(0xffffffff, &ctx), 0xd);

    ctx.host_max_basic = 0x20;
    ctx.host_max_extended = 0x80000021;
    CHECK_EQ_U(cpuid_policy_source_leaf(0x1f, &ctx), 0x1f);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x20, &ctx), 0x1f);
    CHECK_EQ_U(cpuid_policy_source_leaf(0x80000021, &ctx), 0x1f);
}

TEST(out_of_range_leaves_return_highest_basic_leaf)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    static const uint32_t beyond[] = { 0xe, 0x1f, 0x20000000, 0x40000100, 0x80000009,
                                       0xc0000000, 0xffffffff };

    for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
        for (uint32_t sub = 0; sub < 3; sub++) {
            struct cpuid_result want = guest_cpuid(0xd, sub, &ctx);
            struct cpuid_result got = guest_cpuid(beyond[i], sub, &ctx);
            CHECK(memcmp(&want, &got, sizeof(want)) == 0);
        }
    }
    /* And leaf 0xd subleaf 0 really is XSAVE data, not zeros. */
    CHECK_EQ_U(guest_cpuid(0x1f, 0, &ctx).eax, 0x7);
}

TEST(out_of_range_on_a_newer_host_is_the_synthesized_topology_leaf)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };

    ctx.host_max_basic = 0x23;
    ctx.vcpu_id = 0;
    cpuid_policy_apply(0x23, 1, &ctx, &r);      /* host data for 0x23: ignored */
    CHECK_REGS(r, 0, 1, 0x201, 0);
}

/* ---- Leaf 1 ---------------------------------------------------------------- */

TEST(leaf1_haswell)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(1, 0, &ctx);

    CHECK_EQ_U(r.eax, 0x000306c3);              /* family/model/stepping kept */
    CHECK_EQ_U(r.ebx, 0x00010800);              /* APIC ID 0, 1 logical, 64-byte CLFLUSH */
    CHECK_EQ_U(r.ecx, 0xf7fa3203);              /* x2APIC and TSC-deadline: keel's APIC */
    CHECK_EQ_U(r.edx, 0x0f8bbb7f);
}

/* keel's local APIC is there, in x2APIC and TSC-deadline modes too, on a
 * host that shows none of it. */
TEST(leaf1_apic_features_are_keels)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = { 0x000306c3, 0, 0, 0 };
    cpuid_policy_apply(1, 0, &ctx, &r);
    CHECK(r.edx & CPUID_1_EDX_APIC);
    CHECK(r.ecx & CPUID_1_ECX_X2APIC);
    CHECK(r.ecx & CPUID_1_ECX_TSC_DEADLINE);

    ctx.apic_disabled = true;                   /* IA32_APIC_BASE.EN = 0 */
    r = (struct cpuid_result){ 0x000306c3, 0, 0, CPUID_1_EDX_APIC };
    cpuid_policy_apply(1, 0, &ctx, &r);
    CHECK(!(r.edx & CPUID_1_EDX_APIC));
}

TEST(leaf1_ecx_named_bits)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(1, 0, &ctx);

    CHECK(!(r.ecx & CPUID_1_ECX_VMX));
    CHECK(!(r.ecx & CPUID_1_ECX_SMX));
    CHECK(!(r.ecx & CPUID_1_ECX_MONITOR));
    CHECK(!(r.ecx & CPUID_1_ECX_PDCM));
    CHECK(r.ecx & CPUID_1_ECX_X2APIC);
    CHECK(r.ecx & CPUID_1_ECX_TSC_DEADLINE);
    CHECK(r.ecx & CPUID_1_ECX_HYPERVISOR);
    CHECK(r.ecx & CPUID_1_ECX_XSAVE);
    CHECK(r.ecx & CPUID_1_ECX_AVX);
    CHECK(r.ecx & CPUID_1_ECX_PCID);
    /* The host has CR4.OSXSAVE set; the guest (CR4 = 0) has not. */
    CHECK(!(r.ecx & CPUID_1_ECX_OSXSAVE));
}

TEST(leaf1_osxsave_mirrors_guest_cr4)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r;

    ctx.guest_cr4 = CR4_OSXSAVE;
    r = guest_cpuid(1, 0, &ctx);
    CHECK_EQ_U(r.ecx, 0xf7fa3203 | CPUID_1_ECX_OSXSAVE);

    /* No XSAVE on the host: no OSXSAVE whatever the guest's CR4 says. */
    r = (struct cpuid_result){ 0x000306c3, 0x03100800, 0x7ffafbbf & ~CPUID_1_ECX_XSAVE,
                               0xbfebfbff };
    cpuid_policy_apply(1, 0, &ctx, &r);
    CHECK(!(r.ecx & CPUID_1_ECX_OSXSAVE));
    CHECK(!(r.ecx & CPUID_1_ECX_XSAVE));
}

TEST(leaf1_edx_named_bits)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(1, 0, &ctx);
    uint32_t kept[] = { CPUID_1_EDX_FPU, CPUID_1_EDX_TSC, CPUID_1_EDX_MSR, CPUID_1_EDX_PAE,
                        CPUID_1_EDX_CX8, CPUID_1_EDX_APIC, CPUID_1_EDX_SEP, CPUID_1_EDX_MTRR,
                        CPUID_1_EDX_PGE, CPUID_1_EDX_CMOV, CPUID_1_EDX_PAT, CPUID_1_EDX_PSE36,
                        CPUID_1_EDX_CLFSH, CPUID_1_EDX_MMX, CPUID_1_EDX_FXSR, CPUID_1_EDX_SSE,
                        CPUID_1_EDX_SSE2, CPUID_1_EDX_PSE, CPUID_1_EDX_VME, CPUID_1_EDX_DE };
    uint32_t dropped[] = { CPUID_1_EDX_ACPI, CPUID_1_EDX_TM, CPUID_1_EDX_PBE, CPUID_1_EDX_DS,
                           CPUID_1_EDX_MCE, CPUID_1_EDX_MCA, CPUID_1_EDX_HTT };

    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        CHECK(r.edx & kept[i]);
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        CHECK(!(r.edx & dropped[i]));
}

TEST(leaf1_topology_fields_follow_vcpus)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r;

    ctx.vcpu_id = 2;
    ctx.vcpu_count = 4;
    r = guest_cpuid(1, 0, &ctx);
    CHECK_EQ_U(r.ebx, 0x02040800);
    CHECK(r.edx & CPUID_1_EDX_HTT);

    ctx.vcpu_count = 0;                         /* treated as 1 */
    ctx.vcpu_id = 0;
    r = guest_cpuid(1, 0, &ctx);
    CHECK_EQ_U(r.ebx, 0x00010800);
    CHECK(!(r.edx & CPUID_1_EDX_HTT));
}

TEST(leaf1_only_known_bits_survive_an_all_ones_host)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r;

    ctx.ept_enabled = false;
    r = all_ones(1, 0, &ctx);
    CHECK_EQ_U(r.ecx, CPUID_1_ECX_KEEP | CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_KEEL_APIC);
    CHECK_EQ_U(r.edx, CPUID_1_EDX_KEEP | CPUID_1_EDX_APIC);
    CHECK(!(r.ecx & CPUID_1_ECX_PCID));         /* PCID needs EPT */
}

/* ---- Leaves zeroed, passed through, synthesized ----------------------------- */

TEST(leaves_described_as_absent_are_zero)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    static const uint32_t absent[] = { 0x3, 0x5, 0x6, 0x8, 0x9, 0xa, 0xc, 0xe, 0xf, 0x10,
                                       0x11, 0x12, 0x13, 0x14, 0x17, 0x18, 0x19, 0x1a, 0x1b,
                                       0x1c, 0x1d, 0x1e };

    ctx.host_max_basic = 0x1f;                  /* so every leaf is in range */
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        struct cpuid_result r = all_ones(absent[i], 0, &ctx);
        CHECK_REGS(r, 0, 0, 0, 0);
    }
    /* Leaves 6 and 0AH of the real Haswell. */
    CHECK_REGS(guest_cpuid(6, 0, &ctx), 0, 0, 0, 0);
    CHECK_REGS(guest_cpuid(0xa, 0, &ctx), 0, 0, 0, 0);
    CHECK_REGS(guest_cpuid(5, 0, &ctx), 0, 0, 0, 0);
}

TEST(leaves_passed_through)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(2, 0, &ctx);

    CHECK_REGS(r, 0x76036301, 0x00f0b5ff, 0, 0x00c10000);
    ctx.host_max_basic = 0x16;
    r = (struct cpuid_result){ 2, 0xd0, 0x16e3600, 0 };    /* TSC/crystal */
    cpuid_policy_apply(0x15, 0, &ctx, &r);
    CHECK_REGS(r, 2, 0xd0, 0x16e3600, 0);
    r = (struct cpuid_result){ 0xd48, 0xf3c, 0x64, 0 };     /* frequencies */
    cpuid_policy_apply(0x16, 0, &ctx, &r);
    CHECK_REGS(r, 0xd48, 0xf3c, 0x64, 0);
}

TEST(leaf4_one_core_one_thread)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(guest_cpuid(4, 0, &ctx), 0x00000121, 0x01c0003f, 0x3f, 0);
    CHECK_REGS(guest_cpuid(4, 1, &ctx), 0x00000122, 0x01c0003f, 0x3f, 0);
    CHECK_REGS(guest_cpuid(4, 2, &ctx), 0x00000143, 0x01c0003f, 0x1ff, 0);
    CHECK_REGS(guest_cpuid(4, 3, &ctx), 0x00000163, 0x03c0003f, 0x1fff, 6);
    CHECK_REGS(guest_cpuid(4, 4, &ctx), 0, 0, 0, 0);
}

TEST(leaf4_four_vcpus)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    ctx.vcpu_count = 4;
    CHECK_EQ_U(guest_cpuid(4, 0, &ctx).eax, 0x0c000121);   /* L1d private, 4 cores */
    CHECK_EQ_U(guest_cpuid(4, 3, &ctx).eax, 0x0c00c163);   /* L3 shared by 4 */
    ctx.vcpu_count = 3;                                     /* IDs round up to 4 */
    CHECK_EQ_U(guest_cpuid(4, 3, &ctx).eax, 0x0c00c163);
}

TEST(leaf7_haswell)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    /* EBX: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS FPU-CS/DS; not TSC_ADJUST or
     * INVPCID.  EDX: MD_CLEAR only (not IBRS, STIBP, L1D_FLUSH, SSBD). */
    CHECK_REGS(guest_cpuid(7, 0, &ctx), 0, 0x000023a9, 0, 0x00000400);
    CHECK_REGS(guest_cpuid(7, 1, &ctx), 0, 0, 0, 0);

    ctx.invpcid_enabled = true;
    CHECK_EQ_U(guest_cpuid(7, 0, &ctx).ebx, 0x000027a9);
    ctx.ept_enabled = false;
    CHECK_EQ_U(guest_cpuid(7, 0, &ctx).ebx, 0x00002729);  /* no SMEP */
}

TEST(leaf7_unvirtualizable_features_dropped)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = all_ones(7, 0, &ctx);

    CHECK_EQ_U(r.eax, 0);
    CHECK(!(r.ebx & (CPUID_7_EBX_SGX | CPUID_7_EBX_PT | CPUID_7_EBX_MPX | CPUID_7_EBX_TSC_ADJUST |
                     CPUID_7_EBX_RDT_M | CPUID_7_EBX_RDT_A | CPUID_7_EBX_INVPCID)));
    CHECK(!(r.ecx & (CPUID_7_ECX_WAITPKG | CPUID_7_ECX_LA57 | CPUID_7_ECX_KL |
                     CPUID_7_ECX_SGX_LC | CPUID_7_ECX_CET_SS)));
    CHECK(!(r.edx & (CPUID_7_EDX_AMX_TILE | CPUID_7_EDX_HYBRID | CPUID_7_EDX_IBRS_IBPB |
                     CPUID_7_EDX_ARCH_CAPABILITIES)));
    CHECK_EQ_U(r.ebx, CPUID_7_EBX_KEEP | CPUID_7_EBX_SMEP | CPUID_7_EBX_SMAP);
    CHECK_EQ_U(r.ecx, CPUID_7_ECX_KEEP | CPUID_7_ECX_PKU | CPUID_7_ECX_RDPID);
    CHECK_EQ_U(r.edx, CPUID_7_EDX_KEEP);
    CHECK(r.ebx & CPUID_7_EBX_AVX2);
    CHECK(r.ecx & CPUID_7_ECX_GFNI);
}

TEST(leaf7_ospke_and_rdpid)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK(!(all_ones(7, 0, &ctx).ecx & CPUID_7_ECX_OSPKE));    /* host's OSPKE ignored */
    ctx.guest_cr4 = CR4_PKE;
    CHECK(all_ones(7, 0, &ctx).ecx & CPUID_7_ECX_OSPKE);
    ctx.ept_enabled = false;                                    /* no PKU, no OSPKE */
    CHECK(!(all_ones(7, 0, &ctx).ecx & (CPUID_7_ECX_OSPKE | CPUID_7_ECX_PKU)));
    ctx.rdtscp_enabled = false;
    CHECK(!(all_ones(7, 0, &ctx).ecx & CPUID_7_ECX_RDPID));
}

TEST(leaf0b_topology_one_vcpu)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(guest_cpuid(0xb, 0, &ctx), 0, 1, 0x100, 0);
    CHECK_REGS(guest_cpuid(0xb, 1, &ctx), 0, 1, 0x201, 0);
    CHECK_REGS(guest_cpuid(0xb, 2, &ctx), 0, 0, 0x002, 0);
    CHECK_REGS(guest_cpuid(0xb, 0x1ff, &ctx), 0, 0, 0x0ff, 0);
}

TEST(leaf0b_and_1f_topology_four_vcpus)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = { 0, 0, 0, 0 };

    ctx.vcpu_id = 3;
    ctx.vcpu_count = 4;
    CHECK_REGS(guest_cpuid(0xb, 0, &ctx), 0, 1, 0x100, 3);
    CHECK_REGS(guest_cpuid(0xb, 1, &ctx), 2, 4, 0x201, 3);
    ctx.host_max_basic = 0x1f;
    cpuid_policy_apply(0x1f, 1, &ctx, &r);
    CHECK_REGS(r, 2, 4, 0x201, 3);
}

TEST(leaf0d_haswell)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(guest_cpuid(0xd, 0, &ctx), 7, 0x340, 0x340, 0);
    CHECK_REGS(guest_cpuid(0xd, 1, &ctx), 1, 0, 0, 0);
    CHECK_REGS(guest_cpuid(0xd, 2, &ctx), 0x100, 0x240, 0, 0);
}

TEST(leaf0d_hidden_components)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r;

    /* A Skylake-SP-like host: x87 SSE AVX, MPX (3, 4), AVX-512 (5-7), PKRU (9). */
    r = (struct cpuid_result){ 0x000002ff, 0xa88, 0xa88, 0 };
    cpuid_policy_apply(0xd, 0, &ctx, &r);
    CHECK_REGS(r, 0x2e7, 0xa88, 0xa88, 0);
    r = (struct cpuid_result){ 0x000002ff, 0xa88, 0xa88, 0 };
    ctx.ept_enabled = false;
    cpuid_policy_apply(0xd, 0, &ctx, &r);
    CHECK_EQ_U(r.eax, 0xe7);
    ctx.ept_enabled = true;

    /* XSAVES and XFD hidden, no IA32_XSS components. */
    r = (struct cpuid_result){ 0x1f, 0x988, 0x00001900, 0x1 };
    cpuid_policy_apply(0xd, 1, &ctx, &r);
    CHECK_REGS(r, 0x7, 0x988, 0, 0);

    r = (struct cpuid_result){ 0x40, 0x3c0, 0, 0 };            /* MPX BNDREGS */
    cpuid_policy_apply(0xd, 3, &ctx, &r);
    CHECK_REGS(r, 0, 0, 0, 0);
    r = (struct cpuid_result){ 0x40, 0x440, 0, 0 };            /* opmask */
    cpuid_policy_apply(0xd, 5, &ctx, &r);
    CHECK_REGS(r, 0x40, 0x440, 0, 0);
    r = (struct cpuid_result){ 0x8, 0xa80, 0, 0 };             /* PKRU */
    cpuid_policy_apply(0xd, 9, &ctx, &r);
    CHECK_REGS(r, 0x8, 0xa80, 0, 0);
    r = (struct cpuid_result){ 0x400, 0xac0, 0x2, 0 };         /* AMX TILEDATA */
    cpuid_policy_apply(0xd, 18, &ctx, &r);
    CHECK_REGS(r, 0, 0, 0, 0);
    CHECK_REGS(all_ones(0xd, 63, &ctx), 0, 0, 0, 0);
    CHECK_REGS(all_ones(0xd, 64, &ctx), 0, 0, 0, 0);
}

TEST(xcr0_allowed_matches_leaf0d)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_EQ_U(cpuid_policy_xcr0_allowed(0x7, &ctx), 0x7);
    CHECK_EQ_U(cpuid_policy_xcr0_allowed(0x602ff, &ctx), 0x2e7);
    ctx.ept_enabled = false;
    CHECK_EQ_U(cpuid_policy_xcr0_allowed(0x602ff, &ctx), 0xe7);
}

/* ---- Hypervisor leaves ------------------------------------------------------ */

TEST(hypervisor_signature_replaces_the_underlying_hypervisor)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = guest_cpuid(0x40000000, 0, &ctx);
    char sig[13];

    CHECK_EQ_U(r.eax, 0x40000001);
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    sig[12] = '\0';
    CHECK_STR(sig, "keelkeelkeel");
}

TEST(hypervisor_version_leaf)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(guest_cpuid(0x40000001, 0, &ctx), 0x00000001, 0, 0, 0);
    ctx.keel_version_major = 2;
    ctx.keel_version_minor = 5;
    CHECK_REGS(guest_cpuid(0x40000001, 0, &ctx), 0x00020005, 0, 0, 0);
}

TEST(hypervisor_leaves_beyond_version_are_zero)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(all_ones(0x40000002, 0, &ctx), 0, 0, 0, 0);
    CHECK_REGS(all_ones(0x40000010, 3, &ctx), 0, 0, 0, 0);
    CHECK_REGS(all_ones(0x400000ff, 0, &ctx), 0, 0, 0, 0);
}

/* ---- Extended leaves ------------------------------------------------------- */

TEST(extended_max_leaf_capped)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = { 0x80000021, 0, 0, 0 };

    CHECK_REGS(guest_cpuid(0x80000000, 0, &ctx), 0x80000008, 0, 0, 0);
    ctx.host_max_extended = 0x80000021;
    cpuid_policy_apply(0x80000000, 0, &ctx, &r);
    CHECK_EQ_U(r.eax, 0x80000008);
}

TEST(extended_80000001_haswell)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    /* LAHF/SAHF, LZCNT; SYSCALL, NX, 1-GByte pages, RDTSCP, LM. */
    CHECK_REGS(guest_cpuid(0x80000001, 0, &ctx), 0, 0, 0x21, 0x2c100800);
    ctx.rdtscp_enabled = false;
    CHECK_EQ_U(guest_cpuid(0x80000001, 0, &ctx).edx, 0x24100800);
    ctx.ept_enabled = false;
    CHECK_EQ_U(guest_cpuid(0x80000001, 0, &ctx).edx, 0x20100800);
}

TEST(extended_80000001_drops_svm_and_unknown_bits)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    struct cpuid_result r = all_ones(0x80000001, 0, &ctx);

    CHECK(!(r.ecx & CPUID_80000001_ECX_SVM));
    CHECK_EQ_U(r.ecx, CPUID_80000001_ECX_KEEP);
    CHECK_EQ_U(r.edx, CPUID_80000001_EDX_KEEP | CPUID_80000001_EDX_PAGE1GB |
                          CPUID_80000001_EDX_RDTSCP);
    CHECK_EQ_U(r.ebx, 0);
}

TEST(extended_brand_string_passed_through)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();
    char brand[49];

    for (uint32_t i = 0; i < 3; i++) {
        struct cpuid_result r = guest_cpuid(0x80000002 + i, 0, &ctx);
        memcpy(brand + 16 * i, &r, 16);
    }
    brand[48] = '\0';
    CHECK_STR(brand, "Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz");
    CHECK_REGS(guest_cpuid(0x80000006, 0, &ctx), 0, 0, 0x01006040, 0);
}

TEST(extended_invariant_tsc_and_address_sizes)
{
    struct cpuid_policy_ctx ctx = haswell_ctx();

    CHECK_REGS(guest_cpuid(0x80000007, 0, &ctx), 0, 0, 0, 0x100);
    CHECK_REGS(all_ones(0x80000007, 0, &ctx), 0, 0, 0, 0x100);
    CHECK_REGS(guest_cpuid(0x80000008, 0, &ctx), 0x3027, 0, 0, 0);
    CHECK_REGS(all_ones(0x80000008, 0, &ctx), 0xffff, 0, 0, 0);
}
