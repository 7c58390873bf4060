/*
 * The host's time-stamp counter as keel's clock (arch/x86/tsc.c): its rate,
 * measured once at boot against the 8254 PIT, and conversions between TSC
 * ticks and nanoseconds that need no 128-bit division (keel links no libgcc).
 */
#ifndef KEEL_ARCH_X86_TSC_H
#define KEEL_ARCH_X86_TSC_H

#include <stdint.h>

/* Measures the TSC rate against PIT channel 2 (about 20 ms of wall time).
 * Returns the rate in kHz; tsc_khz() gives it afterwards. */
uint32_t tsc_calibrate(void);

/* The measured rate; 0 before tsc_calibrate(). */
uint32_t tsc_khz(void);

/* ticks * 10^6 / khz and back, exact up to rounding down, without overflow
 * for any tick count a machine reaches in centuries. */
uint64_t tsc_to_ns(uint64_t ticks, uint32_t khz);
uint64_t ns_to_tsc(uint64_t ns, uint32_t khz);

#endif
