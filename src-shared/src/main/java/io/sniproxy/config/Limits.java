package io.sniproxy.config;

import java.util.Optional;

/**
 * Caps that keep a hostile or overloaded world from exhausting memory or file descriptors;
 * {@code perClient} (off when empty) keeps one client from taking them all.
 */
public record Limits(int maxConnections, int maxClientHelloBytes, int maxUdpSessions,
        Optional<PerClientLimits> perClient) {

    public static final Limits DEFAULTS = new Limits(50_000, 65_536, 10_000);

    public Limits(int maxConnections, int maxClientHelloBytes, int maxUdpSessions) {
        this(maxConnections, maxClientHelloBytes, maxUdpSessions, Optional.empty());
    }
}
