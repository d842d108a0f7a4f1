package io.sniproxy.proxy.quic;

import java.util.concurrent.atomic.AtomicInteger;

/** The process's UDP session slots ({@code limits.maxUdpSessions}), shared by every QUIC listener. */
final class SessionBudget {

    private final AtomicInteger open = new AtomicInteger();

    boolean tryAcquire(int max) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a slot taken by {@link #tryAcquire}; exactly once per slot. */
    void release() {
        open.decrementAndGet();
    }

    int open() {
        return open.get();
    }
}
