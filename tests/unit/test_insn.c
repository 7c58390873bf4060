/*
 * Host tests for guest/insn_decode.c and guest/insn_emulate.c.
 *
 * Decoding is checked against a table of real encodings: every case was
 * written as Intel-syntax text, encoded by the GNU assembler (as --64 with
 * .code16/.code32/.code64), and its expected struct insn written from the
 * text's meaning, not from the bytes.  Hand-made encodings the assembler does
 * not emit (ignored REX, redundant prefixes, SIB corner cases) follow, each
 * cross-checked with objdump.  Emulation is checked against a fake device
 * bus, and the status flags against what the host CPU computes for the same
 * operation.
 */
#include "tests/unit/unit.h"

#include "guest/insn_arith.c"
#include "guest/insn_decode.c"
#include "guest/insn_emulate.c"
#include "guest/insn_emulate_desc.c"
#include "guest/insn_emulate_far.c"
#include "guest/insn_emulate_ltr.c"
#include "guest/insn_emulate_sreg.c"
#include "guest/insn_emulate_stack.c"
#include "guest/insn_emulate_string.c"

#define M16 CPU_MODE_16
#define M32 CPU_MODE_32
#define M64 CPU_MODE_64

/* Shorthands for struct insn initializers. */
#define REG(r)      .has_reg = true, .reg = GPR_##r
#define HIGH(r)     .has_reg = true, .reg = GPR_##r, .reg_high_byte = true
#define IMM(v)      .has_imm = true, .imm = (v)
#define BASE(r)     .has_base = true, .base = GPR_##r
#define INDEX(r)    .has_index = true, .index = GPR_##r

struct decode_case {
    enum cpu_mode mode;
    const char *text;
    uint8_t bytes[INSN_MAX_LENGTH];
    struct insn want;           /* want.length is also the number of bytes */
};

/* Generated: the assembler's encoding of each text, and its meaning. */
static const struct decode_case assembled_cases[] = {
    { M16, "mov byte ptr [bx+di+0x7f], al",
      { 0x88, 0x41, 0x7f },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RDI), .scale = 1, .disp = 0x7f,
        .addr_size = 2 } } },
    { M16, "mov byte ptr [bp+di-0x2], -0x1",
      { 0xc6, 0x43, 0xfe, 0xff },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        IMM(-0x1), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = -0x2,
        .addr_size = 2 } } },
    { M16, "mov word ptr [0x5678], bp",
      { 0x89, 0x2e, 0x78, 0x56 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RBP), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x5678, .addr_size = 2 } } },
    { M16, "mov word ptr [bx], 0x1234",
      { 0xc7, 0x07, 0x34, 0x12 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        IMM(0x1234), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 2 } } },
    { M16, "mov dword ptr ss:[di], edx",
      { 0x36, 0x66, 0x89, 0x15 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RDX), .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "mov dword ptr gs:[bp+di-0x1000], -0x80000000",
      { 0x65, 0x66, 0xc7, 0x83, 0x00, 0xf0, 0x00, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(-0x80000000ll), .mem = { .seg = SEG_GS, BASE(RBP), INDEX(RDI), .scale = 1,
        .disp = -0x1000, .addr_size = 2 } } },
    { M16, "mov bh, byte ptr [esp+0x2]",
      { 0x67, 0x8a, 0x7c, 0x24, 0x02 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, HIGH(RBX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x2, .addr_size = 4 } } },
    { M16, "mov cx, word ptr cs:[eax]",
      { 0x2e, 0x67, 0x8b, 0x08 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RCX),
        .mem = { .seg = SEG_CS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "mov ebx, dword ptr [bx+di+0x7f]",
      { 0x66, 0x8b, 0x59, 0x7f },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RDI), .scale = 1, .disp = 0x7f,
        .addr_size = 2 } } },
    { M16, "add byte ptr [bp+di-0x2], ch",
      { 0x00, 0x6b, 0xfe },
      { .length = 3, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, HIGH(RCX), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1,
        .disp = -0x2, .addr_size = 2 } } },
    { M16, "add al, byte ptr [0x5678]",
      { 0x02, 0x06, 0x78, 0x56 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x5678, .addr_size = 2 } } },
    { M16, "add byte ptr [bx], -0x1",
      { 0x80, 0x07, 0xff },
      { .length = 3, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x1), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 2 } } },
    { M16, "add word ptr fs:[bp+0x2], si",
      { 0x64, 0x01, 0x76, 0x02 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RSI), .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = 0x2,
        .addr_size = 2 } } },
    { M16, "add cx, word ptr [ebp+ecx*4+0x8]",
      { 0x67, 0x03, 0x4c, 0x8d, 0x08 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2, REG(RCX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RCX), .scale = 4, .disp = 0x8,
        .addr_size = 4 } } },
    { M16, "addr32 add word ptr [0x12345], 0x7fff",
      { 0x67, 0x81, 0x05, 0x45, 0x23, 0x01, 0x00, 0xff, 0x7f },
      { .length = 9, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(0x7fff), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345,
        .addr_size = 4 } } },
    { M16, "add dword ptr [bp+si], edi",
      { 0x66, 0x01, 0x3a },
      { .length = 3, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RSI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "add edx, dword ptr [di+0x1234]",
      { 0x66, 0x03, 0x95, 0x34, 0x12 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "add dword ptr [bp+0x4], 0x80",
      { 0x66, 0x81, 0x46, 0x04, 0x80, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x80), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x4,
        .addr_size = 2 } } },
    { M16, "or byte ptr ss:[di], al",
      { 0x36, 0x08, 0x05 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RAX), .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "or bl, byte ptr [eax]",
      { 0x67, 0x0a, 0x18 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "or byte ptr [esp+0x2], 0x5a",
      { 0x67, 0x80, 0x4c, 0x24, 0x02, 0x5a },
      { .length = 6, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x5a), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x2,
        .addr_size = 4 } } },
    { M16, "or word ptr [bx+di+0x7f], cx",
      { 0x09, 0x49, 0x7f },
      { .length = 3, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RDI), .scale = 1,
        .disp = 0x7f, .addr_size = 2 } } },
    { M16, "or sp, word ptr [si]",
      { 0x0b, 0x24 },
      { .length = 2, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "or word ptr [0x5678], 0x7f",
      { 0x83, 0x0e, 0x78, 0x56, 0x7f },
      { .length = 5, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x5678,
        .addr_size = 2 } } },
    { M16, "or dword ptr es:[bx+si], edx",
      { 0x26, 0x66, 0x09, 0x10 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RDX), .mem = { .seg = SEG_ES, BASE(RBX), INDEX(RSI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "or ebp, dword ptr gs:[bp+di-0x1000]",
      { 0x65, 0x66, 0x0b, 0xab, 0x00, 0xf0 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4, REG(RBP),
        .mem = { .seg = SEG_GS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = -0x1000,
        .addr_size = 2 } } },
    { M16, "or dword ptr [ebp+ecx*4+0x8], 0x12345678",
      { 0x67, 0x66, 0x81, 0x4c, 0x8d, 0x08, 0x78, 0x56, 0x34, 0x12 },
      { .length = 10, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x12345678), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RCX),
        .scale = 4, .disp = 0x8, .addr_size = 4 } } },
    { M16, "and byte ptr [bx+si], bl",
      { 0x20, 0x18 },
      { .length = 2, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RBX), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "and dh, byte ptr [bp+di-0x2]",
      { 0x22, 0x73, 0xfe },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1, HIGH(RDX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = -0x2,
        .addr_size = 2 } } },
    { M16, "and byte ptr [di+0x1234], -0x80",
      { 0x80, 0xa5, 0x34, 0x12, 0x80 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1,
        .disp = 0x1234, .addr_size = 2 } } },
    { M16, "and word ptr [bp], sp",
      { 0x21, 0x66, 0x00 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RSP), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .addr_size = 2 } } },
    { M16, "and di, word ptr fs:[bp+0x2]",
      { 0x64, 0x23, 0x7e, 0x02 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = 0x2, .addr_size = 2 } } },
    { M16, "and word ptr [eax], 0x7fff",
      { 0x67, 0x81, 0x20, 0xff, 0x7f },
      { .length = 5, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(0x7fff), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1,
        .addr_size = 4 } } },
    { M16, "and dword ptr cs:[eax], ebp",
      { 0x2e, 0x67, 0x66, 0x21, 0x28 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RBP), .mem = { .seg = SEG_CS, BASE(RAX), .scale = 1,
        .addr_size = 4 } } },
    { M16, "and eax, dword ptr [bp+si]",
      { 0x66, 0x23, 0x02 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "and dword ptr [si], 0x80",
      { 0x66, 0x81, 0x24, 0x80, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x80), .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "sub byte ptr [bx], dh",
      { 0x28, 0x37 },
      { .length = 2, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, HIGH(RDX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 2 } } },
    { M16, "sub cl, byte ptr ss:[di]",
      { 0x36, 0x2a, 0x0d },
      { .length = 3, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1, REG(RCX),
        .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "sub byte ptr gs:[bp+di-0x1000], 0x7f",
      { 0x65, 0x80, 0xab, 0x00, 0xf0, 0x7f },
      { .length = 6, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_GS, BASE(RBP), INDEX(RDI), .scale = 1,
        .disp = -0x1000, .addr_size = 2 } } },
    { M16, "addr32 sub word ptr [0x12345], di",
      { 0x67, 0x29, 0x3d, 0x45, 0x23, 0x01, 0x00 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345,
        .addr_size = 4 } } },
    { M16, "sub dx, word ptr [bx+di+0x7f]",
      { 0x2b, 0x51, 0x7f },
      { .length = 3, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RDI), .scale = 1, .disp = 0x7f,
        .addr_size = 2 } } },
    { M16, "sub word ptr [bp+di-0x2], 0x7f",
      { 0x83, 0x6b, 0xfe, 0x7f },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1,
        .disp = -0x2, .addr_size = 2 } } },
    { M16, "sub dword ptr [bp+0x4], eax",
      { 0x66, 0x29, 0x46, 0x04 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RAX), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x4,
        .addr_size = 2 } } },
    { M16, "sub ebx, dword ptr es:[bx+si]",
      { 0x26, 0x66, 0x2b, 0x18 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4, REG(RBX),
        .mem = { .seg = SEG_ES, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "sub dword ptr fs:[bp+0x2], 0x12345678",
      { 0x64, 0x66, 0x81, 0x6e, 0x02, 0x78, 0x56, 0x34, 0x12 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x12345678), .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1,
        .disp = 0x2, .addr_size = 2 } } },
    { M16, "xor byte ptr [esp+0x2], cl",
      { 0x67, 0x30, 0x4c, 0x24, 0x02 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x2,
        .addr_size = 4 } } },
    { M16, "xor ah, byte ptr [bx+si]",
      { 0x32, 0x20 },
      { .length = 2, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1, HIGH(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "xor byte ptr [bp+si], -0x1",
      { 0x80, 0x32, 0xff },
      { .length = 3, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x1), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RSI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "xor word ptr [0x5678], dx",
      { 0x31, 0x16, 0x78, 0x56 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RDX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x5678,
        .addr_size = 2 } } },
    { M16, "xor bp, word ptr [bp]",
      { 0x33, 0x6e, 0x00 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2, REG(RBP),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "xor word ptr ss:[di], 0x7fff",
      { 0x36, 0x81, 0x35, 0xff, 0x7f },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(0x7fff), .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1,
        .addr_size = 2 } } },
    { M16, "xor dword ptr [ebp+ecx*4+0x8], ebx",
      { 0x67, 0x66, 0x31, 0x5c, 0x8d, 0x08 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RBX), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RCX), .scale = 4,
        .disp = 0x8, .addr_size = 4 } } },
    { M16, "xor esi, dword ptr cs:[eax]",
      { 0x2e, 0x67, 0x66, 0x33, 0x30 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4, REG(RSI),
        .mem = { .seg = SEG_CS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "xor dword ptr [bx+di+0x7f], 0x80",
      { 0x66, 0x81, 0x71, 0x7f, 0x80, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x80), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RDI), .scale = 1,
        .disp = 0x7f, .addr_size = 2 } } },
    { M16, "cmp byte ptr [di+0x1234], ah",
      { 0x38, 0xa5, 0x34, 0x12 },
      { .length = 4, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, HIGH(RAX),
        .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "cmp dh, byte ptr [bp+0x4]",
      { 0x3a, 0x76, 0x04 },
      { .length = 3, .op = INSN_CMP, .op_size = 1, .mem_size = 1, HIGH(RDX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x4, .addr_size = 2 } } },
    { M16, "cmp byte ptr [bp], -0x80",
      { 0x80, 0x7e, 0x00, 0x80 },
      { .length = 4, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(-0x80),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "cmp word ptr fs:[bp+0x2], bx",
      { 0x64, 0x39, 0x5e, 0x02 },
      { .length = 4, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = 0x2, .addr_size = 2 } } },
    { M16, "cmp bp, word ptr [eax]",
      { 0x67, 0x3b, 0x28 },
      { .length = 3, .op = INSN_CMP, .op_size = 2, .mem_size = 2, REG(RBP), .mem = { .seg = SEG_DS,
        BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "cmp word ptr [esp+0x2], 0x7fff",
      { 0x67, 0x81, 0x7c, 0x24, 0x02, 0xff, 0x7f },
      { .length = 7, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true, IMM(0x7fff),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x2, .addr_size = 4 } } },
    { M16, "cmp dword ptr [bx+si], edx",
      { 0x66, 0x39, 0x10 },
      { .length = 3, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "cmp esp, dword ptr [bp+si]",
      { 0x66, 0x3b, 0x22 },
      { .length = 3, .op = INSN_CMP, .op_size = 4, .mem_size = 4, REG(RSP), .mem = { .seg = SEG_SS,
        BASE(RBP), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "cmp dword ptr [si], -0x80000000",
      { 0x66, 0x81, 0x3c, 0x00, 0x00, 0x00, 0x80 },
      { .length = 7, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "test byte ptr [bp+0x4], cl",
      { 0x84, 0x4e, 0x04 },
      { .length = 3, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RCX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x4, .addr_size = 2 } } },
    { M16, "test bl, byte ptr [bp]",
      { 0x84, 0x5e, 0x00 },
      { .length = 3, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "test byte ptr ss:[di], 0x5a",
      { 0x36, 0xf6, 0x05, 0x5a },
      { .length = 4, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(0x5a),
        .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "test word ptr [eax], ax",
      { 0x67, 0x85, 0x00 },
      { .length = 3, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "test dx, word ptr [esp+0x2]",
      { 0x67, 0x85, 0x54, 0x24, 0x02 },
      { .length = 5, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RDX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x2, .addr_size = 4 } } },
    { M16, "test word ptr cs:[eax], 0x7f",
      { 0x2e, 0x67, 0xf7, 0x00, 0x7f, 0x00 },
      { .length = 6, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, IMM(0x7f),
        .mem = { .seg = SEG_CS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "test dword ptr [bp+si], edi",
      { 0x66, 0x85, 0x3a },
      { .length = 3, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "test ecx, dword ptr [si]",
      { 0x66, 0x85, 0x0c },
      { .length = 3, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RCX),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "test dword ptr [0x5678], -0x80",
      { 0x66, 0xf7, 0x06, 0x78, 0x56, 0x80, 0xff, 0xff, 0xff },
      { .length = 9, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, IMM(-0x80),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x5678, .addr_size = 2 } } },
    { M16, "xchg byte ptr [bp], dh",
      { 0x86, 0x76, 0x00 },
      { .length = 3, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, HIGH(RDX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "xchg cl, byte ptr fs:[bp+0x2]",
      { 0x64, 0x86, 0x4e, 0x02 },
      { .length = 4, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RCX),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = 0x2, .addr_size = 2 } } },
    { M16, "xchg word ptr [eax], bx",
      { 0x67, 0x87, 0x18 },
      { .length = 3, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M16, "addr32 xchg si, word ptr [0x12345]",
      { 0x67, 0x87, 0x35, 0x45, 0x23, 0x01, 0x00 },
      { .length = 7, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RSI),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345, .addr_size = 4 } } },
    { M16, "lock xchg dword ptr [bx+si], eax",
      { 0x66, 0xf0, 0x87, 0x00 },
      { .length = 4, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 },
        .lock = true } },
    { M16, "xchg ebx, dword ptr [bp+di-0x2]",
      { 0x66, 0x87, 0x5b, 0xfe },
      { .length = 4, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = -0x2,
        .addr_size = 2 } } },
    { M16, "movzx bp, byte ptr [di+0x1234]",
      { 0x0f, 0xb6, 0xad, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOVZX, .op_size = 2, .mem_size = 1, REG(RBP),
        .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "movzx di, word ptr [bp+0x4]",
      { 0x0f, 0xb7, 0x7e, 0x04 },
      { .length = 4, .op = INSN_MOVZX, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x4, .addr_size = 2 } } },
    { M16, "movzx ecx, byte ptr [bp]",
      { 0x66, 0x0f, 0xb6, 0x4e, 0x00 },
      { .length = 5, .op = INSN_MOVZX, .op_size = 4, .mem_size = 1, REG(RCX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "movzx ebx, word ptr ss:[di]",
      { 0x36, 0x66, 0x0f, 0xb7, 0x1d },
      { .length = 5, .op = INSN_MOVZX, .op_size = 4, .mem_size = 2, REG(RBX),
        .mem = { .seg = SEG_SS, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "movsx bp, byte ptr gs:[bp+di-0x1000]",
      { 0x65, 0x0f, 0xbe, 0xab, 0x00, 0xf0 },
      { .length = 6, .op = INSN_MOVSX, .op_size = 2, .mem_size = 1, REG(RBP),
        .mem = { .seg = SEG_GS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = -0x1000,
        .addr_size = 2 } } },
    { M16, "movsx di, word ptr [ebp+ecx*4+0x8]",
      { 0x67, 0x0f, 0xbf, 0x7c, 0x8d, 0x08 },
      { .length = 6, .op = INSN_MOVSX, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RCX), .scale = 4, .disp = 0x8,
        .addr_size = 4 } } },
    { M16, "addr32 movsx ecx, byte ptr [0x12345]",
      { 0x67, 0x66, 0x0f, 0xbe, 0x0d, 0x45, 0x23, 0x01, 0x00 },
      { .length = 9, .op = INSN_MOVSX, .op_size = 4, .mem_size = 1, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345, .addr_size = 4 } } },
    { M16, "movsx ebx, word ptr [bx+si]",
      { 0x66, 0x0f, 0xbf, 0x18 },
      { .length = 4, .op = INSN_MOVSX, .op_size = 4, .mem_size = 2, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "stos byte ptr es:[di], al",
      { 0xaa },
      { .length = 1, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep stos byte ptr es:[di], al",
      { 0xf3, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "repnz stos byte ptr es:[di], al",
      { 0xf2, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M16, "movs byte ptr es:[di], byte ptr ds:[si]",
      { 0xa4 },
      { .length = 1, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep movs byte ptr es:[di], byte ptr fs:[si]",
      { 0x64, 0xf3, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "movs byte ptr es:[di], byte ptr es:[si]",
      { 0x26, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "movs byte ptr es:[di], byte ptr ss:[si]",
      { 0x36, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "stos byte ptr es:[edi], al",
      { 0x67, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep stos byte ptr es:[edi], al",
      { 0x67, 0xf3, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "repnz stos byte ptr es:[edi], al",
      { 0x67, 0xf2, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M16, "movs byte ptr es:[edi], byte ptr ds:[esi]",
      { 0x67, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep movs byte ptr es:[edi], byte ptr fs:[esi]",
      { 0x64, 0x67, 0xf3, 0xa4 },
      { .length = 4, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "movs byte ptr es:[edi], byte ptr es:[esi]",
      { 0x26, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "movs byte ptr es:[edi], byte ptr ss:[esi]",
      { 0x36, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "stos word ptr es:[di], ax",
      { 0xab },
      { .length = 1, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep stos word ptr es:[di], ax",
      { 0xf3, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "repnz stos word ptr es:[di], ax",
      { 0xf2, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M16, "movs word ptr es:[di], word ptr ds:[si]",
      { 0xa5 },
      { .length = 1, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep movs word ptr es:[di], word ptr fs:[si]",
      { 0x64, 0xf3, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "movs word ptr es:[di], word ptr es:[si]",
      { 0x26, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "movs word ptr es:[di], word ptr ss:[si]",
      { 0x36, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "stos word ptr es:[edi], ax",
      { 0x67, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep stos word ptr es:[edi], ax",
      { 0x67, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "repnz stos word ptr es:[edi], ax",
      { 0x67, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M16, "movs word ptr es:[edi], word ptr ds:[esi]",
      { 0x67, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep movs word ptr es:[edi], word ptr fs:[esi]",
      { 0x64, 0x67, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "movs word ptr es:[edi], word ptr es:[esi]",
      { 0x26, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "movs word ptr es:[edi], word ptr ss:[esi]",
      { 0x36, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "stos dword ptr es:[di], eax",
      { 0x66, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep stos dword ptr es:[di], eax",
      { 0x66, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "repnz stos dword ptr es:[di], eax",
      { 0x66, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M16, "movs dword ptr es:[di], dword ptr ds:[si]",
      { 0x66, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "rep movs dword ptr es:[di], dword ptr fs:[si]",
      { 0x64, 0x66, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M16, "movs dword ptr es:[di], dword ptr es:[si]",
      { 0x26, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "movs dword ptr es:[di], dword ptr ss:[si]",
      { 0x36, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M16, "stos dword ptr es:[edi], eax",
      { 0x67, 0x66, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep stos dword ptr es:[edi], eax",
      { 0x67, 0x66, 0xf3, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "repnz stos dword ptr es:[edi], eax",
      { 0x67, 0x66, 0xf2, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M16, "movs dword ptr es:[edi], dword ptr ds:[esi]",
      { 0x67, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "rep movs dword ptr es:[edi], dword ptr fs:[esi]",
      { 0x64, 0x67, 0x66, 0xf3, 0xa5 },
      { .length = 5, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M16, "movs dword ptr es:[edi], dword ptr es:[esi]",
      { 0x26, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "movs dword ptr es:[edi], dword ptr ss:[esi]",
      { 0x36, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M16, "mov al, [0x1234]",
      { 0xa0, 0x34, 0x12 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov [0x1234], al",
      { 0xa2, 0x34, 0x12 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov al, es:[0x2000]",
      { 0x26, 0xa0, 0x00, 0x20 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov es:[0x2000], al",
      { 0x26, 0xa2, 0x00, 0x20 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov al, ss:[0x7ffe]",
      { 0x36, 0xa0, 0xfe, 0x7f },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M16, "mov ss:[0x7ffe], al",
      { 0x36, 0xa2, 0xfe, 0x7f },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M16, "mov ax, [0x1234]",
      { 0xa1, 0x34, 0x12 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov [0x1234], ax",
      { 0xa3, 0x34, 0x12 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov ax, es:[0x2000]",
      { 0x26, 0xa1, 0x00, 0x20 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov es:[0x2000], ax",
      { 0x26, 0xa3, 0x00, 0x20 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov ax, ss:[0x7ffe]",
      { 0x36, 0xa1, 0xfe, 0x7f },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M16, "mov ss:[0x7ffe], ax",
      { 0x36, 0xa3, 0xfe, 0x7f },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M16, "mov eax, [0x1234]",
      { 0x66, 0xa1, 0x34, 0x12 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov [0x1234], eax",
      { 0x66, 0xa3, 0x34, 0x12 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M16, "mov eax, es:[0x2000]",
      { 0x26, 0x66, 0xa1, 0x00, 0x20 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov es:[0x2000], eax",
      { 0x26, 0x66, 0xa3, 0x00, 0x20 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 2 } } },
    { M16, "mov eax, ss:[0x7ffe]",
      { 0x36, 0x66, 0xa1, 0xfe, 0x7f },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M16, "mov ss:[0x7ffe], eax",
      { 0x36, 0x66, 0xa3, 0xfe, 0x7f },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 2 } } },
    { M32, "mov byte ptr [eax], ch",
      { 0x88, 0x28 },
      { .length = 2, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        HIGH(RCX), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M32, "mov byte ptr [ebp-0x4], 0x7f",
      { 0xc6, 0x45, 0xfc, 0x7f },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        IMM(0x7f), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = -0x4,
        .addr_size = 4 } } },
    { M32, "mov word ptr [esi+edi*8+0x11223344], dx",
      { 0x66, 0x89, 0x94, 0xfe, 0x44, 0x33, 0x22, 0x11 },
      { .length = 8, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RDX), .mem = { .seg = SEG_DS, BASE(RSI), INDEX(RDI), .scale = 8, .disp = 0x11223344,
        .addr_size = 4 } } },
    { M32, "mov word ptr [0x12345678], 0x7f",
      { 0x66, 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 0x7f, 0x00 },
      { .length = 9, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        IMM(0x7f), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov dword ptr es:[ebx], edi",
      { 0x26, 0x89, 0x3b },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RDI), .mem = { .seg = SEG_ES, BASE(RBX), .scale = 1, .addr_size = 4 } } },
    { M32, "mov dword ptr ss:[ecx], 0x7f",
      { 0x36, 0xc7, 0x01, 0x7f, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(0x7f), .mem = { .seg = SEG_SS, BASE(RCX), .scale = 1, .addr_size = 4 } } },
    { M32, "mov ah, byte ptr gs:[0x40]",
      { 0x65, 0x8a, 0x25, 0x40, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, HIGH(RAX),
        .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov si, word ptr [bp+di+0x10]",
      { 0x67, 0x66, 0x8b, 0x73, 0x10 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RSI),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = 0x10,
        .addr_size = 2 } } },
    { M32, "mov eax, dword ptr [bp]",
      { 0x67, 0x8b, 0x46, 0x00 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M32, "lock add byte ptr ds:[bp+si], dl",
      { 0x3e, 0x67, 0xf0, 0x00, 0x12 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RDX), .mem = { .seg = SEG_DS, BASE(RBP), INDEX(RSI), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "add ch, byte ptr [ebx+0x10]",
      { 0x02, 0x6b, 0x10 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 4 } } },
    { M32, "lock add byte ptr [esp], 0x7f",
      { 0xf0, 0x80, 0x04, 0x24, 0x7f },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock add word ptr [0x12345678], bx",
      { 0x66, 0xf0, 0x01, 0x1d, 0x78, 0x56, 0x34, 0x12 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RBX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678,
        .addr_size = 4 }, .lock = true } },
    { M32, "add si, word ptr es:[ebx]",
      { 0x26, 0x66, 0x03, 0x33 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2, REG(RSI),
        .mem = { .seg = SEG_ES, BASE(RBX), .scale = 1, .addr_size = 4 } } },
    { M32, "lock add word ptr ss:[ecx], -0x8000",
      { 0x36, 0x66, 0xf0, 0x81, 0x01, 0x00, 0x80 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x8000), .mem = { .seg = SEG_SS, BASE(RCX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock add dword ptr [bx+si], esp",
      { 0x67, 0xf0, 0x01, 0x20 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RSP), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "add edi, dword ptr [bp]",
      { 0x67, 0x03, 0x7e, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M32, "lock add dword ptr ds:[bp+si], -0x80",
      { 0x3e, 0x67, 0xf0, 0x83, 0x02, 0x80 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RBP), INDEX(RSI), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "lock or byte ptr [ebp-0x4], ch",
      { 0xf0, 0x08, 0x6d, 0xfc },
      { .length = 4, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, HIGH(RCX), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = -0x4,
        .addr_size = 4 }, .lock = true } },
    { M32, "or al, byte ptr [esi+edi*8+0x11223344]",
      { 0x0a, 0x84, 0xfe, 0x44, 0x33, 0x22, 0x11 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RSI), INDEX(RDI), .scale = 8, .disp = 0x11223344,
        .addr_size = 4 } } },
    { M32, "lock or byte ptr [0x12345678], -0x1",
      { 0xf0, 0x80, 0x0d, 0x78, 0x56, 0x34, 0x12, 0xff },
      { .length = 8, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x1), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock or word ptr fs:[eax+0x4], si",
      { 0x64, 0x66, 0xf0, 0x09, 0x70, 0x04 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RSI), .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .disp = 0x4,
        .addr_size = 4 }, .lock = true } },
    { M32, "or cx, word ptr cs:[edx]",
      { 0x2e, 0x66, 0x0b, 0x0a },
      { .length = 4, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2, REG(RCX),
        .mem = { .seg = SEG_CS, BASE(RDX), .scale = 1, .addr_size = 4 } } },
    { M32, "lock or word ptr [bx+si], -0x81",
      { 0x67, 0x66, 0xf0, 0x81, 0x08, 0x7f, 0xff },
      { .length = 7, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "lock or dword ptr [si-0x2], edi",
      { 0x67, 0xf0, 0x09, 0x7c, 0xfe },
      { .length = 5, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .disp = -0x2,
        .addr_size = 2 }, .lock = true } },
    { M32, "or edx, dword ptr [eax]",
      { 0x0b, 0x10 },
      { .length = 2, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M32, "lock or dword ptr [ebp-0x4], -0x80000000",
      { 0xf0, 0x81, 0x4d, 0xfc, 0x00, 0x00, 0x00, 0x80 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .disp = -0x4, .addr_size = 4 }, .lock = true } },
    { M32, "lock and byte ptr [ecx*4+0x1000], al",
      { 0xf0, 0x20, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RAX), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 4,
        .disp = 0x1000, .addr_size = 4 }, .lock = true } },
    { M32, "and bl, byte ptr [eax+ebp]",
      { 0x22, 0x1c, 0x28 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 1, .addr_size = 4 } } },
    { M32, "lock and byte ptr fs:[eax+0x4], 0x5a",
      { 0x64, 0xf0, 0x80, 0x60, 0x04, 0x5a },
      { .length = 6, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x5a), .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .disp = 0x4,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock and word ptr gs:[0x40], cx",
      { 0x65, 0x66, 0xf0, 0x21, 0x0d, 0x40, 0x00, 0x00, 0x00 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x40,
        .addr_size = 4 }, .lock = true } },
    { M32, "and sp, word ptr [bx+0x1234]",
      { 0x67, 0x66, 0x23, 0xa7, 0x34, 0x12 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "lock and word ptr [si-0x2], -0x8000",
      { 0x67, 0x66, 0xf0, 0x81, 0x64, 0xfe, 0x00, 0x80 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x8000), .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1,
        .disp = -0x2, .addr_size = 2 }, .lock = true } },
    { M32, "lock and dword ptr [ebx+0x10], edx",
      { 0xf0, 0x21, 0x53, 0x10 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RDX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10,
        .addr_size = 4 }, .lock = true } },
    { M32, "and ebp, dword ptr [esp+0x8]",
      { 0x23, 0x6c, 0x24, 0x08 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4, REG(RBP),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x8, .addr_size = 4 } } },
    { M32, "lock and dword ptr [ecx*4+0x1000], -0x80",
      { 0xf0, 0x83, 0x24, 0x8d, 0x00, 0x10, 0x00, 0x00, 0x80 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 4,
        .disp = 0x1000, .addr_size = 4 }, .lock = true } },
    { M32, "lock sub byte ptr es:[ebx], bl",
      { 0x26, 0xf0, 0x28, 0x1b },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RBX), .mem = { .seg = SEG_ES, BASE(RBX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "sub dh, byte ptr ds:[ebp+0x7f]",
      { 0x3e, 0x2a, 0x75, 0x7f },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1, HIGH(RDX),
        .mem = { .seg = SEG_DS, BASE(RBP), .scale = 1, .disp = 0x7f, .addr_size = 4 } } },
    { M32, "lock sub byte ptr gs:[0x40], -0x80",
      { 0x65, 0xf0, 0x80, 0x2d, 0x40, 0x00, 0x00, 0x00, 0x80 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x40,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock sub word ptr [bp], sp",
      { 0x67, 0x66, 0xf0, 0x29, 0x66, 0x00 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RSP), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "addr16 sub di, word ptr [0x1234]",
      { 0x67, 0x66, 0x2b, 0x3e, 0x34, 0x12 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "lock sub word ptr [ebx+0x10], -0x81",
      { 0x66, 0xf0, 0x81, 0x6b, 0x10, 0x7f, 0xff },
      { .length = 7, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .disp = 0x10, .addr_size = 4 }, .lock = true } },
    { M32, "lock sub dword ptr [esi+edi*8+0x11223344], ebp",
      { 0xf0, 0x29, 0xac, 0xfe, 0x44, 0x33, 0x22, 0x11 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RBP), .mem = { .seg = SEG_DS, BASE(RSI), INDEX(RDI), .scale = 8,
        .disp = 0x11223344, .addr_size = 4 }, .lock = true } },
    { M32, "sub eax, dword ptr [ebp+eax*2]",
      { 0x2b, 0x44, 0x45, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RAX), .scale = 2, .addr_size = 4 } } },
    { M32, "lock sub dword ptr es:[ebx], -0x80000000",
      { 0x26, 0xf0, 0x81, 0x2b, 0x00, 0x00, 0x00, 0x80 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_ES, BASE(RBX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "lock xor byte ptr cs:[edx], dh",
      { 0x2e, 0xf0, 0x30, 0x32 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, HIGH(RDX), .mem = { .seg = SEG_CS, BASE(RDX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "xor cl, byte ptr [bp+di+0x10]",
      { 0x67, 0x32, 0x4b, 0x10 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1, REG(RCX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = 0x10,
        .addr_size = 2 } } },
    { M32, "lock xor byte ptr [bp], 0x7f",
      { 0x67, 0xf0, 0x80, 0x76, 0x00, 0x7f },
      { .length = 6, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .addr_size = 2 }, .lock = true } },
    { M32, "lock xor word ptr [eax], di",
      { 0x66, 0xf0, 0x31, 0x38 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "xor dx, word ptr [esp]",
      { 0x66, 0x33, 0x14, 0x24 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2, REG(RDX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 4 } } },
    { M32, "lock xor word ptr [esi+edi*8+0x11223344], -0x8000",
      { 0x66, 0xf0, 0x81, 0xb4, 0xfe, 0x44, 0x33, 0x22, 0x11, 0x00, 0x80 },
      { .length = 11, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x8000), .mem = { .seg = SEG_DS, BASE(RSI), INDEX(RDI),
        .scale = 8, .disp = 0x11223344, .addr_size = 4 }, .lock = true } },
    { M32, "lock xor dword ptr [eax+ebp], eax",
      { 0xf0, 0x31, 0x04, 0x28 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RAX), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "xor ebx, dword ptr ss:[ecx]",
      { 0x36, 0x33, 0x19 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4, REG(RBX),
        .mem = { .seg = SEG_SS, BASE(RCX), .scale = 1, .addr_size = 4 } } },
    { M32, "lock xor dword ptr cs:[edx], -0x80",
      { 0x2e, 0xf0, 0x83, 0x32, 0x80 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_CS, BASE(RDX), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M32, "cmp byte ptr [bx+0x1234], cl",
      { 0x67, 0x38, 0x8f, 0x34, 0x12 },
      { .length = 5, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RCX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "cmp bl, byte ptr [si-0x2]",
      { 0x67, 0x3a, 0x5c, 0xfe },
      { .length = 4, .op = INSN_CMP, .op_size = 1, .mem_size = 1, REG(RBX), .mem = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .disp = -0x2, .addr_size = 2 } } },
    { M32, "addr16 cmp byte ptr [0x1234], 0x5a",
      { 0x67, 0x80, 0x3e, 0x34, 0x12, 0x5a },
      { .length = 6, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(0x5a),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "cmp word ptr [ebp-0x4], ax",
      { 0x66, 0x39, 0x45, 0xfc },
      { .length = 4, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = -0x4, .addr_size = 4 } } },
    { M32, "cmp dx, word ptr [esp+0x8]",
      { 0x66, 0x3b, 0x54, 0x24, 0x08 },
      { .length = 5, .op = INSN_CMP, .op_size = 2, .mem_size = 2, REG(RDX), .mem = { .seg = SEG_SS,
        BASE(RSP), .scale = 1, .disp = 0x8, .addr_size = 4 } } },
    { M32, "cmp word ptr [ecx*4+0x1000], -0x8000",
      { 0x66, 0x81, 0x3c, 0x8d, 0x00, 0x10, 0x00, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        IMM(-0x8000), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 4, .disp = 0x1000,
        .addr_size = 4 } } },
    { M32, "cmp dword ptr [eax+ebp], edi",
      { 0x39, 0x3c, 0x28 },
      { .length = 3, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RDI),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 1, .addr_size = 4 } } },
    { M32, "cmp ecx, dword ptr fs:[eax+0x4]",
      { 0x64, 0x3b, 0x48, 0x04 },
      { .length = 4, .op = INSN_CMP, .op_size = 4, .mem_size = 4, REG(RCX), .mem = { .seg = SEG_FS,
        BASE(RAX), .scale = 1, .disp = 0x4, .addr_size = 4 } } },
    { M32, "cmp dword ptr ds:[ebp+0x7f], 0x7f",
      { 0x3e, 0x83, 0x7d, 0x7f, 0x7f },
      { .length = 5, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true, IMM(0x7f),
        .mem = { .seg = SEG_DS, BASE(RBP), .scale = 1, .disp = 0x7f, .addr_size = 4 } } },
    { M32, "test byte ptr [bx+si], dh",
      { 0x67, 0x84, 0x30 },
      { .length = 3, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, HIGH(RDX),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "test al, byte ptr [bx+0x1234]",
      { 0x67, 0x84, 0x87, 0x34, 0x12 },
      { .length = 5, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "test byte ptr [si-0x2], -0x1",
      { 0x67, 0xf6, 0x44, 0xfe, 0xff },
      { .length = 5, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(-0x1),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .disp = -0x2, .addr_size = 2 } } },
    { M32, "test word ptr [eax], bp",
      { 0x66, 0x85, 0x28 },
      { .length = 3, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RBP),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 4 } } },
    { M32, "test di, word ptr [ebp-0x4]",
      { 0x66, 0x85, 0x7d, 0xfc },
      { .length = 4, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = -0x4, .addr_size = 4 } } },
    { M32, "test word ptr [esp+0x8], -0x81",
      { 0x66, 0xf7, 0x44, 0x24, 0x08, 0x7f, 0xff },
      { .length = 7, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, IMM(-0x81),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x8, .addr_size = 4 } } },
    { M32, "test dword ptr [0x12345678], esp",
      { 0x85, 0x25, 0x78, 0x56, 0x34, 0x12 },
      { .length = 6, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RSP),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "test esi, dword ptr [eax+ebp]",
      { 0x85, 0x34, 0x28 },
      { .length = 3, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RSI),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 1, .addr_size = 4 } } },
    { M32, "test dword ptr fs:[eax+0x4], -0x1",
      { 0x64, 0xf7, 0x40, 0x04, 0xff, 0xff, 0xff, 0xff },
      { .length = 8, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, IMM(-0x1),
        .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .disp = 0x4, .addr_size = 4 } } },
    { M32, "lock xchg byte ptr cs:[edx], bl",
      { 0x2e, 0xf0, 0x86, 0x1a },
      { .length = 4, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_CS, BASE(RDX), .scale = 1, .addr_size = 4 }, .lock = true } },
    { M32, "xchg dh, byte ptr [bp+di+0x10]",
      { 0x67, 0x86, 0x73, 0x10 },
      { .length = 4, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, HIGH(RDX),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RDI), .scale = 1, .disp = 0x10,
        .addr_size = 2 } } },
    { M32, "xchg word ptr [bp], ax",
      { 0x67, 0x66, 0x87, 0x46, 0x00 },
      { .length = 5, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M32, "addr16 xchg bx, word ptr [0x1234]",
      { 0x67, 0x66, 0x87, 0x1e, 0x34, 0x12 },
      { .length = 6, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "xchg dword ptr [ebx+0x10], ebp",
      { 0x87, 0x6b, 0x10 },
      { .length = 3, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RBP),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 4 } } },
    { M32, "xchg eax, dword ptr [esp+0x8]",
      { 0x87, 0x44, 0x24, 0x08 },
      { .length = 4, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x8, .addr_size = 4 } } },
    { M32, "movzx dx, byte ptr [ecx*4+0x1000]",
      { 0x66, 0x0f, 0xb6, 0x14, 0x8d, 0x00, 0x10, 0x00, 0x00 },
      { .length = 9, .op = INSN_MOVZX, .op_size = 2, .mem_size = 1, REG(RDX),
        .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 4, .disp = 0x1000, .addr_size = 4 } } },
    { M32, "movzx sp, word ptr [ebp+eax*2]",
      { 0x66, 0x0f, 0xb7, 0x64, 0x45, 0x00 },
      { .length = 6, .op = INSN_MOVZX, .op_size = 2, .mem_size = 2, REG(RSP),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RAX), .scale = 2, .addr_size = 4 } } },
    { M32, "movzx esi, byte ptr es:[ebx]",
      { 0x26, 0x0f, 0xb6, 0x33 },
      { .length = 4, .op = INSN_MOVZX, .op_size = 4, .mem_size = 1, REG(RSI),
        .mem = { .seg = SEG_ES, BASE(RBX), .scale = 1, .addr_size = 4 } } },
    { M32, "movzx eax, word ptr ss:[ecx]",
      { 0x36, 0x0f, 0xb7, 0x01 },
      { .length = 4, .op = INSN_MOVZX, .op_size = 4, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RCX), .scale = 1, .addr_size = 4 } } },
    { M32, "movsx dx, byte ptr cs:[edx]",
      { 0x2e, 0x66, 0x0f, 0xbe, 0x12 },
      { .length = 5, .op = INSN_MOVSX, .op_size = 2, .mem_size = 1, REG(RDX),
        .mem = { .seg = SEG_CS, BASE(RDX), .scale = 1, .addr_size = 4 } } },
    { M32, "movsx sp, word ptr [bx+si]",
      { 0x67, 0x66, 0x0f, 0xbf, 0x20 },
      { .length = 5, .op = INSN_MOVSX, .op_size = 2, .mem_size = 2, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "movsx esi, byte ptr [bx+0x1234]",
      { 0x67, 0x0f, 0xbe, 0xb7, 0x34, 0x12 },
      { .length = 6, .op = INSN_MOVSX, .op_size = 4, .mem_size = 1, REG(RSI),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    { M32, "movsx eax, word ptr [si-0x2]",
      { 0x67, 0x0f, 0xbf, 0x44, 0xfe },
      { .length = 5, .op = INSN_MOVSX, .op_size = 4, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .disp = -0x2, .addr_size = 2 } } },
    { M32, "stos byte ptr es:[edi], al",
      { 0xaa },
      { .length = 1, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep stos byte ptr es:[edi], al",
      { 0xf3, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "repnz stos byte ptr es:[edi], al",
      { 0xf2, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M32, "movs byte ptr es:[edi], byte ptr ds:[esi]",
      { 0xa4 },
      { .length = 1, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep movs byte ptr es:[edi], byte ptr fs:[esi]",
      { 0x64, 0xf3, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "movs byte ptr es:[edi], byte ptr es:[esi]",
      { 0x26, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "movs byte ptr es:[edi], byte ptr ss:[esi]",
      { 0x36, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "stos byte ptr es:[di], al",
      { 0x67, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep stos byte ptr es:[di], al",
      { 0x67, 0xf3, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "repnz stos byte ptr es:[di], al",
      { 0x67, 0xf2, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M32, "movs byte ptr es:[di], byte ptr ds:[si]",
      { 0x67, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep movs byte ptr es:[di], byte ptr fs:[si]",
      { 0x64, 0x67, 0xf3, 0xa4 },
      { .length = 4, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "movs byte ptr es:[di], byte ptr es:[si]",
      { 0x26, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "movs byte ptr es:[di], byte ptr ss:[si]",
      { 0x36, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "stos word ptr es:[edi], ax",
      { 0x66, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep stos word ptr es:[edi], ax",
      { 0x66, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "repnz stos word ptr es:[edi], ax",
      { 0x66, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M32, "movs word ptr es:[edi], word ptr ds:[esi]",
      { 0x66, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep movs word ptr es:[edi], word ptr fs:[esi]",
      { 0x64, 0x66, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "movs word ptr es:[edi], word ptr es:[esi]",
      { 0x26, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "movs word ptr es:[edi], word ptr ss:[esi]",
      { 0x36, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "stos word ptr es:[di], ax",
      { 0x67, 0x66, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep stos word ptr es:[di], ax",
      { 0x67, 0x66, 0xf3, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "repnz stos word ptr es:[di], ax",
      { 0x67, 0x66, 0xf2, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M32, "movs word ptr es:[di], word ptr ds:[si]",
      { 0x67, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep movs word ptr es:[di], word ptr fs:[si]",
      { 0x64, 0x67, 0x66, 0xf3, 0xa5 },
      { .length = 5, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "movs word ptr es:[di], word ptr es:[si]",
      { 0x26, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "movs word ptr es:[di], word ptr ss:[si]",
      { 0x36, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "stos dword ptr es:[edi], eax",
      { 0xab },
      { .length = 1, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep stos dword ptr es:[edi], eax",
      { 0xf3, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "repnz stos dword ptr es:[edi], eax",
      { 0xf2, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M32, "movs dword ptr es:[edi], dword ptr ds:[esi]",
      { 0xa5 },
      { .length = 1, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "rep movs dword ptr es:[edi], dword ptr fs:[esi]",
      { 0x64, 0xf3, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M32, "movs dword ptr es:[edi], dword ptr es:[esi]",
      { 0x26, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "movs dword ptr es:[edi], dword ptr ss:[esi]",
      { 0x36, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M32, "stos dword ptr es:[di], eax",
      { 0x67, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep stos dword ptr es:[di], eax",
      { 0x67, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "repnz stos dword ptr es:[di], eax",
      { 0x67, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_NE } },
    { M32, "movs dword ptr es:[di], dword ptr ds:[si]",
      { 0x67, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "rep movs dword ptr es:[di], dword ptr fs:[si]",
      { 0x64, 0x67, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 2 }, .rep = INSN_REP_E } },
    { M32, "movs dword ptr es:[di], dword ptr es:[si]",
      { 0x26, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_ES,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "movs dword ptr es:[di], dword ptr ss:[si]",
      { 0x36, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 2 }, .src = { .seg = SEG_SS,
        BASE(RSI), .scale = 1, .addr_size = 2 } } },
    { M32, "mov al, [0x1234]",
      { 0xa0, 0x34, 0x12, 0x00, 0x00 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov [0x1234], al",
      { 0xa2, 0x34, 0x12, 0x00, 0x00 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov al, es:[0x2000]",
      { 0x26, 0xa0, 0x00, 0x20, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov es:[0x2000], al",
      { 0x26, 0xa2, 0x00, 0x20, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov al, ss:[0x7ffe]",
      { 0x36, 0xa0, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov ss:[0x7ffe], al",
      { 0x36, 0xa2, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov al, [0x12345678]",
      { 0xa0, 0x78, 0x56, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov [0x12345678], al",
      { 0xa2, 0x78, 0x56, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov al, fs:[0x40]",
      { 0x64, 0xa0, 0x40, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov fs:[0x40], al",
      { 0x64, 0xa2, 0x40, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov ax, [0x1234]",
      { 0x66, 0xa1, 0x34, 0x12, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov [0x1234], ax",
      { 0x66, 0xa3, 0x34, 0x12, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov ax, es:[0x2000]",
      { 0x26, 0x66, 0xa1, 0x00, 0x20, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov es:[0x2000], ax",
      { 0x26, 0x66, 0xa3, 0x00, 0x20, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov ax, ss:[0x7ffe]",
      { 0x36, 0x66, 0xa1, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov ss:[0x7ffe], ax",
      { 0x36, 0x66, 0xa3, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov ax, [0x12345678]",
      { 0x66, 0xa1, 0x78, 0x56, 0x34, 0x12 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov [0x12345678], ax",
      { 0x66, 0xa3, 0x78, 0x56, 0x34, 0x12 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov ax, fs:[0x40]",
      { 0x64, 0x66, 0xa1, 0x40, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov fs:[0x40], ax",
      { 0x64, 0x66, 0xa3, 0x40, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov eax, [0x1234]",
      { 0xa1, 0x34, 0x12, 0x00, 0x00 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov [0x1234], eax",
      { 0xa3, 0x34, 0x12, 0x00, 0x00 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 4 } } },
    { M32, "mov eax, es:[0x2000]",
      { 0x26, 0xa1, 0x00, 0x20, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov es:[0x2000], eax",
      { 0x26, 0xa3, 0x00, 0x20, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_ES, .scale = 1, .disp = 0x2000, .addr_size = 4 } } },
    { M32, "mov eax, ss:[0x7ffe]",
      { 0x36, 0xa1, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov ss:[0x7ffe], eax",
      { 0x36, 0xa3, 0xfe, 0x7f, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_SS, .scale = 1, .disp = 0x7ffe, .addr_size = 4 } } },
    { M32, "mov eax, [0x12345678]",
      { 0xa1, 0x78, 0x56, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov [0x12345678], eax",
      { 0xa3, 0x78, 0x56, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 4 } } },
    { M32, "mov eax, fs:[0x40]",
      { 0x64, 0xa1, 0x40, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M32, "mov fs:[0x40], eax",
      { 0x64, 0xa3, 0x40, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_FS, .scale = 1, .disp = 0x40, .addr_size = 4 } } },
    { M64, "mov byte ptr [rcx*2+0x100], ah",
      { 0x88, 0x24, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        HIGH(RAX), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100,
        .addr_size = 8 } } },
    { M64, "mov byte ptr [rbx+r12], -0x80",
      { 0x42, 0xc6, 0x04, 0x23, 0x80 },
      { .length = 5, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(R12), .scale = 1,
        .addr_size = 8 } } },
    { M64, "mov word ptr [r13+rax-0x1], di",
      { 0x66, 0x41, 0x89, 0x7c, 0x05, 0xff },
      { .length = 6, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RDI), .mem = { .seg = SEG_DS, BASE(R13), INDEX(RAX), .scale = 1, .disp = -0x1,
        .addr_size = 8 } } },
    { M64, "mov word ptr [esp], -0x81",
      { 0x67, 0x66, 0xc7, 0x04, 0x24, 0x7f, 0xff },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        IMM(-0x81), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 4 } } },
    { M64, "mov dword ptr fs:[rax], ecx",
      { 0x64, 0x89, 0x08 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RCX), .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov dword ptr es:[rbx], 0x80",
      { 0x26, 0xc7, 0x03, 0x80, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(0x80), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov qword ptr gs:[rdi+rsi*4-0x7fffffff], rbx",
      { 0x65, 0x48, 0x89, 0x9c, 0xb7, 0x01, 0x00, 0x00, 0x80 },
      { .length = 9, .op = INSN_MOV_TO_MEM, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        REG(RBX), .mem = { .seg = SEG_GS, BASE(RDI), INDEX(RSI), .scale = 4, .disp = -0x7fffffff,
        .addr_size = 8 } } },
    { M64, "mov qword ptr [rax], -0x80000000",
      { 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80 },
      { .length = 7, .op = INSN_MOV_TO_MEM, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov ch, byte ptr [rsp]",
      { 0x8a, 0x2c, 0x24 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 8 } } },
    { M64, "mov ax, word ptr [r13]",
      { 0x66, 0x41, 0x8b, 0x45, 0x00 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(R13), .scale = 1, .addr_size = 8 } } },
    { M64, "mov ecx, dword ptr [rip+0x1234]",
      { 0x8b, 0x0d, 0x34, 0x12, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "mov rsp, qword ptr [rax+rcx*4+0x12345678]",
      { 0x48, 0x8b, 0xa4, 0x88, 0x78, 0x56, 0x34, 0x12 },
      { .length = 8, .op = INSN_MOV_FROM_MEM, .op_size = 8, .mem_size = 8, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RCX), .scale = 4, .disp = 0x12345678,
        .addr_size = 8 } } },
    { M64, "add byte ptr [rcx*2+0x100], dil",
      { 0x40, 0x00, 0x3c, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2,
        .disp = 0x100, .addr_size = 8 } } },
    { M64, "add spl, byte ptr [rbp+rax*2]",
      { 0x40, 0x02, 0x64, 0x45, 0x00 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1, REG(RSP),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RAX), .scale = 2, .addr_size = 8 } } },
    { M64, "lock add byte ptr [eax+ebx*2+0x4], -0x80",
      { 0x67, 0xf0, 0x80, 0x44, 0x58, 0x04, 0x80 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBX), .scale = 2,
        .disp = 0x4, .addr_size = 4 }, .lock = true } },
    { M64, "lock add word ptr fs:[rax], cx",
      { 0x64, 0x66, 0xf0, 0x01, 0x08 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "add di, word ptr ds:[rbp+0x8]",
      { 0x3e, 0x66, 0x03, 0x7d, 0x08 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 0x8, .addr_size = 8 } } },
    { M64, "lock add word ptr gs:[rdi+rsi*4-0x7fffffff], -0x81",
      { 0x65, 0x66, 0xf0, 0x81, 0x84, 0xb7, 0x01, 0x00, 0x00, 0x80, 0x7f, 0xff },
      { .length = 12, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_GS, BASE(RDI), INDEX(RSI), .scale = 4,
        .disp = -0x7fffffff, .addr_size = 8 }, .lock = true } },
    { M64, "lock add dword ptr [rbp], edx",
      { 0xf0, 0x01, 0x55, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RDX), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "add r15d, dword ptr [r13]",
      { 0x45, 0x03, 0x7d, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4, REG(R15),
        .mem = { .seg = SEG_DS, BASE(R13), .scale = 1, .addr_size = 8 } } },
    { M64, "lock add dword ptr [rip+0x1234], -0x80000000",
      { 0xf0, 0x81, 0x05, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80 },
      { .length = 11, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234,
        .addr_size = 8, .rip_relative = true }, .lock = true } },
    { M64, "lock add qword ptr [rcx*2+0x100], r8",
      { 0xf0, 0x4c, 0x01, 0x04, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100,
        .addr_size = 8 }, .lock = true } },
    { M64, "add rbp, qword ptr [rbp+rax*2]",
      { 0x48, 0x03, 0x6c, 0x45, 0x00 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 8, .mem_size = 8, REG(RBP),
        .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RAX), .scale = 2, .addr_size = 8 } } },
    { M64, "lock add qword ptr [r13+rax-0x1], 0x7fffffff",
      { 0xf0, 0x49, 0x81, 0x44, 0x05, 0xff, 0xff, 0xff, 0xff, 0x7f },
      { .length = 10, .op = INSN_ALU, .alu = ALU_ADD, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(0x7fffffff), .mem = { .seg = SEG_DS, BASE(R13), INDEX(RAX),
        .scale = 1, .disp = -0x1, .addr_size = 8 }, .lock = true } },
    { M64, "lock or byte ptr [eip+0x20], r8b",
      { 0x67, 0xf0, 0x44, 0x08, 0x05, 0x20, 0x00, 0x00, 0x00 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x20,
        .addr_size = 4, .rip_relative = true }, .lock = true } },
    { M64, "or ch, byte ptr es:[rbx]",
      { 0x26, 0x0a, 0x2b },
      { .length = 3, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "lock or byte ptr cs:[rsi], -0x80",
      { 0x2e, 0xf0, 0x80, 0x0e, 0x80 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_OR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock or word ptr [rbx+0x10], cx",
      { 0x66, 0xf0, 0x09, 0x4b, 0x10 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10,
        .addr_size = 8 }, .lock = true } },
    { M64, "or di, word ptr [r12]",
      { 0x66, 0x41, 0x0b, 0x3c, 0x24 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_DS, BASE(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "lock or word ptr [rsp+0x100], -0x81",
      { 0x66, 0xf0, 0x81, 0x8c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x7f, 0xff },
      { .length = 11, .op = INSN_ALU, .alu = ALU_OR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1,
        .disp = 0x100, .addr_size = 8 }, .lock = true } },
    { M64, "lock or dword ptr [r8+r15*8-0x80], esi",
      { 0xf0, 0x43, 0x09, 0x74, 0xf8, 0x80 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RSI), .mem = { .seg = SEG_DS, BASE(R8), INDEX(R15), .scale = 8,
        .disp = -0x80, .addr_size = 8 }, .lock = true } },
    { M64, "or ebp, dword ptr [rbx+r12]",
      { 0x42, 0x0b, 0x2c, 0x23 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4, REG(RBP),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "lock or dword ptr [rax+rbp*2+0x8], -0x80000000",
      { 0xf0, 0x81, 0x4c, 0x68, 0x08, 0x00, 0x00, 0x00, 0x80 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_OR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP),
        .scale = 2, .disp = 0x8, .addr_size = 8 }, .lock = true } },
    { M64, "lock or qword ptr [r9d+r10d*8], rdi",
      { 0x67, 0xf0, 0x4b, 0x09, 0x3c, 0xd1 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_OR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, BASE(R9), INDEX(R10), .scale = 8,
        .addr_size = 4 }, .lock = true } },
    { M64, "or rbx, qword ptr gs:[0x10]",
      { 0x65, 0x48, 0x0b, 0x1c, 0x25, 0x10, 0x00, 0x00, 0x00 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_OR, .op_size = 8, .mem_size = 8, REG(RBX),
        .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "lock or qword ptr ds:[rbp+0x8], -0x80000000",
      { 0x3e, 0xf0, 0x48, 0x81, 0x4d, 0x08, 0x00, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_ALU, .alu = ALU_OR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1,
        .disp = 0x8, .addr_size = 8 }, .lock = true } },
    { M64, "lock and byte ptr [rax], r8b",
      { 0xf0, 0x44, 0x20, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "and ch, byte ptr [rsp]",
      { 0x22, 0x2c, 0x24 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 8 } } },
    { M64, "lock and byte ptr [r13], -0x80",
      { 0xf0, 0x41, 0x80, 0x65, 0x00, 0x80 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_AND, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(R13), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock and word ptr [rax+rcx*4+0x12345678], cx",
      { 0x66, 0xf0, 0x21, 0x8c, 0x88, 0x78, 0x56, 0x34, 0x12 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RCX), .scale = 4,
        .disp = 0x12345678, .addr_size = 8 }, .lock = true } },
    { M64, "and di, word ptr [0x1000]",
      { 0x66, 0x23, 0x3c, 0x25, 0x00, 0x10, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1000, .addr_size = 8 } } },
    { M64, "lock and word ptr [rbp+rax*2], -0x81",
      { 0x66, 0xf0, 0x81, 0x64, 0x45, 0x00, 0x7f, 0xff },
      { .length = 8, .op = INSN_ALU, .alu = ALU_AND, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_SS, BASE(RBP), INDEX(RAX), .scale = 2,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock and dword ptr [esp], r10d",
      { 0x67, 0xf0, 0x44, 0x21, 0x14, 0x24 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(R10), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1,
        .addr_size = 4 }, .lock = true } },
    { M64, "and ecx, dword ptr fs:[rax]",
      { 0x64, 0x23, 0x08 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4, REG(RCX),
        .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "lock and dword ptr es:[rbx], -0x80000000",
      { 0x26, 0xf0, 0x81, 0x23, 0x00, 0x00, 0x00, 0x80 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_AND, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock and qword ptr fs:[ebp-0x4], r8",
      { 0x64, 0x67, 0xf0, 0x4c, 0x21, 0x45, 0xfc },
      { .length = 7, .op = INSN_ALU, .alu = ALU_AND, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = -0x4,
        .addr_size = 4 }, .lock = true } },
    { M64, "and rbp, qword ptr [rbp]",
      { 0x48, 0x23, 0x6d, 0x00 },
      { .length = 4, .op = INSN_ALU, .alu = ALU_AND, .op_size = 8, .mem_size = 8, REG(RBP),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 8 } } },
    { M64, "lock and qword ptr [r12], 0x80",
      { 0xf0, 0x49, 0x81, 0x24, 0x24, 0x80, 0x00, 0x00, 0x00 },
      { .length = 9, .op = INSN_ALU, .alu = ALU_AND, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(0x80), .mem = { .seg = SEG_DS, BASE(R12), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock sub byte ptr [rip-0x10], r8b",
      { 0xf0, 0x44, 0x28, 0x05, 0xf0, 0xff, 0xff, 0xff },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_DS, .scale = 1, .disp = -0x10,
        .addr_size = 8, .rip_relative = true }, .lock = true } },
    { M64, "sub ch, byte ptr [rcx*2+0x100]",
      { 0x2a, 0x2c, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100, .addr_size = 8 } } },
    { M64, "lock sub byte ptr [rbx+r12], -0x80",
      { 0xf0, 0x42, 0x80, 0x2c, 0x23, 0x80 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(-0x80), .mem = { .seg = SEG_DS, BASE(RBX), INDEX(R12), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock sub word ptr [eax+ebx*2+0x4], cx",
      { 0x67, 0x66, 0xf0, 0x29, 0x4c, 0x58, 0x04 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBX), .scale = 2,
        .disp = 0x4, .addr_size = 4 }, .lock = true } },
    { M64, "sub di, word ptr [eip+0x20]",
      { 0x67, 0x66, 0x2b, 0x3d, 0x20, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x20, .addr_size = 4,
        .rip_relative = true } } },
    { M64, "lock sub word ptr gs:[0x10], -0x81",
      { 0x65, 0x66, 0xf0, 0x81, 0x2c, 0x25, 0x10, 0x00, 0x00, 0x00, 0x7f, 0xff },
      { .length = 12, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x81), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x10,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock sub dword ptr gs:[rdi+rsi*4-0x7fffffff], r15d",
      { 0x65, 0xf0, 0x44, 0x29, 0xbc, 0xb7, 0x01, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(R15), .mem = { .seg = SEG_GS, BASE(RDI), INDEX(RSI), .scale = 4,
        .disp = -0x7fffffff, .addr_size = 8 }, .lock = true } },
    { M64, "sub eax, dword ptr [rbx+0x10]",
      { 0x2b, 0x43, 0x10 },
      { .length = 3, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "lock sub dword ptr [rsp], -0x80000000",
      { 0xf0, 0x81, 0x2c, 0x24, 0x00, 0x00, 0x00, 0x80 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(-0x80000000ll), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock sub qword ptr [rip+0x1234], rdi",
      { 0xf0, 0x48, 0x29, 0x3d, 0x34, 0x12, 0x00, 0x00 },
      { .length = 8, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, REG(RDI), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234,
        .addr_size = 8, .rip_relative = true }, .lock = true } },
    { M64, "sub rbx, qword ptr [r8+r15*8-0x80]",
      { 0x4b, 0x2b, 0x5c, 0xf8, 0x80 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 8, .mem_size = 8, REG(RBX),
        .mem = { .seg = SEG_DS, BASE(R8), INDEX(R15), .scale = 8, .disp = -0x80,
        .addr_size = 8 } } },
    { M64, "lock sub qword ptr [0x1000], 0x5",
      { 0xf0, 0x48, 0x83, 0x2c, 0x25, 0x00, 0x10, 0x00, 0x00, 0x05 },
      { .length = 10, .op = INSN_ALU, .alu = ALU_SUB, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(0x5), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1000,
        .addr_size = 8 }, .lock = true } },
    { M64, "lock xor byte ptr [r13+rax-0x1], r8b",
      { 0xf0, 0x45, 0x30, 0x44, 0x05, 0xff },
      { .length = 6, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, REG(R8), .mem = { .seg = SEG_DS, BASE(R13), INDEX(RAX), .scale = 1,
        .disp = -0x1, .addr_size = 8 }, .lock = true } },
    { M64, "xor ch, byte ptr [eip+0x20]",
      { 0x67, 0x32, 0x2d, 0x20, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x20, .addr_size = 4,
        .rip_relative = true } } },
    { M64, "xor byte ptr gs:[0x10], 0x5a",
      { 0x65, 0x80, 0x34, 0x25, 0x10, 0x00, 0x00, 0x00, 0x5a },
      { .length = 9, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(0x5a), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x10,
        .addr_size = 8 } } },
    { M64, "xor word ptr gs:[rdi+rsi*4-0x7fffffff], r14w",
      { 0x65, 0x66, 0x44, 0x31, 0xb4, 0xb7, 0x01, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, REG(R14), .mem = { .seg = SEG_GS, BASE(RDI), INDEX(RSI), .scale = 4,
        .disp = -0x7fffffff, .addr_size = 8 } } },
    { M64, "xor r9w, word ptr [rbx+0x10]",
      { 0x66, 0x44, 0x33, 0x4b, 0x10 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2, REG(R9),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "xor word ptr [rsp], -0x1",
      { 0x66, 0x83, 0x34, 0x24, 0xff },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(-0x1), .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1,
        .addr_size = 8 } } },
    { M64, "xor dword ptr [rip+0x1234], ecx",
      { 0x31, 0x0d, 0x34, 0x12, 0x00, 0x00 },
      { .length = 6, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, REG(RCX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234,
        .addr_size = 8, .rip_relative = true } } },
    { M64, "xor esi, dword ptr [r8+r15*8-0x80]",
      { 0x43, 0x33, 0x74, 0xf8, 0x80 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4, REG(RSI),
        .mem = { .seg = SEG_DS, BASE(R8), INDEX(R15), .scale = 8, .disp = -0x80,
        .addr_size = 8 } } },
    { M64, "xor dword ptr [0x1000], 0x7f",
      { 0x83, 0x34, 0x25, 0x00, 0x10, 0x00, 0x00, 0x7f },
      { .length = 8, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(0x7f), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1000,
        .addr_size = 8 } } },
    { M64, "xor qword ptr [r13+rax-0x1], r14",
      { 0x4d, 0x31, 0x74, 0x05, 0xff },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, REG(R14), .mem = { .seg = SEG_DS, BASE(R13), INDEX(RAX), .scale = 1,
        .disp = -0x1, .addr_size = 8 } } },
    { M64, "xor rdi, qword ptr [r9d+r10d*8]",
      { 0x67, 0x4b, 0x33, 0x3c, 0xd1 },
      { .length = 5, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 8, .mem_size = 8, REG(RDI),
        .mem = { .seg = SEG_DS, BASE(R9), INDEX(R10), .scale = 8, .addr_size = 4 } } },
    { M64, "xor qword ptr fs:[rax], 0x7fffffff",
      { 0x64, 0x48, 0x81, 0x30, 0xff, 0xff, 0xff, 0x7f },
      { .length = 8, .op = INSN_ALU, .alu = ALU_XOR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(0x7fffffff), .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1,
        .addr_size = 8 } } },
    { M64, "cmp byte ptr cs:[rsi], r15b",
      { 0x2e, 0x44, 0x38, 0x3e },
      { .length = 4, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(R15),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "cmp ch, byte ptr fs:[ebp-0x4]",
      { 0x64, 0x67, 0x3a, 0x6d, 0xfc },
      { .length = 5, .op = INSN_CMP, .op_size = 1, .mem_size = 1, HIGH(RCX),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = -0x4, .addr_size = 4 } } },
    { M64, "cmp byte ptr [rbx+0x10], -0x80",
      { 0x80, 0x7b, 0x10, 0x80 },
      { .length = 4, .op = INSN_CMP, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(-0x80),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "cmp word ptr [r12], sp",
      { 0x66, 0x41, 0x39, 0x24, 0x24 },
      { .length = 5, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "cmp r14w, word ptr [rsp+0x100]",
      { 0x66, 0x44, 0x3b, 0xb4, 0x24, 0x00, 0x01, 0x00, 0x00 },
      { .length = 9, .op = INSN_CMP, .op_size = 2, .mem_size = 2, REG(R14), .mem = { .seg = SEG_SS,
        BASE(RSP), .scale = 1, .disp = 0x100, .addr_size = 8 } } },
    { M64, "cmp word ptr [rip-0x10], 0x1234",
      { 0x66, 0x81, 0x3d, 0xf0, 0xff, 0xff, 0xff, 0x34, 0x12 },
      { .length = 9, .op = INSN_CMP, .op_size = 2, .mem_size = 2, .dst_is_mem = true, IMM(0x1234),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = -0x10, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "cmp dword ptr [rcx*2+0x100], r10d",
      { 0x44, 0x39, 0x14, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 8, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(R10),
        .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100, .addr_size = 8 } } },
    { M64, "cmp ebp, dword ptr [rbx+r12]",
      { 0x42, 0x3b, 0x2c, 0x23 },
      { .length = 4, .op = INSN_CMP, .op_size = 4, .mem_size = 4, REG(RBP), .mem = { .seg = SEG_DS,
        BASE(RBX), INDEX(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "cmp dword ptr [rax+rbp*2+0x8], 0x80",
      { 0x81, 0x7c, 0x68, 0x08, 0x80, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_CMP, .op_size = 4, .mem_size = 4, .dst_is_mem = true, IMM(0x80),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 2, .disp = 0x8,
        .addr_size = 8 } } },
    { M64, "cmp qword ptr [esp], rbx",
      { 0x67, 0x48, 0x39, 0x1c, 0x24 },
      { .length = 5, .op = INSN_CMP, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RBX),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 4 } } },
    { M64, "cmp r14, qword ptr [eip+0x20]",
      { 0x67, 0x4c, 0x3b, 0x35, 0x20, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_CMP, .op_size = 8, .mem_size = 8, REG(R14), .mem = { .seg = SEG_DS,
        .scale = 1, .disp = 0x20, .addr_size = 4, .rip_relative = true } } },
    { M64, "cmp qword ptr gs:[0x10], -0x2",
      { 0x65, 0x48, 0x83, 0x3c, 0x25, 0x10, 0x00, 0x00, 0x00, 0xfe },
      { .length = 10, .op = INSN_CMP, .op_size = 8, .mem_size = 8, .dst_is_mem = true, IMM(-0x2),
        .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "test byte ptr cs:[rsi], al",
      { 0x2e, 0x84, 0x06 },
      { .length = 3, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "test ah, byte ptr fs:[ebp-0x4]",
      { 0x64, 0x67, 0x84, 0x65, 0xfc },
      { .length = 5, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, HIGH(RAX),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = -0x4, .addr_size = 4 } } },
    { M64, "test byte ptr [rbx+0x10], -0x80",
      { 0xf6, 0x43, 0x10, 0x80 },
      { .length = 4, .op = INSN_TEST, .op_size = 1, .mem_size = 1, .dst_is_mem = true, IMM(-0x80),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "test word ptr [r12], di",
      { 0x66, 0x41, 0x85, 0x3c, 0x24 },
      { .length = 5, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RDI),
        .mem = { .seg = SEG_DS, BASE(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "test sp, word ptr [rsp+0x100]",
      { 0x66, 0x85, 0xa4, 0x24, 0x00, 0x01, 0x00, 0x00 },
      { .length = 8, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RSP),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .disp = 0x100, .addr_size = 8 } } },
    { M64, "test word ptr [rip-0x10], 0x7fff",
      { 0x66, 0xf7, 0x05, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x7f },
      { .length = 9, .op = INSN_TEST, .op_size = 2, .mem_size = 2, .dst_is_mem = true, IMM(0x7fff),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = -0x10, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "test dword ptr [rcx*2+0x100], r10d",
      { 0x44, 0x85, 0x14, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 8, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(R10),
        .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100, .addr_size = 8 } } },
    { M64, "test ebp, dword ptr [rbx+r12]",
      { 0x42, 0x85, 0x2c, 0x23 },
      { .length = 4, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RBP),
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(R12), .scale = 1, .addr_size = 8 } } },
    { M64, "test dword ptr [rax+rbp*2+0x8], -0x80000000",
      { 0xf7, 0x44, 0x68, 0x08, 0x00, 0x00, 0x00, 0x80 },
      { .length = 8, .op = INSN_TEST, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 2, .disp = 0x8,
        .addr_size = 8 } } },
    { M64, "test qword ptr [esp], rbp",
      { 0x67, 0x48, 0x85, 0x2c, 0x24 },
      { .length = 5, .op = INSN_TEST, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RBP),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 4 } } },
    { M64, "test r11, qword ptr [eip+0x20]",
      { 0x67, 0x4c, 0x85, 0x1d, 0x20, 0x00, 0x00, 0x00 },
      { .length = 8, .op = INSN_TEST, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(R11),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x20, .addr_size = 4,
        .rip_relative = true } } },
    { M64, "test qword ptr gs:[0x10], 0x80",
      { 0x65, 0x48, 0xf7, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00 },
      { .length = 13, .op = INSN_TEST, .op_size = 8, .mem_size = 8, .dst_is_mem = true, IMM(0x80),
        .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "lock xchg byte ptr cs:[rsi], dl",
      { 0x2e, 0xf0, 0x86, 0x16 },
      { .length = 4, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 }, .lock = true } },
    { M64, "xchg r8b, byte ptr [rax]",
      { 0x44, 0x86, 0x00 },
      { .length = 3, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(R8),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "xchg word ptr [rbp], sp",
      { 0x66, 0x87, 0x65, 0x00 },
      { .length = 4, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RSP),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 8 } } },
    { M64, "xchg ax, word ptr [r13]",
      { 0x66, 0x41, 0x87, 0x45, 0x00 },
      { .length = 5, .op = INSN_XCHG, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(R13), .scale = 1, .addr_size = 8 } } },
    { M64, "xchg dword ptr [rip+0x1234], ecx",
      { 0x87, 0x0d, 0x34, 0x12, 0x00, 0x00 },
      { .length = 6, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "xchg esi, dword ptr [r8+r15*8-0x80]",
      { 0x43, 0x87, 0x74, 0xf8, 0x80 },
      { .length = 5, .op = INSN_XCHG, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RSI),
        .mem = { .seg = SEG_DS, BASE(R8), INDEX(R15), .scale = 8, .disp = -0x80,
        .addr_size = 8 } } },
    { M64, "lock xchg qword ptr [0x1000], r14",
      { 0xf0, 0x4c, 0x87, 0x34, 0x25, 0x00, 0x10, 0x00, 0x00 },
      { .length = 9, .op = INSN_XCHG, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(R14),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1000, .addr_size = 8 }, .lock = true } },
    { M64, "xchg rdi, qword ptr [rax+rbp*2+0x8]",
      { 0x48, 0x87, 0x7c, 0x68, 0x08 },
      { .length = 5, .op = INSN_XCHG, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RDI),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBP), .scale = 2, .disp = 0x8,
        .addr_size = 8 } } },
    { M64, "movzx ax, byte ptr [eax+ebx*2+0x4]",
      { 0x67, 0x66, 0x0f, 0xb6, 0x44, 0x58, 0x04 },
      { .length = 7, .op = INSN_MOVZX, .op_size = 2, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RBX), .scale = 2, .disp = 0x4,
        .addr_size = 4 } } },
    { M64, "movzx r9w, word ptr [r9d+r10d*8]",
      { 0x67, 0x66, 0x47, 0x0f, 0xb7, 0x0c, 0xd1 },
      { .length = 7, .op = INSN_MOVZX, .op_size = 2, .mem_size = 2, REG(R9),
        .mem = { .seg = SEG_DS, BASE(R9), INDEX(R10), .scale = 8, .addr_size = 4 } } },
    { M64, "movzx ecx, byte ptr fs:[rax]",
      { 0x64, 0x0f, 0xb6, 0x08 },
      { .length = 4, .op = INSN_MOVZX, .op_size = 4, .mem_size = 1, REG(RCX),
        .mem = { .seg = SEG_FS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "movzx edx, word ptr es:[rbx]",
      { 0x26, 0x0f, 0xb7, 0x13 },
      { .length = 4, .op = INSN_MOVZX, .op_size = 4, .mem_size = 2, REG(RDX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "movzx rax, byte ptr cs:[rsi]",
      { 0x2e, 0x48, 0x0f, 0xb6, 0x06 },
      { .length = 5, .op = INSN_MOVZX, .op_size = 8, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "movzx r8, word ptr fs:[ebp-0x4]",
      { 0x64, 0x67, 0x4c, 0x0f, 0xb7, 0x45, 0xfc },
      { .length = 7, .op = INSN_MOVZX, .op_size = 8, .mem_size = 2, REG(R8),
        .mem = { .seg = SEG_FS, BASE(RBP), .scale = 1, .disp = -0x4, .addr_size = 4 } } },
    { M64, "movsx ax, byte ptr [rbx+0x10]",
      { 0x66, 0x0f, 0xbe, 0x43, 0x10 },
      { .length = 5, .op = INSN_MOVSX, .op_size = 2, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 0x10, .addr_size = 8 } } },
    { M64, "movsx r9w, word ptr [rsp]",
      { 0x66, 0x44, 0x0f, 0xbf, 0x0c, 0x24 },
      { .length = 6, .op = INSN_MOVSX, .op_size = 2, .mem_size = 2, REG(R9),
        .mem = { .seg = SEG_SS, BASE(RSP), .scale = 1, .addr_size = 8 } } },
    { M64, "movsx r15d, byte ptr [r13]",
      { 0x45, 0x0f, 0xbe, 0x7d, 0x00 },
      { .length = 5, .op = INSN_MOVSX, .op_size = 4, .mem_size = 1, REG(R15),
        .mem = { .seg = SEG_DS, BASE(R13), .scale = 1, .addr_size = 8 } } },
    { M64, "movsx ecx, word ptr [rip+0x1234]",
      { 0x0f, 0xbf, 0x0d, 0x34, 0x12, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOVSX, .op_size = 4, .mem_size = 2, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "movsx rsp, byte ptr [rax+rcx*4+0x12345678]",
      { 0x48, 0x0f, 0xbe, 0xa4, 0x88, 0x78, 0x56, 0x34, 0x12 },
      { .length = 9, .op = INSN_MOVSX, .op_size = 8, .mem_size = 1, REG(RSP),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(RCX), .scale = 4, .disp = 0x12345678,
        .addr_size = 8 } } },
    { M64, "movsx rdi, word ptr [rcx*2+0x100]",
      { 0x48, 0x0f, 0xbf, 0x3c, 0x4d, 0x00, 0x01, 0x00, 0x00 },
      { .length = 9, .op = INSN_MOVSX, .op_size = 8, .mem_size = 2, REG(RDI),
        .mem = { .seg = SEG_DS, INDEX(RCX), .scale = 2, .disp = 0x100, .addr_size = 8 } } },
    { M64, "stos byte ptr es:[rdi], al",
      { 0xaa },
      { .length = 1, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep stos byte ptr es:[rdi], al",
      { 0xf3, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "repnz stos byte ptr es:[rdi], al",
      { 0xf2, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_NE } },
    { M64, "movs byte ptr es:[rdi], byte ptr ds:[rsi]",
      { 0xa4 },
      { .length = 1, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep movs byte ptr es:[rdi], byte ptr fs:[rsi]",
      { 0x64, 0xf3, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "movs byte ptr es:[rdi], byte ptr es:[rsi]",
      { 0x26, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "movs byte ptr es:[rdi], byte ptr ss:[rsi]",
      { 0x36, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "stos byte ptr es:[edi], al",
      { 0x67, 0xaa },
      { .length = 2, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep stos byte ptr es:[edi], al",
      { 0x67, 0xf3, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "repnz stos byte ptr es:[edi], al",
      { 0x67, 0xf2, 0xaa },
      { .length = 3, .op = INSN_STOS, .op_size = 1, .mem_size = 1, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M64, "movs byte ptr es:[edi], byte ptr ds:[esi]",
      { 0x67, 0xa4 },
      { .length = 2, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep movs byte ptr es:[edi], byte ptr fs:[esi]",
      { 0x64, 0x67, 0xf3, 0xa4 },
      { .length = 4, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "movs byte ptr es:[edi], byte ptr es:[esi]",
      { 0x26, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "movs byte ptr es:[edi], byte ptr ss:[esi]",
      { 0x36, 0x67, 0xa4 },
      { .length = 3, .op = INSN_MOVS, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "stos word ptr es:[rdi], ax",
      { 0x66, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep stos word ptr es:[rdi], ax",
      { 0x66, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "repnz stos word ptr es:[rdi], ax",
      { 0x66, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_NE } },
    { M64, "movs word ptr es:[rdi], word ptr ds:[rsi]",
      { 0x66, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep movs word ptr es:[rdi], word ptr fs:[rsi]",
      { 0x64, 0x66, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "movs word ptr es:[rdi], word ptr es:[rsi]",
      { 0x26, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "movs word ptr es:[rdi], word ptr ss:[rsi]",
      { 0x36, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "stos word ptr es:[edi], ax",
      { 0x67, 0x66, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep stos word ptr es:[edi], ax",
      { 0x67, 0x66, 0xf3, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "repnz stos word ptr es:[edi], ax",
      { 0x67, 0x66, 0xf2, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 2, .mem_size = 2, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M64, "movs word ptr es:[edi], word ptr ds:[esi]",
      { 0x67, 0x66, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep movs word ptr es:[edi], word ptr fs:[esi]",
      { 0x64, 0x67, 0x66, 0xf3, 0xa5 },
      { .length = 5, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "movs word ptr es:[edi], word ptr es:[esi]",
      { 0x26, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "movs word ptr es:[edi], word ptr ss:[esi]",
      { 0x36, 0x67, 0x66, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "stos dword ptr es:[rdi], eax",
      { 0xab },
      { .length = 1, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep stos dword ptr es:[rdi], eax",
      { 0xf3, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "repnz stos dword ptr es:[rdi], eax",
      { 0xf2, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_NE } },
    { M64, "movs dword ptr es:[rdi], dword ptr ds:[rsi]",
      { 0xa5 },
      { .length = 1, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep movs dword ptr es:[rdi], dword ptr fs:[rsi]",
      { 0x64, 0xf3, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "movs dword ptr es:[rdi], dword ptr es:[rsi]",
      { 0x26, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "movs dword ptr es:[rdi], dword ptr ss:[rsi]",
      { 0x36, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "stos dword ptr es:[edi], eax",
      { 0x67, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep stos dword ptr es:[edi], eax",
      { 0x67, 0xf3, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "repnz stos dword ptr es:[edi], eax",
      { 0x67, 0xf2, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 4, .mem_size = 4, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M64, "movs dword ptr es:[edi], dword ptr ds:[esi]",
      { 0x67, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep movs dword ptr es:[edi], dword ptr fs:[esi]",
      { 0x64, 0x67, 0xf3, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "movs dword ptr es:[edi], dword ptr es:[esi]",
      { 0x26, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "movs dword ptr es:[edi], dword ptr ss:[esi]",
      { 0x36, 0x67, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "stos qword ptr es:[rdi], rax",
      { 0x48, 0xab },
      { .length = 2, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep stos qword ptr es:[rdi], rax",
      { 0xf3, 0x48, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "repnz stos qword ptr es:[rdi], rax",
      { 0xf2, 0x48, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_NE } },
    { M64, "movs qword ptr es:[rdi], qword ptr ds:[rsi]",
      { 0x48, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "rep movs qword ptr es:[rdi], qword ptr fs:[rsi]",
      { 0x64, 0xf3, 0x48, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 8 }, .rep = INSN_REP_E } },
    { M64, "movs qword ptr es:[rdi], qword ptr es:[rsi]",
      { 0x26, 0x48, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "movs qword ptr es:[rdi], qword ptr ss:[rsi]",
      { 0x36, 0x48, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "stos qword ptr es:[edi], rax",
      { 0x67, 0x48, 0xab },
      { .length = 3, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep stos qword ptr es:[edi], rax",
      { 0x67, 0xf3, 0x48, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "repnz stos qword ptr es:[edi], rax",
      { 0x67, 0xf2, 0x48, 0xab },
      { .length = 4, .op = INSN_STOS, .op_size = 8, .mem_size = 8, .dst_is_mem = true, REG(RAX),
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_NE } },
    { M64, "movs qword ptr es:[edi], qword ptr ds:[esi]",
      { 0x67, 0x48, 0xa5 },
      { .length = 3, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "rep movs qword ptr es:[edi], qword ptr fs:[esi]",
      { 0x64, 0x67, 0xf3, 0x48, 0xa5 },
      { .length = 5, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_FS,
        BASE(RSI), .scale = 1, .addr_size = 4 }, .rep = INSN_REP_E } },
    { M64, "movs qword ptr es:[edi], qword ptr es:[esi]",
      { 0x26, 0x67, 0x48, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "movs qword ptr es:[edi], qword ptr ss:[esi]",
      { 0x36, 0x67, 0x48, 0xa5 },
      { .length = 4, .op = INSN_MOVS, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 4 }, .src = { .seg = SEG_DS,
        BASE(RSI), .scale = 1, .addr_size = 4 } } },
    { M64, "movabs al, [0x1122334455667788]",
      { 0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
      { .length = 9, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1122334455667788, .addr_size = 8 } } },
    { M64, "movabs [0xfedcba9876543210], al",
      { 0xa2, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe },
      { .length = 9, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = (int64_t)0xfedcba9876543210ull,
        .addr_size = 8 } } },
    { M64, "movabs al, gs:[0x80]",
      { 0x65, 0xa0, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
      { .length = 10, .op = INSN_MOV_FROM_MEM, .op_size = 1, .mem_size = 1, REG(RAX),
        .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x80, .addr_size = 8 } } },
    { M64, "movabs fs:[0xffffffff], al",
      { 0x64, 0xa2, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_FS, .scale = 1, .disp = 0xffffffff, .addr_size = 8 } } },
    { M64, "movabs [0x1122334455667788], ax",
      { 0x66, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1122334455667788,
        .addr_size = 8 } } },
    { M64, "movabs ax, [0xfedcba9876543210]",
      { 0x66, 0xa1, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe },
      { .length = 10, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = (int64_t)0xfedcba9876543210ull,
        .addr_size = 8 } } },
    { M64, "movabs gs:[0x80], ax",
      { 0x65, 0x66, 0xa3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
      { .length = 11, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x80, .addr_size = 8 } } },
    { M64, "movabs ax, fs:[0xffffffff]",
      { 0x64, 0x66, 0xa1, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 },
      { .length = 11, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0xffffffff, .addr_size = 8 } } },
    { M64, "movabs [0x1122334455667788], eax",
      { 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
      { .length = 9, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1122334455667788,
        .addr_size = 8 } } },
    { M64, "movabs eax, [0xfedcba9876543210]",
      { 0xa1, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe },
      { .length = 9, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = (int64_t)0xfedcba9876543210ull,
        .addr_size = 8 } } },
    { M64, "movabs gs:[0x80], eax",
      { 0x65, 0xa3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x80, .addr_size = 8 } } },
    { M64, "movabs eax, fs:[0xffffffff]",
      { 0x64, 0xa1, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 },
      { .length = 10, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0xffffffff, .addr_size = 8 } } },
    { M64, "movabs [0x1122334455667788], rax",
      { 0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1122334455667788,
        .addr_size = 8 } } },
    { M64, "movabs rax, [0xfedcba9876543210]",
      { 0x48, 0xa1, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe },
      { .length = 10, .op = INSN_MOV_FROM_MEM, .op_size = 8, .mem_size = 8, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = (int64_t)0xfedcba9876543210ull,
        .addr_size = 8 } } },
    { M64, "movabs gs:[0x80], rax",
      { 0x65, 0x48, 0xa3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
      { .length = 11, .op = INSN_MOV_TO_MEM, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_GS, .scale = 1, .disp = 0x80, .addr_size = 8 } } },
    { M64, "movabs rax, fs:[0xffffffff]",
      { 0x64, 0x48, 0xa1, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 },
      { .length = 11, .op = INSN_MOV_FROM_MEM, .op_size = 8, .mem_size = 8, REG(RAX),
        .mem = { .seg = SEG_FS, .scale = 1, .disp = 0xffffffff, .addr_size = 8 } } },
    /* Segment-register moves: 16-bit memory whatever the operand size. */
    { M64, "mov word ptr [r12+rcx*1+0x1008], cs",
      { 0x41, 0x8c, 0x8c, 0x0c, 0x08, 0x10, 0x00, 0x00 },
      { .length = 8, .op = INSN_MOV_FROM_SREG, .sreg = SEG_CS, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .mem = { .seg = SEG_DS, BASE(R12), INDEX(RCX), .scale = 1,
        .disp = 0x1008, .addr_size = 8 } } },
    { M64, "data16 mov word ptr [r12+0x1008], cs",
      { 0x66, 0x41, 0x8c, 0x8c, 0x24, 0x08, 0x10, 0x00, 0x00 },
      { .length = 9, .op = INSN_MOV_FROM_SREG, .sreg = SEG_CS, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .mem = { .seg = SEG_DS, BASE(R12), .scale = 1, .disp = 0x1008,
        .addr_size = 8 } } },
    { M64, "mov word ptr [rbx], ds",
      { 0x8c, 0x1b },
      { .length = 2, .op = INSN_MOV_FROM_SREG, .sreg = SEG_DS, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov ss, word ptr [rax]",
      { 0x8e, 0x10 },
      { .length = 2, .op = INSN_MOV_TO_SREG, .sreg = SEG_SS, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov fs, word ptr [rip+0x10]",
      { 0x8e, 0x25, 0x10, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_TO_SREG, .sreg = SEG_FS, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x10, .addr_size = 8,
        .rip_relative = true } } },
    { M64, "rex.w mov gs, word ptr [rbx]",
      { 0x48, 0x8e, 0x2b },
      { .length = 3, .op = INSN_MOV_TO_SREG, .sreg = SEG_GS, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M32, "mov word ptr [ebx], es",
      { 0x8c, 0x03 },
      { .length = 2, .op = INSN_MOV_FROM_SREG, .sreg = SEG_ES, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 4 } } },
    { M32, "mov ds, word ptr [ebx+0x4]",
      { 0x8e, 0x5b, 0x04 },
      { .length = 3, .op = INSN_MOV_TO_SREG, .sreg = SEG_DS, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 4, .addr_size = 4 } } },
    { M16, "mov word ptr [bp+0x0], ss",
      { 0x8c, 0x56, 0x00 },
      { .length = 3, .op = INSN_MOV_FROM_SREG, .sreg = SEG_SS, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 2 } } },
    { M16, "mov es, word ptr [bx+si]",
      { 0x8e, 0x00 },
      { .length = 2, .op = INSN_MOV_TO_SREG, .sreg = SEG_ES, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RBX), INDEX(RSI), .scale = 1, .addr_size = 2 } } },
    /* Far JMP and CALL: the offset has the operand size (REX.W: 64 bits). */
    { M64, "jmp fword ptr [rbx]",
      { 0xff, 0x2b },
      { .length = 2, .op = INSN_JMP_FAR, .op_size = 4, .mem_size = 4,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "rex64 ljmp *0x8(%rbp) (m16:64)",
      { 0x48, 0xff, 0x6d, 0x08 },
      { .length = 4, .op = INSN_JMP_FAR, .op_size = 8, .mem_size = 8,
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .disp = 8, .addr_size = 8 } } },
    { M64, "rex64 ljmp *0x0(%r13)",
      { 0x49, 0xff, 0x6d, 0x00 },
      { .length = 4, .op = INSN_JMP_FAR, .op_size = 8, .mem_size = 8,
        .mem = { .seg = SEG_DS, BASE(R13), .scale = 1, .addr_size = 8 } } },
    { M64, "ljmpw *(%rbx) (m16:16)",
      { 0x66, 0xff, 0x2b },
      { .length = 3, .op = INSN_JMP_FAR, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "call fword ptr [rsi]",
      { 0xff, 0x1e },
      { .length = 2, .op = INSN_CALL_FAR, .op_size = 4, .mem_size = 4,
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 } } },
    { M64, "rex64 lcall *(%rbx)",
      { 0x48, 0xff, 0x1b },
      { .length = 3, .op = INSN_CALL_FAR, .op_size = 8, .mem_size = 8,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M32, "lcall *(%ebx)",
      { 0xff, 0x1b },
      { .length = 2, .op = INSN_CALL_FAR, .op_size = 4, .mem_size = 4,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 4 } } },
    { M32, "ljmpw *0x8(%ecx)",
      { 0x66, 0xff, 0x69, 0x08 },
      { .length = 4, .op = INSN_JMP_FAR, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RCX), .scale = 1, .disp = 8, .addr_size = 4 } } },
    { M16, "ljmp *(%bx) (m16:16)",
      { 0xff, 0x2f },
      { .length = 2, .op = INSN_JMP_FAR, .op_size = 2, .mem_size = 2,
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 2 } } },
    { M16, "lcalll *0x2(%si) (m16:32)",
      { 0x66, 0xff, 0x5c, 0x02 },
      { .length = 4, .op = INSN_CALL_FAR, .op_size = 4, .mem_size = 4,
        .mem = { .seg = SEG_DS, BASE(RSI), .scale = 1, .disp = 2, .addr_size = 2 } } },
    /* Far RET: offset and CS in operand-sized slots (REX.W: 64 bits). */
    { M32, "lret",
      { 0xcb },
      { .length = 1, .op = INSN_RET_FAR, .op_size = 4, .mem_size = 4 } },
    { M32, "lret $0x8",
      { 0xca, 0x08, 0x00 },
      { .length = 3, .op = INSN_RET_FAR, .op_size = 4, .mem_size = 4, IMM(8) } },
    { M32, "lretw",
      { 0x66, 0xcb },
      { .length = 2, .op = INSN_RET_FAR, .op_size = 2, .mem_size = 2 } },
    { M64, "lretq",
      { 0x48, 0xcb },
      { .length = 2, .op = INSN_RET_FAR, .op_size = 8, .mem_size = 8 } },
    { M64, "lretl",
      { 0xcb },
      { .length = 1, .op = INSN_RET_FAR, .op_size = 4, .mem_size = 4 } },
    { M64, "lretq $0x10",
      { 0x48, 0xca, 0x10, 0x00 },
      { .length = 4, .op = INSN_RET_FAR, .op_size = 8, .mem_size = 8, IMM(0x10) } },
    /* Group 2 on memory. */
    { M64, "rol byte ptr [rbx], 1",
      { 0xd0, 0x03 },
      { .length = 2, .op = INSN_SHIFT, .shift = SHIFT_ROL, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, IMM(1), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 8 } } },
    { M64, "ror qword ptr [rbx+0x8], cl",
      { 0x48, 0xd3, 0x4b, 0x08 },
      { .length = 4, .op = INSN_SHIFT, .shift = SHIFT_ROR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, .count_cl = true, .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .disp = 8, .addr_size = 8 } } },
    { M64, "rcl word ptr [rbx], 0x3",
      { 0x66, 0xc1, 0x13, 0x03 },
      { .length = 4, .op = INSN_SHIFT, .shift = SHIFT_RCL, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, IMM(3), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 8 } } },
    { M64, "rcr dword ptr [rbx], 1",
      { 0xd1, 0x1b },
      { .length = 2, .op = INSN_SHIFT, .shift = SHIFT_RCR, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(1), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 8 } } },
    { M64, "shl dword ptr [rdi], 0x5",
      { 0xc1, 0x27, 0x05 },
      { .length = 3, .op = INSN_SHIFT, .shift = SHIFT_SHL, .op_size = 4, .mem_size = 4,
        .dst_is_mem = true, IMM(5), .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1,
        .addr_size = 8 } } },
    { M64, "shr byte ptr [rdi], cl",
      { 0xd2, 0x2f },
      { .length = 2, .op = INSN_SHIFT, .shift = SHIFT_SHR, .op_size = 1, .mem_size = 1,
        .dst_is_mem = true, .count_cl = true, .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1,
        .addr_size = 8 } } },
    { M64, "sar qword ptr [rdi], 1",
      { 0x48, 0xd1, 0x3f },
      { .length = 3, .op = INSN_SHIFT, .shift = SHIFT_SAR, .op_size = 8, .mem_size = 8,
        .dst_is_mem = true, IMM(1), .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1,
        .addr_size = 8 } } },
    { M64, "sal word ptr [rdi], cl",
      { 0x66, 0xd3, 0x27 },
      { .length = 3, .op = INSN_SHIFT, .shift = SHIFT_SHL, .op_size = 2, .mem_size = 2,
        .dst_is_mem = true, .count_cl = true, .mem = { .seg = SEG_DS, BASE(RDI), .scale = 1,
        .addr_size = 8 } } },
    /* Scalar SSE moves: a 16-byte register, 4 or 8 bytes of memory. */
    { M64, "movss xmm1, dword ptr [rbx]",
      { 0xf3, 0x0f, 0x10, 0x0b },
      { .length = 4, .op = INSN_VEC_LOAD, .vec = VEC_XMM, .op_size = 16, .mem_size = 4,
        REG(RCX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "movss dword ptr [rbx+0x4], xmm9",
      { 0xf3, 0x44, 0x0f, 0x11, 0x4b, 0x04 },
      { .length = 6, .op = INSN_VEC_STORE, .vec = VEC_XMM, .op_size = 16, .mem_size = 4,
        .dst_is_mem = true, REG(R9), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .disp = 4,
        .addr_size = 8 } } },
    { M64, "movsd xmm2, qword ptr [rbx]",
      { 0xf2, 0x0f, 0x10, 0x13 },
      { .length = 4, .op = INSN_VEC_LOAD, .vec = VEC_XMM, .op_size = 16, .mem_size = 8,
        REG(RDX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "movsd qword ptr [rbx], xmm3",
      { 0xf2, 0x0f, 0x11, 0x1b },
      { .length = 4, .op = INSN_VEC_STORE, .vec = VEC_XMM, .op_size = 16, .mem_size = 8,
        .dst_is_mem = true, REG(RBX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1,
        .addr_size = 8 } } },
    /* ENTER with a nesting level. */
    { M32, "enter 0x10, 0x3",
      { 0xc8, 0x10, 0x00, 0x03 },
      { .length = 4, .op = INSN_ENTER, .op_size = 4, .mem_size = 4, IMM(0x10), .imm2 = 3 } },
    { M64, "enterw 0x20, 0x1",
      { 0x66, 0xc8, 0x20, 0x00, 0x01 },
      { .length = 5, .op = INSN_ENTER, .op_size = 2, .mem_size = 2, IMM(0x20), .imm2 = 1 } },
};

/* Encodings the assembler does not emit; each was disassembled with objdump
 * to confirm the reading. */
static const struct decode_case handmade_cases[] = {
    /* A REX prefix followed by a legacy prefix is ignored: a 16-bit MOV. */
    { M64, "rex.W data16 mov word ptr [rbx], ax", { 0x48, 0x66, 0x89, 0x03 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    /* REX.W takes precedence over 66. */
    { M64, "data16 mov qword ptr [rbx], rax", { 0x66, 0x48, 0x89, 0x03 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 8, .mem_size = 8, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    /* Byte register 4 is SPL with any REX, AH without. */
    { M64, "mov byte ptr [rax], spl", { 0x40, 0x88, 0x20 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RSP), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    { M64, "mov byte ptr [rax], ah", { 0x88, 0x20 },
      { .length = 2, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        HIGH(RAX), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    /* Of two REX prefixes only the one next to the opcode counts: REX.B is lost. */
    { M64, "rex.B; mov byte ptr [rax], spl", { 0x41, 0x40, 0x88, 0x20 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RSP), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    /* An ignored REX does not make AH unreachable (nor does 66 widen a byte op). */
    { M64, "rex.R; data16 mov byte ptr [rax], ah", { 0x44, 0x66, 0x88, 0x20 },
      { .length = 4, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        HIGH(RAX), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    /* 64-bit mode ignores CS, DS, ES and SS overrides: defaults stay. */
    { M64, "cs mov eax, dword ptr [rbx]", { 0x2e, 0x8b, 0x03 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M64, "es mov eax, dword ptr [rbp+0x0]", { 0x26, 0x8b, 0x45, 0x00 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_SS, BASE(RBP), .scale = 1, .addr_size = 8 } } },
    /* The last segment prefix wins. */
    { M64, "fs mov eax, dword ptr gs:[rbx]", { 0x64, 0x65, 0x8b, 0x03 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_GS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    { M16, "es mov ax, word ptr ds:[bp+0x2]", { 0x26, 0x3e, 0x8b, 0x46, 0x02 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RBP), .scale = 1, .disp = 2, .addr_size = 2 } } },
    /* SIB index 100 without REX.X means no index, whatever the scale bits say... */
    { M64, "mov eax, dword ptr [rax+riz*4]", { 0x8b, 0x04, 0xa0 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .addr_size = 8 } } },
    /* ... and R12 with it. */
    { M64, "mov eax, dword ptr [rax+r12*4]", { 0x42, 0x8b, 0x04, 0xa0 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RAX), INDEX(R12), .scale = 4, .addr_size = 8 } } },
    /* SIB base 101 with mod 00 is "no base" even with REX.B (not R13). */
    { M64, "rex.B mov eax, dword ptr ds:0x12345678",
      { 0x41, 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12 },
      { .length = 8, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x12345678, .addr_size = 8 } } },
    /* ModRM rm 101 with mod 00 is RIP-relative even with REX.B. */
    { M64, "rex.B mov eax, dword ptr [rip+0x10]", { 0x41, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x10, .addr_size = 8,
                 .rip_relative = true } } },
    /* In 32-bit mode the same ModRM is an absolute disp32. */
    { M32, "mov eax, dword ptr ds:0x10", { 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x10, .addr_size = 4 } } },
    /* REP on something other than a string instruction (XRELEASE) is kept as written. */
    { M64, "xrelease mov dword ptr [rbx], eax", { 0xf3, 0x89, 0x03 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 },
        .rep = INSN_REP_E } },
    { M64, "repnz movs dword ptr es:[rdi], dword ptr ds:[rsi]", { 0xf2, 0xa5 },
      { .length = 2, .op = INSN_MOVS, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        .mem = { .seg = SEG_ES, BASE(RDI), .scale = 1, .addr_size = 8 },
        .src = { .seg = SEG_DS, BASE(RSI), .scale = 1, .addr_size = 8 },
        .rep = INSN_REP_NE } },
    /* disp32 and imm32 are sign-extended. */
    { M64, "mov eax, dword ptr [rax-0x80000000]", { 0x8b, 0x80, 0x00, 0x00, 0x00, 0x80 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1, .disp = -0x80000000ll,
                 .addr_size = 8 } } },
    { M64, "mov dword ptr [rax-0x80000000], 0x80000000",
      { 0xc7, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80 },
      { .length = 10, .op = INSN_MOV_TO_MEM, .op_size = 4, .mem_size = 4, .dst_is_mem = true,
        IMM(-0x80000000ll), .mem = { .seg = SEG_DS, BASE(RAX), .scale = 1,
                                     .disp = -0x80000000ll, .addr_size = 8 } } },
    /* A moffs is an offset, zero-extended; a ModRM disp32/disp16 is sign-extended. */
    { M32, "mov eax, ds:0x87654321", { 0xa1, 0x21, 0x43, 0x65, 0x87 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x87654321, .addr_size = 4 } } },
    { M32, "mov ecx, dword ptr ds:0x87654321", { 0x8b, 0x0d, 0x21, 0x43, 0x65, 0x87 },
      { .length = 6, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = -0x789abcdf, .addr_size = 4 } } },
    { M16, "mov ax, ds:0xf234", { 0xa1, 0x34, 0xf2 },
      { .length = 3, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0xf234, .addr_size = 2 } } },
    { M16, "mov cx, word ptr ds:0xf234", { 0x8b, 0x0e, 0x34, 0xf2 },
      { .length = 4, .op = INSN_MOV_FROM_MEM, .op_size = 2, .mem_size = 2, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = -0xdcc, .addr_size = 2 } } },
    { M64, "addr32 mov rax, ds:0x80000000", { 0x67, 0x48, 0xa1, 0x00, 0x00, 0x00, 0x80 },
      { .length = 7, .op = INSN_MOV_FROM_MEM, .op_size = 8, .mem_size = 8, REG(RAX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x80000000, .addr_size = 4 } } },
    /* 67 in 32-bit mode selects 16-bit addressing, where rm 110 mod 00 is disp16. */
    { M32, "addr16 mov ecx, dword ptr ds:0x1234", { 0x67, 0x8b, 0x0e, 0x34, 0x12 },
      { .length = 5, .op = INSN_MOV_FROM_MEM, .op_size = 4, .mem_size = 4, REG(RCX),
        .mem = { .seg = SEG_DS, .scale = 1, .disp = 0x1234, .addr_size = 2 } } },
    /* 66 does not widen a byte opcode. */
    { M16, "data32 mov byte ptr [bx], al", { 0x66, 0x88, 0x07 },
      { .length = 3, .op = INSN_MOV_TO_MEM, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 2 } } },
    /* Thirteen prefixes, opcode and ModRM: exactly 15 bytes is still legal. */
    { M64, "data16 (x13) mov word ptr [rbx], ax",
      { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x89, 0x03 },
      { .length = 15, .op = INSN_MOV_TO_MEM, .op_size = 2, .mem_size = 2, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 } } },
    /* XCHG accepts LOCK (it is locked anyway). */
    { M64, "lock xchg byte ptr [rbx], al", { 0xf0, 0x86, 0x03 },
      { .length = 3, .op = INSN_XCHG, .op_size = 1, .mem_size = 1, .dst_is_mem = true,
        REG(RAX), .mem = { .seg = SEG_DS, BASE(RBX), .scale = 1, .addr_size = 8 },
        .lock = true } },
};

struct error_case {
    enum cpu_mode mode;
    const char *text;
    uint8_t bytes[24];
    uint8_t len;
    int err;
};

static const struct error_case error_cases[] = {
    /* Opcodes keel does not emulate. */
    { M64, "ud2", { 0x0f, 0x0b }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "nop", { 0x90 }, 1, INSN_ERR_UNSUPPORTED },
    { M64, "lea eax, [rbx]", { 0x8d, 0x03 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "adc al, 1 (accumulator form)", { 0x14, 0x01 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "D0 /6 (group 2 has no /6)", { 0xd0, 0x33 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "C1 /6 (group 2 has no /6)", { 0xc1, 0x33, 0x01 }, 3, INSN_ERR_UNSUPPORTED },
    { M64, "shl ebx, cl (register form)", { 0xd3, 0xe3 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "FF /5 with a register (no far JMP through one)", { 0xff, 0xeb }, 2,
      INSN_ERR_UNSUPPORTED },
    { M64, "FF /7", { 0xff, 0x3b }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "FE /2 (no byte CALL)", { 0xfe, 0x13 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "8F /1", { 0x8f, 0x0b }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "tzcnt eax, dword ptr [rbx]", { 0xf3, 0x0f, 0xbc, 0x03 }, 4, INSN_ERR_UNSUPPORTED },
    { M64, "movss xmm0, xmm1 (register form)", { 0xf3, 0x0f, 0x10, 0xc1 }, 4,
      INSN_ERR_UNSUPPORTED },
    { M64, "F2 0F 6F", { 0xf2, 0x0f, 0x6f, 0x03 }, 4, INSN_ERR_UNSUPPORTED },
    { M64, "sgdt [rbx] (0F 01 /0)", { 0x0f, 0x01, 0x03 }, 3, INSN_ERR_UNSUPPORTED },
    { M64, "0F BA /3 (reserved)", { 0x0f, 0xba, 0x1b, 0x01 }, 4, INSN_ERR_UNSUPPORTED },
    { M64, "mov cs, word ptr [rbx] (#UD)", { 0x8e, 0x0b }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "8C /6 (no segment register 6)", { 0x8c, 0x33 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "8E /7 (no segment register 7)", { 0x8e, 0x3b }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "mov ds, ax (register form)", { 0x8e, 0xd8 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "lock mov word ptr [rbx], ds", { 0xf0, 0x8c, 0x1b }, 3, INSN_ERR_LOCK },
    { M64, "lock shl dword ptr [rbx], 1", { 0xf0, 0xd1, 0x23 }, 3, INSN_ERR_LOCK },
    { M64, "lock jmp far [rbx]", { 0xf0, 0xff, 0x2b }, 3, INSN_ERR_LOCK },
    { M32, "arpl word ptr [ebx], ax (63 outside 64-bit mode)", { 0x63, 0x03 }, 2,
      INSN_ERR_UNSUPPORTED },
    { M64, "test byte ptr [rax], 1 (undocumented F6 /1)", { 0xf6, 0x08, 0x01 }, 3,
      INSN_ERR_UNSUPPORTED },
    { M64, "C6 /1", { 0xc6, 0x08, 0x01 }, 3, INSN_ERR_UNSUPPORTED },
    { M64, "xbegin", { 0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00 }, 6, INSN_ERR_UNSUPPORTED },
    { M64, "lock bt dword ptr [rbx], 1", { 0xf0, 0x0f, 0xba, 0x23, 0x01 }, 5, INSN_ERR_LOCK },
    { M64, "lock cmpsb", { 0xf0, 0xa6 }, 2, INSN_ERR_LOCK },
    { M64, "lock push qword ptr [rbx]", { 0xf0, 0xff, 0x33 }, 3, INSN_ERR_LOCK },
    { M64, "lock movdqu xmm0, [rbx]", { 0xf0, 0xf3, 0x0f, 0x6f, 0x03 }, 5, INSN_ERR_LOCK },
    { M64, "(bad) 82 in 64-bit mode", { 0x82, 0x03, 0x01 }, 3, INSN_ERR_UNSUPPORTED },
    { M32, "82 /0 (alias of 80, not emulated)", { 0x82, 0x03, 0x01 }, 3,
      INSN_ERR_UNSUPPORTED },
    { M32, "inc eax; mov (REX bytes are INC/DEC outside 64-bit mode)", { 0x40, 0x89, 0x03 },
      3, INSN_ERR_UNSUPPORTED },
    { M16, "dec ax", { 0x48, 0x89, 0x03 }, 3, INSN_ERR_UNSUPPORTED },
    /* Accumulator-immediate forms and register forms touch no memory. */
    { M64, "add al, 1", { 0x04, 0x01 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "cmp eax, 1", { 0x3d, 0x01, 0x00, 0x00, 0x00 }, 5, INSN_ERR_UNSUPPORTED },
    { M64, "mov ebx, eax", { 0x89, 0xc3 }, 2, INSN_ERR_UNSUPPORTED },
    { M64, "add ebx, 1", { 0x83, 0xc3, 0x01 }, 3, INSN_ERR_UNSUPPORTED },
    { M64, "movzx eax, al", { 0x0f, 0xb6, 0xc0 }, 3, INSN_ERR_UNSUPPORTED },
    { M16, "mov ax, bx", { 0x8b, 0xc3 }, 2, INSN_ERR_UNSUPPORTED },
    /* LOCK where the SDM says #UD. */
    { M64, "lock mov dword ptr [rbx], eax", { 0xf0, 0x89, 0x03 }, 3, INSN_ERR_LOCK },
    { M64, "lock mov eax, dword ptr [rbx]", { 0xf0, 0x8b, 0x03 }, 3, INSN_ERR_LOCK },
    { M64, "lock mov byte ptr [rbx], 1", { 0xf0, 0xc6, 0x03, 0x01 }, 4, INSN_ERR_LOCK },
    { M64, "lock cmp dword ptr [rbx], eax", { 0xf0, 0x39, 0x03 }, 3, INSN_ERR_LOCK },
    { M64, "lock cmp byte ptr [rbx], 1", { 0xf0, 0x80, 0x3b, 0x01 }, 4, INSN_ERR_LOCK },
    { M64, "lock test dword ptr [rbx], eax", { 0xf0, 0x85, 0x03 }, 3, INSN_ERR_LOCK },
    { M64, "lock test byte ptr [rbx], 1", { 0xf0, 0xf6, 0x03, 0x01 }, 4, INSN_ERR_LOCK },
    { M64, "lock add eax, dword ptr [rbx]", { 0xf0, 0x03, 0x03 }, 3, INSN_ERR_LOCK },
    { M64, "lock movzx eax, byte ptr [rbx]", { 0xf0, 0x0f, 0xb6, 0x03 }, 4, INSN_ERR_LOCK },
    { M64, "lock stosb", { 0xf0, 0xaa }, 2, INSN_ERR_LOCK },
    { M64, "lock movsd", { 0xf0, 0xa5 }, 2, INSN_ERR_LOCK },
    { M32, "lock mov ds:0x1000, eax", { 0xf0, 0xa3, 0x00, 0x10, 0x00, 0x00 }, 6,
      INSN_ERR_LOCK },
    /* Bytes that end inside the instruction. */
    { M64, "(nothing)", { 0 }, 0, INSN_ERR_TRUNCATED },
    { M64, "prefixes only", { 0x66, 0xf3, 0x48 }, 3, INSN_ERR_TRUNCATED },
    { M64, "0f escape only", { 0x0f }, 1, INSN_ERR_TRUNCATED },
    { M64, "missing SIB", { 0x8b, 0x04 }, 2, INSN_ERR_TRUNCATED },
    { M64, "missing disp8", { 0x8b, 0x44, 0x24 }, 3, INSN_ERR_TRUNCATED },
    { M64, "short disp32", { 0x8b, 0x80, 0x00, 0x00, 0x00 }, 5, INSN_ERR_TRUNCATED },
    { M64, "short imm32", { 0xc7, 0x03, 0x00, 0x00, 0x00 }, 5, INSN_ERR_TRUNCATED },
    { M64, "short moffs64", { 0xa1, 0, 0, 0, 0, 0, 0, 0 }, 8, INSN_ERR_TRUNCATED },
    { M16, "short disp16", { 0x8b, 0x0e, 0x34 }, 3, INSN_ERR_TRUNCATED },
    { M64, "14 bytes, imm missing",
      { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xc7, 0x03 },
      14, INSN_ERR_TRUNCATED },
    /* Longer than 15 bytes: #GP, whether or not more bytes were given. */
    { M64, "14 prefixes + mov (16 bytes)",
      { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x89, 0x03 }, 16, INSN_ERR_TOO_LONG },
    { M64, "14 prefixes + mov, 15 bytes given",
      { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x89 }, 15, INSN_ERR_TOO_LONG },
    { M64, "12 prefixes + mov m32, imm32 (18 bytes)",
      { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xc7, 0x03,
        0x01, 0x02, 0x03, 0x04 }, 18, INSN_ERR_TOO_LONG },
    { M32, "20 prefixes",
      { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
        0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e }, 20, INSN_ERR_TOO_LONG },
};

/* Decodes from a heap copy of exactly len bytes, so that AddressSanitizer
 * catches any read past the end. */
static int decode_exact(const uint8_t *bytes, size_t len, enum cpu_mode mode, struct insn *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, bytes, len);
    int err = insn_decode(len ? copy : copy + 1, len, mode, out);
    free(copy);
    return err;
}

static int mode_bits(enum cpu_mode mode)
{
    return mode == M16 ? 16 : mode == M32 ? 32 : 64;
}

#define CHECK_FIELD(c, got, want, field)                                          \
    do {                                                                          \
        if ((uint64_t)(got)->field != (uint64_t)(want)->field)                    \
            UNIT_FAIL("%d-bit \"%s\": %s = 0x%" PRIx64 ", want 0x%" PRIx64,       \
                      mode_bits((c)->mode), (c)->text, #field,                    \
                      (uint64_t)(got)->field, (uint64_t)(want)->field);           \
    } while (0)

static void check_mem(const struct decode_case *c, const struct insn_mem *got,
                      const struct insn_mem *want)
{
    CHECK_FIELD(c, got, want, seg);
    CHECK_FIELD(c, got, want, has_base);
    CHECK_FIELD(c, got, want, base);
    CHECK_FIELD(c, got, want, has_index);
    CHECK_FIELD(c, got, want, index);
    CHECK_FIELD(c, got, want, scale);
    CHECK_FIELD(c, got, want, disp);
    CHECK_FIELD(c, got, want, addr_size);
    CHECK_FIELD(c, got, want, rip_relative);
}

static void check_insn(const struct decode_case *c, const struct insn *got)
{
    const struct insn *want = &c->want;

    CHECK_FIELD(c, got, want, length);
    CHECK_FIELD(c, got, want, op);
    CHECK_FIELD(c, got, want, alu);
    CHECK_FIELD(c, got, want, bt);
    CHECK_FIELD(c, got, want, cond);
    CHECK_FIELD(c, got, want, shift);
    CHECK_FIELD(c, got, want, sreg);
    CHECK_FIELD(c, got, want, op_size);
    CHECK_FIELD(c, got, want, mem_size);
    CHECK_FIELD(c, got, want, dst_is_mem);
    CHECK_FIELD(c, got, want, has_reg);
    CHECK_FIELD(c, got, want, reg);
    CHECK_FIELD(c, got, want, reg_high_byte);
    CHECK_FIELD(c, got, want, has_imm);
    CHECK_FIELD(c, got, want, imm);
    CHECK_FIELD(c, got, want, imm2);
    CHECK_FIELD(c, got, want, count_cl);
    CHECK_FIELD(c, got, want, vec);
    CHECK_FIELD(c, got, want, vec_aligned);
    CHECK_FIELD(c, got, want, rep);
    CHECK_FIELD(c, got, want, lock);
    check_mem(c, &got->mem, &want->mem);
    check_mem(c, &got->src, &want->src);
}

static void check_decode_case(const struct decode_case *c)
{
    struct insn got;
    int err = decode_exact(c->bytes, c->want.length, c->mode, &got);

    if (err) {
        UNIT_FAIL("%d-bit \"%s\": error %d (%s)", mode_bits(c->mode), c->text, err,
                  insn_decode_error_name(err));
        return;
    }
    check_insn(c, &got);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TEST(decode_assembled_encodings)
{
    for (size_t i = 0; i < ARRAY_SIZE(assembled_cases); i++)
        check_decode_case(&assembled_cases[i]);
}

TEST(decode_handmade_encodings)
{
    for (size_t i = 0; i < ARRAY_SIZE(handmade_cases); i++)
        check_decode_case(&handmade_cases[i]);
}

/* Bytes after the instruction (the next instruction, or whatever keel
 * fetched) change nothing. */
static void check_trailing_bytes_ignored(const struct decode_case *c)
{
    uint8_t buf[INSN_MAX_LENGTH + 8];
    size_t len = c->want.length;
    struct insn got;

    memcpy(buf, c->bytes, len);
    memset(buf + len, 0x0f, sizeof(buf) - len);
    int err = decode_exact(buf, sizeof(buf), c->mode, &got);
    if (err) {
        UNIT_FAIL("\"%s\" + trailing bytes: error %d", c->text, err);
        return;
    }
    check_insn(c, &got);
}

TEST(decode_ignores_trailing_bytes)
{
    for (size_t i = 0; i < ARRAY_SIZE(assembled_cases); i++)
        check_trailing_bytes_ignored(&assembled_cases[i]);
    for (size_t i = 0; i < ARRAY_SIZE(handmade_cases); i++)
        check_trailing_bytes_ignored(&handmade_cases[i]);
}

/* Every proper prefix of a valid instruction is "truncated", never an
 * out-of-bounds read (decode_exact gives AddressSanitizer exact bounds). */
static void check_all_truncations(const struct decode_case *c)
{
    for (size_t n = 0; n < c->want.length; n++) {
        struct insn got;
        int err = decode_exact(c->bytes, n, c->mode, &got);
        if (err != INSN_ERR_TRUNCATED)
            UNIT_FAIL("%d-bit \"%s\" cut to %zu bytes: %d, want truncated",
                      mode_bits(c->mode), c->text, n, err);
    }
}

TEST(decode_truncated_encodings)
{
    for (size_t i = 0; i < ARRAY_SIZE(assembled_cases); i++)
        check_all_truncations(&assembled_cases[i]);
    for (size_t i = 0; i < ARRAY_SIZE(handmade_cases); i++)
        check_all_truncations(&handmade_cases[i]);
}

TEST(decode_errors)
{
    for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        struct insn got;
        int err = decode_exact(c->bytes, c->len, c->mode, &got);
        if (err != c->err)
            UNIT_FAIL("%d-bit \"%s\": %d (%s), want %d (%s)", mode_bits(c->mode), c->text,
                      err, insn_decode_error_name(err), c->err,
                      insn_decode_error_name(c->err));
    }
}

/* The same bytes mean different things in different modes. */
TEST(decode_depends_on_mode)
{
    const uint8_t bytes[] = { 0x8b, 0x46, 0x02 };
    struct insn in;

    CHECK_EQ_I(insn_decode(bytes, sizeof(bytes), M16, &in), 0);
    CHECK_EQ_U(in.op_size, 2);
    CHECK_EQ_U(in.mem.addr_size, 2);
    CHECK_EQ_U(in.mem.base, GPR_RBP);
    CHECK_EQ_U(in.mem.seg, SEG_SS);

    CHECK_EQ_I(insn_decode(bytes, sizeof(bytes), M32, &in), 0);
    CHECK_EQ_U(in.op_size, 4);
    CHECK_EQ_U(in.mem.addr_size, 4);
    CHECK_EQ_U(in.mem.base, GPR_RSI);
    CHECK_EQ_U(in.mem.seg, SEG_DS);

    CHECK_EQ_I(insn_decode(bytes, sizeof(bytes), M64, &in), 0);
    CHECK_EQ_U(in.op_size, 4);
    CHECK_EQ_U(in.mem.addr_size, 8);
    CHECK_EQ_U(in.mem.base, GPR_RSI);
    CHECK_EQ_I(in.mem.disp, 2);
}

TEST(cpu_mode_from_code_segment)
{
    CHECK_EQ_U(cpu_mode_from_cs(true, true, false), CPU_MODE_64);
    CHECK_EQ_U(cpu_mode_from_cs(true, false, true), CPU_MODE_32);
    CHECK_EQ_U(cpu_mode_from_cs(true, false, false), CPU_MODE_16);
    CHECK_EQ_U(cpu_mode_from_cs(false, true, true), CPU_MODE_32);
    CHECK_EQ_U(cpu_mode_from_cs(false, true, false), CPU_MODE_16);
    CHECK_EQ_U(cpu_mode_from_cs(false, false, false), CPU_MODE_16);
}

TEST(decode_error_names)
{
    CHECK_STR(insn_decode_error_name(INSN_ERR_TRUNCATED), "truncated");
    CHECK_STR(insn_decode_error_name(INSN_ERR_UNSUPPORTED), "unsupported");
    CHECK_STR(insn_decode_error_name(INSN_ERR_LOCK), "LOCK not allowed");
    CHECK_STR(insn_decode_error_name(INSN_ERR_TOO_LONG), "longer than 15 bytes");
    CHECK_STR(insn_decode_error_name(0), "?");
}

/* ---- Emulation ---------------------------------------------------------- */

/* A device window of BUS_SIZE bytes at BUS_BASE that logs every access, and
 * an identity "paging" for MOVS: gpa = segment base + offset. */
#define BUS_BASE 0xfed00000ull
#define BUS_SIZE 0x100
#define BUS_LOG 16

struct bus_access {
    bool write;
    uint64_t gpa;
    unsigned size;
    uint64_t val;
};

struct translation {
    uint64_t linear;
    bool write;
};

struct fake_bus {
    uint8_t mem[BUS_SIZE];
    bool fail_read, fail_write, fail_translate;
    bool dirty_high_bits;       /* reads return junk above the access size */
    uint64_t seg_base[NR_SEGS];
    unsigned reads, writes;
    struct bus_access log[BUS_LOG];
    unsigned nlog;
    unsigned ntranslations;
    struct translation translations[4];
};

static void bus_log(struct fake_bus *b, bool write, uint64_t gpa, unsigned size, uint64_t val)
{
    if (b->nlog < BUS_LOG)
        b->log[b->nlog++] = (struct bus_access){ write, gpa, size, val };
}

static bool bus_in_range(uint64_t gpa, unsigned size)
{
    return gpa >= BUS_BASE && gpa + size <= BUS_BASE + BUS_SIZE;
}

static uint64_t bus_get(const struct fake_bus *b, unsigned off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b->mem[off + i] << (8 * i);
    return v;
}

static void bus_put(struct fake_bus *b, unsigned off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++)
        b->mem[off + i] = (uint8_t)(v >> (8 * i));
}

static int bus_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct fake_bus *b = ctx;

    b->reads++;
    if (b->fail_read || !bus_in_range(gpa, size))
        return -1;
    *val = bus_get(b, (unsigned)(gpa - BUS_BASE), size);
    bus_log(b, false, gpa, size, *val);
    if (b->dirty_high_bits && size < 8)
        *val |= ~0ull << (8 * size);
    return 0;
}

static int bus_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct fake_bus *b = ctx;

    b->writes++;
    if (b->fail_write || !bus_in_range(gpa, size))
        return -1;
    bus_log(b, true, gpa, size, val);
    bus_put(b, (unsigned)(gpa - BUS_BASE), size, val);
    return 0;
}

/* Linear addresses are guest-physical ones on the fake bus, except that
 * the first page maps to the bus (so that tests may use small offsets). */
static int bus_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa)
{
    struct fake_bus *b = ctx;

    if (b->ntranslations < ARRAY_SIZE(b->translations))
        b->translations[b->ntranslations] = (struct translation){ linear, write };
    b->ntranslations++;
    if (b->fail_translate)
        return -1;
    *gpa = linear < 0x1000 ? BUS_BASE + linear : linear;
    return 0;
}

static uint64_t bus_seg_base(void *ctx, enum x86_seg seg)
{
    return ((struct fake_bus *)ctx)->seg_base[seg];
}

static const struct mmio_ops bus_ops = {
    .read = bus_read,
    .write = bus_write,
    .translate = bus_translate,
    .seg_base = bus_seg_base,
};

static const struct mmio_ops bus_ops_without_translate = {
    .read = bus_read,
    .write = bus_write,
};

/* Decodes bytes (which must be one whole instruction) and emulates it with
 * its memory operand at gpa. */
static int emulate_bytes(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                         struct guest_regs *regs, uint64_t *rflags, uint64_t gpa,
                         struct fake_bus *bus)
{
    struct insn in;
    int err = insn_decode(bytes, len, mode, &in);

    CHECK_EQ_I(err, 0);
    if (err)
        return -100;
    CHECK_EQ_U(in.length, len);
    return insn_emulate_mmio(&in, regs, rflags, gpa, &bus_ops, bus);
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define EMULATE(mode, regs, rflags, gpa, bus, ...) \
    emulate_bytes(mode, BYTES(__VA_ARGS__), regs, rflags, gpa, bus)

/* Architecturally fixed RFLAGS bit 1 and IF: bits the emulator must keep. */
#define RFLAGS_FIXED_AND_IF 0x202ull

static const uint64_t rax_pattern = 0x1122334455667788ull;

/* A load of each size from memory holding 12 34 56 78 9a bc de f0. */
static uint64_t load(enum cpu_mode mode, enum x86_gpr reg, uint64_t before,
                     const uint8_t *bytes, size_t len)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = RFLAGS_FIXED_AND_IF;

    bus_put(&bus, 0, 8, 0xf0debc9a78563412ull);
    regs.gpr[reg] = before;
    CHECK_EQ_I(emulate_bytes(mode, bytes, len, &regs, &rflags, BUS_BASE, &bus), INSN_EMU_DONE);
    CHECK_EQ_U(bus.writes, 0);
    CHECK_EQ_U(bus.reads, 1);
    CHECK_EQ_U(rflags, RFLAGS_FIXED_AND_IF);
    return regs.gpr[reg];
}

TEST(emulate_load_register_write_rules)
{
    /* 32-bit writes zero-extend; 8- and 16-bit writes keep the rest. */
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern, BYTES(0x8b, 0x03)), 0x78563412);
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern, BYTES(0x66, 0x8b, 0x03)), 0x1122334455663412ull);
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern, BYTES(0x8a, 0x03)), 0x1122334455667712ull);
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern, BYTES(0x48, 0x8b, 0x03)), 0xf0debc9a78563412ull);
    /* AH and BH are bits 15:8. */
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern, BYTES(0x8a, 0x23)), 0x1122334455661288ull);
    CHECK_EQ_U(load(M64, GPR_RBX, rax_pattern, BYTES(0x8a, 0x3b)), 0x1122334455661288ull);
    /* With REX the same encoding names SPL; R8B and R15D are reachable. */
    CHECK_EQ_U(load(M64, GPR_RSP, rax_pattern, BYTES(0x40, 0x8a, 0x23)), 0x1122334455667712ull);
    CHECK_EQ_U(load(M64, GPR_R8, rax_pattern, BYTES(0x44, 0x8a, 0x03)), 0x1122334455667712ull);
    CHECK_EQ_U(load(M64, GPR_R15, rax_pattern, BYTES(0x44, 0x8b, 0x3b)), 0x78563412);
    CHECK_EQ_U(load(M64, GPR_R9, rax_pattern, BYTES(0x66, 0x44, 0x8b, 0x0b)),
               0x1122334455663412ull);
    /* moffs loads. */
    CHECK_EQ_U(load(M64, GPR_RAX, rax_pattern,
                    BYTES(0x48, 0xa1, 0x00, 0x00, 0xd0, 0xfe, 0x00, 0x00, 0x00, 0x00)),
               0xf0debc9a78563412ull);
    CHECK_EQ_U(load(M32, GPR_RAX, rax_pattern, BYTES(0xa0, 0x00, 0x00, 0xd0, 0xfe)),
               0x1122334455667712ull);
    /* The same rules in the other modes. */
    CHECK_EQ_U(load(M16, GPR_RAX, rax_pattern, BYTES(0x8b, 0x07)), 0x1122334455663412ull);
    CHECK_EQ_U(load(M16, GPR_RAX, rax_pattern, BYTES(0x66, 0x8b, 0x07)), 0x78563412);
    CHECK_EQ_U(load(M16, GPR_RDX, rax_pattern, BYTES(0x8a, 0x37)), 0x1122334455661288ull);
    CHECK_EQ_U(load(M32, GPR_RCX, rax_pattern, BYTES(0x8b, 0x0b)), 0x78563412);
    CHECK_EQ_U(load(M32, GPR_RCX, rax_pattern, BYTES(0x8a, 0x2b)), 0x1122334455661288ull);
}

TEST(emulate_movzx_movsx)
{
    /* Memory: byte 0x80, word 0x9180.  Then byte 0x7f, word 0x7f7f. */
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    static const struct {
        uint8_t bytes[5];
        uint8_t len;
        uint64_t from_80, from_7f;
    } cases[] = {
        { { 0x0f, 0xb6, 0x03 }, 3, 0x80, 0x7f },                              /* movzx eax, m8 */
        { { 0x66, 0x0f, 0xb6, 0x03 }, 4, 0x1122334455660080ull, 0x112233445566007full },
        { { 0x48, 0x0f, 0xb6, 0x03 }, 4, 0x80, 0x7f },
        { { 0x0f, 0xb7, 0x03 }, 3, 0x9180, 0x7f7f },                          /* movzx eax, m16 */
        { { 0x48, 0x0f, 0xb7, 0x03 }, 4, 0x9180, 0x7f7f },
        { { 0x66, 0x0f, 0xb7, 0x03 }, 4, 0x1122334455669180ull, 0x1122334455667f7full },
        { { 0x0f, 0xbe, 0x03 }, 3, 0xffffff80, 0x7f },                        /* movsx eax, m8 */
        { { 0x66, 0x0f, 0xbe, 0x03 }, 4, 0x112233445566ff80ull, 0x112233445566007full },
        { { 0x48, 0x0f, 0xbe, 0x03 }, 4, 0xffffffffffffff80ull, 0x7f },
        { { 0x0f, 0xbf, 0x03 }, 3, 0xffff9180, 0x7f7f },                      /* movsx eax, m16 */
        { { 0x48, 0x0f, 0xbf, 0x03 }, 4, 0xffffffffffff9180ull, 0x7f7f },
        { { 0x66, 0x0f, 0xbf, 0x03 }, 4, 0x1122334455669180ull, 0x1122334455667f7full },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bus_put(&bus, 0, 4, 0xeeee9180);
        regs.gpr[GPR_RAX] = rax_pattern;
        CHECK_EQ_I(emulate_bytes(M64, cases[i].bytes, cases[i].len, &regs, &rflags, BUS_BASE,
                                 &bus), INSN_EMU_DONE);
        CHECK_EQ_U(regs.gpr[GPR_RAX], cases[i].from_80);

        bus_put(&bus, 0, 4, 0xeeee7f7f);
        regs.gpr[GPR_RAX] = rax_pattern;
        CHECK_EQ_I(emulate_bytes(M64, cases[i].bytes, cases[i].len, &regs, &rflags, BUS_BASE,
                                 &bus), INSN_EMU_DONE);
        CHECK_EQ_U(regs.gpr[GPR_RAX], cases[i].from_7f);
    }
    CHECK_EQ_U(bus.writes, 0);
    /* The access has the source's size, not the destination's. */
    CHECK_EQ_U(bus.log[0].size, 1);
    CHECK_EQ_U(bus.log[6].size, 2);
}

/* Stores must write exactly once, with the right size, and never read: a
 * device read can have side effects. */
static void check_store(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                        unsigned want_size, uint64_t want_val)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = RFLAGS_FIXED_AND_IF;

    regs.gpr[GPR_RAX] = rax_pattern;
    regs.gpr[GPR_RSP] = 0x00000000000000a5ull;
    regs.gpr[GPR_R10] = 0xfedcba9876543210ull;
    CHECK_EQ_I(emulate_bytes(mode, bytes, len, &regs, &rflags, BUS_BASE + 8, &bus),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus.reads, 0);
    CHECK_EQ_U(bus.writes, 1);
    CHECK_EQ_U(bus.log[0].gpa, BUS_BASE + 8);
    CHECK_EQ_U(bus.log[0].size, want_size);
    CHECK_EQ_U(bus.log[0].val, want_val);
    CHECK_EQ_U(regs.gpr[GPR_RAX], rax_pattern);
    CHECK_EQ_U(rflags, RFLAGS_FIXED_AND_IF);
}

TEST(emulate_store)
{
    check_store(M64, BYTES(0x88, 0x03), 1, 0x88);                       /* mov [rbx], al */
    check_store(M64, BYTES(0x88, 0x23), 1, 0x77);                       /* mov [rbx], ah */
    check_store(M64, BYTES(0x40, 0x88, 0x23), 1, 0xa5);                 /* mov [rbx], spl */
    check_store(M64, BYTES(0x66, 0x89, 0x03), 2, 0x7788);
    check_store(M64, BYTES(0x89, 0x03), 4, 0x55667788);
    check_store(M64, BYTES(0x48, 0x89, 0x03), 8, rax_pattern);
    check_store(M64, BYTES(0x4c, 0x89, 0x13), 8, 0xfedcba9876543210ull);  /* mov [rbx], r10 */
    check_store(M64, BYTES(0x44, 0x89, 0x13), 4, 0x76543210);             /* mov [rbx], r10d */
    check_store(M64, BYTES(0xc6, 0x03, 0xab), 1, 0xab);
    check_store(M64, BYTES(0x66, 0xc7, 0x03, 0x34, 0x92), 2, 0x9234);
    check_store(M64, BYTES(0xc7, 0x03, 0x78, 0x56, 0x34, 0x12), 4, 0x12345678);
    /* C7 with REX.W sign-extends its imm32 to 64 bits. */
    check_store(M64, BYTES(0x48, 0xc7, 0x03, 0xf0, 0xff, 0xff, 0xff), 8, 0xfffffffffffffff0ull);
    check_store(M64, BYTES(0x48, 0xc7, 0x03, 0xf0, 0xff, 0xff, 0x7f), 8, 0x7ffffff0);
    /* moffs stores. */
    check_store(M32, BYTES(0xa3, 0x08, 0x00, 0xd0, 0xfe), 4, 0x55667788);
    check_store(M16, BYTES(0xa2, 0x08, 0x00), 1, 0x88);
    check_store(M64, BYTES(0x66, 0xa3, 0x08, 0x00, 0xd0, 0xfe, 0, 0, 0, 0), 2, 0x7788);
    check_store(M16, BYTES(0x66, 0x89, 0x07), 4, 0x55667788);
    check_store(M16, BYTES(0x88, 0x27), 1, 0x77);
}

/* One read-modify-write, or one read, on the bus; the result and flags. */
struct arith_result {
    int ret;
    uint64_t mem, rax, rflags;
    unsigned reads, writes;
};

static struct arith_result arith(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                                 uint64_t mem, uint64_t rax, uint64_t rflags)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    struct arith_result r;

    bus_put(&bus, 0, 8, mem);
    regs.gpr[GPR_RAX] = rax;
    r.ret = emulate_bytes(mode, bytes, len, &regs, &rflags, BUS_BASE, &bus);
    r.mem = bus_get(&bus, 0, 8);
    r.rax = regs.gpr[GPR_RAX];
    r.rflags = rflags;
    r.reads = bus.reads;
    r.writes = bus.writes;
    return r;
}

TEST(emulate_alu_to_memory)
{
    struct arith_result r;

    /* add [rbx], eax: 0x10 + 5 = 0x15, odd parity. */
    r = arith(M64, BYTES(0x01, 0x03), 0xaaaaaaaa00000010ull, 5, RFLAGS_FIXED_AND_IF);
    CHECK_EQ_I(r.ret, INSN_EMU_DONE);
    CHECK_EQ_U(r.mem, 0xaaaaaaaa00000015ull);
    CHECK_EQ_U(r.rflags, RFLAGS_FIXED_AND_IF);
    CHECK_EQ_U(r.reads, 1);
    CHECK_EQ_U(r.writes, 1);
    CHECK_EQ_U(r.rax, 5);

    /* sub dword [rbx], 1 from 0 borrows everywhere. */
    r = arith(M64, BYTES(0x83, 0x2b, 0x01), 0, 0, 0);
    CHECK_EQ_U(r.mem, 0xffffffff);
    CHECK_EQ_U(r.rflags, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_SF);

    /* or byte [rbx], 0x81; only one byte is written. */
    r = arith(M64, BYTES(0x80, 0x0b, 0x81), 0x5502, 0, RFLAGS_CF | RFLAGS_OF);
    CHECK_EQ_U(r.mem, 0x5583);
    CHECK_EQ_U(r.rflags, RFLAGS_SF);

    /* and word [rbx], 0x0ff0: 0x0230, even parity in the low byte. */
    r = arith(M64, BYTES(0x66, 0x81, 0x23, 0xf0, 0x0f), 0x99991234, 0, 0);
    CHECK_EQ_U(r.mem, 0x99990230);
    CHECK_EQ_U(r.rflags, RFLAGS_PF);

    /* lock xor [rbx], rax with itself gives 0. */
    r = arith(M64, BYTES(0xf0, 0x48, 0x31, 0x03), rax_pattern, rax_pattern, RFLAGS_CF);
    CHECK_EQ_U(r.mem, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_ZF | RFLAGS_PF);

    /* add byte [bx+si], ah in 16-bit mode: 0x7f + 0x01 overflows. */
    r = arith(M16, BYTES(0x00, 0x20), 0x7f, 0x0100, 0);
    CHECK_EQ_U(r.mem, 0x80);
    CHECK_EQ_U(r.rflags, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF);
}

TEST(emulate_alu_to_register)
{
    struct arith_result r;

    /* add eax, [rbx]: the 32-bit result zero-extends, the bus is not written. */
    r = arith(M64, BYTES(0x03, 0x03), 0xffffffff, 0xffffffff00000001ull, 0);
    CHECK_EQ_I(r.ret, INSN_EMU_DONE);
    CHECK_EQ_U(r.rax, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
    CHECK_EQ_U(r.writes, 0);
    CHECK_EQ_U(r.mem, 0xffffffff);

    /* add ah, [rbx] and sub ah, [rbx] touch bits 15:8 only. */
    r = arith(M64, BYTES(0x02, 0x23), 0x01, 0xabcd1234, 0);
    CHECK_EQ_U(r.rax, 0xabcd1334);
    r = arith(M64, BYTES(0x2a, 0x23), 0x13, 0xabcd1234, 0);
    CHECK_EQ_U(r.rax, 0xabcdff34);
    CHECK_EQ_U(r.rflags, RFLAGS_CF | RFLAGS_SF | RFLAGS_PF | RFLAGS_AF);

    /* sub ax, [rbx] keeps bits 63:16; sub rax, [rbx] is the whole register. */
    r = arith(M64, BYTES(0x66, 0x2b, 0x03), 0x0001, 0x1234567800000000ull, 0);
    CHECK_EQ_U(r.rax, 0x123456780000ffffull);
    r = arith(M64, BYTES(0x48, 0x2b, 0x03), 1, 0x8000000000000000ull, 0);
    CHECK_EQ_U(r.rax, 0x7fffffffffffffffull);
    CHECK_EQ_U(r.rflags, RFLAGS_OF | RFLAGS_PF | RFLAGS_AF);

    /* xor eax, [rbx] in 32-bit mode. */
    r = arith(M32, BYTES(0x33, 0x03), 0x0000ffff, 0xdead0000ffff0000ull, 0);
    CHECK_EQ_U(r.rax, 0xffffffff);
    CHECK_EQ_U(r.rflags, RFLAGS_SF | RFLAGS_PF);
}

TEST(emulate_cmp_and_test_write_nothing)
{
    struct arith_result r;

    /* cmp [rbx], eax computes mem - eax: 1 - 2 borrows. */
    r = arith(M64, BYTES(0x39, 0x03), 1, 2, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_CF | RFLAGS_SF | RFLAGS_PF | RFLAGS_AF);
    CHECK_EQ_U(r.writes, 0);
    CHECK_EQ_U(r.mem, 1);
    CHECK_EQ_U(r.rax, 2);
    /* cmp eax, [rbx] computes eax - mem: 2 - 1 does not. */
    r = arith(M64, BYTES(0x3b, 0x03), 1, 2, RFLAGS_CF | RFLAGS_ZF);
    CHECK_EQ_U(r.rflags, 0);
    CHECK_EQ_U(r.rax, 2);
    /* cmp byte [rbx], 5 */
    r = arith(M64, BYTES(0x80, 0x3b, 0x05), 0x305, 0, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_ZF | RFLAGS_PF);
    CHECK_EQ_U(r.writes, 0);
    /* cmp qword [rbx], -1 (83 /7 with imm8 sign-extended to 64 bits) */
    r = arith(M64, BYTES(0x48, 0x83, 0x3b, 0xff), 0xffffffffffffffffull, 0, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_ZF | RFLAGS_PF);

    /* test [rbx], eax and test byte [rbx], 0x80 clear CF and OF. */
    r = arith(M64, BYTES(0x85, 0x03), 0xf0f0f0f0, 0x0f0f0f0f, RFLAGS_CF | RFLAGS_OF);
    CHECK_EQ_U(r.rflags, RFLAGS_ZF | RFLAGS_PF);
    CHECK_EQ_U(r.writes, 0);
    r = arith(M64, BYTES(0xf6, 0x03, 0x80), 0x80, 0, RFLAGS_CF | RFLAGS_OF | RFLAGS_AF);
    CHECK_EQ_U(r.rflags, RFLAGS_SF);
    r = arith(M64, BYTES(0x48, 0xf7, 0x03, 0x00, 0x00, 0x00, 0x80), 0x8000000000000000ull, 0, 0);
    CHECK_EQ_U(r.rflags, RFLAGS_SF | RFLAGS_PF);
    CHECK_EQ_U(r.mem, 0x8000000000000000ull);
}

TEST(emulate_xchg)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = RFLAGS_CF;

    bus_put(&bus, 0, 8, 0x1122334455667788ull);
    regs.gpr[GPR_RAX] = 0xaaaaaaaabbbbbbbbull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x87, 0x03), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RAX], 0x55667788);
    CHECK_EQ_U(bus_get(&bus, 0, 8), 0x11223344bbbbbbbbull);
    CHECK_EQ_U(bus.nlog, 2);
    CHECK(!bus.log[0].write && bus.log[1].write);
    CHECK_EQ_U(rflags, RFLAGS_CF);

    /* xchg [rbx], bh */
    regs.gpr[GPR_RBX] = 0x1234;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x86, 0x3b), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RBX], 0xbb34);
    CHECK_EQ_U(bus_get(&bus, 0, 8), 0x11223344bbbbbb12ull);

    /* lock xchg [rbx], r9 */
    regs.gpr[GPR_R9] = 0x0102030405060708ull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0xf0, 0x4c, 0x87, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_R9], 0x11223344bbbbbb12ull);
    CHECK_EQ_U(bus_get(&bus, 0, 8), 0x0102030405060708ull);
}

/* ---- Flags against the host CPU -------------------------------------------- */

/* The host runs "op b, x" (AT&T order: x = x op b) and hands back RFLAGS.
 * pushfq is made safe in a function that may use the red zone by stepping
 * over it with LEA, which leaves the flags alone. */
#define HOST_ALU(name, mnemonic, type, suffix)                                      \
    static uint64_t host_##name(uint64_t a, uint64_t b, uint64_t *result)          \
    {                                                                               \
        type x = (type)a;                                                           \
        uint64_t flags;                                                             \
        __asm__(mnemonic suffix " %[b], %[x]\n\t"                                   \
                "lea -128(%%rsp), %%rsp\n\t"                                        \
                "pushfq\n\t"                                                        \
                "popq %[flags]\n\t"                                                 \
                "lea 128(%%rsp), %%rsp"                                             \
                : [x] "+r"(x), [flags] "=&r"(flags)                                 \
                : [b] "r"((type)b)                                                  \
                : "cc");                                                            \
        *result = x;                                                                \
        return flags;                                                               \
    }
#define HOST_ALU_ALL_SIZES(name, mnemonic)                                          \
    HOST_ALU(name##8, mnemonic, uint8_t, "b")                                       \
    HOST_ALU(name##16, mnemonic, uint16_t, "w")                                     \
    HOST_ALU(name##32, mnemonic, uint32_t, "l")                                     \
    HOST_ALU(name##64, mnemonic, uint64_t, "q")

HOST_ALU_ALL_SIZES(add, "add")
HOST_ALU_ALL_SIZES(or, "or")
HOST_ALU_ALL_SIZES(and, "and")
HOST_ALU_ALL_SIZES(sub, "sub")
HOST_ALU_ALL_SIZES(xor, "xor")
HOST_ALU_ALL_SIZES(cmp, "cmp")
HOST_ALU_ALL_SIZES(test, "test")

typedef uint64_t (*host_alu_fn)(uint64_t a, uint64_t b, uint64_t *result);

struct flag_op {
    const char *name;
    uint8_t opcode;             /* "op r/m8, r8"; +1 for r/m, r; +2 for the r, r/m forms */
    bool has_reg_dst_form;      /* TEST has no "TEST r, r/m" encoding */
    bool writes;
    bool logic;                 /* AF undefined: not compared, keel's is 0 */
    uint8_t group_ext;          /* ModRM.reg of the 80/81/83 (F6/F7 for TEST) forms */
    host_alu_fn host[4];        /* sizes 1, 2, 4, 8 */
};

#define HOSTS(name) { host_##name##8, host_##name##16, host_##name##32, host_##name##64 }

static const struct flag_op flag_ops[] = {
    { "add", 0x00, true, true, false, 0, HOSTS(add) },
    { "or", 0x08, true, true, true, 1, HOSTS(or) },
    { "and", 0x20, true, true, true, 4, HOSTS(and) },
    { "sub", 0x28, true, true, false, 5, HOSTS(sub) },
    { "xor", 0x30, true, true, true, 6, HOSTS(xor) },
    { "cmp", 0x38, true, false, false, 7, HOSTS(cmp) },
    { "test", 0x84, false, false, true, 0, HOSTS(test) },
};

static const uint64_t edge_values[] = {
    0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x5555555555555555ull,
    0xaaaaaaaaaaaaaaaaull, 0x8000000080008080ull,
};

static const unsigned sizes[] = { 1, 2, 4, 8 };

static unsigned flag_failures;

static uint64_t compared_flags(const struct flag_op *op)
{
    return op->logic ? RFLAGS_ARITH & ~RFLAGS_AF : RFLAGS_ARITH;
}

/* What the destination (memory, or RAX) holds after a op b, given the host's
 * result: the operation's bytes replaced, the rest kept, except that a
 * 32-bit register write clears bits 63:32.  CMP and TEST leave it alone. */
static uint64_t expected_destination(const struct flag_op *op, bool reg_dst, unsigned size,
                                     uint64_t a, uint64_t host_result)
{
    uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;

    if (!op->writes)
        return a;
    if (reg_dst && size == 4)
        return host_result & mask;
    return (a & ~mask) | (host_result & mask);
}

/* Compares one emulated operation with the host's; reports the first few
 * differences only, so that a systematic bug does not flood the output. */
static void check_against_host(const struct flag_op *op, const char *form, bool reg_dst,
                               unsigned size, uint64_t a, uint64_t b, uint64_t rflags_before,
                               const struct arith_result *r, uint64_t host_flags,
                               uint64_t host_result)
{
    uint64_t mask = compared_flags(op);
    uint64_t want_flags = (rflags_before & ~RFLAGS_ARITH) | (host_flags & mask);
    uint64_t got_flags = r->rflags & ~(RFLAGS_ARITH & ~mask);
    uint64_t want_dst = expected_destination(op, reg_dst, size, a, host_result);
    uint64_t got_dst = reg_dst ? r->rax : r->mem;
    bool ok = r->ret == INSN_EMU_DONE && got_flags == want_flags && got_dst == want_dst;

    if (op->logic && (r->rflags & RFLAGS_AF))
        ok = false;
    if (ok)
        return;
    if (++flag_failures <= 10)
        UNIT_FAIL("%s %s (size %u) a=0x%" PRIx64 " b=0x%" PRIx64 ": rflags 0x%" PRIx64
                  " want 0x%" PRIx64 ", destination 0x%" PRIx64 " want 0x%" PRIx64,
                  op->name, form, size, a, b, r->rflags, want_flags, got_dst, want_dst);
    else
        unit_current_failed = 1;
}

/* "op r/m, r" (memory = a, rAX = b) and "op r, r/m" (rAX = a, memory = b),
 * both against the host's a op b. */
static void sweep_register_forms(const struct flag_op *op, unsigned size_index)
{
    unsigned size = sizes[size_index];
    uint8_t bytes[3];
    size_t n = 0;

    if (size == 2)
        bytes[n++] = 0x66;
    if (size == 8)
        bytes[n++] = 0x48;
    bytes[n++] = (uint8_t)(op->opcode + (size > 1));
    bytes[n++] = 0x03;                          /* [rbx], rAX */

    for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(edge_values); j++) {
            uint64_t a = edge_values[i], b = edge_values[j], host_result;
            uint64_t before = (i + j) % 2 ? RFLAGS_ARITH | RFLAGS_FIXED_AND_IF : RFLAGS_DF;
            uint64_t host_flags = op->host[size_index](a, b, &host_result);

            struct arith_result r = arith(M64, bytes, n, a, b, before);
            check_against_host(op, "m, r", false, size, a, b, before, &r, host_flags, host_result);
            if (!op->has_reg_dst_form)
                continue;
            bytes[n - 2] = (uint8_t)(op->opcode + (size > 1) + 2);
            r = arith(M64, bytes, n, b, a, before);
            check_against_host(op, "r, m", true, size, a, b, before, &r, host_flags, host_result);
            bytes[n - 2] = (uint8_t)(op->opcode + (size > 1));
        }
    }
}

TEST(emulate_flags_match_host_cpu)
{
    flag_failures = 0;
    for (size_t i = 0; i < ARRAY_SIZE(flag_ops); i++)
        for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++)
            sweep_register_forms(&flag_ops[i], s);
}

static uint64_t sign_extended_imm(uint64_t imm, unsigned imm_size)
{
    uint64_t sign = 1ull << (8 * imm_size - 1);
    return ((imm & ((sign << 1) - 1)) ^ sign) - sign;
}

/* "op r/m, imm": 80 ib, 83 ib (sign-extended), 81 iw/id; F6/F7 for TEST.
 * The host computes a op (the immediate sign-extended to the operand size). */
static void sweep_immediate_form(const struct flag_op *op, unsigned size_index,
                                 unsigned imm_size, uint64_t imm)
{
    unsigned size = sizes[size_index];
    uint8_t bytes[8];
    size_t n = 0;
    bool is_test = op->opcode == 0x84;

    if (size == 2)
        bytes[n++] = 0x66;
    if (size == 8)
        bytes[n++] = 0x48;
    if (is_test)
        bytes[n++] = size == 1 ? 0xf6 : 0xf7;
    else
        bytes[n++] = size == 1 ? 0x80 : imm_size == 1 ? 0x83 : 0x81;
    bytes[n++] = (uint8_t)(op->group_ext << 3 | 3);     /* [rbx] */
    for (unsigned k = 0; k < imm_size; k++)
        bytes[n++] = (uint8_t)(imm >> (8 * k));

    uint64_t b = sign_extended_imm(imm, imm_size);
    for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++) {
        uint64_t a = edge_values[i], host_result;
        uint64_t host_flags = op->host[size_index](a, b, &host_result);
        struct arith_result r = arith(M64, bytes, n, a, 0, RFLAGS_FIXED_AND_IF);
        char form[32];
        snprintf(form, sizeof(form), "m, imm%u 0x%" PRIx64, imm_size * 8, imm);
        check_against_host(op, form, false, size, a, b, RFLAGS_FIXED_AND_IF, &r, host_flags,
                           host_result);
    }
}

TEST(emulate_immediate_forms_match_host_cpu)
{
    static const uint64_t imm8[] = { 0, 1, 0x7f, 0x80, 0xff, 0x10 };
    static const uint64_t imm16[] = { 0x7fff, 0x8000, 0xffff, 0x0100 };
    static const uint64_t imm32[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678 };

    flag_failures = 0;
    for (size_t i = 0; i < ARRAY_SIZE(flag_ops); i++) {
        const struct flag_op *op = &flag_ops[i];
        bool is_test = op->opcode == 0x84;
        for (size_t k = 0; k < ARRAY_SIZE(imm8); k++) {
            sweep_immediate_form(op, 0, 1, imm8[k]);
            if (!is_test)       /* 83 ib: no TEST equivalent */
                for (unsigned s = 1; s < 4; s++)
                    sweep_immediate_form(op, s, 1, imm8[k]);
        }
        for (size_t k = 0; k < ARRAY_SIZE(imm16); k++)
            sweep_immediate_form(op, 1, 2, imm16[k]);
        for (size_t k = 0; k < ARRAY_SIZE(imm32); k++) {
            sweep_immediate_form(op, 2, 4, imm32[k]);
            sweep_immediate_form(op, 3, 4, imm32[k]);
        }
    }
}

/* The oracle itself must see the flags it is meant to see. */
TEST(host_flag_oracle_sanity)
{
    uint64_t r;

    CHECK_EQ_U(host_add8(0xff, 1, &r) & RFLAGS_ARITH,
               RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
    CHECK_EQ_U(r, 0);
    CHECK_EQ_U(host_sub32(1, 2, &r) & (RFLAGS_CF | RFLAGS_SF), RFLAGS_CF | RFLAGS_SF);
    CHECK_EQ_U(r, 0xffffffff);
    CHECK_EQ_U(host_add64(0x7fffffffffffffffull, 1, &r) & RFLAGS_OF, RFLAGS_OF);
}

/* ---- String instructions ------------------------------------------------ */

TEST(emulate_stos_one_element)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = RFLAGS_FIXED_AND_IF;

    regs.gpr[GPR_RAX] = rax_pattern;
    regs.gpr[GPR_RDI] = 0x1000;
    regs.gpr[GPR_RCX] = 7;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &bus, 0xaa), INSN_EMU_DONE);
    CHECK_EQ_U(bus.log[0].gpa, BUS_BASE + 0x10);
    CHECK_EQ_U(bus.log[0].size, 1);
    CHECK_EQ_U(bus.log[0].val, 0x88);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x1001);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 7);           /* no REP: rCX untouched */
    CHECK_EQ_U(bus.reads, 0);

    /* DF = 1 walks down. */
    rflags |= RFLAGS_DF;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &bus, 0x48, 0xab), INSN_EMU_DONE);
    CHECK_EQ_U(bus.log[1].size, 8);
    CHECK_EQ_U(bus.log[1].val, rax_pattern);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x1001 - 8);
    CHECK_EQ_U(rflags, RFLAGS_FIXED_AND_IF | RFLAGS_DF);

    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &bus, 0x66, 0xab), INSN_EMU_DONE);
    CHECK_EQ_U(bus.log[2].size, 2);
    CHECK_EQ_U(bus.log[2].val, 0x7788);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x1001 - 10);

    /* 16-bit addressing: DI wraps, bits 63:16 stay. */
    rflags = 0;
    regs.gpr[GPR_RDI] = 0x123400000000fffeull;
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, BUS_BASE, &bus, 0xab), INSN_EMU_DONE);
    CHECK_EQ_U(bus.log[3].size, 2);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x1234000000000000ull);

    /* 32-bit addressing in 64-bit mode: EDI wraps and zero-extends. */
    regs.gpr[GPR_RDI] = 0x00000001fffffffcull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x67, 0xab), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0);

    /* DF = 1 under 16-bit addressing: DI 0 wraps down to 0xffff. */
    rflags = RFLAGS_DF;
    regs.gpr[GPR_RDI] = 0xabcd0000;
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, BUS_BASE, &bus, 0x67, 0xaa), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0xabcdffff);
}

/* How keel runs a whole REP STOS into MMIO: emulate, step the gpa, repeat
 * until the emulator says the instruction is done. */
static unsigned run_rep_string(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                               struct guest_regs *regs, uint64_t rflags, uint64_t gpa,
                               struct fake_bus *bus, unsigned limit)
{
    struct insn in;
    unsigned calls = 0;

    CHECK_EQ_I(insn_decode(bytes, len, mode, &in), 0);
    for (;;) {
        int r = insn_emulate_mmio(&in, regs, &rflags, gpa, &bus_ops, bus);
        calls++;
        if (r != INSN_EMU_REPEAT) {
            CHECK_EQ_I(r, INSN_EMU_DONE);
            return calls;
        }
        if (calls == limit)
            return calls;
        gpa += (uint64_t)insn_string_step(&in, rflags);
    }
}

TEST(emulate_rep_stos)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };

    /* rep stosd, DF = 0: four elements upwards. */
    regs.gpr[GPR_RAX] = 0xcafef00d;
    regs.gpr[GPR_RCX] = 4;
    regs.gpr[GPR_RDI] = BUS_BASE;
    CHECK_EQ_U(run_rep_string(M64, BYTES(0xf3, 0xab), &regs, 0, BUS_BASE, &bus, 100), 4);
    CHECK_EQ_U(bus.writes, 4);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ_U(bus.log[i].gpa, BUS_BASE + 4 * i);
        CHECK_EQ_U(bus.log[i].val, 0xcafef00d);
    }
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 0x10);

    /* rep stosq, DF = 1: three elements downwards. */
    bus = (struct fake_bus){ 0 };
    regs.gpr[GPR_RCX] = 3;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x40;
    regs.gpr[GPR_RAX] = rax_pattern;
    CHECK_EQ_U(run_rep_string(M64, BYTES(0xf3, 0x48, 0xab), &regs, RFLAGS_DF, BUS_BASE + 0x40,
                              &bus, 100), 3);
    CHECK_EQ_U(bus.log[0].gpa, BUS_BASE + 0x40);
    CHECK_EQ_U(bus.log[1].gpa, BUS_BASE + 0x38);
    CHECK_EQ_U(bus.log[2].gpa, BUS_BASE + 0x30);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 0x40 - 24);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0);

    /* Each call before the last says REPEAT and leaves the registers current. */
    bus = (struct fake_bus){ 0 };
    regs.gpr[GPR_RCX] = 5;
    regs.gpr[GPR_RDI] = BUS_BASE;
    CHECK_EQ_U(run_rep_string(M64, BYTES(0xf3, 0xaa), &regs, 0, BUS_BASE, &bus, 2), 2);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 3);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 2);

    /* REPNE on STOS repeats the same way. */
    bus = (struct fake_bus){ 0 };
    regs.gpr[GPR_RCX] = 2;
    CHECK_EQ_U(run_rep_string(M64, BYTES(0xf2, 0xaa), &regs, 0, BUS_BASE + 2, &bus, 100), 2);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0);
}

TEST(emulate_rep_count_uses_address_size)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;

    /* rCX = 0: nothing happens, the instruction is done. */
    regs.gpr[GPR_RDI] = 0x10;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0xf3, 0xaa), INSN_EMU_DONE);
    CHECK_EQ_U(bus.writes, 0);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x10);

    /* 32-bit addressing counts in ECX: RCX = 2^32 is a zero count. */
    regs.gpr[GPR_RCX] = 0x100000000ull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x67, 0xf3, 0xaa), INSN_EMU_DONE);
    CHECK_EQ_U(bus.writes, 0);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0x100000000ull);

    /* ... and decrementing ECX zero-extends into RCX. */
    regs.gpr[GPR_RCX] = 0xffffffff00000002ull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x67, 0xf3, 0xaa), INSN_EMU_REPEAT);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 1);

    /* 16-bit addressing counts in CX and keeps bits 63:16. */
    regs.gpr[GPR_RCX] = 0xffff0001ull;
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, BUS_BASE, &bus, 0xf3, 0xaa), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0xffff0000ull);
    CHECK_EQ_U(bus.writes, 2);

    /* 64-bit addressing uses all of RCX. */
    regs.gpr[GPR_RCX] = 0x100000000ull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0xf3, 0xaa), INSN_EMU_REPEAT);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0xffffffffull);
}

TEST(emulate_movs)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;

    /* movsd: both addresses come from translate; the gpa argument is unused. */
    bus_put(&bus, 0x80, 8, 0x0102030405060708ull);
    regs.gpr[GPR_RSI] = BUS_BASE + 0x80;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x10;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, 0xdead, &bus, 0xa5), INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&bus, 0x10, 8), 0x05060708);
    CHECK_EQ_U(regs.gpr[GPR_RSI], BUS_BASE + 0x84);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 0x14);
    CHECK_EQ_U(bus.ntranslations, 2);
    CHECK_EQ_U(bus.translations[0].linear, BUS_BASE + 0x80);
    CHECK(!bus.translations[0].write);
    CHECK_EQ_U(bus.translations[1].linear, BUS_BASE + 0x10);
    CHECK(bus.translations[1].write);
    CHECK(!bus.log[0].write && bus.log[0].gpa == BUS_BASE + 0x80);
    CHECK(bus.log[1].write && bus.log[1].gpa == BUS_BASE + 0x10);

    /* movsb with an FS override: the source segment's base applies. */
    bus = (struct fake_bus){ 0 };
    bus.seg_base[SEG_FS] = 0x1000;
    bus_put(&bus, 0x80, 1, 0x5a);
    regs.gpr[GPR_RSI] = BUS_BASE + 0x80 - 0x1000;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x20;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, 0, &bus, 0x64, 0xa4), INSN_EMU_DONE);
    CHECK_EQ_U(bus.translations[0].linear, BUS_BASE + 0x80);
    CHECK_EQ_U(bus.mem[0x20], 0x5a);

    /* rep movsq with DF = 1: two elements downwards, each step re-translated. */
    bus = (struct fake_bus){ 0 };
    bus_put(&bus, 0x80, 8, 0x1111111111111111ull);
    bus_put(&bus, 0x78, 8, 0x2222222222222222ull);
    regs.gpr[GPR_RSI] = BUS_BASE + 0x80;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x40;
    regs.gpr[GPR_RCX] = 2;
    rflags = RFLAGS_DF;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, 0, &bus, 0xf3, 0x48, 0xa5), INSN_EMU_REPEAT);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, 0, &bus, 0xf3, 0x48, 0xa5), INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&bus, 0x40, 8), 0x1111111111111111ull);
    CHECK_EQ_U(bus_get(&bus, 0x38, 8), 0x2222222222222222ull);
    CHECK_EQ_U(regs.gpr[GPR_RSI], BUS_BASE + 0x70);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 0x30);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 0);

    /* 16-bit mode: offsets are SI and DI, and they wrap. */
    bus = (struct fake_bus){ 0 };
    bus.seg_base[SEG_DS] = BUS_BASE - 0xff00;
    bus.seg_base[SEG_ES] = BUS_BASE;
    bus_put(&bus, 0xff, 1, 0x77);
    regs.gpr[GPR_RSI] = 0xaaaa0000ffffull;
    regs.gpr[GPR_RDI] = 0x0030;
    rflags = 0;
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, 0, &bus, 0xa4), INSN_EMU_DONE);
    CHECK_EQ_U(bus.translations[0].linear, BUS_BASE + 0xff);
    CHECK_EQ_U(bus.mem[0x30], 0x77);
    CHECK_EQ_U(regs.gpr[GPR_RSI], 0xaaaa00000000ull);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x0031);

    /* rep movs with rCX = 0 does not even translate. */
    bus = (struct fake_bus){ 0 };
    regs.gpr[GPR_RCX] = 0;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, 0, &bus, 0xf3, 0xa4), INSN_EMU_DONE);
    CHECK_EQ_U(bus.ntranslations, 0);
    CHECK_EQ_U(bus.reads + bus.writes, 0);
}

TEST(emulate_movs_needs_translate)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    struct insn in;

    regs.gpr[GPR_RSI] = BUS_BASE;
    regs.gpr[GPR_RDI] = BUS_BASE + 8;
    CHECK_EQ_I(insn_decode(BYTES(0xa4), M64, &in), 0);
    CHECK_EQ_I(insn_emulate_mmio(&in, &regs, &rflags, BUS_BASE, &bus_ops_without_translate, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    CHECK_EQ_U(bus.reads + bus.writes, 0);
    CHECK_EQ_U(regs.gpr[GPR_RSI], BUS_BASE);

    bus.fail_translate = true;
    CHECK_EQ_I(insn_emulate_mmio(&in, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(bus.reads + bus.writes, 0);
    CHECK_EQ_U(regs.gpr[GPR_RSI], BUS_BASE);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 8);
}

TEST(emulate_access_failures_leave_state)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = RFLAGS_FIXED_AND_IF | RFLAGS_CF;

    regs.gpr[GPR_RAX] = rax_pattern;
    bus.fail_read = true;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x8b, 0x03), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x03, 0x03), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x85, 0x03), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(regs.gpr[GPR_RAX], rax_pattern);
    CHECK_EQ_U(rflags, RFLAGS_FIXED_AND_IF | RFLAGS_CF);

    bus.fail_read = false;
    bus.fail_write = true;
    /* add [rbx], eax: the read happened, but neither memory nor flags change. */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x01, 0x03), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(rflags, RFLAGS_FIXED_AND_IF | RFLAGS_CF);
    /* xchg keeps the register when the write fails. */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x87, 0x03), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(regs.gpr[GPR_RAX], rax_pattern);
    /* rep stos keeps rDI and rCX. */
    regs.gpr[GPR_RCX] = 3;
    regs.gpr[GPR_RDI] = 0x40;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0xf3, 0xab), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 3);
    CHECK_EQ_U(regs.gpr[GPR_RDI], 0x40);
    /* A gpa the bus does not claim fails the same way. */
    bus.fail_write = false;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE + BUS_SIZE, &bus, 0x89, 0x03),
               INSN_EMU_ERR_ACCESS);
}

/* Bits a device callback leaves above the access size must not leak into
 * registers, results or flags. */
TEST(emulate_ignores_junk_above_read_size)
{
    struct fake_bus bus = { .dirty_high_bits = true };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;

    bus_put(&bus, 0, 8, 0x0000000000000080ull);
    regs.gpr[GPR_RAX] = rax_pattern;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x0f, 0xb6, 0x03), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RAX], 0x80);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x66, 0x8b, 0x03), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RAX], 0x80);
    /* cmp byte [rbx], 0x80 must see 0x80, not 0xff..80. */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x80, 0x3b, 0x80), INSN_EMU_DONE);
    CHECK_EQ_U(rflags, RFLAGS_ZF | RFLAGS_PF);
    /* add dword [rbx], 0: result 0x80, written back as 4 bytes. */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, BUS_BASE, &bus, 0x83, 0x03, 0x00), INSN_EMU_DONE);
    CHECK_EQ_U(bus.log[bus.nlog - 1].val, 0x80);
    CHECK_EQ_U(rflags, 0);
}

TEST(emulate_rejects_malformed_insn)
{
    struct fake_bus bus = { 0 };
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    struct insn in;

    CHECK_EQ_I(insn_decode(BYTES(0x01, 0x03), M64, &in), 0);
    CHECK(insn_well_formed(&in));
    struct insn bad = in;
    bad.op_size = 3;
    CHECK(!insn_well_formed(&bad));
    CHECK_EQ_I(insn_emulate_mmio(&bad, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    bad = in;
    bad.alu = (enum alu_op)7;   /* CMP is an op of its own */
    CHECK_EQ_I(insn_emulate_mmio(&bad, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    bad = in;
    bad.reg = GPR_RSI;
    bad.reg_high_byte = true;
    CHECK_EQ_I(insn_emulate_mmio(&bad, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    bad = in;
    bad.mem.addr_size = 0;
    CHECK_EQ_I(insn_emulate_mmio(&bad, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    bad = in;
    bad.op = (enum insn_op)99;
    CHECK_EQ_I(insn_emulate_mmio(&bad, &regs, &rflags, BUS_BASE, &bus_ops, &bus),
               INSN_EMU_ERR_UNSUPPORTED);
    CHECK_EQ_U(bus.reads + bus.writes, 0);
}

/* ---- Effective addresses ------------------------------------------------ */

static uint64_t offset_of(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                          const struct guest_regs *regs, uint64_t next_rip)
{
    struct insn in;
    CHECK_EQ_I(insn_decode(bytes, len, mode, &in), 0);
    return insn_mem_offset(&in.mem, regs, next_rip);
}

TEST(mem_offset)
{
    struct guest_regs regs = { 0 };

    regs.gpr[GPR_RAX] = 0x1000;
    regs.gpr[GPR_RCX] = 3;
    /* [rax+rcx*4+0x10] */
    CHECK_EQ_U(offset_of(M64, BYTES(0x8b, 0x44, 0x88, 0x10), &regs, 0), 0x101c);
    /* [rip+0x10] and [rip-0x10] count from the next instruction. */
    CHECK_EQ_U(offset_of(M64, BYTES(0x8b, 0x05, 0x10, 0, 0, 0), &regs, 0x400006), 0x400016);
    CHECK_EQ_U(offset_of(M64, BYTES(0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff), &regs, 0x400006),
               0x3ffff6);
    /* [eip+0x20] wraps at 4 GiB. */
    CHECK_EQ_U(offset_of(M64, BYTES(0x67, 0x8b, 0x05, 0x20, 0, 0, 0), &regs, 0x1fffffff0ull),
               0x10);
    /* [ebx] in 64-bit mode ignores bits 63:32 of RBX. */
    regs.gpr[GPR_RBX] = 0xffffffff12345678ull;
    CHECK_EQ_U(offset_of(M64, BYTES(0x67, 0x8b, 0x03), &regs, 0), 0x12345678);
    /* [rbx+r12*8-8] */
    regs.gpr[GPR_RBX] = 0x10000;
    regs.gpr[GPR_R12] = 2;
    CHECK_EQ_U(offset_of(M64, BYTES(0x42, 0x8b, 0x44, 0xe3, 0xf8), &regs, 0), 0x10008);
    /* [disp32] in 64-bit mode is sign-extended. */
    CHECK_EQ_U(offset_of(M64, BYTES(0x8b, 0x04, 0x25, 0xf0, 0xff, 0xff, 0xff), &regs, 0),
               0xfffffffffffffff0ull);
    /* A 64-bit moffs is taken as is. */
    CHECK_EQ_U(offset_of(M64, BYTES(0x48, 0xa1, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe),
                         &regs, 0), 0xfedcba9876543210ull);
    /* [bx+si+0x10] wraps at 64 KiB and ignores bits above 15. */
    regs.gpr[GPR_RBX] = 0xabcd0000fff0ull;
    regs.gpr[GPR_RSI] = 0x10;
    CHECK_EQ_U(offset_of(M16, BYTES(0x8b, 0x40, 0x10), &regs, 0), 0x10);
    /* [bp-2] with BP = 0 */
    CHECK_EQ_U(offset_of(M16, BYTES(0x8b, 0x46, 0xfe), &regs, 0), 0xfffe);
    /* [ecx*4+0x1000] wraps at 4 GiB in 32-bit mode. */
    regs.gpr[GPR_RCX] = 0x40000000;
    CHECK_EQ_U(offset_of(M32, BYTES(0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00), &regs, 0), 0x1000);
    /* STOS: ES:[rDI] at the address size. */
    regs.gpr[GPR_RDI] = 0x1234567890ull;
    CHECK_EQ_U(offset_of(M64, BYTES(0xaa), &regs, 0), 0x1234567890ull);
    CHECK_EQ_U(offset_of(M64, BYTES(0x67, 0xaa), &regs, 0), 0x34567890);
    CHECK_EQ_U(offset_of(M16, BYTES(0xaa), &regs, 0), 0x7890);
}

TEST(string_step)
{
    struct insn in;

    CHECK_EQ_I(insn_decode(BYTES(0x48, 0xab), M64, &in), 0);
    CHECK_EQ_I(insn_string_step(&in, 0), 8);
    CHECK_EQ_I(insn_string_step(&in, RFLAGS_DF), -8);
    CHECK_EQ_I(insn_decode(BYTES(0xa4), M16, &in), 0);
    CHECK_EQ_I(insn_string_step(&in, RFLAGS_DF | RFLAGS_CF), -1);
}

/* One form of each operation, and whether insn_uses_rflags() must say it
 * reads or writes RFLAGS. */
struct rflags_use_case {
    const char *text;
    uint8_t bytes[INSN_MAX_LENGTH];
    size_t len;
    bool uses;
};

static const struct rflags_use_case rflags_use_cases[] = {
    { "mov [eax], ecx", { 0x89, 0x08 }, 2, false },
    { "mov dword [eax], 0x80000000", { 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80 }, 6, false },
    { "mov ecx, [eax]", { 0x8b, 0x08 }, 2, false },
    { "movzx ecx, byte [eax]", { 0x0f, 0xb6, 0x08 }, 3, false },
    { "movsx ecx, word [eax]", { 0x0f, 0xbf, 0x08 }, 3, false },
    { "xchg [eax], ecx", { 0x87, 0x08 }, 2, false },
    { "add [eax], ecx", { 0x01, 0x08 }, 2, true },
    { "or byte [eax], 0x0f", { 0x80, 0x08, 0x0f }, 3, true },
    { "cmp [eax], ecx", { 0x39, 0x08 }, 2, true },
    { "test [eax], ecx", { 0x85, 0x08 }, 2, true },
    { "stosd", { 0xab }, 1, true },
    { "movsd", { 0xa5 }, 1, true },
    { "shl dword [eax], 1", { 0xd1, 0x20 }, 2, true },
};

struct rflags_run {
    int result;
    uint64_t rflags;
    struct guest_regs regs;
    uint8_t mem[BUS_SIZE];
};

/* Emulates in with RFLAGS = rflags; memory and ECX hold 0x80000000, so ADD
 * and CMP carry or borrow and TEST finds a sign. */
static struct rflags_run run_with_rflags(const struct insn *in, uint64_t rflags)
{
    struct fake_bus bus = { 0 };
    struct rflags_run r = { .rflags = rflags };
    bus_put(&bus, 0x20, 4, 0x80000000u);
    bus_put(&bus, 0x40, 4, 0x80000000u);
    r.regs.gpr[GPR_RCX] = 0x80000000u;
    r.regs.gpr[GPR_RAX] = BUS_BASE + 0x20;
    r.regs.gpr[GPR_RSI] = BUS_BASE + 0x40;
    r.regs.gpr[GPR_RDI] = BUS_BASE + 0x20;
    r.result = insn_emulate_mmio(in, &r.regs, &r.rflags, BUS_BASE + 0x20, &bus_ops, &bus);
    memcpy(r.mem, bus.mem, sizeof(r.mem));
    return r;
}

/* The claim is checked against the emulator itself: a form said not to use
 * RFLAGS must give the same registers and memory under opposite RFLAGS
 * (status flags and DF all clear, then all set) and hand both back
 * unchanged; each form said to use it must show it. */
TEST(insn_uses_rflags_matches_the_emulator)
{
    const uint64_t clear = RFLAGS_FIXED_AND_IF;
    const uint64_t set = RFLAGS_FIXED_AND_IF | RFLAGS_ARITH | RFLAGS_DF;
    for (size_t i = 0; i < ARRAY_SIZE(rflags_use_cases); i++) {
        const struct rflags_use_case *c = &rflags_use_cases[i];
        struct insn in;
        if (insn_decode(c->bytes, c->len, M32, &in) != 0 || in.length != c->len) {
            UNIT_FAIL("%s: does not decode", c->text);
            continue;
        }
        if (insn_uses_rflags(&in) != c->uses)
            UNIT_FAIL("%s: insn_uses_rflags() says %d", c->text, !c->uses);
        struct rflags_run a = run_with_rflags(&in, clear);
        struct rflags_run b = run_with_rflags(&in, set);
        CHECK_EQ_I(a.result, INSN_EMU_DONE);
        CHECK_EQ_I(b.result, INSN_EMU_DONE);
        bool same_effects = memcmp(&a.regs, &b.regs, sizeof(a.regs)) == 0 &&
                            memcmp(a.mem, b.mem, sizeof(a.mem)) == 0;
        bool rflags_kept = a.rflags == clear && b.rflags == set;
        if (!c->uses && !(same_effects && rflags_kept))
            UNIT_FAIL("%s: depends on or changes RFLAGS", c->text);
        if (c->uses && same_effects && rflags_kept)
            UNIT_FAIL("%s: shows no use of RFLAGS", c->text);
    }
}

/* ---- The forms added for kvm-unit-tests' emulator test ----------------------- */

/* A fake vCPU around the fake bus: every callback, with what was asked. */
struct fake_cpu {
    struct fake_bus bus;
    uint64_t rip, new_rip, cr0, cr4, efer, gdt_base;
    uint32_t gdt_limit;
    unsigned cpl;
    bool tr_loaded;
    uint16_t tr_selector;
    uint64_t tr_base;
    uint32_t tr_limit, tr_ar;
    bool branched;
    int vector;                 /* -1: nothing raised */
    bool has_error;
    uint32_t error;
    uint8_t xmm[16][16];
};

static struct fake_cpu *cpu_of(void *ctx)
{
    return ctx;
}

static int cpu_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    return bus_read(&cpu_of(ctx)->bus, gpa, size, val);
}

static int cpu_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    return bus_write(&cpu_of(ctx)->bus, gpa, size, val);
}

/* As bus_translate(), but every linear address lands in the bus (modulo
 * its size), so that both pages of a crossing access exist. */
static int cpu_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa)
{
    int err = bus_translate(&cpu_of(ctx)->bus, linear, write, gpa);
    *gpa = BUS_BASE + (linear % BUS_SIZE);
    return err;
}

static uint64_t cpu_seg_base(void *ctx, enum x86_seg seg)
{
    return cpu_of(ctx)->bus.seg_base[seg];
}

static uint64_t cpu_get_rip(void *ctx)
{
    return cpu_of(ctx)->rip;
}

static void cpu_set_rip(void *ctx, uint64_t rip)
{
    cpu_of(ctx)->new_rip = rip;
    cpu_of(ctx)->branched = true;
}

static uint64_t cpu_get_cr(void *ctx, unsigned cr)
{
    return cr == 4 ? cpu_of(ctx)->cr4 : cpu_of(ctx)->cr0;
}

static unsigned cpu_stack_addr_size(void *ctx)
{
    (void)ctx;
    return 4;
}

static void cpu_raise(void *ctx, uint8_t vector, bool has_error, uint32_t error)
{
    cpu_of(ctx)->vector = vector;
    cpu_of(ctx)->has_error = has_error;
    cpu_of(ctx)->error = error;
}

static int cpu_vec_access(void *ctx, enum vec_file file, unsigned reg, bool write,
                          uint8_t *bytes)
{
    unsigned n = file == VEC_MMX ? 8 : 16;
    if (write)
        memcpy(cpu_of(ctx)->xmm[reg], bytes, n);
    else
        memcpy(bytes, cpu_of(ctx)->xmm[reg], n);
    return 0;
}

static void cpu_get_gdtr(void *ctx, uint64_t *base, uint32_t *limit)
{
    *base = cpu_of(ctx)->gdt_base;
    *limit = cpu_of(ctx)->gdt_limit;
}

static unsigned cpu_get_cpl(void *ctx)
{
    return cpu_of(ctx)->cpl;
}

static uint64_t cpu_get_efer(void *ctx)
{
    return cpu_of(ctx)->efer;
}

static void cpu_set_tr(void *ctx, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar)
{
    struct fake_cpu *c = cpu_of(ctx);
    c->tr_loaded = true;
    c->tr_selector = selector;
    c->tr_base = base;
    c->tr_limit = limit;
    c->tr_ar = ar;
}

static const struct mmio_ops cpu_ops = {
    .read = cpu_read, .write = cpu_write, .translate = cpu_translate,
    .seg_base = cpu_seg_base, .get_rip = cpu_get_rip, .set_rip = cpu_set_rip,
    .get_cr = cpu_get_cr, .stack_addr_size = cpu_stack_addr_size, .raise = cpu_raise,
    .vec_access = cpu_vec_access, .get_gdtr = cpu_get_gdtr, .get_cpl = cpu_get_cpl,
    .get_efer = cpu_get_efer, .set_tr = cpu_set_tr,
};

#define CR0_PE_PG       0x80000001ull
#define CR4_OSFXSR_BIT  (1ull << 9)

static void cpu_init(struct fake_cpu *c)
{
    memset(c, 0, sizeof(*c));
    c->rip = 0x1000;
    c->cr0 = CR0_PE_PG;
    c->cr4 = CR4_OSFXSR_BIT;
    c->vector = -1;
}

static int cpu_emulate(enum cpu_mode mode, const uint8_t *bytes, size_t len,
                       struct guest_regs *regs, uint64_t *rflags, uint64_t gpa,
                       struct fake_cpu *c)
{
    struct insn in;
    int err = insn_decode(bytes, len, mode, &in);
    CHECK_EQ_I(err, 0);
    if (err)
        return -100;
    CHECK_EQ_U(in.length, len);
    return insn_emulate_mmio(&in, regs, rflags, gpa, &cpu_ops, c);
}

#define CPU_EMULATE(mode, regs, rflags, gpa, c, ...) \
    cpu_emulate(mode, BYTES(__VA_ARGS__), regs, rflags, gpa, c)

/* An access that crosses a page is split, each page translated: the exit's
 * gpa is not used (the exit may have been for the second page). */
TEST(emulate_page_crossing_access)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    regs.gpr[GPR_RBX] = 0xffe;          /* bytes 0xffe..0x1001: two pages */
    regs.gpr[GPR_RAX] = 0x44332211;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x80, &c, 0x89, 0x03),
               INSN_EMU_DONE);
    CHECK_EQ_U(c.bus.ntranslations, 2);
    CHECK_EQ_U(c.bus.translations[0].linear, 0xffe);
    CHECK_EQ_U(c.bus.translations[1].linear, 0x1000);
    CHECK(c.bus.translations[0].write && c.bus.translations[1].write);
    CHECK_EQ_U(c.bus.nlog, 2);
    CHECK(c.bus.log[0].gpa == BUS_BASE + 0xfe && c.bus.log[0].size == 2 &&
          c.bus.log[0].val == 0x2211);
    CHECK(c.bus.log[1].gpa == BUS_BASE && c.bus.log[1].size == 2 &&
          c.bus.log[1].val == 0x4433);
}

/* BT with a register offset reaches the element that holds the bit, below
 * the operand for a negative offset (SDM vol. 2A "BT"). */
TEST(emulate_bit_test_register_offset)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    bus_put(&c.bus, 0x10, 4, 0x80000000u);
    regs.gpr[GPR_RBX] = BUS_BASE + 0x14;
    regs.gpr[GPR_RCX] = 0xffffffffu;    /* bit -1: bit 31 of the dword below */
    /* btc dword [rbx], ecx; the exit was for the dword at 0x10 */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &c, 0x0f, 0xbb, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0x10, 4), 0);
    CHECK_EQ_U(rflags & RFLAGS_CF, RFLAGS_CF);
    /* bts dword [rbx], 33 (imm: modulo 32) */
    rflags = 0;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x14, &c, 0x0f, 0xba, 0x2b, 33),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0x14, 4), 2);
    CHECK_EQ_U(rflags & RFLAGS_CF, 0);
}

/* REPE CMPSB stops at the first difference with ZF = 0; rCX counts the
 * compared elements. */
TEST(emulate_repe_cmps_stops_at_difference)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    bus_put(&c.bus, 0x00, 4, 0x44332211);
    bus_put(&c.bus, 0x40, 4, 0x44992211);
    regs.gpr[GPR_RSI] = BUS_BASE;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x40;
    regs.gpr[GPR_RCX] = 10;
    int r, n = 0;
    do {
        r = CPU_EMULATE(M64, &regs, &rflags, 0, &c, 0xf3, 0xa6);
        n++;
    } while (r == INSN_EMU_REPEAT && n < 20);
    CHECK_EQ_I(r, INSN_EMU_DONE);
    CHECK_EQ_I(n, 3);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 7);
    CHECK_EQ_U(regs.gpr[GPR_RSI], BUS_BASE + 3);
    CHECK_EQ_U(rflags & RFLAGS_ZF, 0);
    CHECK_EQ_U(rflags & RFLAGS_CF, RFLAGS_CF);  /* 0x33 < 0x99 */

    /* scasw, DF = 1: rAX - [rDI], rDI moves down. */
    rflags = RFLAGS_DF;
    regs.gpr[GPR_RAX] = 0x2211;
    regs.gpr[GPR_RDI] = BUS_BASE + 0x40;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x40, &c, 0x66, 0xaf),
               INSN_EMU_DONE);
    CHECK_EQ_U(rflags & RFLAGS_ZF, RFLAGS_ZF);
    CHECK_EQ_U(regs.gpr[GPR_RDI], BUS_BASE + 0x3e);
}

/* PUSH, POP, LEAVE, RET on a stack in the bus. */
TEST(emulate_stack_instructions)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    regs.gpr[GPR_RSP] = BUS_BASE + 0x80;
    /* push -7 (6A F9): 64-bit, sign-extended */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x78, &c, 0x6a, 0xf9),
               INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x78);
    CHECK_EQ_U(bus_get(&c.bus, 0x78, 8), (uint64_t)-7);
    /* pop qword [rsp+8] (8F 44 24 08): the address uses the new rSP */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, 0, &c, 0x8f, 0x44, 0x24, 0x08),
               INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x80);
    CHECK_EQ_U(bus_get(&c.bus, 0x88, 8), (uint64_t)-7);
    /* 32-bit: push word [ebx] (66 FF 33) moves ESP by 2 */
    regs.gpr[GPR_RSP] = BUS_BASE + 0x40;
    regs.gpr[GPR_RBX] = BUS_BASE + 0x88;
    CHECK_EQ_I(CPU_EMULATE(M32, &regs, &rflags, 0, &c, 0x66, 0xff, 0x33), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x3e);
    CHECK_EQ_U(bus_get(&c.bus, 0x3e, 2), 0xfff9);
    /* leave: rSP <- rBP, pop rBP */
    bus_put(&c.bus, 0x20, 8, 0x1122334455667788ull);
    regs.gpr[GPR_RBP] = BUS_BASE + 0x20;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x20, &c, 0xc9), INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RBP], 0x1122334455667788ull);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x28);
    /* ret 8 to a canonical target; then to a non-canonical one: #GP(0) */
    bus_put(&c.bus, 0x28, 8, 0x401000);
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x28, &c, 0xc2, 0x08, 0x00),
               INSN_EMU_BRANCH);
    CHECK(c.branched && c.new_rip == 0x401000);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x38);
    bus_put(&c.bus, 0x38, 8, 0x8000000000000000ull);
    c.branched = false;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x38, &c, 0xc3), INSN_EMU_FAULT);
    CHECK(!c.branched && c.vector == 13 && c.has_error && c.error == 0);
    CHECK_EQ_U(regs.gpr[GPR_RSP], BUS_BASE + 0x38);
}

/* DIV by zero raises #DE and changes nothing; SMSW stores CR0's low word. */
TEST(emulate_div_fault_and_smsw)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    regs.gpr[GPR_RAX] = 5;
    regs.gpr[GPR_RDX] = 6;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x48, 0xf7, 0x33),
               INSN_EMU_FAULT);
    CHECK(c.vector == 0 && !c.has_error);
    CHECK(regs.gpr[GPR_RAX] == 5 && regs.gpr[GPR_RDX] == 6);

    bus_put(&c.bus, 0, 8, ~0ull);
    c.cr0 = 0x80050033;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x48, 0x0f, 0x01, 0x23),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0, 8), 0xffffffffffff0033ull);
}

/* The SSE moves: the register through vec_access, and their exceptions in
 * order (CR0.EM / CR4.OSFXSR #UD, CR0.TS #NM, misalignment #GP(0)). */
TEST(emulate_vector_moves)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    for (unsigned i = 0; i < 16; i++)
        c.bus.mem[0x10 + i] = (uint8_t)i;
    regs.gpr[GPR_RBX] = BUS_BASE + 0x10;
    /* movdqu xmm9, [rbx] (F3 44 0F 6F 0B) */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &c, 0xf3, 0x44, 0x0f, 0x6f,
                           0x0b), INSN_EMU_DONE);
    CHECK(c.xmm[9][0] == 0 && c.xmm[9][15] == 15);
    /* movaps [rbx+8], xmm9: misaligned */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x18, &c, 0x44, 0x0f, 0x29, 0x4b,
                           0x08), INSN_EMU_FAULT);
    CHECK(c.vector == 13 && c.has_error && c.error == 0);
    CHECK_EQ_U(c.bus.writes, 0);
    /* CR0.TS: #NM; CR4.OSFXSR clear: #UD (before #NM) */
    c.cr0 |= 8;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &c, 0x0f, 0x11, 0x0b),
               INSN_EMU_FAULT);
    CHECK_EQ_I(c.vector, 7);
    c.cr4 = 0;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &c, 0x0f, 0x11, 0x0b),
               INSN_EMU_FAULT);
    CHECK_EQ_I(c.vector, 6);
    /* MMX needs no OSFXSR: movq [rbx], mm1 (0F 7F 0B) with TS clear */
    c.cr0 = CR0_PE_PG;
    memset(c.xmm[1], 0xab, 8);
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE + 0x10, &c, 0x0f, 0x7f, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0x10, 8), 0xababababababababull);
}

/* CMPXCHG writes the old value back when it differs and loads it into rAX;
 * XADD leaves the sum in memory and the old value in the register. */
TEST(emulate_cmpxchg_xadd)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    bus_put(&c.bus, 0, 4, 7);
    regs.gpr[GPR_RAX] = 0xffffffff00000005ull;
    regs.gpr[GPR_RCX] = 42;
    /* lock cmpxchg [rbx], ecx: differs */
    regs.gpr[GPR_RBX] = BUS_BASE;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0xf0, 0x0f, 0xb1, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(regs.gpr[GPR_RAX], 7);
    CHECK_EQ_U(rflags & RFLAGS_ZF, 0);
    CHECK_EQ_U(c.bus.writes, 1);        /* the old value, written back */
    CHECK_EQ_U(bus_get(&c.bus, 0, 4), 7);
    /* now equal */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0xf0, 0x0f, 0xb1, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0, 4), 42);
    CHECK_EQ_U(rflags & RFLAGS_ZF, RFLAGS_ZF);
    /* xadd [rbx], ecx */
    regs.gpr[GPR_RCX] = 8;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0xc1, 0x0b), INSN_EMU_DONE);
    CHECK_EQ_U(bus_get(&c.bus, 0, 4), 50);
    CHECK_EQ_U(regs.gpr[GPR_RCX], 42);
}

/* LTR m16 in IA-32e mode: a 16-byte available TSS descriptor becomes busy
 * and TR gets its base, limit and access rights; loading it again (busy
 * now), a CPL of 3 or an LDT selector give #GP. */
TEST(emulate_ltr)
{
    struct fake_cpu c;
    struct guest_regs regs = { 0 };
    uint64_t rflags = 0;
    cpu_init(&c);
    c.efer = 1ull << 10;                /* LMA */
    c.gdt_base = 0x40;                  /* lands at BUS_BASE + 0x40 */
    c.gdt_limit = 0x3f;
    /* selector 0x10: base 0x1_2345_6000, limit 0x67, type 9, P */
    uint64_t low = 0x67 | (0x456000ull << 16) | (0x89ull << 40) | (0x23ull << 56);
    bus_put(&c.bus, 0x50, 8, low);
    bus_put(&c.bus, 0x58, 8, 0x1);
    bus_put(&c.bus, 0x00, 2, 0x10);
    regs.gpr[GPR_RBX] = BUS_BASE;
    /* ltr word [rbx] (0F 00 1B) */
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0x00, 0x1b), INSN_EMU_DONE);
    CHECK(c.tr_loaded && c.tr_selector == 0x10 && c.tr_base == 0x123456000ull &&
          c.tr_limit == 0x67 && c.tr_ar == 0x8b);
    CHECK_EQ_U(bus_get(&c.bus, 0x50, 8), low | (2ull << 40));
    /* busy now */
    c.tr_loaded = false;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0x00, 0x1b), INSN_EMU_FAULT);
    CHECK(!c.tr_loaded && c.vector == 13 && c.error == 0x10);
    /* an LDT selector */
    bus_put(&c.bus, 0x00, 2, 0x17);
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0x00, 0x1b), INSN_EMU_FAULT);
    CHECK(c.vector == 13 && c.error == 0x14);
    /* beyond the GDT's limit */
    bus_put(&c.bus, 0x00, 2, 0x40);
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0x00, 0x1b), INSN_EMU_FAULT);
    CHECK(c.vector == 13 && c.error == 0x40);
    /* CPL 3 */
    c.cpl = 3;
    CHECK_EQ_I(CPU_EMULATE(M64, &regs, &rflags, BUS_BASE, &c, 0x0f, 0x00, 0x1b), INSN_EMU_FAULT);
    CHECK(c.vector == 13 && c.error == 0);
}
