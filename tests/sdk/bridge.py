"""The transport the official Azure SDKs use to reach the playground's engine.

`Bridge` runs `examples/sdk_bridge.rs` (one engine, JSON lines on stdin/stdout). `BridgeTransport`
is an azure-core `HttpTransport`: it carries each request's method, URL, headers and body to the
bridge and hands back the engine's status, headers and body as an azure-core response. It
rewrites nothing: no URL, header or body is changed on the way in or out.

`sleep` is the one other thing a transport does. azure-core asks the transport to sleep whenever
an SDK waits (long-running-operation polls, retries); here the wait becomes virtual time in the
engine (`{"advance": seconds}`), so the simulation waits exactly as long as the SDK would have
and the SDK waits no wall-clock time. See examples/sdk_bridge.rs.

`Bridge.use_virtual_clock()` makes the process live on the engine's clock, as a process run under
faketime would: `time.time()` answers the engine's virtual time. The SDKs read `time.time()` for
the lifetimes of the tokens they cache (MSAL, azure-core's bearer-token policy refreshes a token
five minutes before it expires); the engine checks the same tokens against its virtual clock. A
cluster's creation polls for two virtual hours, so with the wall clock (which barely moves) the
SDK would keep sending a token the engine saw expire an hour earlier. With the virtual clock it
refreshes it exactly as it would in Azure. The SDKs' code is unchanged.
"""

import io
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.parse

import requests
from azure.core.pipeline.transport import HttpTransport, RequestsTransportResponse
from azure.core.rest._requests_basic import RestRequestsTransportResponse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Bridge:
    """One engine behind a subprocess; every SDK client of a run shares it."""

    def __init__(self, exe=None, seed=None):
        exe = exe or os.environ.get("SDK_BRIDGE") or os.path.join(ROOT, "target", "debug", "examples", "sdk_bridge")
        args = [exe] + ([seed] if seed else [])
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        self._lock = threading.Lock()
        self.requests = 0
        self.slept = 0
        self.virtual_now = None

    def _call(self, message):
        with self._lock:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the bridge stopped")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("bridge: " + reply["error"])
        return reply

    def handle(self, method, url, headers, body):
        self.requests += 1
        return self._call({"method": method, "url": url, "headers": headers, "body": body})

    def advance(self, seconds):
        """Moves the virtual clock; answers the virtual time (Unix seconds)."""
        self.virtual_now = self._call({"advance": int(seconds)})["now"]
        return self.virtual_now

    def world(self):
        """The tenant, the subscription and the runbook's service principal (id and secret)."""
        return self._call({"world": None})

    def now(self):
        return self.advance(0)

    def use_virtual_clock(self):
        """`time.time()` answers the engine's clock from now on (see the module's comment)."""
        self.now()
        time.time = lambda: float(self.virtual_now)

    def close(self):
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=30)


def _body_text(request):
    """The request body as the text `requests` would put on the wire."""
    content = getattr(request, "content", None) if hasattr(request, "content") else None
    if content is None:
        content = getattr(request, "body", None)
    if content is None:
        data = getattr(request, "data", None)
        if isinstance(data, dict):
            content = data
    if content is None:
        return None
    if isinstance(content, dict):
        # A form (azure-identity's token requests): requests sends it urlencoded.
        return urllib.parse.urlencode(content)
    if isinstance(content, (bytes, bytearray)):
        return bytes(content).decode("utf-8")
    if hasattr(content, "read"):
        return _as_text(content.read())
    return str(content)


def _as_text(b):
    return b.decode("utf-8") if isinstance(b, (bytes, bytearray)) else b


class BridgeTransport(HttpTransport):
    """Carries bytes between an SDK's pipeline and the engine; changes nothing."""

    def __init__(self, bridge):
        self.bridge = bridge

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def sleep(self, duration):
        # The SDK waits: the simulation's clock moves by as much (whole seconds, rounded up).
        seconds = max(0, math.ceil(duration))
        self.bridge.slept += seconds
        if seconds:
            self.bridge.advance(seconds)

    def send(self, request, **kwargs):
        headers = [[k, v] for k, v in request.headers.items()]
        reply = self.bridge.handle(request.method, request.url, headers, _body_text(request))
        if os.environ.get("SDK_LOG"):
            print(f"  {reply['status']} {request.method} {request.url}", file=sys.stderr)
        raw = requests.Response()
        raw.status_code = reply["status"]
        raw.reason = requests.status_codes._codes.get(reply["status"], ("",))[0].replace("_", " ").title()
        raw.headers = requests.structures.CaseInsensitiveDict(reply["headers"])
        raw.url = request.url
        raw.encoding = "utf-8"
        raw.raw = io.BytesIO(reply["body"].encode("utf-8"))
        if hasattr(request, "content"):  # azure.core.rest.HttpRequest
            response = RestRequestsTransportResponse(request=request, internal_response=raw)
            if not kwargs.get("stream"):
                response.read()
            return response
        return RequestsTransportResponse(request, raw)
