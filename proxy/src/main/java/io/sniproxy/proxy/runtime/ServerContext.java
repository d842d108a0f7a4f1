package io.sniproxy.proxy.runtime;

import io.sniproxy.proxy.balance.BackendRegistry;
import io.sniproxy.proxy.client.ClientLimits;
import io.sniproxy.proxy.metrics.ProxyMetrics;
import io.sniproxy.proxy.route.BackendSelector;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/** What every listener shares: the config in force, routing, backends and their health, limits, metrics and logging. */
public record ServerContext(
        Vertx vertx,
        Transport transport,
        Supplier<Snapshot> snapshot,
        BackendSelector selector,
        ConnectionRegistry registry,
        ProxyMetrics metrics,
        AccessLogger accessLog,
        BackendRegistry backends,
        ClientLimits clientLimits) {
}
