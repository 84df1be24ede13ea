# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hold a registry's write lock until N other processes wait for it at the same time, then let them all go.

The proof that the forks ran in parallel: the kernel's own table of blocked locks (/proc/locks, lines marked "->")
shows N module processes queued on the one lock at once. No clock is involved.

Usage: python lock_holder.py LOCK_PATH WAITERS READY_FILE DEADLINE_SECONDS
Prints {"waiters_seen": n, "released": true|false} and exits 0 when n >= WAITERS, 1 when the deadline passed first.
"""

import fcntl
import json
import os
import sys
import time

POLL_SECONDS = 0.05


def waiters(inode):
    """Processes blocked on a lock of this inode (any device), from the kernel's lock table."""
    suffix = ':%d ' % inode
    with open('/proc/locks') as handle:
        return sum(1 for line in handle if ' -> ' in line and suffix in line)


def main(lock_path, wanted, ready_file, deadline_seconds):
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    with open(ready_file, 'w') as handle:
        handle.write('%d\n' % os.getpid())
    inode = os.fstat(descriptor).st_ino
    deadline = time.monotonic() + deadline_seconds
    seen = 0
    while seen < wanted and time.monotonic() < deadline:
        seen = max(seen, waiters(inode))
        time.sleep(POLL_SECONDS)
    os.close(descriptor)  # releases the lock: the waiters go, one at a time
    print(json.dumps({'waiters_seen': seen, 'released': True}))
    return 0 if seen >= wanted else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
