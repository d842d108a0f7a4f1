package io.sniproxy.proxy.sniff;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** Hostname checks shared by the TLS and HTTP sniffers, done on the bytes so nothing is decoded twice. */
final class Names {

    static final int MAX_NAME = 253;
    static final int MAX_LABEL = 63;

    private Names() {
    }

    /**
     * {@code Found} with the name in {@code b[from, to)}, lower-cased and without one trailing dot,
     * or {@code Invalid} when it is not a plausible DNS name. Letters, digits, '-' and '_' are
     * accepted ('_' appears in real internal names); '*', spaces, controls and non-ASCII are not, so
     * a client can never send a name that looks like a route pattern or smuggles log noise.
     */
    static SniffResult found(ByteBuf b, int from, int to, int consumed, String what) {
        return found(b, from, to, consumed, what, List.of());
    }

    /** As {@link #found(ByteBuf, int, int, int, String)}, with the ALPN names the hello offered. */
    static SniffResult found(ByteBuf b, int from, int to, int consumed, String what, List<String> alpn) {
        if (to > from && b.getByte(to - 1) == '.') {
            to--; // the root label: "example.com." and "example.com" are the same name
        }
        int len = to - from;
        if (len == 0) {
            return new SniffResult.Invalid(what + " hostname is empty");
        }
        if (len > MAX_NAME) {
            return new SniffResult.Invalid(what + " hostname longer than " + MAX_NAME + " characters");
        }
        byte[] out = new byte[len];
        int label = 0;
        for (int i = 0; i < len; i++) {
            int c = b.getByte(from + i) & 0xff;
            if (c == '.') {
                if (label == 0) {
                    return new SniffResult.Invalid(what + " hostname has an empty label");
                }
                label = 0;
            } else {
                if (++label > MAX_LABEL) {
                    return new SniffResult.Invalid(what + " hostname has a label longer than " + MAX_LABEL + " characters");
                }
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    return new SniffResult.Invalid(what + " hostname contains " + describe(c));
                }
            }
            out[i] = (byte) c;
        }
        if (label == 0) {
            return new SniffResult.Invalid(what + " hostname has an empty label");
        }
        return new SniffResult.Found(Optional.of(new String(out, StandardCharsets.ISO_8859_1)), consumed, alpn);
    }

    /** A byte for a reason string: never echo raw control or non-ASCII bytes into logs. */
    static String describe(int c) {
        if (c == ' ') {
            return "a space";
        }
        if (c < 0x20 || c == 0x7f) {
            return String.format("control character 0x%02x", c);
        }
        if (c > 0x7f) {
            return String.format("non-ASCII byte 0x%02x", c);
        }
        return "'" + (char) c + "'";
    }
}
