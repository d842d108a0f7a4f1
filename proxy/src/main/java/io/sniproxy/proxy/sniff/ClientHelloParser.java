package io.sniproxy.proxy.sniff;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Finds the SNI host_name in a TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2, RFC 6066 §3)
 * without decrypting or terminating anything.
 *
 * <p>Stateless: the caller keeps the bytes and calls again when more arrive, so every prefix of a
 * valid hello answers {@link SniffResult#NEED_MORE} and the full one answers the same
 * {@code Found} however TCP split it. Re-parsing from the start is O(n) per call and n is capped
 * by {@code maxBytes}. Indices are absolute; the caller's readerIndex/writerIndex never move.
 */
public final class ClientHelloParser {

    static final int CONTENT_CHANGE_CIPHER_SPEC = 20;
    static final int CONTENT_ALERT = 21;
    static final int CONTENT_HANDSHAKE = 22;
    static final int HANDSHAKE_CLIENT_HELLO = 1;
    static final int EXT_SERVER_NAME = 0;
    static final int EXT_SIGNATURE_ALGORITHMS = 0x000d;
    static final int EXT_ALPN = 0x0010;
    static final int EXT_SUPPORTED_VERSIONS = 0x002b;
    static final int NAME_TYPE_HOST_NAME = 0;
    static final int RECORD_HEADER = 5;
    static final int HANDSHAKE_HEADER = 4;
    /** TLSCiphertext may carry 2^14 + 2048 bytes (RFC 5246 §6.2.3); plaintext hellos are smaller still. */
    static final int MAX_RECORD = 16384 + 2048;

    private ClientHelloParser() {
    }

    /**
     * Parses a stream of TLS records (a TCP listener) starting at the readerIndex.
     *
     * @param maxBytes cap on the bytes examined: a hello whose records do not fit is Invalid
     * @return NeedMore, Found (consumed = bytes of every record up to and including the one that
     *         completed the ClientHello), or Invalid
     */
    public static SniffResult parseRecords(ByteBuf in, int maxBytes) {
        return parseRecords(in, maxBytes, null);
    }

    /** The JA4 fingerprint ({@code t…}) of the ClientHello records at the readerIndex; empty unless they are Found. */
    public static Optional<String> ja4Records(ByteBuf in, int maxBytes) {
        Ja4 ja4 = new Ja4('t');
        return parseRecords(in, maxBytes, ja4) instanceof SniffResult.Found ? Optional.of(ja4.fingerprint()) : Optional.empty();
    }

    /** The JA4 fingerprint ({@code q…}) of a bare handshake ClientHello, as QUIC carries it. */
    public static Optional<String> ja4Handshake(ByteBuf in, int maxBytes) {
        Ja4 ja4 = new Ja4('q');
        return parseHandshake(in, maxBytes, ja4) instanceof SniffResult.Found ? Optional.of(ja4.fingerprint()) : Optional.empty();
    }

    private static SniffResult parseRecords(ByteBuf in, int maxBytes, Ja4 ja4) {
        final int start = in.readerIndex();
        final int end = in.writerIndex();
        int pos = start;
        int hsSeen = 0;     // handshake bytes in the complete records before pos
        int header = 0;     // the 4-byte handshake header, collected across records if split
        int hsTotal = -1;   // header + ClientHello body, once the header is known
        for (;;) {
            if (pos - start + RECORD_HEADER > maxBytes) {
                return tooLarge(maxBytes);
            }
            int avail = end - pos;
            if (avail < 1) {
                return SniffResult.NEED_MORE;
            }
            int type = in.getUnsignedByte(pos);
            if (type != CONTENT_HANDSHAKE) {
                return notHandshake(type, pos == start);
            }
            if (avail < 2) {
                return SniffResult.NEED_MORE;
            }
            if (in.getUnsignedByte(pos + 1) != 3) {
                return new SniffResult.Invalid("TLS record version is not 3.x");
            }
            if (avail < RECORD_HEADER) {
                return SniffResult.NEED_MORE;
            }
            int len = in.getUnsignedShort(pos + 3);
            if (len == 0 || len > MAX_RECORD) {
                // zero-length handshake fragments are forbidden (RFC 8446 §5.1) and would let a
                // client keep us parsing without progress
                return new SniffResult.Invalid("TLS record length " + len + " out of range");
            }
            int recEnd = pos + RECORD_HEADER + len;
            if (recEnd - start > maxBytes) {
                return tooLarge(maxBytes);
            }
            if (hsTotal < 0) {
                // check the handshake header as soon as its bytes arrive, even in a partial record,
                // so garbage is refused without waiting for a whole record
                int frag = Math.min(len, avail - RECORD_HEADER);
                for (int i = 0; i < frag && hsSeen + i < HANDSHAKE_HEADER; i++) {
                    header = header << 8 | in.getUnsignedByte(pos + RECORD_HEADER + i);
                    if (hsSeen + i == 0 && header != HANDSHAKE_CLIENT_HELLO) {
                        return new SniffResult.Invalid("first handshake message is type " + header + ", not ClientHello");
                    }
                    if (hsSeen + i == HANDSHAKE_HEADER - 1) {
                        hsTotal = HANDSHAKE_HEADER + (header & 0xffffff);
                        if (hsTotal + RECORD_HEADER > maxBytes) {
                            return tooLarge(maxBytes);
                        }
                    }
                }
            }
            if (avail < RECORD_HEADER + len) {
                return SniffResult.NEED_MORE;
            }
            hsSeen += len;
            pos = recEnd;
            if (hsTotal >= 0 && hsSeen >= hsTotal) {
                int consumed = pos - start;
                if (consumed == RECORD_HEADER + hsSeen) {
                    // the common case: the whole hello in one record, parsed in place
                    return parseBody(in, start + RECORD_HEADER + HANDSHAKE_HEADER, hsTotal - HANDSHAKE_HEADER, consumed,
                            ja4);
                }
                return parseBody(gather(in, start, hsTotal), 0, hsTotal - HANDSHAKE_HEADER, consumed, ja4);
            }
        }
    }

    /**
     * Parses a bare handshake-layer ClientHello (type, 3-byte length, body) with no record layer,
     * as carried by QUIC CRYPTO frames. consumed = 4 + the handshake length.
     */
    public static SniffResult parseHandshake(ByteBuf in, int maxBytes) {
        return parseHandshake(in, maxBytes, null);
    }

    private static SniffResult parseHandshake(ByteBuf in, int maxBytes, Ja4 ja4) {
        final int start = in.readerIndex();
        final int avail = in.readableBytes();
        if (avail < 1) {
            return SniffResult.NEED_MORE;
        }
        int type = in.getUnsignedByte(start);
        if (type != HANDSHAKE_CLIENT_HELLO) {
            return new SniffResult.Invalid("handshake message is type " + type + ", not ClientHello");
        }
        if (avail < HANDSHAKE_HEADER) {
            return SniffResult.NEED_MORE;
        }
        int total = HANDSHAKE_HEADER + in.getUnsignedMedium(start + 1);
        if (total > maxBytes) {
            return tooLarge(maxBytes);
        }
        if (avail < total) {
            return SniffResult.NEED_MORE;
        }
        return parseBody(in, start + HANDSHAKE_HEADER, total - HANDSHAKE_HEADER, total, ja4);
    }

    /** Copies the ClientHello body out of its fragments; only for hellos split over records. */
    private static ByteBuf gather(ByteBuf in, int start, int hsTotal) {
        byte[] body = new byte[hsTotal - HANDSHAKE_HEADER];
        int logical = 0; // offset in the handshake stream of the current fragment's first byte
        for (int pos = start; logical < hsTotal; ) {
            int len = in.getUnsignedShort(pos + 3);
            int from = Math.max(logical, HANDSHAKE_HEADER);
            int to = Math.min(logical + len, hsTotal);
            if (to > from) {
                in.getBytes(pos + RECORD_HEADER + from - logical, body, from - HANDSHAKE_HEADER, to - from);
            }
            logical += len;
            pos += RECORD_HEADER + len;
        }
        return Unpooled.wrappedBuffer(body);
    }

    /**
     * Walks the ClientHello body in {@code b[p, p + len)}; all lengths are checked before use.
     * {@code ja4} (null unless a fingerprint was asked for) is filled on the way.
     */
    private static SniffResult parseBody(ByteBuf b, int p, int len, int consumed, Ja4 ja4) {
        final int end = p + len;
        if (end - p < 2 + 32 + 1) {
            return truncated("random");
        }
        if (b.getUnsignedByte(p) != 3) {
            return new SniffResult.Invalid("ClientHello legacy_version is not 3.x");
        }
        p += 2 + 32; // legacy_version, random
        int sessionId = b.getUnsignedByte(p++);
        if (sessionId > 32) {
            return new SniffResult.Invalid("session_id longer than 32 bytes");
        }
        if (end - p < sessionId + 2) {
            return truncated("session_id");
        }
        p += sessionId;
        int suites = b.getUnsignedShort(p);
        p += 2;
        if (suites < 2 || (suites & 1) != 0) {
            return new SniffResult.Invalid("cipher_suites length " + suites + " is not a positive even number");
        }
        if (end - p < suites + 1) {
            return truncated("cipher_suites");
        }
        if (ja4 != null) {
            ja4.legacyVersion(b.getUnsignedShort(p - 2 - 32 - 1 - sessionId - 2));
            ja4.ciphers(u16s(b, p, suites));
        }
        p += suites;
        int compressions = b.getUnsignedByte(p++);
        if (compressions < 1) {
            return new SniffResult.Invalid("no compression methods");
        }
        if (end - p < compressions) {
            return truncated("compression_methods");
        }
        p += compressions;
        if (p == end) {
            return new SniffResult.Found(Optional.empty(), consumed); // SSLv3/TLS 1.0 style: no extensions
        }
        if (end - p < 2) {
            return truncated("extensions");
        }
        int extLen = b.getUnsignedShort(p);
        p += 2;
        if (extLen != end - p) {
            // extensions are the last field; trailing or missing bytes mean a framing error
            return new SniffResult.Invalid("extensions length " + extLen + " does not match the " + (end - p) + " bytes left");
        }
        int count = 0;
        int sni = -1;
        int sniEnd = -1;
        int alpn = -1;
        int alpnEnd = -1;
        for (int q = p; q < end; count++) {
            if (end - q < 4) {
                return truncated("extension header");
            }
            int type = b.getUnsignedShort(q);
            int l = b.getUnsignedShort(q + 2);
            q += 4;
            if (l > end - q) {
                return truncated(String.format("extension 0x%04x", type));
            }
            if (type == EXT_SERVER_NAME) {
                sni = q;
                sniEnd = q + l;
            } else if (type == EXT_ALPN) {
                alpn = q;
                alpnEnd = q + l;
            }
            if (ja4 != null) {
                fingerprintExtension(ja4, b, type, q, l);
            }
            q += l;
        }
        int dup = duplicate(b, p, end, count);
        if (dup >= 0) {
            // RFC 8446 §4.2: at most one extension of each type; two server_names could route two ways
            return new SniffResult.Invalid(String.format("duplicate extension 0x%04x", dup));
        }
        List<String> protocols = List.of();
        if (alpn >= 0) {
            protocols = alpnNames(b, alpn, alpnEnd, ja4);
            if (protocols == null) {
                return new SniffResult.Invalid("ALPN extension malformed");
            }
        }
        if (sni < 0) {
            return new SniffResult.Found(Optional.empty(), consumed, protocols);
        }
        return serverName(b, sni, sniEnd, consumed, protocols);
    }

    /**
     * RFC 7301 §3.1: ProtocolNameList protocol_name_list&lt;2..2^16-1&gt; of ProtocolName&lt;1..2^8-1&gt;.
     * Names are opaque bytes; read as ISO-8859-1, so each byte is one char and nothing is lost.
     * Null when malformed.
     */
    private static List<String> alpnNames(ByteBuf b, int p, int end, Ja4 ja4) {
        if (end - p < 2 || b.getUnsignedShort(p) != end - p - 2 || end - p == 2) {
            return null;
        }
        p += 2;
        List<String> names = new ArrayList<>(2);
        while (p < end) {
            int l = b.getUnsignedByte(p++);
            if (l == 0 || l > end - p) {
                return null;
            }
            if (ja4 != null && names.isEmpty()) {
                byte[] first = new byte[l];
                b.getBytes(p, first);
                ja4.firstAlpn(first);
            }
            names.add(b.toString(p, l, StandardCharsets.ISO_8859_1));
            p += l;
        }
        return names;
    }

    /** What JA4 reads of an extension; its framing inside is checked here, never trusted. */
    private static void fingerprintExtension(Ja4 ja4, ByteBuf b, int type, int q, int l) {
        ja4.extension(type);
        if (type == EXT_SIGNATURE_ALGORITHMS && l >= 2) {
            int n = Math.min(b.getUnsignedShort(q), l - 2) & ~1;
            ja4.signatureAlgorithms(u16s(b, q + 2, n));
        } else if (type == EXT_SUPPORTED_VERSIONS && l >= 1) {
            int n = Math.min(b.getUnsignedByte(q), l - 1) & ~1;
            for (int i = 0; i < n; i += 2) {
                ja4.supportedVersion(b.getUnsignedShort(q + 1 + i));
            }
        }
    }

    private static int[] u16s(ByteBuf b, int p, int bytes) {
        int[] v = new int[bytes / 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getUnsignedShort(p + 2 * i);
        }
        return v;
    }

    /** The repeated extension type, or -1. Sorting keeps hostile hellos with ~16k extensions O(n log n). */
    private static int duplicate(ByteBuf b, int p, int end, int count) {
        if (count < 2) {
            return -1;
        }
        int[] types = new int[count];
        for (int i = 0; p < end; i++) {
            types[i] = b.getUnsignedShort(p);
            p += 4 + b.getUnsignedShort(p + 2);
        }
        Arrays.sort(types);
        for (int i = 1; i < count; i++) {
            if (types[i] == types[i - 1]) {
                return types[i];
            }
        }
        return -1;
    }

    /** RFC 6066 §3: ServerNameList server_name_list&lt;1..2^16-1&gt; of (name_type, HostName&lt;1..2^16-1&gt;). */
    private static SniffResult serverName(ByteBuf b, int p, int end, int consumed, List<String> alpn) {
        if (end - p < 2) {
            return new SniffResult.Invalid("server_name extension is empty");
        }
        int listLen = b.getUnsignedShort(p);
        p += 2;
        if (listLen == 0 || listLen != end - p) {
            return new SniffResult.Invalid("server_name list length " + listLen + " does not match the extension");
        }
        int host = -1;
        int hostEnd = -1;
        while (p < end) {
            if (end - p < 3) {
                return truncated("server_name entry");
            }
            int nameType = b.getUnsignedByte(p);
            int l = b.getUnsignedShort(p + 1);
            p += 3;
            if (l > end - p) {
                return truncated("server_name entry");
            }
            if (nameType == NAME_TYPE_HOST_NAME) {
                if (host >= 0) {
                    return new SniffResult.Invalid("more than one host_name in server_name");
                }
                host = p;
                hostEnd = p + l;
            }
            // other name types: none are defined; RFC 6066 frames them alike, so skip rather than fail
            p += l;
        }
        if (host < 0) {
            return new SniffResult.Found(Optional.empty(), consumed, alpn);
        }
        return Names.found(b, host, hostEnd, consumed, "SNI", alpn);
    }

    private static SniffResult notHandshake(int type, boolean first) {
        String what = switch (type) {
            case CONTENT_ALERT -> "an alert record";
            case CONTENT_CHANGE_CIPHER_SPEC -> "a change_cipher_spec record";
            default -> "content type " + type;
        };
        return new SniffResult.Invalid(first
                ? "not a TLS handshake: " + what
                : "ClientHello interrupted by " + what);
    }

    private static SniffResult truncated(String field) {
        return new SniffResult.Invalid("ClientHello truncated in " + field);
    }

    private static SniffResult tooLarge(int maxBytes) {
        return new SniffResult.Invalid("ClientHello larger than " + maxBytes + " bytes");
    }
}
