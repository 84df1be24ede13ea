# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module of this collection shares: the connection options and how they become a client.

The argument spec here is mirrored by the ``sendclean.mta.connection`` doc fragment.
"""

import copy
import os
import re
import urllib.parse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.sendclean.mta.plugins.module_utils._client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, SendCleanClient, SendCleanError, base_url,
)
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure

# owner_id and token are required, but checked in connection_errors, whose message names the environment variable.
# app_domain and api_url have no env_fallback: see endpoint_from_environment.
CONNECTION_ARGUMENT_SPEC = {
    'owner_id': {'type': 'str', 'fallback': (env_fallback, ['SENDCLEAN_OWNER_ID'])},
    'token': {'type': 'str', 'no_log': True, 'fallback': (env_fallback, ['SENDCLEAN_TOKEN'])},
    'app_domain': {'type': 'str'},
    'api_url': {'type': 'str'},
    'validate_certs': {'type': 'bool', 'default': True},
    'ca_path': {'type': 'path', 'fallback': (env_fallback, ['SENDCLEAN_CA_PATH'])},
    'timeout': {'type': 'float', 'default': 30},
    'retries': {'type': 'int', 'default': 3},
}

# Where the API is, from the environment: read only as a pair, when neither option is set.
ENDPOINT_ENVIRONMENT = (('app_domain', 'SENDCLEAN_APP_DOMAIN'), ('api_url', 'SENDCLEAN_API_URL'))

HOSTNAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$')


def endpoint_from_environment(params, environ=None):
    """The connection options with app_domain and api_url resolved as one setting: where the token goes.

    What the task or module_defaults set wins, and the environment (``environ``, default os.environ) fills in only when
    neither option is set. Per-option fallbacks would mix a task's app_domain with the environment's api_url, which
    wins, and send the token to the environment's endpoint.
    """
    if params['app_domain'] is not None or params['api_url'] is not None:
        return params
    environ = os.environ if environ is None else environ
    return dict(params, **dict((option, environ.get(variable) or None) for option, variable in ENDPOINT_ENVIRONMENT))


def connection_errors(params):
    """Messages for connection options (resolved by endpoint_from_environment) that cannot work, each naming the option
    and the fix."""
    errors = []
    for option, variable in (('owner_id', 'SENDCLEAN_OWNER_ID'), ('token', 'SENDCLEAN_TOKEN')):
        if params[option] is None:
            errors.append('%s is required: set it on the task or in module_defaults, or export %s' % (option, variable))
    if params['owner_id'] is not None and not params['owner_id'].strip().isdigit():
        errors.append('owner_id must be the numeric SendClean user id (for example 28779705), got %r' % params['owner_id'])
    if params['token'] is not None and not params['token'].strip():
        errors.append('token is empty; set it, or the SENDCLEAN_TOKEN environment variable')
    api_url, app_domain = params['api_url'], params['app_domain']
    if api_url is None and app_domain is None:
        errors.append('one of app_domain and api_url is required (or SENDCLEAN_APP_DOMAIN / SENDCLEAN_API_URL in the environment)')
    elif not api_url and not app_domain:
        errors.append('%s is empty; give the API\'s address there (the environment is not read once the task or '
                      'module_defaults sets app_domain or api_url)' % ('api_url' if api_url is not None else 'app_domain'))
    if api_url and not valid_url(api_url):
        errors.append('api_url must be a full URL with scheme, for example https://api.us1-mta1.sendclean.net/v1.0/, got %r' % api_url)
    if not api_url and app_domain and not HOSTNAME.match(app_domain):
        errors.append('app_domain must be a host name such as us1-mta1.sendclean.net (no scheme or path; '
                      'use api_url for a full URL), got %r' % app_domain)
    if params['timeout'] <= 0:
        errors.append('timeout must be a number of seconds above 0, got %s' % params['timeout'])
    if params['retries'] < 0:
        errors.append('retries must be 0 or more, got %s' % params['retries'])
    return errors


def valid_url(url):
    """Whether url is an http(s) URL with a host and, if it names one, a port from 0 to 65535."""
    try:
        urllib.parse.urlsplit(url).port  # pylint: disable=expression-not-assigned
    except ValueError:  # what .port raises for a port that is not a number from 0 to 65535
        return False
    return re.match(r'^https?://[^/\s]+', url) is not None


def client_from_params(params, warn):
    """The client for validated connection options (see connection_errors); ``warn`` takes a message, and gets the
    client's retries too."""
    url = base_url(params['app_domain'], params['api_url'])
    if not params['validate_certs']:
        warn('validate_certs=false: the TLS certificate of the SendClean API is not checked')
    if url.lower().startswith('http://'):
        warn('api_url %s is plain http: the token travels unencrypted in every request body; '
             'use https outside a test endpoint' % url)
    return SendCleanClient(
        owner_id=params['owner_id'].strip(), token=params['token'].strip(), url=url,
        validate_certs=params['validate_certs'], ca_path=params['ca_path'],
        timeout=params['timeout'], retries=params['retries'], warn=warn,
    )


class AnsibleSendClean(object):
    """Base of this collection's modules: builds the AnsibleModule and the client, and reports failures.

    A subclass sets ``argument_spec`` (its own options) and the AnsibleModule keyword arguments it needs
    in ``module_kwargs``, and implements ``run()``, which returns the result dict.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
        spec.update(copy.deepcopy(self.argument_spec))
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        params = endpoint_from_environment(self.module.params)
        errors = connection_errors(params)
        if errors:
            self.module.fail_json(msg='; '.join(errors))
        self.client = client_from_params(params, self.module.warn)

    def run(self):
        """The module's work; returns the result dict for exit_json."""
        raise NotImplementedError

    def execute(self):
        """Run the module and exit; a failure carries its message and, for API errors, ``api_error``."""
        try:
            result = self.run()
        except SendCleanError as exc:
            self.module.fail_json(msg=str(exc), api_error=exc.as_dict())
        except TaskFailure as exc:
            self.module.fail_json(msg=str(exc), **exc.result)
        self.module.exit_json(**result)
