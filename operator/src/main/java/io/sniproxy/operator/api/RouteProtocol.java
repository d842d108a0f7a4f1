package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sniproxy.config.Protocol;

/** Listener protocols a route may be limited to ({@code auto} listeners route as tls or http). */
public enum RouteProtocol {
    @JsonProperty("tls") TLS(Protocol.TLS),
    @JsonProperty("http") HTTP(Protocol.HTTP),
    @JsonProperty("quic") QUIC(Protocol.QUIC);

    private final Protocol config;

    RouteProtocol(Protocol config) {
        this.config = config;
    }

    public Protocol config() {
        return config;
    }
}
