/* Ending the machine (kernel/poweroff.c): power-off, reset, halt.
 * Each tries what it can and never returns. */
#ifndef KEEL_KERNEL_POWEROFF_H
#define KEEL_KERNEL_POWEROFF_H

struct boot_info;

/* Looks up the ACPI power-off and reset data once, from the loader's RSDP
 * copy when it has one, else by scanning the BIOS areas, and logs what it
 * found at debug level.  Optional: the machine_* functions scan on first use
 * when this was not called. */
void poweroff_init(const struct boot_info *bi);

/*
 * Switches the machine off.  On an emulator (ACPI OEM id "BOCHS ", or a TCG
 * or KVM CPUID signature) first QEMU's isa-debug-exit port 0xf4 gets status,
 * so QEMU exits with (status << 1) | 1, then Bochs's shutdown port 0x8900
 * gets "Shutdown".  Then ACPI S5 through the PM1 control registers.  When all
 * that fails: prints "keel: power-off failed; halting" and halts.
 */
_Noreturn void machine_poweroff(int status);

/* Resets the machine: ACPI reset register, keyboard controller pulse, port
 * 0xCF9, and finally a triple fault, which cannot fail. */
_Noreturn void machine_reboot(void);

/* Prints a message and stops this CPU for good. */
_Noreturn void machine_halt(void);

#endif
