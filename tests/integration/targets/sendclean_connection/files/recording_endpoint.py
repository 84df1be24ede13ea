# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A loopback endpoint that records the request line of everything sent to it and refuses it, for the connection target.

It stands for whatever a request could wrongly go to: as a plain HTTP endpoint (an exported SENDCLEAN_API_URL) it
records "POST /v1.0/settings/listSmtp ..."; as the HTTPS_PROXY it records the "CONNECT host:443 ..." of the tunnel a
client asks for, which shows where an https request was going without it ever leaving this machine. Only the request
line is kept: never a header or a body, where the token travels.

Usage: python recording_endpoint.py WORKDIR -- writes WORKDIR/port, appends each request line to WORKDIR/requests.log,
and serves until WORKDIR/stop exists or 300 seconds have passed.
"""

import os
import socket
import sys
import threading
import time

LIFETIME_SECONDS = 300
REFUSAL = b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'


def serve(sock, log_path, lock):
    while True:
        try:
            conn, dummy = sock.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(5)
            head = b''
            try:
                while b'\r\n' not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                request_line = head.split(b'\r\n', 1)[0].decode('latin-1')
                with lock, open(log_path, 'a') as log:
                    log.write(request_line + '\n')
                conn.sendall(REFUSAL)
            except OSError:
                pass


def main(workdir):
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, 'requests.log')
    open(log_path, 'w').close()
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    sock.settimeout(0.5)
    threading.Thread(target=serve, args=(sock, log_path, threading.Lock()), daemon=True).start()
    temp_path = os.path.join(workdir, '.port')
    with open(temp_path, 'w') as handle:
        handle.write(str(sock.getsockname()[1]))
    os.rename(temp_path, os.path.join(workdir, 'port'))
    deadline = time.monotonic() + LIFETIME_SECONDS
    while time.monotonic() < deadline and not os.path.exists(os.path.join(workdir, 'stop')):
        time.sleep(0.2)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
