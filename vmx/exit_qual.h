/*
 * Decoders from raw VT-x exit information into the vendor-neutral structs of
 * guest/x86.h (vmx/exit_qual.c): pure logic, host-tested.
 *
 * Exit handlers never shift exit qualifications themselves: they call one of
 * these and work on the struct.  Field layouts, Intel SDM vol. 3C:
 *   - exit reason:                 28.2.1, table "Format of Exit Reason";
 *   - exit qualifications:         28.2.1, tables "Exit Qualification for
 *     Control-Register Accesses", "... for MOV DR", "... for I/O Instructions",
 *     "... for EPT Violations";
 *   - VM-exit instruction info for INS/OUTS: 28.2.5, table "Format of the
 *     VM-Exit Instruction-Information Field as Used for INS and OUTS";
 *   - VM-exit interruption info and IDT-vectoring info: 28.2.2, 28.2.4;
 *   - VM-entry interruption info:  25.8.3, table "Format of the VM-Entry
 *     Interruption-Information Field";
 *   - APIC-access, APIC-write and EOI-induced exits: 28.2.1, and chapter 29
 *     for what they mean.
 */
#ifndef KEEL_VMX_EXIT_QUAL_H
#define KEEL_VMX_EXIT_QUAL_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/x86.h"

/* ---- Exit qualification for I/O instructions (SDM 28.2.1) ------------- */
#define IO_QUAL_SIZE_MASK               0x7u        /* 2:0: 0 = 1 byte, 1 = 2, 3 = 4 */
#define IO_QUAL_SIZE_1                  0u
#define IO_QUAL_SIZE_2                  1u
#define IO_QUAL_SIZE_4                  3u
#define IO_QUAL_DIRECTION_IN            (1u << 3)   /* 0 = OUT, 1 = IN */
#define IO_QUAL_STRING                  (1u << 4)   /* INS/OUTS */
#define IO_QUAL_REP                     (1u << 5)
#define IO_QUAL_OPERAND_IMMEDIATE       (1u << 6)   /* 0 = port in DX, 1 = immediate */
#define IO_QUAL_PORT_SHIFT              16          /* 31:16 */
#define IO_QUAL_PORT_MASK               0xffffu

/* ---- VM-exit instruction information for INS/OUTS (SDM 28.2.5) -------- */
#define INS_OUTS_INFO_ADDR_SIZE_SHIFT   7           /* 9:7: 0 = 16, 1 = 32, 2 = 64 bit */
#define INS_OUTS_INFO_ADDR_SIZE_MASK    0x7u
#define INS_OUTS_INFO_ADDR_SIZE_16      0u
#define INS_OUTS_INFO_ADDR_SIZE_32      1u
#define INS_OUTS_INFO_ADDR_SIZE_64      2u
#define INS_OUTS_INFO_SEGMENT_SHIFT     15          /* 17:15: ES CS SS DS FS GS */
#define INS_OUTS_INFO_SEGMENT_MASK      0x7u

/* ---- Exit qualification for control-register accesses (SDM 28.2.1) ---- */
#define CR_QUAL_CR_MASK                 0xfu        /* 3:0 */
#define CR_QUAL_ACCESS_TYPE_SHIFT       4           /* 5:4: enum cr_access_type */
#define CR_QUAL_ACCESS_TYPE_MASK        0x3u
#define CR_QUAL_LMSW_MEMORY_OPERAND     (1u << 6)   /* LMSW operand: 0 = register, 1 = memory */
#define CR_QUAL_GPR_SHIFT               8           /* 11:8: enum x86_gpr */
#define CR_QUAL_GPR_MASK                0xfu
#define CR_QUAL_LMSW_SOURCE_SHIFT       16          /* 31:16 */
#define CR_QUAL_LMSW_SOURCE_MASK        0xffffu

/* ---- Exit qualification for MOV DR (SDM 28.2.1) ------------------------ */
#define DR_QUAL_DR_MASK                 0x7u        /* 2:0 */
#define DR_QUAL_DIRECTION_FROM_DR       (1u << 4)   /* 0 = MOV to DR, 1 = MOV from DR */
#define DR_QUAL_GPR_SHIFT               8           /* 11:8 */
#define DR_QUAL_GPR_MASK                0xfu

/* ---- Exit qualification for EPT violations (SDM 28.2.1) ---------------- */
#define EPT_QUAL_DATA_READ              (1u << 0)
#define EPT_QUAL_DATA_WRITE             (1u << 1)
#define EPT_QUAL_INSTRUCTION_FETCH      (1u << 2)
#define EPT_QUAL_READABLE               (1u << 3)   /* AND of bit 0 of the EPT entries */
#define EPT_QUAL_WRITABLE               (1u << 4)
#define EPT_QUAL_EXECUTABLE             (1u << 5)
#define EPT_QUAL_GLA_VALID              (1u << 7)   /* GUEST_LINEAR_ADDRESS is valid */
#define EPT_QUAL_GLA_TRANSLATION        (1u << 8)   /* with bit 7: final access, not the walk */
#define EPT_QUAL_NMI_UNBLOCKING         (1u << 12)  /* fault in IRET that unblocked NMIs */

/* ---- Exit qualifications of APIC virtualization (SDM 28.2.1) ----------- */
#define APIC_ACCESS_QUAL_OFFSET_MASK    0xfffu      /* 11:0, for linear accesses */
#define APIC_ACCESS_QUAL_TYPE_SHIFT     12          /* 15:12: enum apic_access_type */
#define APIC_ACCESS_QUAL_TYPE_MASK      0xfu
#define APIC_WRITE_QUAL_OFFSET_MASK     0xfffu      /* 11:0 */
#define VIRTUALIZED_EOI_QUAL_VECTOR_MASK 0xffu      /* 7:0 */

/* ---- Interruption information (SDM 25.8.3, 28.2.2, 28.2.4) -------------
 * Shared layout of VM_ENTRY_INTR_INFO_FIELD, VM_EXIT_INTR_INFO and
 * IDT_VECTORING_INFO_FIELD. */
#define INTR_INFO_VECTOR_MASK           0xffu       /* 7:0 */
#define INTR_INFO_TYPE_SHIFT            8           /* 10:8: enum x86_event_type */
#define INTR_INFO_TYPE_MASK             0x7u
#define INTR_INFO_ERROR_CODE_VALID      (1u << 11)  /* "deliver error code" on entry */
#define INTR_INFO_NMI_UNBLOCKING        (1u << 12)  /* exit info only; reserved on entry */
#define INTR_INFO_VALID                 (1u << 31)

/* ---- Exit reason (SDM 28.2.1) ------------------------------------------ */
struct vmx_exit_reason {
    uint16_t basic;             /* enum exit_reason */
    bool enclave_mode;          /* bit 27 */
    bool pending_mtf;           /* bit 28 */
    bool from_vmx_root;         /* bit 29 */
    bool failed_vmentry;        /* bit 31: the VM entry failed (SDM 27.8) */
};

void vmx_decode_exit_reason(uint32_t raw, struct vmx_exit_reason *out);
/* Bits 15:0 of the exit-reason field: the enum exit_reason number. */
uint16_t vmx_exit_reason_basic(uint32_t raw);
/* Bit 31: this "exit" reports a VM entry that failed after loading guest state. */
bool vmx_exit_reason_is_failed_vmentry(uint32_t raw);

/*
 * I/O instruction exits.  qual is EXIT_QUALIFICATION; instr_info is
 * VMX_INSTRUCTION_INFO, read only for string instructions and only looked at
 * when ins_outs_info_valid (IA32_VMX_BASIC[54], caps->ins_outs_info).
 * default_addr_size (2, 4 or 8) is what the caller knows of the guest's
 * address size (from CS.D/L); it is used when the CPU does not report one.
 *
 * out->size is 1, 2 or 4, or 0 for the one encoding the SDM leaves undefined.
 * For INS out->seg is always ES (INS writes ES:rDI whatever the prefixes).
 * For OUTS without instruction information out->seg is DS: a segment
 * override prefix is then invisible here and the caller must decode the
 * instruction if it cares.  For non-string IN/OUT, addr_size and seg are
 * filled the same way but mean nothing.
 */
void vmx_decode_io_qual(uint64_t qual, uint32_t instr_info, bool ins_outs_info_valid,
                        uint8_t default_addr_size, struct pio_access *out);

/* The same fields one at a time, inline, for IN and OUT, where the exit
 * path needs no more: the port, the size (1, 2 or 4; 0 for the encoding
 * the SDM leaves undefined), the direction, INS/OUTS or not. */
static inline uint16_t vmx_io_qual_port(uint64_t qual)
{
    return (uint16_t)((qual >> IO_QUAL_PORT_SHIFT) & IO_QUAL_PORT_MASK);
}

static inline uint8_t vmx_io_qual_size(uint64_t qual)
{
    switch (qual & IO_QUAL_SIZE_MASK) {
    case IO_QUAL_SIZE_1:
        return 1;
    case IO_QUAL_SIZE_2:
        return 2;
    case IO_QUAL_SIZE_4:
        return 4;
    default:
        return 0;       /* encoding 2 (and 4-7) is not used by the CPU */
    }
}

static inline bool vmx_io_qual_in(uint64_t qual)
{
    return (qual & IO_QUAL_DIRECTION_IN) != 0;
}

static inline bool vmx_io_qual_string(uint64_t qual)
{
    return (qual & IO_QUAL_STRING) != 0;
}
/* Bit 6: the port came from an immediate (IN AL, imm8) rather than DX. */
bool vmx_io_qual_port_is_immediate(uint64_t qual);

/* Control-register access exits.  For CLTS and LMSW out->cr is 0 and out->gpr
 * is GPR_RAX (the field is 0); lmsw_source is meaningful for LMSW only. */
void vmx_decode_cr_qual(uint64_t qual, struct cr_access *out);
/* Bit 6: LMSW took its operand from memory (then GUEST_LINEAR_ADDRESS has it). */
bool vmx_cr_qual_lmsw_from_memory(uint64_t qual);

/* MOV DR exits.  Kept here, not in guest/x86.h, until a second vendor needs it. */
enum dr_access_type {
    DR_ACCESS_MOV_TO_DR = 0,
    DR_ACCESS_MOV_FROM_DR = 1,
};

struct dr_access {
    uint8_t dr;                 /* 0-7 */
    enum dr_access_type type;
    enum x86_gpr gpr;
};

void vmx_decode_dr_qual(uint64_t qual, struct dr_access *out);

/* EPT violations.  gpa is GUEST_PHYSICAL_ADDRESS, gla GUEST_LINEAR_ADDRESS
 * (only stored when bit 7 says it is valid; out->gla is 0 otherwise).
 * out->during_walk is true only when the CPU says the access was to a guest
 * paging-structure entry (bit 7 = 1, bit 8 = 0). */
void vmx_decode_ept_violation(uint64_t qual, uint64_t gpa, uint64_t gla, struct gpa_fault *out);
/* Bit 2: the access was an instruction fetch.  Inline: the MMIO exit path
 * asks only this before it emulates. */
static inline bool vmx_ept_qual_fetch(uint64_t qual)
{
    return (qual & EPT_QUAL_INSTRUCTION_FETCH) != 0;
}
/* Bit 12: the EPT violation hit during an IRET that had unblocked NMIs; before
 * re-entering the guest the VMM must set "blocking by NMI" again (SDM 28.2.3). */
bool vmx_ept_qual_nmi_unblocking(uint64_t qual);

/*
 * VM_EXIT_INTR_INFO (with VM_EXIT_INTR_ERROR_CODE) or IDT_VECTORING_INFO_FIELD
 * (with IDT_VECTORING_ERROR_CODE).  When the valid bit is clear every other
 * field is undefined, so *out decodes as all-zero with valid = false.
 * error_code is stored only when bit 11 says it is valid.
 */
void vmx_decode_intr_info(uint32_t info, uint32_t error_code, struct x86_event *out);
/* Bit 31: the information is valid.  Inline, for exits that only look. */
static inline bool vmx_intr_info_valid(uint32_t info)
{
    return (info & INTR_INFO_VALID) != 0;
}
/* Bit 12 of VM_EXIT_INTR_INFO: the exit came from a fault in an IRET that had
 * unblocked NMIs (SDM 28.2.3).  Undefined in IDT-vectoring information. */
bool vmx_intr_info_nmi_unblocking(uint32_t info);

/*
 * The VM_ENTRY_INTR_INFO_FIELD value that injects *ev (SDM 25.8.3); 0 when
 * ev->valid is false.  The error code itself goes to
 * VM_ENTRY_EXCEPTION_ERROR_CODE, and software interrupts/exceptions also need
 * VM_ENTRY_INSTRUCTION_LEN: both are the caller's job.  Whether the event
 * may carry an error code is checked by the CPU (SDM 27.2.1.3), not here.
 * Re-injecting an IDT-vectoring event is encode(decode(idt_info)): bit 12,
 * reserved on entry, is dropped.
 */
uint32_t vmx_encode_entry_intr_info(const struct x86_event *ev);

/* The guest interrupt status field (SDM 25.4.2): RVI, the highest vector
 * requested, in bits 7:0 and SVI, the highest in service, in bits 15:8;
 * a negative vector (none) is 0. */
uint16_t vmx_encode_guest_intr_status(int rvi, int svi);

/* APIC-access exits (SDM 28.2.1, table "Exit Qualification for APIC-Access
 * VM Exits from Linear Accesses and Guest-Physical Accesses"). */
enum apic_access_type {
    APIC_ACCESS_LINEAR_READ = 0,            /* during instruction execution */
    APIC_ACCESS_LINEAR_WRITE = 1,
    APIC_ACCESS_LINEAR_FETCH = 2,
    APIC_ACCESS_LINEAR_EVENT_DELIVERY = 3,
    APIC_ACCESS_PHYSICAL_EVENT_DELIVERY = 10,
    APIC_ACCESS_PHYSICAL_INSTRUCTION = 15,  /* a fetch or during instruction execution */
};

struct apic_access {
    enum apic_access_type type;             /* any other value is reserved */
    uint16_t offset;                        /* into the page; 0 for guest-physical types */
};

void vmx_decode_apic_access(uint64_t qual, struct apic_access *out);
/* True for a read or write an instruction made through a linear address:
 * the accesses keel emulates (the others fetch code from, or deliver an
 * event through, the APIC page). */
bool vmx_apic_access_is_data(const struct apic_access *a);
/* APIC-write exits (trap-like): the offset written in the virtual-APIC page. */
uint16_t vmx_decode_apic_write_offset(uint64_t qual);
/* EOI-induced exits (trap-like): the vector the virtual EOI retired. */
uint8_t vmx_decode_virtualized_eoi_vector(uint64_t qual);

/* RDMSR/WRMSR exits: the MSR number is ECX (RCX[63:32] is ignored). */
uint32_t vmx_decode_msr_index(const struct guest_regs *regs);
/* WRMSR exits: the value written is EDX:EAX. */
uint64_t vmx_decode_msr_write_value(const struct guest_regs *regs);

#endif
