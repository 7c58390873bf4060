/*
 * Host tests for guest/dev/uart16550.c, the guests' 16550A.
 *
 * Expected register values are written out as numbers taken from the
 * PC16550D data sheet (register summary, reset configuration and interrupt
 * control tables), not with the model's own constants, so
 * a wrong constant in the model shows up here.  Each UART under test has
 * its own interrupt line whose `set` hook counts level changes, and a
 * transmit sink that records every byte.  The attach glue is tested through
 * stubs of vm_register_pio(), vm_console_putc() and panic_at().
 */
#include "tests/unit/unit.h"

#include <setjmp.h>

#include "guest/dev/uart16550.c"

/* Register offsets (the data sheet's register summary). */
enum {
    RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
    LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7,
};

/* IIR values: bits 3:0 identify, bits 7:6 are 11 in FIFO mode. */
#define IIR_NONE        0x01
#define IIR_RLS         0x06
#define IIR_RDA         0x04
#define IIR_CTI         0x0c
#define IIR_THRE        0x02
#define IIR_MSI         0x00
#define IIR_FIFO        0xc0

/* LSR with nothing received: THRE and TEMT (the reset value). */
#define LSR_IDLE        0x60

/* ------------------------------------------------------------------------ */
/* A UART on the test bench                                                 */

struct bench {
    struct uart16550 u;
    struct irq_line irq;
    unsigned irq_changes;       /* calls of irq.set: level changes */
    uint8_t sent[512];
    size_t nsent;
};

static void bench_irq_set(void *ctx, unsigned irq, bool level)
{
    struct bench *b = ctx;
    (void)irq, (void)level;
    b->irq_changes++;
}

static void bench_tx(void *ctx, uint8_t byte)
{
    struct bench *b = ctx;
    if (b->nsent < sizeof(b->sent))
        b->sent[b->nsent++] = byte;
}

static void bench_init(struct bench *b)
{
    memset(b, 0, sizeof(*b));
    irq_line_init(&b->irq, 4);
    b->irq.set = bench_irq_set;
    b->irq.ctx = b;
    uart16550_init(&b->u, &b->irq, bench_tx, b);
}

static uint8_t rd(struct bench *b, unsigned reg)
{
    return uart16550_read(&b->u, reg);
}

static void wr(struct bench *b, unsigned reg, uint8_t value)
{
    uart16550_write(&b->u, reg, value);
}

static void receive_n(struct bench *b, unsigned n, uint8_t first)
{
    for (unsigned i = 0; i < n; i++)
        CHECK(uart16550_receive(&b->u, (uint8_t)(first + i)));
}

/* ------------------------------------------------------------------------ */
/* Reset state and plain registers                                          */

TEST(reset_values)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(rd(&b, IER), 0x00);
    CHECK_EQ_U(rd(&b, IIR), 0x01);
    CHECK_EQ_U(rd(&b, LCR), 0x00);
    CHECK_EQ_U(rd(&b, MCR), 0x00);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK_EQ_U(rd(&b, MSR), 0xb0);          /* CTS, DSR, DCD; no deltas */
    CHECK_EQ_U(rd(&b, SCR), 0x00);
    CHECK(!b.irq.level);
    CHECK(uart16550_can_receive(&b.u));
    wr(&b, LCR, 0x80);
    CHECK_EQ_U(rd(&b, DLL), 12);            /* 9600 baud */
    CHECK_EQ_U(rd(&b, DLM), 0);
    CHECK_EQ_U(b.nsent, 0);
}

TEST(dlab_switches_offsets_0_and_1_to_the_divisor_latch)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, IER, 0x05);
    wr(&b, LCR, 0x83);                      /* DLAB, 8 bits */
    wr(&b, DLL, 0x01);
    wr(&b, DLM, 0xa7);
    CHECK_EQ_U(rd(&b, DLL), 0x01);
    CHECK_EQ_U(rd(&b, DLM), 0xa7);
    CHECK_EQ_U(b.nsent, 0);                 /* a DLL write is not a THR write */
    CHECK_EQ_U(rd(&b, LCR), 0x83);
    wr(&b, LCR, 0x03);
    CHECK_EQ_U(rd(&b, IER), 0x05);          /* untouched by the DLM write */
    wr(&b, THR, 'x');
    wr(&b, IER, 0x00);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0], 'x');
    wr(&b, LCR, 0x80);
    CHECK_EQ_U(rd(&b, DLL), 0x01);          /* untouched by the THR write */
    CHECK_EQ_U(rd(&b, DLM), 0xa7);          /* and by the IER write */
    /* Offsets 2-7 do not depend on DLAB. */
    wr(&b, SCR, 0x42);
    CHECK_EQ_U(rd(&b, SCR), 0x42);
    CHECK_EQ_U(rd(&b, IIR), 0x01);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
}

TEST(lcr_and_scr_keep_every_value)
{
    static struct bench b;
    bench_init(&b);
    unsigned lcr_bad = 0, scr_bad = 0;
    for (unsigned v = 0; v < 256; v++) {
        wr(&b, LCR, (uint8_t)v);
        lcr_bad += rd(&b, LCR) != v;
        wr(&b, SCR, (uint8_t)v);
        scr_bad += rd(&b, SCR) != v;
    }
    CHECK_EQ_U(lcr_bad, 0);
    CHECK_EQ_U(scr_bad, 0);
    CHECK_EQ_U(b.nsent, 0);
}

TEST(ier_and_mcr_reserved_bits_read_zero)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, IER, 0xff);
    CHECK_EQ_U(rd(&b, IER), 0x0f);
    wr(&b, MCR, 0xef);
    CHECK_EQ_U(rd(&b, MCR), 0x0f);
    wr(&b, MCR, 0xff);
    CHECK_EQ_U(rd(&b, MCR), 0x1f);
}

TEST(fcr_is_write_only_offset_2_reads_iir)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    wr(&b, FCR, 0xc7);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    wr(&b, FCR, 0x00);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
}

TEST(lsr_and_msr_writes_are_ignored)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, LSR, 0x1f);
    wr(&b, MSR, 0x0f);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK_EQ_U(rd(&b, MSR), 0xb0);
    CHECK_EQ_U(rd(&b, 8), 0xff);            /* not a register */
    wr(&b, 9, 0x55);
    CHECK_EQ_U(b.nsent, 0);
}

/* ------------------------------------------------------------------------ */
/* How Linux's 8250 driver identifies the UART                              */

/*
 * The probe, in the order the driver goes (autoconfig() and its helpers in
 * drivers/tty/serial/8250/8250_port.c), each step with what a 16550A has to
 * answer so the driver settles on "16550A":
 *  1. Existence: save IER, write 0 and read 0 back in the low four bits,
 *     write 0x0f and read 0x0f back, restore IER.
 *  2. Loopback: with MCR = LOOP|OUT2|RTS the modem status bits must read
 *     exactly DCD|CTS (OUT2 loops to DCD, RTS to CTS); MCR is restored.
 *  3. Clear a would-be EFR: LCR = 0xbf, write 0 at offset 2 (FCR on a
 *     16550), LCR = 0.
 *  4. FIFO type: FCR = FIFO enable; IIR bits 7:6 = 11 means 16550A
 *     (00: 8250/16450, 10: the buggy 16550, 01: unknown).
 *  5. Not an EFR chip: with LCR = 0x80, and again with LCR = 0xbf, offset 2
 *     (IIR) must not read 0.
 *  6. Not an NS SuperIO: with LCR = 0xe0, offset 2 must not follow MCR's
 *     LOOP bit when the driver flips it.
 *  7. Not a 16750: FCR = enable|64-byte-FIFO (bit 5), without and with DLAB:
 *     IIR bits 7:5 must read 110 both times (bit 5 stays 0).
 *  8. Not an XScale UART: IER bit 6 (UUE) must not stick.
 *  9. The scratch register keeps 0xa5 and 0x5a (the test the driver uses
 *     to tell a 16450 from an 8250, and many other drivers' presence test).
 * 10. Reset: restore LCR and MCR, clear and disable the FIFOs (FCR 0x01,
 *     0x07, 0x00), read RBR, clear IER; at start-up LSR must not be 0xff.
 */
TEST(linux_8250_autodetect_finds_a_16550a)
{
    static struct bench b;
    bench_init(&b);

    /* 1 */
    uint8_t saved_ier = rd(&b, IER);
    wr(&b, IER, 0x00);
    CHECK_EQ_U(rd(&b, IER) & 0x0f, 0x00);
    wr(&b, IER, 0x0f);
    CHECK_EQ_U(rd(&b, IER) & 0x0f, 0x0f);
    wr(&b, IER, saved_ier);

    /* 2 */
    uint8_t saved_mcr = rd(&b, MCR), saved_lcr = rd(&b, LCR);
    wr(&b, MCR, 0x10 | 0x08 | 0x02);
    CHECK_EQ_U(rd(&b, MSR) & 0xf0, 0x80 | 0x10);
    wr(&b, MCR, saved_mcr);

    /* 3 */
    wr(&b, LCR, 0xbf);
    wr(&b, 2, 0x00);
    wr(&b, LCR, 0x00);

    /* 4 */
    wr(&b, FCR, 0x01);
    CHECK_EQ_U(rd(&b, IIR) >> 6, 3);

    /* 5 */
    wr(&b, LCR, 0x80);
    CHECK(rd(&b, 2) != 0);
    wr(&b, LCR, 0xbf);
    CHECK(rd(&b, 2) != 0);

    /* 6 */
    wr(&b, LCR, 0x00);
    uint8_t mcr = rd(&b, MCR);
    wr(&b, LCR, 0xe0);
    uint8_t excr1 = rd(&b, 2);
    CHECK(((excr1 ^ mcr) & 0x10) == 0);     /* so the driver flips LOOP: */
    wr(&b, LCR, 0x00);
    wr(&b, MCR, mcr ^ 0x10);
    wr(&b, LCR, 0xe0);
    excr1 = rd(&b, 2);
    wr(&b, LCR, 0x00);
    wr(&b, MCR, mcr);
    CHECK(((excr1 ^ mcr) & 0x10) == 0);     /* offset 2 did not follow it */

    /* 7 */
    wr(&b, LCR, 0x00);
    wr(&b, FCR, 0x21);
    CHECK_EQ_U(rd(&b, IIR) & 0xe0, 0xc0);
    wr(&b, FCR, 0x01);
    wr(&b, LCR, 0x80);
    wr(&b, FCR, 0x21);
    CHECK_EQ_U(rd(&b, IIR) & 0xe0, 0xc0);
    wr(&b, FCR, 0x01);
    wr(&b, LCR, 0x00);

    /* 8 */
    uint8_t ier = rd(&b, IER);
    wr(&b, IER, ier & ~0x40);
    CHECK((rd(&b, IER) & 0x40) == 0);
    wr(&b, IER, ier | 0x40);
    CHECK((rd(&b, IER) & 0x40) == 0);
    wr(&b, IER, ier);

    /* 9 */
    uint8_t scratch = rd(&b, SCR);
    wr(&b, SCR, 0xa5);
    CHECK_EQ_U(rd(&b, SCR), 0xa5);
    wr(&b, SCR, 0x5a);
    CHECK_EQ_U(rd(&b, SCR), 0x5a);
    wr(&b, SCR, scratch);

    /* 10 */
    wr(&b, LCR, saved_lcr);
    wr(&b, MCR, saved_mcr);
    wr(&b, FCR, 0x01);
    wr(&b, FCR, 0x07);
    wr(&b, FCR, 0x00);
    rd(&b, RBR);
    wr(&b, IER, 0x00);
    CHECK(rd(&b, LSR) != 0xff);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    CHECK_EQ_U(b.nsent, 0);                 /* the probe sent nothing */
    CHECK(!b.irq.level);
}

/*
 * At port start-up the driver checks that enabling ETBEI with the
 * transmitter idle raises THRE, and that clearing and setting ETBEI again
 * raises it again (else it works around a "THRE bug" with a timer); it also
 * treats LSR.TEMT with IIR "no interrupt" right after setting ETBEI as a
 * broken transmitter interrupt.
 */
TEST(linux_8250_startup_thre_checks)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, LCR, 0x03);
    wr(&b, MCR, 0x0b);                      /* DTR, RTS, OUT2 */
    wr(&b, IER, 0x02);
    uint8_t iir1 = rd(&b, IIR);
    wr(&b, IER, 0x00);
    wr(&b, IER, 0x02);
    uint8_t iir2 = rd(&b, IIR);
    wr(&b, IER, 0x00);
    CHECK_EQ_U(iir1, IIR_THRE);
    CHECK_EQ_U(iir2, IIR_THRE);

    wr(&b, IER, 0x02);
    uint8_t lsr = rd(&b, LSR);
    uint8_t iir = rd(&b, IIR);
    wr(&b, IER, 0x00);
    CHECK(lsr & 0x40);
    CHECK(!(iir & 0x01));
}

/* ------------------------------------------------------------------------ */
/* Loopback                                                                 */

TEST(loopback_routes_thr_to_rbr)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    wr(&b, MCR, 0x10);
    wr(&b, THR, 'A');
    wr(&b, THR, 'B');
    CHECK_EQ_U(b.nsent, 0);                 /* nothing reaches the serial output */
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    CHECK_EQ_U(rd(&b, RBR), 'A');
    CHECK_EQ_U(rd(&b, RBR), 'B');
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    wr(&b, MCR, 0x00);
    wr(&b, THR, 'C');
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0], 'C');
    CHECK_EQ_U(rd(&b, LSR), 0x60);          /* not looped back any more */
}

TEST(loopback_wires_mcr_outputs_to_msr_inputs)
{
    static struct bench b;
    bench_init(&b);
    static const struct { uint8_t mcr, msr_status; } wiring[] = {
        { 0x01, 0x20 },                     /* DTR -> DSR */
        { 0x02, 0x10 },                     /* RTS -> CTS */
        { 0x04, 0x40 },                     /* OUT1 -> RI */
        { 0x08, 0x80 },                     /* OUT2 -> DCD */
        { 0x0f, 0xf0 },
        { 0x00, 0x00 },
    };
    for (size_t i = 0; i < sizeof(wiring) / sizeof(wiring[0]); i++) {
        wr(&b, MCR, (uint8_t)(0x10 | wiring[i].mcr));
        CHECK_EQ_U(rd(&b, MSR) & 0xf0, wiring[i].msr_status);
    }
    wr(&b, MCR, 0x00);
    CHECK_EQ_U(rd(&b, MSR) & 0xf0, 0xb0);   /* no modem again */
}

TEST(loopback_msr_delta_bits)
{
    static struct bench b;
    bench_init(&b);
    /* Entering loopback with every output off drops CTS, DSR and DCD. */
    wr(&b, MCR, 0x10);
    CHECK_EQ_U(rd(&b, MSR), 0x0b);          /* DDCD, DDSR, DCTS */
    CHECK_EQ_U(rd(&b, MSR), 0x00);          /* the read cleared them */
    /* RI rising is not an edge TERI records ... */
    wr(&b, MCR, 0x14);
    CHECK_EQ_U(rd(&b, MSR), 0x40);
    /* ... RI falling is. */
    wr(&b, MCR, 0x10);
    CHECK_EQ_U(rd(&b, MSR), 0x04);
    /* Deltas accumulate until read. */
    wr(&b, MCR, 0x12);
    wr(&b, MCR, 0x10);
    wr(&b, MCR, 0x11);
    CHECK_EQ_U(rd(&b, MSR), 0x23);          /* DSR; DDSR, DCTS */
    /* Leaving loopback: back to CTS, DSR, DCD (DSR did not change). */
    wr(&b, MCR, 0x01);
    CHECK_EQ_U(rd(&b, MSR), 0xb9);
}

TEST(loopback_disconnects_the_serial_input)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    wr(&b, MCR, 0x10);
    CHECK(!uart16550_can_receive(&b.u));
    CHECK(!uart16550_receive(&b.u, 'z'));
    CHECK_EQ_U(rd(&b, LSR), 0x60);          /* neither stored nor an overrun */
    wr(&b, MCR, 0x00);
    CHECK(uart16550_can_receive(&b.u));
    CHECK(uart16550_receive(&b.u, 'y'));
    CHECK_EQ_U(rd(&b, RBR), 'y');
}

TEST(loopback_overrun)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    wr(&b, MCR, 0x10);
    for (unsigned i = 0; i < 17; i++)
        wr(&b, THR, (uint8_t)('a' + i));
    CHECK_EQ_U(rd(&b, LSR), 0x63);
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ_U(rd(&b, RBR), 'a' + i);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
}

/* ------------------------------------------------------------------------ */
/* Interrupt identification                                                 */

/* Makes every cause pending at once, FIFOs on at trigger 4: an overrun
 * (17 bytes), received data above the trigger, THRE (a THR write), and a
 * modem status change (entering loopback). */
static void all_causes_pending(struct bench *b)
{
    wr(b, FCR, 0x41);
    receive_n(b, 16, 0x30);
    CHECK(!uart16550_receive(&b->u, 0x40));
    wr(b, THR, '!');
    wr(b, MCR, 0x18);                       /* loopback: CTS, DSR drop */
    wr(b, MCR, 0x08);                       /* and rise: DCTS, DDSR; OUT2 on */
}

TEST(iir_reports_causes_in_priority_order)
{
    static struct bench b;
    bench_init(&b);
    all_causes_pending(&b);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE | IIR_FIFO);   /* IER = 0: all masked */
    CHECK(!b.irq.level);

    wr(&b, IER, 0x0f);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RLS);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RLS);    /* IIR does not clear it */
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, LSR), 0x63);                  /* this does */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RDA);
    for (unsigned i = 0; i < 13; i++)               /* 16 -> 3, below 4 */
        rd(&b, RBR);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_CTI);
    for (unsigned i = 0; i < 3; i++)
        rd(&b, RBR);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_THRE);   /* reported, so cleared */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_MSI);
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, MSR), 0xb3);                  /* clears the deltas */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    CHECK(!b.irq.level);
}

TEST(iir_skips_masked_causes)
{
    static struct bench b;
    bench_init(&b);
    all_causes_pending(&b);
    wr(&b, IER, 0x08);                              /* EDSSI alone */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_MSI);
    wr(&b, IER, 0x02);                              /* ETBEI alone */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_THRE);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);   /* acknowledged */
    wr(&b, IER, 0x01);                              /* ERBFI alone */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RDA);
    wr(&b, IER, 0x0a);                              /* ETBEI rises again */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_THRE);
    wr(&b, IER, 0x0c);                              /* ELSI, EDSSI */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RLS);
    wr(&b, IER, 0x08);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_MSI);
    CHECK(b.irq.level);
    wr(&b, IER, 0x00);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    CHECK(!b.irq.level);
    /* The masked causes are still there. */
    CHECK_EQ_U(rd(&b, LSR), 0x63);
    CHECK_EQ_U(rd(&b, MSR) & 0x0f, 0x03);
}

TEST(iir_read_reporting_another_cause_keeps_thre)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, IER, 0x03);                              /* ERBFI, ETBEI: THRE pending */
    CHECK(uart16550_receive(&b.u, 'q'));
    CHECK_EQ_U(rd(&b, IIR), IIR_RDA);               /* FIFOs off: bits 7:6 = 00 */
    CHECK_EQ_U(rd(&b, IIR), IIR_RDA);
    CHECK_EQ_U(rd(&b, RBR), 'q');
    CHECK_EQ_U(rd(&b, IIR), IIR_THRE);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
}

/* ------------------------------------------------------------------------ */
/* The THRE interrupt                                                       */

TEST(thre_interrupt_lifecycle)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, MCR, 0x08);
    /* Polled output with ETBEI off raises nothing. */
    wr(&b, THR, 'p');
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    CHECK(!b.irq.level);
    /* ETBEI 0 -> 1 with THR empty: pending. */
    wr(&b, IER, 0x02);
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, IIR), IIR_THRE);
    CHECK(!b.irq.level);                            /* the IIR read cleared it */
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    /* ETBEI written as 1 again is no rising edge. */
    wr(&b, IER, 0x02);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    /* Every THR write: the byte leaves at once, THR is empty again. */
    wr(&b, THR, 'q');
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK(b.irq.level);                             /* LSR does not clear it */
    wr(&b, THR, 'r');
    CHECK_EQ_U(rd(&b, IIR), IIR_THRE);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    /* Masking it drops the line; unmasking (a rising edge) raises it. */
    wr(&b, THR, 's');
    CHECK(b.irq.level);
    wr(&b, IER, 0x00);
    CHECK(!b.irq.level);
    wr(&b, IER, 0x02);
    CHECK(b.irq.level);
    CHECK_EQ_U(b.nsent, 4);
    CHECK(memcmp(b.sent, "pqrs", 4) == 0);
}

TEST(thr_write_clears_an_unacknowledged_thre_and_raises_it_anew)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, MCR, 0x08);
    wr(&b, IER, 0x02);
    unsigned changes = b.irq_changes;
    CHECK(b.irq.level);
    /* Writing THR while THRE is pending leaves it pending (the new byte is
     * gone before the write completes): the line does not bounce. */
    for (int i = 0; i < 20; i++)
        wr(&b, THR, 'x');
    CHECK(b.irq.level);
    CHECK_EQ_U(b.irq_changes, changes);
    CHECK_EQ_U(b.nsent, 20);
    CHECK_EQ_U(rd(&b, IIR), IIR_THRE);
}

/* ------------------------------------------------------------------------ */
/* Receiver FIFO                                                            */

TEST(fifo_trigger_levels)
{
    static const struct { uint8_t fcr; unsigned level; } triggers[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    for (size_t t = 0; t < sizeof(triggers) / sizeof(triggers[0]); t++) {
        static struct bench b;
        bench_init(&b);
        wr(&b, FCR, triggers[t].fcr);
        wr(&b, IER, 0x01);
        unsigned level = triggers[t].level;
        for (unsigned n = 1; n <= 16; n++) {
            CHECK(uart16550_receive(&b.u, (uint8_t)n));
            uint8_t expect = IIR_FIFO | (n >= level ? IIR_RDA : IIR_CTI);
            if (rd(&b, IIR) != expect)
                UNIT_FAIL("trigger %u, %u bytes: IIR != 0x%02x", level, n, expect);
        }
        /* Reading takes it below the trigger again. */
        for (unsigned n = 16; n > 0; n--) {
            uint8_t expect = IIR_FIFO | (n >= level ? IIR_RDA : IIR_CTI);
            if (rd(&b, IIR) != expect)
                UNIT_FAIL("trigger %u, %u bytes left: IIR != 0x%02x", level, n, expect);
            CHECK_EQ_U(rd(&b, RBR), 17 - n);
        }
        CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    }
}

TEST(character_timeout_holds_the_line_until_drained)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x81);                              /* trigger 8 */
    wr(&b, MCR, 0x08);
    wr(&b, IER, 0x01);
    CHECK_EQ_U(b.irq_changes, 0);
    receive_n(&b, 3, 'a');
    CHECK(b.irq.level);
    CHECK_EQ_U(b.irq_changes, 1);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_CTI);
    CHECK_EQ_U(rd(&b, RBR), 'a');
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_CTI);
    CHECK_EQ_U(rd(&b, RBR), 'b');
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, RBR), 'c');
    CHECK(!b.irq.level);
    CHECK_EQ_U(b.irq_changes, 2);                   /* one pulse for the burst */
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
}

TEST(sixteen_bytes_fit_the_seventeenth_overruns)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    for (unsigned i = 0; i < 16; i++) {
        CHECK(uart16550_can_receive(&b.u));
        CHECK(uart16550_receive(&b.u, (uint8_t)(0x80 + i)));
    }
    CHECK(!uart16550_can_receive(&b.u));
    CHECK_EQ_U(rd(&b, LSR), 0x61);                  /* full, no overrun yet */
    CHECK(!uart16550_receive(&b.u, 0x99));
    CHECK_EQ_U(rd(&b, LSR), 0x63);
    /* The FIFO kept the first 16, in order; the 17th was dropped.  Taking
     * 5 and adding 5 makes the ring wrap. */
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ_U(rd(&b, RBR), 0x80 + i);
    receive_n(&b, 5, 0x10);
    CHECK(!uart16550_can_receive(&b.u));
    for (unsigned i = 5; i < 16; i++)
        CHECK_EQ_U(rd(&b, RBR), 0x80 + i);
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ_U(rd(&b, RBR), 0x10 + i);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK(uart16550_can_receive(&b.u));
}

TEST(lsr_read_clears_oe_and_the_line_status_interrupt)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    wr(&b, MCR, 0x08);
    wr(&b, IER, 0x04);                              /* ELSI only */
    receive_n(&b, 16, 0);
    CHECK(!b.irq.level);
    CHECK(!uart16550_receive(&b.u, 0xee));
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_RLS);
    uint8_t lsr = rd(&b, LSR);
    CHECK_EQ_U(lsr, 0x63);
    CHECK_EQ_U(lsr & 0x9c, 0);                      /* no PE, FE, BI, FIFO error */
    CHECK(!b.irq.level);
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    /* A second overrun sets OE again. */
    CHECK(!uart16550_receive(&b.u, 0xef));
    CHECK_EQ_U(rd(&b, LSR), 0x63);
}

TEST(fcr_resets_and_mode_switches_empty_the_receiver)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, FCR, 0x01);
    receive_n(&b, 5, 'a');
    wr(&b, FCR, 0x05);                              /* XMIT reset only */
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    wr(&b, FCR, 0x03);                              /* RCVR reset */
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK_EQ_U(rd(&b, IIR), IIR_FIFO | IIR_NONE);
    receive_n(&b, 3, 'x');
    CHECK_EQ_U(rd(&b, RBR), 'x');                   /* the FIFO starts afresh */

    /* RCVR reset does not clear OE. */
    receive_n(&b, 14, 0);
    CHECK(!uart16550_receive(&b.u, 0));
    wr(&b, FCR, 0x03);
    CHECK_EQ_U(rd(&b, LSR), 0x62);

    /* FIFO mode off empties it, whatever else FCR says ... */
    receive_n(&b, 2, 'm');
    wr(&b, FCR, 0x00);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    /* ... and so does FIFO mode on (RBR held a byte). */
    receive_n(&b, 1, 'n');
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    wr(&b, FCR, 0x01);
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    /* Rewriting FCR with the FIFO already on keeps what it holds. */
    receive_n(&b, 2, 'o');
    wr(&b, FCR, 0xc1);
    CHECK_EQ_U(rd(&b, RBR), 'o');
    CHECK_EQ_U(rd(&b, RBR), 'p');
}

TEST(receive_with_fifos_off)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, IER, 0x01);
    CHECK(uart16550_can_receive(&b.u));
    CHECK(uart16550_receive(&b.u, 'k'));
    CHECK(!uart16550_can_receive(&b.u));
    CHECK_EQ_U(rd(&b, IIR), IIR_RDA);               /* no timeout, no FIFO bits */
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    /* Overrun in 16450 mode: the new byte replaces the unread one. */
    CHECK(!uart16550_receive(&b.u, 'l'));
    CHECK_EQ_U(rd(&b, LSR), 0x63);
    CHECK_EQ_U(rd(&b, RBR), 'l');
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    CHECK_EQ_U(rd(&b, IIR), IIR_NONE);
    CHECK(uart16550_can_receive(&b.u));
    /* RBR keeps the last byte when read again while empty. */
    CHECK_EQ_U(rd(&b, RBR), 'l');
    CHECK_EQ_U(rd(&b, LSR), 0x60);
    /* FCR bits other than bit 0 are not programmed while it is 0: no
     * receiver reset. */
    CHECK(uart16550_receive(&b.u, 'm'));
    wr(&b, FCR, 0x02);
    CHECK_EQ_U(rd(&b, LSR), 0x61);
    CHECK_EQ_U(rd(&b, RBR), 'm');
}

/* ------------------------------------------------------------------------ */
/* The IRQ output                                                           */

TEST(irq_line_needs_a_pending_enabled_interrupt_and_out2)
{
    static struct bench b;
    bench_init(&b);
    CHECK(uart16550_receive(&b.u, 'i'));
    CHECK(!b.irq.level);                            /* nothing enabled */
    wr(&b, IER, 0x01);
    CHECK(!b.irq.level);                            /* OUT2 off */
    wr(&b, MCR, 0x07);                              /* DTR, RTS, OUT1: still off */
    CHECK(!b.irq.level);
    wr(&b, MCR, 0x08);
    CHECK(b.irq.level);
    wr(&b, MCR, 0x00);
    CHECK(!b.irq.level);
    wr(&b, MCR, 0x08);
    CHECK(b.irq.level);
    rd(&b, RBR);                                    /* cause gone */
    CHECK(!b.irq.level);
    CHECK(uart16550_receive(&b.u, 'j'));            /* a byte raises it */
    CHECK(b.irq.level);
    wr(&b, IER, 0x00);                              /* masked */
    CHECK(!b.irq.level);
    CHECK_EQ_U(b.irq_changes, 6);
    CHECK_EQ_U(b.irq.irq, 4);
}

TEST(irq_line_in_loopback_follows_mcr_out2)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, IER, 0x01);
    wr(&b, MCR, 0x10);
    wr(&b, THR, 'L');
    CHECK(!b.irq.level);
    wr(&b, MCR, 0x18);
    CHECK(b.irq.level);
    CHECK_EQ_U(rd(&b, RBR), 'L');
    CHECK(!b.irq.level);
}

/* ------------------------------------------------------------------------ */
/* Attaching to a VM                                                        */

#define MAX_STUB_PIO 8

static struct {
    struct vm *vm;
    uint16_t first, last;
    pio_handler_fn fn;
    void *dev;
    const char *name;
} stub_pio[MAX_STUB_PIO];
static size_t stub_npio;

static struct vm *stub_console_vm;
static char stub_console[256];
static size_t stub_console_len;

static jmp_buf stub_panic_jmp;
static int stub_panics;

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

void vm_console_putc(struct vm *vm, char c)
{
    stub_console_vm = vm;
    if (stub_console_len < sizeof(stub_console) - 1)
        stub_console[stub_console_len++] = c;
}

_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    (void)file, (void)line, (void)fmt;
    stub_panics++;
    longjmp(stub_panic_jmp, 1);
}

static void stubs_reset(void)
{
    stub_npio = 0;
    stub_console_vm = NULL;
    memset(stub_console, 0, sizeof(stub_console));
    stub_console_len = 0;
    stub_panics = 0;
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

TEST(attach_registers_com1_and_sends_to_the_console)
{
    static struct vm vm = { .name = "a", .index = 3 };
    stubs_reset();
    uart16550_attach(&vm, 0x3f8, 4);
    CHECK_EQ_U(stub_npio, 1);
    CHECK(stub_pio[0].vm == &vm);
    CHECK_EQ_U(stub_pio[0].first, 0x3f8);
    CHECK_EQ_U(stub_pio[0].last, 0x3ff);
    CHECK_STR(stub_pio[0].name, "com1");
    struct uart16550 *u = uart16550_of(&vm, 1);
    CHECK(u != NULL);
    CHECK(uart16550_of(&vm, 0) == NULL);
    CHECK(uart16550_of(&vm, 2) == NULL);     /* COM2 not attached */
    CHECK(uart16550_of(&vm, 3) == NULL);

    for (const char *s = "hi\n"; *s; s++)
        pio_out(0, 0x3f8, 1, (uint8_t)*s);
    CHECK(stub_console_vm == &vm);
    CHECK_STR(stub_console, "hi\n");
    CHECK_EQ_U(pio_in(0, 0x3fd, 1), 0x60);
    CHECK_EQ_U(pio_in(0, 0x3fa, 1), 0x01);

    /* Typed input goes in through the model and out through the port. */
    CHECK(u && uart16550_receive(u, 'k'));
    CHECK_EQ_U(pio_in(0, 0x3fd, 1), 0x61);
    CHECK_EQ_U(pio_in(0, 0x3f8, 1), 'k');
    CHECK(u && u->irq && u->irq->irq == 4);
}

TEST(attach_splits_wide_accesses_into_byte_cycles)
{
    static struct vm vm = { .name = "w", .index = 5 };
    stubs_reset();
    uart16550_attach(&vm, 0x3f8, 4);
    pio_out(0, 0x3fb, 1, 0x03);
    /* OUT of 2 bytes at LCR: LCR = 0x03, MCR = 0x0b. */
    pio_out(0, 0x3fb, 2, 0x0b03);
    CHECK_EQ_U(pio_in(0, 0x3fc, 1), 0x0b);
    /* IN of 2 bytes at MSR: MSR, then SCR. */
    pio_out(0, 0x3ff, 1, 0x5a);
    CHECK_EQ_U(pio_in(0, 0x3fe, 2), 0x5ab0);
    /* IN of 4 bytes at MSR: the two bytes past the UART read 0xff. */
    CHECK_EQ_U(pio_in(0, 0x3fe, 4), 0xffff5ab0);
    /* OUT of 4 bytes at 0x3ff: SCR = 0x11, the rest goes nowhere. */
    pio_out(0, 0x3ff, 4, 0x44332211);
    CHECK_EQ_U(pio_in(0, 0x3ff, 1), 0x11);
    /* OUT of 2 bytes at THR with DLAB = 0: THR gets 'o', IER gets 0x02. */
    pio_out(0, 0x3f8, 2, 0x0200 | 'o');
    CHECK_STR(stub_console, "o");
    CHECK_EQ_U(pio_in(0, 0x3f9, 1), 0x02);
}

TEST(attach_keeps_one_model_per_vm_and_port)
{
    static struct vm a = { .name = "a", .index = 0 };
    static struct vm b = { .name = "b", .index = 15 };
    stubs_reset();
    uart16550_attach(&a, 0x3f8, 4);
    uart16550_attach(&a, 0x2f8, 3);
    uart16550_attach(&b, 0x3f8, 4);
    CHECK_EQ_U(stub_npio, 3);
    CHECK_STR(stub_pio[1].name, "com2");
    CHECK_EQ_U(stub_pio[1].first, 0x2f8);
    CHECK_EQ_U(stub_pio[1].last, 0x2ff);
    struct uart16550 *a1 = uart16550_of(&a, 1), *a2 = uart16550_of(&a, 2);
    struct uart16550 *b1 = uart16550_of(&b, 1);
    CHECK(a1 && a2 && b1 && a1 != a2 && a1 != b1 && a2 != b1);
    CHECK(stub_pio[0].dev != stub_pio[1].dev && stub_pio[0].dev != stub_pio[2].dev);
    CHECK(a2 && a2->irq->irq == 3);

    pio_out(0, 0x3ff, 1, 0x11);
    pio_out(1, 0x2ff, 1, 0x22);
    pio_out(2, 0x3ff, 1, 0x33);
    CHECK_EQ_U(pio_in(0, 0x3ff, 1), 0x11);
    CHECK_EQ_U(pio_in(1, 0x2ff, 1), 0x22);
    CHECK_EQ_U(pio_in(2, 0x3ff, 1), 0x33);

    /* A second attach resets the model. */
    stubs_reset();
    uart16550_attach(&b, 0x3f8, 4);
    CHECK_EQ_U(pio_in(0, 0x3ff, 1), 0x00);
    CHECK(uart16550_of(&b, 1) == b1);
}

TEST(attach_refuses_ports_other_than_com1_and_com2)
{
    static struct vm vm = { .name = "p", .index = 1 };
    stubs_reset();
    if (!setjmp(stub_panic_jmp))
        uart16550_attach(&vm, 0x3e8, 4);
    CHECK_EQ_I(stub_panics, 1);
    CHECK_EQ_U(stub_npio, 0);
}
