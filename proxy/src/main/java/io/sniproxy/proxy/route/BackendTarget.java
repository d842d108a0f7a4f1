package io.sniproxy.proxy.route;

import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.proxy.balance.BackendState;
import java.net.InetSocketAddress;

/**
 * A resolved, permitted backend for one connection attempt. {@code label} is what the access log
 * shows (host:port as configured); {@code state} is the backend's shared health and counts, null
 * for a transparent route's address (not a configured backend, so not tracked).
 */
public record BackendTarget(InetSocketAddress address, ProxyProtocol proxyProtocol, String label, BackendState state) {

    public BackendTarget(InetSocketAddress address, ProxyProtocol proxyProtocol, String label) {
        this(address, proxyProtocol, label, null);
    }
}
