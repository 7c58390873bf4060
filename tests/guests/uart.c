/*
 * uart: COM1 as a 16550A, probed the way Linux's 8250 driver probes a port
 * and exercised against the National Semiconductor PC16550D data sheet.
 * Everything is polled: IRQ 4 is masked at the 8259 and EFLAGS.IF is never
 * set, so interrupts are seen only as IIR values.
 *
 *   - IER probe (bits 3:0 read back, 7:4 read 0), scratch register, LCR and
 *     MCR round trips, the divisor latch behind DLAB.
 *   - Loopback (MCR.LOOP): MSR's inputs follow DTR/RTS/OUT1/OUT2 (Linux
 *     wants 0x90 for LOOP|RTS|OUT2); bytes sent come back in RBR.
 *   - FIFO detection: FCR.0 set gives IIR[7:6] = 11b (a 16550A), IIR[5:4]
 *     stay 00b even with FCR bit 5 under DLAB (not a 16750).
 *   - IIR priorities: THRE once ETBEI is set (and cleared by reading IIR);
 *     received data at the trigger level, not below it, and ahead of THRE;
 *     receiver line status (overrun) ahead of received data.
 *   - Overrun: 16 bytes fill the RX FIFO, the 17th sets LSR.OE once and is
 *     lost; without FIFOs the second unread byte overruns and replaces the
 *     first.  FCR's RX reset empties the receiver.
 *   - keel only: modem-status deltas in loopback (the data sheet keeps them
 *     working there; QEMU 7.2 does not model them).
 *   - Finally: 115200 8N1 with FIFOs on, and a line printed through it.
 *
 * While a check has the UART in loopback or with DLAB set it prints nothing
 * (the bytes would loop back or land in the divisor latch): each check
 * measures, puts the UART back as it was at entry, then prints.  The 17
 * bytes of the overrun check spell "[loopback-leak17]": they must never
 * reach the console, so a boot test can reject that string.
 *
 * Expected under keel: pass.  Bare (QEMU): pass, 1 SKIP.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/uart.h"

/* Polls of LSR or IIR before giving up on a change: loopback is immediate
 * in emulators and takes a character time (87 us at 115200) on silicon. */
#define POLL_LIMIT 100000u

#define LCR_8N1 UART_LCR_WLS_8
#define MCR_NORMAL (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2)
#define FCR_FIFOS_RESET (UART_FCR_ENABLE | UART_FCR_RX_RESET | UART_FCR_TX_RESET)
#define DIVISOR_115200 UART_DIVISOR(115200u)
#define MODEM_OUTPUTS (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 | UART_MCR_OUT2)

/* IIR values with the FIFOs enabled. */
#define IIR_FIFO(id) (UART_IIR_FIFO_BITS | (id))
#define IIR_FIFO_NONE IIR_FIFO(UART_IIR_NO_INTERRUPT)

static const char leak_payload[] = "[loopback-leak17]";
#define OVERRUN_BYTES (sizeof(leak_payload) - 1)
_Static_assert(OVERRUN_BYTES == UART_FIFO_DEPTH + 1, "one byte more than the RX FIFO holds");

/* ---- the UART's state, saved at entry and put back after every check --------- */

struct uart_setup {
    uint8_t ier, lcr, mcr;
    uint16_t divisor;
    bool fifos;
};

static struct uart_setup normal_setup;

static uint16_t read_divisor(uint8_t lcr)
{
    uart_out((uint8_t)(lcr | UART_LCR_DLAB), UART_LCR);
    uint16_t d = (uint16_t)(uart_in(UART_DLL) | uart_in(UART_DLM) << 8);
    uart_out(lcr, UART_LCR);
    return d;
}

static void write_divisor(uint8_t lcr, uint16_t divisor)
{
    uart_out((uint8_t)(lcr | UART_LCR_DLAB), UART_LCR);
    uart_out((uint8_t)divisor, UART_DLL);
    uart_out((uint8_t)(divisor >> 8), UART_DLM);
    uart_out(lcr, UART_LCR);
}

static void save_setup(void)
{
    normal_setup.lcr = uart_in(UART_LCR) & (uint8_t)~UART_LCR_DLAB;
    uart_out(normal_setup.lcr, UART_LCR);
    normal_setup.ier = uart_in(UART_IER);
    normal_setup.mcr = uart_in(UART_MCR);
    normal_setup.fifos = (uart_in(UART_IIR) & UART_IIR_FIFO_BITS) == UART_IIR_FIFO_BITS;
    normal_setup.divisor = read_divisor(normal_setup.lcr);
}

/* Reads RBR until LSR.DR clears (bounded: a stuck DR must not hang us). */
static unsigned drain_receiver(void)
{
    unsigned n = 0;
    while ((uart_in(UART_LSR) & UART_LSR_DR) && n < 4 * UART_FIFO_DEPTH) {
        (void)uart_in(UART_RBR);
        n++;
    }
    return n;
}

static void wait_transmitter_empty(void)
{
    for (uint32_t i = 0; i < POLL_LIMIT && !(uart_in(UART_LSR) & UART_LSR_TEMT); i++)
        ;
}

/* Every check starts here: a byte still in the transmitter would be cut
 * short by a new line setting, or lost to a FIFO reset or to loopback. */
static void begin_check(void)
{
    wait_transmitter_empty();
}

/* Puts the UART back as normal_setup says.  Checks print nothing while
 * they run, so the transmitter holds nothing the FIFO reset could drop. */
static void restore_setup(void)
{
    uart_out(0, UART_IER);
    write_divisor(normal_setup.lcr, normal_setup.divisor);
    uart_out(normal_setup.fifos ? FCR_FIFOS_RESET : 0, UART_FCR);
    uart_out(normal_setup.mcr, UART_MCR);
    drain_receiver();
    (void)uart_in(UART_LSR);
    (void)uart_in(UART_MSR);
    (void)uart_in(UART_IIR);
    uart_out(normal_setup.ier, UART_IER);
}

/* Polls LSR until all of 'bits' are set; every value read is ORed into
 * *seen, because reading LSR clears its error bits.  Returns the number of
 * reads it took, POLL_LIMIT when the bits never came. */
static uint32_t wait_lsr(uint8_t bits, uint8_t *seen)
{
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        uint8_t lsr = uart_in(UART_LSR);
        *seen |= lsr;
        if ((lsr & bits) == bits)
            return i;
    }
    return POLL_LIMIT;
}

/* In loopback a byte reaches the receiver around the time the transmitter
 * empties: just before on silicon (the receiver samples the middle of the
 * stop bit), at once in QEMU, a while after in Bochs.  enter_loopback()
 * measures how many LSR reads past TEMT one byte takes to show up, and
 * send_byte() waits that long again (doubled) for each byte, so that a
 * byte sent is a byte received even when DR is already set and cannot
 * tell. */
static uint32_t receive_lag_polls;

/* Sends one byte, waits until the transmitter is empty and then for the
 * receive lag.  Returns the OR of the LSR values read. */
static uint8_t send_byte(uint8_t byte)
{
    uint8_t seen = 0;
    wait_lsr(UART_LSR_THRE, &seen);
    uart_out(byte, UART_THR);
    wait_lsr(UART_LSR_TEMT, &seen);
    for (uint32_t i = 0; i < receive_lag_polls; i++)
        seen |= uart_in(UART_LSR);
    return seen;
}

static void measure_receive_lag(void)
{
    uint8_t seen = 0;
    receive_lag_polls = 0;
    send_byte(0x7E);
    uint32_t lag = wait_lsr(UART_LSR_DR, &seen);
    receive_lag_polls = lag < POLL_LIMIT ? 2 * lag + 1 : 0;
    (void)uart_in(UART_RBR);
}

/* Loopback at 115200 8N1 with the FIFO control 'fcr', nothing enabled in
 * IER, the receiver empty and old deltas read away. */
static void enter_loopback(uint8_t fcr)
{
    begin_check();
    uart_out(0, UART_IER);
    write_divisor(LCR_8N1, DIVISOR_115200);
    uart_out(fcr, UART_FCR);
    uart_out(UART_MCR_LOOP, UART_MCR);
    measure_receive_lag();
    drain_receiver();
    (void)uart_in(UART_LSR);
    (void)uart_in(UART_MSR);
    (void)uart_in(UART_MSR);
    (void)uart_in(UART_IIR);
}

/* Polls IIR until its identification is one of 'a' or 'b'; returns the
 * last value read.  *other counts the reads that showed something else. */
static uint8_t wait_iir(uint8_t a, uint8_t b, unsigned *other)
{
    uint8_t iir = 0;
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        iir = uart_in(UART_IIR);
        uint8_t id = iir & UART_IIR_ID_MASK;
        if (id == a || id == b)
            break;
        if (other)
            (*other)++;
    }
    return iir;
}

static bool is_received_data_iir(uint8_t iir)
{
    return iir == IIR_FIFO(UART_IIR_RDA) || iir == IIR_FIFO(UART_IIR_CTI);
}

/* ---- register probes --------------------------------------------------------- */

static bool ier_probe(void)
{
    begin_check();
    /* Linux's autoconfig: IER written 0 reads 0, written 0x0F reads 0x0F;
     * the data sheet also has bits 7:4 always 0. */
    uart_out(0x00, UART_IER);
    uint8_t zero = uart_in(UART_IER);
    uart_out(0xFF, UART_IER);
    uint8_t all = uart_in(UART_IER);
    uart_out(UART_IER_WRITABLE, UART_IER);
    uint8_t low = uart_in(UART_IER);
    restore_setup();
    printf("uart: IER after 0x00/0xFF/0x0F: 0x%02x 0x%02x 0x%02x\n", zero, all, low);
    return zero == 0 && all == UART_IER_WRITABLE && low == UART_IER_WRITABLE;
}

static bool scratch_holds_every_value(void)
{
    begin_check();
    uint8_t saved = uart_in(UART_SCR);
    unsigned bad = 0, first_bad = 0;
    uint8_t first_read = 0;
    for (unsigned v = 0; v < 256; v++) {
        uart_out((uint8_t)v, UART_SCR);
        uint8_t r = uart_in(UART_SCR);
        if (r != v && !bad++) {
            first_bad = v;
            first_read = r;
        }
    }
    uart_out(saved, UART_SCR);
    if (bad)
        printf("uart: SCR: %u of 256 values did not read back; 0x%02x read 0x%02x\n", bad,
               first_bad, first_read);
    return bad == 0;
}

static bool lcr_round_trip(void)
{
    begin_check();
    /* Every combination of word length, stop bits and parity (bits 5:0),
     * and DLAB.  Not the break bit: it would hold the line spacing. */
    unsigned bad = 0;
    uint8_t first_written = 0, first_read = 0;
    for (unsigned v = 0; v <= 0x3F; v++) {
        uart_out((uint8_t)v, UART_LCR);
        uint8_t r = uart_in(UART_LCR);
        if (r != v && !bad++) {
            first_written = (uint8_t)v;
            first_read = r;
        }
    }
    uart_out(UART_LCR_DLAB | LCR_8N1, UART_LCR);
    uint8_t dlab = uart_in(UART_LCR);
    restore_setup();
    if (bad)
        printf("uart: LCR: %u values did not read back; 0x%02x read 0x%02x\n", bad,
               first_written, first_read);
    printf("uart: LCR with DLAB: 0x%02x\n", dlab);
    return bad == 0 && dlab == (UART_LCR_DLAB | LCR_8N1);
}

static bool divisor_latch(void)
{
    begin_check();
    const uint8_t ier = UART_IER_ERBFI | UART_IER_ELSI;   /* nothing can fire */
    uart_out(ier, UART_IER);
    uart_out(UART_LCR_DLAB | LCR_8N1, UART_LCR);
    uart_out(0x34, UART_DLL);
    uart_out(0x12, UART_DLM);
    uint8_t dll = uart_in(UART_DLL);
    uint8_t dlm = uart_in(UART_DLM);
    uart_out(LCR_8N1, UART_LCR);
    uint8_t ier_back = uart_in(UART_IER);
    uint16_t again = read_divisor(LCR_8N1);
    restore_setup();
    printf("uart: DLL/DLM 0x%02x/0x%02x, IER behind DLM 0x%02x, divisor after DLAB "
           "toggle 0x%04x\n", dll, dlm, ier_back, again);
    return dll == 0x34 && dlm == 0x12 && ier_back == ier && again == 0x1234;
}

static bool mcr_round_trip(void)
{
    begin_check();
    uart_out(0xFF, UART_MCR);           /* sets LOOP too: print nothing */
    uint8_t all = uart_in(UART_MCR);
    uart_out(0x00, UART_MCR);
    uint8_t none = uart_in(UART_MCR);
    uart_out(UART_MCR_RTS | UART_MCR_OUT2, UART_MCR);
    uint8_t some = uart_in(UART_MCR);
    restore_setup();
    printf("uart: MCR after 0xFF/0x00/0x0A: 0x%02x 0x%02x 0x%02x\n", all, none, some);
    return all == UART_MCR_WRITABLE && none == 0 && some == (UART_MCR_RTS | UART_MCR_OUT2);
}

/* ---- loopback ---------------------------------------------------------------- */

/* MSR[7:4] in loopback for modem control outputs 'mcr' (data sheet, MCR
 * bit 4): CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
static uint8_t loopback_inputs(uint8_t mcr)
{
    return (uint8_t)(((mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                     ((mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                     ((mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                     ((mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

static bool loopback_msr_follows_mcr(void)
{
    uint8_t msr[MODEM_OUTPUTS + 1];
    enter_loopback(0);
    for (uint8_t m = 0; m <= MODEM_OUTPUTS; m++) {
        uart_out(UART_MCR_LOOP | m, UART_MCR);
        msr[m] = uart_in(UART_MSR);
    }
    restore_setup();
    bool ok = true;
    for (uint8_t m = 0; m <= MODEM_OUTPUTS; m++) {
        if ((msr[m] & UART_MSR_INPUTS) != loopback_inputs(m)) {
            printf("uart: MCR 0x%02x: MSR 0x%02x, inputs should be 0x%02x\n",
                   UART_MCR_LOOP | m, msr[m], loopback_inputs(m));
            ok = false;
        }
    }
    printf("uart: MSR with LOOP|RTS|OUT2 (Linux's loopback test): 0x%02x\n",
           msr[UART_MCR_RTS | UART_MCR_OUT2] & UART_MSR_INPUTS);
    return ok;
}

static bool loopback_bytes_come_back(void)
{
    static const uint8_t bytes[] = { 0x00, 0x5A, 0xA5, 0xFF };
    uint8_t got[sizeof(bytes)], dr_before[sizeof(bytes)], dr_after[sizeof(bytes)];
    enter_loopback(0);
    for (unsigned i = 0; i < sizeof(bytes); i++) {
        dr_before[i] = uart_in(UART_LSR) & UART_LSR_DR;
        uint8_t seen = send_byte(bytes[i]);
        wait_lsr(UART_LSR_DR, &seen);
        got[i] = uart_in(UART_RBR);
        dr_after[i] = uart_in(UART_LSR) & UART_LSR_DR;
    }
    restore_setup();
    bool ok = true;
    for (unsigned i = 0; i < sizeof(bytes); i++) {
        if (got[i] != bytes[i] || dr_before[i] || dr_after[i]) {
            printf("uart: sent 0x%02x, read 0x%02x (DR before %u, after %u)\n", bytes[i],
                   got[i], dr_before[i], dr_after[i]);
            ok = false;
        }
    }
    return ok;
}

/* ---- FIFO detection and IIR -------------------------------------------------- */

static bool fifo_detection(void)
{
    begin_check();
    uart_out(0, UART_IER);
    uart_out(0, UART_FCR);
    uint8_t off = uart_in(UART_IIR);
    uart_out(UART_FCR_ENABLE, UART_FCR);
    uint8_t on = uart_in(UART_IIR);
    /* Linux's 16750 test: FCR bit 5 written under DLAB enables a 16750's
     * 64-byte FIFO, which IIR bit 5 then shows; a 16550A keeps it 0. */
    uart_out(UART_LCR_DLAB | LCR_8N1, UART_LCR);
    uart_out(UART_FCR_ENABLE | UART_FCR_16750_64, UART_FCR);
    uint8_t big = uart_in(UART_IIR);
    uart_out(LCR_8N1, UART_LCR);
    restore_setup();
    printf("uart: IIR with FCR 0x00: 0x%02x, 0x01: 0x%02x, 0x21 under DLAB: 0x%02x\n", off, on,
           big);
    return off == UART_IIR_NO_INTERRUPT && on == IIR_FIFO_NONE && big == IIR_FIFO_NONE;
}

static bool thre_interrupt(void)
{
    enter_loopback(FCR_FIFOS_RESET);
    uint8_t idle = uart_in(UART_IIR);
    uart_out(UART_IER_ETBEI, UART_IER);
    uint8_t enabled = uart_in(UART_IIR);
    uint8_t after_read = uart_in(UART_IIR);
    send_byte(0x3C);
    uint8_t after_send = uart_in(UART_IIR);
    uart_out(0, UART_IER);
    uint8_t disabled = uart_in(UART_IIR);
    restore_setup();
    printf("uart: IIR idle 0x%02x, ETBEI set 0x%02x, read again 0x%02x, after a byte sent "
           "0x%02x, ETBEI clear 0x%02x\n", idle, enabled, after_read, after_send, disabled);
    return idle == IIR_FIFO_NONE && enabled == IIR_FIFO(UART_IIR_THRE) &&
           after_read == IIR_FIFO_NONE && after_send == IIR_FIFO(UART_IIR_THRE) &&
           disabled == IIR_FIFO_NONE;
}

static bool received_data_at_trigger_level(void)
{
    static const uint8_t bytes[] = { 0x31, 0x32, 0x33, 0x34 };     /* trigger level 4 */
    uint8_t got[sizeof(bytes)];
    unsigned thre_reads = 0;
    enter_loopback(FCR_FIFOS_RESET | UART_FCR_TRIGGER_4);
    uart_out(UART_IER_ERBFI | UART_IER_ETBEI, UART_IER);
    uint8_t empty = uart_in(UART_IIR);
    for (unsigned i = 0; i + 1 < sizeof(bytes); i++)
        send_byte(bytes[i]);
    /* Below the trigger level: THRE, or a character timeout if four
     * character times passed, never "received data available". */
    uint8_t below = uart_in(UART_IIR);
    send_byte(bytes[sizeof(bytes) - 1]);
    uint8_t at = wait_iir(UART_IIR_RDA, UART_IIR_CTI, &thre_reads);
    for (unsigned i = 0; i < sizeof(bytes); i++)
        got[i] = uart_in(UART_RBR);
    /* With the FIFO read below the trigger, the THRE interrupt that was
     * pending all along shows (unless a THRE read cleared it meanwhile). */
    uint8_t drained = uart_in(UART_IIR);
    uint8_t last = uart_in(UART_IIR);
    restore_setup();
    printf("uart: IIR empty 0x%02x, 3 bytes 0x%02x, 4 bytes 0x%02x, drained 0x%02x, "
           "then 0x%02x\n", empty, below, at, drained, last);
    bool ok = empty == IIR_FIFO(UART_IIR_THRE) &&
              (below == IIR_FIFO(UART_IIR_THRE) || below == IIR_FIFO(UART_IIR_CTI)) &&
              is_received_data_iir(at) && last == IIR_FIFO_NONE;
    if (thre_reads == 0)
        ok = ok && drained == IIR_FIFO(UART_IIR_THRE);
    for (unsigned i = 0; i < sizeof(bytes); i++) {
        if (got[i] != bytes[i]) {
            printf("uart: byte %u read 0x%02x, sent 0x%02x\n", i, got[i], bytes[i]);
            ok = false;
        }
    }
    return ok;
}

/* ---- overrun ----------------------------------------------------------------- */

struct overrun_observation {
    bool done;
    uint8_t lsr_seen_16;        /* OR of LSR reads while sending bytes 1-16 */
    uint8_t iir_16;             /* after 16 bytes (trigger level 14) */
    uint8_t iir_17;             /* after the 17th, polled for RLS */
    uint8_t lsr_first, lsr_second;
    uint8_t iir_after_lsr;
    unsigned received;
    uint8_t rx[UART_FIFO_DEPTH + 4];
    uint8_t lsr_end;
};

static struct overrun_observation overrun;

/* Runs the FIFO overrun experiment once; the checks below read parts of it. */
static const struct overrun_observation *observe_overrun(void)
{
    struct overrun_observation *o = &overrun;
    if (o->done)
        return o;
    o->done = true;
    enter_loopback(FCR_FIFOS_RESET | UART_FCR_TRIGGER_14);
    uart_out(UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI, UART_IER);
    for (unsigned i = 0; i < UART_FIFO_DEPTH; i++)
        o->lsr_seen_16 |= send_byte((uint8_t)leak_payload[i]);
    o->iir_16 = uart_in(UART_IIR);
    /* The 17th: LSR is not read until RLS shows, so OE is still there. */
    uint8_t seen = 0;
    wait_lsr(UART_LSR_THRE, &seen);
    o->lsr_seen_16 |= seen;
    uart_out((uint8_t)leak_payload[UART_FIFO_DEPTH], UART_THR);
    o->iir_17 = wait_iir(UART_IIR_RLS, UART_IIR_RLS, NULL);
    o->lsr_first = uart_in(UART_LSR);
    o->lsr_second = uart_in(UART_LSR);
    o->iir_after_lsr = uart_in(UART_IIR);
    while (o->received < sizeof(o->rx) && (uart_in(UART_LSR) & UART_LSR_DR))
        o->rx[o->received++] = uart_in(UART_RBR);
    o->lsr_end = uart_in(UART_LSR);
    restore_setup();
    printf("uart: overrun: LSR seen (16 bytes) 0x%02x, IIR 0x%02x; 17th: IIR 0x%02x, LSR "
           "0x%02x then 0x%02x, IIR 0x%02x; %u bytes read, LSR 0x%02x\n", o->lsr_seen_16,
           o->iir_16, o->iir_17, o->lsr_first, o->lsr_second, o->iir_after_lsr, o->received,
           o->lsr_end);
    return o;
}

static bool overrun_sixteen_fit(void)
{
    const struct overrun_observation *o = observe_overrun();
    return !(o->lsr_seen_16 & UART_LSR_ERRORS) && is_received_data_iir(o->iir_16);
}

static bool overrun_seventeenth_sets_oe(void)
{
    const struct overrun_observation *o = observe_overrun();
    return o->iir_17 == IIR_FIFO(UART_IIR_RLS) && (o->lsr_first & UART_LSR_OE) &&
           (o->lsr_first & UART_LSR_DR);
}

static bool overrun_cleared_by_lsr_read(void)
{
    const struct overrun_observation *o = observe_overrun();
    return (o->lsr_first & UART_LSR_OE) && !(o->lsr_second & UART_LSR_OE) &&
           is_received_data_iir(o->iir_after_lsr);
}

static bool overrun_fifo_keeps_first_sixteen(void)
{
    const struct overrun_observation *o = observe_overrun();
    bool ok = o->received == UART_FIFO_DEPTH && !(o->lsr_end & UART_LSR_DR);
    for (unsigned i = 0; i < o->received && i < UART_FIFO_DEPTH; i++) {
        if (o->rx[i] != (uint8_t)leak_payload[i]) {
            printf("uart: FIFO byte %u is 0x%02x, sent 0x%02x\n", i, o->rx[i],
                   (uint8_t)leak_payload[i]);
            ok = false;
        }
    }
    return ok;
}

static bool overrun_without_fifo(void)
{
    /* 16450 mode: a byte that completes while RBR is unread overwrites it
     * and sets OE (data sheet, LSR bit 1). */
    enter_loopback(0);
    uint8_t seen_first = send_byte(0x11);
    wait_lsr(UART_LSR_DR, &seen_first);
    uint8_t seen_second = send_byte(0x22);
    uint8_t lsr_after = uart_in(UART_LSR);
    uint8_t rbr = uart_in(UART_RBR);
    uint8_t lsr_end = uart_in(UART_LSR);
    restore_setup();
    printf("uart: 16450 mode: LSR seen 0x%02x then 0x%02x, LSR 0x%02x, RBR 0x%02x, LSR "
           "0x%02x\n", seen_first, seen_second, lsr_after, rbr, lsr_end);
    return !(seen_first & UART_LSR_OE) && (seen_second & UART_LSR_OE) &&
           !(lsr_after & UART_LSR_OE) && rbr == 0x22 && !(lsr_end & UART_LSR_DR);
}

static bool fifo_reset_empties_receiver(void)
{
    enter_loopback(FCR_FIFOS_RESET | UART_FCR_TRIGGER_14);
    for (uint8_t b = 0x61; b < 0x64; b++)
        send_byte(b);
    uint8_t lsr_full = uart_in(UART_LSR);
    uart_out(UART_FCR_ENABLE | UART_FCR_RX_RESET | UART_FCR_TRIGGER_14, UART_FCR);
    uint8_t lsr_reset = uart_in(UART_LSR);
    uint8_t seen = send_byte(0x42);
    wait_lsr(UART_LSR_DR, &seen);
    uint8_t rbr = uart_in(UART_RBR);
    uint8_t lsr_end = uart_in(UART_LSR);
    restore_setup();
    printf("uart: LSR with 3 bytes 0x%02x, after RX reset 0x%02x; next byte read 0x%02x, "
           "LSR 0x%02x\n", lsr_full, lsr_reset, rbr, lsr_end);
    return (lsr_full & UART_LSR_DR) && !(lsr_reset & UART_LSR_DR) && rbr == 0x42 &&
           !(lsr_end & UART_LSR_DR);
}

/* ---- modem status (keel only) ------------------------------------------------ */

static bool loopback_modem_status_deltas(void)
{
    enter_loopback(FCR_FIFOS_RESET);
    uart_out(UART_IER_EDSSI, UART_IER);
    uint8_t quiet = uart_in(UART_IIR);
    uart_out(UART_MCR_LOOP | MODEM_OUTPUTS, UART_MCR);
    uint8_t iir_rise = uart_in(UART_IIR);
    uint8_t msr_rise = uart_in(UART_MSR);
    uint8_t iir_read = uart_in(UART_IIR);
    uint8_t msr_again = uart_in(UART_MSR);
    uart_out(UART_MCR_LOOP, UART_MCR);
    uint8_t msr_fall = uart_in(UART_MSR);
    uint8_t msr_idle = uart_in(UART_MSR);
    /* THRE (priority 3) outranks modem status (priority 4). */
    uart_out(UART_MCR_LOOP | UART_MCR_RTS, UART_MCR);
    uart_out(UART_IER_EDSSI | UART_IER_ETBEI, UART_IER);
    uint8_t iir_both = uart_in(UART_IIR);
    uint8_t iir_then = uart_in(UART_IIR);
    uint8_t msr_cts = uart_in(UART_MSR);
    uint8_t iir_end = uart_in(UART_IIR);
    restore_setup();
    printf("uart: deltas: IIR 0x%02x; outputs on: IIR 0x%02x MSR 0x%02x, IIR 0x%02x MSR "
           "0x%02x; off: MSR 0x%02x then 0x%02x; RTS with ETBEI: IIR 0x%02x 0x%02x MSR 0x%02x "
           "IIR 0x%02x\n", quiet, iir_rise, msr_rise, iir_read, msr_again, msr_fall, msr_idle,
           iir_both, iir_then, msr_cts, iir_end);
    /* Rising CTS, DSR and DCD set their deltas; TERI is set only when RI
     * goes inactive. */
    const uint8_t rise = UART_MSR_INPUTS | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD;
    const uint8_t fall = UART_MSR_DELTAS;
    return quiet == IIR_FIFO_NONE && iir_rise == IIR_FIFO(UART_IIR_MODEM_STATUS) &&
           msr_rise == rise && iir_read == IIR_FIFO_NONE && msr_again == UART_MSR_INPUTS &&
           msr_fall == fall && msr_idle == 0 && iir_both == IIR_FIFO(UART_IIR_THRE) &&
           iir_then == IIR_FIFO(UART_IIR_MODEM_STATUS) &&
           msr_cts == (UART_MSR_CTS | UART_MSR_DCTS) && iir_end == IIR_FIFO_NONE;
}

/* ---- normal mode ------------------------------------------------------------- */

static bool normal_mode_prints(void)
{
    begin_check();
    normal_setup = (struct uart_setup){
        .ier = 0, .lcr = LCR_8N1, .mcr = MCR_NORMAL, .divisor = DIVISOR_115200, .fifos = true,
    };
    restore_setup();
    printf("uart: normal mode: 115200 8N1, FIFOs on, DTR|RTS|OUT2: this line went through "
           "the TX FIFO\n");
    uint8_t seen = 0;
    bool drained = wait_lsr(UART_LSR_THRE | UART_LSR_TEMT, &seen) < POLL_LIMIT;
    uint8_t lsr = uart_in(UART_LSR);
    uint8_t iir = uart_in(UART_IIR);
    uint8_t lcr = uart_in(UART_LCR);
    uint8_t mcr = uart_in(UART_MCR);
    printf("uart: LSR 0x%02x IIR 0x%02x LCR 0x%02x MCR 0x%02x divisor %u\n", lsr, iir, lcr,
           mcr, read_divisor(lcr));
    return drained && lsr == (UART_LSR_THRE | UART_LSR_TEMT) && iir == IIR_FIFO_NONE &&
           lcr == LCR_8N1 && mcr == MCR_NORMAL && read_divisor(lcr) == DIVISOR_115200;
}

static const struct named_test uart_tests[] = {
    { "uart: IER probe: bits 3:0 read back, bits 7:4 read 0", NEEDS_NOTHING, ier_probe },
    { "uart: scratch register holds every byte value", NEEDS_NOTHING,
      scratch_holds_every_value },
    { "uart: LCR round trip (word length, stop bits, parity, DLAB)", NEEDS_NOTHING,
      lcr_round_trip },
    { "uart: divisor latch behind DLAB: DLL/DLM round trip, IER untouched", NEEDS_NOTHING,
      divisor_latch },
    { "uart: MCR bits 4:0 read back, bits 7:5 read 0", NEEDS_NOTHING, mcr_round_trip },
    { "uart: loopback: MSR inputs follow DTR/RTS/OUT1/OUT2", NEEDS_NOTHING,
      loopback_msr_follows_mcr },
    { "uart: loopback: bytes sent come back in RBR, LSR.DR set then clear", NEEDS_NOTHING,
      loopback_bytes_come_back },
    { "uart: FIFO detection: IIR[7:6] = 11b with FCR.0 (16550A), IIR[5:4] = 00b (not a "
      "16750)", NEEDS_NOTHING, fifo_detection },
    { "uart: IIR = THRE once ETBEI is set, cleared by reading IIR, back after a byte is sent",
      NEEDS_NOTHING, thre_interrupt },
    { "uart: IIR = received data at the RX trigger level (not below), ahead of THRE",
      NEEDS_NOTHING, received_data_at_trigger_level },
    { "uart: overrun: 16 bytes fill the RX FIFO without an error", NEEDS_NOTHING,
      overrun_sixteen_fit },
    { "uart: overrun: the 17th byte sets LSR.OE, IIR = receiver line status", NEEDS_NOTHING,
      overrun_seventeenth_sets_oe },
    { "uart: overrun: reading LSR reports OE once and ends the line status interrupt",
      NEEDS_NOTHING, overrun_cleared_by_lsr_read },
    { "uart: overrun: the FIFO keeps the first 16 bytes, the 17th is lost", NEEDS_NOTHING,
      overrun_fifo_keeps_first_sixteen },
    { "uart: overrun without FIFOs: the newer byte replaces the unread one, OE once",
      NEEDS_NOTHING, overrun_without_fifo },
    { "uart: FCR RX FIFO reset empties the receiver", NEEDS_NOTHING,
      fifo_reset_empties_receiver },
    { "uart: loopback: MSR deltas and the modem status interrupt (below THRE)", NEEDS_KEEL,
      loopback_modem_status_deltas },
    { "uart: normal mode (115200 8N1, FIFOs on) prints and drains", NEEDS_NOTHING,
      normal_mode_prints },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    pic_mask_irq(UART_COM1_IRQ);
    save_setup();
    printf("uart: at entry LCR 0x%02x IER 0x%02x MCR 0x%02x divisor %u FIFOs %s\n",
           normal_setup.lcr, normal_setup.ier, normal_setup.mcr, normal_setup.divisor,
           normal_setup.fifos ? "on" : "off");
    run_tests(uart_tests, ARRAY_SIZE(uart_tests));
}
