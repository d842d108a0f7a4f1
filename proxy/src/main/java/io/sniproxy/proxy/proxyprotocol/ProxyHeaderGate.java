package io.sniproxy.proxy.proxyprotocol;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * What a listener that accepts PROXY headers does with a connection's first bytes. A peer in
 * {@code trustedProxies} (the balancer) must start with a header of an accepted version, and the
 * address in it becomes the client's; any other peer connects directly, and a header from it is
 * refused, since it would let a client claim any address. Pure: the caller holds the bytes.
 */
public final class ProxyHeaderGate {

    /** What to do with the connection so far. */
    public sealed interface Decision {
    }

    /** Not enough bytes to decide. */
    public record Wait() implements Decision {
    }

    public static final Decision WAIT = new Wait();

    /**
     * Go on with the client's own bytes after {@code consumed} header bytes; {@code client} is the
     * real client when a header named one (empty: the peer itself is the client).
     */
    public record Pass(Optional<InetSocketAddress> client, Optional<InetSocketAddress> destination, int consumed)
            implements Decision {
    }

    public static final Decision DIRECT = new Pass(Optional.empty(), Optional.empty(), 0);

    /** Why the connection is refused. */
    public enum Refusal {
        /** A header from a peer outside trustedProxies. */
        UNTRUSTED,
        /** A trusted peer sent no header, a malformed one, or a version the listener does not accept. */
        BAD_HEADER
    }

    public record Refuse(Refusal refusal, String reason) implements Decision {
    }

    private ProxyHeaderGate() {
    }

    /**
     * @param acceptV1 whether the listener takes v1 headers
     * @param acceptV2 whether it takes v2 headers
     * @param trusted  whether the peer is in the listener's trustedProxies
     */
    public static Decision decide(ByteBuf in, boolean acceptV1, boolean acceptV2, boolean trusted, int maxBytes) {
        ProxyHeaderResult r = ProxyHeaderParser.parse(in, maxBytes);
        if (r instanceof ProxyHeaderResult.NeedMore) {
            return WAIT;
        }
        if (!trusted) {
            return r instanceof ProxyHeaderResult.Absent ? DIRECT
                    : new Refuse(Refusal.UNTRUSTED, "PROXY header from a peer outside trustedProxies");
        }
        return switch (r) {
            case ProxyHeaderResult.Absent a -> new Refuse(Refusal.BAD_HEADER,
                    "no PROXY header from a trusted proxy (the listener requires one)");
            case ProxyHeaderResult.Invalid i -> new Refuse(Refusal.BAD_HEADER, "PROXY header: " + i.reason());
            case ProxyHeaderResult.Found f when (f.version() == 1 ? !acceptV1 : !acceptV2) -> new Refuse(
                    Refusal.BAD_HEADER, "PROXY v" + f.version() + " header on a listener that accepts only v"
                            + (acceptV1 ? 1 : 2));
            case ProxyHeaderResult.Found f -> new Pass(f.source(), f.destination(), f.consumed());
            case ProxyHeaderResult.NeedMore n -> WAIT;
        };
    }
}
