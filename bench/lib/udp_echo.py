#!/usr/bin/env python3
"""UDP echo backend for the datagram-forwarding workload: every datagram goes back to its sender.
Runs until killed (the bench stops it by its pid) or for --max-seconds, whichever comes first."""
import argparse
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, required=True)
p.add_argument("--max-seconds", type=float, default=3600)
a = p.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((a.host, a.port))
s.settimeout(1.0)
deadline = time.monotonic() + a.max_seconds
while time.monotonic() < deadline:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        continue
    s.sendto(data, peer)
