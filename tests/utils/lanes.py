"""Test runs side by side, each in a lane of its own (`make test-matrix`, `make test-platforms`).

A lane runs its steps in order and stops at the first that fails. Each line of its output goes to the lane's log
(0600, like the integration log: the runs' output is not meant for other users) and to stdout after the lane's name
in brackets. After the lanes, one line each says PASSED with the time of every step, or FAILED with the step and
the log; the end of a failed lane's log is shown again, where its failure is.
"""

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# The lines of a failed lane's log shown again after the summary.
FAILURE_TAIL = 60
# The user's ssh key pair of ansible-test, made on its first run.
ANSIBLE_TEST_KEY = os.path.expanduser(os.path.join('~', '.ansible', 'test', 'id_rsa'))
STDOUT_LOCK = threading.Lock()


class Lane:
    """One run of several side by side: its name, what it tests (title), its log and the time of its steps."""

    def __init__(self, name, title, log):
        self.name = name
        self.title = title
        self.log = log
        self.timings = []
        self.failure = None
        os.makedirs(os.path.dirname(log), exist_ok=True)
        self.log_stream = os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8')

    def say(self, line):
        """One line of this lane's output: to its log, and to stdout after the lane's name."""
        self.log_stream.write(line + '\n')
        self.log_stream.flush()
        with STDOUT_LOCK:
            print('[%s] %s' % (self.name, line), flush=True)

    def run(self, command, **kwargs):
        """Run a command, echoing it and its output; raise CalledProcessError when it fails."""
        self.say('+ %s' % ' '.join(command))
        # Unbuffered, the Python tools' stdout and stderr keep their order in the one pipe.
        env = dict(kwargs.pop('env', os.environ), PYTHONUNBUFFERED='1')
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                              errors='replace', **kwargs) as process:
            for line in process.stdout:
                self.say(line.rstrip('\n'))
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, command)

    def run_steps(self, steps):
        """Run the (name, function) steps in order, until one fails; keep the FAILED line of that one in failure."""
        for name, step in steps:
            started = time.monotonic()
            self.say('=== %s: %s ===' % (self.title, name))
            try:
                step()
            except subprocess.CalledProcessError as error:
                self.failure = 'FAILED: %s: %s (exit %d), output in %s' % (self.title, name, error.returncode, self.log)
                return
            self.timings.append('%s %ds' % (name, time.monotonic() - started))

    def report(self):
        """The lane's line of the summary."""
        return self.failure or 'PASSED: %s (%s)' % (self.title, ', '.join(self.timings))

    def show_end_of_log(self):
        """Print the end of the lane's log, where its failure is."""
        self.log_stream.close()
        with open(self.log, encoding='utf-8', errors='replace') as stream:
            lines = stream.read().splitlines()
        print('=== the last %d lines of %s ===' % (min(FAILURE_TAIL, len(lines)), self.log))
        print('\n'.join(lines[-FAILURE_TAIL:]))


def make_ansible_test_key():
    """Make ansible-test's ssh key pair of the user, as ansible-test does, unless both files exist.

    ansible-test makes it on its first run, locked only within its own process: on a fresh machine the lanes' runs
    race for it, and one fails (ssh-keygen finds the other's file and asks "Overwrite (y/n)?"). A pair left half made
    by a killed run is made again.
    """
    if os.path.isfile(ANSIBLE_TEST_KEY) and os.path.isfile(ANSIBLE_TEST_KEY + '.pub'):
        return
    os.makedirs(os.path.dirname(ANSIBLE_TEST_KEY), exist_ok=True)
    for path in (ANSIBLE_TEST_KEY, ANSIBLE_TEST_KEY + '.pub'):
        if os.path.exists(path):
            os.remove(path)
    subprocess.run(['ssh-keygen', '-m', 'PEM', '-q', '-t', 'rsa', '-N', '', '-f', ANSIBLE_TEST_KEY], check=True)


def run_side_by_side(lanes, steps_of):
    """Run steps_of(lane) in every lane that has not failed yet, all lanes at once (each lane runs ansible-test)."""
    make_ansible_test_key()
    ready = [lane for lane in lanes if lane.failure is None]
    if ready:
        with ThreadPoolExecutor(max_workers=len(ready)) as pool:
            list(pool.map(lambda lane: lane.run_steps(steps_of(lane)), ready))


def summarize(heading, lanes, started, extra_lines=()):
    """Print the summary of the lanes (and extra lines), then the end of each failed lane's log; the failed lanes."""
    print('=== %s (%ds) ===' % (heading, time.monotonic() - started))
    for lane in lanes:
        print(lane.report())
    for line in extra_lines:
        print(line)
    failed = [lane for lane in lanes if lane.failure]
    for lane in failed:
        lane.show_end_of_log()
    return failed
