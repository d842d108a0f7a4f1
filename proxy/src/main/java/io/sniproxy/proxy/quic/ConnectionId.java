package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/** A QUIC connection ID (0 to 20 bytes), compared by value; a key in the proxy's lookup tables. */
final class ConnectionId {

    static final int MAX_LENGTH = 20;

    private final byte[] bytes;
    private final int hash;

    private ConnectionId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** A copy of {@code length} bytes of {@code buf} at absolute index {@code at}. */
    static ConnectionId of(ByteBuf buf, int at, int length) {
        byte[] b = new byte[length];
        buf.getBytes(at, b);
        return new ConnectionId(b);
    }

    static ConnectionId of(byte[] bytes) {
        return new ConnectionId(bytes.clone());
    }

    int length() {
        return bytes.length;
    }

    /** Whether {@code buf} holds exactly these bytes at absolute index {@code at}. */
    boolean matches(ByteBuf buf, int at) {
        if (at < 0 || at + bytes.length > buf.writerIndex()) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if (buf.getByte(at + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectionId c && c.hash == hash && Arrays.equals(c.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
