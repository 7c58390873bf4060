; Multiboot v1 entry of keel's test guests (Multiboot Specification 0.6.96,
; 3.1 "OS image format" and 3.2 "Machine state").
;
; keel's entry contract: 32-bit protected mode, paging off, flat 4 GiB
; segments, EAX = 0x2BADB002, EBX = multiboot information, interrupts off,
; no IDT.  The guest brings its own GDT (so its selectors are known) and
; stack, clears its .bss (it does not rely on the loader for that), then
; calls guest_start(magic, mbi) in start.c.

bits 32

MB1_HEADER_MAGIC    equ 0x1BADB002
MB1_PAGE_ALIGN      equ 1 << 0          ; modules start on 4 KiB boundaries
MB1_MEMORY_INFO     equ 1 << 1          ; mem_lower/mem_upper and the memory map
MB1_HEADER_FLAGS    equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO

GDT_CODE_SELECTOR   equ 0x08            ; idt.c's gates name it too
GDT_DATA_SELECTOR   equ 0x10

STACK_SIZE          equ 16384

; The header must lie in the image's first 8 KiB: guest.ld puts this
; section first.  ELF images need no address fields (flag 16 clear).
section .multiboot progbits alloc noexec nowrite align=4
    dd MB1_HEADER_MAGIC
    dd MB1_HEADER_FLAGS
    dd -(MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)

section .data
align 8
; Flat segments, base 0, limit 4 GiB (G = 1), 32-bit (D = 1), DPL 0 (SDM vol.
; 3A 3.4.5 "Segment Descriptors").  The accessed bit is preset so the CPU
; never has to write the table.
gdt:
    dq 0                                ; null descriptor
    dq 0x00CF9B000000FFFF               ; 0x08: code, execute/read, accessed
    dq 0x00CF93000000FFFF               ; 0x10: data, read/write, accessed
gdt_end:

gdt_pointer:
    dw gdt_end - gdt - 1
    dd gdt

section .bss
align 16
stack_bottom:
    resb STACK_SIZE
stack_top:

section .text
global _start
extern guest_start
extern __bss_start
extern __bss_end

_start:
    mov esi, eax                        ; the loader's magic; EBX stays as given
    cld
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    lgdt [gdt_pointer]
    jmp GDT_CODE_SELECTOR:.flat_code
.flat_code:
    mov ax, GDT_DATA_SELECTOR
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, stack_top
    xor ebp, ebp                        ; ends frame-pointer walks

    push ebx
    push esi
    call guest_start                    ; does not return
.stop:
    cli
    hlt
    jmp .stop

section .note.GNU-stack noalloc noexec nowrite progbits
