package io.sniproxy.config;

import java.util.List;
import java.util.Optional;

/**
 * One bound socket: TCP for tls/http/auto, UDP for quic. With {@code acceptProxyProtocol} set, peers
 * in {@code trustedProxies} (a balancer in front) must start with a PROXY header naming the real
 * client; a header from anyone else is refused.
 */
public record Listener(String name, HostPort address, Protocol protocol, Optional<Backend> defaultBackend,
        AcceptProxyProtocol acceptProxyProtocol, List<Cidr> trustedProxies) {

    public Listener {
        trustedProxies = List.copyOf(trustedProxies);
    }

    /** A listener that reads no PROXY header: clients connect to it directly. */
    public Listener(String name, HostPort address, Protocol protocol, Optional<Backend> defaultBackend) {
        this(name, address, protocol, defaultBackend, AcceptProxyProtocol.NONE, List.of());
    }

    public int port() {
        return address.port().orElseThrow();
    }
}
