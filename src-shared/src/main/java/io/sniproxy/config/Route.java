package io.sniproxy.config;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hostnames (exact, or {@code *.suffix}) mapped to one or more backends, chosen by {@code balance},
 * optionally probed by {@code healthCheck}. {@code [*]} alone is transparent: connect to the name the
 * client asked for (its resolved addresses are then the backends). An empty {@code protocols} set
 * means every listener protocol; an empty {@code alpn} list means whatever the client offers.
 */
public record Route(List<String> hostnames, List<Backend> backends, Balance balance, Optional<HealthCheck> healthCheck,
        List<String> alpn, Set<Protocol> protocols, ProxyProtocol proxyProtocol) {

    public Route {
        hostnames = List.copyOf(hostnames);
        backends = List.copyOf(backends);
        alpn = List.copyOf(alpn);
        protocols = Set.copyOf(protocols);
    }

    /** The one-backend form ({@code backend:} in the file), round-robin, no health check, any ALPN. */
    public Route(List<String> hostnames, Backend backend, Set<Protocol> protocols, ProxyProtocol proxyProtocol) {
        this(hostnames, List.of(backend), Balance.DEFAULT, Optional.empty(), List.of(), protocols, proxyProtocol);
    }

    public boolean appliesTo(Protocol protocol) {
        return protocols.isEmpty() || protocols.contains(protocol);
    }

    /** {@code backend: "*"}: the client's own name is dialled. */
    public boolean isTransparent() {
        return backends.size() == 1 && backends.get(0) instanceof Backend.Transparent;
    }

    /**
     * Whether this route takes a client that offered {@code offered} (ALPN protocol ids, in the
     * client's order): a route without {@code alpn} takes any client, one with it only a client that
     * offers one of its ids.
     */
    public boolean acceptsAlpn(Collection<String> offered) {
        if (alpn.isEmpty()) {
            return true;
        }
        for (String id : offered) {
            if (alpn.contains(id)) {
                return true;
            }
        }
        return false;
    }
}
