/*
 * mmio: the instruction forms keel must emulate on MMIO, against testdev's
 * scratch page at guest-physical 0xD0000000.  Every access there exits and
 * is emulated, and keel counts them in the read-only counter at offset
 * 0xFF8; after each instruction the guest checks both the result (memory,
 * registers, flags) and how many accesses keel emulated: one per read or
 * write, so read-modify-write forms count two (testdev.h).
 *
 * Each case runs twice: paging off (the scratch page at its physical
 * address) and paging on with the page mapped at another linear address,
 * so keel must take the guest-physical address from the exit, not from the
 * instruction's operand, and fetch the instruction through the guest's
 * page tables.
 *
 * keel caches the decode of an MMIO instruction by its linear address
 * (guest/insn_cache.h), so two more checks change the code under one
 * address between two runs of the same MMIO instruction: patched in place
 * (both passes), and with paging on the linear page remapped to another
 * frame while the old frame still holds the old code.  A keel that reused a
 * stale decode would store the old immediate.
 *
 * Reading the counter is itself an MMIO access: whether keel counts it
 * before or after returning the value, two back-to-back reads differ by a
 * fixed amount (0 or 1), which the guest measures first and subtracts.
 * Only the counter's low 32 bits are read (one access).
 *
 * Bare (and under keel without testdev), the same instructions run against
 * a page of ordinary RAM: that checks the expected values of the cases
 * themselves; the access counts SKIP.
 *
 * Expected under keel (with testdev): pass (72 checks).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/paging.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/x86.h"

/* Where the scratch page appears while paging is on. */
#define PAGED_SCRATCH_LINEAR 0x50000000u

/* The page the cases run on: testdev's MMIO page, or RAM. */
static volatile uint8_t *scratch;
static bool counting;            /* scratch is testdev's page */

static uint8_t ram_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint32_t ram_buffer[256];

/* ---- the access counter ---------------------------------------------------- */

static uint32_t counter_overhead;   /* what a counter read adds: 0 or 1 */
static uint32_t counter_before;
static uint32_t accesses;           /* emulated by the last measured instruction */

static uint32_t read_access_counter(void)
{
    return *(volatile uint32_t *)(scratch + TESTDEV_MMIO_ACCESS_COUNT);
}

static void measure_begin(void)
{
    if (counting)
        counter_before = read_access_counter();
}

static void measure_end(void)
{
    accesses = counting ? read_access_counter() - counter_before - counter_overhead : 0;
}

/* ---- scratch helpers (outside the measured window) ------------------------ */

enum { CASE_OFFSET = 0x100 };   /* where the cases work in the page */

static volatile uint8_t *case_addr(void)
{
    return scratch + CASE_OFFSET;
}

static void poke32(volatile uint8_t *p, uint32_t v)
{
    *(volatile uint32_t *)p = v;
}

static uint32_t peek32(volatile uint8_t *p)
{
    return *(volatile uint32_t *)p;
}

static bool flags_are(uint32_t eflags, uint32_t want)
{
    const uint32_t arith = EFLAGS_CF | EFLAGS_ZF | EFLAGS_SF;
    bool ok = (eflags & arith) == want;
    if (!ok)
        printf("mmio: flags CF/ZF/SF 0x%x, expected 0x%x\n", eflags & arith, want);
    return ok;
}

static bool value_is(const char *what, uint32_t got, uint32_t want)
{
    if (got != want)
        printf("mmio: %s 0x%08x, expected 0x%08x\n", what, got, want);
    return got == want;
}

/* ---- the cases: each sets up, measures one instruction, checks ------------ */

static bool mov_store8(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movb %b1, (%0)" : : "r"(m), "q"(0xA5) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0x112233A5);
}

static bool mov_store16(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movw %w1, (%0)" : : "r"(m), "r"(0xBEEF) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0x1122BEEF);
}

static bool mov_store32(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movl %1, (%0)" : : "r"(m), "r"(0xCAFEF00D) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0xCAFEF00D);
}

/* base + index * 4 + displacement: keel must not be confused by a SIB byte
 * and a displacement in the instruction it decodes. */
static bool mov_store32_sib(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m + 0x18, 0x01010101);
    poke32(m + 0x1C, 0x02020202);
    poke32(m + 0x20, 0x03030303);
    measure_begin();
    __asm__ __volatile__("movl %2, 0x10(%0,%1,4)" : : "r"(m), "r"(3), "r"(0x600DCAFE)
                         : "memory");
    measure_end();
    return value_is("target", peek32(m + 0x1C), 0x600DCAFE) &&
           value_is("below", peek32(m + 0x18), 0x01010101) &&
           value_is("above", peek32(m + 0x20), 0x03030303);
}

/* Loads into a partial register must keep the register's other bits. */
static bool mov_load8(void)
{
    volatile uint8_t *m = case_addr();
    uint32_t reg = 0xAABBCCDD;
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movb (%1), %b0" : "+q"(reg) : "r"(m) : "memory");
    measure_end();
    return value_is("register", reg, 0xAABBCC44);
}

static bool mov_load16(void)
{
    volatile uint8_t *m = case_addr();
    uint32_t reg = 0xAABBCCDD;
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movw (%1), %w0" : "+r"(reg) : "r"(m) : "memory");
    measure_end();
    return value_is("register", reg, 0xAABB3344);
}

static bool mov_load32(void)
{
    volatile uint8_t *m = case_addr();
    uint32_t reg = 0xAABBCCDD;
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movl (%1), %0" : "+r"(reg) : "r"(m) : "memory");
    measure_end();
    return value_is("register", reg, 0x11223344);
}

static bool mov_imm_store8(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movb $0x5A, (%0)" : : "r"(m) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0x1122335A);
}

static bool mov_imm_store16(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movw $0x1234, (%0)" : : "r"(m) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0x11221234);
}

static bool mov_imm_store32(void)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0x11223344);
    measure_begin();
    __asm__ __volatile__("movl $0x89ABCDEF, (%0)" : : "r"(m) : "memory");
    measure_end();
    return value_is("memory", peek32(m), 0x89ABCDEF);
}

#define DEFINE_EXTEND_CASE(fn, insn, stored, expected_value)                 \
    static bool fn(void)                                                     \
    {                                                                        \
        volatile uint8_t *m = case_addr();                                   \
        uint32_t reg = 0x5A5A5A5A;                                           \
        poke32(m, stored);                                                   \
        measure_begin();                                                     \
        __asm__ __volatile__(insn " (%1), %0" : "=r"(reg) : "r"(m) : "memory"); \
        measure_end();                                                       \
        return value_is("register", reg, expected_value);                    \
    }

DEFINE_EXTEND_CASE(movzx_byte, "movzbl", 0x11223380, 0x00000080)
DEFINE_EXTEND_CASE(movsx_byte, "movsbl", 0x11223380, 0xFFFFFF80)
DEFINE_EXTEND_CASE(movzx_word, "movzwl", 0x11228001, 0x00008001)
DEFINE_EXTEND_CASE(movsx_word, "movswl", 0x11228001, 0xFFFF8001)

/* STOS stores AL/AX/EAX at ES:EDI and advances EDI by the size (DF=0). */
#define DEFINE_STOS_CASE(fn, insn, size, expected_value)                     \
    static bool fn(void)                                                     \
    {                                                                        \
        volatile uint8_t *m = case_addr();                                   \
        uint32_t edi = (uint32_t)(uintptr_t)m;                               \
        poke32(m, 0x11223344);                                               \
        measure_begin();                                                     \
        __asm__ __volatile__(insn : "+D"(edi) : "a"(0xC0DEF00D) : "memory"); \
        measure_end();                                                       \
        return value_is("memory", peek32(m), expected_value) &&              \
               value_is("EDI", edi, (uint32_t)(uintptr_t)m + (size));        \
    }

DEFINE_STOS_CASE(stosb_case, "stosb", 1, 0x1122330D)
DEFINE_STOS_CASE(stosw_case, "stosw", 2, 0x1122F00D)
DEFINE_STOS_CASE(stosd_case, "stosl", 4, 0xC0DEF00D)

enum { REP_STOS_COUNT = 16 };

static bool rep_stosd_case(void)
{
    volatile uint8_t *m = case_addr();
    for (uint32_t i = 0; i <= REP_STOS_COUNT; i++)
        poke32(m + 4 * i, i);
    uint32_t edi = (uint32_t)(uintptr_t)m, ecx = REP_STOS_COUNT;
    measure_begin();
    __asm__ __volatile__("rep stosl" : "+D"(edi), "+c"(ecx) : "a"(0x600DF00D) : "memory");
    measure_end();
    bool ok = value_is("EDI", edi, (uint32_t)(uintptr_t)m + 4 * REP_STOS_COUNT) &&
              value_is("ECX", ecx, 0);
    for (uint32_t i = 0; i < REP_STOS_COUNT; i++)
        ok = ok && value_is("dword", peek32(m + 4 * i), 0x600DF00D);
    return ok && value_is("dword after the last", peek32(m + 4 * REP_STOS_COUNT),
                          REP_STOS_COUNT);
}

/* A two-operand ALU instruction with a memory destination: the memory
 * after it and the arithmetic flags it set. */
#define DEFINE_ALU_CASE(fn, insn, constraint, source, stored, result, flags) \
    static bool fn(void)                                                     \
    {                                                                        \
        volatile uint8_t *m = case_addr();                                   \
        uint32_t eflags;                                                     \
        poke32(m, stored);                                                   \
        measure_begin();                                                     \
        __asm__ __volatile__(insn "\n\tpushfl\n\tpopl %0"                    \
                             : "=r"(eflags) : "r"(m), constraint(source)     \
                             : "memory", "cc");                              \
        measure_end();                                                       \
        return value_is("memory", peek32(m), result) && flags_are(eflags, flags); \
    }

DEFINE_ALU_CASE(and_mem_reg32, "andl %2, (%1)", "r", 0x3C3C3C3C,
                0xF0F0F0F0, 0x30303030, 0)
DEFINE_ALU_CASE(or_mem_imm8, "orb %2, (%1)", "i", 0x0F,
                0x112233A0, 0x112233AF, EFLAGS_SF)
DEFINE_ALU_CASE(xor_mem_reg16, "xorw %w2, (%1)", "r", 0xFFFF,
                0x11223344, 0x1122CCBB, EFLAGS_SF)
DEFINE_ALU_CASE(add_mem_reg32, "addl %2, (%1)", "r", 0x80000000,
                0x80000000, 0x00000000, EFLAGS_CF | EFLAGS_ZF)
DEFINE_ALU_CASE(sub_mem_imm32, "subl %2, (%1)", "i", 2,
                0x00000001, 0xFFFFFFFF, EFLAGS_CF | EFLAGS_SF)
/* CMP and TEST only read: memory must be unchanged. */
DEFINE_ALU_CASE(cmp_mem_reg_equal, "cmpl %2, (%1)", "r", 5,
                5, 5, EFLAGS_ZF)
DEFINE_ALU_CASE(cmp_mem_reg_below, "cmpl %2, (%1)", "r", 7,
                5, 5, EFLAGS_CF | EFLAGS_SF)
DEFINE_ALU_CASE(cmp_reg_mem_above, "cmpl (%1), %2", "r", 7,
                5, 5, 0)
DEFINE_ALU_CASE(cmp_mem8_imm_equal, "cmpb %2, (%1)", "i", 0x10,
                0x11223310, 0x11223310, EFLAGS_ZF)
DEFINE_ALU_CASE(test_mem_imm32_sign, "testl %2, (%1)", "i", 0x80000000,
                0x80000000, 0x80000000, EFLAGS_SF)
DEFINE_ALU_CASE(test_mem_reg_zero, "testl %2, (%1)", "r", 0xF0,
                0x0F, 0x0F, EFLAGS_ZF)

static bool xchg_case(void)
{
    volatile uint8_t *m = case_addr();
    uint32_t reg = 0x22222222;
    poke32(m, 0x11111111);
    measure_begin();
    __asm__ __volatile__("xchgl %0, (%1)" : "+r"(reg) : "r"(m) : "memory");
    measure_end();
    return value_is("register", reg, 0x11111111) && value_is("memory", peek32(m), 0x22222222);
}

/* ---- the same instruction address, other code -------------------------------- */

/* The code these checks run, written at run time: "mov dword [eax], imm32"
 * (C7 /0 id; ModRM 00 000 000 is [eax]) and "ret" (C3). */
#define OPCODE_MOV_RM32_IMM32  0xC7u
#define MODRM_EAX_INDIRECT     0x00u
#define OPCODE_RET             0xC3u
#define STORE_IMM_OFFSET       2u       /* of imm32 in the MOV */
#define STORE_CODE_OFFSET      0x100u   /* where the code sits in its page */

/* With paging on, the code frames appear here, one at a time. */
#define CODE_WINDOW_LINEAR     0x60000000u

static uint8_t code_frames[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* SDM vol. 3A, "Handling Self- and Cross-Modifying Code": code stored as
 * data is safe to run after a serializing instruction, CPUID for one. */
static void serialize(void)
{
    (void)cpuid(CPUID_LEAF_VENDOR);
}

static void write_store_code(uint8_t *frame, uint32_t imm)
{
    uint8_t *code = frame + STORE_CODE_OFFSET;
    code[0] = OPCODE_MOV_RM32_IMM32;
    code[1] = MODRM_EAX_INDIRECT;
    memcpy(code + STORE_IMM_OFFSET, &imm, sizeof(imm));
    code[STORE_IMM_OFFSET + sizeof(imm)] = OPCODE_RET;
}

/* Calls the code of the page at linear address page with EAX = target:
 * one MMIO store. */
static void call_store_code(uint32_t page, volatile uint8_t *target)
{
    uint32_t code = page + STORE_CODE_OFFSET;
    __asm__ __volatile__("call *%[code]" : : [code] "r"(code), "a"(target) : "memory", "cc");
}

/*
 * Runs the code at page, lets change() (if any) put other code under the
 * same address, runs it again, and checks that the memory holds want after
 * two accesses.  Nothing between the two runs touches MMIO, so keel still
 * has whatever it kept of the first run when the second one exits.
 */
static bool second_run_stores(uint32_t page, void (*change)(void), uint32_t want)
{
    volatile uint8_t *m = case_addr();
    poke32(m, 0);
    measure_begin();
    call_store_code(page, m);
    if (change) {
        change();
        serialize();
    }
    call_store_code(page, m);
    measure_end();
    bool count_ok = !counting || accesses == 2;
    if (!count_ok)
        printf("mmio: %u emulated accesses, expected 2\n", accesses);
    return value_is("memory", peek32(m), want) && count_ok;
}

#define FIRST_IMM  0x1111AAAAu
#define SECOND_IMM 0x2222BBBBu

static uint32_t frame_address(unsigned frame)
{
    return (uint32_t)(uintptr_t)code_frames[frame];
}

static void patch_second_imm(void)
{
    write_store_code(code_frames[0], SECOND_IMM);
}

static void map_window_to_frame(unsigned frame)
{
    paging_map_page(CODE_WINDOW_LINEAR, frame_address(frame));
}

static void map_window_to_second_frame(void)
{
    map_window_to_frame(1);
}

static void map_window_to_first_frame(void)
{
    map_window_to_frame(0);
}

/* The immediate of one MOV is patched between two runs: the same RIP, the
 * same frame, other bytes. */
static bool patched_code_is_decoded_again(void)
{
    write_store_code(code_frames[0], FIRST_IMM);
    serialize();
    bool same_code_ok = second_run_stores(frame_address(0), NULL, FIRST_IMM);
    return second_run_stores(frame_address(0), patch_second_imm, SECOND_IMM) && same_code_ok;
}

/* Paging on: one linear page, under the same CR3, mapped to one code
 * frame, then to the other, then back.  Each frame keeps its own code
 * throughout, so only the translation tells the two runs apart. */
static bool remapped_code_is_decoded_again(void)
{
    write_store_code(code_frames[0], FIRST_IMM);
    write_store_code(code_frames[1], SECOND_IMM);
    map_window_to_first_frame();
    serialize();
    bool ok = second_run_stores(CODE_WINDOW_LINEAR, NULL, FIRST_IMM);
    ok = second_run_stores(CODE_WINDOW_LINEAR, map_window_to_second_frame, SECOND_IMM) && ok;
    return second_run_stores(CODE_WINDOW_LINEAR, map_window_to_first_frame, FIRST_IMM) && ok;
}

struct mmio_case {
    const char *name;
    uint32_t accesses;      /* emulated reads + writes */
    bool (*run)(void);
};

static const struct mmio_case cases[] = {
    { "mov store 8-bit", 1, mov_store8 },
    { "mov store 16-bit", 1, mov_store16 },
    { "mov store 32-bit", 1, mov_store32 },
    { "mov store 32-bit, base+index*4+disp8", 1, mov_store32_sib },
    { "mov load 8-bit keeps the upper register bits", 1, mov_load8 },
    { "mov load 16-bit keeps the upper register bits", 1, mov_load16 },
    { "mov load 32-bit", 1, mov_load32 },
    { "mov imm8 store", 1, mov_imm_store8 },
    { "mov imm16 store", 1, mov_imm_store16 },
    { "mov imm32 store", 1, mov_imm_store32 },
    { "movzx byte load", 1, movzx_byte },
    { "movsx byte load", 1, movsx_byte },
    { "movzx word load", 1, movzx_word },
    { "movsx word load", 1, movsx_word },
    { "stosb", 1, stosb_case },
    { "stosw", 1, stosw_case },
    { "stosd", 1, stosd_case },
    { "rep stosd x16", REP_STOS_COUNT, rep_stosd_case },
    { "and mem32, reg", 2, and_mem_reg32 },
    { "or mem8, imm8 (SF)", 2, or_mem_imm8 },
    { "xor mem16, reg (SF)", 2, xor_mem_reg16 },
    { "add mem32, reg (CF, ZF)", 2, add_mem_reg32 },
    { "sub mem32, imm (CF, SF)", 2, sub_mem_imm32 },
    { "cmp mem32, reg equal (ZF)", 1, cmp_mem_reg_equal },
    { "cmp mem32, reg below (CF, SF)", 1, cmp_mem_reg_below },
    { "cmp reg, mem32 above (no flags)", 1, cmp_reg_mem_above },
    { "cmp mem8, imm8 equal (ZF)", 1, cmp_mem8_imm_equal },
    { "test mem32, imm32 (SF)", 1, test_mem_imm32_sign },
    { "test mem32, reg (ZF)", 1, test_mem_reg_zero },
    { "xchg reg, mem32", 2, xchg_case },
};

/* ---- tests about the counter and plain RAM -------------------------------- */

static bool counter_overhead_is_sane(void)
{
    uint32_t a = read_access_counter();
    uint32_t b = read_access_counter();
    counter_overhead = b - a;
    printf("mmio: access counter %u, then %u\n", a, b);
    return counter_overhead <= 1;
}

static bool counter_ignores_writes(void)
{
    volatile uint8_t *counter = scratch + TESTDEV_MMIO_ACCESS_COUNT;
    uint32_t before = read_access_counter();
    uint32_t high_before = *(volatile uint32_t *)(counter + 4);
    poke32(counter, 0);
    poke32(counter + 4, 0xFFFFFFFF);
    uint32_t after = read_access_counter();
    uint32_t high_after = *(volatile uint32_t *)(counter + 4);
    /* after - before - overhead: the high-half read, plus the two writes if
     * keel counts ignored writes: 1 to 3.  Anything else (a wrap-around
     * from a low half reset to 0 included) means a write reached it. */
    uint32_t delta = after - before - counter_overhead;
    printf("mmio: counter %u before the writes, %u after (high half 0x%x, then 0x%x)\n",
           before, after, high_before, high_after);
    return delta >= 1 && delta <= 3 && high_after == high_before;
}

static bool scratch_keeps_data(void)
{
    static const uint32_t offsets[] = { 0x000, 0x004, 0x7FC, 0x800, 0xF00, 0xFF4 };
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
        poke32(scratch + offsets[i], 0xA0000000u | offsets[i]);
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
        ok = ok && value_is("scratch", peek32(scratch + offsets[i]), 0xA0000000u | offsets[i]);
    return ok;
}

/* Ordinary RAM keeps working while the device is in use, and RAM accesses
 * do not go through keel's MMIO path (the counter stays). */
static bool plain_ram_works(void)
{
    measure_begin();
    for (uint32_t i = 0; i < ARRAY_SIZE(ram_buffer); i++)
        ((volatile uint32_t *)ram_buffer)[i] = i * 0x01010101u;
    bool ok = true;
    for (uint32_t i = 0; i < ARRAY_SIZE(ram_buffer); i++)
        ok = ok && ((volatile uint32_t *)ram_buffer)[i] == i * 0x01010101u;
    measure_end();
    return ok && value_is("MMIO accesses during RAM use", accesses, 0);
}

/* ---- one pass over the cases ---------------------------------------------- */

static void run_cases(const char *pass)
{
    const char *where = counting ? "mmio" : "ram";
    char name[120];
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct mmio_case *c = &cases[i];
        snprintf(name, sizeof(name), "%s %s: %s", where, pass, c->name);
        if (!test_selected(name))
            continue;
        bool value_ok = c->run();
        bool count_ok = !counting || accesses == c->accesses;
        if (!count_ok)
            printf("mmio: %u emulated accesses, expected %u\n", accesses, c->accesses);
        report(value_ok && count_ok, "%s", name);
    }
    if (!counting)
        report_skip("mmio %s: access counts (not under keel with testdev)", pass);
}

static void run_pass(const char *pass, uint32_t linear)
{
    scratch = (volatile uint8_t *)(uintptr_t)linear;
    char name[80];
    if (counting) {
        snprintf(name, sizeof(name), "mmio %s: access counter reads are steady", pass);
        if (!report(counter_overhead_is_sane(), "%s", name))
            return;
        report(counter_ignores_writes(), "mmio %s: access counter ignores writes", pass);
        report(scratch_keeps_data(), "mmio %s: scratch page keeps what was written", pass);
    }
    run_cases(pass);
    const char *where = counting ? "mmio" : "ram";
    report(patched_code_is_decoded_again(),
           "%s %s: an MMIO instruction patched in place is decoded again", where, pass);
    if (read_cr0() & CR0_PG)
        report(remapped_code_is_decoded_again(),
               "%s %s: other code under the same linear RIP is decoded again", where, pass);
    report(plain_ram_works(), "%s %s: plain RAM still works", where, pass);
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    counting = is_keel() && testdev_present();
    if (is_keel())
        report(counting, "mmio: testdev present (the VM needs the option testdev)");
    uint32_t page = counting ? TESTDEV_MMIO_BASE : (uint32_t)(uintptr_t)ram_page;
    printf("mmio: cases run on %s at 0x%08x\n", counting ? "testdev's MMIO page" : "RAM", page);

    run_pass("flat", page);

    paging_map_page(PAGED_SCRATCH_LINEAR, page);
    paging_enable_identity();
    run_pass("paged", PAGED_SCRATCH_LINEAR);
    paging_disable();
}
