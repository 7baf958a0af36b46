# bcryptprimitives.dll for the Windows tests under Wine 8, which lacks it
# (scripts/windows-tests-wine.sh): ProcessPrng(buffer, length), which Rust's standard
# library calls (cryptography's _rust.pyd imports it), filled by advapi32's RtlGenRandom
# (SystemFunction036), and a DllMain that accepts loading.
    .text
    .globl ProcessPrng
ProcessPrng:
    subq $40, %rsp                       # shadow space for the call, stack kept aligned
    call *__imp_SystemFunction036(%rip)
    addq $40, %rsp
    movl $1, %eax                        # ProcessPrng always succeeds
    ret
    .globl DllMain
DllMain:
    movl $1, %eax
    ret
