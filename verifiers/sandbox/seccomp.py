"""A seccomp deny-list (classic BPF) that bwrap installs before it execs the program.

Namespaces and dropped capabilities already stop most of these calls; the filter removes
the kernel interfaces a sandboxed program has no use for and that have a history of
privilege-escalation bugs (io_uring, bpf, userfaultfd, perf, keys, ptrace, mount APIs), and
``memfd_create``, whose pages are memory that neither RLIMIT_AS nor the scratch tmpfs bounds.
Denied calls fail with EPERM. Syscalls of another ABI (i386 via ``int 0x80``, x32) kill the
process: the numbers below are x86_64's, so nothing else may pass through the filter.
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# x86_64 numbers (asm/unistd_64.h; tests/sandbox checks them against the header when present).
DENIED_X86_64: dict[str, int] = {
    "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135, "vhangup": 153,
    "pivot_root": 155, "_sysctl": 156, "adjtimex": 159, "chroot": 161, "acct": 163,
    "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168,
    "reboot": 169, "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176,
    "quotactl": 179, "lookup_dcookie": 212, "clock_settime": 227, "kexec_load": 246,
    "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298,
    "fanotify_init": 300, "name_to_handle_at": 303, "open_by_handle_at": 304,
    "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
    "kcmp": 312, "finit_module": 313, "memfd_create": 319, "kexec_file_load": 320, "bpf": 321,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "pidfd_getfd": 438, "mount_setattr": 442, "memfd_secret": 447,
}

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_OFF_NR, _OFF_ARCH = 0, 4  # struct seccomp_data


class SeccompUnsupported(RuntimeError):
    pass


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def deny_list_filter(machine: str | None = None) -> bytes:
    """The filter program as bwrap's ``--seccomp FD`` reads it (an array of sock_filter)."""
    machine = machine or platform.machine()
    if machine != "x86_64":
        raise SeccompUnsupported(
            f"the seccomp filter knows only x86_64 syscall numbers, not {machine}; "
            "run with SandboxConfig(seccomp=False) to go without it (namespaces and rlimits still hold)"
        )
    numbers = sorted(set(DENIED_X86_64.values()))
    n = len(numbers)
    # Layout: 0 ld arch; 1 jeq x86_64 ? 3 : 2; 2 ret kill; 3 ld nr; 4 jge x32 ? deny : next;
    # 5..5+n-1 jeq nr ? deny : next; 5+n ret allow; 6+n ret errno(EPERM) = deny.
    deny_at = 6 + n
    prog = [
        _insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_LD_W_ABS, 0, 0, _OFF_NR),
        _insn(_JGE_K, deny_at - 5, 0, X32_SYSCALL_BIT),
    ]
    for i, nr in enumerate(numbers):
        here = 5 + i
        prog.append(_insn(_JEQ_K, deny_at - (here + 1), 0, nr))
    prog.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    prog.append(_insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    assert len(prog) == deny_at + 1 and deny_at - 6 < 256
    return b"".join(prog)
