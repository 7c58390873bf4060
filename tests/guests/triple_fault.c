/*
 * triple_fault: an exception with no usable IDT.  With the IDT limit 0,
 * INT3's gate (vector 3) lies beyond the limit, which raises #GP; #GP's gate
 * is beyond it too, so #DF; #DF's as well: a triple fault, which shuts the
 * processor down (SDM vol. 3A 6.15, "Interrupt 8 - Double Fault Exception";
 * 6.12.1.2 for the IDT limit).  Under VT-x that is a "triple fault" VM exit
 * (basic exit reason 2), and keel must stop the VM.
 *
 * Expected under keel: the VM stops as "triple-fault".
 * Bare: QEMU with -no-reboot exits on the shutdown.
 */
#include "lib/guest.h"
#include "lib/report.h"
#include "lib/x86.h"

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    static const struct descriptor_table_pointer empty_idt = { .limit = 0, .base = 0 };

    printf("triple_fault: empty IDT, then int3: the VM must stop here\n");
    lidt(&empty_idt);
    __asm__ __volatile__("int3" : : : "memory");
    /* Not reached on a correct CPU; try the other way once more. */
    __asm__ __volatile__("ud2" : : : "memory");
    report(false, "triple_fault: still running after int3 and ud2 with an empty IDT");
}
