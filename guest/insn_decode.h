/*
 * Decoding of the x86 instructions a guest uses to touch MMIO
 * (guest/insn_decode.c): pure logic, host-tested.
 *
 * An EPT violation reports the guest-physical address of an access but not
 * the instruction that made it, so keel fetches the bytes at guest RIP and
 * hands them to insn_decode().  Only instructions with a memory operand that a
 * driver plausibly aims at a device register are understood: MOV in all its
 * memory forms, MOVZX/MOVSX, STOS/MOVS (with REP), ADD/OR/AND/SUB/XOR/CMP,
 * TEST and XCHG.  The result says everything guest/insn_emulate.c needs to
 * carry the instruction out; everything else is refused with a distinct
 * error so that keel can stop the VM naming the bytes it could not emulate.
 */
#ifndef KEEL_GUEST_INSN_DECODE_H
#define KEEL_GUEST_INSN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/x86.h"

/* An instruction is at most 15 bytes long, prefixes included; a longer one
 * raises #GP (SDM vol. 2A 2.3.11; vol. 3A "Interrupt 13 - #GP"). */
#define INSN_MAX_LENGTH 15

/*
 * The default operand and address size of the code segment (SDM vol. 3A
 * 5.2.1 and vol. 1 3.6 "operand-size and address-size attributes"): 64-bit
 * mode when IA32_EFER.LMA = 1 and CS.L = 1, otherwise CS.D picks 32 or 16
 * (real and virtual-8086 mode have CS.D = 0).
 */
enum cpu_mode {
    CPU_MODE_16,
    CPU_MODE_32,
    CPU_MODE_64,
};

enum cpu_mode cpu_mode_from_cs(bool efer_lma, bool cs_l, bool cs_d);

/* What an instruction does, from the point of view of its memory operand. */
enum insn_op {
    INSN_MOV_TO_MEM,    /* 88/89, C6/C7 /0, A2/A3: memory <- reg or imm */
    INSN_MOV_FROM_MEM,  /* 8A/8B, A0/A1: reg <- memory */
    INSN_MOVZX,         /* 0F B6/B7: reg <- zero-extended memory */
    INSN_MOVSX,         /* 0F BE/BF: reg <- sign-extended memory */
    INSN_STOS,          /* AA/AB: ES:rDI <- rAX, rDI moves on */
    INSN_MOVS,          /* A4/A5: ES:rDI <- seg:rSI, both move on */
    INSN_ALU,           /* ADD/OR/AND/SUB/XOR (see alu_op) */
    INSN_TEST,          /* 84/85, F6/F7 /0: flags of AND, no result */
    INSN_CMP,           /* 38-3B, 80/81/83 /7: flags of SUB, no result */
    INSN_XCHG,          /* 86/87: swap memory and reg */
};

/* The arithmetic of INSN_ALU, numbered as the ModRM reg field of the
 * immediate group 80/81/83 numbers it (SDM vol. 2A table A-6, group 1). */
enum alu_op {
    ALU_ADD = 0,
    ALU_OR = 1,
    ALU_AND = 4,
    ALU_SUB = 5,
    ALU_XOR = 6,
};

/* REP prefixes as they were written; STOS and MOVS repeat under either. */
enum insn_rep {
    INSN_REP_NONE,
    INSN_REP_E,         /* F3 REP / REPE */
    INSN_REP_NE,        /* F2 REPNE */
};

/*
 * A memory operand: seg:[base + index * scale + disp], computed in addr_size
 * bytes (2, 4 or 8) and truncated to that width.  rip_relative operands have
 * no base or index: the address is disp plus the RIP of the next instruction.
 * For the moffs forms of MOV, disp holds the offset, zero-extended.  seg is
 * the effective segment: the override if there is one that applies (in 64-bit
 * mode only FS and GS overrides do; SDM vol. 2A 2.1.1), else the default (SS
 * for a base of rSP or rBP, DS otherwise; ES:rDI for string destinations).
 */
struct insn_mem {
    enum x86_seg seg;
    bool has_base;
    enum x86_gpr base;
    bool has_index;
    enum x86_gpr index;
    uint8_t scale;              /* 1, 2, 4 or 8 */
    int64_t disp;
    uint8_t addr_size;          /* 2, 4 or 8 */
    bool rip_relative;
};

struct insn {
    uint8_t length;             /* bytes, prefixes included */
    enum insn_op op;
    enum alu_op alu;            /* INSN_ALU only */

    uint8_t op_size;            /* 1, 2, 4 or 8: size of the operation and of reg */
    uint8_t mem_size;           /* size of the memory access: op_size, except 1 or
                                 * 2 for MOVZX/MOVSX */

    /* The memory operand is the destination (first operand, "ADD m, r")
     * rather than the source ("ADD r, m"). */
    bool dst_is_mem;

    /* The register operand.  reg_high_byte: with op_size 1 and no REX prefix,
     * encodings 4-7 name AH, CH, DH, BH (SDM vol. 1 3.4.1.1, vol. 2A 2.2.1.2); reg
     * is then GPR_RAX..GPR_RBX and the byte is bits 15:8 of that register.
     * STOS and the moffs MOVs use rAX. */
    bool has_reg;
    enum x86_gpr reg;
    bool reg_high_byte;

    /* The immediate, sign-extended from its encoded width to 64 bits; the
     * operation uses its low op_size bytes. */
    bool has_imm;
    int64_t imm;

    /* The memory operand; for STOS and MOVS the destination ES:rDI. */
    struct insn_mem mem;
    /* MOVS only: the source, DS:rSI unless a segment override applies. */
    struct insn_mem src;

    enum insn_rep rep;
    bool lock;
};

/* insn_decode() results: 0 on success, one of these otherwise. */
enum insn_decode_error {
    INSN_ERR_TRUNCATED = -1,    /* the bytes end inside the instruction */
    INSN_ERR_UNSUPPORTED = -2,  /* not an instruction keel emulates, or a
                                 * register-only form of one */
    INSN_ERR_LOCK = -3,         /* LOCK on a form that does not allow it (#UD) */
    INSN_ERR_TOO_LONG = -4,     /* more than 15 bytes (#GP) */
};

/*
 * Decodes the instruction at bytes[0..len) as a CPU in `mode` would.  Reads
 * no byte at or beyond len (nor beyond INSN_MAX_LENGTH).  Returns 0 and
 * fills *out, or a negative enum insn_decode_error (then *out is
 * unspecified).
 */
int insn_decode(const uint8_t *bytes, size_t len, enum cpu_mode mode, struct insn *out);

/* "truncated", "unsupported", ... for a log line; "?" for other values. */
const char *insn_decode_error_name(int err);

#endif
