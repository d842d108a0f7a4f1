package io.sniproxy.proxy.balance;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the proxy knows of one configured backend ({@code host:port} as written), shared by every
 * route and config generation that names it: up or down, connections open through it, connects
 * that failed. Thread-safe; read on every selection, so reads are plain volatile loads.
 *
 * <p>Passive health: a failed connect marks it down at once. Without active checks it is tried
 * again after {@link #PASSIVE_RETRY_NANOS} (as nginx's {@code fail_timeout}); with them, only
 * {@code rise} successful probes in a row bring it back (as HAProxy's {@code observe layer4}).
 * A down backend stays a last resort: when every backend of a route is down, they are still tried,
 * so a route never refuses on stale health alone.
 */
public final class BackendState {

    public static final long PASSIVE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String label;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean up = true;
    private volatile long downSince;
    private volatile boolean actively;
    private int successes; // consecutive probe results, under this
    private int misses;

    public BackendState(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Whether a new connection should prefer this backend now. */
    public boolean available(long nowNanos) {
        return up || (!actively && nowNanos - downSince >= PASSIVE_RETRY_NANOS);
    }

    public boolean up() {
        return up;
    }

    public int open() {
        return open.get();
    }

    public long connections() {
        return connections.get();
    }

    public long failures() {
        return failures.get();
    }

    /** Whether active checks decide when it is back (set while a health check runs for it). */
    void activelyChecked(boolean on) {
        actively = on;
    }

    /** A client connection reached it: it is up (whatever a probe said last), and holds one more connection. */
    public Lease connected() {
        synchronized (this) {
            misses = 0;
            if (!up && !actively) {
                up = true;
            }
        }
        connections.incrementAndGet();
        open.incrementAndGet();
        return new Lease();
    }

    /** A client's connect to it failed (refused, reset, timed out): down at once. */
    public void connectFailed(long nowNanos) {
        failures.incrementAndGet();
        synchronized (this) {
            successes = 0;
            if (up) {
                up = false;
                downSince = nowNanos;
            }
        }
    }

    /** One active probe's result; {@code rise} successes in a row bring it up, {@code fall} misses take it down. */
    void probed(boolean ok, int rise, int fall, long nowNanos) {
        synchronized (this) {
            if (ok) {
                misses = 0;
                if (!up && ++successes >= rise) {
                    up = true;
                    successes = 0;
                }
            } else {
                successes = 0;
                if (up && ++misses >= fall) {
                    up = false;
                    downSince = nowNanos;
                    misses = 0;
                }
            }
        }
    }

    /** One connection's hold on {@link #open()}; closed exactly once (more calls are ignored). */
    public final class Lease implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            open.decrementAndGet();
        }
    }

    @Override
    public String toString() {
        return label + (up ? " up" : " down") + " open=" + open.get();
    }
}
