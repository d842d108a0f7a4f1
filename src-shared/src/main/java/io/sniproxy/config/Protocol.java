package io.sniproxy.config;

import java.util.Optional;

/** What a listener reads to choose a backend. */
public enum Protocol implements ConfigEnum {
    TLS, HTTP, QUIC, AUTO;

    public static Optional<Protocol> parse(String text) {
        return ConfigEnum.parse(Protocol.class, text);
    }

    /** True for listeners that accept TCP connections; QUIC is UDP. */
    public boolean isTcp() {
        return this != QUIC;
    }
}
