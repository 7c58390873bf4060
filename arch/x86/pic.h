/* The host's legacy 8259A pair (arch/x86/pic.c).  keel takes no host
 * interrupts yet, so it silences them at boot. */
#ifndef KEEL_ARCH_X86_PIC_H
#define KEEL_ARCH_X86_PIC_H

/* Masks every IRQ line of both PICs. */
void pic_mask_all(void);

#endif
