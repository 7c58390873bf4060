/*
 * The guests' RTC and CMOS RAM: a model of the MC146818A computed from the
 * guest time it is given (guest/dev/rtc_cmos.h says what it does), then
 * the glue that puts one on a VM's ports.  Section names cited are the
 * MC146818A data sheet's.
 *
 * Time.  The divider chain's 32.768 kHz cycles are counted from
 * divider_start_ns: at guest time t, floor((t - start) * 32768 / 1e9) have
 * passed.  Update k (k >= 0) ends cycle UPDATE_FIRST_CYCLE + k * 32768,
 * periodic flag k (k >= 1) cycle k * 2^(RS-1).  cycles_done says up to
 * which cycle the flags and the clock have been brought; every entry point
 * first brings them to now (catch_up), in closed form however long it was.
 *
 * The clock is kept as calendar fields (what the registers show) and
 * turned into a count of seconds since 0000-01-01 (proleptic Gregorian)
 * only to be advanced: n updates add n seconds.  The alarm is found in the
 * same count of seconds without stepping through them (alarm_next_match).
 */
#include "guest/dev/rtc_cmos.h"

#include "guest/vm.h"
#include "kernel/log.h"

/* Port 0x70 */
#define INDEX_NMI_DISABLE       0x80
#define INDEX_MASK              0x7f

/* Register A ("Register A") */
#define A_UIP                   0x80
#define A_DV_MASK               0x70
#define A_DV_32768HZ            0x20    /* DV = 010 */
#define A_RS_MASK               0x0f
#define A_WRITABLE              0x7f
#define A_RS_1024HZ             0x06    /* what PC BIOSes program */

/* Register B ("Register B") */
#define B_SET                   0x80
#define B_PIE                   0x40
#define B_AIE                   0x20
#define B_UIE                   0x10
#define B_DM_BINARY             0x04
#define B_24_HOUR               0x02

/* Register C ("Register C") */
#define C_IRQF                  0x80
#define C_PF                    0x40
#define C_AF                    0x20
#define C_UF                    0x10

/* Register D ("Register D") */
#define D_VRT                   0x80

/* Hours register in 12-hour form: bit 7 = PM. */
#define HOUR_PM                 0x80
#define HOUR_12H_MASK           0x7f
/* An alarm byte with both top bits set matches every value ("Alarm"). */
#define ALARM_DONT_CARE         0xc0

/* The divider chain at 32.768 kHz. */
#define CYCLES_PER_SECOND       32768u
#define UPDATE_FIRST_CYCLE      (CYCLES_PER_SECOND / 2)    /* 500 ms after the start */
#define UIP_CYCLES              8u                          /* 244 us before each update */
#define RS_SLOWEST_ALIAS_BASE   7       /* RS 1, 2 behave as RS 8, 9 */

#define NS_PER_S                UINT64_C(1000000000)
#define SECONDS_PER_MINUTE      60u
#define SECONDS_PER_HOUR        3600u
#define SECONDS_PER_DAY         86400u
#define MINUTES_PER_HOUR        60u
#define HOURS_PER_DAY           24u
#define DAYS_PER_WEEK           7u
#define MONTHS_PER_YEAR         12u
#define YEARS_PER_CENTURY       100u
#define YEAR_LIMIT              10000u  /* the clock wraps from 9999 to 0000 */
#define UNIX_EPOCH_YEAR         1970u
#define UNIX_EPOCH_DAY_OF_WEEK  5u      /* 1970-01-01 was a Thursday */

/* CMOS memory size bytes (IBM AT layout; 0x5B-0x5D are QEMU's). */
#define CMOS_BASE_MEMORY_KB     0x15
#define CMOS_EXTENDED_MEMORY_KB 0x17
#define CMOS_EXTENDED_MEMORY_KB_COPY 0x30
#define CMOS_MEMORY_ABOVE_16M   0x34
#define CMOS_MEMORY_ABOVE_4G    0x5b
#define BASE_MEMORY_MAX_KB      640u
#define KIB                     UINT64_C(1024)
#define MIB                     (KIB * KIB)
#define CHUNK_64K               (64 * KIB)
#define WORD_MAX                0xffffu
#define TRIBYTE_MAX             0xffffffu

#define FLOATING_BUS            0xff
#define BITS_PER_BYTE           8
#define BCD_DIGIT_BITS          4
#define BCD_DIGIT_MASK          0x0f

/* ---- calendar ---- */

static bool is_leap_year(uint64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days from 0000-01-01 to January 1st of `year`: 365 a year plus one for
 * each leap year before it (year 0 is one). */
static uint64_t days_before_year(uint64_t year)
{
    return 365 * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400;
}

static unsigned days_before_month(uint64_t year, unsigned month)
{
    static const uint16_t cumulative[MONTHS_PER_YEAR] = {
        0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
    };
    return cumulative[month - 1] + (month > 2 && is_leap_year(year) ? 1 : 0);
}

/* The fields as seconds since 0000-01-01 00:00:00.  Out-of-range fields
 * carry over as calendar arithmetic does (month 13 is January of the next
 * year, minute 75 is 1:15 past the hour); month and day 0 count as 1. */
static uint64_t seconds_of(const struct rtc_time_fields *f)
{
    unsigned month0 = f->month ? f->month - 1u : 0;
    uint64_t year = f->year + month0 / MONTHS_PER_YEAR;
    unsigned month = month0 % MONTHS_PER_YEAR + 1;
    unsigned day = f->day ? f->day : 1;
    uint64_t days = days_before_year(year) + days_before_month(year, month) + day - 1;
    return days * SECONDS_PER_DAY + (uint64_t)f->hour * SECONDS_PER_HOUR +
           (uint64_t)f->minute * SECONDS_PER_MINUTE + f->second;
}

/* The date and time of `seconds` since 0000-01-01; the day of week is left
 * alone (the clock counts it on its own). */
static void set_fields_from_seconds(struct rtc_time_fields *f, uint64_t seconds)
{
    uint64_t days = seconds / SECONDS_PER_DAY;
    uint64_t in_day = seconds % SECONDS_PER_DAY;
    uint64_t year = days * 400 / days_before_year(400);
    while (year > 0 && days_before_year(year) > days)
        year--;
    while (days_before_year(year + 1) <= days)
        year++;
    unsigned day_of_year = (unsigned)(days - days_before_year(year));
    unsigned month = MONTHS_PER_YEAR;
    while (days_before_month(year, month) > day_of_year)
        month--;
    f->year = (uint16_t)year;
    f->month = (uint8_t)month;
    f->day = (uint8_t)(day_of_year - days_before_month(year, month) + 1);
    f->hour = (uint8_t)(in_day / SECONDS_PER_HOUR);
    f->minute = (uint8_t)(in_day / SECONDS_PER_MINUTE % MINUTES_PER_HOUR);
    f->second = (uint8_t)(in_day % SECONDS_PER_MINUTE);
}

static uint64_t seconds_limit(void)
{
    return days_before_year(YEAR_LIMIT) * SECONDS_PER_DAY;
}

/* The clock after `n` more updates: n seconds later, the day of week
 * stepped once per midnight crossed. */
static void advance_clock(struct rtc_time_fields *f, uint64_t n)
{
    uint64_t before = seconds_of(f);
    uint64_t after = before + n;
    uint64_t midnights = after / SECONDS_PER_DAY - before / SECONDS_PER_DAY;
    unsigned weekday0 = (f->day_of_week + DAYS_PER_WEEK - 1) % DAYS_PER_WEEK;
    f->day_of_week = (uint8_t)((weekday0 + midnights) % DAYS_PER_WEEK + 1);
    set_fields_from_seconds(f, after % seconds_limit());
}

static void set_clock_from_unix(struct rtc_time_fields *f, uint64_t unix_seconds)
{
    uint64_t unix_days = unix_seconds / SECONDS_PER_DAY;
    uint64_t seconds = days_before_year(UNIX_EPOCH_YEAR) * SECONDS_PER_DAY + unix_seconds;
    set_fields_from_seconds(f, seconds % seconds_limit());
    f->day_of_week = (uint8_t)((UNIX_EPOCH_DAY_OF_WEEK - 1 + unix_days) % DAYS_PER_WEEK + 1);
}

/* ---- register encodings ---- */

static bool binary_mode(const struct rtc_cmos *rtc)
{
    return rtc->reg_b & B_DM_BINARY;
}

static bool twelve_hour_mode(const struct rtc_cmos *rtc)
{
    return !(rtc->reg_b & B_24_HOUR);
}

static uint8_t encode(const struct rtc_cmos *rtc, unsigned value)
{
    if (binary_mode(rtc))
        return (uint8_t)value;
    return (uint8_t)((value / 10 % 10) << BCD_DIGIT_BITS | value % 10);
}

static unsigned decode(const struct rtc_cmos *rtc, uint8_t reg)
{
    if (binary_mode(rtc))
        return reg;
    return (reg >> BCD_DIGIT_BITS) * 10u + (reg & BCD_DIGIT_MASK);
}

/* 12-hour form: 12, 1, ..., 11 with bit 7 set from noon ("Time, Calendar
 * and Alarm Data Modes"). */
static uint8_t encode_hour(const struct rtc_cmos *rtc, unsigned hour)
{
    if (!twelve_hour_mode(rtc))
        return encode(rtc, hour);
    unsigned on_dial = hour % 12 ? hour % 12 : 12;
    return (uint8_t)(encode(rtc, on_dial) | (hour >= 12 ? HOUR_PM : 0));
}

static unsigned decode_hour(const struct rtc_cmos *rtc, uint8_t reg)
{
    if (!twelve_hour_mode(rtc))
        return decode(rtc, reg);
    return decode(rtc, reg & HOUR_12H_MASK) % 12 + (reg & HOUR_PM ? 12 : 0);
}

/* ---- the alarm ---- */

#define ALARM_ANY   (-1)
#define ALARM_NEVER (-2)

struct alarm_pattern {
    int hour, minute, second;   /* a value, ALARM_ANY or ALARM_NEVER */
};

/* The one value whose register byte in the current form is `alarm`, or
 * ALARM_NEVER when no valid time shows that byte. */
static int alarm_field(const struct rtc_cmos *rtc, uint8_t alarm, unsigned limit, bool hours)
{
    if ((alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE)
        return ALARM_ANY;
    unsigned value = hours ? decode_hour(rtc, alarm) : decode(rtc, alarm);
    uint8_t shown = hours ? encode_hour(rtc, value) : encode(rtc, value);
    return value < limit && shown == alarm ? (int)value : ALARM_NEVER;
}

static struct alarm_pattern alarm_pattern_of(const struct rtc_cmos *rtc)
{
    return (struct alarm_pattern){
        .hour = alarm_field(rtc, rtc->alarm_hour, HOURS_PER_DAY, true),
        .minute = alarm_field(rtc, rtc->alarm_minute, MINUTES_PER_HOUR, false),
        .second = alarm_field(rtc, rtc->alarm_second, SECONDS_PER_MINUTE, false),
    };
}

/* The first second at or after `from` whose time of day matches the alarm.
 * Each step moves to the first candidate for the first field that does not
 * match (the next such hour, minute or second, carrying into the next
 * hour, day), so six steps always reach a match (seconds, minutes, hours,
 * then minutes and seconds again in the next day). */
static bool alarm_next_match(const struct alarm_pattern *p, uint64_t from, uint64_t *match)
{
    if (p->hour == ALARM_NEVER || p->minute == ALARM_NEVER || p->second == ALARM_NEVER)
        return false;
    uint64_t t = from;
    for (unsigned step = 0; step < 8; step++) {
        uint64_t day = t - t % SECONDS_PER_DAY;
        unsigned in_day = (unsigned)(t % SECONDS_PER_DAY);
        unsigned hour = in_day / SECONDS_PER_HOUR;
        unsigned minute = in_day / SECONDS_PER_MINUTE % MINUTES_PER_HOUR;
        unsigned second = in_day % SECONDS_PER_MINUTE;
        uint64_t hour_start = day + (uint64_t)hour * SECONDS_PER_HOUR;
        uint64_t minute_start = hour_start + (uint64_t)minute * SECONDS_PER_MINUTE;
        if (p->hour != ALARM_ANY && hour != (unsigned)p->hour) {
            uint64_t target_day = hour < (unsigned)p->hour ? day : day + SECONDS_PER_DAY;
            t = target_day + (uint64_t)p->hour * SECONDS_PER_HOUR;
        } else if (p->minute != ALARM_ANY && minute != (unsigned)p->minute) {
            uint64_t target_hour = minute < (unsigned)p->minute ? hour_start
                                                                : hour_start + SECONDS_PER_HOUR;
            t = target_hour + (uint64_t)p->minute * SECONDS_PER_MINUTE;
        } else if (p->second != ALARM_ANY && second != (unsigned)p->second) {
            uint64_t target_minute = second < (unsigned)p->second
                                         ? minute_start : minute_start + SECONDS_PER_MINUTE;
            t = target_minute + (uint64_t)p->second;
        } else {
            *match = t;
            return true;
        }
    }
    return false;
}

/* ---- the divider chain ---- */

static bool updates_enabled(const struct rtc_cmos *rtc)
{
    return rtc->divider_running && !(rtc->reg_b & B_SET);
}

/* Cycles from the divider's start to guest time ns (ns >= the start). */
static uint64_t cycles_at(const struct rtc_cmos *rtc, uint64_t ns)
{
    uint64_t elapsed = ns - rtc->divider_start_ns;
    return elapsed / NS_PER_S * CYCLES_PER_SECOND +
           elapsed % NS_PER_S * CYCLES_PER_SECOND / NS_PER_S;
}

/* The guest time at which cycle `cycle` ends. */
static uint64_t ns_of_cycle(const struct rtc_cmos *rtc, uint64_t cycle)
{
    uint64_t seconds = cycle / CYCLES_PER_SECOND, rest = cycle % CYCLES_PER_SECOND;
    uint64_t ns = seconds * NS_PER_S + (rest * NS_PER_S + CYCLES_PER_SECOND - 1) / CYCLES_PER_SECOND;
    return rtc->divider_start_ns + ns;
}

/* Updates that have ended by cycle `cycle`. */
static uint64_t updates_by(uint64_t cycle)
{
    return cycle < UPDATE_FIRST_CYCLE ? 0 : (cycle - UPDATE_FIRST_CYCLE) / CYCLES_PER_SECOND + 1;
}

static uint64_t update_cycle(uint64_t k)
{
    return UPDATE_FIRST_CYCLE + k * CYCLES_PER_SECOND;
}

/* The periodic interrupt's period in cycles ("Periodic Interrupt Rate"
 * table for a 32.768 kHz time base), 0 for none. */
static uint64_t periodic_cycles(const struct rtc_cmos *rtc)
{
    unsigned rs = rtc->reg_a & A_RS_MASK;
    if (rs == 0)
        return 0;
    if (rs < 3)
        rs += RS_SLOWEST_ALIAS_BASE;
    return UINT64_C(1) << (rs - 1);
}

/* UIP: the 8 cycles before an update ("Update Cycle"). */
static bool update_in_progress(const struct rtc_cmos *rtc)
{
    if (!updates_enabled(rtc))
        return false;
    uint64_t to_next = update_cycle(updates_by(rtc->cycles_done)) - rtc->cycles_done;
    return to_next <= UIP_CYCLES;
}

/* ---- flags and IRQ 8 ---- */

static bool irqf(const struct rtc_cmos *rtc)
{
    return ((rtc->flags & C_PF) && (rtc->reg_b & B_PIE)) ||
           ((rtc->flags & C_AF) && (rtc->reg_b & B_AIE)) ||
           ((rtc->flags & C_UF) && (rtc->reg_b & B_UIE));
}

static void update_irq(struct rtc_cmos *rtc)
{
    irq_line_set(rtc->irq, irqf(rtc));
}

/* `n` updates happened: the alarm is checked against each new time, UF set. */
static void run_updates(struct rtc_cmos *rtc, uint64_t n)
{
    uint64_t now = seconds_of(&rtc->time);
    struct alarm_pattern alarm = alarm_pattern_of(rtc);
    uint64_t match;
    /* Each update's new time is now + k, k = 1..n (wrapping at year 10000
     * is left out of the search: it only changes the date). */
    if (alarm_next_match(&alarm, now + 1, &match) && match - now <= n)
        rtc->flags |= C_AF;
    advance_clock(&rtc->time, n);
    rtc->flags |= C_UF;
}

static void count_periodic(struct rtc_cmos *rtc, uint64_t from, uint64_t to)
{
    uint64_t period = periodic_cycles(rtc);
    if (!period)
        return;
    uint64_t n = to / period - from / period;
    if (!n)
        return;
    if (rtc->reg_b & B_PIE)
        rtc->periodic_lost += (rtc->flags & C_PF) ? n : n - 1;
    rtc->flags |= C_PF;
}

/* Brings flags and clock to guest time now_ns. */
static void catch_up(struct rtc_cmos *rtc, uint64_t now_ns)
{
    if (now_ns < rtc->last_ns)
        now_ns = rtc->last_ns;
    rtc->last_ns = now_ns;
    if (!rtc->divider_running)
        return;
    uint64_t from = rtc->cycles_done, to = cycles_at(rtc, now_ns);
    if (to <= from)
        return;
    rtc->cycles_done = to;
    count_periodic(rtc, from, to);
    uint64_t updates = updates_by(to) - updates_by(from);
    if (updates && updates_enabled(rtc))
        run_updates(rtc, updates);
}

/* ---- registers ---- */

static void start_divider(struct rtc_cmos *rtc, uint64_t now_ns)
{
    rtc->divider_running = true;
    rtc->divider_start_ns = now_ns;
    rtc->cycles_done = 0;
}

/* Register A: DV starts and holds the divider chain, RS picks the rate. */
static void write_reg_a(struct rtc_cmos *rtc, uint8_t value)
{
    bool run = (value & A_DV_MASK) == A_DV_32768HZ;
    rtc->reg_a = value & A_WRITABLE;
    if (run && !rtc->divider_running)
        start_divider(rtc, rtc->last_ns);
    else if (!run)
        rtc->divider_running = false;
}

/* Register B: writing SET = 1 also clears UIE ("Register B"). */
static void write_reg_b(struct rtc_cmos *rtc, uint8_t value)
{
    if (value & B_SET)
        value &= (uint8_t)~B_UIE;
    rtc->reg_b = value;
}

static uint8_t read_reg_c(struct rtc_cmos *rtc)
{
    uint8_t value = rtc->flags | (irqf(rtc) ? C_IRQF : 0);
    rtc->flags = 0;
    return value;
}

static uint8_t read_register(struct rtc_cmos *rtc, unsigned index)
{
    const struct rtc_time_fields *t = &rtc->time;
    switch (index) {
    case RTC_SECONDS: return encode(rtc, t->second);
    case RTC_SECONDS_ALARM: return rtc->alarm_second;
    case RTC_MINUTES: return encode(rtc, t->minute);
    case RTC_MINUTES_ALARM: return rtc->alarm_minute;
    case RTC_HOURS: return encode_hour(rtc, t->hour);
    case RTC_HOURS_ALARM: return rtc->alarm_hour;
    case RTC_DAY_OF_WEEK: return encode(rtc, t->day_of_week);
    case RTC_DAY_OF_MONTH: return encode(rtc, t->day);
    case RTC_MONTH: return encode(rtc, t->month);
    case RTC_YEAR: return encode(rtc, t->year % YEARS_PER_CENTURY);
    case RTC_CENTURY: return encode(rtc, t->year / YEARS_PER_CENTURY);
    case RTC_REG_A: return (uint8_t)(rtc->reg_a | (update_in_progress(rtc) ? A_UIP : 0));
    case RTC_REG_B: return rtc->reg_b;
    case RTC_REG_C: return read_reg_c(rtc);
    case RTC_REG_D: return D_VRT;
    default: return rtc->ram[index];
    }
}

static void write_register(struct rtc_cmos *rtc, unsigned index, uint8_t value)
{
    struct rtc_time_fields *t = &rtc->time;
    unsigned year_in_century = t->year % YEARS_PER_CENTURY;
    unsigned century = t->year / YEARS_PER_CENTURY;
    switch (index) {
    case RTC_SECONDS: t->second = (uint8_t)decode(rtc, value); break;
    case RTC_SECONDS_ALARM: rtc->alarm_second = value; break;
    case RTC_MINUTES: t->minute = (uint8_t)decode(rtc, value); break;
    case RTC_MINUTES_ALARM: rtc->alarm_minute = value; break;
    case RTC_HOURS: t->hour = (uint8_t)decode_hour(rtc, value); break;
    case RTC_HOURS_ALARM: rtc->alarm_hour = value; break;
    case RTC_DAY_OF_WEEK: t->day_of_week = (uint8_t)decode(rtc, value); break;
    case RTC_DAY_OF_MONTH: t->day = (uint8_t)decode(rtc, value); break;
    case RTC_MONTH: t->month = (uint8_t)decode(rtc, value); break;
    case RTC_YEAR:
        t->year = (uint16_t)(century * YEARS_PER_CENTURY + decode(rtc, value));
        break;
    case RTC_CENTURY:
        t->year = (uint16_t)(decode(rtc, value) * YEARS_PER_CENTURY + year_in_century);
        break;
    case RTC_REG_A: write_reg_a(rtc, value); break;
    case RTC_REG_B: write_reg_b(rtc, value); break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;
    default: rtc->ram[index] = value; break;
    }
}

/* ---- memory size bytes ---- */

static void put_cmos_bytes(struct rtc_cmos *rtc, unsigned index, uint64_t value, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        rtc->ram[index + i] = (uint8_t)(value >> (BITS_PER_BYTE * i));
}

static uint64_t at_most(uint64_t value, uint64_t limit)
{
    return value < limit ? value : limit;
}

static uint64_t above(uint64_t size, uint64_t base)
{
    return size > base ? size - base : 0;
}

static void fill_memory_sizes(struct rtc_cmos *rtc, const struct rtc_cmos_config *config)
{
    uint64_t low = config->ram_below_4g;
    uint64_t extended_kb = at_most(above(low, MIB) / KIB, WORD_MAX);
    put_cmos_bytes(rtc, CMOS_BASE_MEMORY_KB, at_most(low / KIB, BASE_MEMORY_MAX_KB), 2);
    put_cmos_bytes(rtc, CMOS_EXTENDED_MEMORY_KB, extended_kb, 2);
    put_cmos_bytes(rtc, CMOS_EXTENDED_MEMORY_KB_COPY, extended_kb, 2);
    put_cmos_bytes(rtc, CMOS_MEMORY_ABOVE_16M, at_most(above(low, 16 * MIB) / CHUNK_64K, WORD_MAX),
                   2);
    put_cmos_bytes(rtc, CMOS_MEMORY_ABOVE_4G, at_most(config->ram_above_4g / CHUNK_64K, TRIBYTE_MAX),
                   3);
}

/* ---- the model's interface ---- */

void rtc_init(struct rtc_cmos *rtc, struct irq_line *irq, const struct rtc_cmos_config *config,
              uint64_t now_ns)
{
    *rtc = (struct rtc_cmos){
        .irq = irq,
        .reg_a = A_DV_32768HZ | A_RS_1024HZ,
        .reg_b = B_24_HOUR,
        .last_ns = now_ns,
    };
    set_clock_from_unix(&rtc->time, config->start_unix_seconds);
    fill_memory_sizes(rtc, config);
    start_divider(rtc, now_ns);
    update_irq(rtc);
}

uint8_t rtc_read(struct rtc_cmos *rtc, uint16_t port, uint64_t now_ns)
{
    if (port != RTC_DATA_PORT)
        return FLOATING_BUS;            /* 0x70 is write-only */
    catch_up(rtc, now_ns);
    uint8_t value = read_register(rtc, rtc->index);
    update_irq(rtc);
    return value;
}

void rtc_write(struct rtc_cmos *rtc, uint16_t port, uint8_t value, uint64_t now_ns)
{
    catch_up(rtc, now_ns);
    if (port == RTC_INDEX_PORT) {
        rtc->index = value & INDEX_MASK;
        rtc->nmi_disabled = value & INDEX_NMI_DISABLE;
    } else if (port == RTC_DATA_PORT) {
        write_register(rtc, rtc->index, value);
    }
    update_irq(rtc);
}

void rtc_update(struct rtc_cmos *rtc, uint64_t now_ns)
{
    catch_up(rtc, now_ns);
    update_irq(rtc);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The cycle of the first update after cycles_done whose new time matches
 * the alarm, or UINT64_MAX. */
static uint64_t next_alarm_cycle(const struct rtc_cmos *rtc)
{
    struct alarm_pattern alarm = alarm_pattern_of(rtc);
    uint64_t now = seconds_of(&rtc->time), match;
    if (!alarm_next_match(&alarm, now + 1, &match))
        return UINT64_MAX;
    return update_cycle(updates_by(rtc->cycles_done) + (match - now) - 1);
}

uint64_t rtc_next_event_ns(const struct rtc_cmos *rtc, uint64_t now_ns)
{
    if (irqf(rtc) || !rtc->divider_running)
        return UINT64_MAX;
    uint64_t cycle = UINT64_MAX;
    uint64_t period = periodic_cycles(rtc);
    if ((rtc->reg_b & B_PIE) && period)
        cycle = (rtc->cycles_done / period + 1) * period;
    if (updates_enabled(rtc) && (rtc->reg_b & B_UIE))
        cycle = earlier(cycle, update_cycle(updates_by(rtc->cycles_done)));
    if (updates_enabled(rtc) && (rtc->reg_b & B_AIE))
        cycle = earlier(cycle, next_alarm_cycle(rtc));
    if (cycle == UINT64_MAX)
        return UINT64_MAX;
    uint64_t ns = ns_of_cycle(rtc, cycle);
    return ns < now_ns ? now_ns : ns;
}

bool rtc_nmi_disabled(const struct rtc_cmos *rtc)
{
    return rtc->nmi_disabled;
}

/* ---- attaching to a VM ---- */

struct rtc_cmos_slot {
    struct rtc_cmos rtc;
    struct irq_line irq;
    rtc_cmos_clock_fn clock;
    bool attached;
};

static struct rtc_cmos_slot rtc_slots[VM_MAX_VMS];

/* One guest IN or OUT: a 2- or 4-byte access is the ISA bus's sequence of
 * byte cycles at port, port+1, ..., lowest byte first, all at one time. */
static int rtc_pio(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                   uint32_t *value)
{
    struct rtc_cmos_slot *s = dev;
    uint64_t now = s->clock(vm);
    if (in)
        *value = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned p = (unsigned)port + i;
        unsigned shift = BITS_PER_BYTE * i;
        if (in)
            *value |= (uint32_t)(p <= RTC_DATA_PORT ? rtc_read(&s->rtc, (uint16_t)p, now)
                                                    : FLOATING_BUS) << shift;
        else if (p <= RTC_DATA_PORT)
            rtc_write(&s->rtc, (uint16_t)p, (uint8_t)(*value >> shift), now);
    }
    return 0;
}

void rtc_cmos_attach(struct vm *vm, const struct rtc_cmos_config *config, rtc_cmos_clock_fn clock)
{
    if (vm->index >= VM_MAX_VMS)
        panic("vm %s: no RTC slot", vm->name);
    struct rtc_cmos_slot *s = &rtc_slots[vm->index];
    irq_line_init(&s->irq, RTC_IRQ);
    s->clock = clock;
    rtc_init(&s->rtc, &s->irq, config, clock(vm));
    s->attached = true;
    vm_register_pio(vm, RTC_INDEX_PORT, RTC_DATA_PORT, rtc_pio, s, "rtc");
}

struct rtc_cmos *rtc_cmos_of(struct vm *vm)
{
    if (vm->index >= VM_MAX_VMS || !rtc_slots[vm->index].attached)
        return NULL;
    return &rtc_slots[vm->index].rtc;
}
