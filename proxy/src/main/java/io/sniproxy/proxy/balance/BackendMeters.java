package io.sniproxy.proxy.balance;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * Per-backend meters, labelled {@code backend="host:port"} as configured: bounded by the config (a
 * transparent route's resolved addresses are never labels), and removed when a reload drops the
 * backend, so reloads cannot grow the series without bound.
 */
final class BackendMeters {

    private final MeterRegistry registry;
    private final List<Meter> meters;

    BackendMeters(MeterRegistry registry, BackendState s) {
        this.registry = registry;
        String b = s.label();
        this.meters = List.of(
                Gauge.builder("sniproxy.backend.up", s, x -> x.up() ? 1 : 0)
                        .description("1 while the backend is considered up (passive and active health)")
                        .tag("backend", b).register(registry),
                Gauge.builder("sniproxy.backend.connections.active", s, BackendState::open)
                        .description("Client connections currently open to the backend")
                        .tag("backend", b).register(registry),
                FunctionCounter.builder("sniproxy.backend.connections", s, BackendState::connections)
                        .description("Client connections made to the backend").tag("backend", b).register(registry),
                FunctionCounter.builder("sniproxy.backend.failures", s, BackendState::failures)
                        .description("Client connects to the backend that failed (each one marks it down)")
                        .tag("backend", b).register(registry));
    }

    void remove() {
        meters.forEach(registry::remove);
    }
}
