package io.sniproxy.proxy.metrics;

import java.util.Locale;

/**
 * How a client connection or QUIC session ended up; the {@code outcome} label of
 * {@code sniproxy_connections_total}. Each connection counts exactly once, with the first outcome
 * that applies: a routed connection stays {@code routed} however its pipe later ends.
 */
public enum Outcome {
    /** A backend was connected (TCP) or its socket opened (QUIC); the bytes flowed. */
    ROUTED,
    /** No route and no default backend, or a route that must not be used (private, self-loop). */
    NO_ROUTE,
    /** The ClientHello or request head could not be parsed, or was larger than allowed. */
    BAD_HELLO,
    /** No complete hello within {@code timeouts.clientHello}. */
    TIMEOUT,
    /** Refused at accept: {@code limits.maxConnections}/{@code maxUdpSessions} (effective) reached. */
    REFUSED_LIMIT,
    /** The backend could not be resolved or connected within {@code timeouts.connect}. */
    CONNECT_FAILED,
    /** The client closed or reset its side before the connection was routed. */
    CLIENT_CLOSED,
    /** The client sent more than twice {@code limits.maxClientHelloBytes} before the backend connected. */
    TOO_LARGE,
    /** The drain bound (or the listener's end) closed it before it was routed. */
    DRAINED,
    /** The OS refused a socket for it (EMFILE, ENFILE, ENOBUFS): backend socket or DNS query. */
    FD_LIMIT,
    /** Its client already holds {@code limits.perClient.maxConnections} (or the client table is full of live clients). */
    REFUSED_CLIENT_LIMIT,
    /** Its client opened more than {@code limits.perClient.newConnectionsPerSecond} (beyond the burst). */
    REFUSED_RATE,
    /** A PROXY header from a peer outside the listener's {@code trustedProxies}. */
    REFUSED_UNTRUSTED_PROXY;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
