package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The connection IDs one session has seen in clear: the client's original destination and source
 * IDs (from its first Initial) and the IDs the server chose (the source IDs of the backend's
 * long-header packets, read from the backend's datagrams as they pass). The server's IDs are what
 * the client puts in its short-header packets, so they go into the listener's
 * {@link ConnectionIdIndex}; at most {@link #MAX_SERVER_IDS} per session. Touched on the session's
 * event loop only; {@link #forget} removes everything this session indexed.
 */
final class SessionConnectionIds<T> {

    /** A server picks one ID in its Initial; a Retry adds one. More is not a handshake. */
    static final int MAX_SERVER_IDS = 4;

    private final ConnectionIdIndex<T> index;
    private final T owner;
    private final ConnectionId originalDcid;
    private final ConnectionId clientScid;
    private final List<ConnectionId> server = new ArrayList<>(2);

    /** @param firstDatagram the client's first datagram (an Initial, already decoded) */
    SessionConnectionIds(ConnectionIdIndex<T> index, T owner, ByteBuf firstDatagram) {
        this.index = index;
        this.owner = owner;
        this.originalDcid = QuicHeaders.longHeaderDcid(firstDatagram);
        this.clientScid = QuicHeaders.longHeaderScid(firstDatagram);
    }

    /** The destination ID of the client's first Initial (null if it had none readable). */
    ConnectionId originalDcid() {
        return originalDcid;
    }

    ConnectionId clientScid() {
        return clientScid;
    }

    /** Reads the server's chosen ID from a backend datagram with a long header; cheap for short ones. */
    void learnFromBackend(ByteBuf datagram) {
        if (server.size() >= MAX_SERVER_IDS || QuicHeaders.isShortHeader(datagram)) {
            return;
        }
        ConnectionId id = QuicHeaders.longHeaderScid(datagram);
        if (id != null && !server.contains(id) && index.add(id, owner)) {
            server.add(id);
        }
    }

    List<ConnectionId> server() {
        return List.copyOf(server);
    }

    void forget() {
        for (ConnectionId id : server) {
            index.remove(id, owner);
        }
        server.clear();
    }
}
