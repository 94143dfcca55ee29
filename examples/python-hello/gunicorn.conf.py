"""gunicorn settings, read from the working directory (/app)."""

import json
import logging
import signal
import sys
import time


class JSONFormatter(logging.Formatter):
    """One JSON object per line on stdout, for log collectors."""

    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


workers = 2
# The root file system is read-only: worker heartbeats go to memory.
worker_tmp_dir = "/dev/shm"
graceful_timeout = 10
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)s'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JSONFormatter}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


def on_starting(server):
    logging.getLogger("hello").info("starting python %s", sys.version.split()[0])


def worker_int(worker):
    logging.getLogger("hello").info("worker %d interrupted", worker.pid)


def on_exit(server):
    # gunicorn's master turns SIGTERM into a graceful stop: workers finish
    # their requests within graceful_timeout, then this runs.
    logging.getLogger("hello").info("stopped after %s", signal.Signals.SIGTERM.name)
