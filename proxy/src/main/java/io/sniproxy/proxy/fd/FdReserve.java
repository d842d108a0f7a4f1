package io.sniproxy.proxy.fd;

import io.sniproxy.proxy.metrics.FileDescriptors;

/**
 * The fds the proxy keeps for itself, outside any connection, made explicit: what the process
 * held when the proxy was created (measured once: the JVM, the event loops' epoll fds, the
 * management interface's socket, log files), one socket per listener per event loop, and a fixed
 * headroom for the management interface's connections (metrics scrapes, probes), DNS queries,
 * config reloads, class loading and log files. With this kept free, readiness and metrics keep
 * answering while every connection slot is taken.
 *
 * <p>Started as {@code java -jar quarkus-run.jar}, the measurement leaves out the jar files open at
 * that moment: the fast-jar's class loader holds about 60 of them while Quarkus starts and closes
 * them once it has started (97 fds at "ready", 38 a moment later, with one listener). It would
 * open jars again as later traffic loads classes (22 after TLS, HTTP and QUIC connections before
 * the app package's FastJarPreload loaded the trained paths' classes first);
 * {@link #CLASS_LOADING} covers paths the training does not take, instead of whatever start-up
 * happened to hold. Started by the launcher, the classes come from the JVM's
 * class path (bin/sniproxy-classpath.jar, the fast-jar's jars merged into one), whose loader keeps
 * that jar open for good: it is counted.
 */
public record FdReserve(int baseline, int eventLoops) {

    /** Concurrent management connections (scrapes, kubelet probes, an operator's watchdog). */
    public static final int MANAGEMENT = 32;
    /** Vert.x's DNS resolver (UDP, and TCP for truncated answers). */
    public static final int DNS = 16;
    /** A reload reading the config file, /proc reads of the fd gauges, log files. */
    public static final int HOUSEKEEPING = 16;
    /** Jars the class loader opens again (and keeps) to load classes after start-up: 22 measured. */
    public static final int CLASS_LOADING = 32;
    public static final int HEADROOM = MANAGEMENT + DNS + HOUSEKEEPING + CLASS_LOADING;

    /**
     * Measures the baseline now, call before the first connection is accepted: the jars left out
     * unless this class came from the JVM's class path, whose loader keeps its jars open.
     */
    public static FdReserve measure(int eventLoops) {
        return measure(eventLoops, FdReserve.class.getClassLoader() == ClassLoader.getSystemClassLoader());
    }

    /** {@link #measure(int)}, saying whether the open jars stay open (and count) or not. */
    static FdReserve measure(int eventLoops, boolean jarsStayOpen) {
        long open = FileDescriptors.open();
        long jars = jarsStayOpen ? 0 : FileDescriptors.openJars();
        return new FdReserve((int) Math.max(0, open - Math.max(0, jars)), eventLoops);
    }

    /** For a config with {@code listeners} listeners (each binds one socket per event loop at most). */
    public int forListeners(int listeners) {
        return baseline + listeners * eventLoops + HEADROOM;
    }
}
