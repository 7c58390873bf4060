/* Host tests for vmx/exit_qual.c: every field of every decoder, with values
 * encoded by hand from the SDM vol. 3C 28.2 tables (and 25.8.3 for entry). */
#include "tests/unit/unit.h"

#include "vmx/exit_qual.c"

/* ---- Exit reason ------------------------------------------------------ */

TEST(exit_reason_failed_entry_invalid_guest_state)
{
    struct vmx_exit_reason r;

    /* SDM 27.8: basic reason 33, bit 31 set, bits 30:16 clear. */
    vmx_decode_exit_reason(0x80000021u, &r);
    CHECK_EQ_U(r.basic, EXIT_REASON_INVALID_GUEST_STATE);
    CHECK(r.failed_vmentry);
    CHECK(!r.enclave_mode);
    CHECK(!r.pending_mtf);
    CHECK(!r.from_vmx_root);
    CHECK_EQ_U(vmx_exit_reason_basic(0x80000021u), 33);
    CHECK(vmx_exit_reason_is_failed_vmentry(0x80000021u));
    CHECK(vmx_exit_reason_is_failed_vmentry(0x80000022u));   /* MSR loading */
    CHECK_EQ_U(vmx_exit_reason_basic(0x80000029u), EXIT_REASON_MACHINE_CHECK);
}

TEST(exit_reason_ordinary_exits)
{
    struct vmx_exit_reason r;

    vmx_decode_exit_reason(0x0000000cu, &r);                 /* HLT */
    CHECK_EQ_U(r.basic, EXIT_REASON_HLT);
    CHECK(!r.failed_vmentry);
    CHECK(!vmx_exit_reason_is_failed_vmentry(0x0000000cu));

    vmx_decode_exit_reason(0x10000024u, &r);                 /* MWAIT, pending MTF */
    CHECK_EQ_U(r.basic, EXIT_REASON_MWAIT);
    CHECK(r.pending_mtf);
    CHECK(!r.from_vmx_root && !r.enclave_mode && !r.failed_vmentry);

    vmx_decode_exit_reason(0x20000012u, &r);                 /* VMCALL from VMX root (SMM) */
    CHECK_EQ_U(r.basic, EXIT_REASON_VMCALL);
    CHECK(r.from_vmx_root);
    CHECK(!r.pending_mtf && !r.enclave_mode && !r.failed_vmentry);

    vmx_decode_exit_reason(0x08000001u, &r);                 /* interrupt in an enclave */
    CHECK_EQ_U(r.basic, EXIT_REASON_EXTERNAL_INTERRUPT);
    CHECK(r.enclave_mode);
    CHECK(!r.pending_mtf && !r.from_vmx_root && !r.failed_vmentry);
}

/* ---- I/O instructions ------------------------------------------------- */

TEST(io_out_dx_al)
{
    struct pio_access a;

    /* OUT DX, AL with DX = 0x3f8: size 0, OUT, not string, DX operand. */
    vmx_decode_io_qual(0x03f80000u, 0, true, 4, &a);
    CHECK_EQ_U(a.port, 0x3f8);
    CHECK_EQ_U(a.size, 1);
    CHECK(!a.in);
    CHECK(!a.string);
    CHECK(!a.rep);
    CHECK(!vmx_io_qual_port_is_immediate(0x03f80000u));
}

TEST(io_in_al_imm8)
{
    struct pio_access a;

    /* IN AL, 0x60: size 0, IN (bit 3), immediate operand (bit 6). */
    vmx_decode_io_qual(0x00600048u, 0, true, 4, &a);
    CHECK_EQ_U(a.port, 0x60);
    CHECK_EQ_U(a.size, 1);
    CHECK(a.in);
    CHECK(!a.string);
    CHECK(vmx_io_qual_port_is_immediate(0x00600048u));
}

TEST(io_in_eax_dx_and_out_ax)
{
    struct pio_access a;

    vmx_decode_io_qual(0x0cfc000bu, 0, true, 4, &a);         /* IN EAX, DX (0xcfc) */
    CHECK_EQ_U(a.port, 0xcfc);
    CHECK_EQ_U(a.size, 4);
    CHECK(a.in);

    vmx_decode_io_qual(0xffff0001u, 0, true, 4, &a);         /* OUT DX, AX to 0xffff */
    CHECK_EQ_U(a.port, 0xffff);
    CHECK_EQ_U(a.size, 2);
    CHECK(!a.in);
}

TEST(io_undefined_size_encoding_is_zero)
{
    struct pio_access a;

    vmx_decode_io_qual(0x00800002u, 0, true, 4, &a);         /* size field 2: not used */
    CHECK_EQ_U(a.size, 0);
    CHECK_EQ_U(a.port, 0x80);
}

TEST(io_rep_outsw_with_instruction_info)
{
    struct pio_access a;

    /* REP OUTSW to 0x1f0: size 1, OUT, string, REP.  Instruction info:
     * 32-bit addresses (9:7 = 1), segment DS (17:15 = 3). */
    vmx_decode_io_qual(0x01f00031u, 0x00018080u, true, 8, &a);
    CHECK_EQ_U(a.port, 0x1f0);
    CHECK_EQ_U(a.size, 2);
    CHECK(!a.in);
    CHECK(a.string);
    CHECK(a.rep);
    CHECK_EQ_U(a.addr_size, 4);
    CHECK_EQ_U(a.seg, SEG_DS);

    /* The same with an FS override (17:15 = 4) and 16-bit addresses. */
    vmx_decode_io_qual(0x01f00031u, 0x00020000u, true, 8, &a);
    CHECK_EQ_U(a.addr_size, 2);
    CHECK_EQ_U(a.seg, SEG_FS);

    /* 64-bit addresses, CS, SS and GS overrides. */
    vmx_decode_io_qual(0x01f00031u, 0x00008100u, true, 4, &a);
    CHECK_EQ_U(a.addr_size, 8);
    CHECK_EQ_U(a.seg, SEG_CS);
    vmx_decode_io_qual(0x01f00031u, 0x00010100u, true, 4, &a);
    CHECK_EQ_U(a.seg, SEG_SS);
    vmx_decode_io_qual(0x01f00031u, 0x00028100u, true, 4, &a);
    CHECK_EQ_U(a.seg, SEG_GS);
    /* ES override on OUTS is legal and reported as 0. */
    vmx_decode_io_qual(0x01f00031u, 0x00000100u, true, 4, &a);
    CHECK_EQ_U(a.seg, SEG_ES);
}

TEST(io_outsb_without_rep)
{
    struct pio_access a;

    vmx_decode_io_qual(0x00e90010u, 0x00018100u, true, 8, &a);   /* OUTSB to 0xe9 */
    CHECK(a.string);
    CHECK(!a.rep);
    CHECK_EQ_U(a.size, 1);
    CHECK_EQ_U(a.port, 0xe9);
}

TEST(io_rep_insd_always_uses_es)
{
    struct pio_access a;

    /* REP INSD from 0x1f0: size 3, IN, string, REP.  Instruction info has
     * 64-bit addresses and garbage in the (undefined for INS) segment bits. */
    vmx_decode_io_qual(0x01f0003bu, 0x00028100u, true, 4, &a);
    CHECK_EQ_U(a.size, 4);
    CHECK(a.in);
    CHECK(a.string);
    CHECK(a.rep);
    CHECK_EQ_U(a.addr_size, 8);
    CHECK_EQ_U(a.seg, SEG_ES);
}

TEST(io_string_without_instruction_info_uses_defaults)
{
    struct pio_access a;

    /* IA32_VMX_BASIC[54] = 0: the info field must not be looked at. */
    vmx_decode_io_qual(0x01f00031u, 0x00020000u, false, 8, &a);
    CHECK_EQ_U(a.addr_size, 8);
    CHECK_EQ_U(a.seg, SEG_DS);
    vmx_decode_io_qual(0x01f0003bu, 0x00020000u, false, 2, &a);
    CHECK_EQ_U(a.addr_size, 2);
    CHECK_EQ_U(a.seg, SEG_ES);
}

TEST(io_undefined_info_encodings_fall_back)
{
    struct pio_access a;

    /* Address size 3 and segment 7 are not used by the CPU. */
    vmx_decode_io_qual(0x01f00031u, 0x00038180u, true, 4, &a);
    CHECK_EQ_U(a.addr_size, 4);
    CHECK_EQ_U(a.seg, SEG_DS);
}

TEST(io_non_string_ignores_instruction_info)
{
    struct pio_access a;

    /* For IN/OUT the info field is undefined: garbage must not leak in. */
    vmx_decode_io_qual(0x03f80000u, 0xffffffffu, true, 4, &a);
    CHECK_EQ_U(a.addr_size, 4);
    CHECK_EQ_U(a.seg, SEG_DS);
    CHECK(!a.rep);
    /* Bit 5 without bit 4 (not produced by CPUs) does not make a REP. */
    vmx_decode_io_qual(0x03f80020u, 0, true, 4, &a);
    CHECK(!a.rep);
}

/* ---- Control registers ------------------------------------------------ */

TEST(cr_mov_to_cr3_from_rax)
{
    struct cr_access c;

    vmx_decode_cr_qual(0x3u, &c);
    CHECK_EQ_U(c.cr, 3);
    CHECK_EQ_U(c.type, CR_ACCESS_MOV_TO_CR);
    CHECK_EQ_U(c.gpr, GPR_RAX);
}

TEST(cr_mov_from_cr0_to_r12_and_to_cr8_from_r15)
{
    struct cr_access c;

    vmx_decode_cr_qual(0xc10u, &c);                          /* MOV R12, CR0 */
    CHECK_EQ_U(c.cr, 0);
    CHECK_EQ_U(c.type, CR_ACCESS_MOV_FROM_CR);
    CHECK_EQ_U(c.gpr, GPR_R12);

    vmx_decode_cr_qual(0xf08u, &c);                          /* MOV CR8, R15 */
    CHECK_EQ_U(c.cr, 8);
    CHECK_EQ_U(c.type, CR_ACCESS_MOV_TO_CR);
    CHECK_EQ_U(c.gpr, GPR_R15);

    vmx_decode_cr_qual(0x414u, &c);                          /* MOV RSP, CR4 */
    CHECK_EQ_U(c.cr, 4);
    CHECK_EQ_U(c.type, CR_ACCESS_MOV_FROM_CR);
    CHECK_EQ_U(c.gpr, GPR_RSP);
}

TEST(cr_clts)
{
    struct cr_access c;

    vmx_decode_cr_qual(0x20u, &c);
    CHECK_EQ_U(c.type, CR_ACCESS_CLTS);
    CHECK_EQ_U(c.cr, 0);
    CHECK_EQ_U(c.lmsw_source, 0);
}

TEST(cr_lmsw_register_and_memory)
{
    struct cr_access c;

    vmx_decode_cr_qual(0x00110030u, &c);                     /* LMSW AX, AX = 0x11 */
    CHECK_EQ_U(c.type, CR_ACCESS_LMSW);
    CHECK_EQ_U(c.lmsw_source, 0x11);
    CHECK(!vmx_cr_qual_lmsw_from_memory(0x00110030u));

    vmx_decode_cr_qual(0xfffb0070u, &c);                     /* LMSW [mem] = 0xfffb */
    CHECK_EQ_U(c.type, CR_ACCESS_LMSW);
    CHECK_EQ_U(c.lmsw_source, 0xfffb);
    CHECK(vmx_cr_qual_lmsw_from_memory(0xfffb0070u));
}

/* ---- Debug registers -------------------------------------------------- */

TEST(dr_mov_to_dr7_and_from_dr6)
{
    struct dr_access d;

    vmx_decode_dr_qual(0x107u, &d);                          /* MOV DR7, RCX */
    CHECK_EQ_U(d.dr, 7);
    CHECK_EQ_U(d.type, DR_ACCESS_MOV_TO_DR);
    CHECK_EQ_U(d.gpr, GPR_RCX);

    vmx_decode_dr_qual(0xe16u, &d);                          /* MOV R14, DR6 */
    CHECK_EQ_U(d.dr, 6);
    CHECK_EQ_U(d.type, DR_ACCESS_MOV_FROM_DR);
    CHECK_EQ_U(d.gpr, GPR_R14);
}

/* ---- EPT violations --------------------------------------------------- */

TEST(ept_write_to_read_only_page)
{
    struct gpa_fault f;

    /* Write (1), mapping R-X (3, 5), linear address valid (7) and the access
     * is the translation's final one (8). */
    vmx_decode_ept_violation(0x1aau, 0xfee00000u, 0xffffffffff5fe0b0ull, &f);
    CHECK_EQ_U(f.gpa, 0xfee00000u);
    CHECK(!f.read);
    CHECK(f.write);
    CHECK(!f.fetch);
    CHECK(f.was_readable);
    CHECK(!f.was_writable);
    CHECK(f.was_executable);
    CHECK(f.gla_valid);
    CHECK_EQ_U(f.gla, 0xffffffffff5fe0b0ull);
    CHECK(!f.during_walk);
    CHECK(!vmx_ept_qual_nmi_unblocking(0x1aau));
}

TEST(ept_fetch_from_unmapped_page)
{
    struct gpa_fault f;

    vmx_decode_ept_violation(0x184u, 0x100000u, 0x100000u, &f);
    CHECK(f.fetch);
    CHECK(!f.read && !f.write);
    CHECK(!f.was_readable && !f.was_writable && !f.was_executable);
    CHECK(f.gla_valid);
    CHECK(!f.during_walk);
}

TEST(ept_access_during_guest_page_walk)
{
    struct gpa_fault f;

    /* Reading a guest page-table entry: bit 7 set, bit 8 clear. */
    vmx_decode_ept_violation(0x81u, 0x3000u, 0x7fff0000u, &f);
    CHECK(f.read);
    CHECK(f.gla_valid);
    CHECK(f.during_walk);
    CHECK_EQ_U(f.gla, 0x7fff0000u);
}

TEST(ept_without_linear_address)
{
    struct gpa_fault f;

    /* No linear address (PDPTE load): gla is dropped; bit 8 is undefined and
     * must not turn into "during walk". */
    vmx_decode_ept_violation(0x101u, 0x5000u, 0xdeadbeefu, &f);
    CHECK(f.read);
    CHECK(!f.gla_valid);
    CHECK_EQ_U(f.gla, 0);
    CHECK(!f.during_walk);
    vmx_decode_ept_violation(0x001u, 0x5000u, 0xdeadbeefu, &f);
    CHECK(!f.during_walk);
}

TEST(ept_nmi_unblocking_bit)
{
    CHECK(vmx_ept_qual_nmi_unblocking(0x1184u));
    CHECK(!vmx_ept_qual_nmi_unblocking(0x0184u));
}

/* ---- Interruption information ----------------------------------------- */

TEST(intr_info_page_fault_with_error_code)
{
    struct x86_event e;

    vmx_decode_intr_info(0x80000b0eu, 0x2u, &e);             /* #PF, error code 2 */
    CHECK(e.valid);
    CHECK_EQ_U(e.vector, 14);
    CHECK_EQ_U(e.type, EVENT_HARDWARE_EXCEPTION);
    CHECK(e.has_error_code);
    CHECK_EQ_U(e.error_code, 2);
    CHECK(!vmx_intr_info_nmi_unblocking(0x80000b0eu));
}

TEST(intr_info_each_event_type)
{
    struct x86_event e;

    vmx_decode_intr_info(0x80000020u, 0xffffffffu, &e);      /* external interrupt 0x20 */
    CHECK_EQ_U(e.type, EVENT_EXTERNAL_INTERRUPT);
    CHECK_EQ_U(e.vector, 0x20);
    CHECK(!e.has_error_code);
    CHECK_EQ_U(e.error_code, 0);                             /* not valid: not stored */

    vmx_decode_intr_info(0x80000202u, 0, &e);                /* NMI */
    CHECK_EQ_U(e.type, EVENT_NMI);
    CHECK_EQ_U(e.vector, 2);

    vmx_decode_intr_info(0x80000480u, 0, &e);                /* INT 0x80 */
    CHECK_EQ_U(e.type, EVENT_SOFTWARE_INTERRUPT);
    CHECK_EQ_U(e.vector, 0x80);

    vmx_decode_intr_info(0x80000501u, 0, &e);                /* INT1 (ICEBP) */
    CHECK_EQ_U(e.type, EVENT_PRIVILEGED_SOFTWARE_EXCEPTION);
    CHECK_EQ_U(e.vector, 1);

    vmx_decode_intr_info(0x80000603u, 0, &e);                /* INT3 */
    CHECK_EQ_U(e.type, EVENT_SOFTWARE_EXCEPTION);
    CHECK_EQ_U(e.vector, 3);

    vmx_decode_intr_info(0x80000700u, 0, &e);                /* other event: pending MTF */
    CHECK_EQ_U(e.type, EVENT_OTHER);
    CHECK_EQ_U(e.vector, 0);
}

TEST(intr_info_nmi_unblocking)
{
    struct x86_event e;

    /* #GP during an IRET that unblocked NMIs. */
    vmx_decode_intr_info(0x80001b0du, 0x18u, &e);
    CHECK(e.valid);
    CHECK_EQ_U(e.vector, 13);
    CHECK_EQ_U(e.error_code, 0x18);
    CHECK(vmx_intr_info_nmi_unblocking(0x80001b0du));
    /* Without the valid bit nothing is meaningful. */
    CHECK(!vmx_intr_info_nmi_unblocking(0x00001b0du));
}

TEST(intr_info_invalid_decodes_as_zero)
{
    struct x86_event e;

    memset(&e, 0xa5, sizeof(e));
    vmx_decode_intr_info(0x00000b0eu, 0x1234u, &e);
    CHECK(!e.valid);
    CHECK_EQ_U(e.vector, 0);
    CHECK_EQ_U(e.type, 0);
    CHECK(!e.has_error_code);
    CHECK_EQ_U(e.error_code, 0);
}

TEST(entry_intr_info_encodings)
{
    struct x86_event gp = { true, EVENT_HARDWARE_EXCEPTION, 13, true, 0 };
    struct x86_event irq = { true, EVENT_EXTERNAL_INTERRUPT, 0x30, false, 0 };
    struct x86_event nmi = { true, EVENT_NMI, 2, false, 0 };
    struct x86_event bp = { true, EVENT_SOFTWARE_EXCEPTION, 3, false, 0 };
    struct x86_event mtf = { true, EVENT_OTHER, 0, false, 0 };
    struct x86_event none = { false, EVENT_HARDWARE_EXCEPTION, 14, true, 5 };

    CHECK_EQ_U(vmx_encode_entry_intr_info(&gp), 0x80000b0du);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&irq), 0x80000030u);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&nmi), 0x80000202u);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&bp), 0x80000603u);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&mtf), 0x80000700u);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&none), 0);
}

/* Every valid (type, vector, error-code) combination survives encode/decode,
 * and every valid exit encoding without bit 12 survives decode/encode. */
TEST(intr_info_round_trips_both_directions)
{
    static const enum x86_event_type types[] = {
        EVENT_EXTERNAL_INTERRUPT, EVENT_NMI, EVENT_HARDWARE_EXCEPTION,
        EVENT_SOFTWARE_INTERRUPT, EVENT_PRIVILEGED_SOFTWARE_EXCEPTION,
        EVENT_SOFTWARE_EXCEPTION, EVENT_OTHER,
    };
    int mismatches = 0;

    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        for (unsigned v = 0; v < 256; v++) {
            for (int ec = 0; ec < 2; ec++) {
                struct x86_event in = { true, types[t], (uint8_t)v, ec != 0,
                                        ec ? 0xabcd0000u | v : 0 };
                struct x86_event out;
                uint32_t raw = vmx_encode_entry_intr_info(&in);

                vmx_decode_intr_info(raw, in.error_code, &out);
                if (out.valid != in.valid || out.type != in.type || out.vector != in.vector ||
                    out.has_error_code != in.has_error_code || out.error_code != in.error_code)
                    mismatches++;
                if (vmx_encode_entry_intr_info(&out) != raw)
                    mismatches++;
            }
        }
    }
    CHECK_EQ_I(mismatches, 0);
}

TEST(idt_vectoring_reinjection_drops_nmi_unblocking)
{
    struct x86_event e;

    vmx_decode_intr_info(0x80001b0eu, 0x4u, &e);
    CHECK_EQ_U(vmx_encode_entry_intr_info(&e), 0x80000b0eu);
}

/* ---- MSR accesses ----------------------------------------------------- */

TEST(msr_index_is_ecx)
{
    struct guest_regs r = { { 0 } };

    r.gpr[GPR_RCX] = 0xdeadbeefc0000080ull;
    r.gpr[GPR_RAX] = 0x1b;
    CHECK_EQ_U(vmx_decode_msr_index(&r), 0xc0000080u);
}

TEST(msr_write_value_is_edx_eax)
{
    struct guest_regs r = { { 0 } };

    r.gpr[GPR_RDX] = 0xffffffff00000001ull;
    r.gpr[GPR_RAX] = 0xffffffff12345678ull;
    CHECK_EQ_U(vmx_decode_msr_write_value(&r), 0x0000000112345678ull);
}

/* SDM 28.2.1, "Exit Qualification for APIC-Access VM Exits": offset in
 * bits 11:0 for linear accesses, access type in bits 15:12. */
TEST(apic_access_linear_read_and_write)
{
    struct apic_access a;
    vmx_decode_apic_access(0x00a0, &a);             /* read of PPR */
    CHECK_EQ_U(a.type, APIC_ACCESS_LINEAR_READ);
    CHECK_EQ_U(a.offset, 0xa0);
    CHECK(vmx_apic_access_is_data(&a));
    vmx_decode_apic_access(0x1390, &a);             /* write of the current count */
    CHECK_EQ_U(a.type, APIC_ACCESS_LINEAR_WRITE);
    CHECK_EQ_U(a.offset, 0x390);
    CHECK(vmx_apic_access_is_data(&a));
}

TEST(apic_access_fetch_event_delivery_and_guest_physical)
{
    struct apic_access a;
    vmx_decode_apic_access(0x2ff0, &a);
    CHECK_EQ_U(a.type, APIC_ACCESS_LINEAR_FETCH);
    CHECK_EQ_U(a.offset, 0xff0);
    CHECK(!vmx_apic_access_is_data(&a));
    vmx_decode_apic_access(0x3008, &a);
    CHECK_EQ_U(a.type, APIC_ACCESS_LINEAR_EVENT_DELIVERY);
    CHECK(!vmx_apic_access_is_data(&a));
    /* Guest-physical accesses have no offset: bits 11:0 are undefined. */
    vmx_decode_apic_access(0xa123, &a);
    CHECK_EQ_U(a.type, APIC_ACCESS_PHYSICAL_EVENT_DELIVERY);
    CHECK_EQ_U(a.offset, 0);
    CHECK(!vmx_apic_access_is_data(&a));
    vmx_decode_apic_access(0x1f456, &a);            /* bit 16 set too */
    CHECK_EQ_U(a.type, APIC_ACCESS_PHYSICAL_INSTRUCTION);
    CHECK_EQ_U(a.offset, 0);
}

TEST(apic_write_offset_and_virtualized_eoi_vector)
{
    CHECK_EQ_U(vmx_decode_apic_write_offset(0x380), 0x380);
    CHECK_EQ_U(vmx_decode_apic_write_offset(0xffffffff00000322ull), 0x322);
    CHECK_EQ_U(vmx_decode_virtualized_eoi_vector(0x61), 0x61);
    CHECK_EQ_U(vmx_decode_virtualized_eoi_vector(0x1ff), 0xff);
}

TEST(guest_intr_status_rvi_low_svi_high)
{
    CHECK_EQ_U(vmx_encode_guest_intr_status(0x41, 0x30), 0x3041);
    CHECK_EQ_U(vmx_encode_guest_intr_status(0xff, 0xfe), 0xfeff);
    CHECK_EQ_U(vmx_encode_guest_intr_status(-1, 0x50), 0x5000);
    CHECK_EQ_U(vmx_encode_guest_intr_status(0x22, -1), 0x0022);
    CHECK_EQ_U(vmx_encode_guest_intr_status(-1, -1), 0);
}
