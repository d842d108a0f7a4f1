package io.sniproxy.config;

/** Caps that keep a hostile or overloaded world from exhausting memory or file descriptors. */
public record Limits(int maxConnections, int maxClientHelloBytes, int maxUdpSessions) {

    public static final Limits DEFAULTS = new Limits(50_000, 65_536, 10_000);
}
