; The 64-bit parts of longmode.h: the switch into IA-32e mode, exception
; stubs for the 64-bit IDT, and thunks that make one access in 64-bit mode.
;
; Mode switches used here, all at CPL 0:
;   compatibility -> 64-bit:  jmp/call far to KERNEL_CODE64_SELECTOR (L = 1)
;   64-bit -> compatibility:  far return (o64 retf, or retf for a far call
;                             made from compatibility mode) to the 32-bit
;                             code segment
; On the way back from compatibility mode the upper halves of the general
; registers are undefined (SDM vol. 1 3.4.1.1): whatever 64-bit code needs
; afterwards it re-reads from memory or zero-extends from the low half.
;
; Selector values repeat descriptors.h.

KERNEL_CODE32_SELECTOR  equ 0x08
KERNEL_DATA_SELECTOR    equ 0x10
KERNEL_CODE64_SELECTOR  equ 0x28

CR0_PG                  equ 1 << 31
CR4_PAE                 equ 1 << 5
MSR_IA32_EFER           equ 0xC0000080
EFER_LME                equ 1 << 8

extern exception_dispatch
extern fault_try_eip
extern fault_recovery_eip

section .data
align 4
global longmode_64bit_marker
longmode_64bit_marker:
    dd 0
; The whole RIP of the last exception taken in IA-32e mode: the 32-bit frame
; exception_dispatch() sees holds only its low half.
align 8
global longmode_exception_rip
longmode_exception_rip:
    dq 0

section .text

; ---- entering IA-32e mode (SDM vol. 3A 10.8.5) ------------------------------

; void longmode_switch(uint32_t pml4, const struct idt64_pointer *idtr)
bits 32
global longmode_switch
longmode_switch:
    push ebx
    mov edx, [esp + 8]                  ; pml4
    mov ebx, [esp + 12]                 ; idtr
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov cr3, edx
    mov ecx, MSR_IA32_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax                        ; IA-32e mode active: compatibility mode
    jmp KERNEL_CODE64_SELECTOR:.in_64bit_mode

bits 64
.in_64bit_mode:
    mov ebx, ebx
    lidt [rbx]
    ; Only 64-bit mode computes this: in 32-bit code the REX.W prefix would
    ; decode as DEC EAX and the 8-byte immediate would not fit.
    mov rax, 0x0000000100000000
    shr rax, 32
    mov [longmode_64bit_marker], eax
    push KERNEL_CODE32_SELECTOR
    lea rax, [rel .in_compatibility_mode]
    push rax
    o64 retf

bits 32
.in_compatibility_mode:
    pop ebx
    ret

; ---- exceptions --------------------------------------------------------------

; Vectors for which the CPU pushes an error code, as in vectors.asm.
%macro longmode_exception_stub 1
longmode_exception_stub_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
    push 0
%endif
    push %1
    jmp longmode_exception_common
%endmacro

bits 64
%assign vector 0
%rep 32
    longmode_exception_stub vector
%assign vector vector + 1
%endrep

; Offsets from RBP once the registers are saved: R15 .. RAX (15 pushes),
; then the stub's vector and error code, then the CPU's frame (SDM vol. 3A
; 6.14.2, figure 6-9: RIP, CS, RFLAGS, RSP, SS).
SAVED_RDI       equ 64
SAVED_RSI       equ 72
SAVED_RBP       equ 80
SAVED_RBX       equ 88
SAVED_RDX       equ 96
SAVED_RCX       equ 104
SAVED_RAX       equ 112
SAVED_VECTOR    equ 120
SAVED_ERROR     equ 128
SAVED_RIP       equ 136
SAVED_CS        equ 144
SAVED_RFLAGS    equ 152
SAVED_RSP       equ 160

; struct exception_frame (idt.h): 13 dwords.
FRAME_EDI       equ 0
FRAME_ESI       equ 4
FRAME_EBP       equ 8
FRAME_ESP       equ 12
FRAME_EBX       equ 16
FRAME_EDX       equ 20
FRAME_ECX       equ 24
FRAME_EAX       equ 28
FRAME_VECTOR    equ 32
FRAME_ERROR     equ 36
FRAME_EIP       equ 40
FRAME_CS        equ 44
FRAME_EFLAGS    equ 48
FRAME_SPACE     equ 64                  ; 52 bytes, rounded to keep RSP 16-aligned

%macro copy_to_frame 2                  ; frame offset, saved offset
    mov eax, [rbp + %2]
    mov [rsp + %1], eax
%endmacro

longmode_exception_common:
    push rax
    push rcx
    push rdx
    push rbx
    push rbp
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rbp, rsp
    mov rax, [rbp + SAVED_RIP]
    mov [longmode_exception_rip], rax
    sub rsp, FRAME_SPACE
    copy_to_frame FRAME_EDI, SAVED_RDI
    copy_to_frame FRAME_ESI, SAVED_RSI
    copy_to_frame FRAME_EBP, SAVED_RBP
    copy_to_frame FRAME_ESP, SAVED_RSP
    copy_to_frame FRAME_EBX, SAVED_RBX
    copy_to_frame FRAME_EDX, SAVED_RDX
    copy_to_frame FRAME_ECX, SAVED_RCX
    copy_to_frame FRAME_EAX, SAVED_RAX
    copy_to_frame FRAME_VECTOR, SAVED_VECTOR
    copy_to_frame FRAME_ERROR, SAVED_ERROR
    copy_to_frame FRAME_EIP, SAVED_RIP
    copy_to_frame FRAME_CS, SAVED_CS
    copy_to_frame FRAME_EFLAGS, SAVED_RFLAGS
    mov rbx, rsp                        ; the frame; the stack is below 4 GiB
    ; An exception from CPL 3 enters with SS null, which compatibility mode
    ; cannot use (IRETQ restores the interrupted SS anyway).
    mov ax, KERNEL_DATA_SELECTOR
    mov ss, ax
    push KERNEL_CODE32_SELECTOR
    lea rax, [rel .in_compatibility_mode]
    push rax
    o64 retf

bits 32
.in_compatibility_mode:
    push ebx
    call exception_dispatch             ; may change the frame's EIP
    add esp, 4
    jmp KERNEL_CODE64_SELECTOR:.back_in_64bit_mode

bits 64
.back_in_64bit_mode:
    mov esp, esp                        ; zero-extend RSP, RBX, RBP
    mov ebx, ebx
    mov ebp, ebp
    mov eax, [rbx + FRAME_EIP]
    mov [rbp + SAVED_RIP], rax          ; zero-extended
    mov rsp, rbp
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rbp
    pop rbx
    pop rdx
    pop rcx
    pop rax
    add rsp, 16                         ; vector and error code
    iretq

section .rodata
global longmode_exception_stubs
align 4
longmode_exception_stubs:
%assign vector 0
%rep 32
    dd longmode_exception_stub_ %+ vector
%assign vector vector + 1
%endrep

; ---- one access in 64-bit mode -------------------------------------------------

section .text

; Each C-callable entry (cdecl, compatibility mode) loads its arguments into
; registers and far-calls a 64-bit body, which returns with a 32-bit far
; return (the far call pushed 32-bit CS and EIP).  Bodies arm fault recovery
; like idt.h's ASM_TRY.
%macro thunk_entry 1                    ; the 64-bit body
    push ebx
    push esi
    push edi
    push ebp
    mov eax, [esp + 20]                 ; argument 1, low half
    mov edx, [esp + 24]                 ; argument 1, high half
    mov ecx, [esp + 28]                 ; argument 2, low half
    mov ebx, [esp + 32]                 ; argument 2, high half
    call KERNEL_CODE64_SELECTOR:%1
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret
%endmacro

; RAX = EDX:EAX (the linear address).
%macro join_rdx_rax 0
    mov eax, eax
    shl rdx, 32
    or rax, rdx
%endmacro

%macro arm_recovery 2                   ; the tried instruction, where to resume
    mov dword [fault_try_eip], %1
    mov dword [fault_recovery_eip], %2
%endmacro

%macro disarm_recovery 0
    mov dword [fault_recovery_eip], 0
%endmacro

bits 32
global longmode_load
longmode_load:
    thunk_entry load_in_64bit_mode

global longmode_store
longmode_store:
    thunk_entry store_in_64bit_mode

global longmode_call
longmode_call:
    thunk_entry call_in_64bit_mode

global longmode_invlpg
longmode_invlpg:
    thunk_entry invlpg_in_64bit_mode

global longmode_read_cr2
longmode_read_cr2:
    thunk_entry read_cr2_in_64bit_mode

bits 64
; EDX:EAX = linear; returns the quadword there in EDX:EAX (0 after a fault).
load_in_64bit_mode:
    join_rdx_rax
    xor ecx, ecx
    arm_recovery .load, .done
.load:
    mov rcx, [rax]
.done:
    disarm_recovery
    mov eax, ecx
    shr rcx, 32
    mov edx, ecx
    retf

; EDX:EAX = linear, EBX:ECX = value.
store_in_64bit_mode:
    join_rdx_rax
    mov ecx, ecx
    shl rbx, 32
    or rcx, rbx
    arm_recovery .store, .done
.store:
    mov [rax], rcx
.done:
    disarm_recovery
    retf

; EDX:EAX = linear: CALL it.  A RET there comes back to .done; a fault on the
; fetch resumes at .done too, with the return address still pushed: RBX
; restores RSP either way.
call_in_64bit_mode:
    join_rdx_rax
    mov rbx, rsp
    arm_recovery .call, .done
.call:
    call rax
.done:
    mov rsp, rbx
    disarm_recovery
    retf

invlpg_in_64bit_mode:
    join_rdx_rax
    invlpg [rax]
    retf

read_cr2_in_64bit_mode:
    mov rax, cr2
    mov rdx, rax
    shr rdx, 32
    retf

section .note.GNU-stack noalloc noexec nowrite progbits
