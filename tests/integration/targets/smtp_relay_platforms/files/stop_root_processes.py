"""Stop every process whose root directory is the given root file system: SIGTERM, then SIGKILL after a grace time.

A root's sshd, the sessions Ansible's ssh connection keeps open, and anything else started in it (chroot) share
this host's process table; they are found by their /proc/<pid>/root link. Prints how many processes were stopped;
exits 1 when some are still there after SIGKILL.
"""

import os
import signal
import sys
import time

GRACE_SECONDS = 5


def processes_in(root):
    """The ids of the processes whose root directory is root."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                if os.readlink('/proc/%s/root' % entry) == root:
                    found.append(int(entry))
            except OSError:  # the process ended meanwhile
                pass
    return found


def signal_all(pids, signum):
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def main():
    root = os.path.realpath(sys.argv[1])
    if root == '/':
        sys.exit('refusing to stop the processes of /')
    first = processes_in(root)
    signal_all(first, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while processes_in(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    signal_all(processes_in(root), signal.SIGKILL)
    time.sleep(0.5)
    print(len(first))
    left = processes_in(root)
    if left:
        sys.exit('still running in %s: %s' % (root, left))


if __name__ == '__main__':
    main()
