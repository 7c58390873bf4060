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

/*
 * A segment register: the visible selector and the hidden part the CPU
 * loads from the descriptor (SDM vol. 3A 3.4.3).  ar holds the access
 * rights in the VMX format (SDM vol. 3C 25.4.1, table 25-2): descriptor
 * bits 47:40 (type, S, DPL, P) in bits 7:0, bits 55:52 (AVL, L, D/B, G) in
 * bits 15:12, and X86_SEG_AR_UNUSABLE for a register loaded with a null
 * selector.  limit is in bytes (already scaled by G).
 */
struct x86_segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t ar;
};

#define X86_SEG_AR_TYPE_MASK    0x0fu
/* Type bits of code and data segments (SDM vol. 3A 3.4.5.1, table 3-1). */
#define X86_SEG_TYPE_ACCESSED   0x1u
#define X86_SEG_TYPE_WRITABLE   0x2u            /* data: writable */
#define X86_SEG_TYPE_READABLE   0x2u            /* code: readable */
#define X86_SEG_TYPE_CONFORMING 0x4u            /* code only */
#define X86_SEG_TYPE_CODE       0x8u
#define X86_SEG_AR_S            (1u << 4)       /* code or data, not system */
#define X86_SEG_AR_DPL_SHIFT    5
#define X86_SEG_AR_DPL_MASK     3u
#define X86_SEG_AR_P            (1u << 7)
#define X86_SEG_AR_L            (1u << 13)
#define X86_SEG_AR_DB           (1u << 14)
#define X86_SEG_AR_G            (1u << 15)
#define X86_SEG_AR_UNUSABLE     (1u << 16)

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
