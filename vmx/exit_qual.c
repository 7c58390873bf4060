/*
 * Decoders for VT-x exit reasons, exit qualifications and interruption
 * information (contract and SDM tables in vmx/exit_qual.h).  Pure logic: the
 * raw values come from VMREAD in keel and from SDM-derived tables in
 * tests/unit/test_exit_qual.c.
 */
#include "vmx/exit_qual.h"

#include "lib/string.h"
#include "vmx/exit_reasons.h"

/* ---- Exit reason ------------------------------------------------------ */

uint16_t vmx_exit_reason_basic(uint32_t raw)
{
    return (uint16_t)(raw & EXIT_REASON_BASIC_MASK);
}

bool vmx_exit_reason_is_failed_vmentry(uint32_t raw)
{
    return (raw & EXIT_REASON_FAILED_VMENTRY) != 0;
}

void vmx_decode_exit_reason(uint32_t raw, struct vmx_exit_reason *out)
{
    out->basic = vmx_exit_reason_basic(raw);
    out->enclave_mode = (raw & EXIT_REASON_ENCLAVE_MODE) != 0;
    out->pending_mtf = (raw & EXIT_REASON_PENDING_MTF) != 0;
    out->from_vmx_root = (raw & EXIT_REASON_FROM_VMX_ROOT) != 0;
    out->failed_vmentry = vmx_exit_reason_is_failed_vmentry(raw);
}

/* ---- I/O instructions ------------------------------------------------- */

/* Bytes for the 9:7 encoding; the fallback for encodings the SDM does not use. */
static uint8_t ins_outs_addr_size(uint32_t instr_info, uint8_t fallback)
{
    switch ((instr_info >> INS_OUTS_INFO_ADDR_SIZE_SHIFT) & INS_OUTS_INFO_ADDR_SIZE_MASK) {
    case INS_OUTS_INFO_ADDR_SIZE_16:
        return 2;
    case INS_OUTS_INFO_ADDR_SIZE_32:
        return 4;
    case INS_OUTS_INFO_ADDR_SIZE_64:
        return 8;
    default:
        return fallback;
    }
}

/* The 17:15 encoding numbers segments ES, CS, SS, DS, FS, GS exactly as
 * enum x86_seg does; 6 and 7 are not used and fall back to DS. */
static enum x86_seg ins_outs_segment(uint32_t instr_info)
{
    uint32_t seg = (instr_info >> INS_OUTS_INFO_SEGMENT_SHIFT) & INS_OUTS_INFO_SEGMENT_MASK;

    return seg < NR_SEGS ? (enum x86_seg)seg : SEG_DS;
}

bool vmx_io_qual_port_is_immediate(uint64_t qual)
{
    return (qual & IO_QUAL_OPERAND_IMMEDIATE) != 0;
}

void vmx_decode_io_qual(uint64_t qual, uint32_t instr_info, bool ins_outs_info_valid,
                        uint8_t default_addr_size, struct pio_access *out)
{
    *out = (struct pio_access){ 0 };
    out->port = vmx_io_qual_port(qual);
    out->size = vmx_io_qual_size(qual);
    out->in = vmx_io_qual_in(qual);
    out->string = vmx_io_qual_string(qual);
    out->rep = out->string && (qual & IO_QUAL_REP) != 0;

    /* The instruction-information field is defined for INS/OUTS only, and
     * only when IA32_VMX_BASIC[54] says the CPU fills it (SDM A.1). */
    bool use_info = out->string && ins_outs_info_valid;

    out->addr_size = use_info ? ins_outs_addr_size(instr_info, default_addr_size)
                              : default_addr_size;
    /* INS always stores through ES (no override possible); the segment bits
     * are undefined for INS (SDM 28.2.5). */
    if (out->in)
        out->seg = SEG_ES;
    else
        out->seg = use_info ? ins_outs_segment(instr_info) : SEG_DS;
}

/* ---- Control-register and debug-register accesses --------------------- */

bool vmx_cr_qual_lmsw_from_memory(uint64_t qual)
{
    return (qual & CR_QUAL_LMSW_MEMORY_OPERAND) != 0;
}

void vmx_decode_cr_qual(uint64_t qual, struct cr_access *out)
{
    out->cr = (uint8_t)(qual & CR_QUAL_CR_MASK);
    out->type = (enum cr_access_type)((qual >> CR_QUAL_ACCESS_TYPE_SHIFT) &
                                      CR_QUAL_ACCESS_TYPE_MASK);
    out->gpr = (enum x86_gpr)((qual >> CR_QUAL_GPR_SHIFT) & CR_QUAL_GPR_MASK);
    out->lmsw_source = (uint16_t)((qual >> CR_QUAL_LMSW_SOURCE_SHIFT) & CR_QUAL_LMSW_SOURCE_MASK);
}

void vmx_decode_dr_qual(uint64_t qual, struct dr_access *out)
{
    out->dr = (uint8_t)(qual & DR_QUAL_DR_MASK);
    out->type = (qual & DR_QUAL_DIRECTION_FROM_DR) ? DR_ACCESS_MOV_FROM_DR : DR_ACCESS_MOV_TO_DR;
    out->gpr = (enum x86_gpr)((qual >> DR_QUAL_GPR_SHIFT) & DR_QUAL_GPR_MASK);
}

/* ---- EPT violations --------------------------------------------------- */

bool vmx_ept_qual_nmi_unblocking(uint64_t qual)
{
    return (qual & EPT_QUAL_NMI_UNBLOCKING) != 0;
}

void vmx_decode_ept_violation(uint64_t qual, uint64_t gpa, uint64_t gla, struct gpa_fault *out)
{
    out->gpa = gpa;
    out->read = (qual & EPT_QUAL_DATA_READ) != 0;
    out->write = (qual & EPT_QUAL_DATA_WRITE) != 0;
    out->fetch = (qual & EPT_QUAL_INSTRUCTION_FETCH) != 0;
    out->was_readable = (qual & EPT_QUAL_READABLE) != 0;
    out->was_writable = (qual & EPT_QUAL_WRITABLE) != 0;
    out->was_executable = (qual & EPT_QUAL_EXECUTABLE) != 0;
    out->gla_valid = (qual & EPT_QUAL_GLA_VALID) != 0;
    out->gla = out->gla_valid ? gla : 0;
    /* Bit 8 is defined only when bit 7 is 1; without a linear address the
     * access was not part of the guest's linear translation at all (e.g. a
     * PDPTE load by MOV to CR3), so it is not "during the walk" either. */
    out->during_walk = out->gla_valid && (qual & EPT_QUAL_GLA_TRANSLATION) == 0;
}

/* ---- Interruption information ----------------------------------------- */

bool vmx_intr_info_nmi_unblocking(uint32_t info)
{
    return (info & INTR_INFO_VALID) && (info & INTR_INFO_NMI_UNBLOCKING);
}

void vmx_decode_intr_info(uint32_t info, uint32_t error_code, struct x86_event *out)
{
    *out = (struct x86_event){ 0 };
    if (!(info & INTR_INFO_VALID))
        return;
    out->valid = true;
    out->vector = (uint8_t)(info & INTR_INFO_VECTOR_MASK);
    out->type = (enum x86_event_type)((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK);
    out->has_error_code = (info & INTR_INFO_ERROR_CODE_VALID) != 0;
    if (out->has_error_code)
        out->error_code = error_code;
}

uint32_t vmx_encode_entry_intr_info(const struct x86_event *ev)
{
    if (!ev->valid)
        return 0;
    return INTR_INFO_VALID | ev->vector |
           (((uint32_t)ev->type & INTR_INFO_TYPE_MASK) << INTR_INFO_TYPE_SHIFT) |
           (ev->has_error_code ? INTR_INFO_ERROR_CODE_VALID : 0);
}

/* ---- APIC virtualization ---------------------------------------------- */

#define GUEST_INTR_STATUS_SVI_SHIFT 8

uint16_t vmx_encode_guest_intr_status(int rvi, int svi)
{
    uint8_t requested = rvi < 0 ? 0 : (uint8_t)rvi, in_service = svi < 0 ? 0 : (uint8_t)svi;
    return (uint16_t)(in_service << GUEST_INTR_STATUS_SVI_SHIFT | requested);
}

void vmx_decode_apic_access(uint64_t qual, struct apic_access *out)
{
    out->type = (enum apic_access_type)((qual >> APIC_ACCESS_QUAL_TYPE_SHIFT) &
                                        APIC_ACCESS_QUAL_TYPE_MASK);
    /* Bits 11:0 are the offset only for linear accesses. */
    bool linear = out->type <= APIC_ACCESS_LINEAR_EVENT_DELIVERY;
    out->offset = linear ? (uint16_t)(qual & APIC_ACCESS_QUAL_OFFSET_MASK) : 0;
}

bool vmx_apic_access_is_data(const struct apic_access *a)
{
    return a->type == APIC_ACCESS_LINEAR_READ || a->type == APIC_ACCESS_LINEAR_WRITE;
}

uint16_t vmx_decode_apic_write_offset(uint64_t qual)
{
    return (uint16_t)(qual & APIC_WRITE_QUAL_OFFSET_MASK);
}

uint8_t vmx_decode_virtualized_eoi_vector(uint64_t qual)
{
    return (uint8_t)(qual & VIRTUALIZED_EOI_QUAL_VECTOR_MASK);
}

/* ---- MSR accesses ----------------------------------------------------- */

uint32_t vmx_decode_msr_index(const struct guest_regs *regs)
{
    return (uint32_t)regs->gpr[GPR_RCX];
}

uint64_t vmx_decode_msr_write_value(const struct guest_regs *regs)
{
    return ((regs->gpr[GPR_RDX] & 0xffffffffull) << 32) | (regs->gpr[GPR_RAX] & 0xffffffffull);
}
