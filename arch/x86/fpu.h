/*
 * The x87/MMX/SSE/AVX register state of guests (arch/x86/fpu.c).  keel
 * itself never uses those registers (it is built with -mno-sse), and VM
 * entry and exit switch none of them (SDM vol. 3C 27.3, 28.5: only what the
 * VMCS holds), so whatever state is live on the CPU belongs to the vCPU that
 * ran last.  When another vCPU is to run, keel saves the live state into the
 * outgoing vCPU's area and loads the incoming one's: with XSAVE/XRSTOR of
 * every component the CPU supports where it has XSAVE, else with
 * FXSAVE/FXRSTOR (SDM vol. 1 chapter 13, "Managing State Using the XSAVE
 * Feature Set"; vol. 1 10.5, "FXSAVE and FXRSTOR").
 */
#ifndef KEEL_ARCH_X86_FPU_H
#define KEEL_ARCH_X86_FPU_H

#include <stdint.h>

/* Once at boot: sets CR4.OSFXSR (so FXSAVE covers the XMM registers and
 * MXCSR: SDM vol. 2A "FXSAVE") and learns the save area's size. */
void fpu_init(void);

/* A save area holding the state of a CPU after reset/INIT as far as the
 * x87 and SSE units go (SDM vol. 3A 9.1.1, table 9-1: FCW 0x037F, all
 * tags empty, MXCSR 0x1F80, every register 0); NULL never (panics). */
void *fpu_alloc_area(void);
void fpu_reset_area(void *area);

/* Makes `in` the state on the CPU: saves the live registers into `out`
 * (NULL: they are dropped), loads `in`'s, and leaves XCR0 = in_xcr0 (the
 * vCPU's own; VM entry does not load XCR0 either).  With XSAVE, both moves
 * cover every component the CPU supports, under an XCR0 that enables them
 * all: a guest uses SSE registers whatever its XCR0 says (SDM vol. 1
 * 13.3), and XSAVE saves only what XCR0 enables. */
void fpu_switch(void *out, const void *in, uint64_t in_xcr0);

#endif
