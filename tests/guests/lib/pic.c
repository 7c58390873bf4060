#include "lib/pic.h"
#include "lib/x86.h"

/* Initialisation and operation command words (Intel 8259A data sheet,
 * "Programming the 8259A"). */
#define ICW1_INIT       0x10u   /* with A0 = 0: starts the ICW sequence */
#define ICW1_ICW4       0x01u   /* an ICW4 follows */
#define ICW3_MASTER_SLAVE_ON_IR2 (1u << PIC_CASCADE_IRQ)
#define ICW3_SLAVE_ID_2 PIC_CASCADE_IRQ
#define ICW4_8086       0x01u
#define OCW3_BASE       0x08u   /* D3 = 1 with A0 = 0: this is an OCW3 */
#define OCW3_READ_IRR   (OCW3_BASE | 0x02u)
#define IMR_ALL_MASKED  0xFFu
#define IMR_PROBE       0xA5u   /* anything an unclaimed port cannot return */

static uint16_t data_port_of(unsigned irq)
{
    return irq < PIC_SLAVE_FIRST_IRQ ? PIC_MASTER_DATA : PIC_SLAVE_DATA;
}

void pic_mask_irq(unsigned irq)
{
    uint16_t port = data_port_of(irq);
    outb((uint8_t)(inb(port) | (1u << (irq % PIC_SLAVE_FIRST_IRQ))), port);
}

static void init_one(uint16_t command, uint16_t data, uint8_t vector_base, uint8_t icw3)
{
    outb(ICW1_INIT | ICW1_ICW4, command);
    outb(vector_base, data);
    outb(icw3, data);
    outb(ICW4_8086, data);
    outb(IMR_ALL_MASKED, data);
}

void pic_init_all_masked(void)
{
    init_one(PIC_MASTER_COMMAND, PIC_MASTER_DATA, PIC_MASTER_VECTOR_BASE,
             ICW3_MASTER_SLAVE_ON_IR2);
    init_one(PIC_SLAVE_COMMAND, PIC_SLAVE_DATA, PIC_SLAVE_VECTOR_BASE, ICW3_SLAVE_ID_2);
}

static bool imr_holds_value(uint16_t data)
{
    outb(IMR_PROBE, data);
    bool held = inb(data) == IMR_PROBE;
    outb(IMR_ALL_MASKED, data);
    return held;
}

bool pic_present(void)
{
    bool master = imr_holds_value(PIC_MASTER_DATA);
    bool slave = imr_holds_value(PIC_SLAVE_DATA);
    return master && slave;
}

uint16_t pic_read_irr(void)
{
    outb(OCW3_READ_IRR, PIC_MASTER_COMMAND);
    outb(OCW3_READ_IRR, PIC_SLAVE_COMMAND);
    uint8_t master = inb(PIC_MASTER_COMMAND);
    uint8_t slave = inb(PIC_SLAVE_COMMAND);
    return (uint16_t)(master | (slave << 8));
}
