package io.sniproxy.config;

import java.util.Locale;
import java.util.Optional;

/** Whether a PROXY protocol header is written to the backend before the client's bytes. */
public enum ProxyProtocol {
    NONE, V1, V2;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ProxyProtocol> parse(String text) {
        for (ProxyProtocol p : values()) {
            if (p.yamlName().equals(text)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
