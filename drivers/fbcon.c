/*
 * Framebuffer text console: 8x16 glyphs from drivers/font8x16.c drawn
 * straight into the boot loader's linear framebuffer.
 *
 * The screen is a grid of cols x rows text cells; any pixels to the right of
 * or below the grid (a width or height that is not a multiple of the glyph
 * size) are cleared once and then left alone.  Scrolling moves whole pixel
 * lines up by one text row with memmove() and clears the bottom row.
 *
 * Pixels are written whole (one 32- or 16-bit store, or three bytes at
 * 24 bpp), never channel by channel.  Pixel values are packed once, at init,
 * from the channel positions and sizes the loader reported (multiboot2
 * spec, 3.6.12 "Framebuffer info", framebuffer_type 1 = direct RGB).
 *
 * No lock: like the other consoles, this relies on its callers never writing
 * from two CPUs at once (console.c and log.c take no lock either, today).
 */
#include "drivers/fbcon.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "drivers/console.h"
#include "drivers/font.h"
#include "lib/string.h"
#include "mm/paging.h"

/* Light grey on black, the colours of the VGA text console (attribute 07h). */
#define FBCON_FG_LEVEL   0xAA
#define FBCON_BG_LEVEL   0x00
#define FBCON_LEVEL_MAX  0xFF       /* levels above are 8-bit intensities */
#define FBCON_TAB_WIDTH  8
#define BITS_PER_BYTE    8

/* Anything larger is a corrupt boot_info, not a display (an 8K panel at
 * 32 bpp needs 127 MiB). */
#define FBCON_MAX_BYTES  (512ull << 20)
/* A wider channel could not be packed in 32 bits next to the others. */
#define FBCON_MAX_CHANNEL_BITS 16

struct fbcon_channel {
    uint8_t pos, size;              /* bit position and width in a pixel */
};

struct fbcon {
    uint8_t *base;                  /* first byte of pixel line 0 */
    uint32_t pitch;                 /* bytes from one pixel line to the next */
    uint32_t width, height;         /* pixels */
    uint32_t bytes_per_pixel;       /* 2, 3 or 4 */
    uint32_t cols, rows;            /* text cells */
    /* Where the next glyph goes.  col == cols means the line is full: the
     * wrap happens only when another glyph arrives, so a line of exactly
     * cols characters followed by '\n' does not leave an empty line. */
    uint32_t col, row;
    uint32_t fg, bg;                /* packed pixel values */
};

/* ---- mode checks and pixel format ---- */

/* The channel layout fb describes; a loader that left every size at zero
 * gets the usual layout for its depth (x8r8g8b8, r8g8b8 or r5g6b5). */
static void fbcon_channels(const struct boot_framebuffer *fb, struct fbcon_channel *red,
                           struct fbcon_channel *green, struct fbcon_channel *blue)
{
    if (fb->red_size == 0 && fb->green_size == 0 && fb->blue_size == 0) {
        if (fb->bpp == 16) {
            *red = (struct fbcon_channel){ .pos = 11, .size = 5 };
            *green = (struct fbcon_channel){ .pos = 5, .size = 6 };
            *blue = (struct fbcon_channel){ .pos = 0, .size = 5 };
        } else {
            *red = (struct fbcon_channel){ .pos = 16, .size = 8 };
            *green = (struct fbcon_channel){ .pos = 8, .size = 8 };
            *blue = (struct fbcon_channel){ .pos = 0, .size = 8 };
        }
        return;
    }
    *red = (struct fbcon_channel){ .pos = fb->red_pos, .size = fb->red_size };
    *green = (struct fbcon_channel){ .pos = fb->green_pos, .size = fb->green_size };
    *blue = (struct fbcon_channel){ .pos = fb->blue_pos, .size = fb->blue_size };
}

static bool fbcon_channel_fits(struct fbcon_channel ch, uint8_t bpp)
{
    return ch.size > 0 && ch.size <= FBCON_MAX_CHANNEL_BITS &&
           (uint32_t)ch.pos + ch.size <= bpp;
}

/* An 8-bit intensity scaled to the channel's width, in its place. */
static uint32_t fbcon_channel_value(struct fbcon_channel ch, uint32_t level)
{
    uint32_t max = (1u << ch.size) - 1;

    return (level * max / FBCON_LEVEL_MAX) << ch.pos;
}

static uint32_t fbcon_pack_grey(const struct boot_framebuffer *fb, uint32_t level)
{
    struct fbcon_channel red, green, blue;

    fbcon_channels(fb, &red, &green, &blue);
    return fbcon_channel_value(red, level) | fbcon_channel_value(green, level) |
           fbcon_channel_value(blue, level);
}

static bool fbcon_depth_supported(uint8_t bpp)
{
    return bpp == 16 || bpp == 24 || bpp == 32;
}

static uint64_t fbcon_size_bytes(const struct boot_framebuffer *fb)
{
    return (uint64_t)fb->pitch * fb->height;
}

/* Whether fbcon can draw on fb: direct colour, a supported depth, room for
 * at least one glyph, and a geometry that keeps every store inside
 * [addr, addr + pitch * height). */
static bool fbcon_mode_usable(const struct boot_framebuffer *fb)
{
    struct fbcon_channel red, green, blue;

    if (fb->type != BOOT_FB_RGB || !fbcon_depth_supported(fb->bpp))
        return false;

    uint32_t bytes_per_pixel = fb->bpp / BITS_PER_BYTE;
    if (fb->width < FONT_WIDTH || fb->height < FONT_HEIGHT)
        return false;
    if ((uint64_t)fb->width * bytes_per_pixel > fb->pitch)
        return false;
    /* 16- and 32-bit pixels are stored whole, so they must be aligned. */
    if (bytes_per_pixel != 3 &&
        (fb->pitch % bytes_per_pixel != 0 || fb->addr % bytes_per_pixel != 0))
        return false;
    uint64_t size = fbcon_size_bytes(fb);
    if (fb->addr == 0 || size > FBCON_MAX_BYTES || fb->addr + size < fb->addr)
        return false;

    fbcon_channels(fb, &red, &green, &blue);
    return fbcon_channel_fits(red, fb->bpp) && fbcon_channel_fits(green, fb->bpp) &&
           fbcon_channel_fits(blue, fb->bpp);
}

/* ---- drawing ---- */

static uint8_t *fbcon_pixel_line(const struct fbcon *fc, uint32_t y)
{
    return fc->base + (size_t)y * fc->pitch;
}

static void fbcon_store_pixel(const struct fbcon *fc, uint8_t *line, uint32_t x,
                              uint32_t value)
{
    switch (fc->bytes_per_pixel) {
    case 4:
        ((uint32_t *)line)[x] = value;
        break;
    case 2:
        ((uint16_t *)line)[x] = (uint16_t)value;
        break;
    default: {
        /* 24 bpp: three bytes, least significant first. */
        uint8_t *p = line + (size_t)x * 3;
        p[0] = (uint8_t)value;
        p[1] = (uint8_t)(value >> BITS_PER_BYTE);
        p[2] = (uint8_t)(value >> (2 * BITS_PER_BYTE));
        break;
    }
    }
}

/* Sets pixels [x, x + count) of pixel line y to value. */
static void fbcon_fill_span(const struct fbcon *fc, uint32_t y, uint32_t x, uint32_t count,
                            uint32_t value)
{
    uint8_t *line = fbcon_pixel_line(fc, y);

    for (uint32_t i = 0; i < count; i++)
        fbcon_store_pixel(fc, line, x + i, value);
}

static void fbcon_draw_glyph(const struct fbcon *fc, uint32_t col, uint32_t row,
                             unsigned char c)
{
    uint8_t glyph[FONT_HEIGHT];

    font_glyph(c, glyph);
    for (uint32_t y = 0; y < FONT_HEIGHT; y++) {
        uint8_t *line = fbcon_pixel_line(fc, row * FONT_HEIGHT + y);
        for (uint32_t x = 0; x < FONT_WIDTH; x++) {
            uint32_t value = (glyph[y] & FONT_PIXEL_BIT(x)) ? fc->fg : fc->bg;
            fbcon_store_pixel(fc, line, col * FONT_WIDTH + x, value);
        }
    }
}

/* Clears the cells of text row `row`, not the margin to their right. */
static void fbcon_clear_text_row(const struct fbcon *fc, uint32_t row)
{
    for (uint32_t y = 0; y < FONT_HEIGHT; y++)
        fbcon_fill_span(fc, row * FONT_HEIGHT + y, 0, fc->cols * FONT_WIDTH, fc->bg);
}

static void fbcon_clear_screen(const struct fbcon *fc)
{
    for (uint32_t y = 0; y < fc->height; y++)
        fbcon_fill_span(fc, y, 0, fc->width, fc->bg);
}

static void fbcon_scroll(const struct fbcon *fc)
{
    size_t text_row_bytes = (size_t)FONT_HEIGHT * fc->pitch;

    memmove(fc->base, fc->base + text_row_bytes, (size_t)(fc->rows - 1) * text_row_bytes);
    fbcon_clear_text_row(fc, fc->rows - 1);
}

/* ---- cursor movement ---- */

static void fbcon_newline(struct fbcon *fc)
{
    fc->col = 0;
    if (fc->row + 1 < fc->rows)
        fc->row++;
    else
        fbcon_scroll(fc);
}

static void fbcon_print_glyph(struct fbcon *fc, unsigned char c)
{
    if (fc->col == fc->cols)
        fbcon_newline(fc);
    fbcon_draw_glyph(fc, fc->col, fc->row, c);
    fc->col++;
}

/* Blanks up to the next tab stop; stops at the end of the line. */
static void fbcon_tab(struct fbcon *fc)
{
    uint32_t stop = (fc->col / FBCON_TAB_WIDTH + 1) * FBCON_TAB_WIDTH;

    if (stop > fc->cols)
        stop = fc->cols;
    while (fc->col < stop)
        fbcon_print_glyph(fc, ' ');
}

static void fbcon_put_char(struct fbcon *fc, unsigned char c)
{
    switch (c) {
    case '\n':
        fbcon_newline(fc);
        break;
    case '\r':
        fc->col = 0;
        break;
    case '\t':
        fbcon_tab(fc);
        break;
    case '\b':
        /* Moves back without erasing, so "\b \b" erases one character. */
        if (fc->col > 0)
            fc->col--;
        break;
    default:
        fbcon_print_glyph(fc, c);
        break;
    }
}

static void fbcon_write_chars(struct fbcon *fc, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fbcon_put_char(fc, (unsigned char)s[i]);
}

/* Fills *fc for a framebuffer fbcon_mode_usable() accepted, mapped at base,
 * and clears the screen. */
static void fbcon_setup(struct fbcon *fc, const struct boot_framebuffer *fb, void *base)
{
    *fc = (struct fbcon){
        .base = base,
        .pitch = fb->pitch,
        .width = fb->width,
        .height = fb->height,
        .bytes_per_pixel = fb->bpp / BITS_PER_BYTE,
        .cols = fb->width / FONT_WIDTH,
        .rows = fb->height / FONT_HEIGHT,
        .fg = fbcon_pack_grey(fb, FBCON_FG_LEVEL),
        .bg = fbcon_pack_grey(fb, FBCON_BG_LEVEL),
    };
    fbcon_clear_screen(fc);
}

/* ---- the console ---- */

static struct fbcon fbcon_screen;
static bool fbcon_running;

static void fbcon_console_write(const char *s, size_t n)
{
    fbcon_write_chars(&fbcon_screen, s, n);
}

static struct console fbcon_console = {
    .name = "fb",
    .write = fbcon_console_write,
};

bool fbcon_init(const struct boot_framebuffer *fb)
{
    if (fbcon_running || !fbcon_mode_usable(fb))
        return false;

    /* Cache flags 0 (write-back in the page tables): keel sets up no
     * write-combining PAT entry, and the firmware's MTRRs normally type the
     * framebuffer UC or WC, which then wins over WB (SDM vol. 3A 11.5.2.2). */
    void *base = paging_map_direct(fb->addr, fbcon_size_bytes(fb), 0);
    if (!base)
        return false;

    fbcon_setup(&fbcon_screen, fb, base);
    fbcon_running = true;
    console_register(&fbcon_console);
    return true;
}
