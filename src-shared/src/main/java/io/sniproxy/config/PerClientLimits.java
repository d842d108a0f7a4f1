package io.sniproxy.config;

import java.util.OptionalInt;

/**
 * Limits per client address (IPv6 clients grouped by their {@code /ipv6Prefix} network, since one
 * host usually holds a whole /64): concurrent connections, and new connections per second as a
 * token bucket of {@code burst} tokens refilled at {@code newConnectionsPerSecond}. An absent limit
 * is not enforced; at least one is present.
 */
public record PerClientLimits(OptionalInt maxConnections, OptionalInt newConnectionsPerSecond, OptionalInt burst,
        int ipv6Prefix) {

    public static final int DEFAULT_IPV6_PREFIX = 64;

    /** The bucket size: {@code burst}, or one second's worth of {@code newConnectionsPerSecond}. */
    public OptionalInt bucketSize() {
        return burst.isPresent() ? burst : newConnectionsPerSecond;
    }
}
