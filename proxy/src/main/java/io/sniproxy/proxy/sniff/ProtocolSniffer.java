package io.sniproxy.proxy.sniff;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Classifies the first bytes of an {@code auto} listener's connection. Looks at no more than
 * "OPTIONS ".length() bytes and never moves the caller's indices.
 */
public final class ProtocolSniffer {

    private static final byte[][] METHODS = {
        ascii("GET "), ascii("POST "), ascii("HEAD "), ascii("PUT "), ascii("DELETE "),
        ascii("OPTIONS "), ascii("PATCH "), ascii("CONNECT "), ascii("TRACE "), ascii("PRI "),
    };

    private ProtocolSniffer() {
    }

    /**
     * @return TLS for a handshake record header (0x16, then 0x03 if present), HTTP for a known method followed by a
     *         space, OTHER for anything else (an {@code SSH-} banner, SSLv2, ...), or null while the
     *         bytes are still a prefix of something recognised (e.g. "GE")
     */
    public static SniffedProtocol sniff(ByteBuf in) {
        final int start = in.readerIndex();
        final int avail = in.readableBytes();
        if (avail == 0) {
            return null;
        }
        if (in.getByte(start) == ClientHelloParser.CONTENT_HANDSHAKE) {
            // nothing else plausible starts with 0x16, so one byte decides; the TLS parser checks the rest
            return avail < 2 || in.getByte(start + 1) == 3 ? SniffedProtocol.TLS : SniffedProtocol.OTHER;
        }
        boolean prefix = false;
        for (byte[] m : METHODS) {
            int n = Math.min(avail, m.length);
            int i = 0;
            while (i < n && in.getByte(start + i) == m[i]) {
                i++;
            }
            if (i == m.length) {
                return SniffedProtocol.HTTP;
            }
            prefix |= i == n;
        }
        return prefix ? null : SniffedProtocol.OTHER;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
