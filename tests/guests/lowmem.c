/*
 * lowmem: a guest linked in conventional memory, at 48 KiB (guests.mk:
 * GUEST_LOAD_ADDR_lowmem), as kvm-unit-tests' realmode test is (at 32 KiB),
 * that checks what its loader put around it, then runs real mode and comes
 * back.  (48 KiB rather than 32: QEMU's -kernel writes its multiboot
 * information at 0x9000-0x9FFF whatever the image, so lower it would not
 * run bare.)
 *
 *   - Its image [__image_start, __bss_end) lies in conventional memory,
 *     and the memory map gives it as available RAM.
 *   - The multiboot information and everything it points to (command line,
 *     module list and string, memory map) lie outside the image; keel: all
 *     of it in [0x1000, 0x9FC00), the structure at 0x1000, below the image.
 *   - The command line holds the word lowmem-marker and modlen=N; the one
 *     module, named "pattern", is N bytes with byte i = (7i + 3) mod 256
 *     (build/guests/lowmem.mod), page-aligned, outside the image, in RAM;
 *     keel: at 1 MiB, the first page after both the image and 1 MiB.
 *   - Real mode, entered from 32-bit protected mode through a 16-bit
 *     segment (SDM vol. 3A 9.9.2 "Switching Back to Real-Address Mode"):
 *     CR0.PE clear and 16-bit decoding; segment:offset addressing (the
 *     multiboot flags read through ES = mbi >> 4); keel: a word through the
 *     echo port 0xE0 and REP INSW from it into ES:DI with ES nonzero (string
 *     I/O with real-mode segments); INT 60h through an IVT
 *     entry of its own (FLAGS, CS, IP pushed, IF clear in the handler, IRET
 *     restores FLAGS) and INT 1Ch through the entry the loader left (the
 *     user timer-tick hook, an IRET on a PC: AX and SP come back); the
 *     PIT's IRQ 0 tick ending STI; HLT, counted by a handler that chains to
 *     the loader's IRQ 0 handler (which must send the 8259 its EOI, or no
 *     later tick could come), then exactly three ticks for three STI; HLT
 *     through a handler of its own, the 8259's ISR clear after them.  Then
 *     back to protected mode (SDM 9.9.1) with its GDT and IDT, which still
 *     handle a #UD.
 *
 * The real-mode code, its data and stack sit in .text.realmode, which
 * guest.ld puts right after the multiboot header, so below 64 KiB: real
 * mode runs it with CS = DS = SS = 0 (the 16-bit relocations would not link
 * otherwise).  Nothing waits forever but HLT for a PIT tick.
 *
 * Under keel real mode needs unrestricted guest (EPT); elsewhere keel stops
 * the VM when CR0.PE is cleared, after the multiboot checks.  Expected under
 * keel on EPT: pass, given `-- lowmem-marker modlen=10000` and the module
 * `build/guests/lowmem.mod vm=NAME module -- pattern`.  Bare (QEMU 7.2 TCG,
 * -kernel build/guests/lowmem.elf -initrd "build/guests/lowmem.mod pattern"
 * -append "lowmem-marker modlen=10000"): pass, the keel-only checks SKIP.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/x86.h"

#define LOAD_ADDRESS        0xC000u         /* guests.mk: GUEST_LOAD_ADDR_lowmem */
#define CONVENTIONAL_START  0x1000u         /* after the real-mode IVT's page */
#define CONVENTIONAL_END    0x9FC00u        /* the EBDA starts here */
#define HIGH_MEMORY_START   0x100000u
#define PAGE_SIZE           0x1000u
#define MBI_BYTES           52u             /* the fields through mmap_addr */
#define MODULE_NAME         "pattern"

extern char __image_start[], __bss_end[];

/* ---- where things are ----------------------------------------------------------- */

struct range {
    uint32_t start, end;
};

static struct range image(void)
{
    return (struct range){ (uint32_t)(uintptr_t)__image_start, (uint32_t)(uintptr_t)__bss_end };
}

static bool overlaps(struct range a, struct range b)
{
    return a.start < b.end && b.start < a.end;
}

static bool inside(struct range a, struct range outer)
{
    return a.start >= outer.start && a.end <= outer.end;
}

static const struct mb_info *mbi(void)
{
    return boot_info();
}

static const struct mb_module *modules(void)
{
    return (const struct mb_module *)(uintptr_t)mbi()->mods_addr;
}

static struct range string_at(uint32_t addr)
{
    return (struct range){ addr, addr + (uint32_t)strlen((const char *)(uintptr_t)addr) + 1 };
}

/* Every range the multiboot information occupies; returns how many. */
static unsigned info_ranges(struct range *out, unsigned max)
{
    const struct mb_info *m = mbi();
    unsigned n = 0;

    out[n++] = (struct range){ (uint32_t)(uintptr_t)m, (uint32_t)(uintptr_t)m + MBI_BYTES };
    if (m->flags & MB1_INFO_CMDLINE)
        out[n++] = string_at(m->cmdline);
    if (m->flags & MB1_INFO_MMAP)
        out[n++] = (struct range){ m->mmap_addr, m->mmap_addr + m->mmap_length };
    if (m->flags & MB1_INFO_MODULES) {
        out[n++] = (struct range){ m->mods_addr,
                                   m->mods_addr + m->mods_count * sizeof(struct mb_module) };
        for (uint32_t i = 0; i < m->mods_count && n < max; i++) {
            if (modules()[i].string)
                out[n++] = string_at(modules()[i].string);
        }
    }
    return n;
}

/* Is r inside one memory map entry of available RAM? */
static bool available_ram(struct range r)
{
    const struct mb_info *m = mbi();

    if (!(m->flags & MB1_INFO_MMAP))
        return false;
    for (uint32_t p = m->mmap_addr; p < m->mmap_addr + m->mmap_length;) {
        const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)(uintptr_t)p;
        if (e->type == MB1_MMAP_AVAILABLE && r.start >= e->base_addr &&
            r.end <= e->base_addr + e->length)
            return true;
        p += e->size + sizeof(e->size);
    }
    return false;
}

/* ---- the multiboot checks ------------------------------------------------------- */

static bool check_image_low(void)
{
    struct range img = image();
    printf("lowmem: image 0x%x-0x%x, multiboot information at %p\n", img.start, img.end,
           (const void *)mbi());
    return img.start == LOAD_ADDRESS &&
           inside(img, (struct range){ CONVENTIONAL_START, CONVENTIONAL_END }) &&
           available_ram(img);
}

static bool check_info_outside_image(void)
{
    struct range r[16];
    unsigned n = info_ranges(r, 16);
    bool ok = (mbi()->flags & (MB1_INFO_CMDLINE | MB1_INFO_MODULES | MB1_INFO_MMAP)) ==
              (MB1_INFO_CMDLINE | MB1_INFO_MODULES | MB1_INFO_MMAP);

    for (unsigned i = 0; i < n; i++) {
        if (overlaps(r[i], image())) {
            printf("lowmem: information range 0x%x-0x%x overlaps the image\n", r[i].start,
                   r[i].end);
            ok = false;
        }
    }
    return ok;
}

static bool check_info_placed_by_keel(void)
{
    struct range r[16];
    unsigned n = info_ranges(r, 16);
    bool ok = (uintptr_t)mbi() == CONVENTIONAL_START;

    for (unsigned i = 0; i < n; i++)
        ok &= inside(r[i], (struct range){ CONVENTIONAL_START, image().start });
    return ok;
}

static bool check_memory_sizes(void)
{
    return (mbi()->flags & MB1_INFO_MEMORY) && mbi()->mem_lower == CONVENTIONAL_END / 1024;
}

static uint64_t module_length(void)
{
    uint64_t len;
    return cmdline_decimal(guest_cmdline(), "modlen", &len) ? len : UINT64_MAX;
}

static bool check_cmdline(void)
{
    printf("lowmem: command line \"%s\"\n", guest_cmdline());
    return cmdline_has_word(guest_cmdline(), "lowmem-marker") && module_length() != UINT64_MAX;
}

static uint8_t pattern_byte(uint32_t i)
{
    return (uint8_t)(7u * i + 3u);
}

/* The module's name: its string's last word (QEMU's -initrd puts the file's
 * path first, keel gives the words after "--"). */
static const char *module_name(const struct mb_module *mod)
{
    const char *s = mod->string ? (const char *)(uintptr_t)mod->string : "";
    const char *last = s;

    for (const char *p = s; *p; p++) {
        if (*p == ' ' && p[1] != '\0' && p[1] != ' ')
            last = p + 1;
    }
    return last;
}

static bool check_module(void)
{
    if (!(mbi()->flags & MB1_INFO_MODULES) || mbi()->mods_count != 1)
        return false;
    const struct mb_module *mod = &modules()[0];
    struct range r = { mod->mod_start, mod->mod_end };
    const char *name = module_name(mod);
    printf("lowmem: module \"%s\" 0x%x-0x%x\n", name, r.start, r.end);
    if (strcmp(name, MODULE_NAME) != 0 || r.end - r.start != module_length() ||
        r.start % PAGE_SIZE != 0 || overlaps(r, image()) || !available_ram(r))
        return false;
    const uint8_t *bytes = (const uint8_t *)(uintptr_t)r.start;
    for (uint32_t i = 0; i < r.end - r.start; i++) {
        if (bytes[i] != pattern_byte(i)) {
            printf("lowmem: module byte %u is 0x%02x, expected 0x%02x\n", i, bytes[i],
                   pattern_byte(i));
            return false;
        }
    }
    return true;
}

static bool check_module_placed_by_keel(void)
{
    return mbi()->mods_count == 1 && modules()[0].mod_start == HIGH_MEMORY_START;
}

/* ---- real mode ------------------------------------------------------------------ */

/* Results the real-mode code leaves (all 32 bits wide; 16-bit stores fill the
 * low half of a zeroed word). */
extern volatile uint32_t rm_cr0, rm_decoded, rm_mbi_flags, rm_int_flags_inside,
    rm_int_flags_after, rm_int_ax, rm_int_count, rm_int1c_sp_delta, rm_int1c_ax,
    rm_chain_ticks, rm_ticks, rm_isr, rm_echo, rm_io_di_after, rm_io_cx_after, rm_io_guard;
extern volatile uint16_t rm_io_buf[4];
extern char rm_stack_top[];

/* Runs the real-mode part once (mbi: the multiboot information's linear
 * address, read in real mode through a segment). */
void realmode_run(uint32_t mbi_linear);

/*
 * The GDT for the switch: null, flat 32-bit code and data (0x08, 0x10, as
 * entry.asm's), and 16-bit code and data with base 0 and limit 0xFFFF
 * (0x18, 0x20): the segments real mode needs in the descriptor caches before
 * CR0.PE is cleared (SDM 9.9.2 steps 3-4).  The accessed bits are preset.
 */
__asm__(
    "   .pushsection .text.realmode, \"ax\"\n"
    "   .code32\n"
    "   .globl realmode_run\n"
    "realmode_run:\n"
    "   push %ebp\n"
    "   push %ebx\n"
    "   push %esi\n"
    "   push %edi\n"
    "   mov 20(%esp), %eax\n"
    "   mov %eax, rm_mbi\n"
    "   mov %esp, rm_saved_esp\n"
    "   sgdt rm_saved_gdtr\n"
    "   sidt rm_saved_idtr\n"
    "   lgdt rm_gdt_pointer\n"
    "   ljmp $0x18, $1f\n"
    "   .code16\n"
    "1: mov $0x20, %ax\n"
    "   mov %ax, %ds\n"
    "   mov %ax, %es\n"
    "   mov %ax, %fs\n"
    "   mov %ax, %gs\n"
    "   mov %ax, %ss\n"
    "   mov %cr0, %eax\n"
    "   and $0xfffffffe, %eax\n"
    "   mov %eax, %cr0\n"
    "   ljmp $0, $2f\n"                 /* CS = 0: real mode from here */
    "2: xor %ax, %ax\n"
    "   mov %ax, %ds\n"
    "   mov %ax, %es\n"
    "   mov %ax, %fs\n"
    "   mov %ax, %gs\n"
    "   mov %ax, %ss\n"
    "   mov $rm_stack_top, %esp\n"
    "   lidt rm_ivt_pointer\n"
    "   call rm_tests\n"
    "   cli\n"
    "   mov %cr0, %eax\n"
    "   or $1, %eax\n"
    "   mov %eax, %cr0\n"
    "   ljmpl $0x08, $3f\n"
    "   .code32\n"
    "3: mov $0x10, %ax\n"
    "   mov %ax, %ds\n"
    "   mov %ax, %es\n"
    "   mov %ax, %fs\n"
    "   mov %ax, %gs\n"
    "   mov %ax, %ss\n"
    "   lgdt rm_saved_gdtr\n"
    "   ljmp $0x08, $4f\n"              /* CS from the guest's own GDT again */
    "4: mov $0x10, %ax\n"
    "   mov %ax, %ds\n"
    "   mov %ax, %es\n"
    "   mov %ax, %fs\n"
    "   mov %ax, %gs\n"
    "   mov %ax, %ss\n"
    "   lidt rm_saved_idtr\n"
    "   mov rm_saved_esp, %esp\n"
    "   pop %edi\n"
    "   pop %esi\n"
    "   pop %ebx\n"
    "   pop %ebp\n"
    "   ret\n"

    "   .code16\n"
    "rm_tests:\n"
    /* 16-bit code: B8 34 12 is MOV AX, 0x1234 and 90 90 two NOPs; as 32-bit
     * code the same bytes are MOV EAX, 0x90901234. */
    "   mov %cr0, %eax\n"
    "   mov %eax, rm_cr0\n"
    "   xor %eax, %eax\n"
    "   .byte 0xb8, 0x34, 0x12, 0x90, 0x90\n"
    "   mov %eax, rm_decoded\n"
    /* The multiboot flags through ES:BX = (mbi >> 4):(mbi & 15). */
    "   mov rm_mbi, %eax\n"
    "   mov %ax, %bx\n"
    "   and $15, %bx\n"
    "   shr $4, %eax\n"
    "   mov %ax, %es\n"
    "   mov %es:(%bx), %eax\n"
    "   mov %eax, rm_mbi_flags\n"
    "   xor %ax, %ax\n"
    "   mov %ax, %es\n"
    /* Port I/O in real mode: a word through the echo port 0xE0, then REP
     * INSW of four words from it into ES:DI, ES nonzero (keel emulates
     * string I/O with real-mode segments: linear = ES * 16 + DI). */
    "   mov $0xbeef, %ax\n"
    "   out %ax, $0xe0\n"
    "   xor %ax, %ax\n"
    "   in $0xe0, %ax\n"
    "   mov %ax, rm_echo\n"
    "   mov $rm_io_buf, %ax\n"
    "   mov %ax, %di\n"
    "   and $15, %di\n"
    "   shr $4, %ax\n"
    "   mov %ax, %es\n"
    "   mov $0xe0, %dx\n"
    "   mov $4, %cx\n"
    "   cld\n"
    "   rep insw\n"
    "   mov %di, rm_io_di_after\n"
    "   mov %cx, rm_io_cx_after\n"
    "   xor %ax, %ax\n"
    "   mov %ax, %es\n"
    /* INT 60h (a vector for programs' own use) through an IVT entry of its
     * own, with IF set around it. */
    "   movw $rm_int_handler, 0x60 * 4\n"
    "   movw $0, 0x60 * 4 + 2\n"
    "   mov $0x1111, %ax\n"
    "   sti\n"
    "   int $0x60\n"
    "   pushfw\n"
    "   popw %dx\n"
    "   cli\n"
    "   mov %dx, rm_int_flags_after\n"
    "   mov %ax, rm_int_ax\n"
    /* INT 1Ch through the entry the loader left: the user timer-tick hook,
     * which a PC BIOS points at an IRET (keel does the same).  AX and SP
     * come back as they were. */
    "   mov $0x5a5a, %ax\n"
    "   mov %sp, %di\n"
    "   int $0x1c\n"
    "   sub %sp, %di\n"
    "   mov %di, rm_int1c_sp_delta\n"
    "   mov %ax, rm_int1c_ax\n"
    /* A PIT tick ends STI; HLT, through a handler that counts it and goes
     * on to the loader's IRQ 0 handler (as a BIOS's hook chains), which
     * must end the interrupt at the 8259. */
    "   mov 0x08 * 4, %eax\n"
    "   mov %eax, rm_loader_ivt8\n"
    "   movw $rm_chain_handler, 0x08 * 4\n"
    "   movw $0, 0x08 * 4 + 2\n"
    "   sti\n"
    "   hlt\n"
    "   cli\n"
    /* Three more, through a handler of its own: none would come had the
     * loader's handler left IRQ 0 in service.  Then the loader's back. */
    "   movw $rm_timer_handler, 0x08 * 4\n"
    "   mov $3, %cx\n"
    "5: sti\n"
    "   hlt\n"
    "   cli\n"
    "   loop 5b\n"
    "   mov rm_loader_ivt8, %eax\n"
    "   mov %eax, 0x08 * 4\n"
    /* The master 8259's ISR (OCW3 0x0B), then back to reading IRR (0x0A). */
    "   mov $0x0b, %al\n"
    "   out %al, $0x20\n"
    "   in $0x20, %al\n"
    "   mov %al, rm_isr\n"
    "   mov $0x0a, %al\n"
    "   out %al, $0x20\n"
    "   ret\n"

    "rm_int_handler:\n"
    "   pushfw\n"
    "   popw %dx\n"
    "   mov %dx, rm_int_flags_inside\n"
    "   add $0x2222, %ax\n"
    "   incw rm_int_count\n"
    "   iret\n"

    "rm_chain_handler:\n"
    "   incw rm_chain_ticks\n"
    "   ljmp *rm_loader_ivt8\n"

    "rm_timer_handler:\n"
    "   push %ax\n"
    "   incw rm_ticks\n"
    "   mov $0x20, %al\n"               /* non-specific EOI */
    "   out %al, $0x20\n"
    "   pop %ax\n"
    "   iret\n"
    "   .code32\n"

    "   .balign 8\n"
    "rm_gdt:\n"
    "   .quad 0\n"
    "   .quad 0x00CF9B000000FFFF\n"
    "   .quad 0x00CF93000000FFFF\n"
    "   .quad 0x00009B000000FFFF\n"
    "   .quad 0x000093000000FFFF\n"
    "rm_gdt_end:\n"
    "rm_gdt_pointer:\n"
    "   .word rm_gdt_end - rm_gdt - 1\n"
    "   .long rm_gdt\n"
    "rm_ivt_pointer:\n"                 /* the real-mode IVT: 256 entries at 0 */
    "   .word 0x3ff\n"
    "   .long 0\n"
    "rm_saved_gdtr: .word 0\n .long 0\n"
    "rm_saved_idtr: .word 0\n .long 0\n"
    "   .balign 4\n"
    "rm_saved_esp: .long 0\n"
    "rm_mbi: .long 0\n"
    "rm_loader_ivt8: .long 0\n"
    "   .globl rm_cr0, rm_decoded, rm_mbi_flags, rm_int_flags_inside, rm_int_flags_after\n"
    "   .globl rm_int_ax, rm_int_count, rm_int1c_sp_delta, rm_int1c_ax, rm_chain_ticks\n"
    "   .globl rm_ticks\n"
    "   .globl rm_isr, rm_stack_top, rm_echo, rm_io_di_after, rm_io_cx_after\n"
    "   .globl rm_io_buf, rm_io_guard\n"
    "rm_cr0: .long 0\n"
    "rm_decoded: .long 0\n"
    "rm_mbi_flags: .long 0\n"
    "rm_int_flags_inside: .long 0\n"
    "rm_int_flags_after: .long 0\n"
    "rm_int_ax: .long 0\n"
    "rm_int_count: .long 0\n"
    "rm_int1c_sp_delta: .long 0\n"
    "rm_int1c_ax: .long 0\n"
    "rm_chain_ticks: .long 0\n"
    "rm_ticks: .long 0\n"
    "rm_isr: .long 0\n"
    "rm_echo: .long 0\n"
    "rm_io_di_after: .long 0\n"
    "rm_io_cx_after: .long 0\n"
    "   .balign 16\n"
    "   .fill 6, 1, 0\n"                /* so that DI starts at 6 */
    "rm_io_buf: .fill 8, 1, 0\n"
    "rm_io_guard: .long 0\n"
    "   .fill 512, 1, 0\n"
    "rm_stack_top:\n"
    "   .popsection\n");

static bool realmode_done;

/* Enters real mode once, for all the checks below (so that only=NAME runs
 * it too). */
static void run_realmode_once(void)
{
    if (realmode_done)
        return;
    realmode_done = true;
    if ((uintptr_t)rm_stack_top > 0x10000)
        report_abort("lowmem: the real-mode code is not below 64 KiB (at %p)",
                     (void *)rm_stack_top);
    printf("lowmem: entering real mode\n");
    realmode_run((uint32_t)(uintptr_t)mbi());
    printf("lowmem: back in protected mode\n");
}

static bool check_rm_mode(void)
{
    run_realmode_once();
    return !(rm_cr0 & CR0_PE) && rm_decoded == 0x1234;
}

static bool check_rm_segment_addressing(void)
{
    run_realmode_once();
    return (uintptr_t)mbi() < HIGH_MEMORY_START && rm_mbi_flags == mbi()->flags;
}

static bool check_rm_port_io(void)
{
    run_realmode_once();
    bool ok = rm_echo == 0xbeef && rm_io_di_after == 6 + 8 && rm_io_cx_after == 0 &&
              rm_io_guard == 0;
    for (unsigned i = 0; i < 4; i++)
        ok &= rm_io_buf[i] == 0xbeef;
    return ok;
}

static bool check_rm_int_own(void)
{
    run_realmode_once();
    return rm_int_count == 1 && rm_int_ax == 0x3333 && !(rm_int_flags_inside & EFLAGS_IF) &&
           (rm_int_flags_after & EFLAGS_IF);
}

static bool check_rm_int_loader(void)
{
    run_realmode_once();
    return rm_int1c_ax == 0x5a5a && rm_int1c_sp_delta == 0;
}

static bool check_rm_tick_loader_handler(void)
{
    run_realmode_once();
    return rm_chain_ticks == 1;
}

static bool check_rm_ticks_own_handler(void)
{
    run_realmode_once();
    printf("lowmem: %u ticks through its handler, 8259 ISR 0x%02x\n", rm_ticks, rm_isr);
    return rm_ticks == 3 && rm_isr == 0;
}

static bool check_back_in_protected_mode(void)
{
    run_realmode_once();
    fault_reset();
    __asm__ __volatile__(ASM_TRY("ud2") : : : "memory");
    return (read_cr0() & CR0_PE) && last_fault.vector == UD_VECTOR;
}

static const struct named_test tests[] = {
    { "lowmem: image at 48 KiB in conventional memory, available RAM in the map",
      NEEDS_NOTHING, check_image_low },
    { "lowmem: multiboot information outside the image", NEEDS_NOTHING,
      check_info_outside_image },
    { "lowmem: multiboot information at 0x1000, all of it below the image", NEEDS_KEEL,
      check_info_placed_by_keel },
    { "lowmem: mem_lower 639 KiB", NEEDS_NOTHING, check_memory_sizes },
    { "lowmem: command line", NEEDS_NOTHING, check_cmdline },
    { "lowmem: module " MODULE_NAME " intact, page-aligned, outside the image", NEEDS_NOTHING,
      check_module },
    { "lowmem: module at 1 MiB", NEEDS_KEEL, check_module_placed_by_keel },
    { "realmode: CR0.PE clear, 16-bit decoding", NEEDS_NOTHING, check_rm_mode },
    { "realmode: segment:offset addressing", NEEDS_NOTHING, check_rm_segment_addressing },
    { "realmode: port 0xE0 echo, REP INSW into ES:DI", NEEDS_KEEL, check_rm_port_io },
    { "realmode: INT 60h through its own IVT entry", NEEDS_NOTHING, check_rm_int_own },
    { "realmode: INT 1Ch through the loader's IVT entry", NEEDS_NOTHING, check_rm_int_loader },
    { "realmode: PIT tick ends STI; HLT, chained to the loader's IRQ 0 handler", NEEDS_NOTHING,
      check_rm_tick_loader_handler },
    { "realmode: 3 PIT ticks through its own handler, ISR clear", NEEDS_NOTHING,
      check_rm_ticks_own_handler },
    { "realmode: back in protected mode, #UD through its IDT", NEEDS_NOTHING,
      check_back_in_protected_mode },
};

void guest_main(uint32_t magic, const struct mb_info *info)
{
    (void)info;
    if (!report(magic == MB1_BOOTLOADER_MAGIC, "lowmem: multiboot magic"))
        return;
    run_tests(tests, ARRAY_SIZE(tests));
}
