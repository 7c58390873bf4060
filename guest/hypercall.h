/*
 * keel's hypercall ABI (docs/hypercalls.md is the user-facing description):
 * VMCALL with the call number in RAX, arguments in RBX and RCX, the result
 * in RAX.  An unknown number returns -1 (all ones) and changes nothing else.
 */
#ifndef KEEL_GUEST_HYPERCALL_H
#define KEEL_GUEST_HYPERCALL_H

#include <stdint.h>

#include "guest/vm.h"

/* Version 2 added calls 3 and 4. */
#define KEEL_HYPERCALL_ABI_VERSION 2
#define KEEL_HYPERCALL_SIGNATURE   0x6c65656bu      /* "keel" in RBX */
#define KEEL_HYPERCALL_PRINT_MAX   4096

enum keel_hypercall {
    KEEL_HC_VERSION = 0,        /* -> RAX = ABI version, RBX = 'keel' */
    KEEL_HC_PRINT = 1,          /* RBX = guest-linear address, RCX = length -> RAX = length */
    KEEL_HC_EXIT_COUNT = 2,     /* RBX = basic exit reason -> RAX = exits of that reason */
    KEEL_HC_EXIT_COST = 3,      /* RBX = basic exit reason, RCX = guest-linear address of a
                                 * struct keel_exit_cost -> RAX = 0 */
    KEEL_HC_RESET_STATS = 4,    /* -> RAX = 0; this vCPU's exit statistics start again */
    /* KVM's KVM_HC_SEND_IPI, same number and registers, for guests written
     * against KVM's ABI: RBX, RCX = destination bitmap (low, high), RDX =
     * the APIC ID of bit 0, RSI = ICR bits 31:0 -> RAX = IPIs delivered. */
    KEEL_HC_KVM_SEND_IPI = 10,
};

/*
 * What KEEL_HC_EXIT_COST writes: this vCPU's figures for one basic exit
 * reason, in TSC ticks from the exit to the next entry as keel measures
 * them (guest/exit_stats.h).  Little-endian, no padding: 40 bytes.  min,
 * max and mean are 0 while count is 0; mean is total_ticks / count rounded
 * down.
 */
struct keel_exit_cost {
    uint64_t count;
    uint64_t total_ticks;
    uint64_t min;
    uint64_t max;
    uint64_t mean;
};

#define KEEL_EXIT_COST_SIZE 40
_Static_assert(sizeof(struct keel_exit_cost) == KEEL_EXIT_COST_SIZE,
               "the record is part of the ABI");

void hypercall_dispatch(struct vcpu *v);

#endif
