/*
 * Host tests for the framebuffer console (drivers/fbcon.c) and its font
 * (drivers/font8x16.c).  The console draws into a malloc'd fake framebuffer
 * of exactly pitch * height bytes, so AddressSanitizer reports any store
 * outside it; the margins around the text grid are painted with a sentinel
 * to catch stray stores inside it.
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

#include "boot/boot_info.h"
#include "drivers/console.h"
#include "mm/paging.h"

/* ---- stand-ins for the kernel services fbcon.c calls ---- */

static void *fake_map_result;
static unsigned map_calls;
static uint64_t map_phys, map_size, map_flags;

void *paging_map_direct(uint64_t phys, uint64_t size, uint64_t cache_flags)
{
    map_calls++;
    map_phys = phys;
    map_size = size;
    map_flags = cache_flags;
    return fake_map_result;
}

static struct console *registered_console;
static unsigned register_calls;

void console_register(struct console *c)
{
    register_calls++;
    registered_console = c;
}

#include "drivers/font8x16.c"
#include "drivers/fbcon.c"

/* ---- a fake framebuffer in host memory ---- */

#define FAKE_FB_PHYS   0xE0000000ull
#define GARBAGE_BYTE   0x5A
#define SENTINEL_BYTE  0xC3

struct fake_fb {
    struct boot_framebuffer desc;
    uint8_t *mem;
    size_t size;
};

/* 32 and 24 bpp get x8r8g8b8 / r8g8b8, 16 bpp gets r5g6b5; pad_bytes is added
 * to the minimum pitch. */
static void fake_fb_create(struct fake_fb *f, uint8_t bpp, uint32_t width, uint32_t height,
                           uint32_t pad_bytes)
{
    memset(f, 0, sizeof(*f));
    f->desc.type = BOOT_FB_RGB;
    f->desc.addr = FAKE_FB_PHYS;
    f->desc.bpp = bpp;
    f->desc.width = width;
    f->desc.height = height;
    f->desc.pitch = width * (bpp / 8) + pad_bytes;
    if (bpp == 16) {
        f->desc.red_pos = 11, f->desc.red_size = 5;
        f->desc.green_pos = 5, f->desc.green_size = 6;
        f->desc.blue_pos = 0, f->desc.blue_size = 5;
    } else {
        f->desc.red_pos = 16, f->desc.red_size = 8;
        f->desc.green_pos = 8, f->desc.green_size = 8;
        f->desc.blue_pos = 0, f->desc.blue_size = 8;
    }
    f->size = (size_t)f->desc.pitch * height;
    f->mem = malloc(f->size);
    memset(f->mem, GARBAGE_BYTE, f->size);
}

static void fake_fb_destroy(struct fake_fb *f)
{
    free(f->mem);
    f->mem = NULL;
}

static uint32_t fake_fb_pixel(const struct fake_fb *f, uint32_t x, uint32_t y)
{
    uint32_t bytes = f->desc.bpp / 8;
    const uint8_t *p = f->mem + (size_t)y * f->desc.pitch + (size_t)x * bytes;
    uint32_t v = 0;

    for (uint32_t i = 0; i < bytes; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Whether text cell (col, row) shows exactly glyph c: light grey where the
 * glyph has ink (bit 7 = leftmost pixel), black elsewhere. */
static bool cell_shows(const struct fake_fb *f, uint32_t fg, uint32_t col, uint32_t row,
                       unsigned char c)
{
    uint8_t glyph[FONT_HEIGHT];

    font_glyph(c, glyph);
    for (uint32_t y = 0; y < FONT_HEIGHT; y++) {
        for (uint32_t x = 0; x < FONT_WIDTH; x++) {
            uint32_t want = (glyph[y] & (0x80u >> x)) ? fg : 0;
            if (fake_fb_pixel(f, col * FONT_WIDTH + x, row * FONT_HEIGHT + y) != want)
                return false;
        }
    }
    return true;
}

static bool row_blank(const struct fake_fb *f, uint32_t fg, uint32_t cols, uint32_t row)
{
    for (uint32_t col = 0; col < cols; col++) {
        if (!cell_shows(f, fg, col, row, ' '))
            return false;
    }
    return true;
}

/* The framebuffer shapes every drawing test runs on; fg is light grey as
 * the test computes it for that pixel format, independently of fbcon. */
struct fb_config {
    const char *name;
    uint8_t bpp;
    uint32_t width, height, pad;
    uint32_t fg;
};

static const struct fb_config configs[] = {
    { "32bpp 640x480", 32, 640, 480, 0, 0x00AAAAAA },
    /* A width and height that are not glyph multiples, and a padded pitch. */
    { "32bpp 85x103", 32, 85, 103, 12, 0x00AAAAAA },
    { "24bpp 85x103", 24, 85, 103, 1, 0xAAAAAA },
    /* r5g6b5: 0xAA scaled to 5 bits is 20, to 6 bits 42. */
    { "16bpp 85x103", 16, 85, 103, 2, (20u << 11) | (42u << 5) | 20u },
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

static void start_console(struct fbcon *fc, struct fake_fb *f, const struct fb_config *cfg)
{
    fake_fb_create(f, cfg->bpp, cfg->width, cfg->height, cfg->pad);
    CHECK(fbcon_mode_usable(&f->desc));
    fbcon_setup(fc, &f->desc, f->mem);
    CHECK_EQ_U(fc->fg, cfg->fg);
    CHECK_EQ_U(fc->bg, 0);
}

static void put(struct fbcon *fc, const char *s)
{
    fbcon_write_chars(fc, s, strlen(s));
}

static void reset_fakes(void)
{
    fake_map_result = NULL;
    map_calls = 0;
    map_phys = map_size = map_flags = 0;
    registered_console = NULL;
    register_calls = 0;
    fbcon_running = false;
    memset(&fbcon_screen, 0, sizeof(fbcon_screen));
}

/* ---- the font ---- */

static bool art_row_well_formed(const char *row)
{
    if (strlen(row) != FONT_WIDTH)
        return false;
    for (unsigned x = 0; x < FONT_WIDTH; x++) {
        if (row[x] != '#' && row[x] != '.')
            return false;
    }
    return true;
}

TEST(font_art_rows_are_eight_pixels_of_ink_or_paper)
{
    for (unsigned g = 0; g < FONT_GLYPH_COUNT; g++) {
        for (unsigned y = 0; y < FONT_HEIGHT; y++) {
            if (!art_row_well_formed(font_art[g][y]))
                UNIT_FAIL("glyph 0x%02x row %u: \"%s\"", g + FONT_FIRST, y, font_art[g][y]);
        }
    }
    for (unsigned y = 0; y < FONT_HEIGHT; y++)
        CHECK(art_row_well_formed(font_box_art[y]));
}

TEST(font_row_bits_puts_leftmost_pixel_in_bit_7)
{
    CHECK_EQ_U(font_row_bits("#......."), 0x80);
    CHECK_EQ_U(font_row_bits(".......#"), 0x01);
    CHECK_EQ_U(font_row_bits("#.#.#.#."), 0xAA);
    CHECK_EQ_U(font_row_bits("..####.."), 0x3C);
    CHECK_EQ_U(font_row_bits("........"), 0x00);
    CHECK_EQ_U(FONT_PIXEL_BIT(0), 0x80);
    CHECK_EQ_U(FONT_PIXEL_BIT(7), 0x01);
}

static unsigned glyph_ink(unsigned char c)
{
    uint8_t rows[FONT_HEIGHT];
    unsigned ink = 0;

    font_glyph(c, rows);
    for (unsigned y = 0; y < FONT_HEIGHT; y++)
        ink += (unsigned)__builtin_popcount(rows[y]);
    return ink;
}

/* A glyph left out of the table would silently draw as blank. */
TEST(font_space_is_blank_and_every_other_glyph_has_ink)
{
    CHECK_EQ_U(glyph_ink(' '), 0);
    for (unsigned c = FONT_FIRST + 1; c <= FONT_LAST; c++) {
        if (glyph_ink((unsigned char)c) == 0)
            UNIT_FAIL("glyph '%c' is empty", c);
    }
}

static unsigned glyph_distance(unsigned char a, unsigned char b)
{
    uint8_t ra[FONT_HEIGHT], rb[FONT_HEIGHT];
    unsigned d = 0;

    font_glyph(a, ra);
    font_glyph(b, rb);
    for (unsigned y = 0; y < FONT_HEIGHT; y++)
        d += (unsigned)__builtin_popcount(ra[y] ^ rb[y]);
    return d;
}

TEST(font_glyphs_are_all_different)
{
    for (unsigned a = FONT_FIRST; a <= FONT_LAST; a++) {
        for (unsigned b = a + 1; b <= FONT_LAST; b++) {
            if (glyph_distance((unsigned char)a, (unsigned char)b) == 0)
                UNIT_FAIL("'%c' and '%c' look the same", a, b);
        }
        if (glyph_distance((unsigned char)a, 0x7F) == 0)
            UNIT_FAIL("'%c' looks like the box", a);
    }
}

/* The pairs people misread in logs and hex dumps differ in more than a
 * pixel or two. */
TEST(font_lookalikes_differ_clearly)
{
    static const char *const pairs[] = {
        "0O", "0o", "0D", "1l", "1I", "1|", "lI", "l|", "I|", "1i",
        "5S", "8B", "2Z", "6b", "9g", "9q", ",.", ";:", "`'", "uv",
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        unsigned d = glyph_distance((unsigned char)pairs[i][0], (unsigned char)pairs[i][1]);
        if (d < 4)
            UNIT_FAIL("'%c' and '%c' differ in only %u pixels", pairs[i][0], pairs[i][1], d);
    }
}

/* Column 7 is the gap between neighbours; only '_' runs through it so that
 * underscores join up. */
TEST(font_column_7_is_blank_except_underscore)
{
    uint8_t rows[FONT_HEIGHT];

    for (unsigned c = FONT_FIRST; c <= FONT_LAST; c++) {
        font_glyph((unsigned char)c, rows);
        unsigned col7 = 0;
        for (unsigned y = 0; y < FONT_HEIGHT; y++)
            col7 += (rows[y] & FONT_PIXEL_BIT(7)) != 0;
        if (c == '_')
            CHECK(col7 > 0);
        else if (col7 != 0)
            UNIT_FAIL("'%c' uses column 7", c);
    }
}

TEST(font_bytes_outside_ascii_get_the_box)
{
    static const unsigned char outside[] = { 0x00, 0x01, 0x1B, 0x1F, 0x7F, 0x80, 0xC3, 0xFF };
    uint8_t rows[FONT_HEIGHT], box[FONT_HEIGHT];

    for (unsigned y = 0; y < FONT_HEIGHT; y++)
        box[y] = font_row_bits(font_box_art[y]);
    CHECK(glyph_ink(0x00) > 0);
    for (size_t i = 0; i < sizeof(outside); i++) {
        font_glyph(outside[i], rows);
        CHECK(memcmp(rows, box, sizeof(box)) == 0);
    }
    font_glyph(' ', rows);
    CHECK(memcmp(rows, box, sizeof(box)) != 0);
    font_glyph('~', rows);
    CHECK(memcmp(rows, box, sizeof(box)) != 0);
}

/* ---- which framebuffers fbcon takes ---- */

TEST(mode_accepts_16_24_and_32_bpp)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        struct fake_fb f;
        fake_fb_create(&f, configs[i].bpp, configs[i].width, configs[i].height, configs[i].pad);
        if (!fbcon_mode_usable(&f.desc))
            UNIT_FAIL("%s rejected", configs[i].name);
        fake_fb_destroy(&f);
    }
}

TEST(mode_rejects_other_types_depths_and_absurd_geometry)
{
    struct fake_fb good;
    fake_fb_create(&good, 32, 640, 480, 0);
    CHECK(fbcon_mode_usable(&good.desc));

    struct boot_framebuffer fb;
#define REJECTS(mutation)                                   \
    do {                                                    \
        fb = good.desc;                                     \
        mutation;                                           \
        if (fbcon_mode_usable(&fb))                         \
            UNIT_FAIL("accepted with %s", #mutation);       \
    } while (0)
    REJECTS(fb.type = BOOT_FB_NONE);
    REJECTS(fb.type = BOOT_FB_EGA_TEXT);
    REJECTS(fb.bpp = 8);
    REJECTS(fb.bpp = 15);
    REJECTS(fb.bpp = 0);
    REJECTS(fb.width = 0);
    REJECTS(fb.height = 0);
    REJECTS(fb.pitch = 0);
    REJECTS(fb.width = FONT_WIDTH - 1);
    REJECTS(fb.height = FONT_HEIGHT - 1);
    REJECTS(fb.pitch = 640 * 4 - 4);                 /* shorter than a line */
    REJECTS(fb.pitch = 640 * 4 + 2);                 /* 32-bit pixels misaligned */
    REJECTS(fb.addr = FAKE_FB_PHYS + 2);
    REJECTS(fb.addr = 0);
    REJECTS(fb.addr = ~0ull - 4096);                 /* wraps around */
    REJECTS(fb.width = 0x40000000; fb.pitch = 0xFFFFFFFC; fb.height = 0xFFFF);
    REJECTS(fb.red_pos = 28);                        /* 28 + 8 > 32 bits */
    REJECTS(fb.blue_size = 0);
    REJECTS(fb.green_size = 17);
    /* 16 bpp with 32-bit channel positions. */
    REJECTS(fb.bpp = 16; fb.pitch = 640 * 2);
#undef REJECTS
    /* A 24 bpp pitch needs no alignment; a 16 bpp one does. */
    fb = good.desc;
    fb.bpp = 24;
    fb.pitch = 640 * 3 + 1;
    CHECK(fbcon_mode_usable(&fb));
    fb.bpp = 16;
    fb.red_pos = 11, fb.red_size = 5, fb.green_pos = 5, fb.green_size = 6;
    fb.blue_pos = 0, fb.blue_size = 5;
    fb.pitch = 640 * 2 + 2;
    CHECK(fbcon_mode_usable(&fb));
    fb.pitch = 640 * 2 + 1;
    CHECK(!fbcon_mode_usable(&fb));
    fake_fb_destroy(&good);
}

TEST(pixel_values_follow_the_reported_channel_layout)
{
    /* Full intensity fills the channel, zero leaves it empty. */
    CHECK_EQ_U(fbcon_channel_value((struct fbcon_channel){ .pos = 11, .size = 5 }, 0xFF), 0xF800);
    CHECK_EQ_U(fbcon_channel_value((struct fbcon_channel){ .pos = 5, .size = 6 }, 0xFF), 0x07E0);
    CHECK_EQ_U(fbcon_channel_value((struct fbcon_channel){ .pos = 20, .size = 10 }, 0xFF),
               0x3FFull << 20);
    CHECK_EQ_U(fbcon_channel_value((struct fbcon_channel){ .pos = 16, .size = 8 }, 0x00), 0);
    CHECK_EQ_U(fbcon_channel_value((struct fbcon_channel){ .pos = 0, .size = 8 }, 0xAA), 0xAA);

    struct boot_framebuffer fb = { .type = BOOT_FB_RGB, .bpp = 32,
                                   .red_pos = 0, .red_size = 8,
                                   .green_pos = 8, .green_size = 8,
                                   .blue_pos = 16, .blue_size = 8 };
    CHECK_EQ_U(fbcon_pack_grey(&fb, 0xAA), 0xAAAAAA);
    /* 10 bits per channel (x2r10g10b10): 0xAA of 0xFF is 682 of 1023. */
    fb.red_pos = 20, fb.red_size = 10;
    fb.green_pos = 10, fb.green_size = 10;
    fb.blue_pos = 0, fb.blue_size = 10;
    CHECK_EQ_U(fbcon_pack_grey(&fb, 0xAA), (682u << 20) | (682u << 10) | 682u);
    /* A loader that reported no layout gets the usual one for the depth. */
    struct boot_framebuffer bare16 = { .type = BOOT_FB_RGB, .bpp = 16 };
    CHECK_EQ_U(fbcon_pack_grey(&bare16, 0xAA), (20u << 11) | (42u << 5) | 20u);
    struct boot_framebuffer bare32 = { .type = BOOT_FB_RGB, .bpp = 32 };
    CHECK_EQ_U(fbcon_pack_grey(&bare32, 0xAA), 0xAAAAAA);
    CHECK_EQ_U(fbcon_pack_grey(&bare32, 0xFF), 0xFFFFFF);
}

/* ---- fbcon_init: mapping and registration ---- */

TEST(init_maps_clears_and_registers_the_fb_console)
{
    struct fake_fb f;
    reset_fakes();
    fake_fb_create(&f, 32, 85, 103, 12);
    fake_map_result = f.mem;

    CHECK(fbcon_init(&f.desc));
    CHECK_EQ_U(map_calls, 1);
    CHECK_EQ_U(map_phys, FAKE_FB_PHYS);
    CHECK_EQ_U(map_size, (uint64_t)f.desc.pitch * 103);
    CHECK_EQ_U(map_flags, 0);
    CHECK_EQ_U(register_calls, 1);
    CHECK(registered_console != NULL);
    if (!registered_console) {
        fake_fb_destroy(&f);
        return;
    }
    CHECK_STR(registered_console->name, "fb");

    bool cleared = true;
    for (uint32_t y = 0; y < 103; y++) {
        for (uint32_t x = 0; x < 85; x++)
            cleared &= fake_fb_pixel(&f, x, y) == 0;
    }
    CHECK(cleared);

    registered_console->write("Hi\nyo", 5);
    CHECK(cell_shows(&f, 0xAAAAAA, 0, 0, 'H'));
    CHECK(cell_shows(&f, 0xAAAAAA, 1, 0, 'i'));
    CHECK(cell_shows(&f, 0xAAAAAA, 0, 1, 'y'));
    CHECK(cell_shows(&f, 0xAAAAAA, 1, 1, 'o'));

    /* A second start would clear the screen under the running console. */
    CHECK(!fbcon_init(&f.desc));
    CHECK_EQ_U(map_calls, 1);
    CHECK_EQ_U(register_calls, 1);

    reset_fakes();
    fake_fb_destroy(&f);
}

TEST(init_refuses_unusable_framebuffers_without_side_effects)
{
    struct fake_fb f;
    reset_fakes();
    fake_fb_create(&f, 32, 640, 480, 0);
    fake_map_result = f.mem;

    f.desc.type = BOOT_FB_EGA_TEXT;
    CHECK(!fbcon_init(&f.desc));
    f.desc.type = BOOT_FB_RGB;
    f.desc.bpp = 8;
    CHECK(!fbcon_init(&f.desc));
    CHECK_EQ_U(map_calls, 0);
    CHECK_EQ_U(register_calls, 0);
    CHECK_EQ_U(f.mem[0], GARBAGE_BYTE);

    /* Nothing to draw on if the mapping failed. */
    f.desc.bpp = 32;
    fake_map_result = NULL;
    CHECK(!fbcon_init(&f.desc));
    CHECK_EQ_U(register_calls, 0);
    CHECK(!fbcon_running);

    reset_fakes();
    fake_fb_destroy(&f);
}

/* ---- drawing, on every supported depth ---- */

TEST(glyph_pixels_land_in_their_cell)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        const struct fb_config *cfg = &configs[i];
        struct fake_fb f;
        struct fbcon fc;
        start_console(&fc, &f, cfg);
        uint32_t fg = cfg->fg;

        put(&fc, "A");
        CHECK(cell_shows(&f, fg, 0, 0, 'A'));
        CHECK(cell_shows(&f, fg, 1, 0, ' '));
        CHECK(cell_shows(&f, fg, 0, 1, ' '));
        /* One known pixel by coordinates: the crossbar of 'A' spans
         * columns 0..6 of glyph row 8 ("#######."), column 7 stays dark. */
        CHECK_EQ_U(fake_fb_pixel(&f, 0, 8), fg);
        CHECK_EQ_U(fake_fb_pixel(&f, 6, 8), fg);
        CHECK_EQ_U(fake_fb_pixel(&f, 7, 8), 0);
        CHECK_EQ_U(fake_fb_pixel(&f, 0, 0), 0);

        put(&fc, "\nxy");
        CHECK(cell_shows(&f, fg, 0, 1, 'x'));
        CHECK(cell_shows(&f, fg, 1, 1, 'y'));
        CHECK(cell_shows(&f, fg, 0, 0, 'A'));

        /* The bottom-right cell. */
        fc.col = fc.cols - 1;
        fc.row = fc.rows - 1;
        put(&fc, "Q");
        CHECK(cell_shows(&f, fg, fc.cols - 1, fc.rows - 1, 'Q'));
        if (unit_current_failed)
            printf("    (in %s)\n", cfg->name);
        fake_fb_destroy(&f);
    }
}

TEST(carriage_return_tab_and_backspace_move_the_cursor)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        const struct fb_config *cfg = &configs[i];
        struct fake_fb f;
        struct fbcon fc;
        start_console(&fc, &f, cfg);
        uint32_t fg = cfg->fg;

        put(&fc, "ab\rc");
        CHECK(cell_shows(&f, fg, 0, 0, 'c'));
        CHECK(cell_shows(&f, fg, 1, 0, 'b'));
        CHECK_EQ_U(fc.row, 0);

        put(&fc, "\n\tT");
        CHECK(cell_shows(&f, fg, 8, 1, 'T'));
        CHECK(cell_shows(&f, fg, 7, 1, ' '));
        put(&fc, "\tU");                            /* from column 9 to 16... */
        if (fc.cols > 16)
            CHECK(cell_shows(&f, fg, 16, 1, 'U'));
        else                                        /* ...or to the line's end */
            CHECK(cell_shows(&f, fg, 0, 2, 'U'));

        put(&fc, "\nxy\bZ");
        CHECK(cell_shows(&f, fg, 0, 2 + (fc.cols <= 16), 'x'));
        CHECK(cell_shows(&f, fg, 1, 2 + (fc.cols <= 16), 'Z'));

        /* Backspace stops at the left edge. */
        put(&fc, "\r\b\bW");
        CHECK(cell_shows(&f, fg, 0, 2 + (fc.cols <= 16), 'W'));
        if (unit_current_failed)
            printf("    (in %s)\n", cfg->name);
        fake_fb_destroy(&f);
    }
}

TEST(full_lines_wrap_once)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        const struct fb_config *cfg = &configs[i];
        struct fake_fb f;
        struct fbcon fc;
        start_console(&fc, &f, cfg);
        uint32_t fg = cfg->fg;

        for (uint32_t c = 0; c < fc.cols; c++)
            put(&fc, "m");
        CHECK_EQ_U(fc.row, 0);
        put(&fc, "n");                              /* wraps */
        CHECK(cell_shows(&f, fg, fc.cols - 1, 0, 'm'));
        CHECK(cell_shows(&f, fg, 0, 1, 'n'));

        /* Exactly a line's worth, then '\n': no empty line in between. */
        put(&fc, "\r");
        for (uint32_t c = 0; c < fc.cols; c++)
            put(&fc, "k");
        put(&fc, "\nj");
        CHECK(cell_shows(&f, fg, 0, 2, 'j'));
        if (unit_current_failed)
            printf("    (in %s)\n", cfg->name);
        fake_fb_destroy(&f);
    }
}

/* Writes one distinct letter at the start of every text row; the cursor is
 * left at the end of the last row. */
static void fill_rows_with_letters(struct fbcon *fc)
{
    for (uint32_t r = 0; r < fc->rows; r++) {
        char line[3] = { (char)('A' + r % 26), '\n', 0 };
        if (r + 1 == fc->rows)
            line[1] = 0;
        put(fc, line);
    }
}

TEST(newline_on_the_last_row_scrolls_up_and_clears_it)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        const struct fb_config *cfg = &configs[i];
        struct fake_fb f;
        struct fbcon fc;
        start_console(&fc, &f, cfg);
        uint32_t fg = cfg->fg;

        fill_rows_with_letters(&fc);
        put(&fc, "xyz");
        CHECK_EQ_U(fc.row, fc.rows - 1);
        CHECK(cell_shows(&f, fg, 0, 0, 'A'));
        CHECK(cell_shows(&f, fg, 1, fc.rows - 1, 'x'));

        put(&fc, "\n");
        for (uint32_t r = 0; r + 1 < fc.rows; r++) {
            if (!cell_shows(&f, fg, 0, r, (unsigned char)('A' + (r + 1) % 26)))
                UNIT_FAIL("row %u does not show the old row %u", r, r + 1);
        }
        CHECK(cell_shows(&f, fg, 1, fc.rows - 2, 'x'));
        CHECK(cell_shows(&f, fg, 3, fc.rows - 2, 'z'));
        CHECK(row_blank(&f, fg, fc.cols, fc.rows - 1));
        CHECK_EQ_U(fc.row, fc.rows - 1);
        CHECK_EQ_U(fc.col, 0);

        put(&fc, "Q\n\n");
        CHECK(cell_shows(&f, fg, 0, fc.rows - 3, 'Q'));
        CHECK(row_blank(&f, fg, fc.cols, fc.rows - 2));
        CHECK(row_blank(&f, fg, fc.cols, fc.rows - 1));
        if (unit_current_failed)
            printf("    (in %s)\n", cfg->name);
        fake_fb_destroy(&f);
    }
}

TEST(wrapping_on_the_last_row_scrolls_too)
{
    struct fake_fb f;
    struct fbcon fc;
    start_console(&fc, &f, &configs[1]);

    fill_rows_with_letters(&fc);
    for (uint32_t c = 1; c < fc.cols; c++)
        put(&fc, "-");
    put(&fc, "*");
    CHECK(cell_shows(&f, configs[1].fg, 0, fc.rows - 1, '*'));
    CHECK(cell_shows(&f, configs[1].fg, 0, 0, 'B'));
    fake_fb_destroy(&f);
}

TEST(bytes_outside_ascii_draw_as_a_box)
{
    struct fake_fb f;
    struct fbcon fc;
    start_console(&fc, &f, &configs[0]);

    fbcon_write_chars(&fc, "\x01\x7f\xff", 3);
    for (uint32_t col = 0; col < 3; col++)
        CHECK(cell_shows(&f, configs[0].fg, col, 0, 0x01));
    CHECK(!cell_shows(&f, configs[0].fg, 0, 0, ' '));
    CHECK_EQ_U(fc.col, 3);
    fake_fb_destroy(&f);
}

/* Paints everything outside the cell grid: the pixels right of the last
 * column, below the last row, and the pitch padding after each line. */
static void paint_margins(const struct fake_fb *f, const struct fbcon *fc)
{
    for (uint32_t y = 0; y < f->desc.height; y++) {
        uint8_t *line = f->mem + (size_t)y * f->desc.pitch;
        size_t from = y < fc->rows * FONT_HEIGHT ? (size_t)fc->cols * FONT_WIDTH * (f->desc.bpp / 8)
                                                 : 0;
        memset(line + from, SENTINEL_BYTE, f->desc.pitch - from);
    }
}

static bool margins_intact(const struct fake_fb *f, const struct fbcon *fc)
{
    for (uint32_t y = 0; y < f->desc.height; y++) {
        const uint8_t *line = f->mem + (size_t)y * f->desc.pitch;
        size_t from = y < fc->rows * FONT_HEIGHT ? (size_t)fc->cols * FONT_WIDTH * (f->desc.bpp / 8)
                                                 : 0;
        for (size_t b = from; b < f->desc.pitch; b++) {
            if (line[b] != SENTINEL_BYTE)
                return false;
        }
    }
    return true;
}

/* Every byte value, long lines, many scrolls: stores stay inside the cell
 * grid (sentinels) and inside the buffer (ASan). */
TEST(heavy_output_stays_inside_the_text_grid)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        const struct fb_config *cfg = &configs[i];
        struct fake_fb f;
        struct fbcon fc;
        start_console(&fc, &f, cfg);
        paint_margins(&f, &fc);

        char chunk[256];
        for (unsigned b = 0; b < sizeof(chunk); b++)
            chunk[b] = (char)b;
        for (unsigned round = 0; round < 40; round++) {
            fbcon_write_chars(&fc, chunk, sizeof(chunk));
            fbcon_write_chars(&fc, chunk + round, sizeof(chunk) - round);
            CHECK(fc.row < fc.rows);
            CHECK(fc.col <= fc.cols);
        }
        put(&fc, "\nend");
        CHECK(cell_shows(&f, cfg->fg, 0, fc.rows - 1, 'e'));
        CHECK(cell_shows(&f, cfg->fg, 2, fc.rows - 1, 'd'));
        CHECK(margins_intact(&f, &fc));
        if (unit_current_failed)
            printf("    (in %s)\n", cfg->name);
        fake_fb_destroy(&f);
    }
}
