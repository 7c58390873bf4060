/*
 * libFuzzer target for the guests' 16550A register model
 * (guest/dev/uart16550.c).
 *
 * The input is a sequence of 3-byte actions (op, reg, value):
 *   op % 4 == 0  read register reg % 9 (8 is outside the UART)
 *   op % 4 == 1  write value to register reg % 9
 *   op % 4 == 2  a byte arrives on the serial input (uart16550_receive)
 *   op % 4 == 3  the same, but only when uart16550_can_receive() says so,
 *                as keel's input path does
 * Next to the model runs a small reference of what the data sheet makes
 * observable: the receiver's bytes in order, OE, the THRE latch, the MSR
 * delta bits, FIFO mode and trigger, DLAB, loopback and the read/write
 * registers.  After each action the target checks:
 * - every byte read from RBR, transmitted, or refused is the one expected;
 * - the receiver holds 0..16 bytes (0..1 with FIFOs off), as many as the
 *   reference;
 * - IIR (read on a copy, so without side effects) has bits 5:4 clear, bits
 *   7:6 = 11 exactly when FIFOs are on, and identifies the enabled pending
 *   interrupt of highest priority, or none when none is;
 * - LSR (on a copy) has THRE and TEMT set, PE/FE/BI/bit 7 clear, DR iff
 *   data is held, OE as expected; IER bits 7:4 and MCR bits 7:5 are 0; MSR
 *   bits 7:4 are the no-modem or loopback inputs and bits 3:0 the changes
 *   since MSR was last read;
 * - the IRQ line is asserted iff an interrupt is pending and MCR.OUT2 is 1.
 * A failed check aborts, which libFuzzer reports as a crash.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -I. \
 *       tests/fuzz/fuzz_uart16550.c -o /tmp/fuzz_uart
 *   /tmp/fuzz_uart -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/dev/uart16550.c"

/* The attach glue is compiled in but not fuzzed: stubs for what it calls. */
void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    (void)vm, (void)first, (void)last, (void)fn, (void)dev, (void)name;
}

void vm_console_putc(struct vm *vm, char c)
{
    (void)vm, (void)c;
}

_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "panic at %s:%d: %s\n", file, line, fmt);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_uart16550: check failed at action %zu: %s\n", \
                    action, #cond);                                           \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* What the data sheet lets a driver predict, kept independently. */
struct reference {
    uint8_t rx[UART16550_FIFO_SIZE];
    unsigned rx_count;
    uint8_t last_read;
    bool oe;
    bool thre;
    bool fifo_on;
    unsigned trigger_bits;
    uint8_t msr_deltas;         /* DCTS, DDSR, TERI, DDCD not yet read */
    uint8_t lcr, mcr, ier, scr;
    uint8_t divisor[2];         /* DLL, DLM */
};

static struct uart16550 uart;
static struct irq_line line;
static struct reference ref;
static uint8_t last_sent;
static size_t nsent;
static size_t action;

static void record_tx(void *ctx, uint8_t byte)
{
    (void)ctx;
    last_sent = byte;
    nsent++;
}

static void no_tx_expected(void *ctx, uint8_t byte)
{
    (void)ctx, (void)byte;
    FUZZ_CHECK(!"a read transmitted a byte");
}

static bool ref_loopback(void)
{
    return ref.mcr & 0x10;
}

static bool ref_dlab(void)
{
    return ref.lcr & 0x80;
}

static unsigned ref_capacity(void)
{
    return ref.fifo_on ? UART16550_FIFO_SIZE : 1;
}

static unsigned ref_trigger(void)
{
    static const unsigned levels[] = { 1, 4, 8, 14 };
    return ref.fifo_on ? levels[ref.trigger_bits] : 1;
}

/* A byte reaching the receiver; returns whether it was stored without
 * loss.  With FIFOs off an overrun replaces the held byte. */
static bool ref_deliver(uint8_t byte)
{
    if (ref.rx_count < ref_capacity()) {
        ref.rx[ref.rx_count++] = byte;
        return true;
    }
    ref.oe = true;
    if (!ref.fifo_on)
        ref.rx[0] = byte;
    return false;
}

static uint8_t ref_pop(void)
{
    uint8_t byte = ref.rx[0];
    memmove(ref.rx, ref.rx + 1, --ref.rx_count);
    return byte;
}

/* The IIR identification the data sheet's interrupt control table
 * predicts. */
static uint8_t ref_interrupt_id(void)
{
    bool data = ref.rx_count > 0;
    if ((ref.ier & 0x04) && ref.oe)
        return 0x06;
    if ((ref.ier & 0x01) && data && ref.rx_count >= ref_trigger())
        return 0x04;
    if ((ref.ier & 0x01) && ref.fifo_on && data && ref.rx_count < ref_trigger())
        return 0x0c;
    if ((ref.ier & 0x02) && ref.thre)
        return 0x02;
    if ((ref.ier & 0x08) && ref.msr_deltas)
        return 0x00;
    return 0x01;
}

static uint8_t ref_modem_inputs(void)
{
    if (!ref_loopback())
        return 0xb0;
    uint8_t in = 0;
    in |= (ref.mcr & 0x02) ? 0x10 : 0;
    in |= (ref.mcr & 0x01) ? 0x20 : 0;
    in |= (ref.mcr & 0x04) ? 0x40 : 0;
    in |= (ref.mcr & 0x08) ? 0x80 : 0;
    return in;
}

static void do_read(unsigned reg)
{
    uint8_t v = uart16550_read(&uart, reg);
    switch (reg) {
    case 0:
        if (ref_dlab()) {
            FUZZ_CHECK(v == ref.divisor[0]);
            break;
        }
        if (ref.rx_count)
            ref.last_read = ref_pop();
        FUZZ_CHECK(v == ref.last_read);
        break;
    case 1:
        FUZZ_CHECK(v == (ref_dlab() ? ref.divisor[1] : ref.ier));
        break;
    case 2:
        if ((v & 0x0f) == 0x02)
            ref.thre = false;
        break;
    case 3:
        FUZZ_CHECK(v == ref.lcr);
        break;
    case 4:
        FUZZ_CHECK(v == ref.mcr);
        break;
    case 5:
        FUZZ_CHECK(!!(v & 0x02) == ref.oe);
        ref.oe = false;
        break;
    case 6:
        FUZZ_CHECK((v & 0xf0) == ref_modem_inputs());
        FUZZ_CHECK((v & 0x0f) == ref.msr_deltas);
        ref.msr_deltas = 0;
        break;
    case 7:
        FUZZ_CHECK(v == ref.scr);
        break;
    default:
        FUZZ_CHECK(v == 0xff);
        break;
    }
}

static void do_write(unsigned reg, uint8_t v)
{
    size_t nsent_before = nsent;
    uart16550_write(&uart, reg, v);
    switch (reg) {
    case 0:
        if (ref_dlab()) {
            ref.divisor[0] = v;
            break;
        }
        if (ref_loopback()) {
            ref_deliver(v);
        } else {
            FUZZ_CHECK(nsent == nsent_before + 1);
            FUZZ_CHECK(last_sent == v);
        }
        ref.thre = true;
        break;
    case 1:
        if (ref_dlab()) {
            ref.divisor[1] = v;
            break;
        }
        if ((v & 0x02) && !(ref.ier & 0x02))
            ref.thre = true;
        ref.ier = v & 0x0f;
        break;
    case 2: {
        bool on = v & 0x01;
        if (on != ref.fifo_on || (on && (v & 0x02)))
            ref.rx_count = 0;
        ref.fifo_on = on;
        if (on)
            ref.trigger_bits = v >> 6;
        break;
    }
    case 3:
        ref.lcr = v;
        break;
    case 4: {
        uint8_t before = ref_modem_inputs();
        ref.mcr = v & 0x1f;
        uint8_t now = ref_modem_inputs();
        /* MSR bit n + 4 changing sets delta bit n, except that RI (bit 6)
         * sets TERI (bit 2) only when it goes from 1 to 0. */
        uint8_t changed = (uint8_t)((before ^ now) & ~(now & 0x40));
        ref.msr_deltas |= changed >> 4;
        break;
    }
    case 7:
        ref.scr = v;
        break;
    default:
        break;
    }
    if (!(reg == 0 && !ref_dlab() && !ref_loopback()))
        FUZZ_CHECK(nsent == nsent_before);
}

static void do_receive(uint8_t byte, bool polite)
{
    bool room = !ref_loopback() && ref.rx_count < ref_capacity();
    FUZZ_CHECK(uart16550_can_receive(&uart) == room);
    if (polite && !room)
        return;
    bool stored = uart16550_receive(&uart, byte);
    if (ref_loopback())
        FUZZ_CHECK(!stored);
    else
        FUZZ_CHECK(stored == ref_deliver(byte));
}

/* Reads IIR and LSR from a copy of the UART, so the checks do not change
 * the state under test. */
static void check_invariants(void)
{
    struct irq_line scratch;
    irq_line_init(&scratch, 0);
    struct uart16550 probe = uart;
    probe.irq = &scratch;
    probe.tx = no_tx_expected;
    uint8_t iir = uart16550_read(&probe, 2);
    uint8_t lsr = uart16550_read(&probe, 5);

    FUZZ_CHECK(uart.rx_count <= UART16550_FIFO_SIZE);
    FUZZ_CHECK(uart.rx_count <= ref_capacity());
    FUZZ_CHECK(uart.rx_count == ref.rx_count);

    FUZZ_CHECK((iir & 0x30) == 0);
    FUZZ_CHECK((iir & 0xc0) == (ref.fifo_on ? 0xc0 : 0x00));
    FUZZ_CHECK((iir & 0x0f) == ref_interrupt_id());

    FUZZ_CHECK((lsr & 0x60) == 0x60);
    FUZZ_CHECK((lsr & 0x9c) == 0);
    FUZZ_CHECK(!!(lsr & 0x01) == (ref.rx_count > 0));
    FUZZ_CHECK(!!(lsr & 0x02) == ref.oe);

    FUZZ_CHECK((uart.ier & 0xf0) == 0);
    FUZZ_CHECK((uart.mcr & 0xe0) == 0);
    FUZZ_CHECK((uart.msr & 0xf0) == ref_modem_inputs());
    FUZZ_CHECK((uart.msr & 0x0f) == ref.msr_deltas);

    bool pending = !(iir & 0x01);
    FUZZ_CHECK(line.level == (pending && (ref.mcr & 0x08)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&ref, 0, sizeof(ref));
    ref.divisor[0] = 12;                /* the model's documented reset divisor */
    nsent = 0;
    action = 0;
    irq_line_init(&line, UART16550_COM1_IRQ);
    uart16550_init(&uart, &line, record_tx, NULL);
    check_invariants();

    for (size_t i = 0; i + 3 <= size; i += 3, action++) {
        unsigned op = data[i] % 4;
        unsigned reg = data[i + 1] % (UART16550_NR_REGS + 1);
        uint8_t value = data[i + 2];
        switch (op) {
        case 0: do_read(reg); break;
        case 1: do_write(reg, value); break;
        case 2: do_receive(value, false); break;
        default: do_receive(value, true); break;
        }
        check_invariants();
    }
    return 0;
}
