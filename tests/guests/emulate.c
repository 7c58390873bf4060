/*
 * emulate: every instruction form keel's MMIO emulator knows
 * (guest/insn_decode.h), run once on RAM and once on testdev's IOMEM
 * (guest-physical 0xFF000000, where every access exits and keel emulates
 * the instruction), and compared: the registers, the flags the SDM defines
 * for the instruction, the exception it raised if any (with its error
 * code), the XMM/MMX register it moved, and the 256-byte window of memory it
 * worked on.  The CPU running the RAM pass is the reference, so the checks
 * hold whatever the values; forms whose point is a load or a fault also say
 * which exception (or none) the RAM pass must show, so that they cannot pass
 * by failing alike.
 *
 * The window starts 0x80 bytes before a page boundary (IOMEM 0xFF000F80; a
 * RAM buffer at the same page offset), so that forms at its end cross from
 * one page into the next.  EBX, ESI, EDI and the stack forms' ESP and EBP
 * hold offsets in the window, made addresses for the run and offsets again
 * after it; EAX, ECX and EDX are plain values.  The stack forms run with
 * ESP and EBP in the window.
 *
 * Each MMIO pass must also have made keel emulate at least one access
 * (testdev's access counter at 0xD0000FF8 counts IOMEM's too), so that a
 * keel that mapped IOMEM as RAM fails.
 *
 * The segment forms load descriptors from a copy of the library's GDT
 * (lib/descriptors.h) with test entries added: a data segment whose base
 * shows in the next access, absent and read-only ones, a code segment for
 * the far branches; each load must also set the accessed bit as the CPU
 * does.  Then, with a self-IPI pending, STI; MOV SS from the window; NOP;
 * NOP: the interrupt must come after the first NOP (the MOV SS shadow).
 * Last, the guest enters IA-32e mode (4 GiB mapped 1:1) for the forms only
 * 64-bit code has: far JMP/CALL through m16:64 and a null SS.
 *
 * Bare, or under keel without testdev, there is no IOMEM: the comparisons
 * SKIP.
 *
 * (A misaligned MOVAPS raises #GP before any access, so no exit: keel's own
 * check for it is host-tested only; so are the real-mode segment loads and
 * far branches, and call gates, which keel does not emulate.)
 *
 * Expected under keel (with testdev): pass (146 checks).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/descriptors.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/keel.h"
#include "lib/longmode.h"
#include "lib/paging_arch.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/x86.h"

#define WINDOW_SIZE         256u
#define WINDOW_PAGE_OFFSET  0xF80u      /* 0x80 bytes before the next page */
#define CR0_EM              (1u << 2)
#define CR0_TS              (1u << 3)
#define CPUID_1_EDX_SSE2    (1u << 26)
/* The status flags; AF and OF are not in lib/x86.h. */
#define FL_CF   0x001u
#define FL_PF   0x004u
#define FL_AF   0x010u
#define FL_ZF   0x040u
#define FL_SF   0x080u
#define FL_OF   0x800u
#define FL_DF   0x400u
#define FL_ALL  (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* AND, OR, XOR, TEST: AF undefined. */
#define FL_LOGIC (FL_ALL & ~FL_AF)
#define FL_FIXED 0x002u                 /* EFLAGS bit 1 */

/* What a form starts with and leaves: pointer registers as window offsets. */
struct state {
    uint32_t eax, ebx, ecx, edx, esi, edi, esp, ebp;
    uint32_t eflags;
    int fault;
    uint32_t error_code;
    uint8_t vec[16];
    uint8_t window[WINDOW_SIZE];
};

/* The registers the form's asm works on (addresses during the run). */
static struct {
    uint32_t eax, ebx, ecx, edx, esi, edi;
    uint32_t eflags;
    uint32_t esp, ebp;                  /* the stack forms' */
    uint32_t saved_esp, saved_ebp;
} cur;
static uint8_t vec_in[16], vec_out[16];

#define GUEST_PAGE_SIZE 4096u
static uint8_t ram_pages[2 * GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));

struct form {
    const char *name;
    void (*run)(void);
    uint32_t eax, ebx, ecx, edx, esi, edi, esp, ebp;
    uint32_t eflags;                    /* DF, CF... before the run */
    uint32_t defined;                   /* the flags compared */
    uint32_t mem[4];                    /* the window's first 16 bytes */
    bool sse;                           /* needs SSE (CR4.OSFXSR) */
    /* EBP comes in as a plain value, not a window offset (ENTER pushes it). */
    bool ebp_plain_in;
    /* The window's dword at 4 holds the address of its byte 0x20 (the frame
     * pointer LEAVE pops). */
    bool saved_frame_pointer;
    /* Bit i: the run leaves an address in the window's dword i (ENTER's
     * frame pointers), compared as an offset in the window. */
    uint32_t address_dwords;
    /* The window's dword at 0 holds this address (what CALL m32 calls, the
     * offset of a far pointer whose selector is mem[1]'s low half). */
    const void *target;
    /* The RAM run must end with this exception (NO_FAULT: none) and error
     * code, so that a form cannot pass by faulting alike on both. */
    bool check_fault;
    int fault;
    uint32_t error_code;
};

/* ---- the forms ------------------------------------------------------------- */

#define GPR_OPERANDS                                                                     \
    "+a"(cur.eax), "+b"(cur.ebx), "+c"(cur.ecx), "+d"(cur.edx), "+S"(cur.esi),            \
    "+D"(cur.edi), [fl] "+m"(cur.eflags)

/* One instruction with EFLAGS loaded before and saved after; a fault
 * resumes after it (ASM_TRY).  DF is cleared again for the C code. */
#define FORM(fn, insn)                                                                   \
    static __attribute__((noinline)) void fn(void)                                       \
    {                                                                                    \
        __asm__ __volatile__("pushl %[fl]\n\tpopfl\n\t" ASM_TRY(insn)                    \
                             "pushfl\n\tpopl %[fl]\n\tcld"                             \
                             : GPR_OPERANDS : : "memory", "cc");                         \
    }

/* The same with ESP and EBP switched to the window's stack. */
#define STACK_FORM(fn, insn)                                                             \
    static __attribute__((noinline)) void fn(void)                                       \
    {                                                                                    \
        __asm__ __volatile__("pushl %[fl]\n\tpopfl\n\t"                                  \
                             "movl %%esp, %[ssp]\n\tmovl %%ebp, %[sbp]\n\t"              \
                             "movl %[sp], %%esp\n\tmovl %[bp], %%ebp\n\t"                \
                             insn "\n\t"                                                 \
                             "movl %%esp, %[sp]\n\tmovl %%ebp, %[bp]\n\t"                \
                             "movl %[ssp], %%esp\n\tmovl %[sbp], %%ebp\n\t"              \
                             "pushfl\n\tpopl %[fl]\n\tcld"                             \
                             : GPR_OPERANDS, [sp] "+m"(cur.esp), [bp] "+m"(cur.ebp),     \
                               [ssp] "=m"(cur.saved_esp), [sbp] "=m"(cur.saved_ebp)      \
                             : : "memory", "cc");                                        \
    }

/* An SSE or MMX move between the window and XMM1/MM1, which hold vec_in
 * before and are saved to vec_out after. */
#define XMM_FORM(fn, insn)                                                               \
    static __attribute__((noinline)) void fn(void)                                       \
    {                                                                                    \
        __asm__ __volatile__("movdqu %[in], %%xmm1\n\t" ASM_TRY(insn)                    \
                             "movdqu %%xmm1, %[out]"                                     \
                             : GPR_OPERANDS, [out] "=m"(vec_out) : [in] "m"(vec_in)      \
                             : "memory", "cc");                                          \
    }
#define MMX_FORM(fn, insn)                                                               \
    static __attribute__((noinline)) void fn(void)                                       \
    {                                                                                    \
        __asm__ __volatile__("movq %[in], %%mm1\n\t" ASM_TRY(insn)                       \
                             "movq %%mm1, %[out]\n\temms"                                \
                             : GPR_OPERANDS, [out] "=m"(vec_out) : [in] "m"(vec_in)      \
                             : "memory", "cc");                                          \
    }

/* The two-operand ALU group, each with a memory destination and source. */
FORM(add_m32_r, "addl %%ecx, (%%ebx)")
FORM(add_r32_m, "addl 4(%%ebx), %%ecx")
FORM(or_m8_r, "orb %%cl, 1(%%ebx)")
FORM(or_m16_imm8, "orw $-2, 2(%%ebx)")
FORM(adc_m32_r, "adcl %%ecx, (%%ebx)")
FORM(adc_r8_m, "adcb 3(%%ebx), %%dl")
FORM(adc_m32_imm, "adcl $0x7fffffff, 4(%%ebx)")
FORM(sbb_m32_r, "sbbl %%ecx, (%%ebx)")
FORM(sbb_r16_m, "sbbw 2(%%ebx), %%dx")
FORM(sbb_m8_imm, "sbbb $0x7f, (%%ebx)")
FORM(and_m32_imm, "andl $0x0ff00ff0, (%%ebx)")
FORM(and_r32_m, "andl 4(%%ebx), %%edx")
FORM(sub_m32_r, "subl %%ecx, (%%ebx)")
FORM(sub_r8_m, "subb 1(%%ebx), %%ch")
FORM(xor_m16_r, "xorw %%cx, 2(%%ebx)")
FORM(xor_m32_imm8, "xorl $-1, 8(%%ebx)")
FORM(cmp_m32_r, "cmpl %%ecx, (%%ebx)")
FORM(cmp_r32_m, "cmpl 4(%%ebx), %%edx")
FORM(cmp_m8_imm, "cmpb $0x7f, 3(%%ebx)")
FORM(test_m32_r, "testl %%ecx, (%%ebx)")
FORM(test_m8_imm, "testb $0x80, 3(%%ebx)")

/* Group 3/4/5 read-modify-write. */
FORM(inc_m32, "incl (%%ebx)")
FORM(lock_inc_m8, "lock incb 3(%%ebx)")
FORM(dec_m16, "decw 2(%%ebx)")
FORM(lock_dec_m32, "lock decl 8(%%ebx)")
FORM(not_m8, "notb 1(%%ebx)")
FORM(lock_not_m32, "lock notl 4(%%ebx)")
FORM(neg_m32, "negl (%%ebx)")
FORM(lock_neg_m8, "lock negb 3(%%ebx)")

/* Multiply and divide. */
FORM(mul_m32, "mull 4(%%ebx)")
FORM(mul_m8, "mulb 1(%%ebx)")
FORM(imul1_m16, "imulw 2(%%ebx)")
FORM(imul1_m32, "imull (%%ebx)")
FORM(div_m32, "divl 8(%%ebx)")
FORM(div_m8, "divb 1(%%ebx)")
FORM(idiv_m16, "idivw 4(%%ebx)")
FORM(idiv_m32, "idivl 8(%%ebx)")
FORM(div_zero, "divl 12(%%ebx)")
FORM(idiv_overflow, "idivb 12(%%ebx)")
FORM(imul_r32_m, "imull 4(%%ebx), %%ecx")
FORM(imul_r32_m_imm8, "imull $-3, (%%ebx), %%edx")
FORM(imul_r16_m_imm, "imulw $300, 2(%%ebx), %%cx")

/* Bit test and scan. */
FORM(bt_m32_imm, "btl $5, (%%ebx)")
FORM(bts_m32_imm, "btsl $33, 4(%%ebx)")
FORM(btr_m16_r, "btrw %%cx, 8(%%ebx)")
FORM(btc_m32_r_below, "btcl %%edx, 8(%%ebx)")
FORM(btc_m32_r_above, "lock btcl %%ecx, (%%ebx)")
FORM(bsf_r32_m, "bsfl 4(%%ebx), %%ecx")
FORM(bsr_r16_m, "bsrw 2(%%ebx), %%cx")
FORM(bsf_zero, "bsfl 12(%%ebx), %%ecx")

/* Double shifts. */
FORM(shld_m32_imm, "shldl $4, %%ecx, (%%ebx)")
FORM(shrd_m32_cl, "shrdl %%cl, %%edx, 4(%%ebx)")
FORM(shld_m16_one, "shldw $1, %%dx, 2(%%ebx)")

/* Exchange and compare. */
FORM(xchg_m8_r, "xchgb %%cl, 3(%%ebx)")
FORM(xadd_m32_r, "lock xaddl %%ecx, (%%ebx)")
FORM(xadd_m8_r, "xaddb %%cl, 1(%%ebx)")
FORM(cmpxchg_m32_equal, "lock cmpxchgl %%ecx, (%%ebx)")
FORM(cmpxchg_m32_differ, "lock cmpxchgl %%ecx, 4(%%ebx)")
FORM(cmpxchg_m16_r, "cmpxchgw %%cx, 2(%%ebx)")

/* Conditional moves and sets, loads with extension, SMSW. */
FORM(cmovz_taken, "cmovzl 4(%%ebx), %%ecx")
FORM(cmovb_not_taken, "cmovbw 2(%%ebx), %%cx")
FORM(setnz_m8, "setnz 5(%%ebx)")
FORM(setl_m8, "setl 6(%%ebx)")
FORM(movzx_m8, "movzbw 3(%%ebx), %%cx")
FORM(movsx_m16, "movswl 2(%%ebx), %%ecx")
FORM(smsw_m16, "smsw 10(%%ebx)")

/* Crossing from one page into the next (window offset 0x80). */
FORM(mov_cross_store, "movl %%ecx, 0x7e(%%ebx)")
FORM(mov_cross_load, "movl 0x7d(%%ebx), %%ecx")
FORM(add_cross, "addl %%ecx, 0x7f(%%ebx)")

/* The string instructions, with and without REP, DF = 0 and 1. */
FORM(movsl_up, "movsl")
FORM(movsb_down, "movsb")
FORM(rep_movsl, "rep movsl")
FORM(rep_movsb_down, "rep movsb")
FORM(stosw_up, "stosw")
FORM(rep_stosl_down, "rep stosl")
FORM(lodsl_up, "lodsl")
FORM(lodsb_down, "lodsb")
FORM(cmpsl_up, "cmpsl")
FORM(repe_cmpsb, "repe cmpsb")
FORM(repne_cmpsw_down, "repne cmpsw")
FORM(scasb_up, "scasb")
FORM(repne_scasb, "repne scasb")
FORM(repe_scasl_down, "repe scasl")
FORM(rep_stosb_cross, "rep stosb")

/* INS and OUTS with the window as their memory (keel's string I/O path,
 * port 0xE0 the echo port). */
FORM(rep_insb_cross, "outb %%al, %%dx\n\trep insb")
FORM(rep_outsb_from, "rep outsb\n\tinb %%dx, %%al")

/* The stack in the window. */
STACK_FORM(push_m32, "pushl (%%ebx)")
STACK_FORM(push_imm32, "pushl $0x12345678")
STACK_FORM(push_imm8, "pushl $-2")
STACK_FORM(push_r32, "pushl %%ecx")
STACK_FORM(push_m16, "pushw 2(%%ebx)")
STACK_FORM(pop_m32, "popl 8(%%ebx)")
STACK_FORM(pop_r32, "popl %%ecx")
STACK_FORM(pop_m32_esp_based, "popl 4(%%esp)")
STACK_FORM(leave_frame, "leave")
STACK_FORM(enter_frame, "enter $16, $0")
STACK_FORM(ret_near, "pushl $1f\n\tret\n1:")
STACK_FORM(ret_imm, "pushl %%ecx\n\tpushl $1f\n\tret $4\n1:")
STACK_FORM(call_m32, "call *(%%ebx)")
FORM(jmp_m32, "movl $1f, (%%ebx)\n\tjmp *(%%ebx)\n\tmovl $0xbad, %%ecx\n1:")

/* The register moves (XMM1, MM1). */
XMM_FORM(movups_load, "movups 3(%%ebx), %%xmm1")
XMM_FORM(movups_store, "movups %%xmm1, 5(%%ebx)")
XMM_FORM(movupd_load, "movupd (%%ebx), %%xmm1")
XMM_FORM(movaps_load, "movaps 16(%%ebx), %%xmm1")
XMM_FORM(movaps_store, "movaps %%xmm1, 32(%%ebx)")
XMM_FORM(movapd_store, "movapd %%xmm1, 48(%%ebx)")
XMM_FORM(movdqu_store_cross, "movdqu %%xmm1, 0x78(%%ebx)")
XMM_FORM(movdqa_load, "movdqa 32(%%ebx), %%xmm1")
MMX_FORM(movq_mmx_load, "movq 4(%%ebx), %%mm1")
MMX_FORM(movq_mmx_store, "movq %%mm1, 12(%%ebx)")

/* LTR: the TSS descriptor's busy flag is cleared first (LTR of a busy TSS
 * is #GP); after it, ECX holds TR (STR) and EDX the descriptor's high
 * dword, whose type shows the busy flag LTR set. */
FORM(ltr_m16_insn, "ltrw (%%ebx)")

static uint32_t *tss32_descriptor_high(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr;
    __asm__ __volatile__("sgdt %0" : "=m"(gdtr));
    return (uint32_t *)(uintptr_t)(gdtr.base + GDT_TSS32_SELECTOR + 4);
}

#define DESC_HIGH_BUSY (1u << 9)

static __attribute__((noinline)) void ltr_m16(void)
{
    volatile uint32_t *high = tss32_descriptor_high();
    *high &= ~DESC_HIGH_BUSY;
    ltr_m16_insn();
    uint16_t tr;
    __asm__ __volatile__("str %0" : "=r"(tr));
    cur.ecx = tr;
    cur.edx = *high;
}

/* The routine call_m32 calls: it returns at once. */
__asm__(".text\n"
        "emulate_call_target:\n\t"
        "ret\n");
extern const char emulate_call_target[];

/* ---- segment registers and far branches ------------------------------------- */

/* Descriptors the segment forms load, in a copy of the library's GDT
 * (lib/descriptors.h) with these entries after its own. */
#define SEL_TEST_DATA           0x60u   /* data, base test_segment_data, limit 0xfff, A = 0 */
#define SEL_TEST_DATA_ABSENT    0x68u   /* data, P = 0 */
#define SEL_TEST_CODE           0x70u   /* flat 32-bit code, A = 0 */
#define SEL_TEST_DATA_READ_ONLY 0x78u
#define SEL_TEST_CODE_ABSENT    0x80u
#define SEL_BEYOND_TEST_GDT     0x88u
#define TEST_GDT_ENTRIES        17u
#define GDT_ACCESS_BYTE         5u      /* of a descriptor: P, DPL, S, type */
#define ACCESS_ACCESSED         0x01u

static uint64_t test_gdt[TEST_GDT_ENTRIES] __attribute__((aligned(16)));
static const uint32_t test_segment_data[4] = { 0x11111111u, 0x5eb5eb5eu, 0x33333333u, 0 };

static uint64_t test_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xfu) << 48 |
           (uint64_t)flags << 52 | (uint64_t)(base >> 24) << 56;
}

/* The library's table, copied, and the test entries after it. */
static void install_test_gdt(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr;
    descriptors_install();
    __asm__ __volatile__("sgdt %0" : "=m"(gdtr));
    const uint64_t *lib = (const uint64_t *)(uintptr_t)gdtr.base;
    for (uint32_t i = 0; i < (gdtr.limit + 1u) / 8 && i < TEST_GDT_ENTRIES; i++)
        test_gdt[i] = lib[i];
    test_gdt[SEL_TEST_DATA / 8] =
        test_descriptor((uint32_t)(uintptr_t)test_segment_data, 0xfff, 0x92, 0x4);
    test_gdt[SEL_TEST_DATA_ABSENT / 8] = test_descriptor(0, 0xfffff, 0x13, 0xc);
    test_gdt[SEL_TEST_CODE / 8] = test_descriptor(0, 0xfffff, 0x9a, 0xc);
    test_gdt[SEL_TEST_DATA_READ_ONLY / 8] = test_descriptor(0, 0xfffff, 0x91, 0xc);
    test_gdt[SEL_TEST_CODE_ABSENT / 8] = test_descriptor(0, 0xfffff, 0x1b, 0xc);
    gdtr.limit = sizeof(test_gdt) - 1;
    gdtr.base = (uint32_t)(uintptr_t)test_gdt;
    __asm__ __volatile__("lgdt %0" : : "m"(gdtr) : "memory");
}

static volatile uint8_t *access_byte(uint32_t selector)
{
    return (volatile uint8_t *)&test_gdt[selector / 8] + GDT_ACCESS_BYTE;
}

/* DS, ES, FS, GS and SS back to the flat data segment after a form that
 * loaded one of them (before any C code that relies on them). */
static inline __attribute__((always_inline)) void flat_data_segments(void)
{
    __asm__ __volatile__("movw %w0, %%ds\n\tmovw %w0, %%es\n\tmovw %w0, %%fs\n\t"
                         "movw %w0, %%gs\n\tmovw %w0, %%ss"
                         : : "r"(GDT_KERNEL_DATA_SELECTOR) : "memory");
}

/* MOV m16, Sreg: the selector only, 16 bits. */
FORM(mov_m16_ds, "movw %%ds, 6(%%ebx)")
FORM(mov_m16_cs, "movw %%cs, 1(%%ebx)")

/* MOV FS, m16: after it, ECX holds FS:4 (the descriptor's base at work),
 * EDX FS, and EAX the descriptor's access byte (the accessed bit set). */
FORM(mov_fs_m16_insn, "movw (%%ebx), %%fs\n\tmovl %%fs:4, %%ecx\n\tmovw %%fs, %%dx")

static __attribute__((noinline)) void mov_fs_m16(void)
{
    *access_byte(SEL_TEST_DATA) &= (uint8_t)~ACCESS_ACCESSED;
    mov_fs_m16_insn();
    flat_data_segments();
    cur.eax = *access_byte(SEL_TEST_DATA);
}

/* A null selector: GS unusable, so the access through it is #GP(0).  (GS,
 * which C code does not use, as the exception handler runs with it.) */
FORM(mov_gs_null_insn, "movw (%%ebx), %%gs\n\tmovw %%gs, %%cx\n\tmovl %%gs:(%%ebx), %%edx")

static __attribute__((noinline)) void mov_gs_null(void)
{
    mov_gs_null_insn();
    flat_data_segments();
}

FORM(mov_ds_absent_insn, "movw (%%ebx), %%ds")
FORM(mov_gs_beyond_insn, "movw 2(%%ebx), %%gs")
FORM(mov_ss_m16_insn, "movw (%%ebx), %%ss\n\tmovw %%ss, %%cx")
FORM(mov_ss_read_only_insn, "movw (%%ebx), %%ss")

static __attribute__((noinline)) void mov_ds_absent(void)
{
    mov_ds_absent_insn();
    flat_data_segments();
}

static __attribute__((noinline)) void mov_gs_beyond(void)
{
    mov_gs_beyond_insn();
    flat_data_segments();
}

static __attribute__((noinline)) void mov_ss_m16(void)
{
    mov_ss_m16_insn();
    flat_data_segments();
}

static __attribute__((noinline)) void mov_ss_read_only(void)
{
    mov_ss_read_only_insn();
    flat_data_segments();
}

/* Far JMP and CALL into SEL_TEST_CODE: the targets note CS in ECX and come
 * back to the flat code segment (JMP through emulate_far_return). */
__asm__(".data\n"
        "emulate_far_return:\n\t"
        ".long 0\n\t"
        ".word 0x08\n"
        ".text\n"
        "emulate_far_jmp_target:\n\t"
        "movw %cs, %cx\n\t"
        "ljmp *emulate_far_return\n"
        "emulate_far_call_target:\n\t"
        "movw %cs, %cx\n\t"
        "lret\n");
extern const char emulate_far_jmp_target[];
extern const char emulate_far_call_target[];

FORM(ljmp_m32_insn, "movl $1f, emulate_far_return\n\tljmp *(%%ebx)\n\t"
                    "movl $0xbad, %%ecx\n1:")
STACK_FORM(lcall_m32_insn, "lcall *(%%ebx)")

/* EAX gets the code descriptor's access byte: the jump set its A bit. */
static __attribute__((noinline)) void ljmp_m32(void)
{
    *access_byte(SEL_TEST_CODE) &= (uint8_t)~ACCESS_ACCESSED;
    ljmp_m32_insn();
    cur.eax = *access_byte(SEL_TEST_CODE);
}

static __attribute__((noinline)) void lcall_m32(void)
{
    *access_byte(SEL_TEST_CODE) &= (uint8_t)~ACCESS_ACCESSED;
    lcall_m32_insn();
    cur.eax = *access_byte(SEL_TEST_CODE);
}

FORM(ljmp_faulting, "ljmp *(%%ebx)")

/* ---- ENTER with a nesting level, group 2, MOVSS/MOVSD --------------------------- */

STACK_FORM(enter_level3, "enter $16, $3")
STACK_FORM(enter_level1, "enter $4, $1")

FORM(shl_m32_1, "shll (%%ebx)")
FORM(sar_m32_cl, "sarl %%cl, 4(%%ebx)")
FORM(sar_m8_1, "sarb 3(%%ebx)")
FORM(shr_m16_imm, "shrw $5, 2(%%ebx)")
FORM(shr_m16_cl_masked_zero, "shrw %%cl, 2(%%ebx)")
FORM(rol_m16_imm, "rolw $3, 2(%%ebx)")
FORM(ror_m8_1, "rorb 1(%%ebx)")
FORM(rcl_m32_cl, "rcll %%cl, (%%ebx)")
FORM(rcr_m8_imm9, "rcrb $9, 3(%%ebx)")
FORM(shl_m32_cross, "shll $4, 0x7e(%%ebx)")

XMM_FORM(movss_load, "movss 4(%%ebx), %%xmm1")
XMM_FORM(movss_store, "movss %%xmm1, 9(%%ebx)")
XMM_FORM(movsd_load_cross, "movsd 0x7c(%%ebx), %%xmm1")
XMM_FORM(movsd_store, "movsd %%xmm1, 16(%%ebx)")

#define PATTERN { 0x80000001u, 0x7fffffffu, 0x00000000u, 0x00000000u }
#define SP 0x60u                        /* the stack forms' ESP and EBP */

static const struct form forms[] = {
    { "add m32, r", add_m32_r, .ecx = 0x80000000u, .mem = PATTERN, .defined = FL_ALL },
    { "add r32, m", add_r32_m, .ecx = 1, .mem = PATTERN, .defined = FL_ALL },
    { "or m8, r8", or_m8_r, .ecx = 0x80, .mem = PATTERN, .defined = FL_LOGIC },
    { "or m16, imm8", or_m16_imm8, .mem = PATTERN, .defined = FL_LOGIC },
    { "adc m32, r (CF=1)", adc_m32_r, .ecx = 0x7ffffffeu, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_ALL },
    { "adc r8, m (CF=1)", adc_r8_m, .edx = 0x80, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_ALL },
    { "adc m32, imm32 (CF=0)", adc_m32_imm, .mem = PATTERN, .defined = FL_ALL },
    { "sbb m32, r (CF=1)", sbb_m32_r, .ecx = 0x80000001u, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_ALL },
    { "sbb r16, m (CF=1)", sbb_r16_m, .edx = 0x7fff, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_ALL },
    { "sbb m8, imm8 (CF=0)", sbb_m8_imm, .mem = PATTERN, .defined = FL_ALL },
    { "and m32, imm32", and_m32_imm, .mem = PATTERN, .defined = FL_LOGIC },
    { "and r32, m", and_r32_m, .edx = 0xf0f0f0f0u, .mem = PATTERN, .defined = FL_LOGIC },
    { "sub m32, r", sub_m32_r, .ecx = 2, .mem = PATTERN, .defined = FL_ALL },
    { "sub r8 (CH), m", sub_r8_m, .ecx = 0x1000, .mem = PATTERN, .defined = FL_ALL },
    { "xor m16, r", xor_m16_r, .ecx = 0x8001, .mem = PATTERN, .defined = FL_LOGIC },
    { "xor m32, imm8", xor_m32_imm8, .mem = PATTERN, .defined = FL_LOGIC },
    { "cmp m32, r", cmp_m32_r, .ecx = 0x80000002u, .mem = PATTERN, .defined = FL_ALL },
    { "cmp r32, m", cmp_r32_m, .edx = 0x7fffffffu, .mem = PATTERN, .defined = FL_ALL },
    { "cmp m8, imm8", cmp_m8_imm, .mem = PATTERN, .defined = FL_ALL },
    { "test m32, r", test_m32_r, .ecx = 0x80000000u, .mem = PATTERN, .defined = FL_LOGIC },
    { "test m8, imm8", test_m8_imm, .mem = PATTERN, .defined = FL_LOGIC },
    { "inc m32", inc_m32, .eflags = FL_CF, .mem = { 0xffffffffu }, .defined = FL_ALL },
    { "lock inc m8", lock_inc_m8, .mem = PATTERN, .defined = FL_ALL },
    { "dec m16", dec_m16, .mem = PATTERN, .defined = FL_ALL },
    { "lock dec m32", lock_dec_m32, .mem = PATTERN, .defined = FL_ALL },
    { "not m8", not_m8, .eflags = FL_ALL, .mem = PATTERN, .defined = FL_ALL },
    { "lock not m32", lock_not_m32, .mem = PATTERN, .defined = FL_ALL },
    { "neg m32", neg_m32, .mem = PATTERN, .defined = FL_ALL },
    { "lock neg m8 (0x80)", lock_neg_m8, .mem = { 0x80000000u }, .defined = FL_ALL },
    { "mul m32", mul_m32, .eax = 0x12345678u, .edx = 0xdead, .mem = PATTERN,
      .defined = FL_CF | FL_OF },
    { "mul m8", mul_m8, .eax = 0xabcd12u, .mem = { 0x00007f00u }, .defined = FL_CF | FL_OF },
    { "imul m16", imul1_m16, .eax = 0xffff8000u, .edx = 0x12345678u, .mem = PATTERN,
      .defined = FL_CF | FL_OF },
    { "imul m32", imul1_m32, .eax = 3, .mem = { 0xfffffffeu }, .defined = FL_CF | FL_OF },
    { "div m32", div_m32, .eax = 0x9abcdef0u, .edx = 0x12345u,
      .mem = { 0, 0, 0x76543210u }, .defined = 0 },
    { "div m8", div_m8, .eax = 0x1234, .mem = { 0x00004000u }, .defined = 0 },
    { "idiv m16", idiv_m16, .eax = 0x5678, .edx = 0xfff0, .mem = { 0, 0x1234 }, .defined = 0 },
    { "idiv m32", idiv_m32, .eax = 0x1, .edx = 0xffffffffu, .mem = { 0, 0, 0xfffffff0u },
      .defined = 0 },
    { "div m32 by 0 (#DE)", div_zero, .eax = 1, .mem = PATTERN, .defined = 0 },
    { "idiv m8 overflow (#DE)", idiv_overflow, .eax = 0x8000, .mem = { 0, 0, 0, 0xff },
      .defined = 0 },
    { "imul r32, m", imul_r32_m, .ecx = 0x10000, .mem = { 0, 0x10000 }, .defined = FL_CF | FL_OF },
    { "imul r32, m, imm8", imul_r32_m_imm8, .mem = { 0x2aaaaaabu }, .defined = FL_CF | FL_OF },
    { "imul r16, m, imm16", imul_r16_m_imm, .ecx = 0xabcd0000u, .mem = { 0x00640000u },
      .defined = FL_CF | FL_OF },
    { "bt m32, imm8", bt_m32_imm, .mem = { 0x20 }, .defined = FL_CF },
    { "bts m32, imm8 (33)", bts_m32_imm, .mem = PATTERN, .defined = FL_CF },
    { "btr m16, r16", btr_m16_r, .ecx = 0x0011, .mem = { 0, 0, 0xffffffffu }, .defined = FL_CF },
    { "btc m32, r32 (bit -1: the dword below)", btc_m32_r_below, .edx = 0xffffffffu,
      .mem = PATTERN, .defined = FL_CF },
    { "lock btc m32, r32 (bit 70: two dwords on)", btc_m32_r_above, .ecx = 70,
      .mem = { 0, 0, 0x40 }, .defined = FL_CF },
    { "bsf r32, m", bsf_r32_m, .mem = { 0, 0x00f00000u }, .defined = FL_ZF },
    { "bsr r16, m", bsr_r16_m, .ecx = 0xffff0000u, .mem = { 0x00300000u }, .defined = FL_ZF },
    { "bsf r32, m (zero: ZF, register kept)", bsf_zero, .ecx = 0x5a5a5a5au, .mem = PATTERN,
      .defined = FL_ZF },
    { "shld m32, r32, imm8", shld_m32_imm, .ecx = 0xf0000000u, .mem = PATTERN,
      .defined = FL_CF | FL_PF | FL_ZF | FL_SF },
    { "shrd m32, r32, cl", shrd_m32_cl, .ecx = 7, .edx = 0x55u, .mem = PATTERN,
      .defined = FL_CF | FL_PF | FL_ZF | FL_SF },
    { "shld m16, r16, 1 (OF)", shld_m16_one, .edx = 0x8000, .mem = { 0x40000000u },
      .defined = FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF },
    { "xchg m8, r8", xchg_m8_r, .ecx = 0x5a, .mem = PATTERN, .defined = 0 },
    { "lock xadd m32, r32", xadd_m32_r, .ecx = 0x7fffffffu, .mem = PATTERN, .defined = FL_ALL },
    { "xadd m8, r8", xadd_m8_r, .ecx = 0x81, .mem = PATTERN, .defined = FL_ALL },
    { "lock cmpxchg m32, r32 (equal)", cmpxchg_m32_equal, .eax = 0x80000001u, .ecx = 42,
      .mem = PATTERN, .defined = FL_ALL },
    { "lock cmpxchg m32, r32 (different)", cmpxchg_m32_differ, .eax = 5, .ecx = 42,
      .mem = PATTERN, .defined = FL_ALL },
    { "cmpxchg m16, r16", cmpxchg_m16_r, .eax = 0x12348001u, .ecx = 0x4321, .mem = PATTERN,
      .defined = FL_ALL },
    { "cmovz r32, m (taken)", cmovz_taken, .eflags = FL_ZF, .mem = PATTERN, .defined = FL_ALL },
    { "cmovb r16, m (not taken)", cmovb_not_taken, .ecx = 0x11112222u, .mem = PATTERN,
      .defined = FL_ALL },
    { "setnz m8", setnz_m8, .mem = PATTERN, .defined = FL_ALL },
    { "setl m8", setl_m8, .eflags = FL_SF, .mem = PATTERN, .defined = FL_ALL },
    { "movzx r16, m8", movzx_m8, .ecx = 0xffffffffu, .mem = PATTERN, .defined = FL_ALL },
    { "movsx r32, m16", movsx_m16, .mem = PATTERN, .defined = FL_ALL },
    { "smsw m16", smsw_m16, .mem = { 0, 0, 0xffffffffu }, .defined = FL_ALL },
    { "mov m32, r (crossing a page)", mov_cross_store, .ecx = 0x11223344u, .defined = FL_ALL },
    { "mov r32, m (crossing a page)", mov_cross_load, .defined = FL_ALL },
    { "add m32, r (crossing a page)", add_cross, .ecx = 0x01010101u, .defined = FL_ALL },
    { "movsd", movsl_up, .esi = 0, .edi = 0x20, .mem = PATTERN, .defined = FL_ALL },
    { "movsb, DF=1", movsb_down, .esi = 3, .edi = 0x21, .eflags = FL_DF, .mem = PATTERN,
      .defined = FL_ALL },
    { "rep movsd", rep_movsl, .ecx = 5, .esi = 0, .edi = 0x40, .mem = PATTERN, .defined = FL_ALL },
    { "rep movsb, DF=1", rep_movsb_down, .ecx = 7, .esi = 0x0f, .edi = 0x4f, .eflags = FL_DF,
      .mem = PATTERN, .defined = FL_ALL },
    { "stosw", stosw_up, .eax = 0xbeef, .edi = 0x30, .defined = FL_ALL },
    { "rep stosd, DF=1", rep_stosl_down, .eax = 0xcafef00du, .ecx = 6, .edi = 0x50,
      .eflags = FL_DF, .defined = FL_ALL },
    { "lodsd", lodsl_up, .esi = 4, .mem = PATTERN, .defined = FL_ALL },
    { "lodsb, DF=1", lodsb_down, .eax = 0xffffffffu, .esi = 3, .eflags = FL_DF, .mem = PATTERN,
      .defined = FL_ALL },
    { "cmpsd", cmpsl_up, .esi = 0, .edi = 4, .mem = PATTERN, .defined = FL_ALL },
    { "repe cmpsb (stops at a difference)", repe_cmpsb, .ecx = 16, .esi = 0, .edi = 0x40,
      .defined = FL_ALL },
    { "repne cmpsw, DF=1", repne_cmpsw_down, .ecx = 8, .esi = 0x0e, .edi = 0x4e,
      .eflags = FL_DF, .defined = FL_ALL },
    { "scasb", scasb_up, .eax = 0x01, .edi = 0, .mem = PATTERN, .defined = FL_ALL },
    { "repne scasb (finds)", repne_scasb, .eax = 0x7f, .ecx = 16, .edi = 0, .mem = PATTERN,
      .defined = FL_ALL },
    { "repe scasd, DF=1", repe_scasl_down, .eax = 0, .ecx = 4, .edi = 12,
      .eflags = FL_DF, .mem = { 1, 0, 0, 0 }, .defined = FL_ALL },
    { "rep stosb (crossing a page)", rep_stosb_cross, .eax = 0x77, .ecx = 8, .edi = 0x7c,
      .defined = FL_ALL },
    { "rep insb (into MMIO, crossing a page)", rep_insb_cross, .eax = 0x5a, .ecx = 8,
      .edx = ECHO_PORT, .edi = 0x7c, .defined = FL_ALL },
    { "rep outsb (from MMIO)", rep_outsb_from, .ecx = 4, .edx = ECHO_PORT, .esi = 0x7e,
      .mem = PATTERN, .defined = FL_ALL },
    { "push m32", push_m32, .esp = SP, .ebp = SP, .mem = PATTERN, .defined = FL_ALL },
    { "push imm32", push_imm32, .esp = SP, .ebp = SP, .defined = FL_ALL },
    { "push imm8", push_imm8, .esp = SP, .ebp = SP, .defined = FL_ALL },
    { "push r32", push_r32, .ecx = 0xa5a5a5a5u, .esp = SP, .ebp = SP, .defined = FL_ALL },
    { "push m16", push_m16, .esp = SP, .ebp = SP, .mem = PATTERN, .defined = FL_ALL },
    { "pop m32", pop_m32, .esp = 0, .ebp = SP, .mem = PATTERN, .defined = FL_ALL },
    { "pop r32", pop_r32, .esp = 4, .ebp = SP, .mem = PATTERN, .defined = FL_ALL },
    { "pop m32 based on esp", pop_m32_esp_based, .esp = 0, .ebp = SP, .mem = PATTERN,
      .defined = FL_ALL },
    { "leave", leave_frame, .esp = SP, .ebp = 4, .mem = PATTERN, .saved_frame_pointer = true,
      .defined = FL_ALL },
    { "enter 16, 0", enter_frame, .esp = SP, .ebp = 0x1234, .ebp_plain_in = true,
      .defined = FL_ALL },
    { "ret", ret_near, .esp = SP, .ebp = SP, .defined = FL_ALL },
    { "ret imm16", ret_imm, .ecx = 0x99, .esp = SP, .ebp = SP, .defined = FL_ALL },
    { "call m32", call_m32, .target = emulate_call_target, .esp = SP, .ebp = SP,
      .defined = FL_ALL },
    { "jmp m32", jmp_m32, .ecx = 1, .defined = FL_ALL },
    { "ltr m16", ltr_m16, .mem = { GDT_TSS32_SELECTOR }, .defined = FL_ALL,
      .check_fault = true, .fault = NO_FAULT },
    { "mov m16, ds", mov_m16_ds, .mem = PATTERN, .defined = FL_ALL },
    { "mov m16, cs", mov_m16_cs, .mem = PATTERN, .defined = FL_ALL },
    { "mov fs, m16 (base, accessed bit)", mov_fs_m16, .mem = { SEL_TEST_DATA },
      .defined = FL_ALL, .check_fault = true, .fault = NO_FAULT },
    { "mov gs, m16 (null: unusable)", mov_gs_null, .edx = 7, .mem = { 0 }, .defined = FL_ALL,
      .check_fault = true, .fault = GP_VECTOR },
    { "mov ds, m16 (not present: #NP)", mov_ds_absent, .mem = { SEL_TEST_DATA_ABSENT },
      .defined = FL_ALL, .check_fault = true, .fault = NP_VECTOR,
      .error_code = SEL_TEST_DATA_ABSENT },
    { "mov gs, m16 (beyond the GDT: #GP)", mov_gs_beyond,
      .mem = { SEL_BEYOND_TEST_GDT << 16 }, .defined = FL_ALL, .check_fault = true,
      .fault = GP_VECTOR, .error_code = SEL_BEYOND_TEST_GDT },
    { "mov ss, m16", mov_ss_m16, .mem = { GDT_KERNEL_DATA_SELECTOR }, .defined = FL_ALL,
      .check_fault = true, .fault = NO_FAULT },
    { "mov ss, m16 (read-only data: #GP)", mov_ss_read_only,
      .mem = { SEL_TEST_DATA_READ_ONLY }, .defined = FL_ALL, .check_fault = true,
      .fault = GP_VECTOR, .error_code = SEL_TEST_DATA_READ_ONLY },
    { "ljmp m16:32", ljmp_m32, .target = emulate_far_jmp_target, .mem = { 0, SEL_TEST_CODE },
      .defined = FL_ALL, .check_fault = true, .fault = NO_FAULT },
    { "lcall m16:32 (lret from the window)", lcall_m32, .target = emulate_far_call_target,
      .mem = { 0, SEL_TEST_CODE }, .esp = SP, .ebp = SP, .defined = FL_ALL,
      .check_fault = true, .fault = NO_FAULT },
    { "ljmp m16:32 (not present: #NP)", ljmp_faulting, .mem = { 0, SEL_TEST_CODE_ABSENT },
      .defined = FL_ALL, .check_fault = true, .fault = NP_VECTOR,
      .error_code = SEL_TEST_CODE_ABSENT },
    { "ljmp m16:32 (a data segment: #GP)", ljmp_faulting,
      .mem = { 0, GDT_KERNEL_DATA_SELECTOR }, .defined = FL_ALL, .check_fault = true,
      .fault = GP_VECTOR, .error_code = GDT_KERNEL_DATA_SELECTOR },
    /* EBP, then [EBP - 4], [EBP - 8] (window bytes), then the new frame
     * pointer, pushed below SP: the first and last are addresses. */
    { "enter 16, 3", enter_level3, .esp = SP, .ebp = 0x40, .mem = PATTERN, .defined = FL_ALL,
      .address_dwords = 1u << (SP / 4 - 1) | 1u << (SP / 4 - 4) },
    { "enter 4, 1", enter_level1, .esp = SP, .ebp = 0x30, .defined = FL_ALL,
      .address_dwords = 1u << (SP / 4 - 1) | 1u << (SP / 4 - 2) },
    { "shl m32, 1", shl_m32_1, .mem = PATTERN, .defined = FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF },
    { "sar m32, cl", sar_m32_cl, .ecx = 5, .mem = PATTERN,
      .defined = FL_CF | FL_PF | FL_ZF | FL_SF },
    { "sar m8, 1", sar_m8_1, .mem = PATTERN, .defined = FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF },
    { "shr m16, imm8", shr_m16_imm, .mem = PATTERN, .defined = FL_CF | FL_PF | FL_ZF | FL_SF },
    { "shr m16, cl (32: masked to 0)", shr_m16_cl_masked_zero, .ecx = 32,
      .eflags = FL_CF | FL_ZF | FL_OF, .mem = PATTERN, .defined = FL_ALL },
    { "rol m16, imm8", rol_m16_imm, .mem = PATTERN, .defined = FL_CF },
    { "ror m8, 1", ror_m8_1, .mem = PATTERN, .defined = FL_CF | FL_OF },
    { "rcl m32, cl (33: 1)", rcl_m32_cl, .ecx = 33, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_CF | FL_OF },
    { "rcr m8, 9 (a full turn)", rcr_m8_imm9, .eflags = FL_CF, .mem = PATTERN,
      .defined = FL_CF },
    { "shl m32, imm8 (crossing a page)", shl_m32_cross, .defined = FL_CF | FL_PF | FL_ZF | FL_SF },
    { "movups xmm, m128", movups_load, .mem = PATTERN, .sse = true },
    { "movups m128, xmm", movups_store, .sse = true },
    { "movupd xmm, m128", movupd_load, .mem = PATTERN, .sse = true },
    { "movaps xmm, m128", movaps_load, .sse = true },
    { "movaps m128, xmm", movaps_store, .sse = true },
    { "movapd m128, xmm", movapd_store, .sse = true },
    { "movdqu m128, xmm (crossing a page)", movdqu_store_cross, .sse = true },
    { "movdqa xmm, m128", movdqa_load, .sse = true },
    { "movss xmm, m32", movss_load, .mem = PATTERN, .sse = true },
    { "movss m32, xmm", movss_store, .sse = true },
    { "movsd xmm, m64 (crossing a page)", movsd_load_cross, .sse = true },
    { "movsd m64, xmm", movsd_store, .sse = true },
    { "movq mm, m64", movq_mmx_load, .mem = PATTERN, .sse = true },
    { "movq m64, mm", movq_mmx_store, .sse = true },
};

/* ---- running a form on one window ------------------------------------------- */

static bool counting;
static uint32_t counter_overhead;

static uint32_t access_counter(void)
{
    return *(volatile uint32_t *)(TESTDEV_MMIO_BASE + TESTDEV_MMIO_ACCESS_COUNT);
}

static void put32(volatile uint8_t *w, uint32_t v)
{
    for (uint32_t b = 0; b < 4; b++)
        w[b] = (uint8_t)(v >> (8 * b));
}

static void fill_window(volatile uint8_t *w, const struct form *f)
{
    for (uint32_t i = 0; i < WINDOW_SIZE; i++)
        w[i] = (uint8_t)(i * 37 + 11);
    for (uint32_t i = 0; i < 4; i++)
        for (uint32_t b = 0; b < 4; b++)
            w[4 * i + b] = (uint8_t)(f->mem[i] >> (8 * b));
    if (f->target)
        put32(w, (uint32_t)(uintptr_t)f->target);
    if (f->saved_frame_pointer)
        put32(w + 4, (uint32_t)(uintptr_t)w + 0x20);
}

/* Runs f on the window at base; *emulated gets the accesses keel emulated
 * during the run itself when counting. */
static void run_form(const struct form *f, uint32_t base, struct state *out, uint32_t *emulated)
{
    volatile uint8_t *w = (volatile uint8_t *)(uintptr_t)base;
    fill_window(w, f);
    for (uint32_t i = 0; i < sizeof(vec_in); i++)
        vec_in[i] = (uint8_t)(0xc0 + i);
    memset(vec_out, 0, sizeof(vec_out));
    cur.eax = f->eax;
    cur.ebx = base + f->ebx;
    cur.ecx = f->ecx;
    cur.edx = f->edx;
    cur.esi = base + f->esi;
    cur.edi = base + f->edi;
    cur.esp = base + f->esp;
    cur.ebp = f->ebp_plain_in ? f->ebp : base + f->ebp;
    cur.eflags = FL_FIXED | f->eflags;
    fault_reset();
    uint32_t before = counting ? access_counter() : 0;
    f->run();
    *emulated = counting ? access_counter() - before - counter_overhead : 0;
    out->fault = last_fault.vector;
    out->error_code = last_fault.vector == NO_FAULT ? 0 : last_fault.error_code;
    out->eax = cur.eax;
    out->ebx = cur.ebx - base;
    out->ecx = cur.ecx;
    out->edx = cur.edx;
    out->esi = cur.esi - base;
    out->edi = cur.edi - base;
    out->esp = cur.esp - base;
    out->ebp = cur.ebp - base;
    out->eflags = cur.eflags & (f->defined | FL_DF);
    memcpy(out->vec, vec_out, sizeof(out->vec));
    for (uint32_t i = 0; i < WINDOW_SIZE; i++)
        out->window[i] = w[i];
    for (uint32_t i = 0; i < 32; i++) {
        if (!(f->address_dwords & (1u << i)))
            continue;
        uint32_t a = 0;
        for (uint32_t b = 0; b < 4; b++)
            a |= (uint32_t)out->window[4 * i + b] << (8 * b);
        for (uint32_t b = 0; b < 4; b++)
            out->window[4 * i + b] = (uint8_t)((a - base) >> (8 * b));
    }
    if (f->saved_frame_pointer) {       /* an address: made an offset again */
        uint32_t fp = 0;
        for (uint32_t b = 0; b < 4; b++)
            fp |= (uint32_t)out->window[4 + b] << (8 * b);
        for (uint32_t b = 0; b < 4; b++)
            out->window[4 + b] = (uint8_t)((fp - base) >> (8 * b));
    }
}

/* call_m32 pushes its return address, which is the same in both runs. */
static bool same_state(const struct state *ram, const struct state *mmio)
{
    static const char *const names[] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "esp",
                                         "ebp", "eflags" };
    const uint32_t *a = &ram->eax, *b = &mmio->eax;
    bool ok = true;
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        if (a[i] != b[i]) {
            printf("emulate: %s 0x%08x on RAM, 0x%08x on MMIO\n", names[i], a[i], b[i]);
            ok = false;
        }
    }
    if (ram->fault != mmio->fault || ram->error_code != mmio->error_code) {
        printf("emulate: exception %d(0x%x) on RAM, %d(0x%x) on MMIO\n", ram->fault,
               ram->error_code, mmio->fault, mmio->error_code);
        ok = false;
    }
    for (unsigned i = 0; i < sizeof(ram->vec); i++) {
        if (ram->vec[i] != mmio->vec[i]) {
            printf("emulate: vector register byte %u: 0x%02x on RAM, 0x%02x on MMIO\n", i,
                   ram->vec[i], mmio->vec[i]);
            ok = false;
            break;
        }
    }
    for (unsigned i = 0; i < WINDOW_SIZE; i++) {
        if (ram->window[i] != mmio->window[i]) {
            printf("emulate: window byte 0x%02x: 0x%02x on RAM, 0x%02x on MMIO\n", i,
                   ram->window[i], mmio->window[i]);
            ok = false;
            break;
        }
    }
    return ok;
}

static struct state ram_state, mmio_state;

static void check_form(const struct form *f, bool sse)
{
    char name[96];
    snprintf(name, sizeof(name), "emulate: %s", f->name);
    if (!test_selected(name))
        return;
    if (!counting) {
        report_skip("%s (no testdev IOMEM)", name);
        return;
    }
    if (f->sse && !sse) {
        report_skip("%s (no SSE2)", name);
        return;
    }
    uint32_t ram_emulated, emulated;
    run_form(f, (uint32_t)(uintptr_t)ram_pages + WINDOW_PAGE_OFFSET, &ram_state, &ram_emulated);
    run_form(f, TESTDEV_IOMEM_BASE + WINDOW_PAGE_OFFSET, &mmio_state, &emulated);
    bool exited = emulated > 0 && ram_emulated == 0;
    if (!exited)
        printf("emulate: %s made keel emulate no access of its own\n", f->name);
    bool expected = !f->check_fault ||
                    (ram_state.fault == f->fault && ram_state.error_code == f->error_code);
    if (!expected)
        printf("emulate: %s: exception %d(0x%x) on RAM, want %d(0x%x)\n", f->name,
               ram_state.fault, ram_state.error_code, f->fault, f->error_code);
    report(same_state(&ram_state, &mmio_state) && exited && expected, "%s", name);
}

/* SSE moves need CR4.OSFXSR and CR0.EM = TS = 0 (SDM vol. 3A 13.1.3). */
static bool enable_sse(void)
{
    if (!(cpuid(1).edx & CPUID_1_EDX_SSE2))
        return false;
    write_cr0(read_cr0() & ~(CR0_EM | CR0_TS));
    write_cr4(read_cr4() | CR4_OSFXSR);
    return true;
}

/* ---- the MOV SS interrupt shadow ------------------------------------------------ */

#define SHADOW_VECTOR   0x40u
#define SPURIOUS_VECTOR 0xffu

static volatile uint32_t shadow_eip;

static void shadow_handler(struct exception_frame *frame)
{
    shadow_eip = frame->eip;
    lapic_eoi();
}

/*
 * With a self-IPI pending: STI, MOV SS from the window, NOP, NOP, CLI.
 * STI's shadow covers the MOV and the MOV's covers the first NOP (SDM
 * vol. 3A 6.8.3: after MOV SS the processor "inhibits interrupts ... until
 * the instruction boundary following the next instruction"), so the
 * interrupt interrupts the second NOP.  Returns which instruction the
 * interrupt came before: 1 the MOV, 2 the first NOP, 3 the second, 4 the
 * CLI, 0 none.
 */
static unsigned mov_ss_shadow_boundary(uint32_t window)
{
    uint32_t at[4];
    shadow_eip = 0;
    lapic_self_ipi(SHADOW_VECTOR);
    __asm__ __volatile__("movl $1f, 0(%[at])\n\tmovl $2f, 4(%[at])\n\t"
                         "movl $3f, 8(%[at])\n\tmovl $4f, 12(%[at])\n\t"
                         "sti\n"
                         "1:\tmovw (%[w]), %%ss\n"
                         "2:\tnop\n"
                         "3:\tnop\n"
                         "4:\tcli"
                         : : [at] "r"(at), [w] "r"(window) : "memory");
    for (unsigned i = 0; i < 4; i++)
        if (shadow_eip == at[i])
            return i + 1;
    return 0;
}

static void check_mov_ss_shadow(void)
{
    static const char name[] = "emulate: mov ss, m16 blocks interrupts for one instruction";
    if (!test_selected(name))
        return;
    if (!counting) {
        report_skip("%s (no testdev IOMEM)", name);
        return;
    }
    uint32_t ram = (uint32_t)(uintptr_t)ram_pages + WINDOW_PAGE_OFFSET;
    uint32_t mmio = TESTDEV_IOMEM_BASE + WINDOW_PAGE_OFFSET;
    put32((volatile uint8_t *)(uintptr_t)ram, GDT_KERNEL_DATA_SELECTOR);
    put32((volatile uint8_t *)(uintptr_t)mmio, GDT_KERNEL_DATA_SELECTOR);
    pic_init_all_masked();              /* the self-IPI alone may come */
    lapic_setup(SPURIOUS_VECTOR);
    idt_set_handler(SHADOW_VECTOR, shadow_handler);
    unsigned on_ram = mov_ss_shadow_boundary(ram);
    uint32_t before = access_counter();
    unsigned on_mmio = mov_ss_shadow_boundary(mmio);
    uint32_t emulated = access_counter() - before - counter_overhead;
    idt_set_handler(SHADOW_VECTOR, NULL);
    printf("emulate: the interrupt came before instruction %u on RAM, %u on MMIO (3 "
           "expected), %u accesses emulated\n", on_ram, on_mmio, emulated);
    report(on_ram == 3 && on_mmio == 3 && emulated > 0, "%s", name);
}

/* ---- 64-bit mode: far branches through m16:64, a null SS ------------------------- */

/*
 * The last checks run in IA-32e mode, which the guest cannot leave: 4-level
 * paging maps the first 4 GiB (IOMEM included) 1:1 with 2 MiB pages, and
 * each check is a 64-bit routine longmode_call() calls, with the window's
 * address in mode64_io.window and what it saw left in mode64_io.result.
 * Routines keep RBX (the thunk's saved RSP) and return with RET.
 */
#define PAGE_TABLE_ENTRIES      512u
#define GIB_MAPPED              4u
#define RESULT_RETURNED         0x10000u    /* the routine got back to its end */

static uint64_t pml4[PAGE_TABLE_ENTRIES] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t pdpt[PAGE_TABLE_ENTRIES] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t pd[GIB_MAPPED][PAGE_TABLE_ENTRIES] __attribute__((aligned(GUEST_PAGE_SIZE)));

static struct {
    uint32_t window;
    uint32_t result;
} volatile mode64_io;

/* Each runs one form on the window, which run_mode64() filled.  Results
 * are zero-extended (MOV from a segment register to a 16-bit register
 * leaves the rest). */
__asm__(".text\n.code64\n"
        /* rex64 ljmp *(%rcx) to emulate64_ljmp_target: CS noted. */
        "emulate64_ljmp:\n\t"
        "movl $mode64_io, %edx\n\tmovl (%rdx), %ecx\n\t"
        "rex64 ljmp *(%rcx)\n\t"
        "movl $0xbad, 4(%rdx)\n\tret\n"
        "emulate64_ljmp_target:\n\t"
        "xorl %eax, %eax\n\tmovw %cs, %ax\n\torl $0x10000, %eax\n\t"
        "movl %eax, 4(%rdx)\n\tret\n"
        /* rex64 lcall *(%rcx) to emulate64_lcall_target, which notes CS
         * and returns with a 64-bit far return: it pops what the call
         * pushed. */
        "emulate64_lcall:\n\t"
        "movl $mode64_io, %edx\n\tmovl (%rdx), %ecx\n\t"
        "rex64 lcall *(%rcx)\n\t"
        "orl $0x10000, 4(%rdx)\n\tret\n"
        "emulate64_lcall_target:\n\t"
        "xorl %eax, %eax\n\tmovw %cs, %ax\n\tmovl %eax, 4(%rdx)\n\trex64 lret\n"
        /* mov ss, m16: SS noted, then the flat data segment again. */
        "emulate64_mov_ss:\n\t"
        "movl $mode64_io, %edx\n\tmovl (%rdx), %ecx\n\t"
        "movw (%rcx), %ss\n\t"
        "xorl %eax, %eax\n\tmovw %ss, %ax\n\torl $0x10000, %eax\n\tmovl %eax, 4(%rdx)\n\t"
        "movl $0x10, %eax\n\tmovw %ax, %ss\n\tret\n"
        ".code32\n");
extern const char emulate64_ljmp[], emulate64_ljmp_target[], emulate64_lcall[];
extern const char emulate64_lcall_target[], emulate64_mov_ss[];

#define NONCANONICAL 0x0000800000000000ull

struct mode64_check {
    const char *name;
    const char *routine;
    /* The window: an m16:64 pointer to target (a non-canonical offset
     * instead when noncanonical), or (without either) a selector for MOV SS. */
    const char *target;
    bool noncanonical;
    uint16_t selector;
    uint32_t result;            /* what the RAM run must leave */
    int fault;
};

static const struct mode64_check mode64_checks[] = {
    { "rex64 ljmp m16:64", emulate64_ljmp, emulate64_ljmp_target, false,
      GDT_KERNEL_CODE64_SELECTOR, RESULT_RETURNED | GDT_KERNEL_CODE64_SELECTOR, NO_FAULT },
    { "rex64 ljmp m16:64 (non-canonical: #GP)", emulate64_ljmp, NULL, true,
      GDT_KERNEL_CODE64_SELECTOR, 0, GP_VECTOR },
    { "rex64 lcall m16:64", emulate64_lcall, emulate64_lcall_target, false,
      GDT_KERNEL_CODE64_SELECTOR, RESULT_RETURNED | GDT_KERNEL_CODE64_SELECTOR, NO_FAULT },
    { "mov ss, m16 (null, 64-bit mode)", emulate64_mov_ss, NULL, false, 0, RESULT_RETURNED,
      NO_FAULT },
    { "mov ss, m16 (null with RPL 3: #GP)", emulate64_mov_ss, NULL, false, 3, 0, GP_VECTOR },
};

static void map_first_4gib(void)
{
    for (uint32_t g = 0; g < GIB_MAPPED; g++) {
        for (uint32_t i = 0; i < PAGE_TABLE_ENTRIES; i++)
            pd[g][i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) + (PTE_P | PTE_RW | PTE_PS);
        pdpt[g] = (uint32_t)(uintptr_t)pd[g] | PTE_P | PTE_RW;
    }
    pml4[0] = (uint32_t)(uintptr_t)pdpt | PTE_P | PTE_RW;
}

/* One routine on a window: the result, the exception, and how many
 * accesses keel emulated during the routine alone. */
static void run_mode64(const struct mode64_check *c, uint32_t window, uint32_t *result,
                       int *fault, uint32_t *error_code, uint32_t *emulated)
{
    volatile uint8_t *w = (volatile uint8_t *)(uintptr_t)window;
    for (uint32_t i = 0; i < 16; i++)
        w[i] = 0;
    if (c->target || c->noncanonical) {
        uint64_t offset = c->noncanonical ? NONCANONICAL : (uint32_t)(uintptr_t)c->target;
        put32(w, (uint32_t)offset);
        put32(w + 4, (uint32_t)(offset >> 32));
        put32(w + 8, c->selector);
    } else {
        put32(w, c->selector);
    }
    mode64_io.window = window;
    mode64_io.result = 0;
    fault_reset();
    uint32_t before = counting ? access_counter() : 0;
    longmode_call((uint32_t)(uintptr_t)c->routine);
    *emulated = counting ? access_counter() - before - counter_overhead : 0;
    *result = mode64_io.result;
    *fault = last_fault.vector;
    *error_code = last_fault.vector == NO_FAULT ? 0 : last_fault.error_code;
}

static void check_mode64(void)
{
    if (!counting || !(cpuid(CPUID_LEAF_EXTENDED_FEATURES).edx & CPUID_80000001_EDX_LM)) {
        for (size_t i = 0; i < ARRAY_SIZE(mode64_checks); i++)
            report_skip("emulate: %s (%s)", mode64_checks[i].name,
                        counting ? "no long mode" : "no testdev IOMEM");
        return;
    }
    map_first_4gib();
    longmode_enter((uint32_t)(uintptr_t)pml4);
    for (size_t i = 0; i < ARRAY_SIZE(mode64_checks); i++) {
        const struct mode64_check *c = &mode64_checks[i];
        uint32_t ram_result, mmio_result, ram_error, mmio_error, ram_emulated, emulated;
        int ram_fault, mmio_fault;
        run_mode64(c, (uint32_t)(uintptr_t)ram_pages + WINDOW_PAGE_OFFSET, &ram_result,
                   &ram_fault, &ram_error, &ram_emulated);
        run_mode64(c, TESTDEV_IOMEM_BASE + WINDOW_PAGE_OFFSET, &mmio_result, &mmio_fault,
                   &mmio_error, &emulated);
        printf("emulate: %s: 0x%x #%d(0x%x) on RAM, 0x%x #%d(0x%x) on MMIO, %u accesses "
               "emulated\n", c->name, ram_result, ram_fault, ram_error, mmio_result, mmio_fault,
               mmio_error, emulated);
        report(ram_result == c->result && ram_fault == c->fault && mmio_result == ram_result &&
               mmio_fault == ram_fault && mmio_error == ram_error && emulated > 0 &&
               ram_emulated == 0, "emulate: %s", c->name);
    }
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    idt_install();
    counting = is_keel() && testdev_present();
    if (is_keel())
        report(counting, "emulate: testdev present (the VM needs the option testdev)");
    if (counting) {
        uint32_t a = access_counter();
        counter_overhead = access_counter() - a;
    }
    bool sse = enable_sse();
    install_test_gdt();
    printf("emulate: %u forms, SSE2 %s\n", (unsigned)ARRAY_SIZE(forms), sse ? "yes" : "no");
    for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
        check_form(&forms[i], sse);
    check_mov_ss_shadow();
    check_mode64();
}
