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
/* Group 1 numbers of the operations keel does not emulate, and CMP. */
#define GROUP1_ADC              2
#define GROUP1_SBB              3
#define GROUP1_CMP              7

/* Group 3 (F6/F7) and group 11 (C6/C7) extensions keel knows. */
#define GROUP3_TEST             0
#define GROUP11_MOV             0

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

/* 00-3B: the two-operand ALU forms (ADC and SBB are not emulated). */
static int decode_alu_opcode(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t alu = (opcode >> ALU_OPCODE_OP_SHIFT) & ALU_OPCODE_OP_MASK;
    uint8_t form = opcode & ALU_OPCODE_FORM_MASK;

    if (form > ALU_FORM_GV_EV || alu == GROUP1_ADC || alu == GROUP1_SBB)
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

    if (ext == GROUP1_ADC || ext == GROUP1_SBB)
        return INSN_ERR_UNSUPPORTED;
    if (ext == GROUP1_CMP) {
        out->op = INSN_CMP;
    } else {
        out->op = INSN_ALU;
        out->alu = (enum alu_op)ext;
    }
    return fetch_immediate(d, out, opcode == 0x81 ? imm_z_size(size) : 1);
}

/* F6/F7 /0: TEST r/m, imm (the rest of group 3 is not emulated). */
static int decode_group3(struct decoder *d, struct insn *out, uint8_t opcode)
{
    uint8_t size = size_of_pair(d, opcode);
    uint8_t ext;
    int err = decode_modrm_group_form(d, out, size, &ext);
    if (err)
        return err;
    if (ext != GROUP3_TEST)
        return INSN_ERR_UNSUPPORTED;
    out->op = INSN_TEST;
    return fetch_immediate(d, out, imm_z_size(size));
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

/* AA/AB STOS: ES:rDI <- rAX.  ES cannot be overridden (SDM vol. 2A "STOS"). */
static int decode_stos(struct decoder *d, struct insn *out, uint8_t opcode)
{
    out->op = INSN_STOS;
    out->op_size = size_of_pair(d, opcode);
    out->mem_size = out->op_size;
    out->dst_is_mem = true;
    out->has_reg = true;
    out->reg = GPR_RAX;
    out->mem = string_operand(d, SEG_ES, GPR_RDI);
    return 0;
}

/* A4/A5 MOVS: ES:rDI <- DS:rSI; only the source segment can be overridden. */
static int decode_movs(struct decoder *d, struct insn *out, uint8_t opcode)
{
    out->op = INSN_MOVS;
    out->op_size = size_of_pair(d, opcode);
    out->mem_size = out->op_size;
    out->dst_is_mem = true;
    out->mem = string_operand(d, SEG_ES, GPR_RDI);
    out->src = string_operand(d, effective_seg(d, SEG_DS), GPR_RSI);
    return 0;
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX: reg <- extended r/m8 or r/m16. */
static int decode_two_byte(struct decoder *d, struct insn *out)
{
    uint8_t opcode;
    int err = fetch_byte(d, &opcode);
    if (err)
        return err;

    enum insn_op op;
    switch (opcode) {
    case 0xb6: case 0xb7:
        op = INSN_MOVZX;
        break;
    case 0xbe: case 0xbf:
        op = INSN_MOVSX;
        break;
    default:
        return INSN_ERR_UNSUPPORTED;
    }
    err = decode_modrm_reg_form(d, out, op, d->operand_size, false);
    if (err)
        return err;
    out->mem_size = (opcode & 1) ? 2 : 1;
    return 0;
}

static int decode_opcode(struct decoder *d, struct insn *out, uint8_t opcode)
{
    switch (opcode) {
    case OPCODE_TWO_BYTE_ESCAPE:
        return decode_two_byte(d, out);
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
    case 0xa4: case 0xa5:
        return decode_movs(d, out, opcode);
    case 0xaa: case 0xab:
        return decode_stos(d, out, opcode);
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

/* LOCK is allowed only on read-modify-write forms with a memory destination
 * (SDM vol. 2A "LOCK"); CMP and TEST write nothing. */
static bool lock_allowed(const struct insn *in)
{
    return (in->op == INSN_ALU && in->dst_is_mem) || in->op == INSN_XCHG;
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
    out->length = (uint8_t)d.pos;
    return 0;
}
