"""The local Stripe stand-in (PyPI localstack-localstripe), bound to 127.0.0.1 only.

Its own CLI listens on every interface and pickles its state to /tmp/localstripe.pickle; here it
listens on 127.0.0.1:<port>, keeps state in memory only (each local stack starts clean), and
registers the shop's webhook endpoint so payment events are delivered, signed, as Stripe would.

    python localstripe_server.py <port> [<webhook url> <webhook signing secret>]
"""
import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app
from localstripe.webhooks import register_webhook

store.dump_to_disk = lambda: None  # no shared /tmp file between stacks or runs

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
if len(sys.argv) > 3:
    register_webhook("ferrocart", sys.argv[2], sys.argv[3], None)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
