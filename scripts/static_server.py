#!/usr/bin/env python3
"""Serves the built site the way the README asks a static host to.

Each asset's precompressed twin (`name.br`, else `name.gz`, written by build_site) is sent when
the request's Accept-Encoding allows it, with `Content-Encoding`, the original's `Content-Type`
and `Vary: Accept-Encoding`; `.wasm` is `application/wasm` (streaming compilation needs it).
Files without twins are sent as they are. Used by scripts/serve, the end-to-end checks and the
load benchmark.

    python3 scripts/static_server.py PORT --bind 127.0.0.1 --directory dist
"""
import argparse
import functools
import http.server
import os
import re


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".ts": "text/plain",
    }

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to "dir/"
            path = os.path.join(path, "index.html")
        accept = self.headers.get("Accept-Encoding", "")
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            twin = path + suffix
            if re.search(rf"\b{encoding}\b", accept) and os.path.isfile(twin) and os.path.isfile(path):
                f = open(twin, "rb")
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(path))
                self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
                self.end_headers()
                return f
        return super().send_head()

    def end_headers(self):
        # Every answer depends on Accept-Encoding (a cache must not give a twin to a client
        # that cannot decode it).
        self.send_header("Vary", "Accept-Encoding")
        # A development server: always revalidate, so a rebuild is seen at once.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--directory", default=".")
    a = p.parse_args()
    handler = functools.partial(Handler, directory=a.directory)
    with http.server.ThreadingHTTPServer((a.bind, a.port), handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
