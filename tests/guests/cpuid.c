/*
 * cpuid: what CPUID tells a guest about its CPU and about keel.
 *
 * keel is recognised here by its signature at leaf 0x40000000 alone, not by
 * is_keel() (which also wants the hypervisor bit), so that a keel that
 * forgot CPUID.1:ECX[31] fails "hypervisor bit set" instead of skipping it.
 * On a CPU without hypervisor leaves, leaf 0x40000000 returns the highest
 * basic leaf's data (SDM vol. 2A, CPUID, "INPUT EAX = 0"), never "keel".
 *
 * And what CPUID says must hold: every cache and memory-ordering
 * instruction it shows (CLFLUSH, SFENCE, LFENCE, MFENCE, CLFLUSHOPT, CLWB)
 * runs without a fault, as kvm-unit-tests' memory test checks (none of them
 * exits; a keel that showed one the CPU lacks would make it #UD).
 *
 * Expected under keel: pass.  Bare: the keel checks SKIP.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/x86.h"

#define SIGNATURE_LEN 12

/* The 12 signature bytes of a leaf in EBX, ECX, EDX order (leaf 0x40000000)
 * or EBX, EDX, ECX order (leaf 0's vendor string). */
static void signature_bytes(char out[SIGNATURE_LEN + 1], uint32_t a, uint32_t b, uint32_t c)
{
    memcpy(out, &a, 4);
    memcpy(out + 4, &b, 4);
    memcpy(out + 8, &c, 4);
    out[SIGNATURE_LEN] = '\0';
}

static bool printable(char c)
{
    return c >= 0x20 && c <= 0x7e;
}

static bool keel_signature_present(void)
{
    return cpuid(KEEL_CPUID_LEAF_SIGNATURE).ebx == KEEL_SIGNATURE_EBX;
}

static bool vendor_is_sane(void)
{
    struct cpuid_regs r = cpuid(CPUID_LEAF_VENDOR);
    char vendor[SIGNATURE_LEN + 1];
    signature_bytes(vendor, r.ebx, r.edx, r.ecx);
    printf("cpuid: vendor \"%s\", highest basic leaf 0x%x\n", vendor, r.eax);
    bool ok = r.eax >= CPUID_LEAF_FEATURES;
    for (int i = 0; i < SIGNATURE_LEN; i++)
        ok = ok && printable(vendor[i]);
    return ok;
}

static bool apic_id_is_zero(void)
{
    uint32_t apic_id = cpuid(CPUID_LEAF_FEATURES).ebx >> CPUID_1_EBX_APIC_ID_SHIFT;
    printf("cpuid: initial APIC id %u\n", apic_id);
    return apic_id == 0;
}

static bool hypervisor_bit_set(void)
{
    return cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_HYPERVISOR;
}

static bool vmx_bit_clear(void)
{
    return !(cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_VMX);
}

static bool max_hypervisor_leaf_covers_version(void)
{
    uint32_t max = cpuid(KEEL_CPUID_LEAF_SIGNATURE).eax;
    printf("cpuid: highest hypervisor leaf 0x%x\n", max);
    return max >= KEEL_CPUID_LEAF_VERSION && max < KEEL_CPUID_LEAF_SIGNATURE + 0x100;
}

static bool signature_is_keel(void)
{
    struct cpuid_regs r = cpuid(KEEL_CPUID_LEAF_SIGNATURE);
    char sig[SIGNATURE_LEN + 1];
    signature_bytes(sig, r.ebx, r.ecx, r.edx);
    printf("cpuid: hypervisor signature \"%s\"\n", sig);
    /* "keel", then printable characters padded with NULs. */
    bool ok = !memcmp(sig, "keel", 4);
    bool padding = false;
    for (int i = 4; i < SIGNATURE_LEN; i++) {
        if (sig[i] == '\0')
            padding = true;
        else
            ok = ok && !padding && printable(sig[i]);
    }
    return ok;
}

static bool version_is_nonzero(void)
{
    uint32_t version = cpuid(KEEL_CPUID_LEAF_VERSION).eax;
    printf("cpuid: keel version 0x%x\n", version);
    return version != 0;
}

static bool same_regs(struct cpuid_regs a, struct cpuid_regs b)
{
    return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

/* Leaf 4 (deterministic cache parameters) describes one cache per sub-leaf:
 * sub-leaves 0 and 1 are two different caches (EAX[4:0] type, 7:5 level;
 * SDM vol. 2A, CPUID, leaf 04H).  Asked in turn, many times over, each
 * must keep its own answer: a hypervisor that caches answers must not hand
 * one sub-leaf's to the other. */
#define CPUID_LEAF_CACHE_PARAMS 0x4u
#define SUBLEAF_ROUNDS          8

static bool subleaves_answered_apart(void)
{
    if (cpuid(CPUID_LEAF_VENDOR).eax < CPUID_LEAF_CACHE_PARAMS) {
        printf("cpuid: no leaf 4 here\n");
        return true;
    }
    struct cpuid_regs first0 = cpuid_count(CPUID_LEAF_CACHE_PARAMS, 0);
    struct cpuid_regs first1 = cpuid_count(CPUID_LEAF_CACHE_PARAMS, 1);
    bool ok = !same_regs(first0, first1);
    for (int i = 0; i < SUBLEAF_ROUNDS; i++) {
        ok = ok && same_regs(cpuid_count(CPUID_LEAF_CACHE_PARAMS, 0), first0);
        ok = ok && same_regs(cpuid_count(CPUID_LEAF_CACHE_PARAMS, 1), first1);
    }
    printf("cpuid: leaf 4 sub-leaf 0 EAX 0x%x, sub-leaf 1 EAX 0x%x\n", first0.eax, first1.eax);
    return ok;
}

/* A leaf without sub-leaves ignores ECX (SDM vol. 2A, CPUID): leaves 0 and
 * 1 give one answer whatever ECX holds, asked in turn with different ECX. */
static bool ecx_ignored_without_subleaves(void)
{
    static const uint32_t leaves[] = { CPUID_LEAF_VENDOR, CPUID_LEAF_FEATURES };
    bool ok = true;
    for (size_t l = 0; l < ARRAY_SIZE(leaves); l++) {
        struct cpuid_regs want = cpuid_count(leaves[l], 0);
        for (uint32_t ecx = 1; ecx < 0x40000000u; ecx = ecx * 5 + 3)
            ok = ok && same_regs(cpuid_count(leaves[l], ecx), want) &&
                 same_regs(cpuid_count(leaves[l], 0), want);
    }
    return ok;
}

/* ---- instructions CPUID shows -------------------------------------------- */

#define CPUID_1_EDX_CLFSH       (1u << 19)
#define CPUID_1_EDX_SSE2        (1u << 26)
#define CPUID_7_EBX_CLFLUSHOPT  (1u << 23)
#define CPUID_7_EBX_CLWB        (1u << 24)

static volatile uint32_t flush_target;

/* One instruction under ASM_TRY, when its CPUID bit is set: true when it
 * did not fault (or is not shown). */
#define RUNS_IF_SHOWN(shown, name, insn)                                                \
    do {                                                                                \
        if (!(shown))                                                                   \
            break;                                                                      \
        fault_reset();                                                                  \
        __asm__ __volatile__(ASM_TRY(insn) : : "b"(&flush_target) : "memory");          \
        printf("cpuid: %s: %s\n", name,                                                \
               last_fault.vector == NO_FAULT ? "ran" : exception_name(last_fault.vector)); \
        ok = ok && last_fault.vector == NO_FAULT;                                       \
    } while (0)

static bool shown_memory_instructions_run(void)
{
    uint32_t edx1 = cpuid(CPUID_LEAF_FEATURES).edx;
    uint32_t ebx7 = cpuid(CPUID_LEAF_VENDOR).eax >= CPUID_LEAF_EXTENDED ? cpuid_leaf7().ebx : 0;
    bool ok = true;
    RUNS_IF_SHOWN(edx1 & CPUID_1_EDX_CLFSH, "CLFLUSH", "clflush (%%ebx)");
    RUNS_IF_SHOWN(edx1 & CPUID_1_EDX_SSE, "SFENCE", "sfence");
    RUNS_IF_SHOWN(edx1 & CPUID_1_EDX_SSE2, "LFENCE", "lfence");
    RUNS_IF_SHOWN(edx1 & CPUID_1_EDX_SSE2, "MFENCE", "mfence");
    RUNS_IF_SHOWN(ebx7 & CPUID_7_EBX_CLFLUSHOPT, "CLFLUSHOPT", ".byte 0x66, 0x0f, 0xae, 0x3b");
    RUNS_IF_SHOWN(ebx7 & CPUID_7_EBX_CLWB, "CLWB", ".byte 0x66, 0x0f, 0xae, 0x33");
    return ok;
}

struct cpuid_test {
    const char *name;
    bool keel_only;
    bool (*run)(void);
};

static const struct cpuid_test tests[] = {
    { "cpuid: leaf 0 vendor sane", false, vendor_is_sane },
    { "cpuid: leaf 1 initial APIC id 0", false, apic_id_is_zero },
    { "cpuid: leaf 1 hypervisor bit set", true, hypervisor_bit_set },
    { "cpuid: leaf 1 VMX bit clear", true, vmx_bit_clear },
    { "cpuid: leaf 4 sub-leaves 0 and 1 keep their own answers", false,
      subleaves_answered_apart },
    { "cpuid: leaves 0 and 1 ignore ECX", false, ecx_ignored_without_subleaves },
    { "cpuid: leaf 0x40000000 max leaf >= 0x40000001", true,
      max_hypervisor_leaf_covers_version },
    { "cpuid: leaf 0x40000000 signature keel", true, signature_is_keel },
    { "cpuid: leaf 0x40000001 version nonzero", true, version_is_nonzero },
    { "cpuid: the cache and fence instructions CPUID shows run", false,
      shown_memory_instructions_run },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    bool keel = keel_signature_present();
    for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
        const struct cpuid_test *t = &tests[i];
        if (!test_selected(t->name))
            continue;
        if (t->keel_only && !keel)
            report_skip("%s (not under keel)", t->name);
        else
            report(t->run(), "%s", t->name);
    }
}
