/*
 * Decoding of the x86 instructions a guest uses to touch MMIO
 * (guest/insn_decode.c): pure logic, host-tested.
 *
 * An EPT violation reports the guest-physical address of an access but not
 * the instruction that made it, so keel fetches the bytes at guest RIP and
 * hands them to insn_decode().  The instructions understood are those with a
 * memory operand that guests aim at devices, and that kvm-unit-tests'
 * `emulator` test runs on MMIO: MOV in all its memory forms, MOVZX/MOVSX, the
 * string instructions (with REP), the integer arithmetic and logic, bit
 * tests and scans, multiply and divide, XCHG/XADD/CMPXCHG, CMOVcc/SETcc,
 * SMSW, LTR, the segment-register moves, the stack instructions, indirect
 * near and far JMP/CALL, rotates and shifts, and the MMX/SSE register moves
 * (enum insn_op).  The result says everything guest/insn_emulate.c needs to
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

/* What an instruction does, from the point of view of its memory operand.
 * The comments give the opcodes (SDM vol. 2 appendix A, opcode maps). */
enum insn_op {
    INSN_MOV_TO_MEM,    /* 88/89, C6/C7 /0, A2/A3: memory <- reg or imm */
    INSN_MOV_FROM_MEM,  /* 8A/8B, A0/A1: reg <- memory */
    INSN_MOVZX,         /* 0F B6/B7: reg <- zero-extended memory */
    INSN_MOVSX,         /* 0F BE/BF, 63 (MOVSXD): reg <- sign-extended memory */
    INSN_STOS,          /* AA/AB: ES:rDI <- rAX, rDI moves on */
    INSN_MOVS,          /* A4/A5: ES:rDI <- seg:rSI, both move on */
    INSN_ALU,           /* ADD/OR/ADC/SBB/AND/SUB/XOR (see alu_op) */
    INSN_TEST,          /* 84/85, F6/F7 /0: flags of AND, no result */
    INSN_CMP,           /* 38-3B, 80/81/83 /7: flags of SUB, no result */
    INSN_XCHG,          /* 86/87: swap memory and reg */
    INSN_INC,           /* FE/FF /0 */
    INSN_DEC,           /* FE/FF /1 */
    INSN_NOT,           /* F6/F7 /2 */
    INSN_NEG,           /* F6/F7 /3 */
    INSN_MUL,           /* F6/F7 /4: rDX:rAX <- rAX * memory, unsigned */
    INSN_IMUL1,         /* F6/F7 /5: the same, signed */
    INSN_DIV,           /* F6/F7 /6: rAX, rDX <- rDX:rAX / memory, unsigned */
    INSN_IDIV,          /* F6/F7 /7: the same, signed */
    INSN_IMUL,          /* 0F AF, 69, 6B: reg <- memory * (reg, or imm) */
    INSN_BT,            /* 0F A3/AB/B3/BB, 0F BA /4-/7 (see bt_op) */
    INSN_BSF,           /* 0F BC */
    INSN_BSR,           /* 0F BD */
    INSN_SHLD,          /* 0F A4/A5: memory <- memory:reg shifted left */
    INSN_SHRD,          /* 0F AC/AD: memory <- reg:memory shifted right */
    INSN_XADD,          /* 0F C0/C1 */
    INSN_CMPXCHG,       /* 0F B0/B1 */
    INSN_CMPS,          /* A6/A7: flags of seg:rSI - ES:rDI, both move on */
    INSN_SCAS,          /* AE/AF: flags of rAX - ES:rDI, rDI moves on */
    INSN_LODS,          /* AC/AD: rAX <- seg:rSI, rSI moves on */
    INSN_SMSW,          /* 0F 01 /4: m16 <- CR0[15:0] */
    INSN_CMOV,          /* 0F 40-4F: reg <- memory if cond */
    INSN_SETCC,         /* 0F 90-9F: m8 <- cond */
    INSN_PUSH,          /* FF /6, 50+r, 6A, 68: stack <- memory, reg or imm */
    INSN_POP,           /* 8F /0, 58+r: memory or reg <- stack */
    INSN_RET,           /* C3, C2: RIP <- stack (then rSP += imm) */
    INSN_LEAVE,         /* C9: rSP <- rBP, rBP <- stack */
    INSN_ENTER,         /* C8: stack <- rBP (and outer frame pointers), rBP <- frame, rSP -= imm */
    INSN_JMP_NEAR,      /* FF /4: RIP <- memory */
    INSN_CALL_NEAR,     /* FF /2: stack <- next RIP, RIP <- memory */
    INSN_VEC_LOAD,      /* MMX/SSE register <- memory (see vec_*) */
    INSN_VEC_STORE,     /* memory <- MMX/SSE register */
    INSN_LTR,           /* 0F 00 /3: TR <- the TSS the m16 selector names */
    INSN_MOV_FROM_SREG, /* 8C: m16 <- the selector of sreg */
    INSN_MOV_TO_SREG,   /* 8E: sreg <- the segment the m16 selector names */
    INSN_JMP_FAR,       /* FF /5: CS:rIP <- m16:16, m16:32 or m16:64 */
    INSN_CALL_FAR,      /* FF /3: stack <- CS, next rIP; then as JMP far */
    INSN_RET_FAR,       /* CB, CA: rIP, CS <- stack (then rSP += imm) */
    INSN_SHIFT,         /* C0/C1, D0-D3: rotate or shift memory (see shift_op) */
};

/* The arithmetic of INSN_ALU, numbered as the ModRM reg field of the
 * immediate group 80/81/83 numbers it (SDM vol. 2A table A-6, group 1). */
enum alu_op {
    ALU_ADD = 0,
    ALU_OR = 1,
    ALU_ADC = 2,
    ALU_SBB = 3,
    ALU_AND = 4,
    ALU_SUB = 5,
    ALU_XOR = 6,
};

/* The bit operation of INSN_BT, numbered as group 8 (0F BA) numbers it. */
enum bt_op {
    BT_TEST = 4,        /* BT: CF <- bit */
    BT_SET = 5,         /* BTS */
    BT_RESET = 6,       /* BTR */
    BT_COMPLEMENT = 7,  /* BTC */
};

/* The operation of INSN_SHIFT, numbered as group 2 numbers it (SDM vol. 2A
 * table A-6); /6 is not listed there and is refused. */
enum shift_op {
    SHIFT_ROL = 0,
    SHIFT_ROR = 1,
    SHIFT_RCL = 2,      /* through CF */
    SHIFT_RCR = 3,
    SHIFT_SHL = 4,      /* SAL */
    SHIFT_SHR = 5,
    SHIFT_SAR = 7,
};

/* The register file of INSN_VEC_LOAD/STORE. */
enum vec_file {
    VEC_MMX,            /* MM0-MM7, 8 bytes (an x87 state change too) */
    VEC_XMM,            /* XMM0-XMM15, 16 bytes */
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
    enum cpu_mode mode;         /* the mode it was decoded for */
    enum insn_op op;
    enum alu_op alu;            /* INSN_ALU only */
    enum bt_op bt;              /* INSN_BT only */
    enum shift_op shift;        /* INSN_SHIFT only */
    enum x86_seg sreg;          /* INSN_MOV_FROM_SREG, INSN_MOV_TO_SREG */
    uint8_t cond;               /* INSN_CMOV, INSN_SETCC: the condition, as the low
                                 * nibble of the opcode numbers it (SDM vol. 1 B.1) */

    uint8_t op_size;            /* 1, 2, 4, 8 or 16: size of the operation and of reg
                                 * (of the offset for the far branches) */
    uint8_t mem_size;           /* size of the memory access: op_size, except 1 or
                                 * 2 for MOVZX/MOVSX, 2 for SMSW, LTR and the
                                 * segment-register moves, 4 for MOVSXD, 4 or 8
                                 * for MOVSS/MOVSD; the far branches' pointer is
                                 * mem_size bytes of offset and a 16-bit
                                 * selector after them */

    /* The memory operand is the destination (first operand, "ADD m, r")
     * rather than the source ("ADD r, m"). */
    bool dst_is_mem;
    /* The instruction has a ModRM memory operand in mem (false for the
     * stack-only forms PUSH reg/imm, POP reg, RET, LEAVE, ENTER). */
    bool has_mem;

    /* The register operand.  reg_high_byte: with op_size 1 and no REX prefix,
     * encodings 4-7 name AH, CH, DH, BH (SDM vol. 1 3.4.1.1, vol. 2A 2.2.1.2); reg
     * is then GPR_RAX..GPR_RBX and the byte is bits 15:8 of that register.
     * STOS, LODS, SCAS and the moffs MOVs use rAX.  For INSN_VEC_* reg is the
     * MMX or XMM register number. */
    bool has_reg;
    enum x86_gpr reg;
    bool reg_high_byte;

    /* The immediate, sign-extended from its encoded width to 64 bits; the
     * operation uses its low op_size bytes.  RET (near and far) and ENTER:
     * the 16-bit size,
     * zero-extended; ENTER's nesting level is imm2.  The shifts by 1 (D0,
     * D1) have imm = 1 with length counting no immediate byte. */
    bool has_imm;
    int64_t imm;
    uint8_t imm2;

    /* SHLD/SHRD and the shifts: the count is CL rather than imm. */
    bool count_cl;

    /* INSN_VEC_*: the register file, and whether the memory operand must be
     * aligned on its size (MOVAPS, MOVAPD, MOVDQA: #GP(0) otherwise).  A
     * mem_size below op_size (MOVSS, MOVSD) moves the register's low bytes;
     * a load clears the rest of the register. */
    enum vec_file vec;
    bool vec_aligned;

    /* The memory operand; for STOS, SCAS and MOVS/CMPS the destination ES:rDI. */
    struct insn_mem mem;
    /* MOVS, CMPS and LODS: the source, DS:rSI unless a segment override applies. */
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
