/*
 * Host tests for guest/dev/acpi_pm.c, the guests' ACPI PM1a event and
 * control blocks and PM timer.
 *
 * Register values are written out as numbers from the ACPI 6.4
 * specification's tables 4.11-4.13 (PM1_STS: TMR_STS bit 0, WAK_STS bit 15;
 * PM1_EN: TMR_EN bit 0; PM1_CNT: SCI_EN bit 0, SLP_TYP bits 12:10, SLP_EN
 * bit 13), not with the model's constants.  The expected timer is computed
 * here with 128-bit arithmetic: ticks(t) = floor(t * 3579545 / 1e9), tick k
 * at ceil(k * 1e9 / 3579545) ns.  The blocks sit at keel's ports: PM1a_EVT
 * 0x600-0x603, PM1a_CNT 0x604-0x605, PM_TMR 0x608-0x60B.  The SCI's `set`
 * hook counts transitions.  The attach glue is tested through stubs of
 * vm_register_pio(), vm_stop(), klog() and panic_at().
 */
#include "tests/unit/unit.h"

#include <setjmp.h>
#include <stdarg.h>

#include "guest/dev/acpi_pm.c"

#define EVT 0x600
#define STS 0x600
#define EN  0x602
#define CNT 0x604
#define TMR 0x608

#define MS UINT64_C(1000000)
#define S  UINT64_C(1000000000)

static uint64_t ref_ticks(uint64_t now_ns)
{
    return (uint64_t)((unsigned __int128)now_ns * 3579545u / 1000000000u);
}

/* The guest time of timer tick k. */
static uint64_t tick_time(uint64_t k)
{
    return (uint64_t)(((unsigned __int128)k * 1000000000u + 3579544u) / 3579545u);
}

/* ------------------------------------------------------------------------ */
/* A register block on the test bench                                       */

struct bench {
    struct acpi_pm pm;
    struct irq_line sci;
    unsigned rises, falls;
    unsigned power_offs, sleeps;
    unsigned last_sleep_type;
};

static void bench_sci_set(void *ctx, unsigned irq, bool level)
{
    struct bench *b = ctx;
    (void)irq;
    if (level)
        b->rises++;
    else
        b->falls++;
}

static void bench_power_off(void *ctx)
{
    struct bench *b = ctx;
    b->power_offs++;
}

static void bench_sleep_ignored(void *ctx, unsigned slp_typ)
{
    struct bench *b = ctx;
    b->sleeps++;
    b->last_sleep_type = slp_typ;
}

static void bench_init_at(struct bench *b, uint64_t now)
{
    memset(b, 0, sizeof(*b));
    irq_line_init(&b->sci, 9);
    b->sci.set = bench_sci_set;
    b->sci.ctx = b;
    const struct acpi_pm_ports ports = { 0x600, 0x604, 0x608 };
    const struct acpi_pm_ops ops = { bench_power_off, bench_sleep_ignored, b };
    acpi_pm_init(&b->pm, &ports, &b->sci, &ops, now);
}

static void bench_init(struct bench *b)
{
    bench_init_at(b, 0);
}

static uint32_t in(struct bench *b, uint16_t port, unsigned size, uint64_t now)
{
    return acpi_pm_read(&b->pm, port, size, now);
}

static void out(struct bench *b, uint16_t port, unsigned size, uint32_t value, uint64_t now)
{
    acpi_pm_write(&b->pm, port, size, value, now);
}

/* ------------------------------------------------------------------------ */
/* The timer                                                                */

TEST(timer_counts_at_3_579545_mhz_from_guest_time_0)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(in(&b, TMR, 4, 0), 0);
    CHECK_EQ_U(in(&b, TMR, 4, 279), 0);             /* tick 1 falls at 279.37 ns */
    CHECK_EQ_U(in(&b, TMR, 4, 280), 1);
    CHECK_EQ_U(in(&b, TMR, 4, 1 * MS), 3579);
    CHECK_EQ_U(in(&b, TMR, 4, 1 * S), 3579545);     /* 0x369E99 */
    CHECK_EQ_U(in(&b, TMR, 4, 4 * S), 0xda7a64);    /* 14318180 */
    CHECK_EQ_U(in(&b, TMR, 4, 5 * S), 0x1118fd);    /* 17897725 - 2^24 */
    /* Any time at all, against the 128-bit reference. */
    const uint64_t times[] = {
        3 * S + 123456789,
        UINT64_C(3600) * S + 17,                    /* an hour */
        UINT64_C(86400) * 365 * 10 * S + 999999999, /* ten years */
        UINT64_C(86400) * 365 * 500 * S + 1,        /* five centuries */
        UINT64_MAX,
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        bench_init(&b);
        CHECK_EQ_U(in(&b, TMR, 4, times[i]), ref_ticks(times[i]) & 0xffffff);
        CHECK_EQ_U(acpi_pm_timer_value(times[i]), ref_ticks(times[i]) & 0xffffff);
    }
}

TEST(timer_is_exact_at_every_tick_boundary_tried)
{
    /* Either side of tick k: k - 1 just before, k at its time. */
    const uint64_t ks[] = { 1, 2, 3579545, 7159090, 123456789, UINT64_C(1) << 40,
                            UINT64_C(3579545) * 86400 * 365 * 100 + 12345 };
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        uint64_t t = tick_time(ks[i]);
        CHECK_EQ_U(timer_ticks_at(t), ks[i]);
        CHECK_EQ_U(timer_ticks_at(t - 1), ks[i] - 1);
        CHECK_EQ_U(timer_tick_time(ks[i]), t);
    }
}

TEST(timer_wraps_at_24_bits_and_upper_byte_reads_0)
{
    static struct bench b;
    bench_init(&b);
    uint64_t last = tick_time(0xffffff), wrap = tick_time(0x1000000);
    CHECK_EQ_U(in(&b, TMR, 4, last), 0xffffff);
    CHECK_EQ_U(in(&b, TMR + 3, 1, last), 0);
    CHECK_EQ_U(in(&b, TMR, 4, wrap), 0);
    CHECK_EQ_U(in(&b, TMR, 4, tick_time(0x1000005)), 5);
    for (uint64_t t = 0; t < 100 * S; t += 7 * S + 12345)
        CHECK_EQ_U(in(&b, TMR, 4, t) >> 24, 0);
}

TEST(timer_is_monotonic_and_time_never_goes_back)
{
    static struct bench b;
    bench_init(&b);
    uint64_t t = 0, total = 0;
    uint32_t prev = in(&b, TMR, 4, 0);
    uint32_t lcg = 12345;
    for (int i = 0; i < 20000; i++) {
        lcg = lcg * 1103515245u + 12345u;
        t += (lcg >> 8) % 3000000;                  /* up to 3 ms: under one wrap */
        uint32_t v = in(&b, TMR, 4, t);
        total += (v - prev) & 0xffffff;             /* forward distance, wrap included */
        prev = v;
    }
    CHECK_EQ_U(total, ref_ticks(t));
    /* An earlier time than one seen is taken as the later one. */
    CHECK_EQ_U(in(&b, TMR, 4, t / 2), prev);
    CHECK_EQ_U(in(&b, TMR, 4, 0), prev);
}

TEST(timer_ignores_writes)
{
    static struct bench b;
    bench_init(&b);
    out(&b, TMR, 4, 0x123456, 1 * S);
    CHECK_EQ_U(in(&b, TMR, 4, 1 * S), 3579545);
}

/* ------------------------------------------------------------------------ */
/* TMR_STS and the SCI                                                      */

TEST(tmr_sts_sets_at_each_change_of_bit_23)
{
    static struct bench b;
    bench_init(&b);
    uint64_t first = tick_time(UINT64_C(1) << 23);      /* 0 -> 1 */
    uint64_t second = tick_time(UINT64_C(1) << 24);     /* 1 -> 0 (the wrap) */
    CHECK_EQ_U(first, 2343484438);                      /* 2^23 ticks, rounded up to 1 ns */
    CHECK_EQ_U(in(&b, STS, 2, first - 1), 0);
    CHECK_EQ_U(in(&b, STS, 2, first), 0x0001);
    CHECK_EQ_U(in(&b, STS, 2, first + 1 * S), 0x0001);  /* stays until cleared */
    out(&b, STS, 2, 0x0001, first + 1 * S);
    CHECK_EQ_U(in(&b, STS, 2, second - 1), 0);
    CHECK_EQ_U(in(&b, STS, 2, second), 0x0001);
    /* Several changes while unobserved set it once; clearing then holds
     * until the next change. */
    out(&b, STS, 2, 0x0001, second);
    CHECK_EQ_U(in(&b, STS, 2, tick_time(UINT64_C(5) << 23)), 0x0001);
    out(&b, STS, 2, 0x0001, tick_time(UINT64_C(5) << 23));
    CHECK_EQ_U(in(&b, STS, 2, tick_time(UINT64_C(6) << 23) - 1), 0);
}

TEST(changes_before_init_are_not_reported)
{
    static struct bench b;
    uint64_t start = tick_time(UINT64_C(3) << 23) + 5 * MS;
    bench_init_at(&b, start);
    CHECK_EQ_U(in(&b, STS, 2, start), 0);
    CHECK_EQ_U(in(&b, STS, 2, tick_time(UINT64_C(4) << 23) - 1), 0);
    CHECK_EQ_U(in(&b, STS, 2, tick_time(UINT64_C(4) << 23)), 1);
}

TEST(sts_is_write_1_to_clear)
{
    static struct bench b;
    bench_init(&b);
    uint64_t t = tick_time(UINT64_C(1) << 23);
    out(&b, CNT, 2, 0x2400, t);                 /* S1 requested: ignored, WAK_STS set */
    CHECK_EQ_U(in(&b, STS, 2, t), 0x8001);
    out(&b, STS, 2, 0x0000, t);                 /* zeros change nothing */
    CHECK_EQ_U(in(&b, STS, 2, t), 0x8001);
    out(&b, STS, 2, 0x7ffe, t);                 /* neither bit written with 1 */
    CHECK_EQ_U(in(&b, STS, 2, t), 0x8001);
    out(&b, STS, 2, 0x0001, t);
    CHECK_EQ_U(in(&b, STS, 2, t), 0x8000);
    out(&b, STS + 1, 1, 0x80, t);               /* the high byte alone */
    CHECK_EQ_U(in(&b, STS, 2, t), 0x0000);
    /* Nothing sets the other status bits. */
    out(&b, EN, 2, 0xffff, t);
    CHECK_EQ_U(in(&b, STS, 2, t + 1 * S), 0);
}

TEST(en_keeps_the_defined_enable_bits)
{
    static struct bench b;
    bench_init(&b);
    out(&b, EN, 2, 0xffff, 0);
    CHECK_EQ_U(in(&b, EN, 2, 0), 0x4721);       /* TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS */
    out(&b, EN + 1, 1, 0x00, 0);
    CHECK_EQ_U(in(&b, EN, 2, 0), 0x0021);
    out(&b, EN, 1, 0x00, 0);
    CHECK_EQ_U(in(&b, EN, 2, 0), 0x0000);
}

TEST(sci_follows_sts_and_en)
{
    static struct bench b;
    bench_init(&b);
    uint64_t t = tick_time(UINT64_C(1) << 23);
    acpi_pm_update(&b.pm, t);
    CHECK(!b.sci.level);                        /* TMR_STS set, TMR_EN clear */
    CHECK_EQ_U(in(&b, STS, 2, t), 1);
    out(&b, EN, 2, 0x0001, t);
    CHECK(b.sci.level);
    out(&b, EN, 2, 0x0000, t);
    CHECK(!b.sci.level);
    out(&b, EN, 2, 0x0001, t);
    CHECK(b.sci.level);
    out(&b, STS, 2, 0x0001, t);                 /* the handler acknowledges */
    CHECK(!b.sci.level);
    CHECK_EQ_U(b.rises, 2);
    CHECK_EQ_U(b.falls, 2);
    /* WAK_STS has no enable bit: it raises no SCI. */
    out(&b, CNT, 2, 0x2400, t);
    CHECK(!b.sci.level);
    /* SCI_EN cannot be cleared, so the SCI keeps working. */
    out(&b, CNT, 2, 0x0000, t);
    CHECK_EQ_U(in(&b, CNT, 2, t) & 1, 1);
    acpi_pm_update(&b.pm, tick_time(UINT64_C(2) << 23));
    CHECK(b.sci.level);
}

TEST(next_event_predicts_the_sci)
{
    static struct bench b;
    bench_init(&b);
    uint64_t first = tick_time(UINT64_C(1) << 23), second = tick_time(UINT64_C(1) << 24);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, 0), UINT64_MAX);       /* TMR_EN clear */
    out(&b, EN, 2, 0x0001, 1 * MS);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, 1 * MS), first);
    acpi_pm_update(&b.pm, first - 1);
    CHECK(!b.sci.level);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, first - 1), first);
    acpi_pm_update(&b.pm, first);
    CHECK(b.sci.level);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, first), UINT64_MAX);   /* TMR_STS already set */
    out(&b, STS, 2, 0x0001, first + 10 * MS);
    CHECK(!b.sci.level);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, first + 10 * MS), second);
    /* Overdue (update not called since): due now. */
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, second + 5 * S), second + 5 * S);
    acpi_pm_update(&b.pm, second + 5 * S);
    CHECK(b.sci.level);
}

TEST(next_event_far_in_the_future)
{
    static struct bench b;
    uint64_t start = UINT64_C(86400) * 365 * 300 * S;   /* three centuries */
    bench_init_at(&b, start);
    out(&b, EN, 2, 0x0001, start);
    uint64_t next = acpi_pm_next_event_ns(&b.pm, start);
    uint64_t k = ((ref_ticks(start) >> 23) + 1) << 23;
    CHECK_EQ_U(next, tick_time(k));
    CHECK(next > start && next - start <= 2343484438u);
    /* Past 2^64 ns there is no next event. */
    bench_init_at(&b, UINT64_MAX - 1 * S);
    out(&b, EN, 2, 0x0001, UINT64_MAX - 1 * S);
    CHECK_EQ_U(acpi_pm_next_event_ns(&b.pm, UINT64_MAX - 1 * S), UINT64_MAX);
}

/* ------------------------------------------------------------------------ */
/* PM1_CNT and sleeping                                                     */

TEST(cnt_reads_sci_en_and_what_was_stored)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(in(&b, CNT, 2, 0), 0x0001);      /* SCI_EN from reset */
    out(&b, CNT, 2, 0x1c02, 0);                 /* SLP_TYP 7, BM_RLD */
    CHECK_EQ_U(in(&b, CNT, 2, 0), 0x1c03);
    out(&b, CNT, 2, 0xc3fc, 0);                 /* reserved, GBL_RLS, SCI_EN 0 */
    CHECK_EQ_U(in(&b, CNT, 2, 0), 0x0001);
    CHECK_EQ_U(b.power_offs + b.sleeps, 0);
}

TEST(slp_en_with_s5_powers_off)
{
    static struct bench b;
    bench_init(&b);
    out(&b, CNT, 2, 0x1400, 0);                 /* SLP_TYP 5 first, as OSes do */
    CHECK_EQ_U(b.power_offs, 0);
    CHECK_EQ_U(in(&b, CNT, 2, 0), 0x1401);
    out(&b, CNT, 2, 0x3400, 0);                 /* then with SLP_EN */
    CHECK_EQ_U(b.power_offs, 1);
    CHECK_EQ_U(b.sleeps, 0);
    CHECK_EQ_U(in(&b, CNT, 2, 0), 0x1401);      /* SLP_EN reads 0 */
    out(&b, CNT + 1, 1, 0x34, 0);               /* a byte write does it too */
    CHECK_EQ_U(b.power_offs, 2);
    out(&b, CNT, 4, 0x00003400, 0);             /* and a dword one */
    CHECK_EQ_U(b.power_offs, 3);
    CHECK_EQ_U(in(&b, STS, 2, 0) & 0x8000, 0);  /* no wake */
}

TEST(other_sleep_types_wake_at_once)
{
    static struct bench b;
    bench_init(&b);
    const unsigned types[] = { 0, 1, 3, 4, 6, 7 };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        out(&b, STS, 2, 0x8000, 0);
        out(&b, CNT, 2, 0x2000 | types[i] << 10, 0);
        CHECK_EQ_U(b.sleeps, i + 1);
        CHECK_EQ_U(b.last_sleep_type, types[i]);
        CHECK_EQ_U(in(&b, STS, 2, 0), 0x8000);
    }
    CHECK_EQ_U(b.power_offs, 0);
    /* SLP_TYP written without SLP_EN requests nothing. */
    out(&b, CNT, 2, 0x0400, 0);
    CHECK_EQ_U(b.sleeps, 6);
}

TEST(no_callbacks_is_fine)
{
    static struct acpi_pm pm;
    static struct irq_line sci;
    irq_line_init(&sci, 9);
    const struct acpi_pm_ports ports = { 0x600, 0x604, 0x608 };
    acpi_pm_init(&pm, &ports, &sci, NULL, 0);
    acpi_pm_write(&pm, CNT, 2, 0x3400, 0);
    acpi_pm_write(&pm, CNT, 2, 0x2400, 0);
    CHECK_EQ_U(acpi_pm_read(&pm, STS, 2, 0), 0x8000);
}

/* ------------------------------------------------------------------------ */
/* Access sizes and ports                                                   */

TEST(accesses_of_1_2_and_4_bytes)
{
    static struct bench b;
    bench_init(&b);
    uint64_t t = tick_time(UINT64_C(1) << 23);
    out(&b, EN, 2, 0x0101, t);
    /* The whole event block at once: STS low, EN high. */
    CHECK_EQ_U(in(&b, EVT, 4, t), 0x01010001);
    CHECK_EQ_U(in(&b, STS, 1, t), 0x01);
    CHECK_EQ_U(in(&b, STS + 1, 1, t), 0x00);
    CHECK_EQ_U(in(&b, EN + 1, 1, t), 0x01);
    CHECK_EQ_U(in(&b, STS + 1, 2, t), 0x0100);  /* STS high byte, EN low byte */
    /* One dword write clears STS and sets EN. */
    out(&b, EVT, 4, 0x00200001, t);
    CHECK_EQ_U(in(&b, EVT, 4, t), 0x00200000);
    /* The timer read bytewise matches the dword read at the same time. */
    uint32_t v = in(&b, TMR, 4, 3 * S);
    CHECK_EQ_U(in(&b, TMR, 1, 3 * S) | in(&b, TMR + 1, 1, 3 * S) << 8 |
               in(&b, TMR + 2, 2, 3 * S) << 16, v);
    /* Ports 0x606-0x607 belong to no block: they float. */
    CHECK_EQ_U(in(&b, CNT, 4, t), 0xffff0001);
    CHECK_EQ_U(in(&b, 0x606, 2, t), 0xffff);
    CHECK_EQ_U(in(&b, 0x60a, 4, t), 0xffff0000 | ((ref_ticks(3 * S) >> 16) & 0xff));
    /* Sizes other than 1, 2 and 4 read all ones and write nothing. */
    CHECK_EQ_U(in(&b, EVT, 3, t), 0xffffffff);
    CHECK_EQ_U(in(&b, EVT, 0, t), 0xffffffff);
    out(&b, EN, 3, 0, t);
    CHECK_EQ_U(in(&b, EN, 2, t), 0x0020);
}

TEST(blocks_anywhere_in_port_space)
{
    static struct acpi_pm pm;
    static struct irq_line sci;
    irq_line_init(&sci, 9);
    const struct acpi_pm_ports ports = { 0xb000, 0xb004, 0xb008 };
    acpi_pm_init(&pm, &ports, &sci, NULL, 0);
    CHECK_EQ_U(acpi_pm_read(&pm, 0xb004, 2, 0), 0x0001);
    CHECK_EQ_U(acpi_pm_read(&pm, 0xb008, 4, 1 * S), 3579545);
    CHECK_EQ_U(acpi_pm_read(&pm, 0x604, 2, 0), 0xffff);
    /* An access running off the top of the port space does not wrap to
     * port 0 (where this control block is). */
    const struct acpi_pm_ports edge = { 0xfffc, 0x0000, 0xfff8 };
    acpi_pm_init(&pm, &edge, &sci, NULL, 0);
    CHECK_EQ_U(acpi_pm_read(&pm, 0xfff8, 4, 1 * S), 3579545);
    CHECK_EQ_U(acpi_pm_read(&pm, 0x0000, 2, 1 * S), 0x0001);
    CHECK_EQ_U(acpi_pm_read(&pm, 0xfffe, 4, 1 * S), 0xffff0000);
    acpi_pm_write(&pm, 0xfffe, 4, 0xffffffff, 1 * S);  /* PM1_EN, then nothing */
    CHECK_EQ_U(acpi_pm_read(&pm, 0xfffc, 4, 1 * S), 0x47210000);
}

/* ------------------------------------------------------------------------ */
/* Attaching to a VM                                                        */

static struct {
    struct vm *vm;
    uint16_t first, last;
    pio_handler_fn fn;
    void *dev;
    const char *name;
} stub_pio[3];
static size_t stub_npio;
static jmp_buf stub_panic_jmp;
static int stub_panics;
static uint64_t stub_now;
static int stub_stops;
static enum vm_stop_reason stub_stop_reason;
static char stub_stop_detail[192];
static int stub_logs;

void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    if (stub_npio == 3)
        return;
    stub_pio[stub_npio].vm = vm;
    stub_pio[stub_npio].first = first;
    stub_pio[stub_npio].last = last;
    stub_pio[stub_npio].fn = fn;
    stub_pio[stub_npio].dev = dev;
    stub_pio[stub_npio].name = name;
    stub_npio++;
}

void vm_stop(struct vm *vm, enum vm_stop_reason reason, uint64_t status, const char *fmt, ...)
{
    va_list ap;
    (void)vm, (void)status;
    stub_stops++;
    stub_stop_reason = reason;
    va_start(ap, fmt);
    vsnprintf(stub_stop_detail, sizeof(stub_stop_detail), fmt, ap);
    va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
    (void)level, (void)fmt;
    stub_logs++;
}

_Noreturn void panic_at(const char *file, int line_no, const char *fmt, ...)
{
    (void)file, (void)line_no, (void)fmt;
    stub_panics++;
    longjmp(stub_panic_jmp, 1);
}

static uint64_t stub_clock(struct vm *vm)
{
    (void)vm;
    return stub_now;
}

/* One guest IN or OUT through the handler registered for the range that
 * holds `port`, as guest/pio.c dispatches it. */
static uint32_t pio(uint16_t port, unsigned size, bool is_in, uint32_t value)
{
    for (size_t i = 0; i < stub_npio; i++) {
        if (port >= stub_pio[i].first && port <= stub_pio[i].last) {
            CHECK_EQ_I(stub_pio[i].fn(stub_pio[i].vm, stub_pio[i].dev, port, size, is_in, &value),
                       0);
            return value;
        }
    }
    UNIT_FAIL("port %x not registered", port);
    return 0;
}

TEST(attach_registers_three_blocks_on_the_vm_clock)
{
    static struct vm vm = { .name = "p", .index = 3 };
    stub_npio = 0;
    stub_now = 5 * S;
    CHECK(acpi_pm_of(&vm) == NULL);
    acpi_pm_attach(&vm, 0x600, 0x604, 0x608, stub_clock);
    CHECK_EQ_U(stub_npio, 3);
    CHECK_EQ_U(stub_pio[0].first, 0x600);
    CHECK_EQ_U(stub_pio[0].last, 0x603);
    CHECK_STR(stub_pio[0].name, "acpi-pm1-evt");
    CHECK_EQ_U(stub_pio[1].first, 0x604);
    CHECK_EQ_U(stub_pio[1].last, 0x605);
    CHECK_STR(stub_pio[1].name, "acpi-pm1-cnt");
    CHECK_EQ_U(stub_pio[2].first, 0x608);
    CHECK_EQ_U(stub_pio[2].last, 0x60b);
    CHECK_STR(stub_pio[2].name, "acpi-pm-tmr");
    struct acpi_pm *pm = acpi_pm_of(&vm);
    CHECK(pm && pm->sci && pm->sci->irq == 9 && !pm->sci->level);

    /* The timer counts from guest time 0, read at clock(vm). */
    CHECK_EQ_U(pio(0x608, 4, true, 0), ref_ticks(5 * S) & 0xffffff);
    stub_now = 6 * S;
    CHECK_EQ_U(pio(0x608, 4, true, 0), ref_ticks(6 * S) & 0xffffff);
    CHECK_EQ_U(pio(0x604, 2, true, 0), 0x0001);

    /* Another sleep type is logged, S5 stops the VM. */
    stub_logs = 0;
    stub_stops = 0;
    pio(0x604, 2, false, 0x2400);
    CHECK_EQ_I(stub_logs, 1);
    CHECK_EQ_I(stub_stops, 0);
    CHECK_EQ_U(pio(0x600, 2, true, 0) & 0x8000, 0x8000);
    pio(0x604, 2, false, 0x3400);
    CHECK_EQ_I(stub_stops, 1);
    CHECK_EQ_I(stub_stop_reason, VM_STOP_SHUTDOWN_PORT);
    CHECK_STR(stub_stop_detail, "ACPI S5 (PM1a_CNT SLP_EN)");

    /* A new attach resets the same model. */
    stub_npio = 0;
    acpi_pm_attach(&vm, 0x600, 0x604, 0x608, stub_clock);
    CHECK(acpi_pm_of(&vm) == pm);
    CHECK_EQ_U(pio(0x600, 4, true, 0), 0);

    static struct vm other = { .name = "q", .index = 4 };
    CHECK(acpi_pm_of(&other) == NULL);
    stub_panics = 0;
    static struct vm bad = { .name = "x", .index = VM_MAX_VMS };
    if (!setjmp(stub_panic_jmp))
        acpi_pm_attach(&bad, 0x600, 0x604, 0x608, stub_clock);
    CHECK_EQ_I(stub_panics, 1);
    CHECK(acpi_pm_of(&bad) == NULL);
}
