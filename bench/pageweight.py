"""The front page's weight (HTML plus everything it loads) and its time to first byte."""

from __future__ import annotations

import http.client
import re
import socket
import statistics
import time
import urllib.parse

RESOURCE = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"', re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def fetch(port: int, path: str) -> tuple[int, bytes, str]:
    """GET ``path`` uncompressed; return status, body and content type."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        conn.close()


def weight(port: int, page: str = "/da/") -> dict[str, object]:
    """Bytes of ``page`` and of every stylesheet, script, image and CSS url() it loads."""
    status, html, _ = fetch(port, page)
    assert status == 200, status
    items = {page: len(html)}
    queue = [urllib.parse.urljoin(page, u) for u in RESOURCE.findall(html.decode())]
    while queue:
        path = queue.pop()
        if path in items or not path.startswith("/"):
            continue  # pages link to other pages with <a>, not counted; only loads are
        status, body, kind = fetch(port, path)
        items[path] = len(body)
        if "css" in kind:
            queue += [urllib.parse.urljoin(path, u) for u in CSS_URL.findall(body.decode())
                      if not u.startswith("data:")]
    return {"resources": items, "total_bytes": sum(items.values()), "requests": len(items)}


def ttfb_ms(port: int, path: str = "/da/", rounds: int = 100) -> dict[str, float]:
    """Time from sending a GET on an open connection to the first byte of the answer."""
    samples = []
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    for _ in range(rounds):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            start = time.perf_counter()
            s.sendall(request)
            s.recv(1)
            samples.append((time.perf_counter() - start) * 1000)
            while s.recv(65536):
                pass
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2)}
