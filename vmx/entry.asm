; Entering a guest and coming back (SDM vol. 3C 27 "VM Entries", 28 "VM
; Exits").  The CPU saves and loads only what the VMCS holds; the guest's
; general-purpose registers other than RSP are keel's to save and restore, in
; struct vcpu's regs (guest/x86.h: gpr[] in encoding order, 8 bytes each;
; offsets checked by _Static_assert in vmx/vcpu_vmx.c).
;
; int vmx_enter(struct vcpu *v, int launched)
;   Loads the guest's registers and executes VMLAUNCH (launched == 0) or
;   VMRESUME.  Every VM exit then lands in vmx_exit_entry, which saves the
;   guest's registers and runs the exit path of vmx/run.c on this same
;   stack, in two calls:
;       action = vmx_exit_begin(v)        the exit's start, then its handler
;       vmx_exit_end(v, action)           v: resume the guest now; NULL: leave
;   and resumes the guest without coming back here, so an exit that keel
;   handles in place costs the register save and restore, those calls and
;   VMRESUME, nothing more.  Otherwise vmx_enter returns 0 to vcpu_run().
;   vmx_enter returns 1 (VMfailInvalid) or 2 (VMfailValid) when a VM entry,
;   the first or a later one, did not happen.
;
; The stack while the guest runs (HOST_RSP points at the vcpu pointer):
;   [rsp + 48]  keel's RBP on entry, the frame vmx_enter set up
;   [rsp + 8]   RBX R12 R13 R14 R15 of keel (callee-saved)
;   [rsp]       struct vcpu *v
; HOST_RSP is 16-byte aligned, as the C ABI wants it at a call.

HOST_RSP_FIELD equ 0x6c14

VCPU_REGS equ 16                        ; offsetof(struct vcpu, regs)

REG_RAX equ VCPU_REGS + 0 * 8
REG_RCX equ VCPU_REGS + 1 * 8
REG_RDX equ VCPU_REGS + 2 * 8
REG_RBX equ VCPU_REGS + 3 * 8
REG_RBP equ VCPU_REGS + 5 * 8
REG_RSI equ VCPU_REGS + 6 * 8
REG_RDI equ VCPU_REGS + 7 * 8
REG_R8  equ VCPU_REGS + 8 * 8
REG_R9  equ VCPU_REGS + 9 * 8
REG_R10 equ VCPU_REGS + 10 * 8
REG_R11 equ VCPU_REGS + 11 * 8
REG_R12 equ VCPU_REGS + 12 * 8
REG_R13 equ VCPU_REGS + 13 * 8
REG_R14 equ VCPU_REGS + 14 * 8
REG_R15 equ VCPU_REGS + 15 * 8

; Where vmx_enter's saved RBP is, from HOST_RSP.
FRAME_RBP equ 6 * 8

; Loads the guest's registers from the struct vcpu at rdi (rdi last).
; MOVs leave the flags alone.
%macro LOAD_GUEST_REGS_FROM_RDI 0
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
    mov rdi, [rdi + REG_RDI]
%endmacro

; The same from the struct vcpu at rax (rax last): where vmx_exit_end
; returned it.
%macro LOAD_GUEST_REGS_FROM_RAX 0
    mov rcx, [rax + REG_RCX]
    mov rdx, [rax + REG_RDX]
    mov rbx, [rax + REG_RBX]
    mov rbp, [rax + REG_RBP]
    mov rsi, [rax + REG_RSI]
    mov rdi, [rax + REG_RDI]
    mov r8,  [rax + REG_R8]
    mov r9,  [rax + REG_R9]
    mov r10, [rax + REG_R10]
    mov r11, [rax + REG_R11]
    mov r12, [rax + REG_R12]
    mov r13, [rax + REG_R13]
    mov r14, [rax + REG_R14]
    mov r15, [rax + REG_R15]
    mov rax, [rax + REG_RAX]
%endmacro

section .text
bits 64

global vmx_enter
global vmx_exit_entry
extern vmx_exit_begin
extern vmx_exit_end

vmx_enter:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; found again at [rsp] after every exit

    ; The exits land on this very stack: HOST_RSP is the current RSP.  It
    ; changes only here, so the exits that resume from vmx_exit_entry do
    ; not write it again.
    mov rax, HOST_RSP_FIELD
    vmwrite rax, rsp
    jbe .vmwrite_failed                 ; CF or ZF: the VMCS refused

    test esi, esi                       ; launched?
    LOAD_GUEST_REGS_FROM_RDI
    jnz .resume                         ; the flags of `test esi, esi` survive MOVs
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
    add rsp, 8                          ; the vcpu pointer
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
    push rdi                            ; guest RDI; the vcpu pointer is now at [rsp + 8]
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
    pop qword [rdi + REG_RDI]
    ; RBP held the guest's value: point it at vmx_enter's frame, so that a
    ; backtrace from the exit path goes on into keel's callers.
    lea rbp, [rsp + FRAME_RBP]
    call vmx_exit_begin                 ; rdi = v; the C calls preserve RBP and RSP
    mov rdi, [rsp]
    mov esi, eax                        ; what the handler returned
    call vmx_exit_end                   ; v to resume, or NULL
    test rax, rax
    jz .leave
    LOAD_GUEST_REGS_FROM_RAX
    vmresume
    jmp vmx_enter.entry_failed          ; JMP leaves the flags of VMRESUME
.leave:
    xor eax, eax
    jmp vmx_enter.out
