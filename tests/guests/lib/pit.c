#include "lib/pit.h"
#include "lib/x86.h"

uint8_t pit_control_word(unsigned channel, enum pit_mode mode)
{
    return (uint8_t)(PIT_CW_SC(channel) | PIT_CW_RW_LSB_MSB | PIT_CW_MODE(mode));
}

static void write_count(unsigned channel, uint32_t count)
{
    uint16_t wire = (uint16_t)count;    /* 65536 becomes 0 */
    outb((uint8_t)wire, PIT_CHANNEL_PORT(channel));
    outb((uint8_t)(wire >> 8), PIT_CHANNEL_PORT(channel));
}

void pit_set_mode(unsigned channel, enum pit_mode mode)
{
    outb(pit_control_word(channel, mode), PIT_CONTROL_PORT);
}

void pit_program(unsigned channel, enum pit_mode mode, uint32_t count)
{
    pit_set_mode(channel, mode);
    write_count(channel, count);
}

uint32_t pit_count_for_hz(uint32_t hz)
{
    if (!hz)
        return PIT_MAX_COUNT;
    uint32_t count = (PIT_HZ + hz / 2) / hz;
    if (count < 1)
        return 1;
    return count > PIT_MAX_COUNT ? PIT_MAX_COUNT : count;
}

uint16_t pit_read_count(unsigned channel)
{
    uint8_t low = inb(PIT_CHANNEL_PORT(channel));
    uint8_t high = inb(PIT_CHANNEL_PORT(channel));
    return (uint16_t)(low | high << 8);
}

void pit_latch(unsigned channel)
{
    outb((uint8_t)(PIT_CW_SC(channel) | PIT_CW_RW_LATCH), PIT_CONTROL_PORT);
}

uint16_t pit_latch_count(unsigned channel)
{
    pit_latch(channel);
    return pit_read_count(channel);
}

void pit_read_back(unsigned channel, uint8_t *status, uint16_t *count)
{
    outb((uint8_t)(PIT_CW_READ_BACK | PIT_RB_CHANNEL(channel)), PIT_CONTROL_PORT);
    *status = inb(PIT_CHANNEL_PORT(channel));
    *count = pit_read_count(channel);
}

uint8_t pit_read_back_status(unsigned channel)
{
    outb((uint8_t)(PIT_CW_READ_BACK | PIT_RB_NO_COUNT | PIT_RB_CHANNEL(channel)),
         PIT_CONTROL_PORT);
    return inb(PIT_CHANNEL_PORT(channel));
}

uint16_t pit_read_back_count(unsigned channel)
{
    outb((uint8_t)(PIT_CW_READ_BACK | PIT_RB_NO_STATUS | PIT_RB_CHANNEL(channel)),
         PIT_CONTROL_PORT);
    return pit_read_count(channel);
}

void pit_set_gate2(bool high)
{
    uint8_t b = (uint8_t)(inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER_DATA));
    if (high)
        b |= PORT_B_GATE2;
    outb(b, PORT_B);
}

bool pit_out2(void)
{
    return inb(PORT_B) & PORT_B_OUT2;
}
