/*
 * libFuzzer target for the guests' 8259A pair (guest/dev/pic8259.c).
 *
 * The input is a sequence of 3-byte actions (op, arg, value):
 *   op % 6 == 0  write value to port arg % 7 (0x20, 0x21, 0xA0, 0xA1, 0x4D0,
 *                0x4D1, or 0x22, which is not the PIC's)
 *   op % 6 == 1  read port arg % 7
 *   op % 6 == 2  set IRQ line arg % 17 (16 is out of range) to value & 1
 *   op % 6 == 3  acknowledge when pic_has_interrupt() says so, as a vCPU does
 *   op % 6 == 4  acknowledge regardless (a late INTA)
 *   op % 6 == 5  Linux's init_8259A() with masks from arg and value, auto-EOI
 *                from value bit 0, to reach programmed states quickly
 * Next to the model runs a small reference of what the data sheet makes
 * predictable: each chip's ICW sequence (so its vector base, ICW3, AEOI,
 * single mode and IMR) and the line levels.  After each action the target
 * checks:
 * - IMR reads back the reference's; the ELCR's fixed-edge bits are 0;
 * - a level-triggered input's IRR bit is its line; the master's IRR2 is set
 *   only while the slave has an unmasked request; ISR and IRR never change
 *   on a read that is not a poll, and ISR never gains a bit except through
 *   an acknowledge or a poll;
 * - INT (pic_has_interrupt) implies an unmasked request on the master, and
 *   the output callback reported exactly its changes;
 * - an acknowledge returns the master's IR7 vector and changes no ISR when
 *   INT was low; otherwise it took the highest-ranked unmasked request e
 *   (ISR gains e unless auto-EOI; IRR loses e if edge-triggered), and
 *   returns the master's base | e, or for a cascade input the slave's
 *   base | j (j the slave's highest request, taken the same way, or 7 with
 *   no change when it had none) or 0xFF when the slave's ID is not e;
 * - a poll returns 0 or 0x80 | n for a request n that was unmasked.
 * A failed check aborts, which libFuzzer reports as a crash.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -I. \
 *       tests/fuzz/fuzz_pic8259.c -o /tmp/fuzz_pic
 *   /tmp/fuzz_pic -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/dev/pic8259.c"

/* The attach glue is compiled in but not fuzzed: stubs for what it calls. */
void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    (void)vm, (void)first, (void)last, (void)fn, (void)dev, (void)name;
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
            fprintf(stderr, "fuzz_pic8259: check failed at action %zu: %s\n", \
                    action, #cond);                                           \
            abort();                                                          \
        }                                                                     \
    } while (0)

static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x22 };
#define NR_PORTS (sizeof(ports) / sizeof(ports[0]))

/* A chip's ICW sequence as the data sheet defines it. */
struct ref_chip {
    int step;                   /* 0 ready, 2-4: the ICW expected */
    bool single, ic4, aeoi;
    uint8_t base, icw3, imr;
};

static struct pic8259 pic;
static struct ref_chip ref_master, ref_slave;
static bool ref_lines[16];
static bool reported_intr;
static size_t action;

static void record_output(void *ctx, bool intr)
{
    (void)ctx;
    FUZZ_CHECK(intr != reported_intr);      /* only changes are reported */
    reported_intr = intr;
}

static void ref_reset(struct ref_chip *c, uint8_t base, uint8_t icw3, uint8_t imr)
{
    *c = (struct ref_chip){ .step = 0, .ic4 = true, .base = base, .icw3 = icw3, .imr = imr };
}

static void ref_write_command(struct ref_chip *c, uint8_t v)
{
    if (!(v & 0x10))
        return;
    c->step = 2;
    c->single = v & 0x02;
    c->ic4 = v & 0x01;
    c->imr = 0;
    if (!c->ic4)
        c->aeoi = false;
}

static void ref_write_data(struct ref_chip *c, uint8_t v)
{
    switch (c->step) {
    case 2:
        c->base = v & 0xf8;
        c->step = !c->single ? 3 : c->ic4 ? 4 : 0;
        break;
    case 3:
        c->icw3 = v;
        c->step = c->ic4 ? 4 : 0;
        break;
    case 4:
        c->aeoi = v & 0x02;
        c->step = 0;
        break;
    default:
        c->imr = v;
        break;
    }
}

static void do_write(uint16_t port, uint8_t v)
{
    uint8_t isr_m = pic.master.isr, isr_s = pic.slave.isr;
    pic_write(&pic, port, v);
    switch (port) {
    case 0x20: ref_write_command(&ref_master, v); break;
    case 0x21: ref_write_data(&ref_master, v); break;
    case 0xa0: ref_write_command(&ref_slave, v); break;
    case 0xa1: ref_write_data(&ref_slave, v); break;
    default: break;
    }
    /* Writes only ever end in-service levels. */
    FUZZ_CHECK((pic.master.isr & ~isr_m) == 0);
    FUZZ_CHECK((pic.slave.isr & ~isr_s) == 0);
}

static void check_poll_word(uint8_t word, uint8_t requests)
{
    if (word == 0)
        return;
    FUZZ_CHECK((word & 0x78) == 0 && (word & 0x80));
    FUZZ_CHECK(requests & (1u << (word & 7)));
}

static void do_read(uint16_t port)
{
    struct pic8259 before = pic;
    struct pic8259_chip *c = port == 0x20 || port == 0x21 ? &pic.master
                           : port == 0xa0 || port == 0xa1 ? &pic.slave : NULL;
    bool poll = c && c->poll;
    uint8_t requests = c ? (uint8_t)(c->irr & ~c->imr) : 0;
    uint8_t v = pic_read(&pic, port);
    if (poll) {
        check_poll_word(v, requests);
        return;
    }
    FUZZ_CHECK(pic.master.isr == before.master.isr && pic.slave.isr == before.slave.isr);
    FUZZ_CHECK(pic.master.irr == before.master.irr && pic.slave.irr == before.slave.irr);
    switch (port) {
    case 0x21: FUZZ_CHECK(v == ref_master.imr); break;
    case 0xa1: FUZZ_CHECK(v == ref_slave.imr); break;
    case 0x20: FUZZ_CHECK(v == (pic.master.read_isr ? pic.master.isr : pic.master.irr)); break;
    case 0xa0: FUZZ_CHECK(v == (pic.slave.read_isr ? pic.slave.isr : pic.slave.irr)); break;
    case 0x4d0: FUZZ_CHECK((v & 0x07) == 0); break;
    case 0x4d1: FUZZ_CHECK((v & 0x21) == 0); break;
    default: FUZZ_CHECK(v == 0xff); break;
    }
}

/* The first requested IR in the chip's rank order (after lowest_priority). */
static int highest_request(const struct pic8259_chip *c)
{
    uint8_t requests = (uint8_t)(c->irr & ~c->imr);
    for (unsigned k = 1; k <= 8; k++) {
        unsigned ir = (c->lowest_priority + k) & 7;
        if (requests & (1u << ir))
            return (int)ir;
    }
    return -1;
}

static void do_acknowledge(bool only_if_intr)
{
    bool intr = pic_has_interrupt(&pic);
    if (only_if_intr && !intr)
        return;
    struct pic8259 before = pic;
    int vector = pic_acknowledge(&pic);
    FUZZ_CHECK(vector >= 0 && vector <= 0xff);
    if (!intr) {
        FUZZ_CHECK(vector == (ref_master.base | 7));
        FUZZ_CHECK(pic.master.isr == before.master.isr && pic.slave.isr == before.slave.isr);
        return;
    }
    int e = highest_request(&before.master);
    FUZZ_CHECK(e >= 0);
    uint8_t bit = (uint8_t)(1u << e);
    if (ref_master.aeoi)
        FUZZ_CHECK(pic.master.isr == before.master.isr);
    else
        FUZZ_CHECK(pic.master.isr == (before.master.isr | bit));
    /* An edge request is consumed (IR2 follows the slave instead). */
    if (e != 2 && !(pic.master.elcr & bit))
        FUZZ_CHECK(!(pic.master.irr & bit));
    bool cascade = !ref_master.single && (ref_master.icw3 & bit);
    if (!cascade) {
        FUZZ_CHECK(vector == (ref_master.base | e));
        return;
    }
    if ((ref_slave.icw3 & 7) != (unsigned)e) {
        FUZZ_CHECK(vector == 0xff);
        FUZZ_CHECK(pic.slave.isr == before.slave.isr);
        return;
    }
    FUZZ_CHECK((vector & 0xf8) == ref_slave.base);
    unsigned j = (unsigned)vector & 7;
    uint8_t slave_requests = (uint8_t)(before.slave.irr & ~before.slave.imr);
    /* The slave's IR7 with no ISR change is its "nothing to present"
     * answer (possible when the master's ICW3 names an input that is not
     * the slave's INT); anything else is its highest request, taken. */
    if (j == 7 && pic.slave.isr == before.slave.isr)
        return;
    FUZZ_CHECK(slave_requests & (1u << j));
    FUZZ_CHECK(highest_request(&before.slave) == (int)j);
    if (!ref_slave.aeoi)
        FUZZ_CHECK(pic.slave.isr == (before.slave.isr | (1u << j)));
    if (!(pic.slave.elcr & (1u << j)))
        FUZZ_CHECK(!(pic.slave.irr & (1u << j)));
}

static void do_line(unsigned irq, bool level)
{
    uint8_t isr_m = pic.master.isr, isr_s = pic.slave.isr;
    pic_set_irq(&pic, irq, level);
    if (irq < 16 && irq != 2)
        ref_lines[irq] = level;
    FUZZ_CHECK(pic.master.isr == isr_m && pic.slave.isr == isr_s);
}

static void do_linux_init(uint8_t master_mask, uint8_t flags)
{
    static const uint8_t seq_m[] = { 0x11, 0x30, 0x04 };
    do_write(0x21, 0xff);
    do_write(0xa1, 0xff);
    for (unsigned i = 0; i < 3; i++)
        do_write(i ? 0x21 : 0x20, seq_m[i]);
    do_write(0x21, (flags & 1) ? 0x03 : 0x01);
    do_write(0xa0, 0x11);
    do_write(0xa1, 0x38);
    do_write(0xa1, 0x02);
    do_write(0xa1, 0x01);
    do_write(0x21, master_mask);
    do_write(0xa1, (uint8_t)(flags & 0xfe));
}

static void check_chip_lines(const struct pic8259_chip *c, unsigned first_irq)
{
    for (unsigned ir = 0; ir < 8; ir++) {
        unsigned irq = first_irq + ir;
        if (irq == 2 || !(c->elcr & (1u << ir)))
            continue;
        FUZZ_CHECK(!!(c->irr & (1u << ir)) == ref_lines[irq]);
    }
}

static void check_invariants(void)
{
    FUZZ_CHECK(pic.master.imr == ref_master.imr);
    FUZZ_CHECK(pic.slave.imr == ref_slave.imr);
    FUZZ_CHECK((pic.master.elcr & 0x07) == 0);
    FUZZ_CHECK((pic.slave.elcr & 0x21) == 0);
    check_chip_lines(&pic.master, 0);
    check_chip_lines(&pic.slave, 8);
    if (pic.master.irr & 0x04)
        FUZZ_CHECK(pic.slave.irr & ~pic.slave.imr);
    bool intr = pic_has_interrupt(&pic);
    FUZZ_CHECK(intr == reported_intr);
    if (intr)
        FUZZ_CHECK(pic.master.irr & ~pic.master.imr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    action = 0;
    reported_intr = false;
    memset(ref_lines, 0, sizeof(ref_lines));
    pic_init(&pic, record_output, NULL);
    ref_reset(&ref_master, 0x08, 0x04, 0xfb);
    ref_reset(&ref_slave, 0x70, 0x02, 0xff);
    check_invariants();

    for (size_t i = 0; i + 3 <= size; i += 3, action++) {
        unsigned op = data[i] % 6;
        uint8_t arg = data[i + 1], value = data[i + 2];
        switch (op) {
        case 0: do_write(ports[arg % NR_PORTS], value); break;
        case 1: do_read(ports[arg % NR_PORTS]); break;
        case 2: do_line(arg % 17, value & 1); break;
        case 3: do_acknowledge(true); break;
        case 4: do_acknowledge(false); break;
        default: do_linux_init(arg, value); break;
        }
        check_invariants();
    }
    return 0;
}
