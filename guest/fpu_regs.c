/*
 * The guest's MMX and XMM registers, reached with the instructions
 * themselves (contract in guest/fpu_regs.h).  The host's CR0 and CR4 are
 * keel's, which does not enable SSE: for the duration of the move CR4.OSFXSR
 * is set and CR0.EM/TS are cleared (SDM vol. 3A 13.1.3: else SSE moves #UD or
 * #NM), then both are put back.
 */
#include "guest/fpu_regs.h"

#include "arch/x86/cpu.h"

#define CR0_EM          (UINT64_C(1) << 2)
#define CR0_TS          (UINT64_C(1) << 3)
#define CR4_OSFXSR      (UINT64_C(1) << 9)
/* x87 status word: an unmasked exception is pending (SDM vol. 1 8.1.3). */
#define FSW_ES          (1u << 7)
#define NR_MMX_REGS     8u
#define NR_XMM_REGS     16u

#define XMM_CASE(n)                                                                     \
    case n:                                                                             \
        if (write)                                                                      \
            __asm__ __volatile__("movdqu (%0), %%xmm" #n : : "r"(bytes) : "memory");   \
        else                                                                            \
            __asm__ __volatile__("movdqu %%xmm" #n ", (%0)" : : "r"(bytes) : "memory"); \
        break;

#define MMX_CASE(n)                                                                     \
    case n:                                                                             \
        if (write)                                                                      \
            __asm__ __volatile__("movq (%0), %%mm" #n : : "r"(bytes) : "memory");      \
        else                                                                            \
            __asm__ __volatile__("movq %%mm" #n ", (%0)" : : "r"(bytes) : "memory");   \
        break;

static void xmm_move(unsigned reg, bool write, uint8_t *bytes)
{
    switch (reg) {
    XMM_CASE(0) XMM_CASE(1) XMM_CASE(2) XMM_CASE(3)
    XMM_CASE(4) XMM_CASE(5) XMM_CASE(6) XMM_CASE(7)
    XMM_CASE(8) XMM_CASE(9) XMM_CASE(10) XMM_CASE(11)
    XMM_CASE(12) XMM_CASE(13) XMM_CASE(14) XMM_CASE(15)
    default:
        break;
    }
}

static void mmx_move(unsigned reg, bool write, uint8_t *bytes)
{
    switch (reg) {
    MMX_CASE(0) MMX_CASE(1) MMX_CASE(2) MMX_CASE(3)
    MMX_CASE(4) MMX_CASE(5) MMX_CASE(6) MMX_CASE(7)
    default:
        break;
    }
}

/* FNSTSW does not wait for pending exceptions, so it cannot raise #MF. */
static uint16_t x87_status(void)
{
    uint16_t sw;
    __asm__ __volatile__("fnstsw %0" : "=m"(sw));
    return sw;
}

int fpu_vec_access(enum vec_file file, unsigned reg, bool write, uint8_t *bytes)
{
    if (reg >= (file == VEC_MMX ? NR_MMX_REGS : NR_XMM_REGS))
        return FPU_ACCESS_BAD_REGISTER;
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();
    if (cr0 & (CR0_EM | CR0_TS))
        write_cr0(cr0 & ~(CR0_EM | CR0_TS));
    int res = FPU_ACCESS_OK;
    if (file == VEC_MMX) {
        if (x87_status() & FSW_ES)
            res = FPU_ACCESS_X87_PENDING;
        else
            mmx_move(reg, write, bytes);
    } else {
        if (!(cr4 & CR4_OSFXSR))
            write_cr4(cr4 | CR4_OSFXSR);
        xmm_move(reg, write, bytes);
        if (!(cr4 & CR4_OSFXSR))
            write_cr4(cr4);
    }
    if (cr0 & (CR0_EM | CR0_TS))
        write_cr0(cr0);
    return res;
}
