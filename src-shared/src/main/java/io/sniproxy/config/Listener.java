package io.sniproxy.config;

import java.util.Optional;

/** One bound socket: TCP for tls/http/auto, UDP for quic. */
public record Listener(String name, HostPort address, Protocol protocol, Optional<Backend> defaultBackend) {

    public int port() {
        return address.port().orElseThrow();
    }
}
