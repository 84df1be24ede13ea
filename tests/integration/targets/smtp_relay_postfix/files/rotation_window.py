# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What happened to the messages a sender wrote through a password rotation, for rotation_window.yml.

Usage: python rotation_window.py SENT RELAY_LOG POSTFIX_LOG USER RUN_ID WAIT -- prints one JSON object, once every
message SENT lists reached the relay or WAIT seconds have passed (then the report names the missing ones).

SENT: one line per message the sender wrote, "number written-at exit-status" (epoch seconds, sendmail's status).
RELAY_LOG: the JSON Lines log of tests/simulator/smtp_relay.py (every login and message, with its time).
POSTFIX_LOG: Postfix's maillog_file of the mail host. USER: the host's SMTP user. RUN_ID: in each Message-ID,
<window.NUMBER.RUN_ID@...>, so only this run's messages count.

The window runs from the first login the relay refused for USER after the sender started (the reset ended the old
password; the sender writes every 0.2 s, so Postfix tries the old password within a fraction of a second of the reset)
to the first reload of Postfix after it (the role's handler). Times come from the sender (date +%s.%N), the relay's
log (to the microsecond) and Postfix's log (local time, to the second: a reload is taken at the start of its second,
so the window may read up to 1 s short and a delay after the reload up to 1 s long). The mail host shares this host's
clock, and both run in UTC here.
"""

import datetime
import json
import re
import sys
import time

# "Dec 06 19:32:12 host postfix/master[123]: ..." (maillog_file; a fraction of a second is taken if there is one), or an
# RFC 3339 time stamp (syslog daemons may write those).
TRADITIONAL = re.compile(r'^([A-Z][a-z]{2}) +(\d+) (\d\d):(\d\d):(\d\d)(\.\d+)? ')
RFC3339 = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)) ')
MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
QUEUE_ID = r'([0-9A-Za-z]+)'


def log_time(line, year):
    """The epoch time of a Postfix log line, or None."""
    match = TRADITIONAL.match(line)
    if match:
        month, day, hour, minute, second, fraction = match.groups()
        stamp = time.mktime((year, MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second), 0, 0, -1))
        return stamp + float(fraction or 0)
    match = RFC3339.match(line)
    if match:
        return datetime.datetime.fromisoformat(match.group(1).replace('Z', '+00:00')).timestamp()
    return None


def report(sent_path, relay_path, postfix_path, user, run_id):
    """The report of what happened to the messages, as a dict."""
    sent = {}
    failures = []
    with open(sent_path, encoding='utf-8') as stream:
        for line in stream:
            number, written, status = line.split()
            sent[int(number)] = float(written)
            if status != '0':
                failures.append(int(number))
    started = min(sent.values())

    number_of = re.compile(r'<window\.(\d+)\.%s@' % re.escape(run_id))
    delivered, answers, refusals = {}, {}, []
    with open(relay_path, encoding='utf-8') as stream:
        for record in map(json.loads, stream):
            if record['time'] < started:
                continue
            if record['event'] == 'auth' and record['user'] == user and not record['ok']:
                refusals.append(record['time'])
            match = number_of.search(record.get('message_id') or '') if record['event'] == 'message' else None
            if match:
                number = int(match.group(1))
                answers.setdefault(number, []).append(record['reply'])
                if record['accepted']:
                    delivered.setdefault(number, record['time'])

    year = datetime.datetime.fromtimestamp(started).year
    queue_ids, statuses, reloads, notices = {}, {}, [], []
    message_id = re.compile(r' %s: message-id=<window\.(\d+)\.%s@' % (QUEUE_ID, re.escape(run_id)))
    status = re.compile(r' %s: to=<[^>]*>, .* status=(\w+)' % QUEUE_ID)
    notice = re.compile(r' %s: sender non-delivery notification' % QUEUE_ID)
    with open(postfix_path, encoding='utf-8', errors='replace') as stream:
        for line in stream:
            stamp = log_time(line, year)
            if stamp is None or stamp < started - 1:
                continue
            if re.search(r'postfix/master\[\d+\]: reload ', line):
                reloads.append(stamp)
            match = message_id.search(line)
            if match:
                queue_ids[match.group(1)] = int(match.group(2))
            match = status.search(line)
            if match:
                statuses.setdefault(match.group(1), []).append(match.group(2))
            match = notice.search(line)
            if match:
                notices.append(match.group(1))

    outcomes = dict((number, statuses.get(queue_id, [])) for queue_id, number in queue_ids.items())
    deferred = sorted(number for number, seen in outcomes.items() if 'deferred' in seen)
    bounced = sorted(number for number, seen in outcomes.items() if 'bounced' in seen)
    reset = refusals[0] if refusals else None
    reload = next((stamp for stamp in reloads if reset is not None and stamp > reset - 1), None)
    delays = dict((number, delivered[number] - written) for number, written in sent.items() if number in delivered)
    worst = max(delays, key=delays.get) if delays else None
    last_deferred = max(deferred, key=sent.get) if deferred else None
    return {
        'written': len(sent),
        'sendmail_failures': failures,
        'delivered': len(delivered),
        'missing': sorted(set(sent) - set(delivered)),
        'delivered_twice': sorted(number for number, replies in answers.items()
                                  if len([reply for reply in replies if reply.startswith('250')]) > 1),
        'refused_answers': sum(1 for replies in answers.values() for reply in replies if not reply.startswith('250')),
        'refused_logins': len(refusals),
        'deferred': deferred,
        'bounced': bounced,
        'notices': [queue_ids.get(queue_id, queue_id) for queue_id in notices],
        'reloads': len(reloads),
        'window': round(reload - reset, 2) if reload is not None else None,
        'written_in_window': sum(1 for written in sent.values() if reset is not None and reload is not None
                                 and reset <= written <= reload),
        'written_after_reload': sum(1 for written in sent.values() if reload is not None and written > reload),
        'last_deferred': last_deferred,
        'last_deferred_after_reload': round(delivered[last_deferred] - reload, 2)
        if last_deferred in delivered and reload is not None else None,
        'worst_delay': round(delays[worst], 2) if worst is not None else None,
        'worst_delay_message': worst,
        'worst_delay_deferred': worst in deferred,
    }


def main(sent_path, relay_path, postfix_path, user, run_id, wait):
    deadline = time.time() + float(wait)
    while True:
        found = report(sent_path, relay_path, postfix_path, user, run_id)
        if not found['missing'] or time.time() >= deadline:
            break
        time.sleep(1)
    found['waited'] = round(float(wait) - max(deadline - time.time(), 0), 1)
    print(json.dumps(found, sort_keys=True))


if __name__ == '__main__':
    main(*sys.argv[1:7])
