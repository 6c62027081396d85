"""The local Stripe stand-in (PyPI localstack-localstripe), bound to 127.0.0.1 only.

Its own CLI listens on every interface and pickles its state to /tmp/localstripe.pickle; here it
listens on 127.0.0.1:<port> and keeps state in memory only, so each local stack starts clean.
"""
import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

store.dump_to_disk = lambda: None  # no shared /tmp file between stacks or runs

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
