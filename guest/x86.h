/*
 * Vendor-neutral x86 vocabulary shared by the VT-x decoders (vmx/) and the
 * generic emulation code (guest/): register and segment numbering as the
 * instruction encoding numbers them (SDM vol. 2A 2.1.5, table 2-2 "ModR/M"
 * reg field; 3.4.1 segment registers), and the event types of VM-entry/exit
 * interruption information (SDM vol. 3C 25.8.3, 28.2.2).
 */
#ifndef KEEL_GUEST_X86_H
#define KEEL_GUEST_X86_H

#include <stdbool.h>
#include <stdint.h>

enum x86_gpr {
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
    NR_GPRS,
};

enum x86_seg {
    SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS,
    NR_SEGS,
};

/* A guest's general-purpose registers in encoding order.  gpr[GPR_RSP] is
 * only meaningful where a function says so: under VT-x the guest's RSP lives
 * in the VMCS. */
struct guest_regs {
    uint64_t gpr[NR_GPRS];
};

/* Event types of interruption-information fields. */
enum x86_event_type {
    EVENT_EXTERNAL_INTERRUPT = 0,
    EVENT_NMI = 2,
    EVENT_HARDWARE_EXCEPTION = 3,
    EVENT_SOFTWARE_INTERRUPT = 4,
    EVENT_PRIVILEGED_SOFTWARE_EXCEPTION = 5,
    EVENT_SOFTWARE_EXCEPTION = 6,
    EVENT_OTHER = 7,
};

/* An event to deliver to a guest, or one the CPU was delivering when an exit
 * happened. */
struct x86_event {
    bool valid;
    enum x86_event_type type;
    uint8_t vector;
    bool has_error_code;
    uint32_t error_code;
};

/* A port I/O access, decoded from whatever the CPU reported (VT-x exit
 * qualification; later SVM's EXITINFO1). */
struct pio_access {
    uint16_t port;
    uint8_t size;               /* 1, 2 or 4 bytes */
    bool in;                    /* IN/INS rather than OUT/OUTS */
    bool string;                /* INS/OUTS */
    bool rep;                   /* REP prefix (string forms only) */
    uint8_t addr_size;          /* 2, 4 or 8: address size of a string form */
    enum x86_seg seg;           /* source segment of OUTS (INS always writes ES) */
};

/* A control-register access that exited (MOV to/from CRn, CLTS, LMSW). */
enum cr_access_type {
    CR_ACCESS_MOV_TO_CR = 0,
    CR_ACCESS_MOV_FROM_CR = 1,
    CR_ACCESS_CLTS = 2,
    CR_ACCESS_LMSW = 3,
};

struct cr_access {
    uint8_t cr;                 /* 0, 3, 4 or 8 */
    enum cr_access_type type;
    enum x86_gpr gpr;           /* MOV forms */
    uint16_t lmsw_source;       /* LMSW's operand */
};

/* A guest-physical access the second-level page tables refused. */
struct gpa_fault {
    uint64_t gpa;
    bool read, write, fetch;            /* what the access was */
    bool was_readable, was_writable, was_executable; /* what the mapping allowed */
    bool gla_valid;
    uint64_t gla;
    bool during_walk;                   /* the guest's own page walk, not the final access */
};

#endif
