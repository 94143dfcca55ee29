"""A small Flask service that shows what safe-frontend builds for Python.

Logs go through the root logger, which gunicorn.conf.py sets up to write
one JSON object per line to stdout.
"""

import logging
import os
import sys
import uuid

from flask import Flask, jsonify

try:
    # MarkupSafe's C speedups: a compiled wheel that must load here.
    from markupsafe import _speedups

    SPEEDUPS = _speedups.__file__
except ImportError:
    SPEEDUPS = ""


log = logging.getLogger("hello")

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain"}


@app.get("/")
def hello():
    log.info("hello")
    return jsonify(
        message="hello from a hardened image",
        request_id=str(uuid.uuid4()),
        uid=str(os.getuid()),
        python=sys.version.split()[0],
        executable=sys.executable,
        markupsafe_speedups=SPEEDUPS,
    )
