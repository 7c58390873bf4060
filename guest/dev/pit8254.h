/*
 * The PC's 8254 programmable interval timer at ports 0x40-0x43 and the
 * timer bits of system control port B at 0x61 (guest/dev/pit8254.c),
 * modelled on the Intel 8254 Programmable Interval Timer data sheet ("the
 * data sheet").  Names are the data sheet's: CR (count register), CE
 * (counting element), OUT, GATE, null count, modes 0-5.
 *
 * Two layers in one file:
 * - a pure model, struct pit8254: no CPU access and no clock of its own.
 *   Every function that depends on time takes `now_ns`, the guest's current
 *   time in nanoseconds.  The counters are clocked at PIT_FREQUENCY_HZ from
 *   guest time 0: clock pulse k falls at ceil(k * 1e9 / PIT_FREQUENCY_HZ) ns.
 *   Counts are computed from now_ns when asked (no per-tick work).  now_ns
 *   must not go backwards; a smaller value than one seen before is taken as
 *   the earlier one.
 * - pit8254_attach(): one model per VM on ports 0x40-0x43 and 0x61, with a
 *   clock function giving now_ns.
 *
 * Wiring, as on a PC: GATE0 and GATE1 are tied high; GATE2 is port 0x61
 * bit 0; OUT0 drives IRQ 0 through an irq_line; OUT2 reads back as port 0x61
 * bit 5 (its path to the speaker, bit 1, is stored and goes nowhere); OUT1
 * (DRAM refresh) is not connected.
 *
 * The IRQ 0 line.  It follows OUT0, brought up to date at every call that
 * takes now_ns (pit_update, pit_read, pit_write).  Each rising edge of OUT0
 * since the previous call becomes one low-to-high transition of the line,
 * but at most one per call: when OUT0 rose n > 1 times in between (the
 * guest was not run, or pit_update not called, for several periods), the
 * line makes one transition and pit_irq0_lost_ticks() grows by n - 1.  An
 * edge-triggered PIC thus sees one request for a run of missed ticks;
 * a guest that counts ticks to keep time falls behind by that count, which
 * keel may use to catch it up.  After a call the line is at OUT0's level at
 * now_ns (so in mode 3 it can be low again).  The line also moves at once
 * when the guest changes OUT0 directly (a control word sets OUT0 low in mode
 * 0, high in modes 1-5).  pit_next_event_ns() says when the next rising
 * edge is due, so keel can arm a host timer for that guest time and call
 * pit_update() then.
 *
 * Modes, all six implemented as the data sheet's "Mode Definitions":
 * - 0 interrupt on terminal count, 4 software triggered strobe: counting
 *   starts on the clock pulse after the count is written (OUT0 rises N + 1
 *   pulses after the write in mode 0; mode 4 strobes OUT low for one pulse
 *   at N + 1 and OUT is high again at N + 2); GATE low pauses counting.  In
 *   mode 0 a count write sets OUT low at once, and the first byte of a
 *   two-byte count also stops counting until the second.
 * - 1 and 5: hardware triggered one-shot and strobe, started (and
 *   restarted) by a rising edge of GATE, so only channel 2 can use them.
 * - 2 rate generator: OUT low for the last pulse of every N; 3 square
 *   wave: OUT high for ceil(N/2) pulses and low for floor(N/2).  The CE
 *   reads N..1 in mode 2; in mode 3 it counts down by two from N (N - 1
 *   for odd N) in each half.  A count written while counting is loaded at
 *   the end of the current period (the data sheet loads mode 3's at the end
 *   of the current half-period; the model waits for the full period).  GATE
 *   low stops counting and forces OUT high; GATE rising restarts the period.
 *   A count of 1 (illegal in both modes) gives no edges: OUT stays low in
 *   mode 2, high in mode 3.
 * - Modes 6 and 7 are modes 2 and 3, as the data sheet says.
 * - A count of 0 means 65536 (binary) or 10000 (BCD).
 * - BCD counting (control word bit 0) is implemented: counts are written
 *   and read as four BCD digits and count modulo 10000.  A written digit
 *   above 9 is taken at its binary weight (0xFFFF is 16665, reduced modulo
 *   10000 to 6665).
 * - Between a count write and the clock pulse that loads it (under 1 us) the
 *   CE reads what it held before.
 * Reading and latching:
 * - Counter latch and read-back commands latch count and status once until
 *   read; further latch commands are ignored until then.  Status is read
 *   before the count when both are latched.  A control word discards
 *   unread latches (a latch lasts until read or until the counter is
 *   reprogrammed).
 * - Status byte: OUT (bit 7), null count (bit 6: a written count has not
 *   reached the CE yet), then control word bits 5:0 as written.
 * - Two-byte counts are written and read low byte first, with separate
 *   read and write byte toggles, so reads and writes may interleave (8254,
 *   not 8253).  Port 0x43 reads 0xFF (write-only).
 * Reset (pit_init): no counter programmed; each channel is as if control
 * word "low then high byte, mode 0, binary" had been written and no count:
 * not counting, OUT low, null count.  Port 0x61 bits 3:0 are 0 (GATE2 low).
 *
 * Port 0x61 (system control port B) as read: bit 0 GATE2, bit 1 speaker
 * data, bits 2-3 as written (parity and channel check enables, no effect),
 * bit 4 the refresh toggle, bit 5 OUT2, bits 6-7 0 (no parity or channel
 * check error).  Writes keep bits 3:0 only.  The refresh toggle flips every
 * 18 PIT clock pulses (15.1 us, the refresh period BIOSes program into
 * channel 1), computed from now_ns, whatever channel 1 is programmed to.
 */
#ifndef KEEL_GUEST_DEV_PIT8254_H
#define KEEL_GUEST_DEV_PIT8254_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

#define PIT_FREQUENCY_HZ        1193182u
#define PIT_CHANNEL0_PORT       0x40
#define PIT_CHANNEL1_PORT       0x41
#define PIT_CHANNEL2_PORT       0x42
#define PIT_CONTROL_PORT        0x43
#define PIT_PORT_B              0x61    /* system control port B */
#define PIT_NR_CHANNELS         3
#define PIT_IRQ                 0       /* OUT0's ISA IRQ */

/* What a channel's counting element is doing. */
enum pit_ce_state {
    PIT_CE_IDLE,                /* not counting: waits for a count or a GATE trigger */
    PIT_CE_PAUSED,              /* mode 0 or 4 held by GATE low, count loaded */
    PIT_CE_RUNNING,
};

/* One counter.  Public only for static allocation and for tests; use the
 * functions below.  Counts in the CE fields are binary, 0 to modulus - 1
 * (65536 or 10000); CR is kept as written (BCD digits in BCD mode). */
struct pit8254_channel {
    /* programming */
    uint8_t control;            /* control word bits 5:0: RW, M, BCD */
    uint8_t mode;               /* 0-5 */
    uint8_t access;             /* RW: 1 low byte, 2 high byte, 3 low then high */
    bool bcd;
    bool gate;
    uint16_t count_register;    /* CR: the last count written */
    bool have_count;            /* a complete count was written since the control word */
    bool write_msb_next, read_msb_next;
    uint8_t write_lsb;
    bool count_latched, status_latched;
    uint16_t latched_count;     /* as read: BCD digits in BCD mode */
    uint8_t latched_status;
    uint64_t null_until;        /* null count until this clock pulse (UINT64_MAX: a trigger) */

    /* the counting element */
    enum pit_ce_state state;
    uint32_t held_count;        /* IDLE, PAUSED: the CE */
    bool held_out;              /* IDLE, PAUSED: OUT */
    bool armed;                 /* modes 0, 1, 4, 5: terminal count (strobe) still ahead */
    uint64_t origin;            /* RUNNING: the pulse that loaded (or resumed) the CE */
    uint32_t origin_count;      /* RUNNING, modes 0, 1, 4, 5: CE at origin (0 = modulus) */
    uint32_t period;            /* RUNNING, modes 2, 3: N, 1 to modulus */
    uint32_t pre_count;         /* RUNNING: CE and OUT before origin */
    bool pre_out;
    bool reload_pending;        /* modes 2, 3: a new N waits for the end of the period */
    uint64_t reload_at;
    uint32_t reload_period;
};

struct pit8254 {
    struct pit8254_channel channel[PIT_NR_CHANNELS];
    struct irq_line *irq0;
    uint8_t port_b;             /* port 0x61 bits 3:0 as written */
    uint64_t now_tick;          /* the latest clock pulse seen: time never goes back */
    uint64_t irq_tick;          /* OUT0's edges up to this pulse are on the line */
    uint64_t irq0_lost;         /* rising edges of OUT0 merged into an earlier one */
};

/* Puts `pit` in the reset state above and connects OUT0 to `irq0` (not
 * NULL, the caller's; set low). */
void pit_init(struct pit8254 *pit, struct irq_line *irq0);

/* One guest byte read of `port` (0x40-0x43, 0x61) at guest time now_ns;
 * other ports read 0xFF.  Brings IRQ 0 up to date first. */
uint8_t pit_read(struct pit8254 *pit, uint16_t port, uint64_t now_ns);

/* One guest byte write of `value` to `port` (0x40-0x43, 0x61) at guest
 * time now_ns; other ports are ignored.  Brings IRQ 0 up to date first,
 * then moves the line if the write changed OUT0. */
void pit_write(struct pit8254 *pit, uint16_t port, uint8_t value, uint64_t now_ns);

/* Raises and lowers IRQ 0 for the time passed up to now_ns (see "The IRQ 0
 * line" above).  Call it at the time pit_next_event_ns() gave; calling it
 * more often is harmless. */
void pit_update(struct pit8254 *pit, uint64_t now_ns);

/* The guest time at which OUT0 next rises, i.e. when pit_update() must be
 * called for IRQ 0 to rise: never before now_ns (now_ns itself when an edge
 * is already due and pit_update() has not been called since), or UINT64_MAX
 * when OUT0 cannot rise again before the guest reprograms channel 0.  Any
 * pit_write() may change it: ask again after each. */
uint64_t pit_next_event_ns(const struct pit8254 *pit, uint64_t now_ns);

/* The rising edges of OUT0 that were merged into an earlier one (see
 * above), since pit_init(). */
uint64_t pit_irq0_lost_ticks(const struct pit8254 *pit);

struct vm;

/* Gives the guest's current time in nanoseconds (monotonic). */
typedef uint64_t (*pit8254_clock_fn)(struct vm *vm);

/* Emulates the 8254 and port 0x61's timer bits on `vm`'s ports 0x40-0x43
 * and 0x61 (two port ranges), reset by every attach, with guest time from
 * `clock(vm)` at every access.  OUT0 drives the model's own irq_line for
 * IRQ 0, pit8254_of(vm)->irq0, which the caller connects to the PIC.
 * Accesses of 2 or 4 bytes are split into byte accesses at port, port+1,
 * ... as the ISA bus does; bytes beyond 0x43 (or 0x61) read 0xFF and are
 * not written. */
void pit8254_attach(struct vm *vm, pit8254_clock_fn clock);

/* The model attached to `vm`, or NULL when none is. */
struct pit8254 *pit8254_of(struct vm *vm);

#endif
