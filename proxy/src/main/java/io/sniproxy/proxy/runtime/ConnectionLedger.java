package io.sniproxy.proxy.runtime;

import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The books of one client connection (TCP) or session (QUIC), kept in one place for both: the
 * outcome (counted once: the first that applies), the bytes (the listener's counters and this
 * connection's totals), where it went, and at the end, exactly once, the slot given back and the
 * access-log line. Touched only on the connection's event loop.
 */
public final class ConnectionLedger {

    private final ServerContext server;
    private final ListenerMeters meters;
    private final Snapshot snapshot;
    private final String listener;
    private Object client;
    private final Runnable release;
    private final long startNanos = System.nanoTime();

    private Outcome outcome;
    private long bytesUp;
    private long bytesDown;
    private String name;
    private String alpn;
    private String ja4;
    private String backend;
    private boolean closed;

    /**
     * @param client  the client's address (made a string only for the access log)
     * @param release gives back what was taken for this connection when it was admitted (its slot
     *                in the registry, the active gauge); run once, by {@link #close}
     */
    public ConnectionLedger(ServerContext server, ListenerMeters meters, Snapshot snapshot, String listener,
            Object client, Runnable release) {
        this.server = server;
        this.meters = meters;
        this.snapshot = snapshot;
        this.listener = listener;
        this.client = client;
        this.release = release;
    }

    /** Counts {@code o} unless an outcome was counted already. */
    public void outcome(Outcome o) {
        if (outcome == null && o != null) {
            outcome = o;
            meters.outcome(o);
        }
    }

    public void up(long n) {
        bytesUp += n;
        meters.bytes(n, 0);
    }

    public void down(long n) {
        bytesDown += n;
        meters.bytes(0, n);
    }

    /** The server name the client asked for (null: none). */
    public void name(String hostname) {
        name = hostname;
    }

    /** The real client named by a trusted PROXY header, instead of the peer (the balancer). */
    public void client(Object realClient) {
        client = realClient;
    }

    /** The ALPN ids the client offered (empty: none). */
    public void alpn(List<String> offered) {
        alpn = offered.isEmpty() ? null : String.join(",", offered);
    }

    public void ja4(String fingerprint) {
        ja4 = fingerprint;
    }

    /** The backend chosen, as configured (e.g. {@code 10.0.0.5:8443}). */
    public void backend(String label) {
        backend = label;
    }

    public String name() {
        return name;
    }

    public void connectTime(long nanos) {
        meters.connectTime(nanos);
    }

    /**
     * Ends the books, once: counts {@code ifNone} if no outcome was counted yet, gives the slot back
     * and writes the access-log line. Later calls do nothing.
     */
    public void close(Outcome ifNone, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        outcome(ifNone);
        release.run();
        if (snapshot.config().accessLog().enabled()) { // the entry's strings are not free: build it only when wanted
            server.accessLog().log(snapshot, new AccessLogger.Entry(String.valueOf(client), listener, name, alpn, ja4,
                    backend, outcome.label(), reason, bytesUp, bytesDown,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos)));
        }
    }
}
