package io.sniproxy.config;

import java.util.Optional;

/** Whether a PROXY protocol header is written to the backend before the client's bytes. */
public enum ProxyProtocol implements ConfigEnum {
    NONE, V1, V2;

    public static Optional<ProxyProtocol> parse(String text) {
        return ConfigEnum.parse(ProxyProtocol.class, text);
    }
}
