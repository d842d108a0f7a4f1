package io.sniproxy.config;

import java.util.Optional;

/**
 * How a route with several backends picks one for a new connection: in turn, the one with the
 * fewest open connections, or a consistent hash of the client address (a client sticks to one
 * backend while the set of healthy backends is stable).
 */
public enum Balance implements ConfigEnum {
    ROUNDROBIN, LEASTCONN, SOURCE;

    public static final Balance DEFAULT = ROUNDROBIN;

    public static Optional<Balance> parse(String text) {
        return ConfigEnum.parse(Balance.class, text);
    }
}
