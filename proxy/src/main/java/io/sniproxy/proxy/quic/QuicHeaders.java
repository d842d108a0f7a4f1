package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;

/**
 * The connection IDs a router may read in clear (RFC 8999, the version-independent invariants):
 * a long header carries the destination and source IDs with their lengths; a short header carries
 * only the destination ID, without its length, right after the first byte. Pure functions over the
 * readable bytes of a datagram; they never move its indices and answer null for anything else.
 */
final class QuicHeaders {

    private static final int LONG_HEADER = 0x80;
    private static final int DCID_LENGTH_AT = 5;

    private QuicHeaders() {
    }

    static boolean isShortHeader(ByteBuf datagram) {
        return datagram.isReadable() && (datagram.getByte(datagram.readerIndex()) & LONG_HEADER) == 0;
    }

    /** Where a short-header packet's destination ID starts (its length is the receiver's own choice). */
    static int shortHeaderDcidIndex(ByteBuf datagram) {
        return datagram.readerIndex() + 1;
    }

    /** The destination ID of a long-header packet, or null. */
    static ConnectionId longHeaderDcid(ByteBuf datagram) {
        int at = datagram.readerIndex();
        if (!isLongHeader(datagram)) {
            return null;
        }
        int length = datagram.getUnsignedByte(at + DCID_LENGTH_AT);
        int start = at + DCID_LENGTH_AT + 1;
        if (length > ConnectionId.MAX_LENGTH || start + length > datagram.writerIndex()) {
            return null;
        }
        return ConnectionId.of(datagram, start, length);
    }

    /**
     * The source ID of a long-header packet, or null — also for Version Negotiation (version 0),
     * whose IDs only echo the client's. In a server's Initial, Handshake or Retry packet it is the
     * connection ID the server chose, which the client puts in every later packet it sends.
     */
    static ConnectionId longHeaderScid(ByteBuf datagram) {
        int at = datagram.readerIndex();
        if (!isLongHeader(datagram) || datagram.getInt(at + 1) == 0) {
            return null;
        }
        int dcidLength = datagram.getUnsignedByte(at + DCID_LENGTH_AT);
        int scidLengthAt = at + DCID_LENGTH_AT + 1 + dcidLength;
        if (dcidLength > ConnectionId.MAX_LENGTH || scidLengthAt >= datagram.writerIndex()) {
            return null;
        }
        int length = datagram.getUnsignedByte(scidLengthAt);
        if (length > ConnectionId.MAX_LENGTH || scidLengthAt + 1 + length > datagram.writerIndex()) {
            return null;
        }
        return ConnectionId.of(datagram, scidLengthAt + 1, length);
    }

    private static boolean isLongHeader(ByteBuf datagram) {
        return datagram.readableBytes() > DCID_LENGTH_AT
                && (datagram.getByte(datagram.readerIndex()) & LONG_HEADER) != 0;
    }
}
