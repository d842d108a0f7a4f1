package io.sniproxy.proxy.quic;

import java.util.Locale;

/** Why a client datagram reached no backend: the {@code reason} label of {@code sniproxy_udp_drops_total}. */
public enum DropReason {
    /** Too short or inconsistent to be a QUIC packet (bad lengths, connection IDs over 20 bytes). */
    MALFORMED,
    /**
     * From an unknown client but not a long-header Initial (0-RTT, Handshake, Retry), or a short header
     * whose destination ID names no open session.
     */
    NOT_INITIAL,
    /** A version the proxy cannot read, or version 0: what would make a server send Version Negotiation. */
    UNSUPPORTED_VERSION,
    /** An Initial datagram under 1,200 bytes (RFC 9000 §14.1: servers must discard it). */
    TOO_SMALL,
    /** Header protection or AEAD failed: not derived from this DCID, or tampered. */
    UNDECRYPTABLE,
    /** Decrypted, but its frames are not ones allowed in an Initial, or are truncated. */
    BAD_FRAMES,
    /** No session slot left ({@code limits.maxUdpSessions}). */
    SESSION_LIMIT,
    /** A new client over {@code limits.perClient} (open sessions or new sessions per second). */
    CLIENT_LIMIT,
    /** A new client on a listener that was removed by a reload or is draining; its open sessions go on. */
    DRAINING,
    /** A pending client sent more than may be buffered before its ClientHello is complete. */
    PENDING_FULL,
    /** The ClientHello is not valid TLS, or larger than {@code limits.maxClientHelloBytes}. */
    BAD_HELLO,
    /** No route for the name (or a refused transparent target): buffered datagrams are dropped. */
    NO_ROUTE,
    /** The ClientHello was not complete within {@code timeouts.clientHello}. */
    HELLO_TIMEOUT,
    /** The backend could not be reached (resolution, socket, ICMP unreachable). */
    BACKEND_FAILED,
    /**
     * A retransmission from a client whose attempt (same address, same original destination ID) was
     * refused within {@code timeouts.clientHello}: dropped at once, no second session.
     */
    REFUSED_RETRANSMIT,
    /** A short header from a new address whose ID named a session that could not take it (see {@link MigrationResult}). */
    MIGRATION_REFUSED,
    /**
     * The socket it was to leave by has a full send queue (Netty's write buffer above its high
     * water mark: the peer or the kernel does not keep up). Dropped, as the kernel drops on a full
     * buffer, instead of queued without bound; a backend's reply to the client counts here too.
     */
    SOCKET_FULL;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
