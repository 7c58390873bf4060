/*
 * Host tests for guest/dev/rtc_cmos.c, the guests' MC146818A RTC and CMOS.
 *
 * Register values are written out as numbers from the MC146818A data sheet
 * (B = 0x06: binary, 24-hour; C = 0xC0: IRQF | PF; A = 0x26: 32.768 kHz,
 * 1024 Hz) and dates as computed independently (Python's datetime: Unix
 * 1709251198 is Thursday 2024-02-29 23:59:58 UTC), not with the model's
 * constants.  The divider is started at T0; update k comes at
 * T0 + 0.5 s + k s, periodic flag k at T0 + ceil(k * P * 1e9 / 32768) ns for
 * a period of P cycles.  The IRQ 8 line's `set` hook counts rising
 * transitions.  The attach glue is tested through stubs of
 * vm_register_pio() and panic_at().
 */
#include "tests/unit/unit.h"

#include <setjmp.h>

#include "guest/dev/rtc_cmos.c"

#define T0 UINT64_C(5000000000)
#define MS UINT64_C(1000000)
#define S  UINT64_C(1000000000)

/* The time of update k (k = 0: the first, 500 ms after the start). */
static uint64_t update_at(uint64_t k)
{
    return T0 + 500 * MS + k * S;
}

/* The time periodic flag k is set, for a period of `cycles`. */
static uint64_t periodic_at(uint64_t k, uint64_t cycles)
{
    return T0 + (uint64_t)(((unsigned __int128)k * cycles * S + 32767) / 32768);
}

/* ------------------------------------------------------------------------ */
/* An RTC on the test bench                                                 */

struct bench {
    struct rtc_cmos rtc;
    struct irq_line irq8;
    unsigned rises;
};

static void bench_irq_set(void *ctx, unsigned irq, bool level)
{
    struct bench *b = ctx;
    (void)irq;
    if (level)
        b->rises++;
}

static void bench_init_with(struct bench *b, uint64_t unix_seconds, uint64_t low, uint64_t high)
{
    memset(b, 0, sizeof(*b));
    irq_line_init(&b->irq8, 8);
    b->irq8.set = bench_irq_set;
    b->irq8.ctx = b;
    struct rtc_cmos_config config = {
        .start_unix_seconds = unix_seconds,
        .ram_below_4g = low,
        .ram_above_4g = high,
    };
    rtc_init(&b->rtc, &b->irq8, &config, T0);
}

/* Thursday 2024-02-29 23:59:58 UTC, 128 MiB. */
static void bench_init(struct bench *b)
{
    bench_init_with(b, 1709251198, 128 << 20, 0);
}

static uint8_t rd(struct bench *b, uint8_t reg, uint64_t now)
{
    rtc_write(&b->rtc, 0x70, reg, now);
    return rtc_read(&b->rtc, 0x71, now);
}

static void wr(struct bench *b, uint8_t reg, uint8_t value, uint64_t now)
{
    rtc_write(&b->rtc, 0x70, reg, now);
    rtc_write(&b->rtc, 0x71, value, now);
}

/* The date and time registers as one number 0xYYMMDDhhmmss (as read). */
static uint64_t clock_of(struct bench *b, uint64_t now)
{
    uint64_t v = 0;
    static const uint8_t regs[] = { 0x09, 0x08, 0x07, 0x04, 0x02, 0x00 };
    for (unsigned i = 0; i < 6; i++)
        v = v << 8 | rd(b, regs[i], now);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Reset, time and date                                                     */

TEST(reset_state)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(rd(&b, 0x0a, T0), 0x26);
    CHECK_EQ_U(rd(&b, 0x0b, T0), 0x02);
    CHECK_EQ_U(rd(&b, 0x0c, T0), 0x00);
    CHECK_EQ_U(rd(&b, 0x0d, T0), 0x80);
    CHECK_EQ_U(clock_of(&b, T0), 0x240229235958);
    CHECK_EQ_U(rd(&b, 0x06, T0), 0x05);     /* Thursday */
    CHECK_EQ_U(rd(&b, 0x32, T0), 0x20);
    CHECK_EQ_U(rd(&b, 0x01, T0), 0x00);     /* alarms */
    CHECK_EQ_U(rtc_read(&b.rtc, 0x70, T0), 0xff);
    CHECK_EQ_U(rtc_read(&b.rtc, 0x72, T0), 0xff);
    CHECK(!b.irq8.level);
    CHECK(!rtc_nmi_disabled(&b.rtc));
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0), UINT64_MAX);
}

TEST(time_counts_from_the_start_across_a_leap_day)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(clock_of(&b, update_at(0) - 1), 0x240229235958);
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x240229235959);
    CHECK_EQ_U(clock_of(&b, update_at(1)), 0x240301000000);
    CHECK_EQ_U(rd(&b, 0x06, update_at(1)), 0x06);       /* Friday */
    /* Far ahead in one step: 2024-03-01 + 400 days + 1 h 2 min 3 s. */
    uint64_t later = update_at(1 + 400 * 86400 + 3723);
    CHECK_EQ_U(clock_of(&b, later), 0x250405010203);
    CHECK_EQ_U(rd(&b, 0x06, later), 0x07);  /* Saturday 2025-04-05 */
}

TEST(century_rolls_and_2100_is_no_leap_year)
{
    static struct bench b;
    bench_init_with(&b, 946684799, 0, 0);   /* 1999-12-31 23:59:59, Friday */
    CHECK_EQ_U(rd(&b, 0x32, T0), 0x19);
    CHECK_EQ_U(rd(&b, 0x06, T0), 0x06);
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x000101000000);
    CHECK_EQ_U(rd(&b, 0x32, update_at(0)), 0x20);
    CHECK_EQ_U(rd(&b, 0x06, update_at(0)), 0x07);
    bench_init_with(&b, 4107542399, 0, 0);  /* 2100-02-28 23:59:59 */
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x000301000000);
    CHECK_EQ_U(rd(&b, 0x32, update_at(0)), 0x21);
    bench_init_with(&b, 951782399, 0, 0);   /* 2000-02-28 23:59:59 */
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x000229000000);
}

TEST(binary_and_twelve_hour_forms)
{
    static struct bench b;
    bench_init_with(&b, 1720962309, 0, 0);  /* Sunday 2024-07-14 13:05:09 */
    CHECK_EQ_U(clock_of(&b, T0), 0x240714130509);
    wr(&b, 0x0b, 0x06, T0);                 /* binary, 24-hour */
    CHECK_EQ_U(clock_of(&b, T0), 0x18070e0d0509ull);
    CHECK_EQ_U(rd(&b, 0x32, T0), 20);
    CHECK_EQ_U(rd(&b, 0x06, T0), 1);
    wr(&b, 0x0b, 0x04, T0);                 /* binary, 12-hour */
    CHECK_EQ_U(rd(&b, 0x04, T0), 0x81);     /* 1 PM */
    wr(&b, 0x0b, 0x00, T0);                 /* BCD, 12-hour */
    CHECK_EQ_U(rd(&b, 0x04, T0), 0x81);
    wr(&b, 0x04, 0x92, T0);                 /* 12 PM = noon */
    CHECK_EQ_U(rd(&b, 0x04, T0), 0x92);
    wr(&b, 0x0b, 0x02, T0);
    CHECK_EQ_U(rd(&b, 0x04, T0), 0x12);
    wr(&b, 0x0b, 0x00, T0);
    wr(&b, 0x04, 0x12, T0);                 /* 12 AM = midnight */
    wr(&b, 0x0b, 0x02, T0);
    CHECK_EQ_U(rd(&b, 0x04, T0), 0x00);
    wr(&b, 0x0b, 0x04, T0);                 /* binary 12-hour midnight: 12 */
    CHECK_EQ_U(rd(&b, 0x04, T0), 12);
    wr(&b, 0x04, 0x8b, T0);                 /* 11 PM */
    wr(&b, 0x0b, 0x06, T0);
    CHECK_EQ_U(rd(&b, 0x04, T0), 23);
}

TEST(set_stops_updates_and_linux_style_time_writes)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0b, 0x12, T0);                 /* UIE */
    /* rtc-cmos's set_time: SET, write the fields, clear SET. */
    wr(&b, 0x0b, rd(&b, 0x0b, T0) | 0x80, T0);
    CHECK_EQ_U(rd(&b, 0x0b, T0), 0x82);     /* SET clears UIE */
    wr(&b, 0x09, 0x31, T0);
    wr(&b, 0x08, 0x12, T0);
    wr(&b, 0x07, 0x31, T0);
    wr(&b, 0x04, 0x23, T0);
    wr(&b, 0x02, 0x59, T0);
    wr(&b, 0x00, 0x50, T0);
    wr(&b, 0x32, 0x20, T0);
    CHECK_EQ_U(clock_of(&b, update_at(20)), 0x311231235950);     /* frozen */
    CHECK_EQ_U(rd(&b, 0x0c, update_at(20)) & 0x10, 0x00);        /* no UF either */
    wr(&b, 0x0b, 0x02, update_at(20) + 1);
    CHECK_EQ_U(clock_of(&b, update_at(21) - 1), 0x311231235950);
    CHECK_EQ_U(clock_of(&b, update_at(30)), 0x320101000000);
    CHECK_EQ_U(rd(&b, 0x32, update_at(30)), 0x20);
}

TEST(out_of_range_values_normalise_at_the_next_update)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x02, 0x75, T0);                 /* minute 75 */
    CHECK_EQ_U(rd(&b, 0x02, T0), 0x75);     /* kept until the update */
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x240301001559);     /* 23:75:59 = 00:15:59 */
    wr(&b, 0x08, 0x13, update_at(0));       /* month 13 */
    CHECK_EQ_U(clock_of(&b, update_at(1)), 0x250101001600);
}

TEST(divider_reset_holds_the_clock)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0b, 0x42, T0);                 /* PIE */
    wr(&b, 0x0a, 0x70, T0 + 100 * MS);      /* DV = 111: reset */
    CHECK_EQ_U(rd(&b, 0x0c, T0 + 100 * MS), 0xc0);      /* what came before */
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0 + 100 * MS), UINT64_MAX);
    CHECK_EQ_U(clock_of(&b, T0 + 10 * S), 0x240229235958);
    CHECK_EQ_U(rd(&b, 0x0c, T0 + 10 * S), 0x00);
    CHECK_EQ_U(rd(&b, 0x0a, T0 + 10 * S), 0x70);
    /* Out of reset: the first update 500 ms later. */
    uint64_t start = T0 + 10 * S + 123;
    wr(&b, 0x0a, 0x26, start);
    CHECK_EQ_U(clock_of(&b, start + 500 * MS - 1), 0x240229235958);
    CHECK_EQ_U(clock_of(&b, start + 500 * MS), 0x240229235959);
    /* DV = 000 (a 4.194304 MHz time base a PC does not have) holds it too. */
    wr(&b, 0x0a, 0x06, start + 600 * MS);
    CHECK_EQ_U(clock_of(&b, start + 5 * S), 0x240229235959);
}

/* ------------------------------------------------------------------------ */
/* UIP                                                                      */

TEST(uip_is_set_for_the_244us_before_each_update)
{
    static struct bench b;
    bench_init(&b);
    /* Cycle 16376 of 16384 begins at ceil(16376 * 1e9 / 32768) ns. */
    const uint64_t uip_from = T0 + 499755860;
    CHECK_EQ_U(rd(&b, 0x0a, uip_from - 1), 0x26);
    CHECK_EQ_U(rd(&b, 0x0a, uip_from), 0xa6);
    CHECK_EQ_U(clock_of(&b, update_at(0) - 1), 0x240229235958);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(0) - 1), 0xa6);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(0)), 0x26);
    CHECK_EQ_U(clock_of(&b, update_at(0)), 0x240229235959);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(5) - 250000), 0x26);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(5) - 200000), 0xa6);
    /* Writing UIP does nothing; SET keeps it clear. */
    wr(&b, 0x0a, 0xa6, update_at(6) - 300000);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(6) - 300000), 0x26);
    wr(&b, 0x0b, 0x82, update_at(6) - 300000);
    CHECK_EQ_U(rd(&b, 0x0a, update_at(6) - 100000), 0x26);
}

TEST(linux_reads_the_time_once_uip_is_clear)
{
    static struct bench b;
    bench_init(&b);
    /* mc146818_get_time(): poll UIP, read the fields, check UIP again. */
    uint64_t now = update_at(2) - 200000;
    unsigned polls = 0;
    while (rd(&b, 0x0a, now) & 0x80) {
        now += 10000;
        polls++;
    }
    CHECK(polls > 0 && polls <= 21);
    uint64_t seen = clock_of(&b, now);
    CHECK_EQ_U(rd(&b, 0x0a, now + 1000) & 0x80, 0);
    CHECK_EQ_U(seen, 0x240301000001);
}

/* ------------------------------------------------------------------------ */
/* Interrupts                                                               */

TEST(periodic_interrupt_at_every_rate)
{
    static const uint64_t cycles[16] = {
        0, 128, 256, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
    };
    for (unsigned rs = 1; rs < 16; rs++) {
        static struct bench b;
        bench_init(&b);
        wr(&b, 0x0a, (uint8_t)(0x20 | rs), T0);
        wr(&b, 0x0b, 0x42, T0);
        uint64_t now = T0;
        for (uint64_t k = 1; k <= 5; k++) {
            uint64_t next = rtc_next_event_ns(&b.rtc, now);
            CHECK_EQ_U(next, periodic_at(k, cycles[rs]));
            rtc_update(&b.rtc, next - 1);
            CHECK(!b.irq8.level);
            rtc_update(&b.rtc, next);
            CHECK(b.irq8.level);
            CHECK_EQ_U(rtc_next_event_ns(&b.rtc, next), UINT64_MAX);   /* until C is read */
            CHECK_EQ_U(rd(&b, 0x0c, next) & 0xc0, 0xc0);    /* UF, AF may join */
            CHECK(!b.irq8.level);
            now = next;
        }
        CHECK_EQ_U(b.rises, 5);
        CHECK_EQ_U(b.rtc.periodic_lost, 0);
    }
    /* 1024 Hz over one second: 1024 flags. */
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0b, 0x42, T0);
    unsigned n = 0;
    for (uint64_t now = T0; (now = rtc_next_event_ns(&b.rtc, now)) <= T0 + S;) {
        rtc_update(&b.rtc, now);
        n += (rd(&b, 0x0c, now) & 0x40) != 0;
    }
    CHECK_EQ_U(n, 1024);
}

TEST(periodic_flag_without_pie_and_late_enable)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0a, 0x2f, T0);                 /* 2 Hz */
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0), UINT64_MAX);      /* PIE off */
    rtc_update(&b.rtc, T0 + 600 * MS);
    CHECK(!b.irq8.level);
    wr(&b, 0x0b, 0x42, T0 + 600 * MS);      /* PF already set: IRQ at once */
    CHECK(b.irq8.level);
    wr(&b, 0x0b, 0x02, T0 + 600 * MS);      /* and down with PIE */
    CHECK(!b.irq8.level);
    CHECK_EQ_U(rd(&b, 0x0c, T0 + 600 * MS), 0x50);      /* PF, UF; IRQF clear */
    /* RS = 0: none. */
    wr(&b, 0x0a, 0x20, T0 + 600 * MS);
    wr(&b, 0x0b, 0x42, T0 + 600 * MS);
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0 + 600 * MS), UINT64_MAX);
    CHECK_EQ_U(rd(&b, 0x0c, T0 + 5 * S) & 0x40, 0x00);
}

TEST(merged_periodic_interrupts_are_counted)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0b, 0x42, T0);                 /* 1024 Hz */
    rtc_update(&b.rtc, T0 + 10 * MS);       /* flags 1-10 of 976.5625 us */
    CHECK_EQ_U(b.rises, 1);
    CHECK_EQ_U(b.rtc.periodic_lost, 9);
    rtc_update(&b.rtc, T0 + 20 * MS);       /* C not read: all merge */
    CHECK_EQ_U(b.rtc.periodic_lost, 19);
    CHECK_EQ_U(rd(&b, 0x0c, T0 + 20 * MS), 0xc0);
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0 + 20 * MS), periodic_at(21, 32));
    /* Overdue: due now. */
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0 + 30 * MS), T0 + 30 * MS);
}

TEST(update_ended_interrupt_once_a_second)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, 0x0a, 0x20, T0);                 /* no periodic flags */
    wr(&b, 0x05, 0xc0, T0);                 /* alarm at 12:mm:ss, hour don't care */
    wr(&b, 0x0b, 0x12, T0);
    uint64_t now = T0;
    for (uint64_t k = 0; k < 4; k++) {
        uint64_t next = rtc_next_event_ns(&b.rtc, now);
        CHECK_EQ_U(next, update_at(k));
        rtc_update(&b.rtc, next);
        CHECK(b.irq8.level);
        CHECK_EQ_U(rd(&b, 0x0c, next), k == 1 ? 0xb0 : 0x90);     /* AF at 00:00:00 */
        CHECK_EQ_U(rd(&b, 0x0c, next), 0x00);   /* read clears */
        now = next;
    }
    CHECK_EQ_U(b.rises, 4);
    /* Without UIE the flag is still set, silently. */
    wr(&b, 0x0b, 0x02, now);
    CHECK_EQ_U(rd(&b, 0x0c, update_at(4)), 0x10);
    CHECK_EQ_U(b.rises, 4);
}

TEST(alarm_interrupt)
{
    static struct bench b;
    bench_init_with(&b, 1720960200, 0, 0);  /* 2024-07-14 12:30:00 */
    wr(&b, 0x0a, 0x20, T0);                 /* no periodic flags */
    wr(&b, 0x05, 0x12, T0);
    wr(&b, 0x03, 0x30, T0);
    wr(&b, 0x01, 0x03, T0);
    wr(&b, 0x0b, 0x22, T0);                 /* AIE */
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, T0), update_at(2));
    rtc_update(&b.rtc, update_at(1));
    CHECK(!b.irq8.level);
    CHECK_EQ_U(rd(&b, 0x0c, update_at(1)), 0x10);
    rtc_update(&b.rtc, update_at(2));
    CHECK(b.irq8.level);
    CHECK_EQ_U(rd(&b, 0x0c, update_at(2)), 0xb0);       /* IRQF, AF, UF */
    /* Next day, same time. */
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, update_at(2)), update_at(2 + 86400));
    /* "Don't care" in all three: every second. */
    wr(&b, 0x01, 0xc0, update_at(2));
    wr(&b, 0x03, 0xff, update_at(2));
    wr(&b, 0x05, 0xd5, update_at(2));
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, update_at(2)), update_at(3));
    /* Hour don't care, minute 0, second 0: the top of the next hour. */
    wr(&b, 0x01, 0x00, update_at(2));
    wr(&b, 0x03, 0x00, update_at(2));
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, update_at(2)), update_at(2 + 30 * 60 - 3));
    /* An alarm no time can show (BCD minute 0x5A) never fires. */
    wr(&b, 0x03, 0x5a, update_at(2));
    CHECK_EQ_U(rtc_next_event_ns(&b.rtc, update_at(2)), UINT64_MAX);
}

TEST(alarm_is_found_across_a_long_gap)
{
    static struct bench b;
    bench_init_with(&b, 1720915200, 0, 0);  /* 2024-07-14 00:00:00 */
    wr(&b, 0x0a, 0x20, T0);                 /* no periodic flags */
    wr(&b, 0x0b, 0x02, T0);                 /* AIE off: only the flag */
    wr(&b, 0x05, 0x07, T0);
    wr(&b, 0x03, 0x08, T0);
    wr(&b, 0x01, 0x09, T0);
    /* 10 hours pass without an access; 07:08:09 was among them. */
    CHECK_EQ_U(rd(&b, 0x0c, update_at(36000)), 0x30);
    /* Not between 10:00 and 23:59. */
    CHECK_EQ_U(rd(&b, 0x0c, update_at(86399)), 0x10);
    /* The alarm in 12-hour BCD form: 7 PM = 0x87. */
    wr(&b, 0x0b, 0x20, update_at(86399));   /* AIE, 12-hour, BCD */
    wr(&b, 0x05, 0x87, update_at(86399));
    uint64_t next = rtc_next_event_ns(&b.rtc, update_at(86399));
    /* Now 2024-07-15 00:00:00; 19:08:09 is 68889 s later. */
    CHECK_EQ_U(next, update_at(86399 + 68889));
    rtc_update(&b.rtc, next);
    CHECK(b.irq8.level);
    CHECK_EQ_U(rd(&b, 0x04, next), 0x87);
}

TEST(alarm_search_matches_brute_force)
{
    uint64_t seed = 42;
    for (int round = 0; round < 300; round++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        int fields[3];
        const unsigned limits[3] = { 24, 60, 60 };
        for (int i = 0; i < 3; i++) {
            unsigned r = (unsigned)(seed >> (20 + 8 * i)) % 4;
            fields[i] = r == 0 ? ALARM_ANY : (int)((seed >> (5 * i)) % limits[i]);
        }
        struct alarm_pattern p = { fields[0], fields[1], fields[2] };
        uint64_t from = (seed >> 11) % (3 * 86400) + UINT64_C(86400) * 700000;
        uint64_t match = 0, expect = 0;
        bool found = alarm_next_match(&p, from, &match);
        for (uint64_t t = from; t < from + 2 * 86400; t++) {
            unsigned tod = (unsigned)(t % 86400);
            if ((p.hour == ALARM_ANY || (unsigned)p.hour == tod / 3600) &&
                (p.minute == ALARM_ANY || (unsigned)p.minute == tod / 60 % 60) &&
                (p.second == ALARM_ANY || (unsigned)p.second == tod % 60)) {
                expect = t;
                break;
            }
        }
        CHECK(found);
        CHECK_EQ_U(match, expect);
    }
    struct alarm_pattern never = { ALARM_ANY, ALARM_NEVER, 0 };
    uint64_t unused;
    CHECK(!alarm_next_match(&never, 0, &unused));
}

/* ------------------------------------------------------------------------ */
/* Calendar                                                                 */

TEST(calendar_round_trips_and_leap_rules)
{
    CHECK_EQ_U(days_before_year(1970), 719528);     /* 0000-01-01 to 1970-01-01 */
    CHECK_EQ_U(days_before_year(2000) - days_before_year(1999), 365);
    CHECK_EQ_U(days_before_year(2001) - days_before_year(2000), 366);
    CHECK_EQ_U(days_before_year(1901) - days_before_year(1900), 365);
    CHECK_EQ_U(days_before_year(2101) - days_before_year(2100), 365);
    uint64_t seed = 7;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t seconds = (seed >> 16) % seconds_limit();
        struct rtc_time_fields f;
        set_fields_from_seconds(&f, seconds);
        CHECK(f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= 31);
        CHECK(f.hour < 24 && f.minute < 60 && f.second < 60 && f.year < 10000);
        CHECK_EQ_U(seconds_of(&f), seconds);
    }
    struct rtc_time_fields last = { 59, 59, 23, 6, 31, 12, 9999 };
    advance_clock(&last, 1);
    CHECK_EQ_U(last.year, 0);
    CHECK_EQ_U(last.month, 1);
    CHECK_EQ_U(last.day, 1);
    CHECK_EQ_U(last.day_of_week, 7);
}

/* ------------------------------------------------------------------------ */
/* CMOS RAM and ports                                                       */

TEST(memory_size_bytes)
{
    static struct bench b;
    bench_init_with(&b, 0, 512ull << 20, 1ull << 30);
    CHECK_EQ_U(rd(&b, 0x15, T0) | rd(&b, 0x16, T0) << 8, 640);
    CHECK_EQ_U(rd(&b, 0x17, T0) | rd(&b, 0x18, T0) << 8, 0xffff);   /* 523264 KiB, capped */
    CHECK_EQ_U(rd(&b, 0x30, T0) | rd(&b, 0x31, T0) << 8, 0xffff);
    CHECK_EQ_U(rd(&b, 0x34, T0) | rd(&b, 0x35, T0) << 8, 0x1f00);   /* (512 - 16) MiB / 64 KiB */
    CHECK_EQ_U(rd(&b, 0x5b, T0) | rd(&b, 0x5c, T0) << 8 | rd(&b, 0x5d, T0) << 16, 0x4000);
    /* SeaBIOS's arithmetic gives the size back. */
    uint32_t ram = ((uint32_t)rd(&b, 0x34, T0) << 16 | (uint32_t)rd(&b, 0x35, T0) << 24) +
                   (16u << 20);
    CHECK_EQ_U(ram, 512u << 20);
    bench_init_with(&b, 0, 2ull << 20, 0);
    CHECK_EQ_U(rd(&b, 0x17, T0) | rd(&b, 0x18, T0) << 8, 1024);
    CHECK_EQ_U(rd(&b, 0x30, T0) | rd(&b, 0x31, T0) << 8, 1024);
    CHECK_EQ_U(rd(&b, 0x34, T0) | rd(&b, 0x35, T0) << 8, 0);
    CHECK_EQ_U(rd(&b, 0x5b, T0), 0);
    bench_init_with(&b, 0, 512ull << 10, 0);
    CHECK_EQ_U(rd(&b, 0x15, T0) | rd(&b, 0x16, T0) << 8, 512);
    CHECK_EQ_U(rd(&b, 0x17, T0), 0);
    CHECK_EQ_U(rd(&b, 0x0e, T0), 0);        /* the rest of the RAM starts at 0 */
    CHECK_EQ_U(rd(&b, 0x7f, T0), 0);
}

TEST(cmos_ram_keeps_bytes_and_index_carries_the_nmi_mask)
{
    static struct bench b;
    bench_init(&b);
    for (unsigned i = 0x0e; i < 0x80; i++)
        if (i != 0x32)
            wr(&b, (uint8_t)i, (uint8_t)(i ^ 0xa5), T0);
    unsigned bad = 0;
    for (unsigned i = 0x0e; i < 0x80; i++)
        if (i != 0x32)
            bad += rd(&b, (uint8_t)i, T0) != (i ^ 0xa5);
    CHECK_EQ_U(bad, 0);
    rtc_write(&b.rtc, 0x70, 0x8f, T0);      /* NMI off, index 0x0F */
    CHECK(rtc_nmi_disabled(&b.rtc));
    CHECK_EQ_U(rtc_read(&b.rtc, 0x71, T0), 0x0f ^ 0xa5);
    rtc_write(&b.rtc, 0x70, 0x0d, T0);
    CHECK(!rtc_nmi_disabled(&b.rtc));
    /* C and D ignore writes. */
    rtc_write(&b.rtc, 0x71, 0x00, T0);
    CHECK_EQ_U(rtc_read(&b.rtc, 0x71, T0), 0x80);
    wr(&b, 0x0c, 0xf0, T0);
    CHECK_EQ_U(rd(&b, 0x0c, T0), 0x00);
}

TEST(time_going_backwards_is_held)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(clock_of(&b, update_at(3)), 0x240301000002);
    CHECK_EQ_U(clock_of(&b, T0), 0x240301000002);
}

/* ------------------------------------------------------------------------ */
/* Attaching to a VM                                                        */

static struct {
    struct vm *vm;
    uint16_t first, last;
    pio_handler_fn fn;
    void *dev;
    const char *name;
} stub_pio[2];
static size_t stub_npio;
static jmp_buf stub_panic_jmp;
static int stub_panics;
static uint64_t stub_now;

void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    if (stub_npio == 2)
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
    (void)vm;
    return stub_now;
}

static uint32_t pio(uint16_t port, unsigned size, bool in, uint32_t value)
{
    CHECK_EQ_I(stub_pio[0].fn(stub_pio[0].vm, stub_pio[0].dev, port, size, in, &value), 0);
    return value;
}

TEST(attach_registers_0x70_0x71_on_the_vm_clock)
{
    static struct vm vm = { .name = "r", .index = 6 };
    const struct rtc_cmos_config config = { 1709251198, 64 << 20, 0 };
    stub_npio = 0;
    stub_now = T0;
    CHECK(rtc_cmos_of(&vm) == NULL);
    rtc_cmos_attach(&vm, &config, stub_clock);
    CHECK_EQ_U(stub_npio, 1);
    CHECK_EQ_U(stub_pio[0].first, 0x70);
    CHECK_EQ_U(stub_pio[0].last, 0x71);
    CHECK_STR(stub_pio[0].name, "rtc");
    struct rtc_cmos *rtc = rtc_cmos_of(&vm);
    CHECK(rtc && rtc->irq && rtc->irq->irq == 8);
    /* Started at clock(vm) = T0: the first update at T0 + 0.5 s. */
    stub_now = update_at(0);
    pio(0x70, 1, false, 0x00);
    CHECK_EQ_U(pio(0x71, 1, true, 0), 0x59);
    /* A word OUT at 0x70: index, then data. */
    pio(0x70, 2, false, 0x4240);            /* byte 0x40 := 0x42 */
    pio(0x70, 1, false, 0x40);
    CHECK_EQ_U(pio(0x71, 1, true, 0), 0x42);
    /* A word IN at 0x70: 0xFF (write-only), then the data. */
    CHECK_EQ_U(pio(0x70, 2, true, 0), 0x42ff);
    CHECK_EQ_U(pio(0x71, 2, true, 0), 0xff42);
    stub_npio = 0;
    rtc_cmos_attach(&vm, &config, stub_clock);
    CHECK(rtc_cmos_of(&vm) == rtc);
    stub_panics = 0;
    static struct vm bad = { .name = "x", .index = VM_MAX_VMS };
    if (!setjmp(stub_panic_jmp))
        rtc_cmos_attach(&bad, &config, stub_clock);
    CHECK_EQ_I(stub_panics, 1);
}
