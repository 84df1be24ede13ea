# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the SendClean settings API (private to this collection: no compatibility promise).

Every call is a JSON POST to ``<base>settings/<call>`` with ``owner_id`` and ``token`` in the body.
Replies are normalized here, so callers never see the service's inconsistencies (see docs/api-quirks.md).

The transport is a requests Session: keep-alive, proxies from the environment and TLS as requests maintains them.
"""

import email.utils
import json
import random
import ssl
import sys
import time
import traceback
import urllib.parse
import warnings

# requests imports a character-set detector (charset_normalizer or chardet) only to guess the encoding of text
# replies. This client decodes JSON bytes itself, and the detector is about a tenth of importing requests, so it
# is kept out of the import: requests supports running without one (it would warn once).
CHARSET_DETECTORS = [name for name in ('charset_normalizer', 'chardet') if name not in sys.modules]
sys.modules.update(dict.fromkeys(CHARSET_DETECTORS))  # None: importing them fails
REQUESTS_IMPORT_ERROR = None
try:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Unable to find acceptable character detection')
        import requests
        from requests.exceptions import (
            ConnectionError as RequestsConnectionError, ConnectTimeout, ProxyError, RequestException, SSLError, Timeout,
        )
        from urllib3 import disable_warnings
        from urllib3.exceptions import InsecureRequestWarning, NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
finally:
    for name in CHARSET_DETECTORS:  # whoever imports them later gets them
        if sys.modules.get(name, False) is None:
            del sys.modules[name]

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

    ``outcome_unknown`` is set when a write may have been applied although no success reply arrived. ``attempts``
    requests were sent over ``elapsed`` seconds; the message says so when there was more than one.
    """

    def __init__(self, call, message, error_type, http_status=None, outcome_unknown=False, attempts=1, elapsed=0.0):
        self.call = call
        self.error_type = error_type
        self.http_status = http_status
        self.outcome_unknown = outcome_unknown
        self.api_message = message
        self.attempts = attempts
        self.elapsed = elapsed
        super(SendCleanError, self).__init__(self._describe())

    def _describe(self):
        text = 'SendClean settings/%s failed: %s' % (self.call, cause_text(self.error_type, self.api_message, self.http_status))
        if self.attempts > 1:
            text += '; gave up after %d attempts over %.1f s' % (self.attempts, self.elapsed)
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


def cause_text(error_type, message, http_status):
    """Why a request failed, as "<type>: <message> (HTTP <status>)"."""
    status = ' (HTTP %s)' % http_status if http_status is not None else ''
    return '%s: %s%s' % (error_type, message, status)


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


# The provider's documents list the status as 'Enable'/'Disable' (text, samples) and as an integer (its table).
LISTED_STATUSES = {'enable': STATUS_ENABLE, 'disable': STATUS_DISABLE, '1': STATUS_ENABLE, '0': STATUS_DISABLE}


def parse_status(value):
    """A listed status ('Enable'/'Disable' in any case, or 1/0 as a number or a digit string) as 'Enable' or
    'Disable'; None when it is none of these."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return LISTED_STATUSES.get(str(value).strip().lower())


def parse_user(record):
    """One ``smtp_list`` entry as ``{name, enabled, status, total_limit, hourly_limit, password}``.

    ``status`` is 'Enable' or 'Disable' whatever form the list used; a status in no documented form is kept as
    listed, with ``enabled`` None, so that nothing is ever decided from it.
    The password key differs between the provider's own documents (``password``, ``smtp_password``, or none).
    """
    listed = record.get('status')
    status = parse_status(listed)
    password = record.get('password', record.get('smtp_password'))
    return {
        'name': record.get('smtp_user_name'),
        'enabled': None if status is None else status == STATUS_ENABLE,
        'status': listed if status is None else status,
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
    """The four SMTP-user calls of the settings API over one keep-alive ``requests`` session.

    listSmtp and editSmtp carry absolute values, so they are retried on transient faults. addSmtp and
    resetSmtpPassword are retried only when the request provably never reached the service (or the
    service answered 429, which rejects a request unprocessed); any other failure of those two raises
    SendCleanError with ``outcome_unknown`` so the caller can find out what happened.

    ``warn`` takes a message for each failed attempt that is repeated (the call, the attempt, the cause and the wait),
    so a run that waits through retries says why; it never gets the token or a request body.
    """

    def __init__(self, owner_id, token, url, validate_certs=True, ca_path=None, timeout=30, retries=3, sleep=time.sleep,
                 warn=None):
        self.owner_id = owner_id
        self._token = token
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self._sleep = sleep
        self._warn = warn or (lambda message: None)
        self._session = requests.Session()
        self._session.headers.update({'User-Agent': USER_AGENT, 'Content-Type': 'application/json', 'Accept': 'application/json'})
        # Passed on every request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's verify
        # (psf/requests#3829), so an explicit ca_path must travel with each call.
        self._verify = ca_path if (validate_certs and ca_path) else validate_certs
        if not validate_certs:
            # The module warns once through Ansible; urllib3 would print its own warning on every request.
            disable_warnings(InsecureRequestWarning)

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
        started = time.monotonic()
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            outcome = self._attempt(call, params)
            if not isinstance(outcome, _Failure):
                return outcome
            if outcome.transient and (repeatable or outcome.unsent) and attempt < attempts:
                delay = self._backoff(attempt - 1, outcome.retry_after)
                self._warn('SendClean settings/%s: attempt %d of %d failed (%s); retrying in %.1f s'
                           % (call, attempt, attempts, cause_text(outcome.error_type, outcome.message, outcome.http_status),
                              delay))
                self._sleep(delay)
                continue
            raise SendCleanError(call, outcome.message, outcome.error_type, outcome.http_status,
                                 outcome_unknown=not repeatable and outcome.may_have_applied,
                                 attempts=attempt, elapsed=time.monotonic() - started)
        raise AssertionError('unreachable: the last attempt returns or raises')

    @staticmethod
    def _backoff(attempt, hinted):
        if hinted is not None:
            return hinted
        return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt) * random.uniform(0.5, 1.0)

    def _attempt(self, call, params):
        """One POST: the success body as a dict, or a _Failure."""
        payload = json.dumps(dict(params, owner_id=self.owner_id, token=self._token))
        try:
            # No redirects: a redirected POST would carry the token to another address, or turn into a GET.
            response = self._session.post(self.url + 'settings/' + call, data=payload, timeout=self.timeout,
                                          verify=self._verify, allow_redirects=False)
        except RequestException as exc:
            return self._transport_failure(exc)
        headers = response.headers
        return self._parse_reply(response.status_code, headers.get('Content-Type'), headers.get('Retry-After'), response.content)

    def _transport_failure(self, exc):
        """What a requests exception means for the call: never sent (connection, proxy, TLS handshake) or maybe applied."""
        root = causes(exc)[-1]
        # requests raises SSLError for a failed handshake. A connection that breaks after sending is not one: Python's
        # ssl reads an unannounced close as EOF, so that surfaces as a ConnectionError (test_tls proves it).
        if isinstance(exc, SSLError):
            return _Failure(TRANSPORT_ERROR, self._tls_cause(exc, root), unsent=True)
        if never_sent(exc):
            return _Failure(TRANSPORT_ERROR, 'could not connect to %s%s (%s)' % (self.url, self._via(), describe(root)),
                            transient=True, unsent=True)
        if isinstance(exc, Timeout):
            cause = 'no reply from %s within %s seconds' % (self.url, self.timeout)
        elif isinstance(exc, RequestsConnectionError):
            cause = 'the connection to %s closed before a reply arrived (%s)' % (self.url, describe(root))
        else:
            cause = 'the request to %s failed (%s)' % (self.url, describe(root))
        return _Failure(TRANSPORT_ERROR, cause, transient=True)

    def _tls_cause(self, exc, root):
        verification = [cause for cause in causes(exc) if isinstance(cause, ssl.SSLCertVerificationError)]
        if not verification:
            return 'the TLS handshake with %s failed (%s)' % (self.url, describe(root))
        message = verification[0].verify_message
        if 'expired' in message or 'not yet valid' in message:
            return 'the TLS certificate of %s has expired or is not yet valid; the server must renew it' % self.url
        return ('the TLS certificate of %s is not trusted; set ca_path to the CA that signed it '
                '(validate_certs=false only for a test endpoint); %s' % (self.url, message))

    def _via(self):
        """' through the proxy HOST:PORT' when requests takes the proxy from the environment, else ''."""
        proxy = requests.utils.select_proxy(self.url, requests.utils.get_environ_proxies(self.url))
        if not proxy:
            return ''
        parts = urllib.parse.urlsplit(proxy if '://' in proxy else 'http://' + proxy)
        return ' through the proxy %s:%s' % (parts.hostname, parts.port or 80)  # never the proxy's credentials

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
    """A transport error in a few words, e.g. "ConnectionRefusedError: [Errno 111] Connection refused"."""
    return '%s: %s' % (type(exc).__name__, exc) if str(exc) else type(exc).__name__


def causes(exc):
    """The exception and those it wraps, outermost first: requests wraps urllib3's, which wrap the socket's or ssl's."""
    chain = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        inner = (getattr(exc, 'reason', None), exc.__cause__, exc.args[0] if exc.args else None)
        exc = next((cause for cause in inner if isinstance(cause, BaseException)), None)
    return chain


def never_sent(exc):
    """Whether requests failed before the request left: no connection to the API host or the proxy could be made.

    A TLS handshake failure (SSLError) is handled apart. ConnectTimeout and ProxyError are raised only while
    connecting. A refused or unresolvable host is requests' plain ConnectionError, the type it also raises for a
    connection that broke after sending (urllib3's ProtocolError), so there the wrapped NewConnectionError decides.
    A ReadTimeout or ChunkedEncodingError means the request was sent.
    """
    if isinstance(exc, (ConnectTimeout, ProxyError)):
        return True
    return isinstance(exc, RequestsConnectionError) and any(isinstance(cause, NewConnectionError) for cause in causes(exc))
