/*
 * What a guest can learn from keel and ask of it: detection through CPUID
 * and the VMCALL hypercalls of keel's guest ABI.
 *
 * Detection: CPUID.1:ECX[31] (hypervisor present) set, and CPUID leaf
 * 0x40000000 returning the signature "keel..." in EBX, ECX, EDX (EBX holds
 * the first four bytes).  Leaf 0x40000001 EAX is keel's version (nonzero).
 *
 * Hypercalls (only under keel; elsewhere VMCALL raises #UD): EAX = number,
 * EBX and ECX = arguments, result in EAX.  In a 32-bit guest these are the
 * low halves of RAX, RBX, RCX.
 *   0 version:    EAX = ABI version (2), EBX = 0x6c65656b ("keel")
 *   1 print:      EBX = linear address, ECX = length (<= 4096): keel prints
 *                 the bytes; EAX = length printed
 *   2 exit count: EBX = basic exit reason: EAX = how many exits of that
 *                 reason this vCPU has taken so far
 *   3 exit cost:  EBX = basic exit reason, ECX = linear address of a
 *                 struct keel_exit_cost: keel fills it in; EAX = 0, or all
 *                 ones (and no fault) for a reason beyond keel's table or
 *                 an address the guest could not write itself
 *   4 reset statistics: this vCPU's exit counts and costs start again (the
 *                 reset call itself is the first exit counted); EAX = 0
 *   10 KVM's send IPI: EBX, ECX = destination bitmap (low, high 32 bits in
 *                 a 32-bit guest), EDX = the APIC ID of bit 0, ESI = ICR
 *                 bits 31:0: EAX = how many vCPUs the IPI reached
 *   other:        EAX = all ones, and no fault
 * An exit is counted when it ends: the VMCALL asking is never in the answer.
 */
#ifndef GUEST_LIB_KEEL_H
#define GUEST_LIB_KEEL_H

#include <stdbool.h>
#include <stdint.h>

#define KEEL_CPUID_LEAF_SIGNATURE 0x40000000u
#define KEEL_CPUID_LEAF_VERSION   0x40000001u
#define KEEL_SIGNATURE_EBX        0x6c65656bu   /* "keel", little-endian */

enum keel_hypercall {
    KEEL_HC_VERSION = 0,
    KEEL_HC_PRINT = 1,
    KEEL_HC_EXIT_COUNT = 2,
    KEEL_HC_EXIT_COST = 3,
    KEEL_HC_RESET_STATS = 4,
    KEEL_HC_KVM_SEND_IPI = 10,  /* KVM's number and registers */
};

#define KEEL_HC_ABI_VERSION 2u
#define KEEL_HC_PRINT_MAX   4096u
#define KEEL_HC_UNKNOWN     0xFFFFFFFFu     /* EAX for an unknown number */

/* Basic VM-exit reasons a guest can ask keel to count (SDM vol. 3D
 * appendix C, "VMX Basic Exit Reasons"). */
#define EXIT_REASON_CPUID           10u
#define EXIT_REASON_HLT             12u
#define EXIT_REASON_VMCALL          18u
#define EXIT_REASON_CR_ACCESS       28u
#define EXIT_REASON_IO_INSTRUCTION  30u

/* What hypercall 3 writes: this vCPU's figures for one exit reason, in
 * ticks from the exit to the next entry as keel measures them (TSC cycles;
 * under Bochs, emulated instructions).  min, max and mean are 0 while count
 * is 0; mean is total_ticks / count rounded down. */
struct keel_exit_cost {
    uint64_t count;
    uint64_t total_ticks;
    uint64_t min;
    uint64_t max;
    uint64_t mean;
};
_Static_assert(sizeof(struct keel_exit_cost) == 40, "hypercall 3's record is 40 bytes");

struct hypercall_result {
    uint32_t eax;
    uint32_t ebx;
};

/* True when running under keel (the answer is computed once: later calls
 * execute no CPUID, so they add no exits). */
bool is_keel(void);

/* VMCALL with EAX = nr, EBX = ebx, ECX = ecx.  Only under keel. */
struct hypercall_result keel_hypercall(uint32_t nr, uint32_t ebx, uint32_t ecx);

/* The hypercalls by name.  keel_version() also returns the EBX signature. */
uint32_t keel_version(uint32_t *signature);
uint32_t keel_print(const void *bytes, uint32_t length);
uint32_t keel_exit_count(uint32_t basic_exit_reason);
/* Hypercall 3 into *out: 0, or KEEL_HC_UNKNOWN (then *out is unchanged). */
uint32_t keel_exit_cost(uint32_t basic_exit_reason, struct keel_exit_cost *out);
/* Hypercall 4: 0. */
uint32_t keel_reset_exit_stats(void);
/* Hypercall 10 (KVM's KVM_HC_SEND_IPI): the number of vCPUs reached. */
uint32_t keel_kvm_send_ipi(uint32_t bitmap_low, uint32_t bitmap_high, uint32_t min_apic_id,
                           uint32_t icr_low);

#endif
