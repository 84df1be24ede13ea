# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Documentation of the connection options every module shares (mirrors module_utils/_module.py)."""


class ModuleDocFragment(object):
    """sendclean.mta.connection"""

    DOCUMENTATION = r'''
options:
  owner_id:
    description:
      - The numeric SendClean user id of the account (the C(owner_id) of every API call).
      - If not set, the value of the E(SENDCLEAN_OWNER_ID) environment variable is used.
      - Required - on the task, in C(module_defaults) or in the environment; without it the module fails naming
        E(SENDCLEAN_OWNER_ID).
    type: str
  token:
    description:
      - The API token of the account. It travels in the request body and is never logged by this collection.
      - If not set, the value of the E(SENDCLEAN_TOKEN) environment variable is used.
      - Required - on the task, in C(module_defaults) or in the environment; without it the module fails naming
        E(SENDCLEAN_TOKEN).
    type: str
  app_domain:
    description:
      - The domain name of the SendClean server the account is on, for example V(us1-mta1.sendclean.net).
      - The API is then reached at C(https://api.<app_domain>/v1.0/).
      - O(app_domain) and O(api_url) are one setting, where the token is sent. When neither is set (on the task or in
        C(module_defaults)), both come from the environment - E(SENDCLEAN_APP_DOMAIN) and E(SENDCLEAN_API_URL). When
        either is set, neither variable is read, so a task that names its endpoint never sends the token to one the
        environment names.
      - One of O(app_domain) and O(api_url) is required.
    type: str
  api_url:
    description:
      - The full base URL of the API, for example V(https://api.us1-mta1.sendclean.net/v1.0/) or a local
        simulator's V(http://127.0.0.1:8025/v1.0/). When both are set, O(api_url) wins over O(app_domain), also when
        one is set on the task and the other in C(module_defaults) (Ansible merges the two before the module runs).
      - When neither O(app_domain) nor O(api_url) is set, E(SENDCLEAN_API_URL) is used (see O(app_domain)).
      - An C(http://) URL works but warns, since the token travels in every request body; use it only for a test
        endpoint.
      - Requests go through the proxy that E(HTTPS_PROXY) (E(HTTP_PROXY) for an C(http) URL) names, unless
        E(NO_PROXY) lists the host, as the Python library C(requests) reads them; for an C(https) URL the proxy
        only relays a C(CONNECT) tunnel and never sees the token.
    type: str
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Set V(false) only for a test endpoint; the module warns.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to trust instead of the CA bundle of C(requests), for an API behind a private CA
        or a TLS-intercepting proxy. It is the only trust anchor then, whatever E(REQUESTS_CA_BUNDLE) says.
      - If not set, the value of the E(SENDCLEAN_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the API to answer one request.
    type: float
    default: 30
  retries:
    description:
      - How many times a failed request is repeated when repeating is safe, with capped exponential backoff
        that honours C(Retry-After).
      - Each repeat warns, naming the call, the attempt, the cause and the wait; when the last attempt fails too, the
        error says how many attempts were made over how many seconds.
      - Listing and editing users are repeated on connection errors, timeouts, HTTP 429, 500, 502, 503 and 504, and
        replies that are not the API's.
      - Creating a user and resetting a password are repeated only when the request never left (the connection,
        the proxy or the TLS handshake failed) or the service answered HTTP 429, which refuses a request unprocessed.
        After any other failure of those two the users are listed again; the module adopts the user or the password
        the write made, and only when the list shows it was not applied sends the create or the reset a second time.
    type: int
    default: 3
'''

    ACTIONGROUP = r'''
attributes:
  action_group:
    description: Use C(group/sendclean.mta.sendclean) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - sendclean.mta.sendclean
'''
