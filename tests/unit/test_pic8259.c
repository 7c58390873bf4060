/*
 * Host tests for guest/dev/pic8259.c, the guests' 8259A pair and ELCR.
 *
 * Command words and expected register values are written out as numbers
 * from the Intel 8259A data sheet (ICW1 = 0x11, OCW2 0x20 = non-specific
 * EOI, OCW3 0x0B = read ISR, ...), not with the model's constants, so a
 * wrong constant in the model shows up here.  The sequences are the ones
 * guests really issue: Linux's init_8259A() and its probe, its EOIs
 * (non-specific on the master, specific on slave then master), keel's own
 * test guests (tests/guests/lib/pic.c), kvm-unit-tests' masking of both
 * IMRs.  The attach glue is tested through stubs of vm_register_pio() and
 * panic_at().
 */
#include "tests/unit/unit.h"

#include <setjmp.h>

#include "guest/dev/pic8259.c"

enum { M_CMD = 0x20, M_DATA = 0x21, S_CMD = 0xa0, S_DATA = 0xa1, ELCR1 = 0x4d0, ELCR2 = 0x4d1 };

/* OCW3 values */
#define READ_IRR 0x0a
#define READ_ISR 0x0b
#define POLL     0x0c
#define SET_SMM  0x68
#define RESET_SMM 0x48
/* OCW2 values */
#define NS_EOI   0x20
#define SPEC_EOI 0x60               /* | level */

/* ------------------------------------------------------------------------ */
/* A PIC on the test bench                                                  */

struct bench {
    struct pic8259 pic;
    unsigned output_calls;
    bool last_output;
};

static void bench_output(void *ctx, bool intr)
{
    struct bench *b = ctx;
    b->output_calls++;
    b->last_output = intr;
}

static void bench_init(struct bench *b)
{
    memset(b, 0, sizeof(*b));
    pic_init(&b->pic, bench_output, b);
}

static void out(struct bench *b, uint16_t port, uint8_t value)
{
    pic_write(&b->pic, port, value);
}

static uint8_t in(struct bench *b, uint16_t port)
{
    return pic_read(&b->pic, port);
}

static uint8_t irr(struct bench *b, uint16_t cmd)
{
    out(b, cmd, READ_IRR);
    return in(b, cmd);
}

static uint8_t isr(struct bench *b, uint16_t cmd)
{
    out(b, cmd, READ_ISR);
    uint8_t v = in(b, cmd);
    out(b, cmd, READ_IRR);
    return v;
}

static void line(struct bench *b, unsigned irq, bool level)
{
    pic_set_irq(&b->pic, irq, level);
}

static void pulse(struct bench *b, unsigned irq)
{
    line(b, irq, true);
    line(b, irq, false);
}

/* Linux's init_8259A(): both masked, ICWs 0x11 / base / cascade / ICW4,
 * then the masks restored.  Vectors 0x30 and 0x38 as Linux uses. */
static void linux_init(struct bench *b, bool auto_eoi, uint8_t master_mask, uint8_t slave_mask)
{
    out(b, M_DATA, 0xff);
    out(b, S_DATA, 0xff);
    out(b, M_CMD, 0x11);
    out(b, M_DATA, 0x30);
    out(b, M_DATA, 0x04);
    out(b, M_DATA, auto_eoi ? 0x03 : 0x01);
    out(b, S_CMD, 0x11);
    out(b, S_DATA, 0x38);
    out(b, S_DATA, 0x02);
    out(b, S_DATA, 0x01);
    out(b, M_DATA, master_mask);
    out(b, S_DATA, slave_mask);
}

/* ------------------------------------------------------------------------ */
/* Reset state and initialisation                                           */

TEST(reset_state_is_what_a_bios_leaves)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(in(&b, M_DATA), 0xfb);
    CHECK_EQ_U(in(&b, S_DATA), 0xff);
    CHECK_EQ_U(in(&b, M_CMD), 0x00);        /* IRR */
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK_EQ_U(in(&b, ELCR1), 0x00);
    CHECK_EQ_U(in(&b, ELCR2), 0x00);
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_U(b.output_calls, 0);
    /* A masked request is latched in IRR but does not interrupt. */
    line(&b, 0, true);
    CHECK_EQ_U(in(&b, M_CMD), 0x01);
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_DATA, 0xfa);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x08);
    /* The slave answers at 0x70-0x77 through the cascade. */
    out(&b, M_CMD, NS_EOI);
    out(&b, S_DATA, 0xfe);
    line(&b, 8, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x70);
}

TEST(linux_probe_reads_back_the_imr)
{
    static struct bench b;
    bench_init(&b);
    out(&b, S_DATA, 0xff);
    out(&b, M_DATA, 0xfb);
    CHECK_EQ_U(in(&b, M_DATA), 0xfb);
    out(&b, M_DATA, 0x5a);
    CHECK_EQ_U(in(&b, M_DATA), 0x5a);
    out(&b, S_DATA, 0xa5);
    CHECK_EQ_U(in(&b, S_DATA), 0xa5);
}

TEST(linux_init_then_a_master_irq_with_nonspecific_eoi)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0xf9, 0xff);      /* IRQ 1 and cascade unmasked */
    CHECK_EQ_U(in(&b, M_DATA), 0xf9);
    CHECK_EQ_U(in(&b, S_DATA), 0xff);
    CHECK(!pic_has_interrupt(&b.pic));
    line(&b, 1, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_U(b.output_calls, 1);
    CHECK(b.last_output);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x31);
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_U(b.output_calls, 2);
    CHECK_EQ_U(isr(&b, M_CMD), 0x02);
    CHECK_EQ_U(irr(&b, M_CMD), 0x00);       /* edge: the request was taken */
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK(!pic_has_interrupt(&b.pic));       /* the line is still high: no new edge */
    line(&b, 1, false);
    line(&b, 1, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x31);
}

TEST(linux_slave_irq_takes_specific_eois_on_both_chips)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0xfb, 0xef);      /* IRQ 12 */
    line(&b, 12, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_U(irr(&b, M_CMD), 0x04);       /* the slave's INT on IR2 */
    CHECK_EQ_U(irr(&b, S_CMD), 0x10);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3c);
    CHECK_EQ_U(isr(&b, M_CMD), 0x04);
    CHECK_EQ_U(isr(&b, S_CMD), 0x10);
    CHECK_EQ_U(irr(&b, M_CMD), 0x00);
    CHECK_EQ_U(irr(&b, S_CMD), 0x00);
    out(&b, S_CMD, SPEC_EOI | 4);
    CHECK_EQ_U(isr(&b, S_CMD), 0x00);
    CHECK_EQ_U(isr(&b, M_CMD), 0x04);
    out(&b, M_CMD, SPEC_EOI | 2);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK(!pic_has_interrupt(&b.pic));
}

TEST(linux_auto_eoi_leaves_isr_clear)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, true, 0x00, 0xff);
    line(&b, 3, true);
    line(&b, 4, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    /* No EOI needed: the next request comes at once. */
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x34);
    CHECK(!pic_has_interrupt(&b.pic));
}

TEST(kvm_unit_tests_masking_silences_every_line)
{
    static struct bench b;
    bench_init(&b);
    out(&b, M_DATA, 0xff);                  /* mask_pic_interrupts() */
    out(&b, S_DATA, 0xff);
    for (unsigned irq = 0; irq < 16; irq++)
        line(&b, irq, true);
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_U(b.output_calls, 0);
    CHECK_EQ_U(irr(&b, M_CMD), 0xfb);       /* IR2 follows the slave's INT: quiet */
    CHECK_EQ_U(irr(&b, S_CMD), 0xff);
}

TEST(keel_guest_init_resets_edge_detection)
{
    static struct bench b;
    bench_init(&b);
    line(&b, 14, true);                     /* raised before the ICWs */
    /* tests/guests/lib/pic.c's pic_init_all_masked() */
    out(&b, M_CMD, 0x11);
    out(&b, M_DATA, 0x20);
    out(&b, M_DATA, 0x04);
    out(&b, M_DATA, 0x01);
    out(&b, M_DATA, 0xff);
    out(&b, S_CMD, 0x11);
    out(&b, S_DATA, 0x28);
    out(&b, S_DATA, 0x02);
    out(&b, S_DATA, 0x01);
    out(&b, S_DATA, 0xff);
    /* pic_read_irr(): OCW3 on both, then read both. */
    CHECK_EQ_U(irr(&b, S_CMD), 0x00);       /* no edge since ICW1 */
    line(&b, 14, false);
    line(&b, 14, true);
    CHECK_EQ_U(irr(&b, S_CMD), 0x40);
    CHECK_EQ_U(irr(&b, M_CMD), 0x00);       /* masked on the slave: its INT stays low */
    CHECK(!pic_has_interrupt(&b.pic));
}

TEST(icw1_clears_masks_service_priority_and_modes)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    line(&b, 5, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x35);
    out(&b, M_CMD, 0xc0 | 3);               /* set priority: IR3 lowest */
    out(&b, M_CMD, SET_SMM);
    out(&b, M_CMD, READ_ISR);
    out(&b, M_DATA, 0x42);
    line(&b, 6, true);
    out(&b, M_CMD, 0x11);
    CHECK_EQ_U(in(&b, M_DATA), 0x00);       /* IMR cleared */
    CHECK_EQ_U(in(&b, M_CMD), 0x00);        /* reads IRR again; edges forgotten */
    out(&b, M_DATA, 0x30);
    out(&b, M_DATA, 0x04);
    out(&b, M_DATA, 0x01);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK(!b.pic.master.special_mask);
    /* Priority back to IR0 highest: IR7 and IR0 together give IR0. */
    line(&b, 7, true);
    line(&b, 0, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x30);
}

TEST(single_mode_skips_icw3_and_ic4_zero_skips_icw4)
{
    static struct bench b;
    bench_init(&b);
    out(&b, M_CMD, 0x13);                   /* single, IC4 */
    out(&b, M_DATA, 0x40);
    out(&b, M_DATA, 0x03);                  /* must be ICW4: AEOI, 8086 */
    CHECK(b.pic.master.auto_eoi);
    CHECK_EQ_U(b.pic.master.init_step, PIC_READY);
    out(&b, M_DATA, 0x00);                  /* OCW1 */
    CHECK_EQ_U(in(&b, M_DATA), 0x00);
    /* Single: IR2 is an ordinary input with the master's vector. */
    out(&b, S_DATA, 0x00);
    line(&b, 9, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x42);

    bench_init(&b);
    out(&b, M_CMD, 0x10);                   /* cascade, no IC4 */
    out(&b, M_DATA, 0x50);
    out(&b, M_DATA, 0x04);                  /* ICW3 */
    CHECK_EQ_U(b.pic.master.init_step, PIC_READY);
    CHECK(!b.pic.master.auto_eoi);
    CHECK_EQ_U(b.pic.master.icw4, 0);
    out(&b, M_DATA, 0xf7);                  /* OCW1 */
    CHECK_EQ_U(in(&b, M_DATA), 0xf7);
}

/* ------------------------------------------------------------------------ */
/* Priorities                                                               */

TEST(fully_nested_priorities)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    line(&b, 5, true);
    line(&b, 3, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    CHECK(!pic_has_interrupt(&b.pic));       /* IR5 ranks below IR3 in service */
    line(&b, 1, true);
    CHECK(pic_has_interrupt(&b.pic));        /* IR1 ranks above: nests */
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x31);
    CHECK_EQ_U(isr(&b, M_CMD), 0x0a);
    out(&b, M_CMD, NS_EOI);                 /* ends IR1, the highest */
    CHECK_EQ_U(isr(&b, M_CMD), 0x08);
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_CMD, NS_EOI);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x35);
    /* The same level does not interrupt itself. */
    line(&b, 5, false);
    line(&b, 5, true);
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x35);
}

TEST(cascade_ranks_the_slave_at_ir2)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    line(&b, 3, true);
    line(&b, 15, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3f);      /* IR2 outranks IR3 */
    line(&b, 1, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x31);      /* IR1 outranks IR2 in service */
    out(&b, M_CMD, NS_EOI);
    out(&b, S_CMD, NS_EOI);
    CHECK(!pic_has_interrupt(&b.pic));               /* master ISR2 still set */
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    /* Within the slave: IRQ 8 before IRQ 10. */
    out(&b, M_CMD, NS_EOI);
    line(&b, 10, true);
    line(&b, 8, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x38);
}

TEST(special_mask_mode_lets_lower_levels_in)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    line(&b, 3, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    line(&b, 6, true);
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_DATA, 0x08);                  /* mask IR3: no help without SMM */
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_CMD, SET_SMM);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x36);
    /* Masked IR3 is not what a non-specific EOI ends in SMM: IR6 is. */
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_U(isr(&b, M_CMD), 0x08);
    out(&b, M_CMD, SPEC_EOI | 3);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    out(&b, M_CMD, RESET_SMM);
    CHECK(!b.pic.master.special_mask);
}

TEST(rotate_on_nonspecific_eoi_makes_the_level_lowest)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    line(&b, 0, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x30);
    out(&b, M_CMD, 0xa0);                   /* rotate on non-specific EOI */
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK_EQ_U(b.pic.master.lowest_priority, 0);
    line(&b, 0, false);
    line(&b, 0, true);
    line(&b, 7, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);      /* IR1 highest ... IR0 lowest */
    out(&b, M_CMD, 0xa0);
    CHECK_EQ_U(b.pic.master.lowest_priority, 7);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x30);
}

TEST(specific_rotation_and_set_priority)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    out(&b, M_CMD, 0xc4);                   /* set priority: IR4 lowest, IR5 highest */
    line(&b, 3, true);
    line(&b, 6, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x36);
    /* IR6 in service blocks IR3 (ranks 5, 6, 7, 0, 1, 2, 3, 4). */
    CHECK(!pic_has_interrupt(&b.pic));
    out(&b, M_CMD, 0xe0 | 6);               /* rotate on specific EOI: IR6 lowest */
    CHECK_EQ_U(b.pic.master.lowest_priority, 6);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    line(&b, 7, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);      /* IR7 now highest */
    out(&b, M_CMD, 0x40);                   /* no operation */
    CHECK_EQ_U(isr(&b, M_CMD), 0x80);
}

TEST(rotate_in_auto_eoi_mode)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, true, 0x00, 0xff);
    out(&b, M_CMD, 0x80);                   /* rotate in AEOI: set */
    line(&b, 1, true);
    line(&b, 3, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x31);
    CHECK_EQ_U(b.pic.master.lowest_priority, 1);
    line(&b, 1, false);
    line(&b, 1, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);      /* IR1 now ranks last */
    CHECK_EQ_U(b.pic.master.lowest_priority, 3);
    out(&b, M_CMD, 0x00);                   /* rotate in AEOI: clear */
    line(&b, 5, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x35);
    CHECK_EQ_U(b.pic.master.lowest_priority, 3);
}

TEST(special_fully_nested_mode_admits_higher_slave_requests)
{
    static struct bench b;
    for (int sfnm = 0; sfnm <= 1; sfnm++) {
        bench_init(&b);
        linux_init(&b, false, 0x00, 0x00);
        if (sfnm) {
            out(&b, M_CMD, 0x11);
            out(&b, M_DATA, 0x30);
            out(&b, M_DATA, 0x04);
            out(&b, M_DATA, 0x11);          /* SFNM, 8086 */
        }
        line(&b, 12, true);
        CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3c);
        line(&b, 9, true);                  /* ranks above IRQ 12 on the slave */
        CHECK_EQ_U(pic_has_interrupt(&b.pic), sfnm);
        line(&b, 3, true);                  /* below IR2: blocked either way */
        if (sfnm) {
            CHECK_EQ_I(pic_acknowledge(&b.pic), 0x39);
            CHECK_EQ_U(isr(&b, S_CMD), 0x12);
            CHECK(!pic_has_interrupt(&b.pic));
        } else {
            CHECK(!pic_has_interrupt(&b.pic));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Triggering                                                               */

TEST(edge_requests_latch_after_the_line_falls)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    pulse(&b, 4);
    CHECK_EQ_U(irr(&b, M_CMD), 0x10);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x34);
    pulse(&b, 11);
    CHECK_EQ_U(irr(&b, S_CMD), 0x08);
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3b);
}

TEST(level_requests_follow_the_line)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    out(&b, ELCR2, 0x04);                   /* IRQ 10 level */
    CHECK_EQ_U(in(&b, ELCR2), 0x04);
    line(&b, 10, true);
    CHECK_EQ_U(irr(&b, S_CMD), 0x04);
    CHECK(pic_has_interrupt(&b.pic));
    line(&b, 10, false);
    CHECK_EQ_U(irr(&b, S_CMD), 0x00);
    CHECK(!pic_has_interrupt(&b.pic));
    line(&b, 10, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3a);
    CHECK_EQ_U(irr(&b, S_CMD), 0x04);       /* still the line */
    out(&b, S_CMD, NS_EOI);
    out(&b, M_CMD, NS_EOI);
    CHECK(pic_has_interrupt(&b.pic));        /* still high after EOI: again */
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3a);
    out(&b, S_CMD, NS_EOI);
    out(&b, M_CMD, NS_EOI);
    line(&b, 10, false);
    CHECK(!pic_has_interrupt(&b.pic));
    /* Back to edge: a high line latched as a request stays latched. */
    line(&b, 10, true);
    out(&b, ELCR2, 0x00);
    line(&b, 10, false);
    CHECK_EQ_U(irr(&b, S_CMD), 0x04);
}

TEST(elcr_bits_of_irq_0_1_2_8_13_stay_edge)
{
    static struct bench b;
    bench_init(&b);
    out(&b, ELCR1, 0xff);
    out(&b, ELCR2, 0xff);
    CHECK_EQ_U(in(&b, ELCR1), 0xf8);
    CHECK_EQ_U(in(&b, ELCR2), 0xde);
    out(&b, M_DATA, 0x00);
    pulse(&b, 0);                           /* still edge */
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x08);
    /* A level line already high when its bit is set becomes a request. */
    out(&b, ELCR1, 0x00);
    out(&b, M_CMD, NS_EOI);
    line(&b, 5, true);
    CHECK_EQ_U(irr(&b, M_CMD), 0x20);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x0d);
    CHECK_EQ_U(irr(&b, M_CMD), 0x00);
    out(&b, ELCR1, 0x20);
    CHECK_EQ_U(irr(&b, M_CMD), 0x20);
}

/* ------------------------------------------------------------------------ */
/* Spurious interrupts                                                      */

TEST(request_gone_before_inta_gives_spurious_irq7)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    out(&b, ELCR1, 0x20);                   /* IRQ 5 level */
    line(&b, 5, true);
    CHECK(pic_has_interrupt(&b.pic));
    line(&b, 5, false);
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_U(b.output_calls, 2);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);       /* no ISR bit for the spurious IR7 */
    /* Masking after INT rose does the same for an edge request. */
    line(&b, 4, true);
    CHECK(pic_has_interrupt(&b.pic));
    out(&b, M_DATA, 0x10);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK_EQ_U(irr(&b, M_CMD), 0x10);       /* still requested, still masked */
    /* A real IR7 does set ISR bit 7. */
    out(&b, M_DATA, 0x00);
    out(&b, M_CMD, SPEC_EOI | 4);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x34);
    line(&b, 7, true);
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);
    CHECK_EQ_U(isr(&b, M_CMD), 0x80);
}

TEST(slave_request_gone_before_inta_takes_ir2_with_it)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0xfb, 0x00);
    out(&b, ELCR2, 0x08);                   /* IRQ 11 level */
    line(&b, 11, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_U(irr(&b, M_CMD), 0x04);
    line(&b, 11, false);                    /* the slave's INT falls, and IR2 */
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_U(irr(&b, M_CMD), 0x00);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);
    CHECK_EQ_U(isr(&b, S_CMD), 0x00);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    /* The same when the slave masks its request after INT rose. */
    line(&b, 9, true);
    CHECK(pic_has_interrupt(&b.pic));
    out(&b, S_DATA, 0x02);
    CHECK(!pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x37);
    /* Unmasked again, the latched edge request is still there. */
    out(&b, S_DATA, 0x00);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x39);
}

TEST(master_reinit_keeps_a_pending_slave_request)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0xfb, 0x00);
    line(&b, 12, true);
    linux_init(&b, false, 0xfb, 0x00);      /* the slave's ICW1 drops the edge */
    CHECK(!pic_has_interrupt(&b.pic));
    line(&b, 12, false);
    line(&b, 12, true);
    out(&b, M_CMD, 0x11);                   /* the master's alone does not */
    out(&b, M_DATA, 0x30);
    out(&b, M_DATA, 0x04);
    out(&b, M_DATA, 0x01);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x3c);
}

TEST(slave_with_another_id_leaves_the_bus_floating)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0xfb, 0x00);
    out(&b, S_CMD, 0x11);
    out(&b, S_DATA, 0x38);
    out(&b, S_DATA, 0x03);                  /* ID 3: not on IR2's CAS code */
    out(&b, S_DATA, 0x01);
    line(&b, 9, true);
    CHECK(pic_has_interrupt(&b.pic));
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0xff);
    CHECK_EQ_U(isr(&b, S_CMD), 0x00);
}

TEST(auto_eoi_slave_does_not_strand_a_second_request)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, true, 0x00, 0x00);
    out(&b, S_CMD, 0x11);
    out(&b, S_DATA, 0x38);
    out(&b, S_DATA, 0x02);
    out(&b, S_DATA, 0x03);                  /* slave in AEOI too */
    line(&b, 8, true);
    line(&b, 9, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x38);
    CHECK(pic_has_interrupt(&b.pic));        /* the slave's INT stayed up */
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x39);
    CHECK(!pic_has_interrupt(&b.pic));
}

/* ------------------------------------------------------------------------ */
/* Reading: IRR/ISR selection, poll                                         */

TEST(ocw3_selects_irr_or_isr_until_changed)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    line(&b, 6, true);
    line(&b, 2 + 1, true);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    out(&b, M_CMD, READ_ISR);
    CHECK_EQ_U(in(&b, M_CMD), 0x08);
    CHECK_EQ_U(in(&b, M_CMD), 0x08);        /* stays selected */
    out(&b, M_CMD, 0x08);                   /* OCW3 with RR = 0: no change */
    CHECK_EQ_U(in(&b, M_CMD), 0x08);
    out(&b, M_CMD, READ_IRR);
    CHECK_EQ_U(in(&b, M_CMD), 0x40);
    CHECK_EQ_U(in(&b, M_DATA), 0x00);       /* the data port reads IMR */
}

TEST(poll_acknowledges_through_a_read)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    out(&b, M_CMD, POLL);
    CHECK_EQ_U(in(&b, M_CMD), 0x00);        /* nothing requested */
    CHECK_EQ_U(in(&b, M_CMD), 0x00);        /* an IRR read again */
    line(&b, 5, true);
    line(&b, 6, true);
    out(&b, M_CMD, POLL);
    CHECK_EQ_U(in(&b, M_DATA), 0x85);       /* either port */
    CHECK_EQ_U(isr(&b, M_CMD), 0x20);
    CHECK_EQ_U(irr(&b, M_CMD), 0x40);
    out(&b, M_CMD, NS_EOI);
    /* A slave request polls as IR2 on the master, then on the slave. */
    line(&b, 13, true);
    out(&b, M_CMD, POLL);
    CHECK_EQ_U(in(&b, M_CMD), 0x82);
    out(&b, S_CMD, POLL);
    CHECK_EQ_U(in(&b, S_CMD), 0x85);
    CHECK_EQ_U(isr(&b, S_CMD), 0x20);
    CHECK_EQ_U(isr(&b, M_CMD), 0x04);
    CHECK_EQ_U(in(&b, S_DATA), 0x00);       /* the poll was one read only */
}

TEST(poll_in_auto_eoi_mode_ends_at_once)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, true, 0x00, 0xff);
    line(&b, 1, true);
    out(&b, M_CMD, POLL);
    CHECK_EQ_U(in(&b, M_CMD), 0x81);
    CHECK_EQ_U(isr(&b, M_CMD), 0x00);
    CHECK(!pic_has_interrupt(&b.pic));
}

/* ------------------------------------------------------------------------ */
/* Lines and the output                                                     */

TEST(output_callback_reports_each_change_once)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0xff);
    line(&b, 3, true);
    line(&b, 4, true);                      /* INT already up */
    CHECK_EQ_U(b.output_calls, 1);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x33);
    CHECK_EQ_U(b.output_calls, 2);
    CHECK(!b.last_output);
    out(&b, M_CMD, NS_EOI);
    CHECK_EQ_U(b.output_calls, 3);
    CHECK(b.last_output);
    /* A NULL output is allowed. */
    struct pic8259 quiet;
    pic_init(&quiet, NULL, NULL);
    pic_write(&quiet, M_DATA, 0x00);
    pic_set_irq(&quiet, 0, true);
    CHECK(pic_has_interrupt(&quiet));
}

TEST(irq_lines_connect_and_irq2_is_not_an_input)
{
    static struct bench b;
    bench_init(&b);
    linux_init(&b, false, 0x00, 0x00);
    struct irq_line com1, rtc;
    irq_line_init(&com1, 4);
    irq_line_init(&rtc, 8);
    irq_line_set(&rtc, true);               /* already high when connected */
    pic_connect_irq_line(&b.pic, &com1);
    pic_connect_irq_line(&b.pic, &rtc);
    CHECK_EQ_U(irr(&b, S_CMD), 0x01);
    irq_line_set(&com1, true);
    CHECK_EQ_U(irr(&b, M_CMD), 0x14);
    CHECK_EQ_I(pic_acknowledge(&b.pic), 0x38);
    line(&b, 2, true);
    line(&b, 16, true);
    line(&b, 99, true);
    CHECK_EQ_U(b.pic.master.lines & 0x04, 0);   /* IR2 is the slave's INT only */
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

_Noreturn void panic_at(const char *file, int line_no, const char *fmt, ...)
{
    (void)file, (void)line_no, (void)fmt;
    stub_panics++;
    longjmp(stub_panic_jmp, 1);
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

TEST(attach_registers_three_ranges)
{
    static struct vm vm = { .name = "p", .index = 2 };
    static struct bench sink;
    memset(&sink, 0, sizeof(sink));
    stub_npio = 0;
    CHECK(pic8259_of(&vm) == NULL);
    pic8259_attach(&vm, bench_output, &sink);
    CHECK_EQ_U(stub_npio, 3);
    CHECK_EQ_U(stub_pio[0].first, 0x20);
    CHECK_EQ_U(stub_pio[0].last, 0x21);
    CHECK_STR(stub_pio[0].name, "pic-master");
    CHECK_EQ_U(stub_pio[1].first, 0xa0);
    CHECK_EQ_U(stub_pio[1].last, 0xa1);
    CHECK_STR(stub_pio[1].name, "pic-slave");
    CHECK_EQ_U(stub_pio[2].first, 0x4d0);
    CHECK_EQ_U(stub_pio[2].last, 0x4d1);
    CHECK_STR(stub_pio[2].name, "elcr");
    struct pic8259 *pic = pic8259_of(&vm);
    CHECK(pic != NULL);
    CHECK(stub_pio[0].dev == pic && stub_pio[1].dev == pic && stub_pio[2].dev == pic);

    CHECK_EQ_U(pio_in(0, 0x21, 1), 0xfb);
    CHECK_EQ_U(pio_in(1, 0xa1, 1), 0xff);
    /* A word OUT to 0x4D0 is ELCR1 then ELCR2, as Linux's elcr_set writes them. */
    pio_out(2, 0x4d0, 2, 0x0c20);
    CHECK_EQ_U(pio_in(2, 0x4d0, 2), 0x0c20);
    CHECK_EQ_U(pio_in(2, 0x4d1, 2), 0xff0c);    /* 0x4D2 is not the PIC's */
    pio_out(0, 0x21, 1, 0xfe);
    pic_set_irq(pic, 0, true);
    CHECK(sink.last_output);
    CHECK(pic && pic_acknowledge(pic) == 0x08);
    /* A word read at 0x20: IRR, then IMR. */
    pic_set_irq(pic, 1, true);
    CHECK_EQ_U(pio_in(0, 0x20, 2), 0xfe02);
    /* A second attach resets the model. */
    stub_npio = 0;
    pic8259_attach(&vm, NULL, NULL);
    CHECK(pic8259_of(&vm) == pic);
    CHECK_EQ_U(pio_in(0, 0x20, 1), 0x00);
}

TEST(attach_refuses_a_vm_without_a_slot)
{
    static struct vm vm = { .name = "x", .index = VM_MAX_VMS };
    stub_npio = 0;
    stub_panics = 0;
    if (!setjmp(stub_panic_jmp))
        pic8259_attach(&vm, NULL, NULL);
    CHECK_EQ_I(stub_panics, 1);
    CHECK_EQ_U(stub_npio, 0);
    CHECK(pic8259_of(&vm) == NULL);
}
