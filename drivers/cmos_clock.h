/* The host's battery-backed clock (drivers/cmos_clock.c), read once to give
 * each VM's emulated RTC the current date and time. */
#ifndef KEEL_DRIVERS_CMOS_CLOCK_H
#define KEEL_DRIVERS_CMOS_CLOCK_H

#include <stdint.h>

/* Seconds since 1970-01-01 00:00 as the host's MC146818-compatible RTC
 * reads now, taken as UTC (a PC's RTC holds whatever its owner set).
 * The first call reads the chip; later calls add the TSC time since. */
uint64_t cmos_clock_unix_seconds(void);

#endif
