package io.sniproxy.proxy.proxyprotocol;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * What {@link ProxyHeaderParser} says about a connection's first bytes. Like the sniffers' results:
 * wait for more, found (with the bytes it took), absent, or invalid. Never thrown, never null.
 */
public sealed interface ProxyHeaderResult {

    /** The bytes so far are a prefix of a PROXY header; call again with more. */
    record NeedMore() implements ProxyHeaderResult {
    }

    ProxyHeaderResult NEED_MORE = new NeedMore();

    /** The bytes cannot begin a PROXY header (they are the client's own protocol). */
    record Absent() implements ProxyHeaderResult {
    }

    ProxyHeaderResult ABSENT = new Absent();

    /**
     * @param version     1 or 2
     * @param source      the client the balancer accepted; empty for v1 {@code UNKNOWN}, v2 {@code LOCAL}
     *                    (the balancer's own health check) and address families other than TCP over IP:
     *                    the connection's own peer address stands
     * @param destination the address the client connected to at the balancer; empty alike
     * @param consumed    header bytes, from the readerIndex, to drop before the client's own bytes
     * @param tlvs        v2 TLVs walked and skipped (0 for v1)
     */
    record Found(int version, Optional<InetSocketAddress> source, Optional<InetSocketAddress> destination,
            int consumed, int tlvs) implements ProxyHeaderResult {
    }

    /** @param reason a short cause fit for a log line (never raw input bytes) */
    record Invalid(String reason) implements ProxyHeaderResult {
    }
}
