package io.sniproxy.config;

import java.util.List;

/**
 * The whole configuration file, immutable. Built only by {@link ConfigReader} (which validates) or by
 * code that then calls {@link ConfigValidator}. Pooling is not a field: the file's
 * {@code connectionPool.enabled} may only be false, so there is nothing to carry.
 */
public record ProxyConfig(
        List<Listener> listeners,
        List<Route> routes,
        Timeouts timeouts,
        Limits limits,
        Security security,
        AccessLog accessLog) {

    public ProxyConfig {
        listeners = List.copyOf(listeners);
        routes = List.copyOf(routes);
    }
}
