; Entry stubs for all 256 vectors: each pushes a uniform frame
; (struct exception_frame in idt.h) and calls exception_dispatch(frame).
; The dispatcher may change the saved EIP: IRET resumes there, with the
; general registers POPAD restores, so an ASM_TRY block continues at its
; recovery label with the registers it had at the fault.

bits 32

extern exception_dispatch

; Vectors for which the CPU pushes an error code (SDM vol. 3A 6.3.1, table
; 6-1): #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21,
; #VC 29, #SX 30.  The others get a 0 so every frame has the same shape;
; vectors 32-255 (external interrupts, INT n) never carry one.
%macro exception_stub 1
exception_stub_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
    push dword 0
%endif
    push dword %1
    jmp exception_common
%endmacro

section .text

%assign vector 0
%rep 256
    exception_stub vector
%assign vector vector + 1
%endrep

exception_common:
    pushad
    push esp                            ; struct exception_frame *
    call exception_dispatch
    add esp, 4
    popad
    add esp, 8                          ; vector and error code
    iretd

section .rodata
global exception_stubs
align 4
exception_stubs:
%assign vector 0
%rep 256
    dd exception_stub_ %+ vector
%assign vector vector + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
