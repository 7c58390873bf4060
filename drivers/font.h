/*
 * keel's built-in 8x16 bitmap font for the framebuffer console
 * (drivers/font8x16.c).  It covers printable ASCII, 0x20..0x7E; every other
 * byte is drawn as a hollow box so stray control or non-ASCII bytes stay
 * visible instead of vanishing.
 */
#ifndef KEEL_DRIVERS_FONT_H
#define KEEL_DRIVERS_FONT_H

#include <stdint.h>

#define FONT_WIDTH       8      /* pixels per glyph row; one byte per row */
#define FONT_HEIGHT      16     /* pixel rows per glyph */
#define FONT_FIRST       0x20   /* ' ' */
#define FONT_LAST        0x7E   /* '~' */
#define FONT_GLYPH_COUNT (FONT_LAST - FONT_FIRST + 1)

/* The bit of a glyph row byte that holds pixel x (x = 0 is the leftmost). */
#define FONT_PIXEL_BIT(x) ((uint8_t)(0x80u >> (x)))

/*
 * Fills rows[] with the glyph of byte c, top row first, one byte per row
 * (FONT_PIXEL_BIT(x) set = foreground).  Bytes outside FONT_FIRST..FONT_LAST
 * get the box glyph.  Pure: no state, callable from any context.
 */
void font_glyph(unsigned char c, uint8_t rows[FONT_HEIGHT]);

#endif
