# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small JSON file that several processes read and write (private: no compatibility promise).

The controller's registry and the host's record of its SMTP users are both such files: read whole, changed under
an exclusive lock (``<path>.lock`` beside it, so the lock outlives the atomic replace), written to a temporary file in the
same directory, synced, and renamed over the old one - mode 0600 in a 0700 directory. A file that exists but cannot
be parsed is an error naming the file and the fix, never silently treated as empty: an empty record would make the
next run create users the account already has.
"""

import contextlib
import errno
import fcntl
import json
import os
import tempfile

from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure

FILE_MODE = 0o600
DIR_MODE = 0o700


class StoreError(TaskFailure):
    """The file cannot be read, parsed or written; the message names the path and the fix."""


class JsonStore(object):
    """One JSON file: ``load()`` its content (None when it does not exist), ``write(content)`` under ``locked()``.

    ``kind`` names the file in messages (``registry``, ``SMTP user record``).
    """

    def __init__(self, path, kind):
        self.path = path
        self.kind = kind
        self._locked = False

    def load(self):
        """The parsed content, or None when the file does not exist."""
        try:
            with open(self.path) as handle:
                return json.load(handle)
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise StoreError('cannot read %s %s: %s' % (self.kind, self.path, exc.strerror))
        except ValueError as exc:
            raise StoreError('%s %s is not valid JSON (%s): restore it from a backup, or remove it to start again'
                             % (self.kind, self.path, exc))

    def invalid(self, expected):
        """The error for a file that parses but is not what the collection writes."""
        return StoreError('%s %s is not a sendclean.mta %s (expected %s): restore it from a backup, or remove it to '
                          'start again' % (self.kind, self.path, self.kind, expected))

    @contextlib.contextmanager
    def locked(self):
        """Hold the exclusive lock, making the directory if needed. A killed holder releases it with its process."""
        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, DIR_MODE)
            lock_fd = os.open(self.path + '.lock', os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise StoreError('cannot create %s %s: %s' % (self.kind, self.path, exc.strerror))
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._locked = True
            yield self
        finally:
            self._locked = False
            os.close(lock_fd)  # closing the descriptor releases the lock

    def write(self, content):
        """Replace the file with ``content`` (needs the lock); synced before the rename, so a marker written before
        a create is on disk before the create is sent."""
        if not self._locked:
            raise StoreError('%s %s: writing needs the lock' % (self.kind, self.path))
        directory = os.path.dirname(self.path)
        temp_path = None
        try:
            fd, temp_path = tempfile.mkstemp(prefix='.%s-' % os.path.basename(self.path), dir=directory)
            with os.fdopen(fd, 'w') as handle:  # mkstemp made it 0600
                json.dump(content, handle, indent=2, sort_keys=True)
                handle.write('\n')
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_path, FILE_MODE)
            os.rename(temp_path, self.path)
        except (IOError, OSError) as exc:
            if temp_path and os.path.exists(temp_path):
                os.remove(temp_path)
            raise StoreError('cannot write %s %s: %s' % (self.kind, self.path, exc))
