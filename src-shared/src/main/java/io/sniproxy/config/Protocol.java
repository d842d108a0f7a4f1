package io.sniproxy.config;

import java.util.Locale;
import java.util.Optional;

/** What a listener reads to choose a backend. */
public enum Protocol {
    TLS, HTTP, QUIC, AUTO;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Protocol> parse(String text) {
        for (Protocol p : values()) {
            if (p.yamlName().equals(text)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** True for listeners that accept TCP connections; QUIC is UDP. */
    public boolean isTcp() {
        return this != QUIC;
    }
}
