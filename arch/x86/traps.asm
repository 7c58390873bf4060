; Interrupt and exception entry stubs.  Each vector's stub makes the stack look
; the same (a dummy error code where the CPU pushes none, SDM vol. 3A table
; 7-1), pushes its vector, and jumps to the common path, which saves every
; general-purpose register as struct trap_frame (arch/x86/traps.h) and calls
; trap_dispatch(frame).

extern trap_dispatch
global trap_stub_table

section .text
bits 64

; Vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC #CP.
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro TRAP_STUB 1
align 16
trap_stub_%1:
%if HAS_ERROR_CODE(%1) == 0
    push 0
%endif
    push %1
    jmp trap_common
%endmacro

%assign v 0
%rep 256
    TRAP_STUB v
%assign v v + 1
%endrep

trap_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    ; Align the stack for the C call: the CPU's frame may leave it at 8 mod 16.
    mov rbx, rsp
    and rsp, -16
    call trap_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                         ; vector and error code
    iretq

section .rodata
align 8
trap_stub_table:
%assign v 0
%rep 256
    dq trap_stub_ %+ v
%assign v v + 1
%endrep
