package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sniproxy.config.AcceptProxyProtocol;

/** Whether a listener reads a PROXY protocol header from the balancer in front; spelled as in the file. */
public enum AcceptProxyProtocolMode {
    @JsonProperty("none") NONE(AcceptProxyProtocol.NONE),
    @JsonProperty("v1") V1(AcceptProxyProtocol.V1),
    @JsonProperty("v2") V2(AcceptProxyProtocol.V2),
    @JsonProperty("any") ANY(AcceptProxyProtocol.ANY);

    private final AcceptProxyProtocol config;

    AcceptProxyProtocolMode(AcceptProxyProtocol config) {
        this.config = config;
    }

    public AcceptProxyProtocol config() {
        return config;
    }
}
