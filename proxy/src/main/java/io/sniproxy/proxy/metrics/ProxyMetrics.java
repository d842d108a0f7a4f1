package io.sniproxy.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * The contract metrics of the TCP data path, per listener. Meters are created once per listener
 * name and looked up by the connection at accept time, so the per-byte path only increments.
 * Hostnames are never labels (unbounded cardinality).
 */
public final class ProxyMetrics {

    private final MeterRegistry registry;
    private final Map<String, ListenerMeters> byListener = new ConcurrentHashMap<>();
    private final Map<String, UdpMeters> udpByListener = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        // A transparent proxy has nothing to pool; the operator's watchdog checks these stay 0.
        Gauge.builder("sniproxy.pool.size", () -> 0).description("Pooled backend connections (always 0)")
                .register(registry);
        Gauge.builder("sniproxy.pool.active.connections", () -> 0)
                .description("Pooled backend connections in use (always 0)").register(registry);
    }

    /**
     * The process-wide connection caps (all listeners share them, like the registry that enforces
     * them): {@code sniproxy_connections_limit} and {@code sniproxy_udp_sessions_limit} are the
     * effective ones (the configured values capped to what the fd limit allows),
     * {@code ..._configured} what the config asks for. Alert when an effective one is below its
     * configured one.
     */
    public void limits(DoubleSupplier connections, DoubleSupplier configuredConnections, DoubleSupplier udpSessions,
            DoubleSupplier configuredUdpSessions) {
        Gauge.builder("sniproxy.connections.limit", connections::getAsDouble)
                .description("Effective limits.maxConnections: the configured value capped to what RLIMIT_NOFILE allows")
                .register(registry);
        Gauge.builder("sniproxy.connections.limit.configured", configuredConnections::getAsDouble)
                .description("limits.maxConnections as configured").register(registry);
        Gauge.builder("sniproxy.udp.sessions.limit", udpSessions::getAsDouble)
                .description("Effective limits.maxUdpSessions: the configured value capped to what RLIMIT_NOFILE allows")
                .register(registry);
        Gauge.builder("sniproxy.udp.sessions.limit.configured", configuredUdpSessions::getAsDouble)
                .description("limits.maxUdpSessions as configured").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public ListenerMeters listener(String name) {
        return byListener.computeIfAbsent(name, n -> new ListenerMeters(registry, n));
    }

    /** The UDP (QUIC) meters of a listener, besides its {@link #listener} outcome and byte counters. */
    public UdpMeters udp(String name) {
        return udpByListener.computeIfAbsent(name, n -> new UdpMeters(registry, n));
    }

    /** Few, fixed buckets: a percentile histogram would export ~70 series per listener. */
    private static final Duration[] CONNECT_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10)
    };

    /** Meters of one listener. */
    public static final class ListenerMeters {
        private final AtomicInteger active = new AtomicInteger();
        private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
        // Added to on every read: a LongAdder, read by Micrometer only when scraped. A Counter of
        // Quarkus's composite registry walked its registries (an iterator per increment): ~3 % of
        // the CPU of a keep-alive request (async-profiler).
        private final LongAdder upstream = new LongAdder();
        private final LongAdder downstream = new LongAdder();
        private final Timer connect;
        private final MeterRegistry registry;
        private final String listener;
        private final Map<String, Counter> acceptErrors = new ConcurrentHashMap<>();

        ListenerMeters(MeterRegistry registry, String listener) {
            this.registry = registry;
            this.listener = listener;
            Gauge.builder("sniproxy.connections.active", active, AtomicInteger::get)
                    .description("Client connections currently open").tag("listener", listener).register(registry);
            for (Outcome o : Outcome.values()) {
                outcomes.put(o, Counter.builder("sniproxy.connections.total")
                        .description("Client connections by how their routing ended")
                        .tags("listener", listener, "outcome", o.label()).register(registry));
            }
            FunctionCounter.builder("sniproxy.bytes.total", upstream, LongAdder::doubleValue).description("Bytes forwarded")
                    .tags("listener", listener, "direction", "upstream").register(registry);
            FunctionCounter.builder("sniproxy.bytes.total", downstream, LongAdder::doubleValue).description("Bytes forwarded")
                    .tags("listener", listener, "direction", "downstream").register(registry);
            connect = Timer.builder("sniproxy.connect").description("Time to resolve and connect a backend")
                    .tag("listener", listener)
                    .serviceLevelObjectives(CONNECT_BUCKETS)
                    .register(registry);
        }

        /**
         * {@code sniproxy_accept_errors_total{listener,reason}}: the OS refused to hand over an
         * accepted connection ({@code emfile}, {@code enfile}, {@code enobufs}, {@code other}).
         * A TCP listener exports every reason from its start, at 0, so that rate() sees the first.
         */
        public void acceptErrors(String reason, int n) {
            acceptErrors.computeIfAbsent(reason, r -> Counter.builder("sniproxy.accept.errors")
                    .description("Accepts the OS refused, by errno").tags("listener", listener, "reason", r)
                    .register(registry)).increment(n);
        }

        public AtomicInteger active() {
            return active;
        }

        public void outcome(Outcome outcome) {
            outcomes.get(outcome).increment();
        }

        public void bytes(long up, long down) {
            if (up > 0) {
                upstream.add(up);
            }
            if (down > 0) {
                downstream.add(down);
            }
        }

        public void connectTime(long nanos) {
            connect.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Sessions and datagrams of a UDP listener: {@code sniproxy_udp_sessions_active},
     * {@code sniproxy_udp_datagrams_total{direction}}, {@code sniproxy_udp_drops_total{reason}} and
     * {@code sniproxy_udp_migrations_total{result}}.
     * Bytes and session outcomes go to the listener's {@code sniproxy_bytes_total} and
     * {@code sniproxy_connections_total} (a QUIC session is the UDP form of a connection).
     */
    public static final class UdpMeters {
        private final MeterRegistry registry;
        private final String listener;
        private final AtomicInteger sessions = new AtomicInteger();
        // Added to per datagram: LongAdders read when scraped, as the byte counters (no composite
        // registry walk per datagram).
        private final LongAdder datagramsUp = new LongAdder();
        private final LongAdder datagramsDown = new LongAdder();
        private final Map<String, Counter> drops = new ConcurrentHashMap<>();
        private final Map<String, Counter> migrations = new ConcurrentHashMap<>();

        UdpMeters(MeterRegistry registry, String listener) {
            this.registry = registry;
            this.listener = listener;
            Gauge.builder("sniproxy.udp.sessions.active", sessions, AtomicInteger::get)
                    .description("UDP (QUIC) client sessions currently open").tag("listener", listener)
                    .register(registry);
            FunctionCounter.builder("sniproxy.udp.datagrams", datagramsUp, LongAdder::doubleValue)
                    .description("Datagrams forwarded").tags("listener", listener, "direction", "upstream")
                    .register(registry);
            FunctionCounter.builder("sniproxy.udp.datagrams", datagramsDown, LongAdder::doubleValue)
                    .description("Datagrams forwarded").tags("listener", listener, "direction", "downstream")
                    .register(registry);
        }

        public AtomicInteger sessions() {
            return sessions;
        }

        public void upstream() {
            datagramsUp.increment();
        }

        public void downstream() {
            datagramsDown.increment();
        }

        /** Counts {@code n} dropped client datagrams; reasons are a small fixed set (the caller's enum). */
        public void drop(String reason, int n) {
            drops.computeIfAbsent(reason, r -> Counter.builder("sniproxy.udp.drops")
                    .description("Client datagrams that reached no backend, by reason (socket_full also counts backend replies the listener socket could not take)")
                    .tags("listener", listener, "reason", r).register(registry)).increment(n);
        }

        /** Counts {@code n} decisions on a client address change; results are a small fixed set (the caller's enum). */
        public void migration(String result, int n) {
            migrations.computeIfAbsent(result, r -> Counter.builder("sniproxy.udp.migrations")
                    .description("Client address changes (NAT rebinding) followed by connection ID, by result")
                    .tags("listener", listener, "result", r).register(registry)).increment(n);
        }
    }
}
