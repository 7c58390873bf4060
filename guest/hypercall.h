/*
 * keel's hypercall ABI (docs/hypercalls.md is the user-facing description):
 * VMCALL with the call number in RAX, arguments in RBX and RCX, the result
 * in RAX.  An unknown number returns -1 (all ones) and changes nothing else.
 */
#ifndef KEEL_GUEST_HYPERCALL_H
#define KEEL_GUEST_HYPERCALL_H

#include "guest/vm.h"

#define KEEL_HYPERCALL_ABI_VERSION 1
#define KEEL_HYPERCALL_SIGNATURE   0x6c65656bu      /* "keel" in RBX */
#define KEEL_HYPERCALL_PRINT_MAX   4096

enum keel_hypercall {
    KEEL_HC_VERSION = 0,        /* -> RAX = ABI version, RBX = 'keel' */
    KEEL_HC_PRINT = 1,          /* RBX = guest-linear address, RCX = length -> RAX = length */
    KEEL_HC_EXIT_COUNT = 2,     /* RBX = basic exit reason -> RAX = exits of that reason */
};

void hypercall_dispatch(struct vcpu *v);

#endif
