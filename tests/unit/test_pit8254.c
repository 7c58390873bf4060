/*
 * Host tests for guest/dev/pit8254.c, the guests' 8254 PIT and port 0x61.
 *
 * Waveforms are checked pulse by pulse against the Intel 8254 data sheet's
 * mode definitions: "pulse k" is the k-th falling clock edge since guest
 * time 0, at ceil(k * 1e9 / 1193182) ns, computed here independently of
 * the model with 128-bit arithmetic.  Control words and port 0x61 values
 * are written out as numbers (0x34 = channel 0, low then high byte, mode
 * 2, binary), as guests write them: Linux's PIT clockevent (0x34 periodic,
 * 0x38 one-shot), its clocksource read (latch 0x00), both TSC calibration
 * loops on channel 2 (0xB0, gate through 0x61, polling bit 5 or the MSB).
 * The IRQ 0 line's `set` hook counts rising transitions.  The attach glue
 * is tested through stubs of vm_register_pio() and panic_at().
 */
#include "tests/unit/unit.h"

#include <setjmp.h>

#include "guest/dev/pit8254.c"

#define HZ_PIT 1193182u

/* The guest time at which pulse k falls. */
static uint64_t ns_at(uint64_t k)
{
    return (uint64_t)(((unsigned __int128)k * 1000000000u + HZ_PIT - 1) / HZ_PIT);
}

enum { CH0 = 0x40, CH1 = 0x41, CH2 = 0x42, CTRL = 0x43, PORTB = 0x61 };

/* ------------------------------------------------------------------------ */
/* A PIT on the test bench                                                  */

struct bench {
    struct pit8254 pit;
    struct irq_line irq0;
    unsigned rises;                 /* low-to-high transitions of IRQ 0 */
};

static void bench_irq_set(void *ctx, unsigned irq, bool level)
{
    struct bench *b = ctx;
    (void)irq;
    if (level)
        b->rises++;
}

static void bench_init(struct bench *b)
{
    memset(b, 0, sizeof(*b));
    irq_line_init(&b->irq0, 0);
    b->irq0.set = bench_irq_set;
    b->irq0.ctx = b;
    pit_init(&b->pit, &b->irq0);
}

/* Port accesses at pulse k. */
static void out_at(struct bench *b, uint64_t k, uint16_t port, uint8_t value)
{
    pit_write(&b->pit, port, value, ns_at(k));
}

static uint8_t in_at(struct bench *b, uint64_t k, uint16_t port)
{
    return pit_read(&b->pit, port, ns_at(k));
}

/* Programs channel `ch` with a control word and a two-byte count at pulse k. */
static void program(struct bench *b, uint64_t k, unsigned ch, uint8_t control, uint16_t count)
{
    out_at(b, k, CTRL, control);
    out_at(b, k, (uint16_t)(CH0 + ch), (uint8_t)count);
    out_at(b, k, (uint16_t)(CH0 + ch), (uint8_t)(count >> 8));
}

/* The count of a channel in low-then-high mode, latched at pulse k. */
static uint16_t latched_count(struct bench *b, uint64_t k, unsigned ch)
{
    out_at(b, k, CTRL, (uint8_t)(ch << 6));
    uint8_t lo = in_at(b, k, (uint16_t)(CH0 + ch));
    uint8_t hi = in_at(b, k, (uint16_t)(CH0 + ch));
    return (uint16_t)(lo | hi << 8);
}

/* OUT of a channel at pulse k, from its read-back status. */
static bool out_of(struct bench *b, uint64_t k, unsigned ch)
{
    out_at(b, k, CTRL, (uint8_t)(0xe0 | 2u << ch));     /* status only */
    return in_at(b, k, (uint16_t)(CH0 + ch)) & 0x80;
}

/* IRQ 0 after pit_update at pulse k. */
static bool irq0_at(struct bench *b, uint64_t k)
{
    pit_update(&b->pit, ns_at(k));
    return b->irq0.level;
}

/* ------------------------------------------------------------------------ */
/* Time                                                                     */

TEST(pulses_and_nanoseconds_convert_exactly)
{
    uint64_t seed = 0x1234567;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t k = (seed >> 20) & ((1ull << 42) - 1);   /* about 43 days */
        if (i < 100)
            k = (uint64_t)i;
        uint64_t ns = ns_at(k);
        CHECK_EQ_U(ns_of_tick(k), ns);
        CHECK_EQ_U(tick_at(ns), k);
        if (ns)
            CHECK_EQ_U(tick_at(ns - 1), k - 1);
    }
    CHECK_EQ_U(tick_at(1000000000u), HZ_PIT);
    CHECK_EQ_U(ns_of_tick(UINT64_MAX), UINT64_MAX);
}

/* ------------------------------------------------------------------------ */
/* Reset                                                                    */

TEST(reset_state_counts_nothing)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, CTRL, 0xee);              /* read-back: status of all three */
    CHECK_EQ_U(in_at(&b, 0, CH0), 0x70);    /* OUT low, null count, lohi, mode 0 */
    CHECK_EQ_U(in_at(&b, 0, CH1), 0x70);
    CHECK_EQ_U(in_at(&b, 0, CH2), 0x70);
    CHECK_EQ_U(in_at(&b, 0, PORTB), 0x00);
    CHECK_EQ_U(in_at(&b, 0, CTRL), 0xff);
    CHECK(!irq0_at(&b, 1000000));
    CHECK_EQ_U(b.rises, 0);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, 0), UINT64_MAX);
    CHECK(!out_of(&b, 5000000, 2));
}

/* ------------------------------------------------------------------------ */
/* Mode waveforms                                                           */

TEST(mode0_out_rises_n_plus_one_pulses_after_the_count)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t w = 1000;
    program(&b, w, 0, 0x30, 100);
    CHECK(!b.irq0.level);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w)), ns_at(w + 101));
    CHECK_EQ_U(latched_count(&b, w + 1, 0), 100);       /* loaded, not decremented */
    CHECK_EQ_U(latched_count(&b, w + 2, 0), 99);
    CHECK_EQ_U(latched_count(&b, w + 100, 0), 1);
    CHECK(!irq0_at(&b, w + 100));
    CHECK_EQ_U(b.rises, 0);
    CHECK(irq0_at(&b, w + 101));
    CHECK_EQ_U(b.rises, 1);
    CHECK_EQ_U(latched_count(&b, w + 101, 0), 0);
    CHECK_EQ_U(latched_count(&b, w + 102, 0), 0xffff);  /* keeps counting */
    CHECK(irq0_at(&b, w + 70000));                      /* no second terminal count */
    CHECK_EQ_U(b.rises, 1);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w + 70000)), UINT64_MAX);
    /* A new count restarts it; OUT is low again until then. */
    out_at(&b, w + 70000, CH0, 10);
    CHECK(!b.irq0.level);                   /* first byte: OUT low at once */
    CHECK(out_of(&b, w + 70000, 0) == false);
    out_at(&b, w + 70000, CH0, 0);
    CHECK(!irq0_at(&b, w + 70010));
    CHECK(irq0_at(&b, w + 70011));
    CHECK_EQ_U(b.rises, 2);
}

TEST(mode0_first_byte_stops_counting)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x30, 1000);
    CHECK_EQ_U(latched_count(&b, 101, 0), 900);
    out_at(&b, 101, CH0, 0x00);             /* low byte only */
    CHECK_EQ_U(latched_count(&b, 5000, 0), 900);    /* frozen */
    CHECK(!irq0_at(&b, 5000));
    out_at(&b, 5000, CH0, 0x01);            /* 0x0100 = 256 */
    CHECK_EQ_U(latched_count(&b, 5001, 0), 256);
    CHECK(!irq0_at(&b, 5256));
    CHECK(irq0_at(&b, 5257));
}

TEST(mode2_rate_generator_waveform)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t w = 50;
    program(&b, w, 0, 0x34, 4);
    CHECK(irq0_at(&b, w));                  /* modes 1-5 start with OUT high */
    unsigned rises_before = b.rises;
    static const uint16_t counts[] = { 4, 3, 2, 1, 4, 3, 2, 1, 4, 3, 2, 1 };
    static const bool outs[] = { 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0 };
    for (unsigned i = 0; i < 12; i++) {
        CHECK_EQ_U(latched_count(&b, w + 1 + i, 0), counts[i]);
        CHECK_EQ_U(irq0_at(&b, w + 1 + i), outs[i]);
        CHECK_EQ_U(out_of(&b, w + 1 + i, 0), outs[i]);
    }
    CHECK_EQ_U(b.rises - rises_before, 2);  /* at w + 5 and w + 9 */
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w + 12)), ns_at(w + 13));
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 0);
}

TEST(mode3_square_wave_even_and_odd_counts)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x36, 6);
    static const uint16_t even_counts[] = { 6, 4, 2, 6, 4, 2, 6, 4 };
    static const bool even_outs[] = { 1, 1, 1, 0, 0, 0, 1, 1 };
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ_U(latched_count(&b, 1 + i, 0), even_counts[i]);
        CHECK_EQ_U(irq0_at(&b, 1 + i), even_outs[i]);
    }
    bench_init(&b);
    program(&b, 0, 0, 0x36, 5);
    /* Odd: N - 1 counted down by two, high for (N+1)/2, low for (N-1)/2. */
    static const uint16_t odd_counts[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };
    static const bool odd_outs[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
    for (unsigned i = 0; i < 10; i++) {
        CHECK_EQ_U(latched_count(&b, 1 + i, 0), odd_counts[i]);
        CHECK_EQ_U(irq0_at(&b, 1 + i), odd_outs[i]);
    }
    /* BIOS-style 18.2 Hz: count 0 = 65536, high for 32768 pulses. */
    bench_init(&b);
    program(&b, 0, 0, 0x36, 0);
    CHECK(irq0_at(&b, 32768));
    CHECK(!irq0_at(&b, 32769));
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(32769)), ns_at(65537));
}

TEST(mode4_strobes_out_low_for_one_pulse)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t w = 7;
    program(&b, w, 0, 0x38, 20);            /* Linux's one-shot clockevent */
    CHECK(irq0_at(&b, w));
    unsigned before = b.rises;
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w)), ns_at(w + 22));
    CHECK(irq0_at(&b, w + 20));
    CHECK(!out_of(&b, w + 21, 0));          /* CE reached 0 at w + 21 */
    CHECK(!irq0_at(&b, w + 21));
    CHECK(irq0_at(&b, w + 22));
    CHECK_EQ_U(b.rises - before, 1);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w + 22)), UINT64_MAX);
    /* Rewriting the count re-triggers it (software trigger). */
    out_at(&b, w + 30, CH0, 5);
    out_at(&b, w + 30, CH0, 0);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(w + 30)), ns_at(w + 37));
    CHECK(irq0_at(&b, w + 37));
    CHECK_EQ_U(b.rises - before, 2);
}

TEST(mode1_and_mode5_are_triggered_by_gate2)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 2, 0xb2, 10);            /* channel 2, mode 1 */
    CHECK(out_of(&b, 100, 2));              /* waits for a trigger */
    CHECK_EQ_U(in_at(&b, 100, PORTB) & 0x20, 0x20);
    out_at(&b, 100, PORTB, 0x01);           /* GATE2 rises at pulse 100 */
    CHECK(out_of(&b, 100, 2));
    CHECK(!out_of(&b, 101, 2));             /* low from the next pulse */
    CHECK(!out_of(&b, 110, 2));
    CHECK(out_of(&b, 111, 2));
    /* Retriggering during the pulse extends it. */
    out_at(&b, 120, PORTB, 0x00);
    out_at(&b, 120, PORTB, 0x01);
    out_at(&b, 125, PORTB, 0x00);
    out_at(&b, 125, PORTB, 0x01);
    CHECK(!out_of(&b, 135, 2));
    CHECK(out_of(&b, 136, 2));
    /* GATE low does not stop mode 1. */
    out_at(&b, 140, PORTB, 0x00);
    out_at(&b, 140, PORTB, 0x01);
    out_at(&b, 142, PORTB, 0x00);
    CHECK(!out_of(&b, 150, 2));
    CHECK(out_of(&b, 151, 2));

    program(&b, 200, 2, 0xba, 10);          /* mode 5 */
    CHECK(out_of(&b, 300, 2));
    out_at(&b, 300, PORTB, 0x01);
    CHECK(out_of(&b, 310, 2));
    CHECK(!out_of(&b, 311, 2));             /* the strobe */
    CHECK(out_of(&b, 312, 2));
    CHECK(out_of(&b, 400, 2));
}

TEST(modes_6_and_7_are_2_and_3)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x3c, 4);             /* M = 110 */
    CHECK(!irq0_at(&b, 4));
    CHECK(irq0_at(&b, 5));
    out_at(&b, 5, CTRL, 0xe2);
    CHECK_EQ_U(in_at(&b, 5, CH0), 0xbc);    /* status keeps M as written */
    program(&b, 10, 0, 0x3e, 4);            /* M = 111 */
    CHECK(irq0_at(&b, 12));
    CHECK(!irq0_at(&b, 13));
}

/* ------------------------------------------------------------------------ */
/* GATE                                                                     */

TEST(gate2_low_pauses_mode0_and_mode4)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, PORTB, 0x01);
    program(&b, 0, 2, 0xb0, 100);
    CHECK_EQ_U(latched_count(&b, 41, 2), 60);
    out_at(&b, 41, PORTB, 0x00);
    CHECK_EQ_U(latched_count(&b, 1000, 2), 60);
    CHECK(!out_of(&b, 1000, 2));
    out_at(&b, 1000, PORTB, 0x01);
    CHECK_EQ_U(latched_count(&b, 1059, 2), 1);
    CHECK(!out_of(&b, 1059, 2));
    CHECK(out_of(&b, 1060, 2));
    /* A count written while GATE is low waits for it. */
    out_at(&b, 2000, PORTB, 0x00);
    program(&b, 2000, 2, 0xb8, 10);         /* mode 4 */
    CHECK(out_of(&b, 3000, 2));
    CHECK_EQ_U(latched_count(&b, 3000, 2), 10);
    out_at(&b, 3000, PORTB, 0x01);
    CHECK(out_of(&b, 3009, 2));
    CHECK(!out_of(&b, 3010, 2));
    CHECK(out_of(&b, 3011, 2));
}

TEST(gate2_low_forces_mode2_and_3_high_and_rising_reloads)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, PORTB, 0x01);
    program(&b, 0, 2, 0xb6, 8);             /* mode 3 */
    CHECK(!out_of(&b, 6, 2));               /* second half: 8, 6, 4, 2 | 8, 6 */
    out_at(&b, 6, PORTB, 0x00);
    CHECK(out_of(&b, 6, 2));                /* forced high at once */
    CHECK(out_of(&b, 100, 2));
    CHECK_EQ_U(latched_count(&b, 100, 2), 6);   /* held */
    out_at(&b, 100, PORTB, 0x01);
    CHECK_EQ_U(latched_count(&b, 101, 2), 8);   /* reloaded */
    CHECK(out_of(&b, 104, 2));
    CHECK(!out_of(&b, 105, 2));
    /* Port 0x61 bit 5 is OUT2. */
    CHECK_EQ_U(in_at(&b, 105, PORTB) & 0x20, 0x00);
    CHECK_EQ_U(in_at(&b, 109, PORTB) & 0x20, 0x20);
    /* A count written while GATE2 is low is used when it rises. */
    out_at(&b, 200, PORTB, 0x00);
    program(&b, 200, 2, 0xb4, 3);           /* mode 2 */
    CHECK(out_of(&b, 300, 2));
    out_at(&b, 300, PORTB, 0x01);
    CHECK(out_of(&b, 302, 2));
    CHECK(!out_of(&b, 303, 2));
    CHECK(out_of(&b, 304, 2));
}

/* ------------------------------------------------------------------------ */
/* Linux                                                                    */

TEST(linux_pit_calibrate_tsc_polls_out2_through_port_61)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t w = 123456;
    const uint16_t latch = HZ_PIT / (1000 / 50);        /* 50 ms */
    uint8_t port_b = in_at(&b, w, PORTB);
    out_at(&b, w, PORTB, (uint8_t)((port_b & ~0x02) | 0x01));
    out_at(&b, w, CTRL, 0xb0);
    out_at(&b, w, CH2, latch & 0xff);
    out_at(&b, w, CH2, latch >> 8);
    CHECK_EQ_U(in_at(&b, w, PORTB) & 0x23, 0x01);
    CHECK_EQ_U(in_at(&b, w + latch, PORTB) & 0x20, 0x00);
    CHECK_EQ_U(in_at(&b, w + latch + 1, PORTB) & 0x20, 0x20);
    /* 50 ms of guest time, give or take a pulse. */
    uint64_t elapsed = ns_at(w + latch + 1) - ns_at(w);
    CHECK(elapsed > 49999000 && elapsed < 50002000);
    CHECK_EQ_U(b.rises, 0);                 /* channel 2 has no IRQ */
}

TEST(linux_quick_pit_calibrate_reads_the_msb_going_down)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 10, PORTB, 0x01);
    out_at(&b, 10, CTRL, 0xb0);
    out_at(&b, 10, CH2, 0xff);
    out_at(&b, 10, CH2, 0xff);
    /* pit_verify_msb()/pit_expect_msb(): inb(0x42) twice, no latch. */
    for (unsigned i = 0; i < 40; i++) {
        uint64_t k = 11 + (uint64_t)i * 256 + 17;
        uint8_t lsb = in_at(&b, k, CH2);
        uint8_t msb = in_at(&b, k, CH2);
        uint16_t expect = (uint16_t)(0xffff - (k - 11));
        CHECK_EQ_U(lsb, expect & 0xff);
        CHECK_EQ_U(msb, 0xff - i);
    }
}

TEST(linux_periodic_clockevent_raises_irq0_every_period)
{
    static struct bench b;
    bench_init(&b);
    const uint16_t latch = (HZ_PIT + 500) / 1000;       /* HZ = 1000: 1193 */
    out_at(&b, 0, CTRL, 0x34);
    out_at(&b, 0, CH0, latch & 0xff);
    out_at(&b, 0, CH0, latch >> 8);
    unsigned before = b.rises;
    uint64_t now = ns_at(0);
    for (unsigned i = 1; i <= 1000; i++) {
        uint64_t next = pit_next_event_ns(&b.pit, now);
        CHECK_EQ_U(next, ns_at(1 + (uint64_t)i * latch));
        pit_update(&b.pit, next - 1);
        CHECK_EQ_U(b.rises - before, i - 1);
        pit_update(&b.pit, next);
        CHECK_EQ_U(b.rises - before, i);
        CHECK(b.irq0.level);
        now = next;
    }
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 0);
    /* About one second of guest time for 1000 ticks. */
    CHECK(now > 999000000 && now < 1001000000);
    /* The clocksource read: latch channel 0, read low then high. */
    uint64_t k = 1 + 1000ull * latch + 300;
    out_at(&b, k, CTRL, 0x00);
    uint8_t lo = in_at(&b, k + 50, CH0);
    uint8_t hi = in_at(&b, k + 90, CH0);
    CHECK_EQ_U(lo | hi << 8, latch - 300);
}

TEST(missed_periods_give_one_edge_and_count_as_lost)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x34, 100);
    unsigned before = b.rises;
    pit_update(&b.pit, ns_at(1 + 10 * 100 + 50));      /* 10 periods later */
    CHECK_EQ_U(b.rises - before, 1);
    CHECK(b.irq0.level);
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 9);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(1051)), ns_at(1101));
    /* next_event never lies in the past: an overdue edge is due now. */
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(5000)), ns_at(5000));
    pit_update(&b.pit, ns_at(1101));
    CHECK_EQ_U(b.rises - before, 2);
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 9);
    /* Mode 3: the line ends at OUT0's level, low in the second half. */
    bench_init(&b);
    program(&b, 0, 0, 0x36, 100);
    before = b.rises;
    pit_update(&b.pit, ns_at(1 + 5 * 100 + 70));
    CHECK_EQ_U(b.rises - before, 1);
    CHECK(!b.irq0.level);
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 4);
}

TEST(a_count_written_while_counting_waits_for_the_period_end)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x34, 100);
    out_at(&b, 30, CH0, 10);                /* no control word: CR only */
    out_at(&b, 30, CH0, 0);
    out_at(&b, 30, CTRL, 0xe2);
    CHECK_EQ_U(in_at(&b, 30, CH0) & 0x40, 0x40);        /* null count */
    CHECK_EQ_U(latched_count(&b, 31, 0), 70);           /* old period goes on */
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(31)), ns_at(101));
    CHECK(irq0_at(&b, 101));
    CHECK_EQ_U(latched_count(&b, 101, 0), 10);
    out_at(&b, 101, CTRL, 0xe2);
    CHECK_EQ_U(in_at(&b, 101, CH0) & 0x40, 0x00);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(101)), ns_at(111));
    CHECK(!irq0_at(&b, 110));
    CHECK(irq0_at(&b, 111));
    /* Edges across the switch, counted in one update. */
    bench_init(&b);
    program(&b, 0, 0, 0x34, 100);
    out_at(&b, 30, CH0, 10);
    out_at(&b, 30, CH0, 0);
    pit_update(&b.pit, ns_at(131));         /* edges at 101, 111, 121, 131 */
    CHECK_EQ_U(pit_irq0_lost_ticks(&b.pit), 3);
}

TEST(a_control_word_sets_out0_and_the_line_at_once)
{
    static struct bench b;
    bench_init(&b);
    CHECK(!b.irq0.level);
    out_at(&b, 5, CTRL, 0x34);              /* mode 2: OUT high, a rising edge */
    CHECK(b.irq0.level);
    CHECK_EQ_U(b.rises, 1);
    out_at(&b, 6, CTRL, 0x30);              /* mode 0: OUT low */
    CHECK(!b.irq0.level);
    out_at(&b, 7, CH0, 0);                  /* Linux's shutdown: mode 0, count 0 */
    out_at(&b, 7, CH0, 0);
    CHECK_EQ_U(pit_next_event_ns(&b.pit, ns_at(7)), ns_at(8 + 65536));
}

/* ------------------------------------------------------------------------ */
/* Reading, writing, latching                                               */

TEST(latch_holds_until_read_and_ignores_a_second_latch)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x34, 50000);
    out_at(&b, 1001, CTRL, 0x00);
    out_at(&b, 2001, CTRL, 0x00);           /* ignored: already latched */
    CHECK_EQ_U(in_at(&b, 3001, CH0), (49000) & 0xff);
    CHECK_EQ_U(in_at(&b, 4001, CH0), 49000 >> 8);
    /* Released: live values again. */
    CHECK_EQ_U(in_at(&b, 5001, CH0), (45000) & 0xff);
    CHECK_EQ_U(in_at(&b, 5001, CH0), 45000 >> 8);
    /* A control word discards an unread latch. */
    out_at(&b, 6001, CTRL, 0x00);
    program(&b, 6001, 0, 0x34, 300);
    CHECK_EQ_U(in_at(&b, 6002, CH0), 300 & 0xff);
    CHECK_EQ_U(in_at(&b, 6002, CH0), 300 >> 8);
}

TEST(read_back_latches_status_then_count)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, CTRL, 0x34);
    out_at(&b, 0, CH0, 0x10);
    out_at(&b, 0, CTRL, 0xe2);
    CHECK_EQ_U(in_at(&b, 0, CH0), 0xf4);    /* OUT, null count (one byte only), lohi, mode 2 */
    out_at(&b, 0, CH0, 0x00);               /* count 16 complete at pulse 0 */
    out_at(&b, 0, CTRL, 0xc2);              /* count and status */
    CHECK_EQ_U(in_at(&b, 0, CH0), 0xf4);    /* not loaded before the next pulse */
    CHECK_EQ_U(in_at(&b, 0, CH0), 0x00);    /* count latched at pulse 0: the old CE */
    CHECK_EQ_U(in_at(&b, 0, CH0), 0x00);
    out_at(&b, 1, CTRL, 0xc2);
    CHECK_EQ_U(in_at(&b, 1, CH0), 0xb4);    /* loaded: null count clear */
    CHECK_EQ_U(in_at(&b, 1, CH0), 0x10);
    CHECK_EQ_U(in_at(&b, 1, CH0), 0x00);
    /* Several channels at once, count only; a second status latch waits. */
    program(&b, 1, 2, 0x96, 0);             /* channel 2, LSB only, mode 3 */
    out_at(&b, 1, CTRL, 0xda);              /* count of 0 and 2 */
    out_at(&b, 1, CTRL, 0xe8);              /* status of 2 */
    out_at(&b, 1, CTRL, 0xe8);              /* ignored */
    CHECK_EQ_U(in_at(&b, 9, CH2), 0xd6);    /* status first: OUT high (GATE2 low), null count */
    CHECK_EQ_U(in_at(&b, 9, CH2), 0x00);    /* its count's only byte */
    CHECK_EQ_U(in_at(&b, 9, CH0), 16);      /* channel 0's latched count */
    CHECK_EQ_U(in_at(&b, 9, CH0), 0);
}

TEST(lsb_only_and_msb_only_access)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, CTRL, 0x10);              /* LSB only, mode 0 */
    out_at(&b, 0, CH0, 0x34);
    CHECK_EQ_U(in_at(&b, 1, CH0), 0x34);
    CHECK_EQ_U(in_at(&b, 2, CH0), 0x33);    /* every read is the low byte */
    CHECK(irq0_at(&b, 0x35));
    out_at(&b, 0x40, CH0, 0x08);            /* a new count: OUT low at once */
    CHECK(!b.irq0.level);
    CHECK(!irq0_at(&b, 0x48));
    CHECK(irq0_at(&b, 0x49));
    out_at(&b, 100, CTRL, 0x20);            /* MSB only */
    out_at(&b, 100, CH0, 0x02);             /* 0x0200 */
    CHECK_EQ_U(in_at(&b, 101, CH0), 0x02);
    CHECK_EQ_U(in_at(&b, 102, CH0), 0x01);  /* 0x01FF */
    CHECK(!irq0_at(&b, 100 + 0x200));
    CHECK(irq0_at(&b, 101 + 0x200));
}

TEST(reads_and_writes_of_two_byte_counts_interleave)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 1, 0x74, 0x1234);        /* channel 1 */
    out_at(&b, 1, CTRL, 0x40);              /* latch 0x1234 */
    CHECK_EQ_U(in_at(&b, 1, CH1), 0x34);
    out_at(&b, 1, CH1, 0x00);               /* new LSB */
    CHECK_EQ_U(in_at(&b, 1, CH1), 0x12);    /* the read toggle is its own */
    out_at(&b, 1, CH1, 0x01);               /* new MSB: 0x0100 */
    CHECK_EQ_U(b.pit.channel[1].count_register, 0x0100);
}

TEST(bcd_counting)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 0, 0, 0x31, 0x0100);        /* mode 0, BCD, 100 */
    CHECK_EQ_U(latched_count(&b, 1, 0), 0x0100);
    CHECK_EQ_U(latched_count(&b, 2, 0), 0x0099);
    CHECK_EQ_U(latched_count(&b, 12, 0), 0x0089);
    CHECK(!irq0_at(&b, 100));
    CHECK(irq0_at(&b, 101));
    CHECK_EQ_U(latched_count(&b, 102, 0), 0x9999);     /* wraps at 10000 */
    program(&b, 200, 0, 0x35, 0x0000);      /* mode 2, BCD, 0 = 10000 */
    CHECK_EQ_U(latched_count(&b, 202, 0), 0x9999);
    CHECK(!irq0_at(&b, 10200));
    CHECK(irq0_at(&b, 10201));
    out_at(&b, 10201, CTRL, 0xe2);
    CHECK_EQ_U(in_at(&b, 10201, CH0), 0xb5);
    /* A non-decimal digit counts at its binary weight. */
    program(&b, 20000, 0, 0x31, 0x001a);    /* 1 * 10 + 10 = 20 */
    CHECK_EQ_U(latched_count(&b, 20001, 0), 0x0020);
}

/* ------------------------------------------------------------------------ */
/* Port 0x61 and time                                                       */

TEST(port_61_keeps_bits_3_0_and_toggles_refresh)
{
    static struct bench b;
    bench_init(&b);
    out_at(&b, 0, PORTB, 0xff);
    CHECK_EQ_U(in_at(&b, 0, PORTB) & 0xcf, 0x0f);
    out_at(&b, 0, PORTB, 0x0a);
    CHECK_EQ_U(in_at(&b, 17, PORTB), 0x0a);
    CHECK_EQ_U(in_at(&b, 18, PORTB), 0x1a);
    CHECK_EQ_U(in_at(&b, 35, PORTB), 0x1a);
    CHECK_EQ_U(in_at(&b, 36, PORTB), 0x0a);
    unsigned toggles = 0;
    uint8_t last = in_at(&b, 36, PORTB) & 0x10;
    for (uint64_t k = 37; k < 37 + 18 * 100; k++) {
        uint8_t bit = in_at(&b, k, PORTB) & 0x10;
        toggles += bit != last;
        last = bit;
    }
    CHECK_EQ_U(toggles, 100);
}

TEST(time_going_backwards_is_held)
{
    static struct bench b;
    bench_init(&b);
    program(&b, 1000, 0, 0x30, 100);
    CHECK_EQ_U(latched_count(&b, 1051, 0), 50);
    CHECK_EQ_U(latched_count(&b, 10, 0), 50);           /* earlier: held at 1051 */
    CHECK(!irq0_at(&b, 20));
    CHECK(irq0_at(&b, 1101));
}

/* ------------------------------------------------------------------------ */
/* Attaching to a VM                                                        */

#define MAX_STUB_PIO 4
static struct {
    struct vm *vm;
    uint16_t first, last;
    pio_handler_fn fn;
    void *dev;
    const char *name;
} stub_pio[MAX_STUB_PIO];
static size_t stub_npio;
static jmp_buf stub_panic_jmp;
static int stub_panics;
static uint64_t stub_now;
static struct vm *stub_clock_vm;

void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    if (stub_npio == MAX_STUB_PIO)
        return;
    stub_pio[stub_npio].vm = vm;
    stub_pio[stub_npio].first = first;
    stub_pio[stub_npio].last = last;
    stub_pio[stub_npio].fn = fn;
    stub_pio[stub_npio].dev = dev;
    stub_pio[stub_npio].name = name;
    stub_npio++;
}

_Noreturn void panic_at(const char *file, int line_no, const char *fmt, ...)
{
    (void)file, (void)line_no, (void)fmt;
    stub_panics++;
    longjmp(stub_panic_jmp, 1);
}

static uint64_t stub_clock(struct vm *vm)
{
    stub_clock_vm = vm;
    return stub_now;
}

static uint32_t pio_in(size_t range, uint16_t port, unsigned size)
{
    uint32_t value = 0xdeadbeef;
    CHECK_EQ_I(stub_pio[range].fn(stub_pio[range].vm, stub_pio[range].dev, port, size, true,
                                  &value), 0);
    return value;
}

static void pio_out(size_t range, uint16_t port, unsigned size, uint32_t value)
{
    CHECK_EQ_I(stub_pio[range].fn(stub_pio[range].vm, stub_pio[range].dev, port, size, false,
                                  &value), 0);
}

TEST(attach_registers_the_counters_and_port_61_on_the_vm_clock)
{
    static struct vm vm = { .name = "t", .index = 4 };
    stub_npio = 0;
    stub_now = ns_at(500);
    CHECK(pit8254_of(&vm) == NULL);
    pit8254_attach(&vm, stub_clock);
    CHECK_EQ_U(stub_npio, 2);
    CHECK_EQ_U(stub_pio[0].first, 0x40);
    CHECK_EQ_U(stub_pio[0].last, 0x43);
    CHECK_STR(stub_pio[0].name, "pit");
    CHECK_EQ_U(stub_pio[1].first, 0x61);
    CHECK_EQ_U(stub_pio[1].last, 0x61);
    CHECK_STR(stub_pio[1].name, "port61");
    struct pit8254 *pit = pit8254_of(&vm);
    CHECK(pit != NULL);
    CHECK(pit && pit->irq0 && pit->irq0->irq == 0 && !pit->irq0->level);

    pio_out(1, 0x61, 1, 0x01);
    pio_out(0, 0x43, 1, 0xb0);
    pio_out(0, 0x42, 1, 0x00);
    pio_out(0, 0x42, 1, 0x01);
    CHECK(stub_clock_vm == &vm);
    stub_now = ns_at(500 + 256);
    CHECK_EQ_U(pio_in(1, 0x61, 1) & 0x20, 0x00);
    stub_now = ns_at(500 + 257);
    CHECK_EQ_U(pio_in(1, 0x61, 1) & 0x20, 0x20);
    /* A word IN at 0x61: the byte past it floats. */
    CHECK_EQ_U(pio_in(1, 0x61, 2) & 0xff00, 0xff00);
    /* A word IN at 0x42: channel 2's next byte, then 0x43 (write-only). */
    CHECK_EQ_U(pio_in(0, 0x42, 2), 0xff00);             /* CE at 0: its low byte */
    /* A word OUT at 0x42 is a count byte, then a control word at 0x43. */
    pio_out(0, 0x42, 2, 0x7000 | 0x05);     /* 0x70: channel 1, lohi, mode 0 */
    CHECK(pit && pit->channel[1].mode == 0 && pit->channel[1].access == 3);
    CHECK(pit && pit->channel[2].write_msb_next && pit->channel[2].write_lsb == 0x05);
    /* A word IN at 0x43: write-only, then past the range. */
    CHECK_EQ_U(pio_in(0, 0x43, 2), 0xffff);
    /* Channel 0 through the ports drives the VM's IRQ 0 line. */
    pio_out(0, 0x43, 1, 0x34);
    pio_out(0, 0x40, 1, 100);
    pio_out(0, 0x40, 1, 0);
    CHECK(pit && pit_next_event_ns(pit, stub_now) == ns_at(500 + 257 + 101));
    /* A second attach resets the model. */
    stub_npio = 0;
    pit8254_attach(&vm, stub_clock);
    CHECK(pit8254_of(&vm) == pit);
    CHECK(pit && pit_next_event_ns(pit, 0) == UINT64_MAX);
}

TEST(attach_refuses_a_vm_without_a_slot)
{
    static struct vm vm = { .name = "x", .index = VM_MAX_VMS };
    stub_npio = 0;
    stub_panics = 0;
    if (!setjmp(stub_panic_jmp))
        pit8254_attach(&vm, stub_clock);
    CHECK_EQ_I(stub_panics, 1);
    CHECK_EQ_U(stub_npio, 0);
}
