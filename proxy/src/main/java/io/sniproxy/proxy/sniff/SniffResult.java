package io.sniproxy.proxy.sniff;

import java.util.List;
import java.util.Optional;

/**
 * What a sniffer says about the bytes it was shown: wait for more, the routing name was found, or
 * the bytes can never become a valid request. Parsers never throw for any input.
 */
public sealed interface SniffResult {

    /** The bytes so far are a valid prefix; call again with more. */
    record NeedMore() implements SniffResult {
    }

    /** Shared instance: NeedMore carries no state, so the hot path allocates nothing. */
    SniffResult NEED_MORE = new NeedMore();

    /**
     * @param hostname the SNI / Host value as sent, normalised lower-case, trailing dot removed,
     *                 port and IPv6 brackets stripped; empty = complete but no name present
     * @param consumed bytes of the ClientHello records / HTTP head, counted from the readerIndex
     * @param alpn     the ALPN protocol names the client offered, in its order (RFC 7301); empty when
     *                 it offered none or the request is HTTP
     */
    record Found(Optional<String> hostname, int consumed, List<String> alpn) implements SniffResult {

        public Found {
            alpn = List.copyOf(alpn);
        }

        /** A request without ALPN (HTTP, or a hello that offered none). */
        public Found(Optional<String> hostname, int consumed) {
            this(hostname, consumed, List.of());
        }
    }

    /** @param reason a short human-readable cause, fit for a log line (never contains raw input bytes) */
    record Invalid(String reason) implements SniffResult {
    }
}
