; Entering a guest and coming back (SDM vol. 3C 27 "VM Entries", 28 "VM
; Exits").  The CPU saves and loads only what the VMCS holds; the guest's
; general-purpose registers other than RSP are keel's to save and restore, in
; struct guest_regs (guest/x86.h: gpr[] in encoding order, 8 bytes each;
; offsets checked by _Static_assert in vmx/vcpu_vmx.c).
;
; int vmx_enter(struct guest_regs *regs, int launched)
;   Loads the guest's registers and executes VMLAUNCH (launched == 0) or
;   VMRESUME.  Returns 0 after a VM exit, with the guest's registers saved in
;   *regs; 1 (VMfailInvalid) or 2 (VMfailValid) when the VM entry did not
;   happen, with *regs untouched.

HOST_RSP_FIELD equ 0x6c14

REG_RAX equ 0 * 8
REG_RCX equ 1 * 8
REG_RDX equ 2 * 8
REG_RBX equ 3 * 8
REG_RBP equ 5 * 8
REG_RSI equ 6 * 8
REG_RDI equ 7 * 8
REG_R8  equ 8 * 8
REG_R9  equ 9 * 8
REG_R10 equ 10 * 8
REG_R11 equ 11 * 8
REG_R12 equ 12 * 8
REG_R13 equ 13 * 8
REG_R14 equ 14 * 8
REG_R15 equ 15 * 8

section .text
bits 64

global vmx_enter
global vmx_exit_entry

vmx_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; found again at [rsp] after the exit

    ; The exit lands on this very stack: HOST_RSP is the current RSP.
    mov rax, HOST_RSP_FIELD
    vmwrite rax, rsp
    jbe .vmwrite_failed                 ; CF or ZF: the VMCS refused

    mov eax, esi                        ; launched?
    test eax, eax
    mov rax, [rdi + REG_RAX]
    mov rcx, [rdi + REG_RCX]
    mov rdx, [rdi + REG_RDX]
    mov rbx, [rdi + REG_RBX]
    mov rbp, [rdi + REG_RBP]
    mov rsi, [rdi + REG_RSI]
    mov r8,  [rdi + REG_R8]
    mov r9,  [rdi + REG_R9]
    mov r10, [rdi + REG_R10]
    mov r11, [rdi + REG_R11]
    mov r12, [rdi + REG_R12]
    mov r13, [rdi + REG_R13]
    mov r14, [rdi + REG_R14]
    mov r15, [rdi + REG_R15]
    mov rdi, [rdi + REG_RDI]            ; last: it held the pointer
    jnz .resume                         ; the flags of `test eax, eax` survive MOVs
    vmlaunch
    jmp .entry_failed
.resume:
    vmresume
.entry_failed:
    ; Still in keel: the flags say which failure.  The guest values loaded
    ; into the registers are dropped; callee-saved ones come back below.
    mov eax, 1                          ; VMfailInvalid (CF=1)
    jc .out
    mov eax, 2                          ; VMfailValid (ZF=1)
    jmp .out
.vmwrite_failed:
    mov eax, 1
    jc .out
    mov eax, 2
.out:
    add rsp, 8                          ; the regs pointer
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; HOST_RIP: every VM exit arrives here, on the stack vmx_enter left, with the
; guest's registers still live (RFLAGS is 0x2, so interrupts are off).
vmx_exit_entry:
    push rdi                            ; guest RDI; the regs pointer is now at [rsp + 8]
    mov rdi, [rsp + 8]
    mov [rdi + REG_RAX], rax
    mov [rdi + REG_RCX], rcx
    mov [rdi + REG_RDX], rdx
    mov [rdi + REG_RBX], rbx
    mov [rdi + REG_RBP], rbp
    mov [rdi + REG_RSI], rsi
    mov [rdi + REG_R8],  r8
    mov [rdi + REG_R9],  r9
    mov [rdi + REG_R10], r10
    mov [rdi + REG_R11], r11
    mov [rdi + REG_R12], r12
    mov [rdi + REG_R13], r13
    mov [rdi + REG_R14], r14
    mov [rdi + REG_R15], r15
    pop rax
    mov [rdi + REG_RDI], rax
    xor eax, eax
    jmp vmx_enter.out
