# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Start ansible-playbook runs at once and optionally kill them, with every process they started, at a point.

The point is read from the SendClean simulator's own request counters (GET ADMIN_URL/requests), polled every
POLL_SECONDS: a call's count ("addSmtp=1") or the count of all writes ("writes=7"); or a time since the start
("seconds=4.2"). At the point every process of the runs gets SIGKILL, the worst a job cancel, a timeout or a lost
node can do: not only each run's process group, since Ansible's workers leave it (each calls setsid), but every
process descended from this script (Linux: read from /proc; this script is their subreaper, so an orphan stays
one). They are stopped first, so none can fork or write once the kill has begun. Only the runs started here are
killed. Every wait is bounded: a run still going at the deadline is killed and the exit status is 1.

Usage: python playbook_group.py SPEC_FILE
SPEC_FILE (JSON): {"admin_url": URL, "deadline_seconds": N, "kill_at": null | "CALL=N" | "writes=N" | "seconds=X",
                   "settle_seconds": X, "runs": [{"argv": [...], "output": PATH}, ...]}
Each run's output (stdout and stderr) goes to its file, 0600: it may hold a leak, which the caller scans for.
settle_seconds: how long to wait after a kill for the requests the killed runs had in flight to land (the simulator
answers them, dead client or not), so that the account the caller looks at next is the one the kill left.
Prints {"killed": bool, "kill_at": ..., "seconds": elapsed, "requests_at_kill": {...} | null,
        "runs": [{"rc": exit status (negative: the signal), "seconds": elapsed}, ...]}.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

POLL_SECONDS = 0.02
WAIT_AFTER_KILL_SECONDS = 30
PR_SET_CHILD_SUBREAPER = 36


def requests_so_far(admin_url):
    with urllib.request.urlopen(admin_url + 'requests', timeout=10) as reply:
        stats = json.load(reply)
    return dict(stats['counts'], writes=stats['writes'])


def point_reached(kill_at, admin_url, elapsed):
    """Whether the kill point is reached, and the simulator's counters then (None for a point in time)."""
    what, value = kill_at.split('=')
    if what == 'seconds':
        return elapsed >= float(value), None
    counts = requests_so_far(admin_url)
    return counts[what] >= int(value), counts


def start(run):
    handle = os.open(run['output'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, 'wb') as output:
        # start_new_session: apart from this script's group, so that nothing sent to it reaches the runs.
        return subprocess.Popen(run['argv'], stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def descendants(root):
    """The pids of the processes descended from ``root``, from /proc (parent pid: the field after the name)."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                parent = int(handle.read().rpartition(')')[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # not a process, or gone
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def signal_all(pids, signum):
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def kill_all(processes):
    """SIGKILL every process descended from this script: stopped first, until no new one appears."""
    stopped = set()
    while True:
        fresh = set(descendants(os.getpid())) - stopped
        if not fresh:
            break
        signal_all(fresh, signal.SIGSTOP)
        stopped |= fresh
    signal_all(stopped, signal.SIGKILL)
    for process in processes:
        process.wait(timeout=WAIT_AFTER_KILL_SECONDS)
    while True:  # the orphans this script reaps as their subreaper
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def main(spec_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'prctl(PR_SET_CHILD_SUBREAPER)')
    started = time.monotonic()
    processes = [start(run) for run in spec['runs']]
    ended = [None] * len(processes)
    report = {'killed': False, 'kill_at': spec['kill_at'], 'requests_at_kill': None}
    status = 0
    while None in ended:
        elapsed = time.monotonic() - started
        if elapsed > spec['deadline_seconds']:
            kill_all(processes)
            report['error'] = 'deadline of %s s passed' % spec['deadline_seconds']
            status = 1
            break
        if spec['kill_at']:
            reached, counts = point_reached(spec['kill_at'], spec['admin_url'], elapsed)
            if reached:
                kill_all(processes)
                report.update(killed=True, requests_at_kill=counts)
                time.sleep(spec['settle_seconds'])
                break
        for index, process in enumerate(processes):
            if ended[index] is None and process.poll() is not None:
                ended[index] = time.monotonic() - started
        time.sleep(POLL_SECONDS)
    now = time.monotonic() - started
    report['seconds'] = round(now, 2)
    report['runs'] = [{'rc': process.returncode, 'seconds': round(ended[index] or now, 2)}
                      for index, process in enumerate(processes)]
    print(json.dumps(report))
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
