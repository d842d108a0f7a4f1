package io.sniproxy.proxy.tcp;

import java.util.Locale;

/** How a connection's routing ended; the {@code outcome} label of {@code sniproxy_connections_total}. */
public enum Outcome {
    ROUTED, NO_ROUTE, BAD_HELLO, TIMEOUT, REFUSED_LIMIT, CONNECT_FAILED;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
