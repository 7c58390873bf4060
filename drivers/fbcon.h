/*
 * A text console drawn on the boot loader's linear framebuffer
 * (drivers/fbcon.c), for machines without a serial port or text mode.
 */
#ifndef KEEL_DRIVERS_FBCON_H
#define KEEL_DRIVERS_FBCON_H

#include <stdbool.h>

struct boot_framebuffer;

/*
 * Starts the console on fb if it is a direct-colour framebuffer
 * (BOOT_FB_RGB) of 16, 24 or 32 bits per pixel with sane geometry: maps it
 * with paging_map_direct(), clears it to black and registers console "fb",
 * which prints light grey 8x16 glyphs and scrolls at the bottom.
 * Returns false, touching nothing, for any other framebuffer or if the
 * console is already running.  Call after paging_init(), on one CPU.
 */
bool fbcon_init(const struct boot_framebuffer *fb);

#endif
