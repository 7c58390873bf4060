/*
 * Host tests for the PS/2 keyboard driver (drivers/ps2kbd.c).
 *
 * The decoder is fed scancode set 1 directly.  Expected bytes are written
 * out as the bytes a serial terminal sends, and make codes as numbers from
 * the scan code set 1 table (Microsoft "Keyboard Scan Code Specification"),
 * never with the driver's own tables or constants, so a wrong entry there
 * shows up here.  The port I/O half runs against a small model of the 8042:
 * its output buffer, the controller command byte and commands 20h 60h ADh
 * AEh, a keyboard whose bytes wait while it is disabled, and a mouse.
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

/* The real header first, so its include guard keeps the inline outb() and
 * inb() under their own names; the driver's calls go to the fakes below. */
#include "arch/x86/cpu.h"

static void fake_outb(uint16_t port, uint8_t value);
static uint8_t fake_inb(uint16_t port);

#define outb fake_outb
#define inb fake_inb
#include "drivers/ps2kbd.c"
#undef outb
#undef inb

/* ---- Decoder helpers ---------------------------------------------------- */

static struct set1_decoder dec;
static uint8_t out_bytes[512];
static size_t out_len;

static void fresh_decoder(void)
{
    set1_decoder_reset(&dec);
    out_len = 0;
}

static void feed_codes(const uint8_t *codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t seq[SET1_SEQ_MAX];      /* exact size: ASan sees overruns */
        size_t k = set1_decode(&dec, codes[i], seq);
        CHECK(k <= SET1_SEQ_MAX);
        for (size_t j = 0; j < k && out_len < sizeof(out_bytes); j++)
            out_bytes[out_len++] = seq[j];
    }
}

#define FEED(...)                                                         \
    feed_codes((const uint8_t[]){ __VA_ARGS__ },                          \
               sizeof((const uint8_t[]){ __VA_ARGS__ }))

static const char *hex_of(const void *p, size_t n, char *buf, size_t size)
{
    const uint8_t *b = p;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 4 < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%02x", i ? " " : "", b[i]);
    return buf;
}

/* Compares what came out since the last check with the literal's bytes
 * (shown in hex on failure), then forgets it. */
#define CHECK_OUT_BYTES(p, n)                                             \
    do {                                                                  \
        char got_[1600], want_[1600];                                     \
        CHECK_STR(hex_of(out_bytes, out_len, got_, sizeof(got_)),         \
                  hex_of((p), (n), want_, sizeof(want_)));                \
        out_len = 0;                                                      \
    } while (0)
#define CHECK_OUT(lit) CHECK_OUT_BYTES(lit, sizeof(lit) - 1)

/* Presses and releases one key (no prefix). */
static void tap(uint8_t make)
{
    FEED(make, (uint8_t)(make | 0x80));
}

/* Make codes from the set 1 table, by US key legend. */
static const struct { char legend; uint8_t make; } letters[] = {
    { 'a', 0x1e }, { 'b', 0x30 }, { 'c', 0x2e }, { 'd', 0x20 }, { 'e', 0x12 },
    { 'f', 0x21 }, { 'g', 0x22 }, { 'h', 0x23 }, { 'i', 0x17 }, { 'j', 0x24 },
    { 'k', 0x25 }, { 'l', 0x26 }, { 'm', 0x32 }, { 'n', 0x31 }, { 'o', 0x18 },
    { 'p', 0x19 }, { 'q', 0x10 }, { 'r', 0x13 }, { 's', 0x1f }, { 't', 0x14 },
    { 'u', 0x16 }, { 'v', 0x2f }, { 'w', 0x11 }, { 'x', 0x2d }, { 'y', 0x15 },
    { 'z', 0x2c },
};

/* Keys whose character does not depend on CapsLock. */
static const struct { uint8_t make; char plain, shifted; } symbols[] = {
    { 0x02, '1', '!' }, { 0x03, '2', '@' }, { 0x04, '3', '#' }, { 0x05, '4', '$' },
    { 0x06, '5', '%' }, { 0x07, '6', '^' }, { 0x08, '7', '&' }, { 0x09, '8', '*' },
    { 0x0a, '9', '(' }, { 0x0b, '0', ')' }, { 0x0c, '-', '_' }, { 0x0d, '=', '+' },
    { 0x1a, '[', '{' }, { 0x1b, ']', '}' }, { 0x27, ';', ':' }, { 0x28, '\'', '"' },
    { 0x29, '`', '~' }, { 0x2b, '\\', '|' }, { 0x33, ',', '<' }, { 0x34, '.', '>' },
    { 0x35, '/', '?' }, { 0x39, ' ', ' ' },
};

#define N_LETTERS (sizeof(letters) / sizeof(letters[0]))
#define N_SYMBOLS (sizeof(symbols) / sizeof(symbols[0]))

static void type_all_letters(void)
{
    for (size_t i = 0; i < N_LETTERS; i++)
        tap(letters[i].make);
}

static void check_letters(bool upper)
{
    char want[N_LETTERS];
    for (size_t i = 0; i < N_LETTERS; i++)
        want[i] = (char)(upper ? letters[i].legend - 'a' + 'A' : letters[i].legend);
    CHECK_OUT_BYTES(want, N_LETTERS);
}

static void type_all_symbols(void)
{
    for (size_t i = 0; i < N_SYMBOLS; i++)
        tap(symbols[i].make);
}

static void check_symbols(bool shifted)
{
    char want[N_SYMBOLS];
    for (size_t i = 0; i < N_SYMBOLS; i++)
        want[i] = shifted ? symbols[i].shifted : symbols[i].plain;
    CHECK_OUT_BYTES(want, N_SYMBOLS);
}

/* ---- Decoder: characters ------------------------------------------------ */

TEST(letters_plain)
{
    fresh_decoder();
    type_all_letters();
    check_letters(false);
}

TEST(letters_with_left_or_right_shift)
{
    fresh_decoder();
    FEED(0x2a);                 /* left Shift down */
    type_all_letters();
    FEED(0xaa);
    check_letters(true);
    FEED(0x36);                 /* right Shift down */
    type_all_letters();
    FEED(0xb6);
    check_letters(true);
    type_all_letters();
    check_letters(false);
}

TEST(caps_lock_shifts_letters_only_and_shift_undoes_it)
{
    fresh_decoder();
    tap(0x3a);                  /* CapsLock on */
    type_all_letters();
    check_letters(true);
    type_all_symbols();
    check_symbols(false);
    FEED(0x2a);
    type_all_letters();
    check_letters(false);
    type_all_symbols();
    check_symbols(true);
    FEED(0xaa);
    tap(0x3a);                  /* CapsLock off */
    type_all_letters();
    check_letters(false);
}

TEST(caps_lock_repeat_toggles_once)
{
    fresh_decoder();
    FEED(0x3a, 0x3a, 0x3a, 0x3a, 0xba);    /* held: typematic repeats */
    tap(0x1e);
    CHECK_OUT("A");
    FEED(0x3a, 0x3a, 0xba);
    tap(0x1e);
    CHECK_OUT("a");
}

TEST(digits_and_punctuation_with_and_without_shift)
{
    fresh_decoder();
    type_all_symbols();
    check_symbols(false);
    FEED(0x2a);
    type_all_symbols();
    FEED(0xaa);
    check_symbols(true);
    FEED(0x36);
    type_all_symbols();
    FEED(0xb6);
    check_symbols(true);
}

TEST(keypad_types_digits_and_operators)
{
    fresh_decoder();
    FEED(0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x37);
    CHECK_OUT("789-456+1230.*");
    FEED(0xe0, 0x35, 0xe0, 0xb5);          /* keypad / */
    CHECK_OUT("/");
    FEED(0xe0, 0x1c, 0xe0, 0x9c);          /* keypad Enter */
    CHECK_OUT("\r");
}

/* ---- Decoder: control keys ---------------------------------------------- */

TEST(enter_backspace_tab_escape)
{
    fresh_decoder();
    tap(0x1c);
    CHECK_OUT("\r");
    tap(0x0e);
    CHECK_OUT("\x7f");
    tap(0x0f);
    CHECK_OUT("\t");
    tap(0x01);
    CHECK_OUT("\x1b");
    /* Shift and CapsLock change none of them. */
    FEED(0x2a);
    tap(0x3a);
    FEED(0x1c, 0x0e, 0x0f, 0x01);
    CHECK_OUT("\r\x7f\t\x1b");
}

TEST(ctrl_letters_are_01_to_1a)
{
    static const uint8_t ctrl_down[][2] = { { 0x1d }, { 0xe0, 0x1d } };
    static const uint8_t ctrl_up[][2] = { { 0x9d }, { 0xe0, 0x9d } };
    static const size_t ctrl_len[] = { 1, 2 };
    fresh_decoder();
    for (int side = 0; side < 2; side++) {
        for (int shift_caps = 0; shift_caps < 3; shift_caps++) {
            if (shift_caps == 1)
                FEED(0x2a);
            if (shift_caps == 2)
                tap(0x3a);
            feed_codes(ctrl_down[side], ctrl_len[side]);
            uint8_t want[N_LETTERS];
            for (size_t i = 0; i < N_LETTERS; i++) {
                tap(letters[i].make);
                want[i] = (uint8_t)(letters[i].legend - 'a' + 1);
            }
            feed_codes(ctrl_up[side], ctrl_len[side]);
            if (shift_caps == 1)
                FEED(0xaa);
            if (shift_caps == 2)
                tap(0x3a);
            CHECK_OUT_BYTES(want, N_LETTERS);
            tap(0x1e);
            CHECK_OUT("a");
        }
    }
}

TEST(ctrl_a_three_times)
{
    fresh_decoder();
    FEED(0x1d, 0x1e, 0x9e, 0x1e, 0x9e, 0x1e, 0x9e, 0x9d);
    CHECK_OUT("\x01\x01\x01");
    /* Ctrl held, A held down (repeats). */
    FEED(0x1d, 0x1e, 0x1e, 0x1e, 0x9e, 0x9d);
    CHECK_OUT("\x01\x01\x01");
}

TEST(ctrl_with_other_keys)
{
    fresh_decoder();
    FEED(0x1d);
    tap(0x1a);                  /* [ */
    tap(0x2b);                  /* \ */
    tap(0x1b);                  /* ] */
    tap(0x29);                  /* ` */
    CHECK_OUT("\x1b\x1c\x1d\x00");
    tap(0x39);                  /* Space: NUL */
    CHECK_OUT("\x00");
    tap(0x02);                  /* digits stay */
    tap(0x0c);                  /* - stays */
    CHECK_OUT("1-");
    FEED(0x1c, 0x0e, 0x0f, 0x01);          /* control keys stay */
    CHECK_OUT("\r\x7f\t\x1b");
    FEED(0x2a);
    tap(0x07);                  /* Ctrl-^ */
    tap(0x0c);                  /* Ctrl-_ */
    FEED(0xaa);
    CHECK_OUT("\x1e\x1f");
    FEED(0x9d);
}

TEST(alt_sends_escape_first)
{
    fresh_decoder();
    FEED(0x38);
    tap(0x1e);
    FEED(0xb8);
    tap(0x1e);
    CHECK_OUT("\x1b" "a" "a");
    FEED(0xe0, 0x38);           /* right Alt */
    FEED(0x2a);
    tap(0x30);
    FEED(0xaa, 0x1d);
    tap(0x30);
    FEED(0x9d, 0xe0, 0xb8);
    tap(0x30);
    CHECK_OUT("\x1b" "B" "\x1b\x02" "b");
}

/* ---- Decoder: E0 keys ----------------------------------------------------- */

TEST(arrows_send_ansi_sequences)
{
    fresh_decoder();
    FEED(0xe0, 0x48, 0xe0, 0xc8);
    CHECK_OUT("\x1b[A");
    FEED(0xe0, 0x50, 0xe0, 0xd0);
    CHECK_OUT("\x1b[B");
    FEED(0xe0, 0x4d, 0xe0, 0xcd);
    CHECK_OUT("\x1b[C");
    FEED(0xe0, 0x4b, 0xe0, 0xcb);
    CHECK_OUT("\x1b[D");
    /* Modifiers do not change them. */
    FEED(0x2a, 0x1d, 0x38, 0xe0, 0x48, 0xe0, 0xc8, 0xb8, 0x9d, 0xaa);
    CHECK_OUT("\x1b[A");
}

TEST(editing_keys_send_xterm_sequences)
{
    fresh_decoder();
    FEED(0xe0, 0x47, 0xe0, 0xc7);
    CHECK_OUT("\x1b[H");
    FEED(0xe0, 0x4f, 0xe0, 0xcf);
    CHECK_OUT("\x1b[F");
    FEED(0xe0, 0x52, 0xe0, 0xd2);
    CHECK_OUT("\x1b[2~");
    FEED(0xe0, 0x53, 0xe0, 0xd3);
    CHECK_OUT("\x1b[3~");
    FEED(0xe0, 0x49, 0xe0, 0xc9);
    CHECK_OUT("\x1b[5~");
    FEED(0xe0, 0x51, 0xe0, 0xd1);
    CHECK_OUT("\x1b[6~");
}

TEST(e0_applies_to_the_next_code_only)
{
    fresh_decoder();
    FEED(0xe0, 0x48, 0x48, 0xe0, 0xc8, 0xc8);
    CHECK_OUT("\x1b[A" "8");
    FEED(0xe0, 0x1d, 0x1e, 0xe0, 0x9d, 0x1e);  /* right Ctrl, then plain a */
    CHECK_OUT("\x01" "a");
}

TEST(fake_shifts_around_arrows_are_not_shift)
{
    fresh_decoder();
    /* NumLock on: the keyboard wraps Up in a fake left Shift press. */
    FEED(0xe0, 0x2a, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0xaa);
    tap(0x1e);
    CHECK_OUT("\x1b[A" "a");
    /* Shift held: the keyboard sends fake releases around the key. */
    FEED(0x2a, 0xe0, 0xaa, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x2a);
    tap(0x1e);
    FEED(0xaa);
    tap(0x1e);
    CHECK_OUT("\x1b[A" "A" "a");
    /* Keys typed while the arrow is held: the fake shifts must not have
     * pressed or released Shift in between. */
    FEED(0xe0, 0x2a, 0xe0, 0x48);
    tap(0x1e);
    FEED(0xe0, 0xc8, 0xe0, 0xaa);
    CHECK_OUT("\x1b[A" "a");
    FEED(0x2a, 0xe0, 0xaa, 0xe0, 0x48);
    tap(0x1e);
    FEED(0xe0, 0xc8, 0xe0, 0x2a, 0xaa);
    CHECK_OUT("\x1b[A" "A");
    /* Same with the right Shift. */
    FEED(0x36, 0xe0, 0xb6, 0xe0, 0x50, 0xe0, 0xd0, 0xe0, 0x36);
    tap(0x1e);
    FEED(0xb6);
    tap(0x1e);
    CHECK_OUT("\x1b[B" "A" "a");
    FEED(0x36, 0xe0, 0xb6, 0xe0, 0x50);
    tap(0x1e);
    FEED(0xe0, 0xd0, 0xe0, 0x36, 0xb6);
    FEED(0xe0, 0x36, 0xe0, 0x50);
    tap(0x1e);
    FEED(0xe0, 0xd0, 0xe0, 0xb6);
    CHECK_OUT("\x1b[B" "A" "\x1b[B" "a");
}

/* ---- Decoder: releases, repeats, codes that type nothing ---------------- */

TEST(modifier_release)
{
    fresh_decoder();
    FEED(0x2a, 0x36, 0xaa);     /* both Shifts down, left up */
    tap(0x1e);
    FEED(0xb6);
    tap(0x1e);
    CHECK_OUT("Aa");
    FEED(0x1d, 0xe0, 0x1d, 0xe0, 0x9d);        /* both Ctrls down, right up */
    tap(0x1e);
    FEED(0x9d);
    tap(0x1e);
    CHECK_OUT("\x01" "a");
    FEED(0x38, 0xe0, 0x38, 0xb8);              /* both Alts down, left up */
    tap(0x1e);
    FEED(0xe0, 0xb8);
    tap(0x1e);
    CHECK_OUT("\x1b" "a" "a");
}

TEST(break_codes_send_nothing_and_change_nothing)
{
    fresh_decoder();
    for (unsigned make = 0x01; make <= 0x58; make++) {
        /* Modifier and CapsLock releases are state changes, tested above. */
        if (make == 0x1d || make == 0x2a || make == 0x36 || make == 0x38 || make == 0x3a)
            continue;
        FEED((uint8_t)(make | 0x80));
        FEED(0xe0, (uint8_t)(make | 0x80));
    }
    CHECK_EQ_U(out_len, 0);
    tap(0x1e);
    CHECK_OUT("a");
}

TEST(codes_that_type_nothing_are_ignored)
{
    fresh_decoder();
    /* F1-F10, NumLock, ScrollLock, SysRq, F11, F12. */
    FEED(0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x54,
         0x57, 0x58);
    /* Unused codes and the keyboard's own replies (BAT failed, echo, ACK,
     * resend, overrun). */
    FEED(0x00, 0x55, 0x59, 0x5a, 0x60, 0x7f, 0xfc, 0xee, 0xfa, 0xfe, 0xff);
    /* Windows keys, Menu, Print Screen, Ctrl-Break after E0. */
    FEED(0xe0, 0x5b, 0xe0, 0xdb, 0xe0, 0x5c, 0xe0, 0x5d, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7,
         0xe0, 0xaa, 0xe0, 0x46, 0xe0, 0xc6);
    CHECK_EQ_U(out_len, 0);
    tap(0x1e);
    CHECK_OUT("a");
}

TEST(pause_sequence_is_skipped_whole)
{
    fresh_decoder();
    /* Its 1D and 9D are not Ctrl: the real left Ctrl stays held. */
    FEED(0x1d, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    tap(0x1e);
    FEED(0x9d);
    tap(0x1e);
    CHECK_OUT("\x01" "a");
}

TEST(held_keys_repeat)
{
    fresh_decoder();
    FEED(0x1e, 0x1e, 0x1e, 0x9e);
    CHECK_OUT("aaa");
    FEED(0x2a, 0x2a, 0x2a, 0x1e, 0x1e, 0x9e, 0xaa, 0x1e, 0x9e);   /* Shift repeats too */
    CHECK_OUT("AAa");
    FEED(0xe0, 0x4b, 0xe0, 0x4b, 0xe0, 0xcb);
    CHECK_OUT("\x1b[D\x1b[D");
    FEED(0x0e, 0x0e, 0x8e);
    CHECK_OUT("\x7f\x7f");
}

TEST(any_byte_stream_stays_in_bounds)
{
    /* Every code after every prefix state: nothing longer than a sequence
     * (seq is exactly SET1_SEQ_MAX long, so ASan catches an overrun). */
    for (unsigned prefix = 0; prefix < 3; prefix++) {
        for (unsigned code = 0; code < 0x100; code++) {
            fresh_decoder();
            if (prefix == 1)
                FEED(0xe0);
            if (prefix == 2)
                FEED(0x38, 0x1d, 0x2a);
            FEED((uint8_t)code);
        }
    }
    uint32_t x = 12345;
    fresh_decoder();
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245u + 12345u;
        uint8_t code = (uint8_t)(x >> 16);
        FEED(code);
        out_len = 0;
    }
}

/* ---- The 8042 model ------------------------------------------------------- */

#define MODEL_STATUS_OBF        0x01
#define MODEL_STATUS_IBF        0x02
#define MODEL_STATUS_SYS        0x04
#define MODEL_STATUS_AUX        0x20
#define MODEL_STATUS_TIMEOUT    0x40
#define MODEL_STATUS_PARITY     0x80
#define MODEL_CB_DISABLE_KBD    0x10
#define MODEL_CB_XLAT           0x40
#define MODEL_QUEUE             256

struct model_byte {
    uint8_t value;
    uint8_t status;             /* AUX / error bits that come with it */
};

static struct {
    bool absent;                /* nothing decodes the ports */
    bool mute;                  /* never answers a command */
    bool input_stuck_full;
    bool drops_xlat;            /* keeps the XLAT bit clear */
    bool mouse_byte_before_answer;  /* mouse data lands ahead of each answer */
    uint8_t command_byte;
    bool next_data_is_command_byte;
    /* The output buffer and what is queued behind it in the controller. */
    struct model_byte out[MODEL_QUEUE];
    size_t out_head, out_count;
    /* What the keyboard wants to send: it waits while the keyboard is
     * disabled or the output buffer is full. */
    uint8_t kbd[MODEL_QUEUE];
    size_t kbd_head, kbd_count;
    uint8_t commands[64];
    size_t ncommands;
    size_t bytes_to_keyboard;
    unsigned status_reads, data_reads, writes;
} m;

static void model_reset(uint8_t command_byte)
{
    memset(&m, 0, sizeof(m));
    m.command_byte = command_byte;
}

static void model_push_out(uint8_t value, uint8_t status)
{
    if (m.out_count == MODEL_QUEUE) {
        UNIT_FAIL("model output queue full");
        return;
    }
    m.out[(m.out_head + m.out_count++) % MODEL_QUEUE] = (struct model_byte){ value, status };
}

static void keyboard_sends(const uint8_t *codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m.kbd_count == MODEL_QUEUE) {
            UNIT_FAIL("model keyboard queue full");
            return;
        }
        m.kbd[(m.kbd_head + m.kbd_count++) % MODEL_QUEUE] = codes[i];
    }
}

#define KEYBOARD_SENDS(...)                                               \
    keyboard_sends((const uint8_t[]){ __VA_ARGS__ },                      \
                   sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void model_move_keyboard_byte(void)
{
    if (m.out_count || !m.kbd_count || (m.command_byte & MODEL_CB_DISABLE_KBD))
        return;
    model_push_out(m.kbd[m.kbd_head], 0);
    m.kbd_head = (m.kbd_head + 1) % MODEL_QUEUE;
    m.kbd_count--;
}

static uint8_t fake_inb(uint16_t port)
{
    if (port == 0x64)
        m.status_reads++;
    if (m.absent)
        return 0xff;
    model_move_keyboard_byte();
    if (port == 0x64) {
        uint8_t status = MODEL_STATUS_SYS;
        if (m.input_stuck_full)
            status |= MODEL_STATUS_IBF;
        if (m.out_count)
            status |= MODEL_STATUS_OBF | m.out[m.out_head].status;
        return status;
    }
    if (port == 0x60) {
        m.data_reads++;
        if (!m.out_count)
            return 0;
        uint8_t v = m.out[m.out_head].value;
        m.out_head = (m.out_head + 1) % MODEL_QUEUE;
        m.out_count--;
        return v;
    }
    UNIT_FAIL("inb from port 0x%x", port);
    return 0xff;
}

static void fake_outb(uint16_t port, uint8_t value)
{
    m.writes++;
    if (m.absent || m.input_stuck_full) {
        UNIT_FAIL("outb(0x%x, 0x%x) to a controller that cannot take it", port, value);
        return;
    }
    if (port == 0x64) {
        if (m.ncommands < sizeof(m.commands))
            m.commands[m.ncommands++] = value;
        m.next_data_is_command_byte = false;
        switch (value) {
        case 0x20:
            if (m.mouse_byte_before_answer)
                model_push_out(0x3f, MODEL_STATUS_AUX);
            if (!m.mute)
                model_push_out(m.command_byte, 0);
            break;
        case 0x60:
            m.next_data_is_command_byte = true;
            break;
        case 0xad:
            m.command_byte |= MODEL_CB_DISABLE_KBD;
            break;
        case 0xae:
            m.command_byte &= (uint8_t)~MODEL_CB_DISABLE_KBD;
            break;
        default:
            UNIT_FAIL("unexpected controller command 0x%x", value);
        }
        return;
    }
    if (port == 0x60) {
        if (m.next_data_is_command_byte) {
            m.command_byte = m.drops_xlat ? (uint8_t)(value & ~MODEL_CB_XLAT) : value;
            m.next_data_is_command_byte = false;
        } else {
            m.bytes_to_keyboard++;
        }
        return;
    }
    UNIT_FAIL("outb to port 0x%x", port);
}

static void check_commands(const uint8_t *want, size_t n)
{
    char got[256], exp[256];
    CHECK_STR(hex_of(m.commands, m.ncommands, got, sizeof(got)), hex_of(want, n, exp, sizeof(exp)));
}

#define CHECK_COMMANDS(...)                                               \
    check_commands((const uint8_t[]){ __VA_ARGS__ },                      \
                   sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Everything ps2kbd_try_getc() has for now, into out_bytes. */
static void drain_input(void)
{
    int c;
    int guard = 0;
    while ((c = ps2kbd_try_getc()) >= 0 && guard++ < 1000) {
        CHECK(c <= 0xff);
        if (out_len < sizeof(out_bytes))
            out_bytes[out_len++] = (uint8_t)c;
    }
}

/* ---- Driver: finding and setting up the controller ---------------------- */

TEST(no_controller_reads_ff_and_is_left_alone)
{
    model_reset(0x45);
    m.absent = true;
    CHECK(!ps2kbd_init());
    CHECK_EQ_U(m.writes, 0);
    CHECK_EQ_U(m.status_reads, 1);      /* no waiting on a bus that floats */
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(translation_already_on_keeps_the_command_byte)
{
    model_reset(0x47);          /* both interrupts, system flag, XLAT */
    CHECK(ps2kbd_init());
    CHECK_EQ_U(m.command_byte, 0x47);
    /* The keyboard is held off while the command byte is read. */
    CHECK_COMMANDS(0xad, 0x20, 0xae);
    CHECK_EQ_U(m.bytes_to_keyboard, 0);
}

TEST(translation_off_is_turned_on_and_the_rest_kept)
{
    model_reset(0x07);
    CHECK(ps2kbd_init());
    CHECK_EQ_U(m.command_byte, 0x47);
    CHECK_COMMANDS(0xad, 0x20, 0x60, 0x20, 0xae);
    CHECK_EQ_U(m.bytes_to_keyboard, 0);
}

TEST(keyboard_disabled_by_firmware_is_enabled)
{
    model_reset(0x54);          /* keyboard disabled, XLAT, system flag */
    CHECK(ps2kbd_init());
    CHECK_EQ_U(m.command_byte, 0x44);
    KEYBOARD_SENDS(0x1e, 0x9e);
    out_len = 0;
    drain_input();
    CHECK_OUT("a");
}

TEST(controller_that_drops_translation_is_refused)
{
    model_reset(0x05);
    m.drops_xlat = true;
    CHECK(!ps2kbd_init());
    CHECK_EQ_U(m.command_byte & MODEL_CB_DISABLE_KBD, 0);  /* re-enabled */
    KEYBOARD_SENDS(0x1e, 0x9e);
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(mute_controller_does_not_hang)
{
    model_reset(0x45);
    m.mute = true;
    CHECK(!ps2kbd_init());
    CHECK_EQ_U(m.command_byte & MODEL_CB_DISABLE_KBD, 0);
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(stuck_input_buffer_does_not_hang)
{
    model_reset(0x45);
    m.input_stuck_full = true;
    CHECK(!ps2kbd_init());
    CHECK_EQ_U(m.writes, 0);
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(init_flushes_pending_bytes)
{
    model_reset(0x45);
    model_push_out(0x1e, 0);                    /* left by the firmware */
    model_push_out(0x08, MODEL_STATUS_AUX);
    model_push_out(0x30, 0);
    CHECK(ps2kbd_init());
    CHECK_EQ_U(m.command_byte, 0x45);
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
    KEYBOARD_SENDS(0x2e, 0xae);
    out_len = 0;
    drain_input();
    CHECK_OUT("c");
}

TEST(mouse_byte_before_the_answer_is_not_the_command_byte)
{
    model_reset(0x07);
    m.mouse_byte_before_answer = true;
    CHECK(ps2kbd_init());
    CHECK_EQ_U(m.command_byte, 0x47);
    CHECK_COMMANDS(0xad, 0x20, 0x60, 0x20, 0xae);
}

/* ---- Driver: reading keys ------------------------------------------------- */

static void ready_keyboard(void)
{
    model_reset(0x47);
    CHECK(ps2kbd_init());
    out_len = 0;
}

TEST(typed_keys_come_out_in_order)
{
    ready_keyboard();
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
    KEYBOARD_SENDS(0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97, 0x1c, 0x9c);
    drain_input();
    CHECK_OUT("Hi\r");
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(sequences_come_out_one_byte_per_call)
{
    ready_keyboard();
    KEYBOARD_SENDS(0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x53, 0xe0, 0xd3, 0x1e);
    CHECK_EQ_I(ps2kbd_try_getc(), 0x1b);
    CHECK_EQ_I(ps2kbd_try_getc(), '[');
    CHECK_EQ_I(ps2kbd_try_getc(), 'A');
    CHECK_EQ_I(ps2kbd_try_getc(), 0x1b);
    CHECK_EQ_I(ps2kbd_try_getc(), '[');
    CHECK_EQ_I(ps2kbd_try_getc(), '3');
    CHECK_EQ_I(ps2kbd_try_getc(), '~');
    CHECK_EQ_I(ps2kbd_try_getc(), 'a');
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
}

TEST(mouse_bytes_are_ignored)
{
    ready_keyboard();
    /* Mouse packets whose bytes look like make codes (1Eh would be 'a'). */
    model_push_out(0x08, MODEL_STATUS_AUX);
    model_push_out(0x1e, MODEL_STATUS_AUX);
    model_push_out(0x30, MODEL_STATUS_AUX);
    KEYBOARD_SENDS(0x2e, 0xae);
    drain_input();
    model_push_out(0x1e, MODEL_STATUS_AUX);
    KEYBOARD_SENDS(0x20, 0xa0);
    model_push_out(0x2a, MODEL_STATUS_AUX);     /* not a Shift press */
    drain_input();
    KEYBOARD_SENDS(0x20, 0xa0);
    drain_input();
    CHECK_OUT("cdd");
}

TEST(damaged_bytes_are_dropped)
{
    ready_keyboard();
    model_push_out(0x1e, MODEL_STATUS_PARITY);
    model_push_out(0x30, MODEL_STATUS_TIMEOUT);
    model_push_out(0x2a, MODEL_STATUS_PARITY);  /* not a Shift press */
    KEYBOARD_SENDS(0x2e, 0xae);
    drain_input();
    CHECK_OUT("c");
}

TEST(idle_poll_is_one_status_read)
{
    ready_keyboard();
    unsigned status_reads = m.status_reads, data_reads = m.data_reads;
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
    CHECK_EQ_U(m.status_reads - status_reads, 1);
    CHECK_EQ_U(m.data_reads - data_reads, 0);
}

TEST(streaming_mouse_does_not_hold_the_poll)
{
    ready_keyboard();
    for (int i = 0; i < 100; i++)
        model_push_out(0x08, MODEL_STATUS_AUX);
    KEYBOARD_SENDS(0x1e, 0x9e);
    unsigned data_reads = m.data_reads;
    CHECK_EQ_I(ps2kbd_try_getc(), -1);
    CHECK(m.data_reads - data_reads <= 16);
    CHECK(m.data_reads - data_reads > 0);
    drain_input();
    for (int i = 0; i < 10 && m.out_count + m.kbd_count; i++)
        drain_input();
    CHECK_OUT("a");
}

TEST(init_again_forgets_held_modifiers)
{
    ready_keyboard();
    KEYBOARD_SENDS(0x2a);
    drain_input();
    CHECK(ps2kbd_init());
    KEYBOARD_SENDS(0x1e, 0x9e);
    drain_input();
    CHECK_OUT("a");
}
