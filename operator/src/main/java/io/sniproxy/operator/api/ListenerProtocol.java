package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sniproxy.config.Protocol;

/** The listener protocols of the proxy's config file, spelled as in the file. */
public enum ListenerProtocol {
    @JsonProperty("tls") TLS(Protocol.TLS),
    @JsonProperty("http") HTTP(Protocol.HTTP),
    @JsonProperty("quic") QUIC(Protocol.QUIC),
    @JsonProperty("auto") AUTO(Protocol.AUTO);

    private final Protocol config;

    ListenerProtocol(Protocol config) {
        this.config = config;
    }

    public Protocol config() {
        return config;
    }
}
