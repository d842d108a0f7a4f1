package io.sniproxy.proxy.app;

import java.util.Map;

/**
 * How many event loops the packaged proxy runs: one per core it may use, unless
 * {@code quarkus.vertx.event-loops-pool-size} is set, as a system property or as the environment
 * variable {@code QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE} (Quarkus' own default, two per core, only adds
 * context switches: the data path never blocks).
 *
 * <p>Why not fewer: a busier loop sleeps and wakes in {@code epoll_wait} less often per event, so on
 * two cores shared with clients and backends one loop cost 0.67x the CPU per new connection and 0.86x
 * per MiB of two. But one loop can use one core at most, and it serves a burst one connection after
 * another: keep-alive throughput fell 9 % and the median added latency grew from 83 to 185 us in the
 * same runs (docs/operations.md, "Event loops"). A proxy is sized for its peak, so the default keeps
 * every core usable and leaves the trade to the operator.
 */
final class EventLoops {

    static final String PROPERTY = "quarkus.vertx.event-loops-pool-size";
    static final String ENVIRONMENT = "QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE";

    private EventLoops() {
    }

    /** The default for a process that may use {@code cores} CPUs. */
    static int forCores(int cores) {
        return Math.max(1, cores);
    }

    /** Whether the user chose the count (then Quarkus reads it as usual and nothing is set here). */
    static boolean chosen(Map<String, String> environment) {
        return System.getProperty(PROPERTY) != null || environment.get(ENVIRONMENT) != null;
    }

    /**
     * The count a proxy started now would run: the user's choice where it is a positive number,
     * otherwise the default for this process's cores.
     */
    static int effective(Map<String, String> environment) {
        String chosen = System.getProperty(PROPERTY, environment.get(ENVIRONMENT));
        if (chosen != null) {
            try {
                int n = Integer.parseInt(chosen.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // Quarkus refuses it at start-up with its own message; the estimate uses the default.
            }
        }
        return forCores(Runtime.getRuntime().availableProcessors());
    }
}
