/*
 * VGA text-mode console.
 *
 * Text memory is an array of 16-bit cells, character code in the low byte
 * and attribute (colours) in the high byte; the hardware draws them with its
 * own font (code page 437).  The cursor is the CRT controller's Cursor
 * Location register pair (IBM VGA Technical Reference, "CRT Controller
 * Registers", indices 0Ah, 0Eh, 0Fh), counted in cells from the start of
 * text memory.  keel uses the colour I/O addresses 3D4h/3D5h; a monochrome
 * adapter (3B4h) is not supported.
 *
 * Cells are accessed through a volatile pointer: this is device memory, and
 * the compiler must neither drop nor merge the stores.  The buffer pointer
 * comes from phys_to_virt() (the legacy VGA window lies in the low 4 GiB,
 * which the direct map always covers), so host tests can redirect it.
 *
 * No lock: like the other consoles, this relies on its callers never writing
 * from two CPUs at once (console.c and log.c take no lock either, today).
 */
#include "drivers/vga_text.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "boot/boot_info.h"
#include "drivers/console.h"
#include "mm/paging.h"

#define VGA_TEXT_DEFAULT_PHYS   0xB8000ull
/* The colour text window B8000h-BFFFFh; a bigger screen is a corrupt
 * boot_info. */
#define VGA_TEXT_WINDOW_BYTES   0x8000u
#define VGA_DIRECT_MAP_LIMIT    (4ull << 30)    /* always in the direct map */
#define VGA_CELL_BYTES          2

#define VGA_CELL_ATTR_SHIFT     8
#define VGA_ATTR_GREY_ON_BLACK  0x07    /* background 0 black, foreground 7 light grey */
#define VGA_CHAR_BOX            0xFE    /* code page 437: small filled square */
#define VGA_TAB_WIDTH           8

/* CRT controller: write a register index to 3D4h, then its value to 3D5h. */
#define VGA_CRTC_INDEX          0x3D4
#define VGA_CRTC_DATA           0x3D5
#define VGA_CRTC_CURSOR_START   0x0A
#define VGA_CURSOR_DISABLE      (1u << 5)       /* in Cursor Start */
#define VGA_CRTC_CURSOR_HIGH    0x0E            /* Cursor Location High */
#define VGA_CURSOR_HIGH_SHIFT   8               /* its bits 15:8 */
#define VGA_CRTC_CURSOR_LOW     0x0F            /* Cursor Location Low */

struct vga_text {
    volatile uint16_t *cells;   /* text memory */
    uint32_t cols, rows;        /* visible cells */
    uint32_t stride;            /* cells from one line to the next, >= cols */
    /* Where the next character goes.  col == cols means the line is full:
     * the wrap happens only when another character arrives, so a line of
     * exactly cols characters followed by '\n' leaves no empty line. */
    uint32_t col, row;
};

/* ---- mode checks ---- */

static uint64_t vga_text_phys(const struct boot_framebuffer *fb)
{
    return fb->addr ? fb->addr : VGA_TEXT_DEFAULT_PHYS;
}

/* Cells per line in memory: the loader's pitch, or cols if it gave none. */
static uint32_t vga_text_stride(const struct boot_framebuffer *fb)
{
    return fb->pitch ? fb->pitch / VGA_CELL_BYTES : fb->width;
}

static bool vga_text_mode_usable(const struct boot_framebuffer *fb)
{
    if (fb->type != BOOT_FB_EGA_TEXT || fb->width == 0 || fb->height == 0)
        return false;
    if (fb->pitch % VGA_CELL_BYTES != 0 || vga_text_stride(fb) < fb->width)
        return false;

    uint64_t bytes = (uint64_t)vga_text_stride(fb) * fb->height * VGA_CELL_BYTES;
    uint64_t phys = vga_text_phys(fb);
    return bytes <= VGA_TEXT_WINDOW_BYTES && phys % VGA_CELL_BYTES == 0 &&
           phys <= VGA_DIRECT_MAP_LIMIT - bytes;
}

/* ---- cells ---- */

static uint16_t vga_cell(uint8_t ch)
{
    return (uint16_t)(ch | (VGA_ATTR_GREY_ON_BLACK << VGA_CELL_ATTR_SHIFT));
}

/* Printable ASCII shows as itself; everything else as a box, since the
 * hardware font would turn UTF-8 or control bytes into unrelated symbols. */
static uint8_t vga_char_for(unsigned char c)
{
    return (c >= ' ' && c <= '~') ? c : VGA_CHAR_BOX;
}

static volatile uint16_t *vga_text_line(const struct vga_text *vt, uint32_t row)
{
    return vt->cells + (size_t)row * vt->stride;
}

static void vga_text_clear_row(const struct vga_text *vt, uint32_t row)
{
    volatile uint16_t *line = vga_text_line(vt, row);

    for (uint32_t col = 0; col < vt->cols; col++)
        line[col] = vga_cell(' ');
}

static void vga_text_scroll(const struct vga_text *vt)
{
    for (uint32_t row = 0; row + 1 < vt->rows; row++) {
        volatile uint16_t *dst = vga_text_line(vt, row);
        volatile uint16_t *src = vga_text_line(vt, row + 1);
        for (uint32_t col = 0; col < vt->cols; col++)
            dst[col] = src[col];
    }
    vga_text_clear_row(vt, vt->rows - 1);
}

/* ---- cursor movement ---- */

static void vga_text_newline(struct vga_text *vt)
{
    vt->col = 0;
    if (vt->row + 1 < vt->rows)
        vt->row++;
    else
        vga_text_scroll(vt);
}

static void vga_text_print(struct vga_text *vt, unsigned char c)
{
    if (vt->col == vt->cols)
        vga_text_newline(vt);
    vga_text_line(vt, vt->row)[vt->col] = vga_cell(vga_char_for(c));
    vt->col++;
}

/* Blanks up to the next tab stop; stops at the end of the line. */
static void vga_text_tab(struct vga_text *vt)
{
    uint32_t stop = (vt->col / VGA_TAB_WIDTH + 1) * VGA_TAB_WIDTH;

    if (stop > vt->cols)
        stop = vt->cols;
    while (vt->col < stop)
        vga_text_print(vt, ' ');
}

static void vga_text_put_char(struct vga_text *vt, unsigned char c)
{
    switch (c) {
    case '\n':
        vga_text_newline(vt);
        break;
    case '\r':
        vt->col = 0;
        break;
    case '\t':
        vga_text_tab(vt);
        break;
    case '\b':
        /* Moves back without erasing, so "\b \b" erases one character. */
        if (vt->col > 0)
            vt->col--;
        break;
    default:
        vga_text_print(vt, c);
        break;
    }
}

static void vga_text_write_chars(struct vga_text *vt, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vga_text_put_char(vt, (unsigned char)s[i]);
}

/* ---- the hardware cursor ---- */

static void vga_crtc_write(uint8_t index, uint8_t value)
{
    outb(VGA_CRTC_INDEX, index);
    outb(VGA_CRTC_DATA, value);
}

static uint8_t vga_crtc_read(uint8_t index)
{
    outb(VGA_CRTC_INDEX, index);
    return inb(VGA_CRTC_DATA);
}

/* The cell the hardware cursor blinks on: the next character's, or the
 * last column while a full line waits to wrap. */
static uint16_t vga_text_cursor_cell(const struct vga_text *vt)
{
    uint32_t col = vt->col < vt->cols ? vt->col : vt->cols - 1;

    return (uint16_t)(vt->row * vt->stride + col);
}

static void vga_text_move_cursor(const struct vga_text *vt)
{
    uint16_t cell = vga_text_cursor_cell(vt);

    vga_crtc_write(VGA_CRTC_CURSOR_HIGH, (uint8_t)(cell >> VGA_CURSOR_HIGH_SHIFT));
    vga_crtc_write(VGA_CRTC_CURSOR_LOW, (uint8_t)cell);
}

/* Loaders may hide the cursor; keep the BIOS's shape, just show it. */
static void vga_text_show_cursor(void)
{
    uint8_t start = vga_crtc_read(VGA_CRTC_CURSOR_START);

    vga_crtc_write(VGA_CRTC_CURSOR_START, (uint8_t)(start & ~VGA_CURSOR_DISABLE));
}

/* ---- the console ---- */

/* Fills *vt for a mode vga_text_mode_usable() accepted and clears the
 * screen. */
static void vga_text_setup(struct vga_text *vt, const struct boot_framebuffer *fb,
                           volatile uint16_t *cells)
{
    *vt = (struct vga_text){
        .cells = cells,
        .cols = fb->width,
        .rows = fb->height,
        .stride = vga_text_stride(fb),
    };
    for (uint32_t row = 0; row < vt->rows; row++)
        vga_text_clear_row(vt, row);
}

static struct vga_text vga_screen;
static bool vga_text_running;

static void vga_text_console_write(const char *s, size_t n)
{
    vga_text_write_chars(&vga_screen, s, n);
    vga_text_move_cursor(&vga_screen);
}

static struct console vga_text_console = {
    .name = "vga",
    .write = vga_text_console_write,
};

bool vga_text_init(const struct boot_framebuffer *fb)
{
    if (vga_text_running || !vga_text_mode_usable(fb))
        return false;

    vga_text_setup(&vga_screen, fb, phys_to_virt(vga_text_phys(fb)));
    vga_text_show_cursor();
    vga_text_move_cursor(&vga_screen);
    vga_text_running = true;
    console_register(&vga_text_console);
    return true;
}
