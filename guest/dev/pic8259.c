/*
 * The guests' 8259A pair: a register model of two cascaded Intel 8259As
 * with the PIIX ELCR (guest/dev/pic8259.h says what it does and where it
 * departs from the data sheet), then the glue that puts one on a VM's
 * ports.  Section names cited are the 8259A data sheet's.
 *
 * Priority.  Each chip ranks its eight inputs in a circle: the IR after
 * `lowest_priority` is the highest, then the next, and so on ("Rotating
 * Priority"; ICW1 leaves IR0 highest, IR7 lowest).  A request is presented
 * on INT when it is unmasked and ranks above every level in service ("Fully
 * Nested Mode").  In the special mask mode a masked level in service no
 * longer blocks anything ("Special Mask Mode").
 */
#include "guest/dev/pic8259.h"

#include "guest/vm.h"
#include "kernel/log.h"

/* ICW1 (A0 = 0, D4 = 1) */
#define ICW1_IC4                0x01    /* ICW4 follows */
#define ICW1_SNGL               0x02    /* single: no ICW3 */
#define ICW1_SELECT             0x10

/* ICW2: the vector's T7-T3; in 8086 mode the chip supplies bits 2:0. */
#define ICW2_VECTOR_MASK        0xf8

/* ICW3 on a slave: its ID, the IR of the master it is cascaded on. */
#define ICW3_SLAVE_ID_MASK      0x07

/* ICW4 */
#define ICW4_AEOI               0x02
#define ICW4_SFNM               0x10

/* A0 = 0 writes that are not ICW1: D3 tells OCW3 (1) from OCW2 (0). */
#define OCW3_SELECT             0x08

/* OCW2: R, SL, EOI in bits 7:5, the level L in bits 2:0. */
#define OCW2_COMMAND_MASK       0xe0
#define OCW2_LEVEL_MASK         0x07
#define OCW2_ROTATE_AEOI_CLEAR  0x00
#define OCW2_NONSPECIFIC_EOI    0x20
#define OCW2_NOP                0x40
#define OCW2_SPECIFIC_EOI       0x60
#define OCW2_ROTATE_AEOI_SET    0x80
#define OCW2_ROTATE_NONSPECIFIC 0xa0
#define OCW2_SET_PRIORITY       0xc0
#define OCW2_ROTATE_SPECIFIC    0xe0

/* OCW3 */
#define OCW3_RIS                0x01    /* with RR: read ISR (else IRR) */
#define OCW3_RR                 0x02    /* RIS is valid */
#define OCW3_POLL               0x04
#define OCW3_SMM                0x20    /* with ESMM: set (else reset) special mask */
#define OCW3_ESMM               0x40

/* Poll word: I (bit 7) when a request was found, its IR in bits 2:0. */
#define POLL_REQUEST            0x80

#define SPURIOUS_IR             7
#define NR_IR                   8
#define FLOATING_BUS            0xff
#define BITS_PER_BYTE           8

/* Reset state: what a PC BIOS programs (see pic8259.h). */
#define BIOS_MASTER_VECTORS     0x08
#define BIOS_SLAVE_VECTORS      0x70
#define BIOS_MASTER_IMR         ((uint8_t)~(1u << PIC_CASCADE_IR))
#define BIOS_SLAVE_IMR          0xff
#define BIOS_ICW1               (ICW1_SELECT | ICW1_IC4)
#define BIOS_ICW4_8086          0x01

static uint8_t ir_bit(unsigned ir)
{
    return (uint8_t)(1u << ir);
}

/* ---- one chip ---- */

static bool is_level_triggered(const struct pic8259_chip *c, unsigned ir)
{
    return c->elcr & ir_bit(ir);
}

/* An input changes level ("Edge and Level Triggered Modes").  An edge input
 * latches a rising edge in IRR (see pic8259.h for why it is not withdrawn);
 * a level input's IRR bit is the line. */
static void chip_set_input(struct pic8259_chip *c, unsigned ir, bool level)
{
    uint8_t bit = ir_bit(ir);
    bool was_high = c->lines & bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
    if (is_level_triggered(c, ir))
        c->irr = (uint8_t)((c->irr & ~bit) | (c->lines & bit));
    else if (level && !was_high)
        c->irr |= bit;
}

/* The ISR bits that hold lower priorities off. */
static uint8_t blocking_in_service(const struct pic8259_chip *c)
{
    return c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/* In the special fully nested mode a master's cascade input in service
 * still accepts a request of its own (from a higher slave level). */
static bool accepts_nested_request(const struct pic8259_chip *c, bool is_master, unsigned ir)
{
    return is_master && c->special_fully_nested && !c->single && (c->icw3 & ir_bit(ir));
}

/* The IR the chip would present on INT, or -1: the highest-priority
 * unmasked request, if nothing in service ranks at or above it. */
static int chip_resolve(const struct pic8259_chip *c, bool is_master)
{
    uint8_t requests = (uint8_t)(c->irr & ~c->imr);
    uint8_t in_service = blocking_in_service(c);
    for (unsigned rank = 0; rank < NR_IR; rank++) {
        unsigned ir = (c->lowest_priority + 1 + rank) % NR_IR;
        bool requested = requests & ir_bit(ir);
        if (in_service & ir_bit(ir))
            return requested && accepts_nested_request(c, is_master, ir) ? (int)ir : -1;
        if (requested)
            return (int)ir;
    }
    return -1;
}

/* The in-service level of highest priority (the one a non-specific EOI
 * ends), or -1.  In the special mask mode masked levels are not candidates
 * ("Special Mask Mode": they need a specific EOI). */
static int highest_in_service(const struct pic8259_chip *c)
{
    uint8_t in_service = blocking_in_service(c);
    for (unsigned rank = 0; rank < NR_IR; rank++) {
        unsigned ir = (c->lowest_priority + 1 + rank) % NR_IR;
        if (in_service & ir_bit(ir))
            return (int)ir;
    }
    return -1;
}

/* What INTA (or a poll) does to the chip that answers for `ir`
 * ("Interrupt Sequence", "Automatic End of Interrupt Mode"): the request
 * is consumed (a level input's IRR keeps following its line) and the level
 * goes in service, unless auto-EOI ends it at once. */
static void chip_take(struct pic8259_chip *c, unsigned ir)
{
    uint8_t bit = ir_bit(ir);
    if (!is_level_triggered(c, ir))
        c->irr &= (uint8_t)~bit;
    if (!c->auto_eoi)
        c->isr |= bit;
    else if (c->rotate_on_auto_eoi)
        c->lowest_priority = (uint8_t)ir;
}

static uint8_t chip_vector(const struct pic8259_chip *c, unsigned ir)
{
    return (uint8_t)(c->vector_base | ir);
}

/* ICW1 ("Initialization Command Words"): the chip restarts its ICW
 * sequence; see pic8259.h for what is cleared. */
static void chip_write_icw1(struct pic8259_chip *c, uint8_t value)
{
    c->single = value & ICW1_SNGL;
    c->icw4_needed = value & ICW1_IC4;
    c->init_step = PIC_AWAIT_ICW2;
    c->irr = c->lines & c->elcr;
    c->isr = 0;
    c->imr = 0;
    c->lowest_priority = NR_IR - 1;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_auto_eoi = false;
    if (!c->icw4_needed) {
        c->icw4 = 0;
        c->auto_eoi = false;
        c->special_fully_nested = false;
    }
}

static void chip_write_icw4(struct pic8259_chip *c, uint8_t value)
{
    c->icw4 = value;
    c->auto_eoi = value & ICW4_AEOI;
    c->special_fully_nested = value & ICW4_SFNM;
}

/* A data port write: the next ICW while initialising, else OCW1. */
static void chip_write_data(struct pic8259_chip *c, uint8_t value)
{
    switch (c->init_step) {
    case PIC_AWAIT_ICW2:
        c->vector_base = value & ICW2_VECTOR_MASK;
        c->init_step = !c->single ? PIC_AWAIT_ICW3
                     : c->icw4_needed ? PIC_AWAIT_ICW4 : PIC_READY;
        break;
    case PIC_AWAIT_ICW3:
        c->icw3 = value;
        c->init_step = c->icw4_needed ? PIC_AWAIT_ICW4 : PIC_READY;
        break;
    case PIC_AWAIT_ICW4:
        chip_write_icw4(c, value);
        c->init_step = PIC_READY;
        break;
    case PIC_READY:
        c->imr = value;
        break;
    }
}

static void end_of_interrupt(struct pic8259_chip *c, int ir, bool rotate)
{
    if (ir < 0)
        return;
    c->isr &= (uint8_t)~ir_bit((unsigned)ir);
    if (rotate)
        c->lowest_priority = (uint8_t)ir;
}

/* OCW2 ("Operation Command Words"): EOIs and priority rotation. */
static void chip_write_ocw2(struct pic8259_chip *c, uint8_t value)
{
    unsigned level = value & OCW2_LEVEL_MASK;
    switch (value & OCW2_COMMAND_MASK) {
    case OCW2_NONSPECIFIC_EOI:
        end_of_interrupt(c, highest_in_service(c), false);
        break;
    case OCW2_SPECIFIC_EOI:
        end_of_interrupt(c, (int)level, false);
        break;
    case OCW2_ROTATE_NONSPECIFIC:
        end_of_interrupt(c, highest_in_service(c), true);
        break;
    case OCW2_ROTATE_SPECIFIC:
        end_of_interrupt(c, (int)level, true);
        break;
    case OCW2_SET_PRIORITY:
        c->lowest_priority = (uint8_t)level;
        break;
    case OCW2_ROTATE_AEOI_SET:
        c->rotate_on_auto_eoi = true;
        break;
    case OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_on_auto_eoi = false;
        break;
    default:            /* OCW2_NOP */
        break;
    }
}

/* OCW3: special mask mode, poll, and which register A0 = 0 reads. */
static void chip_write_ocw3(struct pic8259_chip *c, uint8_t value)
{
    if (value & OCW3_ESMM)
        c->special_mask = value & OCW3_SMM;
    if (value & OCW3_RR)
        c->read_isr = value & OCW3_RIS;
    c->poll = value & OCW3_POLL;
}

static void chip_write_command(struct pic8259_chip *c, uint8_t value)
{
    if (value & ICW1_SELECT)
        chip_write_icw1(c, value);
    else if (value & OCW3_SELECT)
        chip_write_ocw3(c, value);
    else
        chip_write_ocw2(c, value);
}

/* The poll command's read ("Poll Command"): an acknowledge of this chip. */
static uint8_t chip_poll(struct pic8259_chip *c, bool is_master)
{
    c->poll = false;
    int ir = chip_resolve(c, is_master);
    if (ir < 0)
        return 0;
    chip_take(c, (unsigned)ir);
    return (uint8_t)(POLL_REQUEST | ir);
}

static void chip_write_elcr(struct pic8259_chip *c, uint8_t value, uint8_t writable)
{
    c->elcr = value & writable;
    /* Inputs now level-triggered take their line as IRR; edge inputs keep
     * what they latched. */
    c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
}

/* ---- the pair ---- */

/* The master's IR2 is the slave's INT, followed as a level (see
 * pic8259.h): the master requests IR2 exactly while the slave has a
 * request to present. */
static void feed_cascade(struct pic8259 *pic)
{
    uint8_t bit = ir_bit(PIC_CASCADE_IR);
    if (chip_resolve(&pic->slave, false) >= 0) {
        pic->master.lines |= bit;
        pic->master.irr |= bit;
    } else {
        pic->master.lines &= (uint8_t)~bit;
        pic->master.irr &= (uint8_t)~bit;
    }
}

/* Feeds the slave's INT into the master, then reports the master's INT if
 * it changed. */
static void update_outputs(struct pic8259 *pic)
{
    feed_cascade(pic);
    bool intr = chip_resolve(&pic->master, true) >= 0;
    if (intr == pic->intr)
        return;
    pic->intr = intr;
    if (pic->output)
        pic->output(pic->output_ctx, intr);
}

static void chip_reset_as_bios(struct pic8259_chip *c, uint8_t vectors, uint8_t icw3, uint8_t imr)
{
    *c = (struct pic8259_chip){ 0 };
    chip_write_icw1(c, BIOS_ICW1);
    chip_write_data(c, vectors);
    chip_write_data(c, icw3);
    chip_write_data(c, BIOS_ICW4_8086);
    chip_write_data(c, imr);
}

void pic_init(struct pic8259 *pic, pic_output_fn output, void *output_ctx)
{
    *pic = (struct pic8259){ .output = output, .output_ctx = output_ctx };
    chip_reset_as_bios(&pic->master, BIOS_MASTER_VECTORS, ir_bit(PIC_CASCADE_IR), BIOS_MASTER_IMR);
    chip_reset_as_bios(&pic->slave, BIOS_SLAVE_VECTORS, PIC_CASCADE_IR, BIOS_SLAVE_IMR);
    update_outputs(pic);
}

void pic_set_irq(struct pic8259 *pic, unsigned irq, bool level)
{
    if (irq >= PIC_NR_IRQS || irq == PIC_CASCADE_IR)
        return;
    if (irq < NR_IR)
        chip_set_input(&pic->master, irq, level);
    else
        chip_set_input(&pic->slave, irq - NR_IR, level);
    update_outputs(pic);
}

static void irq_line_to_pic(void *ctx, unsigned irq, bool level)
{
    pic_set_irq(ctx, irq, level);
}

void pic_connect_irq_line(struct pic8259 *pic, struct irq_line *line)
{
    line->set = irq_line_to_pic;
    line->ctx = pic;
    pic_set_irq(pic, line->irq, line->level);
}

bool pic_has_interrupt(const struct pic8259 *pic)
{
    return pic->intr;
}

static bool master_has_slave_on(const struct pic8259 *pic, unsigned ir)
{
    return !pic->master.single && (pic->master.icw3 & ir_bit(ir));
}

/* The second half of a cascaded INTA: the slave whose ID the master put on
 * CAS2-0 supplies the vector ("Cascading"). */
static int slave_acknowledge(struct pic8259 *pic, unsigned cascade_ir)
{
    if ((pic->slave.icw3 & ICW3_SLAVE_ID_MASK) != cascade_ir)
        return FLOATING_BUS;
    int ir = chip_resolve(&pic->slave, false);
    if (ir < 0)         /* the data sheet's default; see pic8259.h */
        return chip_vector(&pic->slave, SPURIOUS_IR);
    chip_take(&pic->slave, (unsigned)ir);
    return chip_vector(&pic->slave, (unsigned)ir);
}

int pic_acknowledge(struct pic8259 *pic)
{
    int vector;
    int ir = chip_resolve(&pic->master, true);
    if (ir < 0) {
        vector = chip_vector(&pic->master, SPURIOUS_IR);
    } else if (master_has_slave_on(pic, (unsigned)ir)) {
        chip_take(&pic->master, (unsigned)ir);
        vector = slave_acknowledge(pic, (unsigned)ir);
    } else {
        chip_take(&pic->master, (unsigned)ir);
        vector = chip_vector(&pic->master, (unsigned)ir);
    }
    update_outputs(pic);
    return vector;
}

uint8_t pic_read(struct pic8259 *pic, uint16_t port)
{
    struct pic8259_chip *c;
    switch (port) {
    case PIC_MASTER_COMMAND_PORT:
    case PIC_MASTER_DATA_PORT:
        c = &pic->master;
        break;
    case PIC_SLAVE_COMMAND_PORT:
    case PIC_SLAVE_DATA_PORT:
        c = &pic->slave;
        break;
    case PIC_ELCR_MASTER_PORT:
        return pic->master.elcr;
    case PIC_ELCR_SLAVE_PORT:
        return pic->slave.elcr;
    default:
        return FLOATING_BUS;
    }
    if (c->poll) {
        uint8_t word = chip_poll(c, c == &pic->master);
        update_outputs(pic);
        return word;
    }
    if (port == PIC_MASTER_DATA_PORT || port == PIC_SLAVE_DATA_PORT)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

void pic_write(struct pic8259 *pic, uint16_t port, uint8_t value)
{
    switch (port) {
    case PIC_MASTER_COMMAND_PORT: chip_write_command(&pic->master, value); break;
    case PIC_MASTER_DATA_PORT: chip_write_data(&pic->master, value); break;
    case PIC_SLAVE_COMMAND_PORT: chip_write_command(&pic->slave, value); break;
    case PIC_SLAVE_DATA_PORT: chip_write_data(&pic->slave, value); break;
    case PIC_ELCR_MASTER_PORT:
        chip_write_elcr(&pic->master, value, PIC_ELCR_MASTER_WRITABLE);
        break;
    case PIC_ELCR_SLAVE_PORT:
        chip_write_elcr(&pic->slave, value, PIC_ELCR_SLAVE_WRITABLE);
        break;
    default:
        return;
    }
    update_outputs(pic);
}

/* ---- attaching to a VM ---- */

struct pic8259_slot {
    struct pic8259 pic;
    bool attached;
};

static struct pic8259_slot pic_slots[VM_MAX_VMS];

/* One guest IN or OUT on one of the three ranges: a 2- or 4-byte access is
 * the ISA bus's sequence of byte cycles, lowest byte first; `last` is the
 * range's last port. */
static int pic_pio_range(struct pic8259 *pic, uint16_t port, uint16_t last, unsigned size,
                         bool in, uint32_t *value)
{
    if (in)
        *value = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned p = (unsigned)port + i;
        unsigned shift = BITS_PER_BYTE * i;
        if (in)
            *value |= (uint32_t)(p <= last ? pic_read(pic, (uint16_t)p) : FLOATING_BUS) << shift;
        else if (p <= last)
            pic_write(pic, (uint16_t)p, (uint8_t)(*value >> shift));
    }
    return 0;
}

static int pic_pio_master(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                          uint32_t *value)
{
    (void)vm;
    return pic_pio_range(dev, port, PIC_MASTER_DATA_PORT, size, in, value);
}

static int pic_pio_slave(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                         uint32_t *value)
{
    (void)vm;
    return pic_pio_range(dev, port, PIC_SLAVE_DATA_PORT, size, in, value);
}

static int pic_pio_elcr(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                        uint32_t *value)
{
    (void)vm;
    return pic_pio_range(dev, port, PIC_ELCR_SLAVE_PORT, size, in, value);
}

void pic8259_attach(struct vm *vm, pic_output_fn output, void *output_ctx)
{
    if (vm->index >= VM_MAX_VMS)
        panic("vm %s: no 8259 slot", vm->name);
    struct pic8259_slot *s = &pic_slots[vm->index];
    pic_init(&s->pic, output, output_ctx);
    s->attached = true;
    vm_register_pio(vm, PIC_MASTER_COMMAND_PORT, PIC_MASTER_DATA_PORT, pic_pio_master, &s->pic,
                    "pic-master");
    vm_register_pio(vm, PIC_SLAVE_COMMAND_PORT, PIC_SLAVE_DATA_PORT, pic_pio_slave, &s->pic,
                    "pic-slave");
    vm_register_pio(vm, PIC_ELCR_MASTER_PORT, PIC_ELCR_SLAVE_PORT, pic_pio_elcr, &s->pic,
                    "elcr");
}

struct pic8259 *pic8259_of(struct vm *vm)
{
    if (vm->index >= VM_MAX_VMS || !pic_slots[vm->index].attached)
        return NULL;
    return &pic_slots[vm->index].pic;
}
