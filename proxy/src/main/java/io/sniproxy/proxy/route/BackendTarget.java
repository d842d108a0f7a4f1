package io.sniproxy.proxy.route;

import io.sniproxy.config.ProxyProtocol;
import java.net.InetSocketAddress;

/** A resolved backend for one connection. {@code label} is what the access log shows (host:port as configured). */
public record BackendTarget(InetSocketAddress address, ProxyProtocol proxyProtocol, String label) {
}
