#include "arch/x86/pic.h"

#include "arch/x86/cpu.h"

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

/* Writing OCW1 (the interrupt mask register) on the data port masks lines
 * without reprogramming the PICs (8259A data sheet, "Operation Command
 * Words"): the firmware's vector setup stays as it was. */
void pic_mask_all(void)
{
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}
