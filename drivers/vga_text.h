/*
 * The VGA text-mode console (drivers/vga_text.c): the screen the BIOS or
 * the boot loader left in EGA/VGA text mode, usually 80x25 at 0xB8000.
 */
#ifndef KEEL_DRIVERS_VGA_TEXT_H
#define KEEL_DRIVERS_VGA_TEXT_H

#include <stdbool.h>

struct boot_framebuffer;

/*
 * Starts the console on fb if it is BOOT_FB_EGA_TEXT with sane geometry
 * (columns and rows from fb; address 0 means the standard 0xB8000): clears
 * the screen, shows the hardware cursor and registers console "vga", which
 * prints light grey on black, handles '\n' '\r' '\t' '\b' and scrolls.
 * Bytes outside printable ASCII show as a small square.  Returns false,
 * touching nothing, for any other framebuffer or if the console is already
 * running.  Needs the direct map (paging_init()); call on one CPU.
 */
bool vga_text_init(const struct boot_framebuffer *fb);

#endif
