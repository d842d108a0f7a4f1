package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The server connection IDs of a listener's open sessions, for finding the session of a
 * short-header datagram that arrives from an address the listener does not know (a NAT
 * rebinding). Shared by the listener's sockets: with SO_REUSEPORT the kernel may hand the new
 * address to another socket than the old one. A short header does not say how long its ID is,
 * so a lookup tries each length some indexed ID has.
 *
 * <p>Bounded: an ID is indexed for at most {@link #MAX_OWNERS_PER_ID} sessions (two backends that
 * chose the same ID; past that it is not indexed for more), each session indexes a few IDs
 * ({@link SessionConnectionIds}), and sessions are bounded by {@code limits.maxUdpSessions}. A
 * datagram whose ID matches more than one session is {@link Match.Ambiguous}: the proxy cannot
 * tell which connection it belongs to and follows none.
 */
final class ConnectionIdIndex<T> {

    static final int MAX_OWNERS_PER_ID = 4;

    /** What a datagram's destination ID matched. */
    sealed interface Match<T> {
    }

    record None<T>() implements Match<T> {
    }

    record One<T>(T owner) implements Match<T> {
    }

    record Ambiguous<T>() implements Match<T> {
    }

    private final ConcurrentHashMap<ConnectionId, List<T>> owners = new ConcurrentHashMap<>();
    private final AtomicIntegerArray perLength = new AtomicIntegerArray(ConnectionId.MAX_LENGTH + 1);

    /**
     * Indexes {@code id} for {@code owner}; false when it is not (an empty ID routes nothing, or the
     * ID already has {@link #MAX_OWNERS_PER_ID} owners).
     */
    boolean add(ConnectionId id, T owner) {
        if (id.length() == 0) {
            return false;
        }
        boolean[] added = {false};
        owners.compute(id, (k, list) -> {
            if (list == null) {
                added[0] = true;
                return List.of(owner);
            }
            if (list.contains(owner) || list.size() >= MAX_OWNERS_PER_ID) {
                return list;
            }
            List<T> more = new ArrayList<>(list);
            more.add(owner);
            added[0] = true;
            return List.copyOf(more);
        });
        if (added[0]) {
            perLength.incrementAndGet(id.length());
        }
        return added[0];
    }

    /** Removes what {@link #add} indexed; anything else is ignored. */
    void remove(ConnectionId id, T owner) {
        boolean[] removed = {false};
        owners.computeIfPresent(id, (k, list) -> {
            if (!list.contains(owner)) {
                return list;
            }
            removed[0] = true;
            List<T> rest = new ArrayList<>(list);
            rest.remove(owner);
            return rest.isEmpty() ? null : List.copyOf(rest);
        });
        if (removed[0]) {
            perLength.decrementAndGet(id.length());
        }
    }

    /** The owner of the ID that starts at absolute index {@code at} of {@code datagram}. */
    Match<T> find(ByteBuf datagram, int at) {
        T found = null;
        for (int length = 1; length <= ConnectionId.MAX_LENGTH && at + length <= datagram.writerIndex(); length++) {
            if (perLength.get(length) == 0) {
                continue;
            }
            List<T> list = owners.get(ConnectionId.of(datagram, at, length));
            if (list == null) {
                continue;
            }
            for (T t : list) {
                if (found == null) {
                    found = t;
                } else if (found != t) {
                    return new Ambiguous<>();
                }
            }
        }
        return found == null ? new None<>() : new One<>(found);
    }

    /** Indexed IDs (each counted once however many owners it has). */
    int size() {
        return owners.size();
    }
}
