package io.sniproxy.config;

import java.util.List;
import java.util.Set;

/**
 * Hostnames (exact, or {@code *.suffix}) mapped to one backend.
 * An empty {@code protocols} set means: every listener protocol.
 */
public record Route(List<String> hostnames, Backend backend, Set<Protocol> protocols, ProxyProtocol proxyProtocol) {

    public Route {
        hostnames = List.copyOf(hostnames);
        protocols = Set.copyOf(protocols);
    }

    public boolean appliesTo(Protocol protocol) {
        return protocols.isEmpty() || protocols.contains(protocol);
    }
}
