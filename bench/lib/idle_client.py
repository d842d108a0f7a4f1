#!/usr/bin/env python3
"""Opens N TLS connections (SNI given) through a proxy, holds them idle, closes them on demand.

Opens them in two halves: prints "ready <open> <failed>" after the first half, waits for a line on
stdin, opens the second half and prints "ready <open> <failed>" again (totals), so that the caller
can measure the marginal cost of a connection apart from one-time costs (a JIT warming up, a heap
growing to its working size). Then waits for a line "close" on stdin (or for --hold seconds,
whichever comes first), closes everything and prints "closed". Bounded in count (N) and time (--hold, --connect-timeout): it always ends by itself.
"""
import argparse
import asyncio
import ssl
import sys


async def open_one(host, port, sni, ctx, sem, timeout, conns, failures):
    async with sem:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=ctx, server_hostname=sni), timeout)
            conns.append(writer)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
            failures.append(repr(e))


async def wait_for_close_line(hold):
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), hold)
    except asyncio.TimeoutError:
        pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sni", default="localhost")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--connect-timeout", type=float, default=20.0)
    p.add_argument("--hold", type=float, default=120.0)
    a = p.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # a throwaway self-signed bench cert
    conns, failures = [], []
    sem = asyncio.Semaphore(a.concurrency)
    first = a.count // 2
    for n in (first, a.count - first):
        await asyncio.gather(*(open_one(a.host, a.port, a.sni, ctx, sem, a.connect_timeout, conns, failures)
                               for _ in range(n)))
        print(f"ready {len(conns)} {len(failures)}", flush=True)
        await wait_for_close_line(a.hold)
    if failures:
        print("first failure: " + failures[0], file=sys.stderr, flush=True)
    for w in conns:
        w.transport.abort()  # no close_notify round trips: the proxy sees a plain close
    await asyncio.sleep(0.2)
    print("closed", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
