/*
 * Host tests for the VGA text console (drivers/vga_text.c).  Text memory is a
 * malloc'd array of exactly stride * rows cells (so AddressSanitizer reports
 * any store outside it), reached through a redirected phys_to_virt(); the
 * CRT controller is a small model of its index/data port pair.
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

/* The real headers first, so their include guards keep the inline outb(),
 * inb() and phys_to_virt() defined under their own names; the driver's
 * calls are then renamed to the fakes below. */
#include "arch/x86/cpu.h"
#include "boot/boot_info.h"
#include "drivers/console.h"
#include "mm/paging.h"

static void fake_outb(uint16_t port, uint8_t value);
static uint8_t fake_inb(uint16_t port);
static void *fake_phys_to_virt(uint64_t phys);

#define outb fake_outb
#define inb fake_inb
#define phys_to_virt fake_phys_to_virt
#include "drivers/vga_text.c"
#undef outb
#undef inb
#undef phys_to_virt

/* ---- fake text memory ---- */

#define GARBAGE_CELL   0x5A5A
#define SENTINEL_CELL  0xC3C3
#define BLANK          0x0720       /* ' ' light grey on black */

static uint16_t *text_mem;
static size_t text_cells;
static uint64_t text_phys;
static unsigned phys_to_virt_calls;

static void *fake_phys_to_virt(uint64_t phys)
{
    phys_to_virt_calls++;
    if (phys != text_phys) {
        UNIT_FAIL("phys_to_virt(0x%" PRIx64 "), text memory is at 0x%" PRIx64, phys, text_phys);
        return NULL;
    }
    return text_mem;
}

static void text_mem_create(uint64_t phys, uint32_t stride, uint32_t rows)
{
    text_phys = phys;
    text_cells = (size_t)stride * rows;
    text_mem = malloc(text_cells * sizeof(uint16_t));
    for (size_t i = 0; i < text_cells; i++)
        text_mem[i] = GARBAGE_CELL;
    phys_to_virt_calls = 0;
}

static void text_mem_destroy(void)
{
    free(text_mem);
    text_mem = NULL;
}

/* ---- fake CRT controller ---- */

static uint8_t crtc_regs[256];
static uint8_t crtc_index;
static unsigned port_writes;

static void fake_outb(uint16_t port, uint8_t value)
{
    port_writes++;
    if (port == 0x3D4)
        crtc_index = value;
    else if (port == 0x3D5)
        crtc_regs[crtc_index] = value;
    else
        UNIT_FAIL("outb to port 0x%x", port);
}

static uint8_t fake_inb(uint16_t port)
{
    if (port != 0x3D5) {
        UNIT_FAIL("inb from port 0x%x", port);
        return 0xFF;
    }
    return crtc_regs[crtc_index];
}

static unsigned crtc_cursor(void)
{
    return (unsigned)crtc_regs[0x0E] << 8 | crtc_regs[0x0F];
}

/* ---- console registration ---- */

static struct console *registered_console;
static unsigned register_calls;

void console_register(struct console *c)
{
    register_calls++;
    registered_console = c;
}

static void reset_fakes(void)
{
    memset(crtc_regs, 0, sizeof(crtc_regs));
    crtc_index = 0;
    port_writes = 0;
    registered_console = NULL;
    register_calls = 0;
    phys_to_virt_calls = 0;
    vga_text_running = false;
    memset(&vga_screen, 0, sizeof(vga_screen));
}

static struct boot_framebuffer text_mode(uint32_t cols, uint32_t rows)
{
    return (struct boot_framebuffer){
        .type = BOOT_FB_EGA_TEXT,
        .addr = 0xB8000,
        .pitch = cols * 2,
        .width = cols,
        .height = rows,
        .bpp = 16,
    };
}

/* A console on fresh fake memory, driven directly (no registration). */
static void start_console(struct vga_text *vt, const struct boot_framebuffer *fb)
{
    CHECK(vga_text_mode_usable(fb));
    text_mem_create(vga_text_phys(fb), vga_text_stride(fb), fb->height);
    vga_text_setup(vt, fb, text_mem);
}

static void put(struct vga_text *vt, const char *s)
{
    vga_text_write_chars(vt, s, strlen(s));
}

static uint16_t cell_at(const struct vga_text *vt, uint32_t col, uint32_t row)
{
    return text_mem[(size_t)row * vt->stride + col];
}

static uint16_t grey(char c)
{
    return (uint16_t)(0x0700 | (unsigned char)c);
}

static bool row_blank(const struct vga_text *vt, uint32_t row)
{
    for (uint32_t col = 0; col < vt->cols; col++) {
        if (cell_at(vt, col, row) != BLANK)
            return false;
    }
    return true;
}

/* ---- which modes the console takes ---- */

TEST(mode_accepts_common_text_modes)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    CHECK(vga_text_mode_usable(&fb));
    fb = text_mode(80, 50);
    CHECK(vga_text_mode_usable(&fb));
    fb = text_mode(132, 60);
    CHECK(vga_text_mode_usable(&fb));
    fb = text_mode(40, 25);
    CHECK(vga_text_mode_usable(&fb));
    /* No pitch: lines are cols cells apart.  No address: the standard one. */
    fb = text_mode(80, 25);
    fb.pitch = 0;
    CHECK(vga_text_mode_usable(&fb));
    CHECK_EQ_U(vga_text_stride(&fb), 80);
    fb.addr = 0;
    CHECK(vga_text_mode_usable(&fb));
    CHECK_EQ_U(vga_text_phys(&fb), 0xB8000);
}

TEST(mode_rejects_other_types_and_absurd_geometry)
{
    const struct boot_framebuffer good = text_mode(80, 25);
    struct boot_framebuffer fb;
#define REJECTS(mutation)                                   \
    do {                                                    \
        fb = good;                                          \
        mutation;                                           \
        if (vga_text_mode_usable(&fb))                      \
            UNIT_FAIL("accepted with %s", #mutation);       \
    } while (0)
    REJECTS(fb.type = BOOT_FB_NONE);
    REJECTS(fb.type = BOOT_FB_RGB);
    REJECTS(fb.width = 0);
    REJECTS(fb.height = 0);
    REJECTS(fb.pitch = 159);                         /* odd */
    REJECTS(fb.pitch = 158);                         /* shorter than a line */
    REJECTS(fb.width = 200; fb.pitch = 400; fb.height = 100);  /* > 32 KiB */
    REJECTS(fb.height = 0x10000000);
    REJECTS(fb.addr = 0xB8001);
    REJECTS(fb.addr = 0x100000000ull);               /* above the direct map's 4 GiB */
    REJECTS(fb.addr = 0xFFFFFFFFull - 100);
    REJECTS(fb.addr = ~0ull - 99);                   /* addr + 4000 wraps around */
#undef REJECTS
}

/* ---- vga_text_init ---- */

TEST(init_clears_the_screen_shows_the_cursor_and_registers)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    reset_fakes();
    text_mem_create(0xB8000, 80, 25);
    crtc_regs[0x0A] = 0x20 | 0x0D;                   /* hidden, lines 13.. */
    crtc_regs[0x0E] = 0x12;
    crtc_regs[0x0F] = 0x34;

    CHECK(vga_text_init(&fb));
    CHECK_EQ_U(phys_to_virt_calls, 1);
    bool cleared = true;
    for (size_t i = 0; i < text_cells; i++)
        cleared &= text_mem[i] == BLANK;
    CHECK(cleared);
    CHECK_EQ_U(crtc_regs[0x0A], 0x0D);               /* shown, shape kept */
    CHECK_EQ_U(crtc_cursor(), 0);
    CHECK_EQ_U(register_calls, 1);
    CHECK(registered_console != NULL);
    if (!registered_console) {
        text_mem_destroy();
        return;
    }
    CHECK_STR(registered_console->name, "vga");

    registered_console->write("Hi", 2);
    CHECK_EQ_U(text_mem[0], 0x0748);
    CHECK_EQ_U(text_mem[1], 0x0769);
    CHECK_EQ_U(text_mem[2], BLANK);
    CHECK_EQ_U(crtc_cursor(), 2);

    /* Row 20, column 10 is cell 1610 = 0x64A: both cursor bytes matter. */
    registered_console->write("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n0123456789", 30);
    CHECK_EQ_U(crtc_cursor(), 20 * 80 + 10);
    CHECK_EQ_U(crtc_regs[0x0E], 0x06);
    CHECK_EQ_U(crtc_regs[0x0F], 0x4A);

    /* A second start would clear the screen under the running console. */
    CHECK(!vga_text_init(&fb));
    CHECK_EQ_U(register_calls, 1);

    reset_fakes();
    text_mem_destroy();
}

TEST(init_uses_b8000_when_the_loader_gave_no_address)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    fb.addr = 0;
    reset_fakes();
    text_mem_create(0xB8000, 80, 25);
    CHECK(vga_text_init(&fb));
    CHECK_EQ_U(phys_to_virt_calls, 1);
    CHECK_EQ_U(text_mem[80 * 25 - 1], BLANK);
    reset_fakes();
    text_mem_destroy();
}

TEST(init_refuses_other_framebuffers_without_side_effects)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    fb.type = BOOT_FB_RGB;
    fb.bpp = 32;
    reset_fakes();
    text_mem_create(0xB8000, 80, 25);

    CHECK(!vga_text_init(&fb));
    fb = text_mode(0, 25);
    CHECK(!vga_text_init(&fb));
    CHECK_EQ_U(phys_to_virt_calls, 0);
    CHECK_EQ_U(port_writes, 0);
    CHECK_EQ_U(register_calls, 0);
    CHECK_EQ_U(text_mem[0], GARBAGE_CELL);
    reset_fakes();
    text_mem_destroy();
}

/* ---- writing ---- */

TEST(characters_are_light_grey_on_black_and_others_are_boxes)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    struct vga_text vt;
    start_console(&vt, &fb);

    put(&vt, "A~ ");
    CHECK_EQ_U(cell_at(&vt, 0, 0), 0x0741);
    CHECK_EQ_U(cell_at(&vt, 1, 0), 0x077E);
    CHECK_EQ_U(cell_at(&vt, 2, 0), BLANK);
    vga_text_write_chars(&vt, "\x01\x1b\x7f\xc3\xff", 5);
    for (uint32_t col = 3; col < 8; col++)
        CHECK_EQ_U(cell_at(&vt, col, 0), 0x07FE);
    CHECK_EQ_U(vt.col, 8);
    text_mem_destroy();
}

TEST(carriage_return_tab_and_backspace_move_the_cursor)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    struct vga_text vt;
    start_console(&vt, &fb);

    put(&vt, "ab\rc");
    CHECK_EQ_U(cell_at(&vt, 0, 0), grey('c'));
    CHECK_EQ_U(cell_at(&vt, 1, 0), grey('b'));

    /* Tabs blank up to the next multiple of 8. */
    text_mem[80 + 3] = GARBAGE_CELL;
    put(&vt, "\n\tT\tU");
    CHECK_EQ_U(cell_at(&vt, 3, 1), BLANK);
    CHECK_EQ_U(cell_at(&vt, 8, 1), grey('T'));
    CHECK_EQ_U(cell_at(&vt, 16, 1), grey('U'));

    put(&vt, "\nxy\bZ");
    CHECK_EQ_U(cell_at(&vt, 0, 2), grey('x'));
    CHECK_EQ_U(cell_at(&vt, 1, 2), grey('Z'));
    put(&vt, "\r\b\bW");                             /* stops at the left edge */
    CHECK_EQ_U(cell_at(&vt, 0, 2), grey('W'));

    /* A tab near the end of the line stops at the end, without wrapping. */
    put(&vt, "\n");
    vt.col = 77;
    put(&vt, "\t");
    CHECK_EQ_U(vt.row, 3);
    CHECK_EQ_U(vt.col, 80);
    put(&vt, "V");
    CHECK_EQ_U(cell_at(&vt, 0, 4), grey('V'));
    text_mem_destroy();
}

TEST(full_lines_wrap_once_and_the_cursor_waits_at_the_last_column)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    struct vga_text vt;
    start_console(&vt, &fb);

    for (int i = 0; i < 80; i++)
        put(&vt, "m");
    CHECK_EQ_U(vt.row, 0);
    CHECK_EQ_U(vga_text_cursor_cell(&vt), 79);
    put(&vt, "n");
    CHECK_EQ_U(cell_at(&vt, 79, 0), grey('m'));
    CHECK_EQ_U(cell_at(&vt, 0, 1), grey('n'));
    CHECK_EQ_U(vga_text_cursor_cell(&vt), 81);

    put(&vt, "\r");
    for (int i = 0; i < 80; i++)
        put(&vt, "k");
    put(&vt, "\nj");
    CHECK_EQ_U(cell_at(&vt, 0, 2), grey('j'));
    text_mem_destroy();
}

static void fill_rows_with_letters(struct vga_text *vt)
{
    for (uint32_t r = 0; r < vt->rows; r++) {
        char line[3] = { (char)('A' + r % 26), '\n', 0 };
        if (r + 1 == vt->rows)
            line[1] = 0;
        put(vt, line);
    }
}

TEST(newline_on_the_last_row_scrolls_up_and_clears_it)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    struct vga_text vt;
    start_console(&vt, &fb);

    fill_rows_with_letters(&vt);
    put(&vt, "xyz");
    CHECK_EQ_U(cell_at(&vt, 0, 0), grey('A'));
    CHECK_EQ_U(cell_at(&vt, 0, 24), grey('Y'));

    put(&vt, "\n");
    for (uint32_t r = 0; r < 24; r++) {
        if (cell_at(&vt, 0, r) != grey((char)('A' + r + 1)))
            UNIT_FAIL("row %u does not show the old row %u", r, r + 1);
    }
    CHECK_EQ_U(cell_at(&vt, 3, 23), grey('z'));
    CHECK(row_blank(&vt, 24));
    CHECK_EQ_U(vt.row, 24);
    CHECK_EQ_U(vt.col, 0);
    CHECK_EQ_U(vga_text_cursor_cell(&vt), 24 * 80);

    /* Wrapping on the last row scrolls too. */
    for (int i = 0; i < 81; i++)
        put(&vt, i == 80 ? "*" : "-");
    CHECK_EQ_U(cell_at(&vt, 0, 24), grey('*'));
    CHECK_EQ_U(cell_at(&vt, 79, 23), grey('-'));
    CHECK_EQ_U(cell_at(&vt, 0, 0), grey('C'));
    text_mem_destroy();
}

/* A pitch wider than the visible line: the cells past column cols-1 are
 * never written, scrolling or not, and the cursor counts in pitch units. */
TEST(padding_cells_of_a_wide_pitch_are_left_alone)
{
    struct boot_framebuffer fb = text_mode(80, 25);
    fb.pitch = 84 * 2;
    struct vga_text vt;
    start_console(&vt, &fb);
    CHECK_EQ_U(vt.stride, 84);
    for (uint32_t r = 0; r < 25; r++) {
        for (uint32_t c = 80; c < 84; c++)
            text_mem[r * 84 + c] = SENTINEL_CELL;
    }

    put(&vt, "\n\n\nhello");
    CHECK_EQ_U(vga_text_cursor_cell(&vt), 3 * 84 + 5);
    CHECK_EQ_U(cell_at(&vt, 0, 3), grey('h'));

    char chunk[256];
    for (unsigned b = 0; b < sizeof(chunk); b++)
        chunk[b] = (char)b;
    for (int round = 0; round < 30; round++)
        vga_text_write_chars(&vt, chunk, sizeof(chunk));
    bool intact = true;
    for (uint32_t r = 0; r < 25; r++) {
        for (uint32_t c = 80; c < 84; c++)
            intact &= text_mem[r * 84 + c] == SENTINEL_CELL;
    }
    CHECK(intact);
    text_mem_destroy();
}

/* Every byte value, long lines, many scrolls, odd screen sizes: ASan
 * reports a store past the cells, the checks a cursor out of range. */
TEST(heavy_output_stays_inside_text_memory)
{
    static const uint32_t shapes[][2] = { { 80, 25 }, { 1, 1 }, { 7, 3 }, { 132, 60 } };

    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        struct boot_framebuffer fb = text_mode(shapes[s][0], shapes[s][1]);
        struct vga_text vt;
        start_console(&vt, &fb);

        char chunk[256];
        for (unsigned b = 0; b < sizeof(chunk); b++)
            chunk[b] = (char)b;
        for (unsigned round = 0; round < 40; round++) {
            vga_text_write_chars(&vt, chunk + round, sizeof(chunk) - round);
            CHECK(vt.row < vt.rows);
            CHECK(vt.col <= vt.cols);
            CHECK(vga_text_cursor_cell(&vt) < text_cells);
        }
        put(&vt, "\nZ");
        CHECK_EQ_U(cell_at(&vt, 0, vt.rows - 1), grey('Z'));
        text_mem_destroy();
    }
}
