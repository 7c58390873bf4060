/*
 * fpu: the x87, SSE and AVX registers are each VM's own.  VM entry and exit
 * switch none of them (SDM vol. 3C 27.3, 28.5), so keel must save and load
 * them when it runs another VM; without that, two VMs see each other's.
 *
 * Run two or more copies in one boot, each with another "seed=N".  Each
 * loads registers with values made from its seed, then sleeps on HLT until
 * its next PIT tick (1 kHz, IRQ 0 through the 8259): keel runs the other
 * VMs meanwhile, which load theirs.  After the wake-up the registers must
 * hold this VM's values again.  Checked: ST0-ST7 (and the x87 control
 * word), XMM0-XMM7 and MXCSR, and with AVX the upper halves of YMM0-YMM7
 * (the guest enables CR4.OSXSAVE and XCR0 = x87|SSE|AVX).  The seed also
 * picks the rounding modes in FCW and MXCSR.
 *
 * Expected under keel: pass.  Bare: pass (nothing else runs).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/pic.h"
#include "lib/pit.h"
#include "lib/report.h"
#include "lib/string.h"
#include "lib/x86.h"

#define ROUNDS          40u
#define TICK_HZ         1000u
#define PIT_VECTOR      PIC_MASTER_VECTOR_BASE      /* IRQ 0 */
#define NR_VECTOR_REGS  8u                          /* XMM0-7 / YMM0-7 in 32-bit mode */
#define NR_X87_REGS     8u

#define CR0_EM          (1u << 2)
#define CR0_MP          (1u << 1)
#define CR0_TS          (1u << 3)
#define CR4_OSFXSR      (1u << 9)
#define CR4_OSXMMEXCPT  (1u << 10)
#define CR4_OSXSAVE     (1u << 18)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_AVX   (1u << 28)
#define XCR0_X87_SSE_AVX  0x7u
/* FCW bits 11:10 and MXCSR bits 14:13 are the rounding control (SDM vol. 1
 * 8.1.5, 10.2.3); every exception stays masked. */
#define FCW_ALL_MASKED    0x037fu
#define FCW_RC_SHIFT      10
#define MXCSR_ALL_MASKED  0x1f80u
#define MXCSR_RC_SHIFT    13

struct vector_state {
    uint8_t xmm[NR_VECTOR_REGS][16];
    uint8_t ymm_high[NR_VECTOR_REGS][16];
    int32_t st[NR_X87_REGS];
    uint16_t fcw;
    uint32_t mxcsr;
};

static bool have_avx;
static volatile unsigned ticks;

static void tick_handler(struct exception_frame *frame)
{
    (void)frame;
    ticks++;
    pic_send_eoi(0);
}

static void xsetbv0(uint32_t value)
{
    __asm__ __volatile__("xsetbv" : : "c"(0), "a"(value), "d"(0));
}

/* SSE needs CR0.EM = 0 and CR4.OSFXSR (SDM vol. 3A 13.1.3); AVX also
 * CR4.OSXSAVE and XCR0 bits 1-2 (vol. 1 14.3). */
static void enable_vector_units(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    uint32_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    struct cpuid_regs r = cpuid(1);
    have_avx = (r.ecx & CPUID_1_ECX_XSAVE) && (r.ecx & CPUID_1_ECX_AVX);
    if (have_avx)
        cr4 |= CR4_OSXSAVE;
    write_cr4(cr4);
    if (have_avx)
        xsetbv0(XCR0_X87_SSE_AVX);
    __asm__ __volatile__("fninit");
}

static void make_state(uint32_t seed, struct vector_state *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned r = 0; r < NR_VECTOR_REGS; r++)
        for (unsigned i = 0; i < 16; i++) {
            s->xmm[r][i] = (uint8_t)(seed * 31 + r * 16 + i);
            s->ymm_high[r][i] = have_avx ? (uint8_t)(seed * 57 + r * 16 + i + 0x80) : 0;
        }
    for (unsigned i = 0; i < NR_X87_REGS; i++)
        s->st[i] = (int32_t)(seed * 1000 + i);
    s->fcw = (uint16_t)(FCW_ALL_MASKED | (seed % 4) << FCW_RC_SHIFT);
    s->mxcsr = MXCSR_ALL_MASKED | ((seed + 1) % 4) << MXCSR_RC_SHIFT;
}

/* XMMn then, with AVX, the upper half of YMMn (VINSERTF128 keeps the lower
 * half it was given). */
#define LOAD_VECTOR(n, s)                                                                   \
    do {                                                                                    \
        __asm__ __volatile__("movdqu %0, %%xmm" #n : : "m"((s)->xmm[n]));                   \
        if (have_avx)                                                                       \
            __asm__ __volatile__("vinsertf128 $1, %0, %%ymm" #n ", %%ymm" #n                \
                                 : : "m"((s)->ymm_high[n]));                                \
    } while (0)

#define STORE_VECTOR(n, s)                                                                  \
    do {                                                                                    \
        __asm__ __volatile__("movdqu %%xmm" #n ", %0" : "=m"((s)->xmm[n]));                 \
        if (have_avx)                                                                       \
            __asm__ __volatile__("vextractf128 $1, %%ymm" #n ", %0" : "=m"((s)->ymm_high[n])); \
    } while (0)

static void load_state(const struct vector_state *s)
{
    LOAD_VECTOR(0, s); LOAD_VECTOR(1, s); LOAD_VECTOR(2, s); LOAD_VECTOR(3, s);
    LOAD_VECTOR(4, s); LOAD_VECTOR(5, s); LOAD_VECTOR(6, s); LOAD_VECTOR(7, s);
    __asm__ __volatile__("fninit\n\tfldcw %0\n\tldmxcsr %1" : : "m"(s->fcw), "m"(s->mxcsr));
    /* Pushed in reverse, so ST(i) = st[i]. */
    for (unsigned i = NR_X87_REGS; i-- > 0;)
        __asm__ __volatile__("fildl %0" : : "m"(s->st[i]));
}

static void store_state(struct vector_state *s)
{
    memset(s, 0, sizeof(*s));
    STORE_VECTOR(0, s); STORE_VECTOR(1, s); STORE_VECTOR(2, s); STORE_VECTOR(3, s);
    STORE_VECTOR(4, s); STORE_VECTOR(5, s); STORE_VECTOR(6, s); STORE_VECTOR(7, s);
    __asm__ __volatile__("fnstcw %0\n\tstmxcsr %1" : "=m"(s->fcw), "=m"(s->mxcsr));
    /* Integers convert back exactly whatever the rounding mode. */
    for (unsigned i = 0; i < NR_X87_REGS; i++)
        __asm__ __volatile__("fistpl %0" : "=m"(s->st[i]));
}

/* Sleeps until the next tick: while this VM waits, keel runs the others. */
static void sleep_one_tick(void)
{
    unsigned before = ticks;
    while (ticks == before)
        __asm__ __volatile__("sti\n\thlt\n\tcli" : : : "memory");
}

static const char *first_difference(const struct vector_state *want,
                                    const struct vector_state *got)
{
    if (memcmp(want->xmm, got->xmm, sizeof(want->xmm)))
        return "XMM";
    if (memcmp(want->ymm_high, got->ymm_high, sizeof(want->ymm_high)))
        return "YMM upper halves";
    if (memcmp(want->st, got->st, sizeof(want->st)))
        return "x87 stack";
    if (want->fcw != got->fcw)
        return "FCW";
    if (want->mxcsr != got->mxcsr)
        return "MXCSR";
    return NULL;
}

static void setup_tick(void)
{
    pic_program(PIC_MASTER_VECTOR_BASE, PIC_SLAVE_VECTOR_BASE, false);
    idt_set_handler(PIT_VECTOR, tick_handler);
    pit_program(0, PIT_MODE_RATE_GENERATOR, pit_count_for_hz(TICK_HZ));
    pic_unmask_irq(0);
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic, (void)mbi;
    uint64_t seed = 1;
    cmdline_decimal(guest_cmdline(), "seed", &seed);
    enable_vector_units();
    setup_tick();

    static struct vector_state want, got;
    make_state((uint32_t)seed, &want);
    const char *bad = NULL;
    unsigned round;
    for (round = 0; round < ROUNDS && !bad; round++) {
        load_state(&want);
        sleep_one_tick();
        store_state(&got);
        bad = first_difference(&want, &got);
    }
    printf("fpu: seed %u, AVX %s, %u rounds, %u ticks\n", (unsigned)seed,
           have_avx ? "yes" : "no", round, ticks);
    report(!bad, "fpu: x87, SSE%s registers kept across %u sleeps (seed %u)%s%s",
           have_avx ? ", AVX" : "", ROUNDS, (unsigned)seed, bad ? ": changed: " : "",
           bad ? bad : "");
}
