// Keeps a process's memory out of reach of other processes of the same user and of core files:
// PINs and passwords live there between reading and wiping them, and copies we do not own (gRPC's
// and TLS's buffers, a library's stack) may stay after we wipe ours.
#pragma once

#include "absl/status/status.h"

namespace taicho::pkcs11 {

// Makes the calling process non-dumpable (prctl(PR_SET_DUMPABLE, 0): no core file, no ptrace or
// /proc/PID/mem by the same user, only by root) and sets its core-file limit to 0, hard too (a
// core would hold every secret in memory at the crash). Call first in main, before any secret is
// read. kInternal when the kernel refuses (callers refuse to run then). Both settings last until
// execve, so a program this process runs is not affected.
absl::Status ProtectProcessMemory();

}  // namespace taicho::pkcs11
