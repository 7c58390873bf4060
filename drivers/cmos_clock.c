/*
 * Reading the host's RTC (Motorola MC146818A data sheet, as every PC chipset
 * embeds it): wait until no update is in progress, read the time, and read
 * again until two reads agree, since an update may start between the check
 * and the reads.
 */
#include "drivers/cmos_clock.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

#define CMOS_INDEX_PORT 0x70
#define CMOS_DATA_PORT  0x71
#define CMOS_NMI_DISABLE 0x80   /* keep host NMIs masked while indexing */
#define REG_SECONDS     0x00
#define REG_MINUTES     0x02
#define REG_HOURS       0x04
#define REG_DAY         0x07
#define REG_MONTH       0x08
#define REG_YEAR        0x09
#define REG_A           0x0a
#define REG_B           0x0b
#define REG_CENTURY     0x32
#define REG_A_UIP       0x80
#define REG_B_24HOUR    0x02
#define REG_B_BINARY    0x04
#define HOURS_PM        0x80
#define NS_PER_SECOND   UINT64_C(1000000000)

struct cmos_time {
    uint8_t second, minute, hour, day, month, year, century;
};

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX_PORT, CMOS_NMI_DISABLE | reg);
    return inb(CMOS_DATA_PORT);
}

static void read_raw(struct cmos_time *t)
{
    while (cmos_read(REG_A) & REG_A_UIP)
        cpu_relax();
    t->second = cmos_read(REG_SECONDS);
    t->minute = cmos_read(REG_MINUTES);
    t->hour = cmos_read(REG_HOURS);
    t->day = cmos_read(REG_DAY);
    t->month = cmos_read(REG_MONTH);
    t->year = cmos_read(REG_YEAR);
    t->century = cmos_read(REG_CENTURY);
}

static bool same_time(const struct cmos_time *a, const struct cmos_time *b)
{
    return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
           a->day == b->day && a->month == b->month && a->year == b->year &&
           a->century == b->century;
}

static unsigned from_bcd(uint8_t v)
{
    return (v >> 4) * 10u + (v & 0xf);
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian), by the
 * usual shift of the year to start in March so February comes last. */
static uint64_t days_since_epoch(unsigned year, unsigned month, unsigned day)
{
    if (month <= 2) {
        year--;
        month += 12;
    }
    uint64_t days = 365u * (uint64_t)year + year / 4 - year / 100 + year / 400 +
                    (153u * (month - 3) + 2) / 5 + day - 1;
    const uint64_t days_to_1970 = 719468;    /* this count for 1970-01-01 */
    return days - days_to_1970;
}

static uint64_t to_unix_seconds(const struct cmos_time *raw, uint8_t reg_b)
{
    bool bcd = !(reg_b & REG_B_BINARY);
    unsigned pm = raw->hour & HOURS_PM;
    unsigned hour = bcd ? from_bcd(raw->hour & ~HOURS_PM) : (raw->hour & ~HOURS_PM);
    unsigned second = bcd ? from_bcd(raw->second) : raw->second;
    unsigned minute = bcd ? from_bcd(raw->minute) : raw->minute;
    unsigned day = bcd ? from_bcd(raw->day) : raw->day;
    unsigned month = bcd ? from_bcd(raw->month) : raw->month;
    unsigned year = bcd ? from_bcd(raw->year) : raw->year;
    unsigned century = bcd ? from_bcd(raw->century) : raw->century;
    if (!(reg_b & REG_B_24HOUR))
        hour = hour % 12 + (pm ? 12 : 0);
    /* A chipset without the century byte reads 0 there. */
    year += (century >= 19 && century <= 99 ? century : 20) * 100;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 59)
        return 0;
    return days_since_epoch(year, month, day) * 86400 + hour * 3600u + minute * 60u + second;
}

uint64_t cmos_clock_unix_seconds(void)
{
    static uint64_t seconds_at_read, tsc_at_read;
    static bool read;
    if (!read) {
        struct cmos_time a, b;
        read_raw(&a);
        for (;;) {
            read_raw(&b);
            if (same_time(&a, &b))
                break;
            a = b;
        }
        seconds_at_read = to_unix_seconds(&a, cmos_read(REG_B));
        tsc_at_read = rdtsc();
        read = true;
    }
    uint32_t khz = tsc_khz();
    if (!khz)
        return seconds_at_read;
    return seconds_at_read + tsc_to_ns(rdtsc() - tsc_at_read, khz) / NS_PER_SECOND;
}
