; The ring switches behind usermode_call() (usermode.h).
;
; Into ring 3: IRET with a frame naming the user code and data segments
; (SDM vol. 3A 6.12.1 describes what IRET pops for a return to an outer
; privilege level).  Out of ring 3: a far CALL through a call gate whose DPL
; is 3 and whose target is ring-0 code; the CPU switches to the stack the TSS
; holds for ring 0 (SDM vol. 3A 5.8.5, 5.8.6).  In IA-32e mode the gate is a
; 64-bit gate and must target 64-bit code (SDM vol. 3A 5.8.3.1), which then
; returns to compatibility mode with a far RET.
;
; Selector values repeat descriptors.h.

bits 32

KERNEL_CODE32_SELECTOR  equ 0x08
KERNEL_DATA_SELECTOR    equ 0x10
USER_CODE32_SELECTOR    equ 0x18 | 3
USER_DATA_SELECTOR      equ 0x20 | 3
CALL_GATE32_SELECTOR    equ 0x38 | 3
CALL_GATE64_SELECTOR    equ 0x50 | 3

TSS32_ESP0              equ 4           ; struct tss32.esp0
TSS64_RSP0              equ 4           ; struct tss64.rsp0 (8 bytes)
EFLAGS_FIXED_BIT1       equ 1 << 1      ; the only bit set: IF, IOPL, AC all 0

USERMODE_STACK_SIZE     equ 4096

extern guest_tss32
extern guest_tss64

section .bss
align 16
global usermode_stack
usermode_stack:
    resb USERMODE_STACK_SIZE
usermode_stack_top:
ring0_esp:
    resd 1                              ; the ring-0 ESP to come back to

section .text

; uint32_t usermode_switch(usermode_fn *fn, uint32_t arg, uint32_t through_64bit_gate)
global usermode_switch
usermode_switch:
    push ebp
    push ebx
    push esi
    push edi
    mov eax, [esp + 20]                 ; fn
    mov edx, [esp + 24]                 ; arg
    mov esi, [esp + 28]                 ; which gate: callee-saved, so fn keeps it
    mov [ring0_esp], esp
    ; Exceptions at CPL 3 and the return through the gate use this stack,
    ; below everything pushed so far.
    mov [guest_tss32 + TSS32_ESP0], esp
    mov [guest_tss64 + TSS64_RSP0], esp
    mov dword [guest_tss64 + TSS64_RSP0 + 4], 0

    ; IRET to CPL 3 would null any data segment register whose DPL is below
    ; 3: give them the user data segment first.
    mov cx, USER_DATA_SELECTOR
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    push dword USER_DATA_SELECTOR       ; SS
    push dword usermode_stack_top       ; ESP
    push dword EFLAGS_FIXED_BIT1        ; EFLAGS
    push dword USER_CODE32_SELECTOR     ; CS
    push dword .at_cpl3                 ; EIP
    iretd

.at_cpl3:
    push edx
    call eax                            ; EAX = fn's result from here on
    add esp, 4
    test esi, esi
    jnz .leave_through_64bit_gate
    call CALL_GATE32_SELECTOR:0         ; the offset is the gate's
.leave_through_64bit_gate:
    call CALL_GATE64_SELECTOR:0

; The 32-bit gate's target: CPL 0, on the TSS's ring-0 stack.
global usermode_return32
usermode_return32:
    jmp usermode_finish

; The 64-bit gate's target: CPL 0 in 64-bit mode.  The gate left SS null,
; which compatibility mode cannot use: load the flat data segment, then a
; far return to the 32-bit code segment.
bits 64
global usermode_return64
usermode_return64:
    mov cx, KERNEL_DATA_SELECTOR
    mov ss, cx
    push KERNEL_CODE32_SELECTOR
    lea rcx, [rel usermode_finish]
    push rcx
    o64 retf

bits 32
usermode_finish:
    mov esp, [ring0_esp]
    mov cx, KERNEL_DATA_SELECTOR
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
