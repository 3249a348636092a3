"""A seccomp filter that refuses new user namespaces, for bubblewrap's ``--seccomp``.

When the grader runs as root, bubblewrap runs privileged and without a user
namespace of its own (see :mod:`grader.bwrap`), so its ``--disable-userns``
is not available. A user namespace is where an unprivileged process becomes
root of its own little world, the usual first step of a kernel exploit and
never needed to grade. This filter refuses ``unshare`` and ``clone`` with
``CLONE_NEWUSER`` (``EPERM``) and ``clone3`` altogether (``ENOSYS``: its flags
sit in memory a filter cannot read, and the C library then falls back to
``clone``), and io_uring (``ENOSYS``), whose requests no filter can see. System calls of another architecture (32-bit calls on a 64-bit
kernel) are refused too: their numbers differ.

Without bubblewrap, the child installs the same filter itself
(:func:`install_from`), first thing, before any student code runs: ``setpriv``
already set ``no_new_privs``, which lets an unprivileged process do so.

The program is classic BPF, as ``seccomp_export_bpf`` writes it: an array of
``struct sock_filter`` (``u16 code, u8 jt, u8 jf, u32 k``), in native byte order.
"""

from __future__ import annotations

import errno
import platform
import struct

_CLONE_NEWUSER = 0x10000000
# (AUDIT_ARCH_*, unshare, clone, clone3) for the architectures the grader runs on
_ARCHES = {
    "x86_64": (0xC000003E, 272, 56, 435),
    "aarch64": (0xC00000B7, 97, 220, 435),
}
_IO_URING = (425, 426, 427)
"""io_uring_setup, io_uring_enter, io_uring_register (the same on both architectures):
a second way into much of the kernel, behind which a filter sees nothing, and a
frequent home of its bugs; Python and numpy never use it."""
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_X32_BIT = 0x40000000
"""x86_64's x32 calls: the same numbers with this bit set."""
_NR, _ARCH, _ARG0 = 0, 4, 16
"""Offsets in ``struct seccomp_data``: the call's number, its architecture, its first
argument (its low 32 bits on a little-endian machine, where the flags are)."""


def supported() -> bool:
    """Whether a filter can be built for this machine's architecture."""
    return platform.machine() in _ARCHES


def no_user_namespaces() -> bytes:
    """The filter's program, ready to hand to ``bwrap --seccomp FD``."""
    arch, unshare, clone, clone3 = _ARCHES[platform.machine()]
    deny, refuse = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    program = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ, 1, 0, arch),          # another architecture's numbers:
        (_RET, 0, 0, refuse),        # refused
        (_LD_W_ABS, 0, 0, _NR),
        (_JGE, 9, 0, _X32_BIT),      # -> refuse (x32)
        (_JEQ, 8, 0, clone3),        # -> refuse
        *((_JEQ, 7 - i, 0, call) for i, call in enumerate(_IO_URING)),  # -> refuse
        (_JEQ, 1, 0, unshare),       # -> flags
        (_JEQ, 0, 4, clone),         # not clone -> allow
        (_LD_W_ABS, 0, 0, _ARG0),    # flags
        (_JSET, 0, 2, _CLONE_NEWUSER),  # no new user namespace -> allow
        (_RET, 0, 0, deny),
        (_RET, 0, 0, refuse),
        (_RET, 0, 0, _ALLOW),
    ]
    return b"".join(struct.pack("=HBBI", *op) for op in program)


def install_from(fd: int) -> None:
    """Read a program from ``fd`` and install it on this process and all it will start
    (``PR_SET_SECCOMP``); exit at once if it cannot be, rather than run unfiltered."""
    import ctypes
    import os
    import sys

    program = b""
    while chunk := os.read(fd, 4096):
        program += chunk
    os.close(fd)
    code = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ", len(program) // 8, ctypes.addressof(code))
    libc = ctypes.CDLL(None, use_errno=True)
    args = ctypes.create_string_buffer(fprog, len(fprog))
    pr_set_seccomp, seccomp_mode_filter = 22, 2
    if len(program) % 8 or libc.prctl(pr_set_seccomp, seccomp_mode_filter,
                                      ctypes.c_ulong(ctypes.addressof(args)), 0, 0):
        sys.stderr.write(f"the sandbox's seccomp filter could not be installed "
                         f"({os.strerror(ctypes.get_errno())})\n")
        os._exit(70)
