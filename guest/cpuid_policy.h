/*
 * keel's CPUID policy: what a guest sees when it executes CPUID
 * (guest/cpuid_policy.c): pure logic, host-tested, vendor-neutral.
 *
 * The user-facing contract, leaf by leaf, is docs/cpuid.md; this header is
 * the programming interface.  The exit handler executes CPUID on the host,
 * then lets cpuid_policy_apply() turn the host's answer into the guest's.
 */
#ifndef KEEL_GUEST_CPUID_POLICY_H
#define KEEL_GUEST_CPUID_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The highest leaves keel describes: basic leaves up to the V2 extended
 * topology leaf, extended leaves up to the address-size leaf. */
#define CPUID_POLICY_MAX_BASIC_LEAF     0x1fu
#define CPUID_POLICY_MAX_EXTENDED_LEAF  0x80000008u

/* The hypervisor leaves (a range real CPUs leave unused). */
#define CPUID_HYPERVISOR_BASE           0x40000000u
#define CPUID_HYPERVISOR_VERSION        0x40000001u
#define CPUID_HYPERVISOR_LAST           0x400000ffu
#define CPUID_EXTENDED_BASE             0x80000000u

/* "keelkeelkeel": the 12-byte signature in EBX, ECX, EDX of 0x40000000,
 * as each register holds it (little-endian "keel"). */
#define CPUID_KEEL_SIGNATURE_WORD       0x6c65656bu

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

struct cpuid_policy_ctx {
    uint32_t vcpu_id;               /* becomes the initial (x2)APIC ID */
    uint32_t vcpu_count;            /* vCPUs in the VM; 0 counts as 1 */
    uint32_t host_max_basic;        /* the host's CPUID.0:EAX */
    uint32_t host_max_extended;     /* the host's CPUID.80000000H:EAX */
    uint16_t keel_version_major, keel_version_minor;
    uint64_t guest_cr4;             /* OSXSAVE and OSPKE mirror its XSAVE and PKE bits */
    /* What keel set up for this vCPU; each feature stays hidden while false. */
    bool rdtscp_enabled;            /* "enable RDTSCP": RDTSCP and RDPID work */
    bool invpcid_enabled;           /* "enable INVPCID": INVPCID works */
    bool ept_enabled;               /* the CPU walks the guest's page tables itself */
    /* The guest cleared IA32_APIC_BASE.EN: leaf 1 EDX.APIC reads 0 then, as
     * on a real CPU (SDM vol. 3A 11.4.3). */
    bool apic_disabled;
};

/* The guest's CPUID.0:EAX and CPUID.80000000H:EAX. */
uint32_t cpuid_policy_max_basic(const struct cpuid_policy_ctx *ctx);
uint32_t cpuid_policy_max_extended(const struct cpuid_policy_ctx *ctx);

/*
 * The leaf whose host values cpuid_policy_apply() wants for a guest query of
 * leaf: leaf itself when the guest's CPU has it, else the guest's highest
 * basic leaf, because that is what a real CPU answers for a leaf beyond its
 * ranges (SDM vol. 2A, CPUID, "INPUT EAX = 0": "If a value entered for
 * CPUID.EAX is higher than the maximum input value for basic or extended
 * function for that processor then the data for the highest basic
 * information leaf is returned").  Execute CPUID on the host with this leaf
 * (and the guest's subleaf) to fill apply()'s inout.
 */
uint32_t cpuid_policy_source_leaf(uint32_t leaf, const struct cpuid_policy_ctx *ctx);

/*
 * Turns *inout, the host's CPUID values for (cpuid_policy_source_leaf(leaf),
 * subleaf), into what the guest sees for (leaf, subleaf).  Hypervisor leaves
 * (0x40000000-0x400000ff) ignore the host values entirely.
 */
void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, const struct cpuid_policy_ctx *ctx,
                        struct cpuid_result *inout);

/* The XCR0 bits a guest may set with XSETBV: the host's supported bits
 * (CPUID.(0DH,0):EDX:EAX) limited to the state components this policy
 * advertises, so XSETBV and CPUID agree. */
uint64_t cpuid_policy_xcr0_allowed(uint64_t host_supported, const struct cpuid_policy_ctx *ctx);

#endif
