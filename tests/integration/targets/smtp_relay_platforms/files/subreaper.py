"""Run a command detached, as a child subreaper that reaps every process its descendants leave behind.

The roots' daemons (sshd, Postfix, nullmailer-send) detach from the sessions that start them, and their orphans go to
the nearest subreaper, else to this host's PID 1. A PID 1 that is slow to reap them (this machine's) leaves zombies,
and an init script takes a zombie for a running daemon: `service nullmailer restart` stopped nullmailer-send, found
its zombie at the pid of its pid file, and started none. Started through this, the root's sshd and everything under
it are reaped at once. Returns as soon as the command runs; exits when no descendant is left (stop_root_processes.py).
"""

import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36


def main(argv):
    if os.fork():
        return 0  # the caller goes on; the subreaper lives on in the background
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        os._exit(1)
    if os.fork() == 0:
        os.execvp(argv[0], argv)
    while True:
        try:
            os.wait()
        except ChildProcessError:  # no descendant left
            os._exit(0)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
