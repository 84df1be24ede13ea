# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one kind of failure a module reports as it is (private to this collection: no compatibility promise).

Its own file, so that the module base catches every such failure without importing the code that raises it:
a run imports the registry and the provisioner only when it uses them.
"""


class TaskFailure(Exception):
    """A task that cannot succeed: the message names the cause and the fix; ``result`` holds the return values
    known so far (none unless given)."""

    def __init__(self, message, result=None):
        super(TaskFailure, self).__init__(message)
        self.result = result or {}
