package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sniproxy.config.ProxyProtocol;

/** Whether a PROXY protocol header precedes the client's bytes on the backend connection. */
public enum ProxyProtocolMode {
    @JsonProperty("none") NONE(ProxyProtocol.NONE),
    @JsonProperty("v1") V1(ProxyProtocol.V1),
    @JsonProperty("v2") V2(ProxyProtocol.V2);

    private final ProxyProtocol config;

    ProxyProtocolMode(ProxyProtocol config) {
        this.config = config;
    }

    public ProxyProtocol config() {
        return config;
    }
}
