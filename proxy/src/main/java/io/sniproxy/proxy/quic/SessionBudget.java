package io.sniproxy.proxy.quic;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process's UDP session slots ({@code limits.maxUdpSessions}) and the bytes all pending sessions
 * may buffer together, shared by every QUIC listener: per-session caps alone would let many
 * half-finished handshakes add up to gigabytes.
 */
final class SessionBudget {

    /** All pending sessions together; a browser's hello needs ~2.4 KiB, so this is ~27,000 of them. */
    static final long MAX_PENDING_BYTES_TOTAL = 64L << 20;

    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final long maxPendingBytes;

    SessionBudget() {
        this(MAX_PENDING_BYTES_TOTAL);
    }

    SessionBudget(long maxPendingBytes) {
        this.maxPendingBytes = maxPendingBytes;
    }

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

    /** Reserves buffer space for a pending datagram; false when all pending sessions hold the maximum. */
    boolean tryReserve(int bytes) {
        if (pendingBytes.addAndGet(bytes) > maxPendingBytes) {
            pendingBytes.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /** Gives back what {@link #tryReserve} reserved. */
    void unreserve(long bytes) {
        pendingBytes.addAndGet(-bytes);
    }

    long pendingBytes() {
        return pendingBytes.get();
    }

    int open() {
        return open.get();
    }
}
