/*
 * Polled driver for the host's PS/2 keyboard (contract in drivers/ps2kbd.h).
 *
 * Sources for the facts used here: IBM "Personal System/2 Hardware Interface
 * Technical Reference", chapter "Keyboard/Auxiliary Device Controller"
 * (status register, controller command byte, commands 20h 60h ADh AEh; names
 * below follow it), and Microsoft "Keyboard Scan Code Specification"
 * rev. 1.3a (scan code set 1, the E0 and E1 prefixes, the fake shifts).
 *
 * Scan code set 1 only.  The keyboard sends set 2; the 8042 translates it to
 * set 1 when its command byte has the PC compatibility bit set, and that is
 * how PC firmware hands the controller over (BIOS INT 16h and the usual OS
 * drivers rely on it).  Rather than carry a second table and the F0 break
 * prefix for firmware that leaves translation off, ps2kbd_init() turns it on.
 * The keyboard itself is never sent a command (no ACK exchange to poll
 * for), so it is assumed to be in its power-on set 2, and its LEDs stay as
 * the firmware left them: CapsLock works but its light does not follow.
 *
 * The file has two halves: a pure decoder from set-1 scancodes to the bytes
 * a serial terminal sends (host-tested in tests/unit/test_ps2kbd.c), and the
 * port I/O that feeds it.
 */
#include "drivers/ps2kbd.h"

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

/* ---- Scancode set 1 to terminal bytes (pure: no port I/O) --------------- */

/* Set 1 (Microsoft spec, "Scan Code Tables"): a key's break code is its make
 * code with bit 7 set; E0 marks the next code as one of the keys added on
 * the 101-key keyboard; E1 starts Pause, which sends E1 1D 45 E1 9D C5 on
 * press and nothing on release, so each E1 is followed by two codes that are
 * not keys of their own. */
#define SET1_BREAK              0x80
#define SET1_PREFIX_E0          0xe0
#define SET1_PREFIX_E1          0xe1
#define SET1_CODES_AFTER_E1     2

/* Make codes the decoder treats specially (the rest are in the tables). */
enum set1_make_code {
    SET1_CTRL = 0x1d,           /* left Ctrl; right Ctrl after E0 */
    SET1_LEFT_SHIFT = 0x2a,     /* after E0: a fake shift, not a key */
    SET1_RIGHT_SHIFT = 0x36,    /* after E0: a fake shift, not a key */
    SET1_ALT = 0x38,            /* left Alt; right Alt after E0 */
    SET1_CAPS_LOCK = 0x3a,
};

/* After E0. */
enum set1_e0_make_code {
    SET1_E0_KEYPAD_ENTER = 0x1c,
    SET1_E0_KEYPAD_SLASH = 0x35,
    SET1_E0_HOME = 0x47,
    SET1_E0_UP = 0x48,
    SET1_E0_PAGE_UP = 0x49,
    SET1_E0_LEFT = 0x4b,
    SET1_E0_RIGHT = 0x4d,
    SET1_E0_END = 0x4f,
    SET1_E0_DOWN = 0x50,
    SET1_E0_PAGE_DOWN = 0x51,
    SET1_E0_INSERT = 0x52,
    SET1_E0_DELETE = 0x53,
};

/* The bytes a serial terminal sends (ASCII control characters). */
#define ASCII_NUL               0x00
#define ASCII_TAB               0x09
#define ASCII_CR                0x0d
#define ASCII_ESC               0x1b
#define ASCII_DEL               0x7f    /* what terminals send for Backspace */
#define ASCII_SPACE             0x20
/* Ctrl with a key whose character lies in '@'..'~' sends that character's
 * low five bits (Ctrl-A 01h ... Ctrl-Z 1Ah, Ctrl-[ 1Bh), as terminals do. */
#define ASCII_CTRL_FIRST        0x40
#define ASCII_CTRL_LAST         0x7e
#define ASCII_CTRL_MASK         0x1f

/* ECMA-48 control sequences as xterm sends them for the editing keys. */
#define CSI                     "\x1b["

/* At most: CSI, a parameter and the final byte ("ESC [ 3 ~"). */
#define SET1_SEQ_MAX            4

/* The held modifier keys, left and right apart so releasing one of a pair
 * keeps the other's effect. */
enum modifier {
    MOD_LEFT_SHIFT = 1u << 0,
    MOD_RIGHT_SHIFT = 1u << 1,
    MOD_LEFT_CTRL = 1u << 2,
    MOD_RIGHT_CTRL = 1u << 3,
    MOD_LEFT_ALT = 1u << 4,
    MOD_RIGHT_ALT = 1u << 5,
};
#define MOD_SHIFT (MOD_LEFT_SHIFT | MOD_RIGHT_SHIFT)
#define MOD_CTRL  (MOD_LEFT_CTRL | MOD_RIGHT_CTRL)
#define MOD_ALT   (MOD_LEFT_ALT | MOD_RIGHT_ALT)

struct set1_decoder {
    unsigned modifiers;         /* enum modifier bits of the keys held */
    bool caps_lock;
    bool caps_lock_held;        /* so CapsLock's own repeat toggles once */
    bool after_e0;              /* the previous code was the E0 prefix */
    unsigned codes_to_skip;     /* rest of an E1 (Pause) group */
};

/* A key that types a character: without and with Shift.  A zero `plain`
 * marks codes that type nothing (function keys, NumLock, unused codes). */
struct set1_key {
    uint8_t plain, shifted;
};

#define LETTER(c) { (c), (uint8_t)((c) - 'a' + 'A') }

/* US layout.  The keypad types with NumLock on, the state PC firmware
 * normally sets at boot; its navigation meanings would need the NumLock
 * state, which the keyboard does not report. */
static const struct set1_key set1_keys[] = {
    [0x01] = { ASCII_ESC, ASCII_ESC },
    [0x02] = { '1', '!' }, [0x03] = { '2', '@' }, [0x04] = { '3', '#' },
    [0x05] = { '4', '$' }, [0x06] = { '5', '%' }, [0x07] = { '6', '^' },
    [0x08] = { '7', '&' }, [0x09] = { '8', '*' }, [0x0a] = { '9', '(' },
    [0x0b] = { '0', ')' }, [0x0c] = { '-', '_' }, [0x0d] = { '=', '+' },
    [0x0e] = { ASCII_DEL, ASCII_DEL },                          /* Backspace */
    [0x0f] = { ASCII_TAB, ASCII_TAB },
    [0x10] = LETTER('q'), [0x11] = LETTER('w'), [0x12] = LETTER('e'),
    [0x13] = LETTER('r'), [0x14] = LETTER('t'), [0x15] = LETTER('y'),
    [0x16] = LETTER('u'), [0x17] = LETTER('i'), [0x18] = LETTER('o'),
    [0x19] = LETTER('p'), [0x1a] = { '[', '{' }, [0x1b] = { ']', '}' },
    [0x1c] = { ASCII_CR, ASCII_CR },                            /* Enter */
    [0x1e] = LETTER('a'), [0x1f] = LETTER('s'), [0x20] = LETTER('d'),
    [0x21] = LETTER('f'), [0x22] = LETTER('g'), [0x23] = LETTER('h'),
    [0x24] = LETTER('j'), [0x25] = LETTER('k'), [0x26] = LETTER('l'),
    [0x27] = { ';', ':' }, [0x28] = { '\'', '"' }, [0x29] = { '`', '~' },
    [0x2b] = { '\\', '|' },
    [0x2c] = LETTER('z'), [0x2d] = LETTER('x'), [0x2e] = LETTER('c'),
    [0x2f] = LETTER('v'), [0x30] = LETTER('b'), [0x31] = LETTER('n'),
    [0x32] = LETTER('m'), [0x33] = { ',', '<' }, [0x34] = { '.', '>' },
    [0x35] = { '/', '?' },
    [0x37] = { '*', '*' },                                      /* keypad */
    [0x39] = { ASCII_SPACE, ASCII_SPACE },
    [0x47] = { '7', '7' }, [0x48] = { '8', '8' }, [0x49] = { '9', '9' },
    [0x4a] = { '-', '-' },
    [0x4b] = { '4', '4' }, [0x4c] = { '5', '5' }, [0x4d] = { '6', '6' },
    [0x4e] = { '+', '+' },
    [0x4f] = { '1', '1' }, [0x50] = { '2', '2' }, [0x51] = { '3', '3' },
    [0x52] = { '0', '0' }, [0x53] = { '.', '.' },
};

/* Keys after E0 that send bytes, as xterm sends them (cursor keys in
 * normal mode).  E0 2A and E0 36 are absent on purpose: the keyboard wraps
 * the navigation keys in these fake shift presses and releases, depending on
 * Shift and NumLock, and they must not count as Shift. */
static const char *const set1_e0_keys[] = {
    [SET1_E0_KEYPAD_ENTER] = "\r",
    [SET1_E0_KEYPAD_SLASH] = "/",
    [SET1_E0_UP] = CSI "A",
    [SET1_E0_DOWN] = CSI "B",
    [SET1_E0_RIGHT] = CSI "C",
    [SET1_E0_LEFT] = CSI "D",
    [SET1_E0_HOME] = CSI "H",
    [SET1_E0_END] = CSI "F",
    [SET1_E0_INSERT] = CSI "2~",
    [SET1_E0_DELETE] = CSI "3~",
    [SET1_E0_PAGE_UP] = CSI "5~",
    [SET1_E0_PAGE_DOWN] = CSI "6~",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void set1_decoder_reset(struct set1_decoder *d)
{
    *d = (struct set1_decoder){ 0 };
}

/* The modifier bit a make code stands for, or 0 if it is no modifier. */
static unsigned set1_modifier(uint8_t make, bool extended)
{
    switch (make) {
    case SET1_LEFT_SHIFT: return extended ? 0 : MOD_LEFT_SHIFT;
    case SET1_RIGHT_SHIFT: return extended ? 0 : MOD_RIGHT_SHIFT;
    case SET1_CTRL: return extended ? MOD_RIGHT_CTRL : MOD_LEFT_CTRL;
    case SET1_ALT: return extended ? MOD_RIGHT_ALT : MOD_LEFT_ALT;
    default: return 0;
    }
}

static bool is_lower_letter(uint8_t c)
{
    return c >= 'a' && c <= 'z';
}

/* CapsLock shifts letters only, and Shift undoes it. */
static uint8_t key_char(const struct set1_decoder *d, const struct set1_key *key)
{
    bool shifted = (d->modifiers & MOD_SHIFT) != 0;
    if (is_lower_letter(key->plain))
        shifted ^= d->caps_lock;
    return shifted ? key->shifted : key->plain;
}

/* Ctrl leaves keys that already send a control character (Enter, Tab,
 * Backspace, Escape) and digits alone; Ctrl-Space sends NUL. */
static uint8_t ctrl_char(uint8_t c)
{
    if (c >= ASCII_CTRL_FIRST && c <= ASCII_CTRL_LAST)
        return c & ASCII_CTRL_MASK;
    if (c == ASCII_SPACE)
        return ASCII_NUL;
    return c;
}

static size_t typed_key(const struct set1_decoder *d, uint8_t make, uint8_t out[SET1_SEQ_MAX])
{
    if (make >= ARRAY_LEN(set1_keys) || !set1_keys[make].plain)
        return 0;
    uint8_t c = key_char(d, &set1_keys[make]);
    if (d->modifiers & MOD_CTRL)
        c = ctrl_char(c);
    size_t n = 0;
    /* Alt sends ESC first, as xterm does with metaSendsEscape. */
    if (d->modifiers & MOD_ALT)
        out[n++] = ASCII_ESC;
    out[n++] = c;
    return n;
}

static size_t extended_key(uint8_t make, uint8_t out[SET1_SEQ_MAX])
{
    if (make >= ARRAY_LEN(set1_e0_keys) || !set1_e0_keys[make])
        return 0;
    size_t n = 0;
    for (const char *s = set1_e0_keys[make]; *s && n < SET1_SEQ_MAX; s++)
        out[n++] = (uint8_t)*s;
    return n;
}

/*
 * Feeds one byte from the keyboard to the decoder.  Stores the bytes the
 * key sends in out and returns how many (0 for prefixes, releases,
 * modifiers and keys that send nothing).  A held key's repeats are make
 * codes again, so they send again.
 */
static size_t set1_decode(struct set1_decoder *d, uint8_t code, uint8_t out[SET1_SEQ_MAX])
{
    if (d->codes_to_skip) {
        d->codes_to_skip--;
        return 0;
    }
    if (code == SET1_PREFIX_E1) {
        d->after_e0 = false;
        d->codes_to_skip = SET1_CODES_AFTER_E1;
        return 0;
    }
    if (code == SET1_PREFIX_E0) {
        d->after_e0 = true;
        return 0;
    }
    bool extended = d->after_e0;
    d->after_e0 = false;
    bool released = (code & SET1_BREAK) != 0;
    uint8_t make = code & (uint8_t)~SET1_BREAK;

    unsigned modifier = set1_modifier(make, extended);
    if (modifier) {
        if (released)
            d->modifiers &= ~modifier;
        else
            d->modifiers |= modifier;
        return 0;
    }
    if (!extended && make == SET1_CAPS_LOCK) {
        if (!released && !d->caps_lock_held)
            d->caps_lock = !d->caps_lock;
        d->caps_lock_held = !released;
        return 0;
    }
    if (released)
        return 0;
    return extended ? extended_key(make, out) : typed_key(d, make, out);
}

/* ---- The 8042 controller ------------------------------------------------ */

#define I8042_DATA_PORT         0x60
#define I8042_STATUS_PORT       0x64    /* read */
#define I8042_COMMAND_PORT      0x64    /* write */

/* Status register. */
#define STATUS_OUTPUT_BUFFER_FULL       0x01
#define STATUS_INPUT_BUFFER_FULL        0x02
#define STATUS_AUX_OUTPUT_BUFFER_FULL   0x20    /* the byte is the mouse's */
#define STATUS_GENERAL_TIMEOUT          0x40
#define STATUS_PARITY_ERROR             0x80
/* An ISA read with nothing decoding the port floats to all ones. */
#define STATUS_NO_CONTROLLER            0xff
#define STATUS_DAMAGED_OR_AUX \
    (STATUS_AUX_OUTPUT_BUFFER_FULL | STATUS_GENERAL_TIMEOUT | STATUS_PARITY_ERROR)

/* Controller commands (written to the command port). */
#define CMD_READ_COMMAND_BYTE           0x20
#define CMD_WRITE_COMMAND_BYTE          0x60
#define CMD_DISABLE_KEYBOARD            0xad
#define CMD_ENABLE_KEYBOARD             0xae

/* Controller command byte: set 2 translated to set 1. */
#define COMMAND_BYTE_PC_COMPAT_MODE     0x40

/* Every wait is bounded so a missing or stuck controller cannot hang keel;
 * each poll is a port read of about a microsecond on real hardware. */
#define SPIN_LIMIT              100000
/* More than the keyboard's own buffer (16 keys) plus the controller's. */
#define FLUSH_LIMIT             32
/* A mouse streaming movement must not keep ps2kbd_try_getc() busy. */
#define BYTES_PER_POLL          16

static bool kbd_present;
static struct set1_decoder kbd_decoder;
/* The rest of a key's byte sequence, handed out one byte per call. */
static uint8_t kbd_pending[SET1_SEQ_MAX];
static size_t kbd_pending_len, kbd_pending_next;

static uint8_t read_status(void)
{
    return inb(I8042_STATUS_PORT);
}

static bool wait_input_buffer_empty(void)
{
    for (int i = 0; i < SPIN_LIMIT; i++) {
        if (!(read_status() & STATUS_INPUT_BUFFER_FULL))
            return true;
        cpu_relax();
    }
    return false;
}

static bool send_command(uint8_t cmd)
{
    if (!wait_input_buffer_empty())
        return false;
    outb(I8042_COMMAND_PORT, cmd);
    return true;
}

static bool send_data(uint8_t value)
{
    if (!wait_input_buffer_empty())
        return false;
    outb(I8042_DATA_PORT, value);
    return true;
}

/* The controller's answer to a command; mouse bytes arriving meanwhile are
 * not it. */
static bool read_answer(uint8_t *value)
{
    for (int i = 0; i < SPIN_LIMIT; i++) {
        uint8_t status = read_status();
        if (status & STATUS_OUTPUT_BUFFER_FULL) {
            uint8_t byte = inb(I8042_DATA_PORT);
            if (!(status & STATUS_AUX_OUTPUT_BUFFER_FULL)) {
                *value = byte;
                return true;
            }
        }
        cpu_relax();
    }
    return false;
}

static void flush_output_buffer(void)
{
    for (int i = 0; i < FLUSH_LIMIT && (read_status() & STATUS_OUTPUT_BUFFER_FULL); i++)
        (void)inb(I8042_DATA_PORT);
}

static bool read_command_byte(uint8_t *value)
{
    return send_command(CMD_READ_COMMAND_BYTE) && read_answer(value);
}

static bool write_command_byte(uint8_t value)
{
    return send_command(CMD_WRITE_COMMAND_BYTE) && send_data(value);
}

/* Turns translation to set 1 on unless the firmware already did, and
 * checks that the controller kept it. */
static bool ensure_set1_translation(void)
{
    uint8_t command_byte;
    if (!read_command_byte(&command_byte))
        return false;
    if (command_byte & COMMAND_BYTE_PC_COMPAT_MODE)
        return true;
    return write_command_byte(command_byte | COMMAND_BYTE_PC_COMPAT_MODE) &&
           read_command_byte(&command_byte) && (command_byte & COMMAND_BYTE_PC_COMPAT_MODE);
}

bool ps2kbd_init(void)
{
    kbd_present = false;
    set1_decoder_reset(&kbd_decoder);
    kbd_pending_len = kbd_pending_next = 0;
    if (read_status() == STATUS_NO_CONTROLLER)
        return false;
    /* With the keyboard held off, a key typed now cannot be taken for the
     * command byte (the answer comes through the same output buffer). */
    if (!send_command(CMD_DISABLE_KEYBOARD))
        return false;
    flush_output_buffer();
    bool ok = ensure_set1_translation();
    /* Enabled even when something failed: the firmware's keyboard, working
     * or not, is left usable for whoever comes next. */
    ok = send_command(CMD_ENABLE_KEYBOARD) && ok;
    kbd_present = ok;
    return ok;
}

static int next_pending_byte(void)
{
    if (kbd_pending_next == kbd_pending_len)
        return -1;
    return kbd_pending[kbd_pending_next++];
}

int ps2kbd_try_getc(void)
{
    if (!kbd_present)
        return -1;
    for (int i = 0; i < BYTES_PER_POLL; i++) {
        int c = next_pending_byte();
        if (c >= 0)
            return c;
        uint8_t status = read_status();
        if (!(status & STATUS_OUTPUT_BUFFER_FULL))
            return -1;
        uint8_t code = inb(I8042_DATA_PORT);
        if (status & STATUS_DAMAGED_OR_AUX)
            continue;
        kbd_pending_len = set1_decode(&kbd_decoder, code, kbd_pending);
        kbd_pending_next = 0;
    }
    return next_pending_byte();
}
