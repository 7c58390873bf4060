; keel's first instructions.  GRUB enters here in 32-bit protected mode with
; paging off (multiboot1: EAX=0x2BADB002, multiboot2: EAX=0x36D76289; EBX =
; physical address of the boot information).  This code checks for long mode,
; builds the early page tables, enables long mode (SDM vol. 3A 10.8.5
; "Initializing IA-32e Mode") and calls keel_main() in the higher half.
;
; Early address space (2 MiB pages):
;   0 .. 4 GiB                          identity, for the jump below; paging_init() drops it
;   DIRECT_MAP_BASE .. +4 GiB           the direct map, until paging_init() extends it
;   KERNEL_VMA .. +1 GiB                keel's image

KERNEL_VMA       equ 0xffffffff80000000
DIRECT_MAP_PML4I equ 256                ; (0xffff800000000000 >> 39) & 511
KERNEL_PML4I     equ 511
KERNEL_PDPTI     equ 510                ; (0xffffffff80000000 >> 30) & 511

CR0_PE           equ 1 << 0
CR0_WP           equ 1 << 16
CR0_PG           equ 1 << 31
CR4_PAE          equ 1 << 5
MSR_EFER         equ 0xC0000080
EFER_LME         equ 1 << 8
EFER_NXE         equ 1 << 11
PTE_P            equ 1 << 0
PTE_RW           equ 1 << 1
PTE_PS           equ 1 << 7
COM1             equ 0x3F8
VGA_TEXT         equ 0xB8000

EARLY_CODE64     equ 0x08
EARLY_DATA       equ 0x10

extern keel_main
global _start

section .boot.text progbits alloc exec nowrite align=16
bits 32
_start:
    cli
    cld
    mov [boot_magic], eax
    mov [boot_mbi], ebx
    mov esp, boot_stack_top - KERNEL_VMA

    call check_cpuid_present
    call check_long_mode
    call build_early_page_tables

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax

    mov eax, early_pml4 - KERNEL_VMA
    mov cr3, eax

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    cmp dword [cpu_has_nx], 0
    je .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_PE | CR0_WP
    mov cr0, eax

    lgdt [early_gdt_ptr]
    jmp EARLY_CODE64:long_mode_entry

; EFLAGS.ID (bit 21) can be toggled only where CPUID exists.
check_cpuid_present:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .missing
    ret
.missing:
    mov esi, msg_no_cpuid
    jmp early_fatal

; CPUID 0x80000001 EDX bit 29 = long mode; bit 20 = NX (remembered for EFER.NXE).
check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .missing
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .missing
    test edx, 1 << 20
    jz .done
    mov dword [cpu_has_nx], 1
.done:
    ret
.missing:
    mov esi, msg_no_long_mode
    jmp early_fatal

; The tables live in keel's .bss.  The loader zeroes .bss, but they are cleared
; here anyway so correctness does not hang on it.
build_early_page_tables:
    mov edi, early_page_tables_start - KERNEL_VMA
    mov ecx, (early_page_tables_end - early_page_tables_start) / 4
    xor eax, eax
    rep stosd

    ; Four page directories of 2 MiB pages cover physical 0..4 GiB.
    mov edi, early_pd - KERNEL_VMA
    xor ecx, ecx
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_RW | PTE_PS
    mov [edi + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                         ; bits 32+ of (ecx << 21)
    mov [edi + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 4 * 512
    jb .fill_pd

    ; The low PDPT points at the four directories.
    mov edi, early_pdpt_low - KERNEL_VMA
    mov eax, early_pd - KERNEL_VMA
    or eax, PTE_P | PTE_RW
    mov ecx, 0
.fill_pdpt:
    mov [edi + ecx * 8], eax
    add eax, 4096
    inc ecx
    cmp ecx, 4
    jb .fill_pdpt

    ; The kernel PDPT maps KERNEL_VMA to the first GiB.
    mov edi, early_pdpt_kernel - KERNEL_VMA
    mov eax, early_pd - KERNEL_VMA
    or eax, PTE_P | PTE_RW
    mov [edi + KERNEL_PDPTI * 8], eax

    mov edi, early_pml4 - KERNEL_VMA
    mov eax, early_pdpt_low - KERNEL_VMA
    or eax, PTE_P | PTE_RW
    mov [edi], eax                      ; identity
    mov [edi + DIRECT_MAP_PML4I * 8], eax
    mov eax, early_pdpt_kernel - KERNEL_VMA
    or eax, PTE_P | PTE_RW
    mov [edi + KERNEL_PML4I * 8], eax
    ret

; Prints the NUL-terminated message at ESI on COM1 and on the VGA text screen,
; then halts: there is nothing else a CPU without long mode can do for keel.
early_fatal:
    mov dx, COM1 + 3
    mov al, 0x03                        ; 8N1, DLAB off (the loader set the speed)
    out dx, al
    mov edi, VGA_TEXT
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x4F                        ; white on red
    mov [edi], ax
    add edi, 2
    mov bl, al
    mov dx, COM1 + 5
.wait_thr:
    in al, dx
    test al, 0x20
    jz .wait_thr
    mov dx, COM1
    mov al, bl
    out dx, al
    jmp .next
.halt:
    mov dx, COM1
    mov al, 13
    out dx, al
    mov al, 10
    out dx, al
.forever:
    cli
    hlt
    jmp .forever

bits 64
long_mode_entry:
    mov ax, EARLY_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half_entry
    jmp rax

section .text
bits 64
; From here on keel runs at its linked (higher-half) addresses.
higher_half_entry:
    mov rsp, boot_stack_top
    xor ebp, ebp                        ; ends frame-pointer backtraces
    mov edi, [boot_magic]
    mov esi, [boot_mbi]
    call keel_main
.hang:
    cli
    hlt
    jmp .hang

section .boot.data progbits alloc noexec write align=16
boot_magic:  dd 0
boot_mbi:    dd 0
cpu_has_nx:  dd 0

align 16
early_gdt:
    dq 0
    dq 0x00AF9A000000FFFF               ; 0x08: 64-bit code, DPL0
    dq 0x00CF92000000FFFF               ; 0x10: data, DPL0
early_gdt_end:
early_gdt_ptr:
    dw early_gdt_end - early_gdt - 1
    dd early_gdt

msg_no_cpuid:
    db "keel: this CPU has no CPUID instruction; keel needs an x86-64 CPU with VT-x. Halted.", 0
msg_no_long_mode:
    db "keel: this CPU has no 64-bit long mode (CPUID 0x80000001 EDX bit 29 is clear); keel needs an x86-64 CPU with VT-x. Halted.", 0

section .bss nobits alloc noexec write align=4096
early_page_tables_start:
early_pml4:        resb 4096
early_pdpt_low:    resb 4096
early_pdpt_kernel: resb 4096
early_pd:          resb 4 * 4096
early_page_tables_end:

global boot_stack_top
align 16
boot_stack:        resb 16384
boot_stack_top:
