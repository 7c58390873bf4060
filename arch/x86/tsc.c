/*
 * Measuring the TSC against the 8254's channel 2, the one PC timer whose
 * output software can read (port 0x61 bit 5) without taking interrupts: the
 * same method PC operating systems use.  keel's virtual timers all run on
 * the TSC, so this rate is what turns guest nanoseconds into host ticks.
 */
#include "arch/x86/tsc.h"

#include "arch/x86/cpu.h"

#define PIT_HZ                  1193182u
#define PIT_CHANNEL2_PORT       0x42
#define PIT_CONTROL_PORT        0x43
#define PORT_B                  0x61
#define PORT_B_GATE2            (1u << 0)
#define PORT_B_SPEAKER_DATA     (1u << 1)
#define PORT_B_OUT2             (1u << 5)
/* Control word: channel 2, low then high byte, mode 0 (interrupt on
 * terminal count: OUT2 goes high after the count runs out), binary. */
#define PIT_CONTROL_CH2_MODE0   0xb0u
/* About 20 ms: long enough that one PIT period (838 ns) is 0.004%. */
#define CALIBRATION_COUNT       23864u
#define NS_PER_MS               1000000u

static uint32_t measured_khz;

uint64_t tsc_to_ns(uint64_t ticks, uint32_t khz)
{
    /* ns = ticks * 10^6 / khz, split so no product exceeds 64 bits. */
    uint64_t whole = ticks / khz, rest = ticks % khz;
    return whole * NS_PER_MS + rest * NS_PER_MS / khz;
}

uint64_t ns_to_tsc(uint64_t ns, uint32_t khz)
{
    uint64_t ms = ns / NS_PER_MS, rest = ns % NS_PER_MS;
    return ms * khz + rest * khz / NS_PER_MS;
}

uint32_t tsc_calibrate(void)
{
    uint8_t port_b = inb(PORT_B);
    outb(PORT_B, (uint8_t)((port_b & ~PORT_B_SPEAKER_DATA) | PORT_B_GATE2));
    outb(PIT_CONTROL_PORT, PIT_CONTROL_CH2_MODE0);
    outb(PIT_CHANNEL2_PORT, CALIBRATION_COUNT & 0xff);
    outb(PIT_CHANNEL2_PORT, CALIBRATION_COUNT >> 8);
    uint64_t start = rdtsc();
    while (!(inb(PORT_B) & PORT_B_OUT2))
        cpu_relax();
    uint64_t ticks = rdtsc() - start;
    outb(PORT_B, port_b);
    /* kHz = ticks / (count / PIT_HZ seconds) / 1000; the product stays far
     * below 2^64 for any TSC rate (10 GHz gives 2.4e14). */
    measured_khz = (uint32_t)(ticks * PIT_HZ / ((uint64_t)CALIBRATION_COUNT * 1000));
    if (!measured_khz)
        measured_khz = 1;
    return measured_khz;
}

uint32_t tsc_khz(void)
{
    return measured_khz;
}
