# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the SendClean settings API (private to this collection: no compatibility promise).

Every call is a JSON POST to ``<base>settings/<call>`` with ``owner_id`` and ``token`` in the body.
Replies are normalized here, so callers never see the service's inconsistencies (see docs/api-quirks.md).

The transport is the standard library's http.client, not requests: importing requests costs a module run
about 60 ms, half of a converged run's time, and the collection then needs no Python package beyond ansible-core.
"""

import base64
import email.utils
import http.client
import json
import random
import select
import ssl
import time
import urllib.parse
import urllib.request

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'sendclean.mta-ansible-collection/%s' % COLLECTION_VERSION

VALIDATION_ERROR = 'ValidationError'
AUTHENTICATION_ERROR = 'AuthenticationError'
GENERAL_ERROR = 'GeneralError'
TRANSPORT_ERROR = 'Transport'

# HTTP answers after which repeating an absolute request (list, edit) is safe and likely to help.
RETRYABLE_HTTP_STATUSES = frozenset((429, 500, 502, 503, 504))
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
RETRY_AFTER_CAP = 60.0

STATUS_ENABLE = 'Enable'
STATUS_DISABLE = 'Disable'


class SendCleanError(Exception):
    """A failed API call; the message names the call and the cause, never the token or a request body.

    ``outcome_unknown`` is set when a write may have been applied although no success reply arrived.
    """

    def __init__(self, call, message, error_type, http_status=None, outcome_unknown=False):
        self.call = call
        self.error_type = error_type
        self.http_status = http_status
        self.outcome_unknown = outcome_unknown
        self.api_message = message
        super(SendCleanError, self).__init__(self._describe())

    def _describe(self):
        where = 'SendClean settings/%s failed' % self.call
        status = ' (HTTP %s)' % self.http_status if self.http_status is not None else ''
        text = '%s: %s: %s%s' % (where, self.error_type, self.api_message, status)
        if self.outcome_unknown:
            text += '; outcome unknown: the service may have applied it'
        return text

    def as_dict(self):
        """The error as plain data, for a module's ``api_error`` return value."""
        return {
            'call': self.call,
            'error_type': self.error_type,
            'http_status': self.http_status,
            'message': self.api_message,
            'outcome_unknown': self.outcome_unknown,
        }


def base_url(app_domain=None, api_url=None):
    """The API base URL ending in a slash; ``api_url`` (a full URL) wins over ``app_domain``."""
    url = api_url or 'https://api.%s/v1.0/' % app_domain
    return url if url.endswith('/') else url + '/'


def parse_limit(value):
    """A limit from a reply (an int or a digit string) as an int, or None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_user(record):
    """One ``smtp_list`` entry as ``{name, enabled, status, total_limit, hourly_limit, password}``.

    The password key differs between the provider's own documents (``password``, ``smtp_password``, or none).
    """
    status = record.get('status')
    password = record.get('password', record.get('smtp_password'))
    return {
        'name': record.get('smtp_user_name'),
        'enabled': status == STATUS_ENABLE,
        'status': status,
        'total_limit': parse_limit(record.get('total_limit')),
        'hourly_limit': parse_limit(record.get('hourly_limit')),
        'password': password if isinstance(password, str) and password else None,
    }


def error_type_of(body):
    """The error type of an error body; the provider's documents name it ``name`` or ``type``."""
    return body.get('name') or body.get('type') or GENERAL_ERROR


def retry_after_seconds(value):
    """A Retry-After header (delta seconds or an HTTP date) as capped seconds, or None."""
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, min(email.utils.mktime_tz(parsed) - time.time(), RETRY_AFTER_CAP))


class _Failure(object):
    """Why one HTTP exchange failed, and what that allows: repeating it, or trusting that nothing was applied."""

    def __init__(self, error_type, message, http_status=None, transient=False, unsent=False, retry_after=None):
        self.error_type = error_type
        self.message = message
        self.http_status = http_status
        self.transient = transient
        self.unsent = unsent
        self.retry_after = retry_after

    @property
    def may_have_applied(self):
        """False when the service provably did not act: never reached, or refused as a client error."""
        if self.unsent or self.error_type in (VALIDATION_ERROR, AUTHENTICATION_ERROR):
            return False
        return self.http_status is None or not 400 <= self.http_status < 500


class SendCleanClient(object):
    """The four SMTP-user calls of the settings API over one keep-alive HTTP(S) connection.

    listSmtp and editSmtp carry absolute values, so they are retried on transient faults. addSmtp and
    resetSmtpPassword are retried only when the request provably never reached the service (or the
    service answered 429, which rejects a request unprocessed); any other failure of those two raises
    SendCleanError with ``outcome_unknown`` so the caller can find out what happened.
    """

    def __init__(self, owner_id, token, url, validate_certs=True, ca_path=None, timeout=30, retries=3, sleep=time.sleep):
        self.owner_id = owner_id
        self._token = token
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.retried = 0
        self._sleep = sleep
        self._endpoint = Endpoint(url, tls_context(validate_certs, ca_path) if url.startswith('https:') else None)
        self._connection = None

    def list_users(self):
        """All SMTP users of the account, normalized by parse_user, in the service's order."""
        body = self._call('listSmtp', {}, repeatable=True)
        records = body.get('smtp_list') or []
        if not isinstance(records, list):
            raise SendCleanError('listSmtp', 'smtp_list is not a list', TRANSPORT_ERROR)
        return [parse_user(record) for record in records if isinstance(record, dict)]

    def add_user(self, total_limit, hourly_limit):
        """Create a user; returns ``(name, password)`` as generated by the service."""
        body = self._call('addSmtp', {'total_limit': total_limit, 'hourly_limit': hourly_limit}, repeatable=False)
        return self._credentials('addSmtp', body)

    def edit_user(self, name, total_limit=None, hourly_limit=None, status=None):
        """Change the given fields of a user; fields left None are not sent."""
        params = {'smtp_user_name': name}
        for key, value in (('total_limit', total_limit), ('hourly_limit', hourly_limit), ('status', status)):
            if value is not None:
                params[key] = value
        self._call('editSmtp', params, repeatable=True)

    def reset_password(self, name):
        """Rotate a user's password; returns ``(name, new password)``."""
        body = self._call('resetSmtpPassword', {'smtp_user_name': name}, repeatable=False)
        return self._credentials('resetSmtpPassword', body)

    @staticmethod
    def _credentials(call, body):
        name, password = body.get('smtp_user_name'), body.get('smtp_password')
        if not name or not password:
            raise SendCleanError(call, 'the reply carries no smtp_user_name or smtp_password', TRANSPORT_ERROR,
                                 outcome_unknown=True)
        return name, password

    def _call(self, call, params, repeatable):
        for attempt in range(self.retries + 1):
            outcome = self._attempt(call, params)
            if not isinstance(outcome, _Failure):
                return outcome
            if outcome.transient and (repeatable or outcome.unsent) and attempt < self.retries:
                self.retried += 1
                self._sleep(self._backoff(attempt, outcome.retry_after))
                continue
            raise SendCleanError(call, outcome.message, outcome.error_type, outcome.http_status,
                                 outcome_unknown=not repeatable and outcome.may_have_applied)
        raise AssertionError('unreachable: the last attempt returns or raises')

    @staticmethod
    def _backoff(attempt, hinted):
        if hinted is not None:
            return hinted
        return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt) * random.uniform(0.5, 1.0)

    def _attempt(self, call, params):
        """One POST: the success body as a dict, or a _Failure."""
        payload = json.dumps(dict(params, owner_id=self.owner_id, token=self._token)).encode('utf-8')
        if self._connection is not None and dropped(self._connection):
            self._close()  # after a long backoff, say: sending on it would fail as if the request were lost
        if self._connection is None:
            try:
                self._connection = self._endpoint.connect(self.timeout)
            except OSError as exc:  # ssl.SSLError and socket timeouts are OSErrors too
                return self._connect_failure(exc)
        try:
            self._connection.request('POST', self._endpoint.path + 'settings/' + call, body=payload, headers={
                'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': USER_AGENT})
            response = self._connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._close()
            return self._exchange_failure(exc)
        if response.will_close:
            self._close()
        return self._parse_reply(response.status, response.getheader('Content-Type'), response.getheader('Retry-After'), raw)

    def _close(self):
        self._connection.close()
        self._connection = None

    def _connect_failure(self, exc):
        """A connection (TCP, proxy tunnel or TLS handshake) that could not be made: nothing was sent."""
        if isinstance(exc, ssl.SSLCertVerificationError):
            if 'expired' in exc.verify_message or 'not yet valid' in exc.verify_message:
                cause = 'the TLS certificate of %s has expired or is not yet valid; the server must renew it' % self.url
            else:
                cause = ('the TLS certificate of %s is not trusted; set ca_path to the CA that signed it '
                         '(validate_certs=false only for a test endpoint); %s' % (self.url, exc.verify_message))
            return _Failure(TRANSPORT_ERROR, cause, unsent=True)
        if isinstance(exc, ssl.SSLError):
            return _Failure(TRANSPORT_ERROR, 'the TLS handshake with %s failed (%s)' % (self.url, describe(exc)), unsent=True)
        return _Failure(TRANSPORT_ERROR, 'could not connect to %s%s (%s)' % (self.url, self._endpoint.via, describe(exc)),
                        transient=True, unsent=True)

    def _exchange_failure(self, exc):
        """The request may have been sent: what failed between sending it and reading the whole reply."""
        if isinstance(exc, TimeoutError):
            cause = 'no reply from %s within %s seconds' % (self.url, self.timeout)
        else:
            cause = 'the connection to %s closed before a reply arrived (%s)' % (self.url, describe(exc))
        return _Failure(TRANSPORT_ERROR, cause, transient=True)

    def _parse_reply(self, status, content_type, retry_after, raw):
        try:
            body = json.loads(raw.decode('utf-8'))
        except ValueError:  # also UnicodeDecodeError
            body = None
        retry_after = retry_after_seconds(retry_after)
        if not isinstance(body, dict) or body.get('status') not in ('success', 'error'):
            kind = (content_type or 'no content type').split(';')[0]
            if status in RETRYABLE_HTTP_STATUSES:
                cause = 'the service or a proxy in front of it is unavailable (%s reply)' % kind
            else:
                cause = 'the reply is not a SendClean API answer (%s); check api_url or app_domain' % kind
            return _Failure(TRANSPORT_ERROR, cause, status, transient=status in RETRYABLE_HTTP_STATUSES or status < 400,
                            retry_after=retry_after)
        if body['status'] == 'success' and status < 400:
            return body
        error_type = error_type_of(body)
        message = str(body.get('message') or 'no message')
        if error_type == AUTHENTICATION_ERROR:
            message += '; the token did not match owner_id %s' % self.owner_id
        transient = error_type not in (VALIDATION_ERROR, AUTHENTICATION_ERROR) and (
            status in RETRYABLE_HTTP_STATUSES or error_type == GENERAL_ERROR)
        return _Failure(error_type, message, status, transient=transient, unsent=status == 429, retry_after=retry_after)


def describe(exc):
    """An OS-level transport error in a few words, e.g. "ConnectionRefusedError: [Errno 111] Connection refused"."""
    return '%s: %s' % (type(exc).__name__, exc) if str(exc) else type(exc).__name__


def tls_context(validate_certs, ca_path):
    """How the server's certificate is checked: against ca_path alone when given, else the system's CAs."""
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_path)


class Endpoint(object):
    """Where requests go: the API host directly, or through the proxy the environment names.

    The proxy comes from HTTPS_PROXY / HTTP_PROXY and NO_PROXY, read as curl and requests read them. Requests
    go through a CONNECT tunnel, so over HTTPS the proxy never sees the token.
    """

    def __init__(self, url, context):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or (443 if context else 80)
        self.path = parts.path or '/'
        self.context = context
        proxy = urllib.request.getproxies_environment().get(parts.scheme)
        if proxy and urllib.request.proxy_bypass_environment(parts.netloc):
            proxy = None
        self.proxy = urllib.parse.urlsplit(proxy if '://' in proxy else 'http://' + proxy) if proxy else None
        # Where the TCP connection goes: the proxy, when there is one.
        self.address = (self.proxy.hostname, self.proxy.port or 80) if self.proxy else (self.host, self.port)
        self.via = ' through the proxy %s:%s' % self.address if self.proxy else ''

    def connect(self, timeout):
        """An open connection, the TLS handshake done; raises OSError when none can be made."""
        host, port = self.address
        if self.context is None:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        else:
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self.context)
        if self.proxy is not None:
            connection.set_tunnel(self.host, self.port, headers=self._proxy_authorization())
        connection.connect()
        return connection

    def _proxy_authorization(self):
        if not self.proxy.username:
            return None
        credentials = '%s:%s' % (urllib.parse.unquote(self.proxy.username), urllib.parse.unquote(self.proxy.password or ''))
        return {'Proxy-Authorization': 'Basic ' + base64.b64encode(credentials.encode('utf-8')).decode('ascii')}


def dropped(connection):
    """Whether the server closed an idle keep-alive connection (its socket reads as ready: EOF)."""
    return bool(select.select([connection.sock], [], [], 0)[0])
