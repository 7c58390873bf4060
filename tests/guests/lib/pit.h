/*
 * The PC's 8254 programmable interval timer (ports 0x40-0x43) and the timer
 * bits of system control port B (0x61), with the names of the Intel 8254
 * data sheet ("Control Word Format", "Read-Back Command", "Status Byte",
 * "Mode Definitions").
 *
 * Wiring, as on every PC: the counters are clocked at 1.193182 MHz; OUT0
 * drives ISA IRQ 0; GATE0 and GATE1 are tied high; GATE2 is port 0x61 bit 0,
 * OUT2 reads back as port 0x61 bit 5 (and reaches the speaker when bit 1 is
 * set, which these helpers never do).
 *
 * Counts are always written and read as two bytes, low byte first, in
 * binary (a count of 0 is 65536).
 */
#ifndef GUEST_LIB_PIT_H
#define GUEST_LIB_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ                  1193182u
#define PIT_CHANNEL0_PORT       0x40
#define PIT_CONTROL_PORT        0x43
#define PIT_IRQ                 0       /* OUT0's ISA IRQ */
#define PIT_NR_CHANNELS         3
#define PIT_CHANNEL_PORT(n)     ((uint16_t)(PIT_CHANNEL0_PORT + (n)))
#define PIT_MAX_COUNT           0x10000u        /* written as 0 */

/* Control word: SC1:SC0 (bits 7:6) select the counter or the read-back
 * command, RW1:RW0 (5:4) the access (00 = counter latch command), M2:M0
 * (3:1) the mode, bit 0 BCD. */
#define PIT_CW_SC(channel)      ((uint8_t)((channel) << 6))
#define PIT_CW_READ_BACK        0xC0u
#define PIT_CW_RW_LATCH         0x00u
#define PIT_CW_RW_LSB_MSB       0x30u
#define PIT_CW_MODE(mode)       ((uint8_t)((mode) << 1))
#define PIT_CW_BCD              0x01u

/* Read-back command: bit 5 COUNT and bit 4 STATUS are active low (0 =
 * latch it); bits 3:1 select counters 2:0. */
#define PIT_RB_NO_COUNT         0x20u
#define PIT_RB_NO_STATUS        0x10u
#define PIT_RB_CHANNEL(n)       ((uint8_t)(2u << (n)))

/* Status byte: OUTPUT, NULL COUNT, then control word bits 5:0. */
#define PIT_STATUS_OUT          0x80u
#define PIT_STATUS_NULL_COUNT   0x40u
#define PIT_STATUS_CONTROL_MASK 0x3Fu

/* System control port B. */
#define PORT_B                  0x61
#define PORT_B_GATE2            0x01u   /* read/write */
#define PORT_B_SPEAKER_DATA     0x02u   /* read/write: OUT2 to the speaker */
#define PORT_B_OUT2             0x20u   /* read only */

enum pit_mode {
    PIT_MODE_INTERRUPT_ON_TERMINAL_COUNT = 0,
    PIT_MODE_HARDWARE_ONE_SHOT = 1,
    PIT_MODE_RATE_GENERATOR = 2,
    PIT_MODE_SQUARE_WAVE = 3,
    PIT_MODE_SOFTWARE_STROBE = 4,
    PIT_MODE_HARDWARE_STROBE = 5,
};

/* The control word that pit_program() writes for 'mode': low then high
 * byte, binary.  The status byte's bits 5:0 repeat it. */
uint8_t pit_control_word(unsigned channel, enum pit_mode mode);

/* Writes the control word, then 'count' (1..65536; 65536 is written as 0),
 * low byte first.  A count write starts counting on the next clock. */
void pit_program(unsigned channel, enum pit_mode mode, uint32_t count);

/* Writes the control word alone.  In mode 0 this makes OUT low and stops
 * the counter until a count is written: how the guests park channel 0. */
void pit_set_mode(unsigned channel, enum pit_mode mode);

/* The count for 'hz' interrupts per second, rounded to the nearest count
 * (1..65536). */
uint32_t pit_count_for_hz(uint32_t hz);

/* Counter latch command for 'channel', then the two count bytes. */
uint16_t pit_latch_count(unsigned channel);

/* The counter latch command alone, and the two-byte read of whatever is
 * latched (or of the live counter when nothing is). */
void pit_latch(unsigned channel);
uint16_t pit_read_count(unsigned channel);

/* Read-back command for one channel latching status and count; the status
 * byte comes first, then the count. */
void pit_read_back(unsigned channel, uint8_t *status, uint16_t *count);

/* Read-back of the status alone, and of the count alone. */
uint8_t pit_read_back_status(unsigned channel);
uint16_t pit_read_back_count(unsigned channel);

/* GATE2 through port 0x61 bit 0; the speaker stays off. */
void pit_set_gate2(bool high);

/* OUT2 as port 0x61 bit 5 shows it. */
bool pit_out2(void);

#endif
