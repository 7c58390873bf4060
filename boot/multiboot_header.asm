; The two boot-loader headers, so GRUB's `multiboot` and `multiboot2` commands
; both boot keel.  linker.ld places them first in the image: multiboot1 wants
; its header in the first 8 KiB, multiboot2 in the first 32 KiB.

MB1_MAGIC           equ 0x1BADB002
MB1_PAGE_ALIGN      equ 1 << 0          ; modules on 4 KiB boundaries
MB1_MEMORY_INFO     equ 1 << 1          ; mem_lower/upper and the memory map
MB1_VIDEO_MODE      equ 1 << 2          ; the mode fields below are valid
MB1_FLAGS           equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_VIDEO_MODE

MB2_MAGIC           equ 0xE85250D6
MB2_ARCH_I386       equ 0
MB2_TAG_END         equ 0
MB2_TAG_INFO_REQ    equ 1
MB2_TAG_CONSOLE     equ 4
MB2_TAG_MODULE_ALIGN equ 6
MB2_TAG_OPTIONAL    equ 1
MB2_CONSOLE_EGA_TEXT equ 1 << 1         ; keel can use an EGA text console

section .multiboot1 progbits alloc noexec nowrite align=4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)
    dd 0, 0, 0, 0, 0                    ; a.out kludge fields: unused (ELF)
    dd 1                                ; mode_type: EGA text preferred
    dd 80, 25, 0                        ; width, height, depth

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    align 8
.info_request:                          ; optional: keel copes without them
    dw MB2_TAG_INFO_REQ, MB2_TAG_OPTIONAL
    dd .info_request_end - .info_request
    dd 1                                ; command line
    dd 3                                ; modules
    dd 6                                ; memory map
    dd 8                                ; framebuffer
.info_request_end:

    align 8
.console:
    dw MB2_TAG_CONSOLE, MB2_TAG_OPTIONAL
    dd 12
    dd MB2_CONSOLE_EGA_TEXT

    align 8
.module_align:
    dw MB2_TAG_MODULE_ALIGN, MB2_TAG_OPTIONAL
    dd 8

    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:
