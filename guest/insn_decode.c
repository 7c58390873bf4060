/*
 * Decoding of the instructions a guest uses on MMIO: legacy and REX
 * prefixes, the opcodes listed in guest/insn_decode.h, and ModRM/SIB memory
 * operands in 16-, 32- and 64-bit addressing (SDM vol. 2A chapter 2 and
 * appendix A).
 */
#include "guest/insn_decode.h"

/* Legacy prefixes (SDM vol. 2A 2.1.1). */
#define PREFIX_LOCK             0xf0
#define PREFIX_REPNE            0xf2
#define PREFIX_REP              0xf3
#define PREFIX_ES               0x26
#define PREFIX_CS               0x2e
#define PREFIX_SS               0x36
#define PREFIX_DS               0x3e
#define PREFIX_FS               0x64
#define PREFIX_GS               0x65
#define PREFIX_OPERAND_SIZE     0x66
#define PREFIX_ADDRESS_SIZE     0x67

/* REX prefix 0100WRXB (SDM vol. 2A 2.2.1.2, table 2-4). */
#define REX_FIRST               0x40
#define REX_LAST                0x4f
#define REX_W                   0x08    /* 64-bit operand size */
#define REX_R                   0x04    /* extends ModRM.reg */
#define REX_X                   0x02    /* extends SIB.index */
#define REX_B                   0x01    /* extends ModRM.rm and SIB.base */
/* The register number a REX bit adds when it extends a 3-bit field. */
#define REX_EXTENDED_GPR        8

#define OPCODE_TWO_BYTE_ESCAPE  0x0f

/* ModRM.mod (SDM vol. 2A 2.1.5, tables 2-1 and 2-2). */
#define MOD_NO_DISP             0
#define MOD_DISP8               1
#define MOD_DISP_FULL           2
#define MOD_REGISTER            3

/* ModRM.rm / SIB values with a special meaning in 32/64-bit addressing. */
#define RM_SIB                  4       /* a SIB byte follows */
#define RM_DISP32               5       /* with mod 0: disp32 (RIP-relative in 64-bit mode) */
#define SIB_INDEX_NONE          4       /* without REX.X: no index */
#define SIB_BASE_NONE           5       /* with mod 0: no base, disp32 */
/* ModRM.rm meaning "[BP]" in 16-bit addressing: disp16 alone when mod is 0. */
#define RM16_DISP16             6

/* The byte registers 4-7 name AH, CH, DH, BH without REX (SDM vol. 1 3.4.1.1). */
#define GPR_FIRST_HIGH_BYTE     4

/* One-byte ALU opcodes 00-3F: bits 5:3 pick the operation as group 1 numbers
 * it, bits 2:0 the operand form (SDM vol. 2A table A-2). */
#define ALU_OPCODE_LAST         0x3f
#define ALU_OPCODE_OP_SHIFT     3
#define ALU_OPCODE_OP_MASK      7
#define ALU_OPCODE_FORM_MASK    7
enum alu_opcode_form {
    ALU_FORM_EB_GB = 0,         /* op r/m8, r8 */
    ALU_FORM_EV_GV = 1,         /* op r/m, r */
    ALU_FORM_GB_EB = 2,         /* op r8, r/m8 */
    ALU_FORM_GV_EV = 3,         /* op r, r/m */
};
/* Group 1 number of CMP (the others are enum alu_op). */
#define GROUP1_CMP              7

/* Group 3 (F6/F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV (SDM vol. 2A table A-6). */
#define GROUP3_TEST             0
#define GROUP3_TEST_ALIAS       1       /* undocumented */
#define GROUP3_NOT              2
#define GROUP3_NEG              3
#define GROUP3_MUL              4
#define GROUP3_IMUL             5
#define GROUP3_DIV              6
#define GROUP3_IDIV             7
/* Group 4 (FE) and 5 (FF). */
#define GROUP5_INC              0
#define GROUP5_DEC              1
#define GROUP5_CALL_NEAR        2
#define GROUP5_CALL_FAR         3
#define GROUP5_JMP_NEAR         4
#define GROUP5_JMP_FAR          5
#define GROUP5_PUSH             6
/* Group 2 (C0/C1, D0-D3): /6 is not assigned (SDM vol. 2A table A-6). */
#define GROUP2_UNASSIGNED       6
/* Group 1A (8F) and 11 (C6/C7). */
#define GROUP1A_POP             0
#define GROUP11_MOV             0
/* Group 6 (0F 00), 7 (0F 01) and 8 (0F BA). */
#define GROUP6_LTR              3
#define GROUP7_SMSW             4
#define GROUP8_FIRST            4       /* BT; 0-3 are reserved */

/* Opcodes whose low 3 bits name a register (PUSH/POP r, SDM vol. 2A A.2.4). */
#define OPCODE_REG_MASK         7
#define OPCODE_PUSH_REG         0x50
#define OPCODE_POP_REG          0x58
/* The condition of Jcc/SETcc/CMOVcc is the opcode's low nibble. */
#define OPCODE_COND_MASK        0x0f

struct decoder {
    const uint8_t *bytes;
    size_t len;
    size_t pos;
    enum cpu_mode mode;

    bool operand_size_prefix;
    bool address_size_prefix;
    bool has_seg_override;
    enum x86_seg seg_override;
    uint8_t rex;                /* 0 when no REX prefix applies */

    uint8_t operand_size;       /* of a non-byte opcode: 2, 4 or 8 */
    uint8_t address_size;       /* 2, 4 or 8 */
};

enum cpu_mode cpu_mode_from_cs(bool efer_lma, bool cs_l, bool cs_d)
{
    if (efer_lma && cs_l)
        return CPU_MODE_64;
    return cs_d ? CPU_MODE_32 : CPU_MODE_16;
}

const char *insn_decode_error_name(int err)
{
    switch (err) {
    case INSN_ERR_TRUNCATED:
        return "truncated";
    case INSN_ERR_UNSUPPORTED:
        return "unsupported";
    case INSN_ERR_LOCK:
        return "LOCK not allowed";
    case INSN_ERR_TOO_LONG:
        return "longer than 15 bytes";
    default:
        return "?";
    }
}

/* Takes the next byte, refusing to look past the bytes given or past the
 * architectural length limit. */
static int fetch_byte(struct decoder *d, uint8_t *out)
{
    if (d->pos >= INSN_MAX_LENGTH)
        return INSN_ERR_TOO_LONG;
    if (d->pos >= d->len)
        return INSN_ERR_TRUNCATED;
    *out = d->bytes[d->pos++];
    return 0;
}

/* A little-endian field of `size` bytes, zero-extended. */
static int fetch_unsigned(struct decoder *d, unsigned size, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        uint8_t b;
        int err = fetch_byte(d, &b);
        if (err)
            return err;
        v |= (uint64_t)b << (8 * i);
    }
    *out = v;
    return 0;
}

static int64_t sign_extend(uint64_t v, unsigned size)
{
    if (size >= 8)
        return (int64_t)v;
    uint64_t sign = 1ull << (8 * size - 1);
    uint64_t low = v & ((sign << 1) - 1);
    return (int64_t)((low ^ sign) - sign);
}

/* A displacement or immediate: sign-extended from its encoded width. */
static int fetch_signed(struct decoder *d, unsigned size, int64_t *out)
{
    uint64_t v;
    int err = fetch_unsigned(d, size, &v);
    if (err)
        return err;
    *out = sign_extend(v, size);
    return 0;
}

static bool prefix_segment(uint8_t b, enum x86_seg *seg)
{
    switch (b) {
    case PREFIX_ES: *seg = SEG_ES; return true;
    case PREFIX_CS: *seg = SEG_CS; return true;
    case PREFIX_SS: *seg = SEG_SS; return true;
    case PREFIX_DS: *seg = SEG_DS; return true;
    case PREFIX_FS: *seg = SEG_FS; return true;
    case PREFIX_GS: *seg = SEG_GS; return true;
    default: return false;
    }
}

static bool is_rex(const struct decoder *d, uint8_t b)
{
    return d->mode == CPU_MODE_64 && b >= REX_FIRST && b <= REX_LAST;
}

/*
 * Consumes the prefixes and returns the first opcode byte.  Within a group
 * the last prefix wins.  A REX prefix counts only when the opcode follows it
 * directly; one followed by a legacy prefix is ignored (SDM vol. 2A 2.2.1).
 */
static int decode_prefixes(struct decoder *d, struct insn *out, uint8_t *opcode)
{
    for (;;) {
        uint8_t b;
        int err = fetch_byte(d, &b);
        if (err)
            return err;

        if (is_rex(d, b)) {
            d->rex = b;
            continue;
        }

        enum x86_seg seg;
        if (prefix_segment(b, &seg)) {
            d->has_seg_override = true;
            d->seg_override = seg;
        } else if (b == PREFIX_OPERAND_SIZE) {
            d->operand_size_prefix = true;
        } else if (b == PREFIX_ADDRESS_SIZE) {
            d->address_size_prefix = true;
        } else if (b == PREFIX_LOCK) {
            out->lock = true;
        } else if (b == PREFIX_REP) {
            out->rep = INSN_REP_E;
        } else if (b == PREFIX_REPNE) {
            out->rep = INSN_REP_NE;
        } else {
            *opcode = b;
            return 0;
        }
        d->rex = 0;
    }
}

/* SDM vol. 1 3.6 and 3.6.1 (table 3-4): operand size of non-byte opcodes. */
static uint8_t operand_size(const struct decoder *d)
{
    if (d->mode == CPU_MODE_64 && (d->rex & REX_W))
        return 8;
    if (d->mode == CPU_MODE_16)
        return d->operand_size_prefix ? 4 : 2;
    return d->operand_size_prefix ? 2 : 4;
}

/* PUSH, POP and the stack-frame instructions: 64 bits in 64-bit mode unless
 * 66 makes them 16 (SDM vol. 1 6.2.5; there is no 32-bit push there). */
static uint8_t stack_operand_size(const struct decoder *d)
{
    if (d->mode == CPU_MODE_64)
        return d->operand_size_prefix && !(d->rex & REX_W) ? 2 : 8;
    return d->operand_size;
}

static uint8_t address_size(const struct decoder *d)
{
    switch (d->mode) {
    case CPU_MODE_16:
        return d->address_size_prefix ? 4 : 2;
    case CPU_MODE_32:
        return d->address_size_prefix ? 2 : 4;
    default:
        return d->address_size_prefix ? 4 : 8;
    }
}

/* The segment an operand whose default is `dflt` uses.  64-bit mode ignores
 * the CS, DS, ES and SS overrides (SDM vol. 2A 2.1.1). */
static enum x86_seg effective_seg(const struct decoder *d, enum x86_seg dflt)
{
    if (!d->has_seg_override)
        return dflt;
    if (d->mode == CPU_MODE_64 && d->seg_override != SEG_FS &&
        d->seg_override != SEG_GS)
        return dflt;
    return d->seg_override;
}

static enum x86_seg default_seg_for_base(enum x86_gpr base)
{
    return base == GPR_RSP || base == GPR_RBP ? SEG_SS : SEG_DS;
}

static uint8_t modrm_mod(uint8_t modrm) { return modrm >> 6; }
static uint8_t modrm_reg(uint8_t modrm) { return (modrm >> 3) & 7; }
static uint8_t modrm_rm(uint8_t modrm) { return modrm & 7; }
static uint8_t sib_scale(uint8_t sib) { return (uint8_t)(1u << (sib >> 6)); }
static uint8_t sib_index(uint8_t sib) { return (sib >> 3) & 7; }
static uint8_t sib_base(uint8_t sib) { return sib & 7; }

static uint8_t rex_extend(const struct decoder *d, uint8_t rex_bit, uint8_t field)
{
    return (d->rex & rex_bit) ? (uint8_t)(field + REX_EXTENDED_GPR) : field;
}

static int fetch_displacement(struct decoder *d, uint8_t mod, unsigned full_size,
                              int64_t *disp)
{
    switch (mod) {
    case MOD_DISP8:
        return fetch_signed(d, 1, disp);
    case MOD_DISP_FULL:
        return fetch_signed(d, full_size, disp);
    default:
        *disp = 0;
        return 0;
    }
}

/*
 * 16-bit addressing (SDM vol. 2A table 2-1): rm picks one of eight
 * base/index pairs; [BP] with mod 0 means disp16 alone.  Forms based on BP
 * default to SS.
 */
static int decode_mem16(struct decoder *d, uint8_t mod, uint8_t rm, struct insn_mem *m)
{
    static const struct {
        enum x86_gpr base;
        bool has_index;
        enum x86_gpr index;
    } forms[8] = {
        { GPR_RBX, true, GPR_RSI },     /* [BX+SI] */
        { GPR_RBX, true, GPR_RDI },     /* [BX+DI] */
        { GPR_RBP, true, GPR_RSI },     /* [BP+SI] */
        { GPR_RBP, true, GPR_RDI },     /* [BP+DI] */
        { GPR_RSI, false, GPR_RAX },    /* [SI] */
        { GPR_RDI, false, GPR_RAX },    /* [DI] */
        { GPR_RBP, false, GPR_RAX },    /* [BP] */
        { GPR_RBX, false, GPR_RAX },    /* [BX] */
    };

    if (mod == MOD_NO_DISP && rm == RM16_DISP16) {
        m->seg = effective_seg(d, SEG_DS);
        return fetch_signed(d, 2, &m->disp);
    }
    m->has_base = true;
    m->base = forms[rm].base;
    m->has_index = forms[rm].has_index;
    m->index = forms[rm].index;
    m->seg = effective_seg(d, m->base == GPR_RBP ? SEG_SS : SEG_DS);
    return fetch_displacement(d, mod, 2, &m->disp);
}

/* SIB byte (SDM vol. 2A table 2-3): index 100 without REX.X means none; base
 * 101 with mod 0 means no base and a disp32. */
static int decode_sib(struct decoder *d, uint8_t mod, struct insn_mem *m)
{
    uint8_t sib;
    int err = fetch_byte(d, &sib);
    if (err)
        return err;

    uint8_t index = rex_extend(d, REX_X, sib_index(sib));
    if (index != SIB_INDEX_NONE) {
        m->has_index = true;
        m->index = (enum x86_gpr)index;
        m->scale = sib_scale(sib);
    }
    if (mod == MOD_NO_DISP && sib_base(sib) == SIB_BASE_NONE) {
        m->seg = effective_seg(d, SEG_DS);
        return fetch_signed(d, 4, &m->disp);
    }
    m->has_base = true;
    m->base = (enum x86_gpr)rex_extend(d, REX_B, sib_base(sib));
    m->seg = effective_seg(d, default_seg_for_base(m->base));
    return fetch_displacement(d, mod, 4, &m->disp);
}

/* 32- and 64-bit addressing (SDM vol. 2A table 2-2, 2.2.1.6 for RIP-relative). */
static int decode_mem32(struct decoder *d, uint8_t mod, uint8_t rm, struct insn_mem *m)
{
    if (rm == RM_SIB)
        return decode_sib(d, mod, m);
    if (mod == MOD_NO_DISP && rm == RM_DISP32) {
        m->rip_relative = d->mode == CPU_MODE_64;
        m->seg = effective_seg(d, SEG_DS);
        return fetch_signed(d, 4, &m->disp);
    }
    m->has_base = true;
    m->base = (enum x86_gpr)rex_extend(d, REX_B, rm);
    m->seg = effective_seg(d, default_seg_for_base(m->base));
    return fetch_displacement(d, mod, 4, &m->disp);
}

/* Reads ModRM and the memory operand it describes; returns the reg field
 * (not yet REX-extended).  Register-only forms cannot touch MMIO. */
static int decode_modrm_mem(struct decoder *d, struct insn *out, uint8_t *reg_field)
{
    uint8_t modrm;
    int err = fetch_byte(d, &modrm);
    if (err)
        return err;

    uint8_t mod = modrm_mod(modrm);
    if (mod == MOD_REGISTER)
        return INSN_ERR_UNSUPPORTED;

    *reg_field = modrm_reg(modrm);
    out->has_mem = true;
    out->mem.addr_size = d->address_size;
    out->mem.scale = 1;
    if (d->address_size == 2)
        return decode_mem16(d, mod, modrm_rm(modrm), &out->mem);
    return decode_mem32(d, mod, modrm_rm(modrm), &out->mem);
}

/* The register operand named by ModRM.reg at the instruction's op_size. */
static void set_reg_operand(const struct decoder *d, struct insn *out, uint8_t reg_field)
{
    uint8_t reg = rex_extend(d, REX_R, reg_field);

    out->has_reg = true;
    if (out->op_size == 1 && d->rex == 0 && reg >= GPR_FIRST_HIGH_BYTE) {
        out->reg = (enum x86_gpr)(reg - GPR_FIRST_HIGH_BYTE);
        out->reg_high_byte = true;
    } else {
        out->reg = (enum x86_gpr)reg;
    }
}

/* Byte opcodes have an even number in each pair below; the odd one uses the
 * current operand size (the "w" bit, SDM vol. 2A B.1.4.3). */
static uint8_t size_of_pair(const struct decoder *d, uint8_t opcode)
{
    return (opcode & 1) ? d->operand_size : 1;
}

/* Size of an Iz immediate: 16 or 32 bits, sign-extended to 64 with REX.W. */
static unsigned imm_z_size(uint8_t op_size)
{
    return op_size > 4 ? 4 : op_size;
}

/* "op r/m, r" or "op r, r/m" with a ModRM memory operand. */
static int decode_modrm_reg_form(struct decoder *d, struct insn *out, enum insn_op op,
                                 uint8_t size, bool dst_is_mem)
{
    uint8_t reg_field;
    int err = decode_modrm_mem(d, out, &reg_field);
    if (err)
        return err;

    out->op = op;
    out->op_size = size;
    out->mem_size = size;
    out->dst_is_mem = dst_is_mem;
    set_reg_operand(d, out, reg_field);
    return 0;
}

/* "op r/m, imm" where ModRM.reg extends the opcode (groups 1, 3, 11): the
 * ModRM and memory operand; the caller checks the extension before
 * fetch_immediate(), as other members of a group may have no immediate. */
static int decode_modrm_group_form(struct decoder *d, struct insn *out, uint8_t size,
                                   uint8_t *extension)
{
    int err = decode_modrm_mem(d, out, extension);
    if (err)
        return err;

    out->op_size = size;
    out->mem_size = size;
    out->dst_is_mem = true;
    return 0;
}

static int fetch_immediate(struct decoder *d, struct insn *out, unsigned imm_size)
{
    out->has_imm = true;
    return fetch_signed(d, imm_size, &out->imm);
}

/* 00-3B: the two-operand ALU forms. */
static int decode_alu_opcode(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t alu = (opcode >> ALU_OPCODE_OP_SHIFT) & ALU_OPCODE_OP_MASK;
    uint8_t form = opcode & ALU_OPCODE_FORM_MASK;

    if (form > ALU_FORM_GV_EV)
        return INSN_ERR_UNSUPPORTED;
    bool dst_is_mem = form == ALU_FORM_EB_GB || form == ALU_FORM_EV_GV;
    uint8_t size = (form == ALU_FORM_EV_GV || form == ALU_FORM_GV_EV) ? d->operand_size : 1;
    if (alu == GROUP1_CMP)
        return decode_modrm_reg_form(d, out, INSN_CMP, size, dst_is_mem);
    out->alu = (enum alu_op)alu;
    return decode_modrm_reg_form(d, out, INSN_ALU, size, dst_is_mem);
}

/* 80, 81, 83: group 1, "op r/m, imm". */
static int decode_group1(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t size = opcode == 0x80 ? 1 : d->operand_size;
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size, &ext);
    if (err)
        return err;

    if (ext == GROUP1_CMP) {
        out->op = INSN_CMP;
    } else {
        out->op = INSN_ALU;
        out->alu = (enum alu_op)ext;
    }
    return fetch_immediate(d, out, opcode == 0x81 ? imm_z_size(size) : 1);
}

/* F6/F7: group 3.  /1 (an undocumented alias of TEST) is refused. */
static int decode_group3(struct decoder *d, struct insn *out, uint8_t opcode)
{
    static const enum insn_op ops[8] = {
        [GROUP3_NOT] = INSN_NOT, [GROUP3_NEG] = INSN_NEG, [GROUP3_MUL] = INSN_MUL,
        [GROUP3_IMUL] = INSN_IMUL1, [GROUP3_DIV] = INSN_DIV, [GROUP3_IDIV] = INSN_IDIV,
    };
    uint8_t size = size_of_pair(d, opcode);
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size, &ext);
    if (err)
        return err;
    if (ext == GROUP3_TEST) {
        out->op = INSN_TEST;
        return fetch_immediate(d, out, imm_z_size(size));
    }
    if (ext == GROUP3_TEST_ALIAS)
        return INSN_ERR_UNSUPPORTED;
    out->op = ops[ext];
    /* MUL, IMUL, DIV and IDIV read the memory operand and write rAX/rDX. */
    out->dst_is_mem = ext == GROUP3_NOT || ext == GROUP3_NEG;
    return 0;
}

/* FE (group 4: INC/DEC r/m8) and FF (group 5).  In 64-bit mode near
 * JMP/CALL and PUSH default to 64-bit operands; near JMP and CALL ignore 66
 * on Intel CPUs (SDM vol. 2A "JMP", "CALL": "operand size is forced to 64
 * bits"), PUSH takes it as 16. */
static int decode_group4_5(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t size = size_of_pair(d, opcode);
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size, &ext);
    if (err)
        return err;
    switch (ext) {
    case GROUP5_INC:
        out->op = INSN_INC;
        return 0;
    case GROUP5_DEC:
        out->op = INSN_DEC;
        return 0;
    default:
        break;
    }
    if (opcode != 0xff)
        return INSN_ERR_UNSUPPORTED;
    out->dst_is_mem = false;
    switch (ext) {
    case GROUP5_CALL_NEAR:
    case GROUP5_JMP_NEAR:
        out->op = ext == GROUP5_JMP_NEAR ? INSN_JMP_NEAR : INSN_CALL_NEAR;
        if (d->mode == CPU_MODE_64)
            out->op_size = 8;
        break;
    case GROUP5_CALL_FAR:
    case GROUP5_JMP_FAR:
        /* The offset has the operand size: 66 makes it 16 bits, REX.W 64
         * (Intel CPUs; SDM vol. 2A "JMP", "CALL": m16:64); nothing forces
         * 64 bits here. */
        out->op = ext == GROUP5_JMP_FAR ? INSN_JMP_FAR : INSN_CALL_FAR;
        break;
    case GROUP5_PUSH:
        out->op = INSN_PUSH;
        out->op_size = stack_operand_size(d);
        break;
    default:
        return INSN_ERR_UNSUPPORTED;   /* reserved */
    }
    out->mem_size = out->op_size;
    return 0;
}

/* 8F /0: POP r/m. */
static int decode_group1a(struct decoder *d, struct insn *out)
{
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, stack_operand_size(d), &ext);
    if (err)
        return err;
    if (ext != GROUP1A_POP)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_POP;
    return 0;
}

/* 50-5F PUSH/POP r, 6A/68 PUSH imm: the stack is the only memory operand. */
static int decode_push_pop_reg(struct decoder *d, struct insn *out, uint8_t opcode)
{
    bool pop = opcode >= OPCODE_POP_REG;
    out->op = pop ? INSN_POP : INSN_PUSH;
    out->op_size = stack_operand_size(d);
    out->mem_size = out->op_size;
    out->has_reg = true;
    out->reg = (enum x86_gpr)rex_extend(d, REX_B, opcode & OPCODE_REG_MASK);
    return 0;
}

static int decode_push_imm(struct decoder *d, struct insn *out, uint8_t opcode)
{
    out->op = INSN_PUSH;
    out->op_size = stack_operand_size(d);
    out->mem_size = out->op_size;
    return fetch_immediate(d, out, opcode == 0x6a ? 1 : imm_z_size(out->op_size));
}

/* C3 RET, C2 RET imm16, C9 LEAVE, C8 ENTER imm16, imm8. */
static int decode_stack_frame(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint64_t v;
    int err;

    out->op_size = stack_operand_size(d);
    out->mem_size = out->op_size;
    switch (opcode) {
    case 0xc3:
        out->op = INSN_RET;
        if (d->mode == CPU_MODE_64)
            out->op_size = out->mem_size = 8;   /* forced, as for JMP */
        return 0;
    case 0xc2:
        out->op = INSN_RET;
        if (d->mode == CPU_MODE_64)
            out->op_size = out->mem_size = 8;
        break;
    case 0xc9:
        out->op = INSN_LEAVE;
        return 0;
    default:
        out->op = INSN_ENTER;
        break;
    }
    err = fetch_unsigned(d, 2, &v);
    if (err)
        return err;
    out->has_imm = true;
    out->imm = (int64_t)v;
    if (opcode == 0xc8) {
        err = fetch_unsigned(d, 1, &v);
        out->imm2 = (uint8_t)v;
    }
    return err;
}

/*
 * 8C MOV r/m16, Sreg and 8E MOV Sreg, r/m16 (SDM vol. 2B "MOV"): with a
 * memory operand the access is 16 bits whatever the operand size.
 * ModRM.reg names the segment register and REX.R does not extend it;
 * encodings 6 and 7 and a MOV to CS are #UD on the CPU, which raises that
 * before any access, so they are refused here.
 */
static int decode_mov_sreg(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t reg_field;
    int err = decode_modrm_mem(d, out, &reg_field);
    if (err)
        return err;
    if (reg_field >= NR_SEGS || (opcode == 0x8e && reg_field == SEG_CS))
        return INSN_ERR_UNSUPPORTED;
    out->op = opcode == 0x8c ? INSN_MOV_FROM_SREG : INSN_MOV_TO_SREG;
    out->sreg = (enum x86_seg)reg_field;
    out->op_size = 2;
    out->mem_size = 2;
    out->dst_is_mem = opcode == 0x8c;
    return 0;
}

/* Group 2: C0/C1 r/m, imm8; D0/D1 r/m, 1; D2/D3 r/m, CL. */
static int decode_group2(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size_of_pair(d, opcode), &ext);
    if (err)
        return err;
    if (ext == GROUP2_UNASSIGNED)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_SHIFT;
    out->shift = (enum shift_op)ext;
    switch (opcode & ~1u) {
    case 0xc0:
        return fetch_immediate(d, out, 1);
    case 0xd0:
        out->has_imm = true;
        out->imm = 1;
        return 0;
    default:
        out->count_cl = true;
        return 0;
    }
}

/* CB RET far, CA RET far imm16: the stack holds the offset, of the operand
 * size (REX.W: 64 bits; nothing forces 64 as for the near RET), and CS in
 * a slot of the same size (SDM vol. 2B "RET"). */
static int decode_ret_far(struct decoder *d, struct insn *out, uint8_t opcode)
{
    out->op = INSN_RET_FAR;
    out->op_size = d->operand_size;
    out->mem_size = d->operand_size;
    if (opcode == 0xcb)
        return 0;
    uint64_t v = 0;
    int err = fetch_unsigned(d, 2, &v);
    out->has_imm = true;
    out->imm = (int64_t)v;
    return err;
}

/* C6/C7 /0: MOV r/m, imm (group 11). */
static int decode_group11(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t size = size_of_pair(d, opcode);
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size, &ext);
    if (err)
        return err;
    if (ext != GROUP11_MOV)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_MOV_TO_MEM;
    return fetch_immediate(d, out, imm_z_size(size));
}

/* A0-A3: MOV between rAX and a memory offset of address-size width, with no
 * ModRM (SDM vol. 2A "MOV", moffs). */
static int decode_moffs(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint64_t offset;
    int err = fetch_unsigned(d, d->address_size, &offset);
    if (err)
        return err;

    /* A0/A1 load rAX, A2/A3 store it. */
    out->op = opcode >= 0xa2 ? INSN_MOV_TO_MEM : INSN_MOV_FROM_MEM;
    out->op_size = size_of_pair(d, opcode);
    out->mem_size = out->op_size;
    out->dst_is_mem = out->op == INSN_MOV_TO_MEM;
    out->has_reg = true;
    out->reg = GPR_RAX;
    out->mem.seg = effective_seg(d, SEG_DS);
    out->mem.scale = 1;
    out->mem.disp = (int64_t)offset;
    out->mem.addr_size = d->address_size;
    out->has_mem = true;
    return 0;
}

/* A string operand [rSI] or [rDI] of the instruction's address size. */
static struct insn_mem string_operand(const struct decoder *d, enum x86_seg seg,
                                      enum x86_gpr base)
{
    struct insn_mem m = {
        .seg = seg,
        .has_base = true,
        .base = base,
        .scale = 1,
        .addr_size = d->address_size,
    };
    return m;
}

/*
 * A4-AF, the string instructions.  The destination ES:rDI cannot be
 * overridden, the source DS:rSI can (SDM vol. 2A "MOVS", "CMPS").  STOS,
 * LODS and SCAS use rAX; CMPS compares the source with the destination.
 */
static int decode_string(struct decoder *d, struct insn *out, uint8_t opcode)
{
    switch (opcode & ~1u) {
    case 0xa4:
        out->op = INSN_MOVS;
        break;
    case 0xa6:
        out->op = INSN_CMPS;
        break;
    case 0xaa:
        out->op = INSN_STOS;
        break;
    case 0xac:
        out->op = INSN_LODS;
        break;
    default:
        out->op = INSN_SCAS;
        break;
    }
    out->op_size = size_of_pair(d, opcode);
    out->mem_size = out->op_size;
    out->has_mem = true;
    out->dst_is_mem = out->op == INSN_MOVS || out->op == INSN_STOS;
    if (out->op == INSN_STOS || out->op == INSN_LODS || out->op == INSN_SCAS) {
        out->has_reg = true;
        out->reg = GPR_RAX;
    }
    if (out->op != INSN_LODS)
        out->mem = string_operand(d, SEG_ES, GPR_RDI);
    if (out->op == INSN_MOVS || out->op == INSN_CMPS || out->op == INSN_LODS)
        out->src = string_operand(d, effective_seg(d, SEG_DS), GPR_RSI);
    if (out->op == INSN_LODS)
        out->mem = out->src;
    return 0;
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX: reg <- extended r/m8 or r/m16. */
static int decode_movzx_movsx(struct decoder *d, struct insn *out, uint8_t opcode)
{
    enum insn_op op = opcode <= 0xb7 ? INSN_MOVZX : INSN_MOVSX;
    int err = decode_modrm_reg_form(d, out, op, d->operand_size, false);
    if (err)
        return err;
    out->mem_size = (opcode & 1) ? 2 : 1;
    return 0;
}

/* 63 MOVSXD r64, m32 in 64-bit mode (without REX.W the SDM discourages it:
 * a plain 32-bit load). */
static int decode_movsxd(struct decoder *d, struct insn *out)
{
    if (d->mode != CPU_MODE_64)
        return INSN_ERR_UNSUPPORTED;  /* ARPL outside 64-bit mode */
    int err = decode_modrm_reg_form(d, out, INSN_MOVSX, d->operand_size, false);
    if (err)
        return err;
    out->mem_size = out->op_size == 2 ? 2 : 4;
    if (out->op_size != 8)
        out->op = INSN_MOV_FROM_MEM;
    return 0;
}

/* 0F A3/AB/B3/BB: BT/BTS/BTR/BTC r/m, r; 0F BA /4-/7: the same with imm8. */
static int decode_bit_test(struct decoder *d, struct insn *out, uint8_t opcode)
{
    static const enum bt_op by_opcode[4] = { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };
    int err;

    if (opcode == 0xba) {
        uint8_t ext;
        err = decode_modrm_group_form(d, out, d->operand_size, &ext);
        if (err)
            return err;
        if (ext < GROUP8_FIRST)
            return INSN_ERR_UNSUPPORTED;
        out->bt = (enum bt_op)ext;
        err = fetch_immediate(d, out, 1);
    } else {
        err = decode_modrm_reg_form(d, out, INSN_BT, d->operand_size, true);
        out->bt = by_opcode[(opcode >> 3) & 3];
    }
    out->op = INSN_BT;
    return err;
}

/* 0F A4/A5 SHLD, 0F AC/AD SHRD r/m, r, imm8 or CL. */
static int decode_double_shift(struct decoder *d, struct insn *out, uint8_t opcode)
{
    enum insn_op op = opcode <= 0xa5 ? INSN_SHLD : INSN_SHRD;
    int err = decode_modrm_reg_form(d, out, op, d->operand_size, true);
    if (err)
        return err;
    if (opcode & 1) {
        out->count_cl = true;
        return 0;
    }
    return fetch_immediate(d, out, 1);
}

/* The mandatory prefix of an SSE opcode: F2/F3 (the last of them), else 66
 * (SDM vol. 2A 2.1.2, table A-1 notes). */
enum mandatory_prefix { MANDATORY_NONE, MANDATORY_66, MANDATORY_F3, MANDATORY_F2 };

static enum mandatory_prefix mandatory_prefix(const struct decoder *d, const struct insn *out)
{
    if (out->rep == INSN_REP_E)
        return MANDATORY_F3;
    if (out->rep == INSN_REP_NE)
        return MANDATORY_F2;
    return d->operand_size_prefix ? MANDATORY_66 : MANDATORY_NONE;
}

/*
 * 0F 10/11 MOVUPS/MOVUPD, with F3 MOVSS (32 bits) and with F2 MOVSD (64
 * bits), 0F 28/29 MOVAPS/MOVAPD, 0F 6F/7F MOVQ mm (no prefix), MOVDQA
 * (66), MOVDQU (F3).  The prefix is part of the opcode, not a REP or
 * operand-size prefix.
 */
static int decode_vector_move(struct decoder *d, struct insn *out, uint8_t opcode)
{
    enum mandatory_prefix mp = mandatory_prefix(d, out);
    uint8_t reg_field;

    out->rep = INSN_REP_NONE;
    out->vec = VEC_XMM;
    out->op_size = 16;
    switch (opcode) {
    case 0x10: case 0x11:
        break;
    case 0x28: case 0x29:
        if (mp == MANDATORY_F2 || mp == MANDATORY_F3)
            return INSN_ERR_UNSUPPORTED;
        out->vec_aligned = true;
        break;
    default:    /* 6F, 7F */
        if (mp == MANDATORY_F2)
            return INSN_ERR_UNSUPPORTED;
        if (mp == MANDATORY_NONE) {
            out->vec = VEC_MMX;
            out->op_size = 8;
        }
        out->vec_aligned = mp == MANDATORY_66;
        break;
    }
    int err = decode_modrm_mem(d, out, &reg_field);
    if (err)
        return err;
    out->op = (opcode == 0x11 || opcode == 0x29 || opcode == 0x7f) ? INSN_VEC_STORE
                                                                      : INSN_VEC_LOAD;
    out->dst_is_mem = out->op == INSN_VEC_STORE;
    out->mem_size = out->op_size;
    if (opcode == 0x10 || opcode == 0x11) {
        if (mp == MANDATORY_F3)
            out->mem_size = 4;          /* MOVSS */
        else if (mp == MANDATORY_F2)
            out->mem_size = 8;          /* MOVSD */
    }
    out->has_reg = true;
    /* MMX registers are 0-7 whatever REX.R says. */
    out->reg = (enum x86_gpr)(out->vec == VEC_MMX ? reg_field
                                                   : rex_extend(d, REX_R, reg_field));
    return 0;
}

/* 0F 01 /4 SMSW m16: a 16-bit store whatever the operand size (SDM vol. 2B
 * "SMSW"). */
static int decode_group7(struct decoder *d, struct insn *out)
{
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, 2, &ext);
    if (err)
        return err;
    if (ext != GROUP7_SMSW)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_SMSW;
    return 0;
}

/* 0F 00 /3 LTR m16. */
static int decode_group6(struct decoder *d, struct insn *out)
{
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, 2, &ext);
    if (err)
        return err;
    if (ext != GROUP6_LTR)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_LTR;
    out->dst_is_mem = false;
    return 0;
}

static int decode_two_byte(struct decoder *d, struct insn *out)
{
    uint8_t opcode;
    int err = fetch_byte(d, &opcode);
    if (err)
        return err;

    if (opcode >= 0x40 && opcode <= 0x4f) {
        err = decode_modrm_reg_form(d, out, INSN_CMOV, d->operand_size, false);
        out->cond = opcode & OPCODE_COND_MASK;
        return err;
    }
    if (opcode >= 0x90 && opcode <= 0x9f) {
        uint8_t ignored;
        err = decode_modrm_group_form(d, out, 1, &ignored);
        out->op = INSN_SETCC;
        out->cond = opcode & OPCODE_COND_MASK;
        return err;
    }
    switch (opcode) {
    case 0x00:
        return decode_group6(d, out);
    case 0x01:
        return decode_group7(d, out);
    case 0x10: case 0x11: case 0x28: case 0x29: case 0x6f: case 0x7f:
        return decode_vector_move(d, out, opcode);
    case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba:
        return decode_bit_test(d, out, opcode);
    case 0xa4: case 0xa5: case 0xac: case 0xad:
        return decode_double_shift(d, out, opcode);
    case 0xaf:
        return decode_modrm_reg_form(d, out, INSN_IMUL, d->operand_size, false);
    case 0xb0: case 0xb1:
        return decode_modrm_reg_form(d, out, INSN_CMPXCHG, size_of_pair(d, opcode), true);
    case 0xb6: case 0xb7: case 0xbe: case 0xbf:
        return decode_movzx_movsx(d, out, opcode);
    case 0xbc: case 0xbd:
        /* F3 0F BC/BD are TZCNT/LZCNT where the CPU has them: refused, so
         * that the decode does not depend on CPUID. */
        if (out->rep != INSN_REP_NONE)
            return INSN_ERR_UNSUPPORTED;
        return decode_modrm_reg_form(d, out, opcode == 0xbc ? INSN_BSF : INSN_BSR,
                                     d->operand_size, false);
    case 0xc0: case 0xc1:
        return decode_modrm_reg_form(d, out, INSN_XADD, size_of_pair(d, opcode), true);
    default:
        return INSN_ERR_UNSUPPORTED;
    }
}

/* 69 IMUL r, r/m, imm16/32; 6B IMUL r, r/m, imm8. */
static int decode_imul_imm(struct decoder *d, struct insn *out, uint8_t opcode)
{
    int err = decode_modrm_reg_form(d, out, INSN_IMUL, d->operand_size, false);
    if (err)
        return err;
    return fetch_immediate(d, out, opcode == 0x6b ? 1 : imm_z_size(out->op_size));
}

static int decode_opcode(struct decoder *d, struct insn *out, uint8_t opcode)
{
    if (opcode >= OPCODE_PUSH_REG && opcode < OPCODE_POP_REG + 8)
        return decode_push_pop_reg(d, out, opcode);
    switch (opcode) {
    case OPCODE_TWO_BYTE_ESCAPE:
        return decode_two_byte(d, out);
    case 0x63:
        return decode_movsxd(d, out);
    case 0x68: case 0x6a:
        return decode_push_imm(d, out, opcode);
    case 0x69: case 0x6b:
        return decode_imul_imm(d, out, opcode);
    case 0x8f:
        return decode_group1a(d, out);
    case 0xc2: case 0xc3: case 0xc8: case 0xc9:
        return decode_stack_frame(d, out, opcode);
    case 0xca: case 0xcb:
        return decode_ret_far(d, out, opcode);
    case 0xfe: case 0xff:
        return decode_group4_5(d, out, opcode);
    case 0x80: case 0x81: case 0x83:
        return decode_group1(d, out, opcode);
    case 0x84: case 0x85:
        return decode_modrm_reg_form(d, out, INSN_TEST, size_of_pair(d, opcode), true);
    case 0x86: case 0x87:
        return decode_modrm_reg_form(d, out, INSN_XCHG, size_of_pair(d, opcode), true);
    case 0x88: case 0x89:
        return decode_modrm_reg_form(d, out, INSN_MOV_TO_MEM, size_of_pair(d, opcode), true);
    case 0x8a: case 0x8b:
        return decode_modrm_reg_form(d, out, INSN_MOV_FROM_MEM, size_of_pair(d, opcode), false);
    case 0xa0: case 0xa1: case 0xa2: case 0xa3:
        return decode_moffs(d, out, opcode);
    case 0xa4: case 0xa5: case 0xa6: case 0xa7:
    case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
        return decode_string(d, out, opcode);
    case 0x8c: case 0x8e:
        return decode_mov_sreg(d, out, opcode);
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        return decode_group2(d, out, opcode);
    case 0xc6: case 0xc7:
        return decode_group11(d, out, opcode);
    case 0xf6: case 0xf7:
        return decode_group3(d, out, opcode);
    default:
        if (opcode <= ALU_OPCODE_LAST)
            return decode_alu_opcode(d, out, opcode);
        return INSN_ERR_UNSUPPORTED;
    }
}

/* LOCK is allowed only on the read-modify-write instructions the SDM lists
 * (vol. 2A "LOCK": ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, DEC, INC, NEG,
 * NOT, OR, SBB, SUB, XOR, XADD, XCHG) with a memory destination. */
static bool lock_allowed(const struct insn *in)
{
    switch (in->op) {
    case INSN_ALU:
        return in->dst_is_mem;
    case INSN_BT:
        return in->bt != BT_TEST;
    case INSN_XCHG:
    case INSN_INC:
    case INSN_DEC:
    case INSN_NOT:
    case INSN_NEG:
    case INSN_XADD:
    case INSN_CMPXCHG:
        return true;
    default:
        return false;
    }
}

int insn_decode(const uint8_t *bytes, size_t len, enum cpu_mode mode, struct insn *out)
{
    struct decoder d = { .bytes = bytes, .len = len, .mode = mode };
    uint8_t opcode = 0;

    /* A compound literal, not memset(): the compiler clears the struct in
     * a few word stores, where keel's memset goes byte by byte, and this
     * runs on every MMIO exit the instruction cache misses. */
    *out = (struct insn){ 0 };
    int err = decode_prefixes(&d, out, &opcode);
    if (err)
        return err;
    d.operand_size = operand_size(&d);
    d.address_size = address_size(&d);

    err = decode_opcode(&d, out, opcode);
    if (err)
        return err;
    if (out->lock && !lock_allowed(out))
        return INSN_ERR_LOCK;
    out->mode = mode;
    out->length = (uint8_t)d.pos;
    return 0;
}
