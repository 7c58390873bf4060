/*
 * The PC's real-time clock and CMOS RAM at ports 0x70/0x71
 * (guest/dev/rtc_cmos.c), modelled on the Motorola MC146818A data sheet
 * ("the data sheet") as PC chipsets embed it, with the IBM AT's use of
 * the RAM: century at 0x32, memory sizes where SeaBIOS-style BIOSes read
 * them.  Register names are the data sheet's (registers A-D; SET, PIE, AIE,
 * UIE, SQWE, DM, 24/12, DSE; IRQF, PF, AF, UF; UIP, DV, RS; VRT).
 *
 * Two layers in one file:
 * - a pure model, struct rtc_cmos: no CPU access and no clock of its own.
 *   Every function that depends on time takes `now_ns`, the guest's current
 *   time in nanoseconds.  now_ns must not go backwards; a smaller value
 *   than one seen before is taken as the earlier one.  Nothing is done per
 *   tick: time, flags and the IRQ are computed from now_ns when asked.
 * - rtc_cmos_attach(): one model per VM on ports 0x70-0x71, with a clock
 *   function giving now_ns.
 *
 * Ports: 0x70 takes the register index in bits 6:0 and the PC's NMI mask in
 * bit 7 (1 = NMIs disabled: kept for keel, see rtc_nmi_disabled()); it is
 * write-only and reads 0xFF.  0x71 reads and writes the indexed register.
 *
 * Time base.  The divider chain runs at 32.768 kHz from the moment it was
 * last started (rtc_init, or register A's DV going to 010); all events are
 * whole cycles of it from there:
 * - the update cycle comes 500 ms after the start and every second after;
 *   the time registers change at once at each update (no 1984 us window of
 *   undefined values).  UIP (register A bit 7) reads 1 for the 8 cycles
 *   (244 us) before each update, so a guest that sees UIP = 0 has at least
 *   244 us to read a consistent time, as the data sheet promises.
 * - periodic flags every 2^(RS-1) cycles (RS = 3-15: 122.070 us to 500 ms;
 *   RS = 1 and 2 give 3.90625 ms and 7.8125 ms as RS = 8 and 9 do; RS = 0
 *   none), counted from the start.
 * DV = 010 runs the chain; any other DV holds it (11x is the data sheet's
 * reset; the other values select a time base a PC's crystal does not have,
 * so the clock would not keep time): the time stops, no update, UIP or
 * periodic flag happens until DV = 010 restarts it.
 *
 * The clock.  Seconds, minutes, hours, day of week (1-7, Sunday = 1), day
 * of month, month, year (00-99) and century (CMOS 0x32) read in BCD or in
 * binary per DM, hours in 24- or 12-hour form per 24/12 (12-hour: 1-12 with
 * bit 7 = PM).  The model keeps the time in binary 24-hour form and encodes
 * it at each read, so a change of DM or 24/12 shows in the next read
 * without the guest rewriting the time (silicon needs the rewrite); the
 * alarm bytes are stored as written and compared byte for byte with the
 * time registers in the current form, as the data sheet does, and a byte
 * of 11xxxxxx matches anything.  Writes to the time registers set them
 * (decoded per DM and 24/12) at any time; SET = 1 stops the updates and
 * clears UIE, SET = 0 lets them resume at the next update time.  Values
 * out of range (minute 75, month 13, a BCD digit above 9) are kept until
 * the next update, which normalises them into a valid date and time as
 * calendar arithmetic would.  The calendar is the Gregorian one from year
 * 0000 to 9999, with leap years; 9999 wraps to 0000.  DSE (daylight
 * saving) is stored and has no effect.  SQWE is stored (the SQW pin goes
 * nowhere on a PC).
 *
 * Interrupts.  Register C holds PF, AF and UF, set at the periodic rate, at
 * each update whose new time matches the alarm, and at each update,
 * whatever the enable bits say; IRQF (bit 7) = (PF and PIE) or (AF and AIE)
 * or (UF and UIE).  IRQ 8 (through an irq_line) is IRQF: it rises when a
 * flag is set with its enable bit (or an enable bit is set with its flag)
 * and falls when register C is read, which clears all flags.  Periodic
 * interrupts that come while PF is still set (register C not read since
 * the previous one) with PIE = 1 merge into it; they are counted in
 * periodic_lost.  rtc_next_event_ns() gives the guest time at which IRQ 8
 * would next rise, so keel can arm a host timer and call rtc_update().
 * Register D reads 0x80 (VRT: the battery is good).
 *
 * CMOS RAM: bytes 0x0E-0x7F are kept as written, 0x32 being the clock's
 * century.  rtc_init fills the memory size bytes from the configuration:
 * 0x15-0x16 base memory in KiB (at most 640), 0x17-0x18 and 0x30-0x31
 * memory above 1 MiB in KiB (at most 0xFFFF), 0x34-0x35 memory above
 * 16 MiB in 64 KiB units (at most 0xFFFF), 0x5B-0x5D memory above 4 GiB in
 * 64 KiB units (QEMU's extension, which SeaBIOS reads); every other RAM
 * byte is 0.
 *
 * Reset (rtc_init): register A = 0x26 (DV = 010, 1024 Hz), B = 0x02
 * (24-hour, BCD, no interrupts), flags clear, alarms 0, index 0, NMIs
 * enabled, the time the configuration gives, the divider started at
 * rtc_init's now_ns.
 */
#ifndef KEEL_GUEST_DEV_RTC_CMOS_H
#define KEEL_GUEST_DEV_RTC_CMOS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

#define RTC_INDEX_PORT          0x70
#define RTC_DATA_PORT           0x71
#define RTC_IRQ                 8
#define RTC_CMOS_SIZE           128

/* Register indexes (the data sheet's address map; 0x32 is the PC's). */
enum rtc_register {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    RTC_FIRST_RAM = 0x0e,
    RTC_CENTURY = 0x32,
};

struct rtc_cmos_config {
    uint64_t start_unix_seconds;        /* UTC wall time at rtc_init's now_ns */
    uint64_t ram_below_4g;              /* bytes of guest RAM from address 0, below 4 GiB */
    uint64_t ram_above_4g;              /* bytes of guest RAM from 4 GiB */
};

/* The clock, binary, 24-hour. */
struct rtc_time_fields {
    uint8_t second, minute, hour;
    uint8_t day_of_week;                /* 1-7, Sunday = 1 */
    uint8_t day, month;                 /* 1-31, 1-12 */
    uint16_t year;                      /* 0-9999: century * 100 + year register */
};

/* One RTC.  Public only for static allocation and for tests; use the
 * functions below. */
struct rtc_cmos {
    struct irq_line *irq;
    uint8_t index;                      /* port 0x70 bits 6:0 */
    bool nmi_disabled;                  /* port 0x70 bit 7 */
    uint8_t reg_a;                      /* bits 6:0; UIP is computed */
    uint8_t reg_b;
    uint8_t flags;                      /* register C's PF, AF, UF */
    uint8_t alarm_second, alarm_minute, alarm_hour;    /* as written */
    struct rtc_time_fields time;        /* as of the last update done */
    uint8_t ram[RTC_CMOS_SIZE];         /* bytes 0x0E-0x7F used */
    bool divider_running;
    uint64_t divider_start_ns;          /* guest time the divider chain started */
    uint64_t cycles_done;               /* 32.768 kHz cycles since then accounted for */
    uint64_t last_ns;                   /* the latest now_ns seen */
    uint64_t periodic_lost;             /* periodic interrupts merged (see above) */
};

/* Puts `rtc` in the reset state above at guest time now_ns, with the
 * clock and memory sizes of `config`, and connects IRQ 8 to `irq` (not
 * NULL, the caller's; set low). */
void rtc_init(struct rtc_cmos *rtc, struct irq_line *irq, const struct rtc_cmos_config *config,
              uint64_t now_ns);

/* One guest byte read of `port` (0x70, 0x71) at guest time now_ns; other
 * ports read 0xFF.  Reading register C clears the flags and lowers IRQ 8. */
uint8_t rtc_read(struct rtc_cmos *rtc, uint16_t port, uint64_t now_ns);

/* One guest byte write of `value` to `port` (0x70, 0x71) at guest time
 * now_ns; other ports are ignored.  Writes to registers C and D and to
 * UIP are ignored. */
void rtc_write(struct rtc_cmos *rtc, uint16_t port, uint8_t value, uint64_t now_ns);

/* Brings flags, time and IRQ 8 up to now_ns.  Call it at the time
 * rtc_next_event_ns() gave; calling it more often is harmless (every read
 * and write does it too). */
void rtc_update(struct rtc_cmos *rtc, uint64_t now_ns);

/* The guest time at which IRQ 8 would next rise (an enabled flag set):
 * never before now_ns (now_ns itself when it is due already and
 * rtc_update() has not been called since), or UINT64_MAX when nothing
 * enabled can raise it: no enabled source, the divider held, or IRQ 8
 * already high (it cannot rise again before register C is read).  Any
 * rtc_read() or rtc_write() may change it: ask again after each. */
uint64_t rtc_next_event_ns(const struct rtc_cmos *rtc, uint64_t now_ns);

/* Port 0x70 bit 7 as last written: true when the guest disabled NMIs. */
bool rtc_nmi_disabled(const struct rtc_cmos *rtc);

struct vm;

/* Gives the guest's current time in nanoseconds (monotonic). */
typedef uint64_t (*rtc_cmos_clock_fn)(struct vm *vm);

/* Emulates the RTC and CMOS RAM on `vm`'s ports 0x70-0x71, reset by every
 * attach with `config` at guest time clock(vm), with guest time from
 * `clock(vm)` at every access.  IRQ 8 is the model's own irq_line,
 * rtc_cmos_of(vm)->irq, which the caller connects to the PIC.  Accesses of
 * 2 or 4 bytes are split into byte accesses at port, port+1, ...; bytes
 * beyond 0x71 read 0xFF and are not written. */
void rtc_cmos_attach(struct vm *vm, const struct rtc_cmos_config *config,
                     rtc_cmos_clock_fn clock);

/* The model attached to `vm`, or NULL when none is. */
struct rtc_cmos *rtc_cmos_of(struct vm *vm);

#endif
