"""Prints where it runs from and the versions it runs with: the tests
compare them to uv.lock and check that the package came from /venv."""

import importlib.metadata as md
import json

import idna

import uvpkg


def main():
    print(json.dumps({
        "uvpkg": md.version("uvpkg"),
        "idna": md.version("idna"),
        "six": md.version("six"),
        "module": uvpkg.__file__,
        "greeting": uvpkg.GREETING,
        "encoded": idna.encode("bücher.example").decode(),
    }))
