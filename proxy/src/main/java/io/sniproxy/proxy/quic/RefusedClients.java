package io.sniproxy.proxy.quic;

import io.sniproxy.proxy.metrics.Outcome;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Clients whose session was refused (no route, not allowed, bad hello, over its per-client limit), by address and the
 * destination ID of their first Initial, for {@code timeouts.clientHello}: a client that hears
 * nothing retransmits its Initials for seconds, and each retransmission would otherwise open a new
 * pending session that holds buffers until it times out and is counted a second time. A new
 * connection attempt (a new destination ID) is judged afresh.
 *
 * <p>One table per listener socket (the kernel sends one client address always to the same
 * socket), touched only on its event loop; at most {@link #MAX_ENTRIES}, the oldest go first.
 */
final class RefusedClients {

    static final int MAX_ENTRIES = 4096;

    /**
     * The outcomes a retransmission would only repeat: the name has no route, the hello is bad, or
     * the client is over {@code limits.perClient} (a retransmission is the same attempt, not a new one).
     */
    static boolean isRefusal(Outcome outcome) {
        return switch (outcome) {
            case NO_ROUTE, BAD_HELLO, REFUSED_CLIENT_LIMIT, REFUSED_RATE -> true;
            default -> false;
        };
    }

    private record Key(InetSocketAddress client, ConnectionId dcid) {
    }

    private final Map<Key, Long> untilNanos = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Long> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** Remembers a refusal until {@code untilNanos} ({@link System#nanoTime} scale). */
    void refuse(InetSocketAddress client, ConnectionId dcid, long nowNanos, long untilNanos) {
        if (dcid == null) {
            return;
        }
        pruneExpired(nowNanos);
        Key key = new Key(client, dcid);
        this.untilNanos.remove(key); // re-inserted at the young end
        this.untilNanos.put(key, untilNanos);
    }

    /** Whether a datagram from {@code client} with {@code dcid} belongs to a refused attempt. */
    boolean isRefused(InetSocketAddress client, ConnectionId dcid, long nowNanos) {
        if (dcid == null || untilNanos.isEmpty()) {
            return false;
        }
        Key key = new Key(client, dcid);
        Long until = untilNanos.get(key);
        if (until == null) {
            return false;
        }
        if (nowNanos - until >= 0) {
            untilNanos.remove(key);
            return false;
        }
        return true;
    }

    boolean isEmpty() {
        return untilNanos.isEmpty();
    }

    int size() {
        return untilNanos.size();
    }

    /** Entries are kept in refusal order; expired ones sit at the old end (one TTL per snapshot). */
    private void pruneExpired(long nowNanos) {
        for (Iterator<Long> it = untilNanos.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next() >= 0) {
                it.remove();
            } else {
                return;
            }
        }
    }
}
