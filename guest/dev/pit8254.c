/*
 * The guests' 8254 PIT and port 0x61: a model of the Intel 8254 that
 * computes every counter from the guest time it is given (guest/dev/
 * pit8254.h says what it does), then the glue that puts one on a VM's
 * ports.  Section names cited are the 8254 data sheet's.
 *
 * Time.  Clock pulse k (k >= 1) falls at guest time ceil(k * 1e9 / f) ns,
 * f = PIT_FREQUENCY_HZ; at time t, floor(t * f / 1e9) pulses have fallen.
 * "Tick t" below is that count.  A counter is described by a state and, when
 * running, by the tick `origin` at which its CE held a known value; its CE
 * and OUT at any later tick follow in closed form:
 * - modes 0, 1, 4, 5 (one-shot): the CE counts down from origin_count,
 *   wrapping at the modulus; the terminal count (CE = 0) comes
 *   origin_count ticks after origin (the modulus when origin_count is 0) and
 *   only matters while `armed` (the CE wraps on without another one).
 * - modes 2, 3 (periodic): tick origin + k * period starts period k; OUT is
 *   high for the first high_ticks() ticks of each period and low for the
 *   rest, so it rises at origin + k * period (k >= 1) whenever both parts
 *   are non-empty.
 * A count written, a GATE edge or a control word re-describes the counter at
 * the tick it happens; nothing is done per tick.
 */
#include "guest/dev/pit8254.h"

#include "guest/vm.h"
#include "kernel/log.h"

/* Control word ("Control Word Format"): SC1-0, RW1-0, M2-0, BCD. */
#define CW_SELECT_SHIFT         6
#define CW_READ_BACK            3       /* SC = 11 */
#define CW_ACCESS_SHIFT         4
#define CW_ACCESS_MASK          0x03
#define CW_LATCH                0       /* RW = 00: counter latch command */
#define CW_MODE_SHIFT           1
#define CW_MODE_MASK            0x07
#define CW_BCD                  0x01
#define CW_PROGRAM_MASK         0x3f    /* the bits the status byte repeats */

/* RW values */
#define ACCESS_LSB              1
#define ACCESS_MSB              2
#define ACCESS_LSB_MSB          3

/* Read-back command ("Read-Back Command"): bits 5 and 4 are active low. */
#define RB_NO_COUNT             0x20
#define RB_NO_STATUS            0x10
#define RB_CHANNEL(n)           (0x02u << (n))

/* Status byte ("Status Byte") */
#define STATUS_OUT              0x80
#define STATUS_NULL_COUNT       0x40

/* Port 0x61 */
#define PORT_B_GATE2            0x01
#define PORT_B_WRITABLE         0x0f
#define PORT_B_REFRESH          0x10
#define PORT_B_OUT2             0x20
#define REFRESH_TICKS           18      /* channel 1's refresh count on PCs */

#define BINARY_MODULUS          65536u
#define BCD_MODULUS             10000u
#define NS_PER_S                UINT64_C(1000000000)
#define NO_TICK                 UINT64_MAX
#define FLOATING_BUS            0xff
#define BITS_PER_BYTE           8
#define BCD_DIGITS              4
#define BCD_DIGIT_MASK          0x0f
#define BCD_DIGIT_BITS          4

/* pit_init()'s stand-in for "unprogrammed": low then high byte, mode 0. */
#define RESET_CONTROL           (ACCESS_LSB_MSB << CW_ACCESS_SHIFT)

/* ---- time ---- */

/* Clock pulses fallen by guest time ns: floor(ns * f / 1e9) without
 * overflow (the remainder times f stays below 2^51). */
static uint64_t tick_at(uint64_t ns)
{
    return ns / NS_PER_S * PIT_FREQUENCY_HZ + ns % NS_PER_S * PIT_FREQUENCY_HZ / NS_PER_S;
}

/* The guest time at which pulse `tick` falls: ceil(tick * 1e9 / f). */
static uint64_t ns_of_tick(uint64_t tick)
{
    uint64_t seconds = tick / PIT_FREQUENCY_HZ, rest = tick % PIT_FREQUENCY_HZ;
    if (seconds > UINT64_MAX / NS_PER_S - 1)
        return UINT64_MAX;
    return seconds * NS_PER_S + (rest * NS_PER_S + PIT_FREQUENCY_HZ - 1) / PIT_FREQUENCY_HZ;
}

/* ---- counts and BCD ---- */

static uint32_t modulus(const struct pit8254_channel *ch)
{
    return ch->bcd ? BCD_MODULUS : BINARY_MODULUS;
}

/* A count as written (CR) or read: binary, or four BCD digits. */
static uint32_t count_from_register(const struct pit8254_channel *ch, uint16_t raw)
{
    if (!ch->bcd)
        return raw;
    uint32_t value = 0;
    for (int digit = BCD_DIGITS - 1; digit >= 0; digit--)
        value = value * 10 + ((raw >> (BCD_DIGIT_BITS * digit)) & BCD_DIGIT_MASK);
    return value % BCD_MODULUS;
}

static uint16_t count_to_register(const struct pit8254_channel *ch, uint32_t value)
{
    if (!ch->bcd)
        return (uint16_t)value;
    uint16_t raw = 0;
    for (unsigned digit = 0; digit < BCD_DIGITS; digit++, value /= 10)
        raw |= (uint16_t)((value % 10) << (BCD_DIGIT_BITS * digit));
    return raw;
}

/* N, the initial count as a number of pulses: 0 stands for the modulus. */
static uint32_t initial_count(const struct pit8254_channel *ch)
{
    uint32_t n = count_from_register(ch, ch->count_register);
    return n ? n : modulus(ch);
}

/* ---- periodic modes 2 and 3 ---- */

static bool is_periodic(const struct pit8254_channel *ch)
{
    return ch->mode == 2 || ch->mode == 3;
}

/* Ticks of each period with OUT high: all but the last in mode 2, the
 * larger half in mode 3 ("Mode 3": (N+1)/2 of N for odd N). */
static uint32_t high_ticks(unsigned mode, uint32_t period)
{
    return mode == 2 ? period - 1 : (period + 1) / 2;
}

static bool period_has_edges(unsigned mode, uint32_t period)
{
    uint32_t high = high_ticks(mode, period);
    return high > 0 && high < period;
}

/* The CE `phase` ticks into a period.  Mode 3 counts down by two through
 * each half, from N, or from N - 1 when N is odd ("Mode 3"). */
static uint32_t periodic_count(unsigned mode, uint32_t period, uint32_t phase, uint32_t mod)
{
    if (mode == 2)
        return (period - phase) % mod;
    uint32_t high = high_ticks(mode, period);
    uint32_t into_half = phase < high ? phase : phase - high;
    return ((period & ~1u) - 2 * into_half) % mod;
}

/* The period in force at tick t: the pending reload once its time came. */
static void periodic_regime(const struct pit8254_channel *ch, uint64_t t, uint64_t *origin,
                            uint32_t *period)
{
    if (ch->reload_pending && t >= ch->reload_at) {
        *origin = ch->reload_at;
        *period = ch->reload_period;
    } else {
        *origin = ch->origin;
        *period = ch->period;
    }
}

/* Rising edges at origin + k * period, k >= 1, within (a, b]. */
static uint64_t periodic_edges_between(unsigned mode, uint64_t origin, uint32_t period,
                                       uint64_t a, uint64_t b)
{
    if (b <= a || !period_has_edges(mode, period))
        return 0;
    uint64_t upto_b = b > origin ? (b - origin) / period : 0;
    uint64_t upto_a = a > origin ? (a - origin) / period : 0;
    return upto_b - upto_a;
}

/* The first period boundary (origin + k * period, k >= 1) after tick a. */
static uint64_t next_period_start(uint64_t origin, uint32_t period, uint64_t a)
{
    uint64_t k = (a >= origin ? (a - origin) / period : 0) + 1;
    return origin + k * period;
}

/* The first rising edge after tick a, or NO_TICK. */
static uint64_t periodic_next_edge(unsigned mode, uint64_t origin, uint32_t period, uint64_t a)
{
    if (!period_has_edges(mode, period))
        return NO_TICK;
    return next_period_start(origin, period, a);
}

/* Whether the switch to a pending reload is itself a rising edge: OUT is
 * low in the old period's last tick and high in the new one's first. */
static bool reload_rises(const struct pit8254_channel *ch)
{
    return high_ticks(ch->mode, ch->period) < ch->period &&
           high_ticks(ch->mode, ch->reload_period) > 0;
}

/* ---- one-shot modes 0, 1, 4, 5 ---- */

/* The tick at which the CE reaches 0 (the terminal count). */
static uint64_t terminal_tick(const struct pit8254_channel *ch)
{
    return ch->origin + (ch->origin_count ? ch->origin_count : modulus(ch));
}

/* The tick at which OUT rises: at the terminal count in modes 0 and 1, one
 * pulse after it in the strobe modes 4 and 5. */
static uint64_t oneshot_rise_tick(const struct pit8254_channel *ch)
{
    bool strobe = ch->mode == 4 || ch->mode == 5;
    return terminal_tick(ch) + (strobe ? 1 : 0);
}

/* OUT at tick t >= origin: low until the terminal count in modes 0 and 1,
 * low for the terminal count's pulse only in modes 4 and 5. */
static bool oneshot_out(const struct pit8254_channel *ch, uint64_t t)
{
    if (!ch->armed)
        return true;
    if (ch->mode == 4 || ch->mode == 5)
        return t != terminal_tick(ch);
    return t >= terminal_tick(ch);
}

/* ---- a channel at a given tick ---- */

/* The CE at tick t, binary. */
static uint32_t channel_count(const struct pit8254_channel *ch, uint64_t t)
{
    if (ch->state != PIT_CE_RUNNING)
        return ch->held_count;
    if (t < ch->origin)
        return ch->pre_count;
    uint32_t mod = modulus(ch);
    if (is_periodic(ch)) {
        uint64_t origin;
        uint32_t period;
        periodic_regime(ch, t, &origin, &period);
        return periodic_count(ch->mode, period, (uint32_t)((t - origin) % period), mod);
    }
    uint32_t elapsed = (uint32_t)((t - ch->origin) % mod);
    return (ch->origin_count + mod - elapsed) % mod;
}

static bool channel_out(const struct pit8254_channel *ch, uint64_t t)
{
    if (ch->state != PIT_CE_RUNNING)
        return ch->held_out;
    if (t < ch->origin)
        return ch->pre_out;
    if (!is_periodic(ch))
        return oneshot_out(ch, t);
    uint64_t origin;
    uint32_t period;
    periodic_regime(ch, t, &origin, &period);
    return (t - origin) % period < high_ticks(ch->mode, period);
}

/* Rising edges of OUT within ticks (a, b], from counting alone. */
static uint64_t channel_rising_edges(const struct pit8254_channel *ch, uint64_t a, uint64_t b)
{
    if (b <= a || ch->state != PIT_CE_RUNNING)
        return 0;
    if (!is_periodic(ch)) {
        uint64_t rise = oneshot_rise_tick(ch);
        return ch->armed && rise > a && rise <= b;
    }
    if (!ch->reload_pending)
        return periodic_edges_between(ch->mode, ch->origin, ch->period, a, b);
    uint64_t r = ch->reload_at;
    uint64_t edges = 0;
    if (a < r) {
        edges += periodic_edges_between(ch->mode, ch->origin, ch->period, a,
                                        b < r - 1 ? b : r - 1);
        if (r <= b && reload_rises(ch))
            edges++;
    }
    if (b > r)
        edges += periodic_edges_between(ch->mode, r, ch->reload_period, a > r ? a : r, b);
    return edges;
}

/* The first rising edge of OUT after tick a from counting alone, or
 * NO_TICK. */
static uint64_t channel_next_rise(const struct pit8254_channel *ch, uint64_t a)
{
    if (ch->state != PIT_CE_RUNNING)
        return NO_TICK;
    if (!is_periodic(ch)) {
        uint64_t rise = oneshot_rise_tick(ch);
        return ch->armed && rise > a ? rise : NO_TICK;
    }
    if (!ch->reload_pending)
        return periodic_next_edge(ch->mode, ch->origin, ch->period, a);
    uint64_t r = ch->reload_at;
    if (a < r) {
        uint64_t edge = periodic_next_edge(ch->mode, ch->origin, ch->period, a);
        if (edge < r)
            return edge;
        if (reload_rises(ch))
            return r;
    }
    return periodic_next_edge(ch->mode, r, ch->reload_period, a > r ? a : r);
}

/* Makes a pending reload whose time has come the current period. */
static void channel_settle(struct pit8254_channel *ch, uint64_t t)
{
    if (ch->state == PIT_CE_RUNNING && ch->reload_pending && t >= ch->reload_at) {
        ch->origin = ch->reload_at;
        ch->period = ch->reload_period;
        ch->reload_pending = false;
    }
}

static uint8_t channel_status(const struct pit8254_channel *ch, uint64_t t)
{
    uint8_t status = ch->control;
    if (channel_out(ch, t))
        status |= STATUS_OUT;
    if (t < ch->null_until)
        status |= STATUS_NULL_COUNT;
    return status;
}

/* ---- starting, pausing and stopping the CE ---- */

/* The CE starts counting at tick `origin` (> t for a load on the next
 * pulse); before that it reads and outputs what it did at t. */
static void start_running(struct pit8254_channel *ch, uint64_t t, uint64_t origin)
{
    ch->pre_count = channel_count(ch, t);
    ch->pre_out = channel_out(ch, t);
    ch->state = PIT_CE_RUNNING;
    ch->origin = origin;
    ch->reload_pending = false;
}

static void start_oneshot(struct pit8254_channel *ch, uint64_t t, uint64_t origin,
                          uint32_t count, bool armed)
{
    start_running(ch, t, origin);
    ch->origin_count = count;
    ch->armed = armed;
}

static void start_periodic(struct pit8254_channel *ch, uint64_t t)
{
    start_running(ch, t, t + 1);
    ch->pre_out = true;
    ch->period = initial_count(ch);
    ch->null_until = t + 1;
}

static void hold(struct pit8254_channel *ch, enum pit_ce_state state, uint32_t count, bool out)
{
    ch->state = state;
    ch->held_count = count;
    ch->held_out = out;
    ch->reload_pending = false;
}

/* GATE low in mode 0 or 4: the CE keeps its count; a terminal count (or
 * strobe) not reached yet is still to come. */
static void pause_oneshot(struct pit8254_channel *ch, uint64_t t)
{
    if (t < ch->origin) {
        hold(ch, PIT_CE_PAUSED, ch->origin_count, ch->pre_out);
        return;
    }
    uint32_t count = channel_count(ch, t);
    ch->armed = ch->armed && t < terminal_tick(ch);
    hold(ch, PIT_CE_PAUSED, count, ch->mode == 4 || !ch->armed);
}

/* ---- writes ---- */

/* A complete count reached CR ("Mode Definitions": when each mode loads
 * it into the CE). */
static void load_count(struct pit8254_channel *ch, uint16_t raw, uint64_t t)
{
    ch->count_register = raw;
    ch->have_count = true;
    switch (ch->mode) {
    case 0:
    case 4:
        ch->null_until = t + 1;
        if (ch->gate)
            start_oneshot(ch, t, t + 1, count_from_register(ch, raw), true);
        else
            hold(ch, PIT_CE_PAUSED, count_from_register(ch, raw), ch->mode == 4);
        ch->armed = true;
        if (ch->mode == 0)
            ch->pre_out = false;        /* a count write sets OUT low at once */
        break;
    case 1:
    case 5:
        ch->null_until = NO_TICK;       /* until the next GATE trigger */
        break;
    default:                            /* 2, 3 */
        if (ch->state != PIT_CE_RUNNING) {
            if (ch->gate)
                start_periodic(ch, t);
            else
                ch->null_until = NO_TICK;       /* until GATE rises */
        } else if (t < ch->origin) {
            ch->period = initial_count(ch);     /* the load has not happened yet */
        } else {
            if (!ch->reload_pending)
                ch->reload_at = next_period_start(ch->origin, ch->period, t);
            ch->reload_pending = true;
            ch->reload_period = initial_count(ch);
            ch->null_until = ch->reload_at;
        }
        break;
    }
}

/* Mode 0: the first byte of a two-byte count stops the CE and drives OUT
 * low at once, without waiting for a clock pulse ("Mode 0"). */
static void stop_for_first_byte(struct pit8254_channel *ch, uint64_t t)
{
    if (ch->mode == 0)
        hold(ch, PIT_CE_IDLE, channel_count(ch, t), false);
}

static void channel_write_count(struct pit8254_channel *ch, uint8_t value, uint64_t t)
{
    switch (ch->access) {
    case ACCESS_LSB:
        load_count(ch, value, t);
        break;
    case ACCESS_MSB:
        load_count(ch, (uint16_t)(value << BITS_PER_BYTE), t);
        break;
    default:
        if (!ch->write_msb_next) {
            ch->write_lsb = value;
            ch->write_msb_next = true;
            stop_for_first_byte(ch, t);
        } else {
            ch->write_msb_next = false;
            load_count(ch, (uint16_t)(ch->write_lsb | value << BITS_PER_BYTE), t);
        }
        break;
    }
}

/* A control word programs the channel: its control logic restarts and OUT
 * takes the mode's initial level at once, low in mode 0 and high in the
 * others ("Control Word Format").  The CE keeps its value until a count is
 * loaded. */
static void channel_write_control(struct pit8254_channel *ch, uint8_t value, uint64_t t)
{
    uint32_t count = channel_count(ch, t);
    unsigned mode = (value >> CW_MODE_SHIFT) & CW_MODE_MASK;
    ch->control = value & CW_PROGRAM_MASK;
    ch->access = (value >> CW_ACCESS_SHIFT) & CW_ACCESS_MASK;
    ch->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);   /* 6, 7 are 2, 3 */
    ch->bcd = value & CW_BCD;
    ch->have_count = false;
    ch->armed = false;
    ch->write_msb_next = false;
    ch->read_msb_next = false;
    ch->count_latched = false;
    ch->status_latched = false;
    ch->null_until = NO_TICK;
    hold(ch, PIT_CE_IDLE, count % modulus(ch), ch->mode != 0);
}

static void latch_count(struct pit8254_channel *ch, uint64_t t)
{
    if (ch->count_latched)
        return;
    ch->latched_count = count_to_register(ch, channel_count(ch, t));
    ch->count_latched = true;
}

static void latch_status(struct pit8254_channel *ch, uint64_t t)
{
    if (ch->status_latched)
        return;
    ch->latched_status = channel_status(ch, t);
    ch->status_latched = true;
}

static void read_back(struct pit8254 *pit, uint8_t value, uint64_t t)
{
    for (unsigned n = 0; n < PIT_NR_CHANNELS; n++) {
        if (!(value & RB_CHANNEL(n)))
            continue;
        if (!(value & RB_NO_COUNT))
            latch_count(&pit->channel[n], t);
        if (!(value & RB_NO_STATUS))
            latch_status(&pit->channel[n], t);
    }
}

static void write_control_port(struct pit8254 *pit, uint8_t value, uint64_t t)
{
    unsigned select = value >> CW_SELECT_SHIFT;
    if (select == CW_READ_BACK) {
        read_back(pit, value, t);
        return;
    }
    struct pit8254_channel *ch = &pit->channel[select];
    if (((value >> CW_ACCESS_SHIFT) & CW_ACCESS_MASK) == CW_LATCH)
        latch_count(ch, t);
    else
        channel_write_control(ch, value, t);
}

/* GATE edges ("Gate"; the data sheet's table of GATE pin operations). */
static void channel_set_gate(struct pit8254_channel *ch, bool level, uint64_t t)
{
    if (level == ch->gate)
        return;
    ch->gate = level;
    switch (ch->mode) {
    case 0:
    case 4:
        if (!level && ch->state == PIT_CE_RUNNING)
            pause_oneshot(ch, t);
        else if (level && ch->state == PIT_CE_PAUSED)
            start_oneshot(ch, t, t, ch->held_count, ch->armed);
        break;
    case 1:
    case 5:
        if (level && ch->have_count) {
            start_oneshot(ch, t, t + 1, count_from_register(ch, ch->count_register), true);
            ch->null_until = t + 1;
        }
        break;
    default:                            /* 2, 3 */
        if (!level && ch->state == PIT_CE_RUNNING) {
            if (ch->reload_pending)
                ch->null_until = NO_TICK;
            hold(ch, PIT_CE_IDLE, channel_count(ch, t), true);
        } else if (level && ch->have_count) {
            start_periodic(ch, t);
        }
        break;
    }
}

/* ---- reads ---- */

/* The next byte of a count for the channel's RW setting. */
static uint8_t next_count_byte(struct pit8254_channel *ch, uint16_t value, bool *done)
{
    bool msb;
    switch (ch->access) {
    case ACCESS_LSB: msb = false; *done = true; break;
    case ACCESS_MSB: msb = true; *done = true; break;
    default:
        msb = ch->read_msb_next;
        ch->read_msb_next = !msb;
        *done = msb;
        break;
    }
    return (uint8_t)(msb ? value >> BITS_PER_BYTE : value);
}

static uint8_t channel_read(struct pit8254_channel *ch, uint64_t t)
{
    bool done;
    if (ch->status_latched) {
        ch->status_latched = false;
        return ch->latched_status;
    }
    if (ch->count_latched) {
        uint8_t byte = next_count_byte(ch, ch->latched_count, &done);
        if (done)
            ch->count_latched = false;
        return byte;
    }
    return next_count_byte(ch, count_to_register(ch, channel_count(ch, t)), &done);
}

static uint8_t port_b_read(const struct pit8254 *pit, uint64_t t)
{
    uint8_t value = pit->port_b;
    if ((t / REFRESH_TICKS) & 1)
        value |= PORT_B_REFRESH;
    if (channel_out(&pit->channel[2], t))
        value |= PORT_B_OUT2;
    return value;
}

/* ---- IRQ 0 ---- */

static void irq0_follow_out0(struct pit8254 *pit, uint64_t t)
{
    irq_line_set(pit->irq0, channel_out(&pit->channel[0], t));
}

/* Brings the model to guest time now_ns: OUT0's rising edges since the last
 * call become (at most) one rising edge of IRQ 0, then the line takes OUT0's
 * level.  Returns the current tick. */
static uint64_t advance(struct pit8254 *pit, uint64_t now_ns)
{
    uint64_t t = tick_at(now_ns);
    if (t < pit->now_tick)
        t = pit->now_tick;
    pit->now_tick = t;
    uint64_t edges = channel_rising_edges(&pit->channel[0], pit->irq_tick, t);
    pit->irq_tick = t;
    for (unsigned n = 0; n < PIT_NR_CHANNELS; n++)
        channel_settle(&pit->channel[n], t);
    if (edges) {
        pit->irq0_lost += edges - 1;
        irq_line_set(pit->irq0, false);
        irq_line_set(pit->irq0, true);
    }
    irq0_follow_out0(pit, t);
    return t;
}

/* ---- the model's interface ---- */

void pit_init(struct pit8254 *pit, struct irq_line *irq0)
{
    *pit = (struct pit8254){ .irq0 = irq0 };
    for (unsigned n = 0; n < PIT_NR_CHANNELS; n++) {
        struct pit8254_channel *ch = &pit->channel[n];
        ch->gate = n != 2;              /* GATE2 is port 0x61 bit 0, reset 0 */
        channel_write_control(ch, RESET_CONTROL, 0);
    }
    irq_line_set(irq0, false);
}

uint8_t pit_read(struct pit8254 *pit, uint16_t port, uint64_t now_ns)
{
    uint64_t t = advance(pit, now_ns);
    switch (port) {
    case PIT_CHANNEL0_PORT:
    case PIT_CHANNEL1_PORT:
    case PIT_CHANNEL2_PORT:
        return channel_read(&pit->channel[port - PIT_CHANNEL0_PORT], t);
    case PIT_PORT_B:
        return port_b_read(pit, t);
    default:                            /* including the write-only 0x43 */
        return FLOATING_BUS;
    }
}

void pit_write(struct pit8254 *pit, uint16_t port, uint8_t value, uint64_t now_ns)
{
    uint64_t t = advance(pit, now_ns);
    switch (port) {
    case PIT_CHANNEL0_PORT:
    case PIT_CHANNEL1_PORT:
    case PIT_CHANNEL2_PORT:
        channel_write_count(&pit->channel[port - PIT_CHANNEL0_PORT], value, t);
        break;
    case PIT_CONTROL_PORT:
        write_control_port(pit, value, t);
        break;
    case PIT_PORT_B:
        pit->port_b = value & PORT_B_WRITABLE;
        channel_set_gate(&pit->channel[2], value & PORT_B_GATE2, t);
        break;
    default:
        return;
    }
    irq0_follow_out0(pit, t);
}

void pit_update(struct pit8254 *pit, uint64_t now_ns)
{
    advance(pit, now_ns);
}

uint64_t pit_next_event_ns(const struct pit8254 *pit, uint64_t now_ns)
{
    uint64_t edge = channel_next_rise(&pit->channel[0], pit->irq_tick);
    if (edge == NO_TICK)
        return UINT64_MAX;
    uint64_t ns = ns_of_tick(edge);
    return ns < now_ns ? now_ns : ns;
}

uint64_t pit_irq0_lost_ticks(const struct pit8254 *pit)
{
    return pit->irq0_lost;
}

/* ---- attaching to a VM ---- */

struct pit8254_slot {
    struct pit8254 pit;
    struct irq_line irq0;
    struct vm *vm;
    pit8254_clock_fn clock;
    bool attached;
};

static struct pit8254_slot pit_slots[VM_MAX_VMS];

/* One guest IN or OUT: a 2- or 4-byte access is the ISA bus's sequence of
 * byte cycles at port, port+1, ..., lowest byte first, all at one time. */
static int pit_pio_range(struct vm *vm, struct pit8254_slot *s, uint16_t port, uint16_t last,
                         unsigned size, bool in, uint32_t *value)
{
    uint64_t now = s->clock(vm);
    if (in)
        *value = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned p = (unsigned)port + i;
        unsigned shift = BITS_PER_BYTE * i;
        if (in)
            *value |= (uint32_t)(p <= last ? pit_read(&s->pit, (uint16_t)p, now) : FLOATING_BUS)
                      << shift;
        else if (p <= last)
            pit_write(&s->pit, (uint16_t)p, (uint8_t)(*value >> shift), now);
    }
    return 0;
}

static int pit_pio_counters(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                            uint32_t *value)
{
    return pit_pio_range(vm, dev, port, PIT_CONTROL_PORT, size, in, value);
}

static int pit_pio_port_b(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                          uint32_t *value)
{
    return pit_pio_range(vm, dev, port, PIT_PORT_B, size, in, value);
}

void pit8254_attach(struct vm *vm, pit8254_clock_fn clock)
{
    if (vm->index >= VM_MAX_VMS)
        panic("vm %s: no 8254 slot", vm->name);
    struct pit8254_slot *s = &pit_slots[vm->index];
    irq_line_init(&s->irq0, PIT_IRQ);
    pit_init(&s->pit, &s->irq0);
    s->vm = vm;
    s->clock = clock;
    s->attached = true;
    vm_register_pio(vm, PIT_CHANNEL0_PORT, PIT_CONTROL_PORT, pit_pio_counters, s, "pit");
    vm_register_pio(vm, PIT_PORT_B, PIT_PORT_B, pit_pio_port_b, s, "port61");
}

struct pit8254 *pit8254_of(struct vm *vm)
{
    if (vm->index >= VM_MAX_VMS || !pit_slots[vm->index].attached)
        return NULL;
    return &pit_slots[vm->index].pit;
}
