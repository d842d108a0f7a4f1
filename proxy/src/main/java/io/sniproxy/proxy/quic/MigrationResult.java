package io.sniproxy.proxy.quic;

import java.util.Locale;

/**
 * What became of a short-header datagram from an address the listener did not know, or of the
 * path it opened: the {@code result} label of {@code sniproxy_udp_migrations_total}. A datagram
 * whose connection ID matches no session is not a migration; it is dropped as {@code not_initial}.
 */
public enum MigrationResult {
    /** Its ID named one open session: a new path (a new backend socket) now carries the new address. */
    MIGRATED,
    /** Its ID matched more than one session: followed by none. */
    AMBIGUOUS,
    /** The session already has {@link QuicSession#MAX_PATHS} paths, all answered by the backend. */
    PATH_LIMIT,
    /** No session slot for the new path's socket ({@code limits.maxUdpSessions}). */
    SESSION_LIMIT,
    /** The session ended while the datagram was on its way to it. */
    CLOSED,
    /** The OS gave no socket for the new path, or it failed to connect. */
    BACKEND_FAILED,
    /**
     * A migrated path ended (expired, or made room for a newer claim) without the backend ever
     * sending on it: a claim the backend did not take up (a spoofed or replayed datagram, or a client
     * that moved on again at once).
     */
    UNANSWERED;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
