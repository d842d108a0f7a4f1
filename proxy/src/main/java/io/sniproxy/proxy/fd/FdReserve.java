package io.sniproxy.proxy.fd;

import io.sniproxy.proxy.metrics.FileDescriptors;

/**
 * The fds the proxy keeps for itself, outside any connection, made explicit: what the process
 * held when the proxy was created (measured once: the JVM, its jars, the event loops' epoll fds,
 * the management interface's socket), one socket per listener per event loop, and a fixed
 * headroom for the management interface's connections (metrics scrapes, probes), DNS queries,
 * config reloads and log files. With this kept free, readiness and metrics keep answering while
 * every connection slot is taken.
 */
public record FdReserve(int baseline, int eventLoops) {

    /** Concurrent management connections (scrapes, kubelet probes, an operator's watchdog). */
    public static final int MANAGEMENT = 32;
    /** Vert.x's DNS resolver (UDP, and TCP for truncated answers). */
    public static final int DNS = 16;
    /** A reload reading the config file, /proc reads of the fd gauges, log files. */
    public static final int HOUSEKEEPING = 16;
    public static final int HEADROOM = MANAGEMENT + DNS + HOUSEKEEPING;

    /** Measures the baseline now: call before the first connection is accepted. */
    public static FdReserve measure(int eventLoops) {
        long open = FileDescriptors.open();
        return new FdReserve((int) Math.max(0, open), eventLoops);
    }

    /** For a config with {@code listeners} listeners (each binds one socket per event loop at most). */
    public int forListeners(int listeners) {
        return baseline + listeners * eventLoops + HEADROOM;
    }
}
