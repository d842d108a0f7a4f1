package io.sniproxy.proxy.sniff;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Finds the routing host of the first HTTP/1.x request (RFC 9112): the authority of an
 * absolute-form (or CONNECT authority-form) request target, else the Host header.
 *
 * <p>Stateless like {@link ClientHelloParser}: every prefix of a valid head answers NeedMore, and
 * the head is re-scanned from the readerIndex on each call (bounded by {@code maxBytes}). Strict
 * where leniency would let the proxy and the backend disagree about the host (request smuggling):
 * obs-fold, whitespace before the colon, bare CR and conflicting Host headers are refused.
 */
public final class HttpHeadParser {

    /** Longer than any registered method (e.g. BASELINE-CONTROL); stops non-HTTP streams early. */
    static final int MAX_METHOD = 32;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECT = "CONNECT".getBytes(StandardCharsets.US_ASCII);
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private HttpHeadParser() {
    }

    /**
     * @param maxBytes cap on the head (request line, headers, empty line): beyond it, Invalid
     * @return NeedMore, Found (consumed = bytes of the head including the empty line), or Invalid
     */
    public static SniffResult parse(ByteBuf in, int maxBytes) {
        final int start = in.readerIndex();
        final boolean capped = in.writerIndex() - start >= maxBytes;
        final int end = capped ? start + Math.max(maxBytes, 0) : in.writerIndex(); // never look past the cap
        int p = start;
        while (p < end && (in.getByte(p) == CR || in.getByte(p) == LF)) {
            p++; // RFC 9112 §2.2: ignore empty lines before the request line
        }

        // method: checked byte by byte so that a non-HTTP stream fails on its first bytes
        final int method = p;
        for (;; p++) {
            if (p == end) {
                return moreOrTooLarge(capped, maxBytes);
            }
            int c = in.getByte(p) & 0xff;
            if (c == ' ' && p > method) {
                break;
            }
            if (c >= 128 || !TCHAR[c]) {
                return new SniffResult.Invalid("request does not start with an HTTP method (" + Names.describe(c) + ")");
            }
            if (p - method >= MAX_METHOD) {
                return new SniffResult.Invalid("HTTP method longer than " + MAX_METHOD + " characters");
            }
        }
        final int methodEnd = p;

        int lf = in.indexOf(p, end, LF);
        if (lf < 0) {
            return moreOrTooLarge(capped, maxBytes);
        }
        // request-line = method SP request-target SP HTTP-version
        int lineEnd = lf > p && in.getByte(lf - 1) == CR ? lf - 1 : lf;
        final int target = ++p;
        while (p < lineEnd && in.getByte(p) > ' ' && in.getByte(p) < 0x7f) {
            p++;
        }
        final int targetEnd = p;
        if (targetEnd == target || p == lineEnd || in.getByte(p) != ' ') {
            return new SniffResult.Invalid("malformed request line");
        }
        p++;
        if (lineEnd - p != HTTP_1.length + 1 || !startsWith(in, p, HTTP_1)
                || (in.getByte(p + HTTP_1.length) != '0' && in.getByte(p + HTTP_1.length) != '1')) {
            if (lineEnd - p == 8 && in.getByte(p + 5) == '2') {
                return new SniffResult.Invalid("HTTP/2 prior-knowledge connections are not supported");
            }
            return new SniffResult.Invalid("malformed request line (expected HTTP/1.0 or HTTP/1.1)");
        }

        // the request target's authority, if it has one, wins over Host (RFC 9112 §3.2.2)
        int authority = -1;
        int authorityEnd = -1;
        if (isConnect(in, method, methodEnd)) {
            authority = target;
            authorityEnd = targetEnd;
        } else if (in.getByte(target) != '/' && in.getByte(target) != '*') {
            int sep = in.indexOf(target, targetEnd, (byte) ':');
            if (!isScheme(in, target, sep) || targetEnd - sep < 3 || in.getByte(sep + 1) != '/' || in.getByte(sep + 2) != '/') {
                return new SniffResult.Invalid("malformed request target");
            }
            authority = sep + 3;
            authorityEnd = authority;
            while (authorityEnd < targetEnd && "/?#".indexOf(in.getByte(authorityEnd)) < 0) {
                authorityEnd++;
            }
        }
        if (authority >= 0) {
            if (authority == authorityEnd) {
                return new SniffResult.Invalid("request target has an empty host");
            }
            if (in.indexOf(authority, authorityEnd, (byte) '@') >= 0) {
                return new SniffResult.Invalid("request target has userinfo"); // RFC 9110 §4.2.4
            }
        }

        // header fields until the empty line
        int host = -1;
        int hostEnd = -1;
        p = lf + 1;
        for (;;) {
            lf = in.indexOf(p, end, LF);
            if (lf < 0) {
                return moreOrTooLarge(capped, maxBytes);
            }
            lineEnd = lf > p && in.getByte(lf - 1) == CR ? lf - 1 : lf;
            if (lineEnd == p) {
                break;
            }
            int c = in.getByte(p);
            if (c == ' ' || c == '\t') {
                return new SniffResult.Invalid("obsolete line folding in the request head"); // RFC 9112 §5.2
            }
            int name = p;
            while (p < lineEnd && (c = in.getByte(p) & 0xff) < 128 && TCHAR[c]) {
                p++;
            }
            if (p == name || p == lineEnd || c != ':') {
                return new SniffResult.Invalid("malformed header field line"); // incl. space before ':' (RFC 9112 §5.1)
            }
            int nameEnd = p++;
            while (p < lineEnd && isOws(in.getByte(p))) {
                p++;
            }
            int value = p;
            int valueEnd = lineEnd;
            while (valueEnd > value && isOws(in.getByte(valueEnd - 1))) {
                valueEnd--;
            }
            for (int i = value; i < valueEnd; i++) {
                int v = in.getByte(i) & 0xff;
                if (v < 0x20 && v != '\t' || v == 0x7f) {
                    return new SniffResult.Invalid("header field value contains " + Names.describe(v));
                }
            }
            if (isHost(in, name, nameEnd)) {
                if (host < 0) {
                    host = value;
                    hostEnd = valueEnd;
                } else if (!equalsIgnoreCase(in, host, hostEnd, value, valueEnd)) {
                    return new SniffResult.Invalid("two Host headers with different values");
                }
            }
            p = lf + 1;
        }
        int consumed = lf + 1 - start;
        if (authority >= 0) {
            return hostPort(in, authority, authorityEnd, consumed, "request target");
        }
        if (host < 0 || host == hostEnd) {
            // no Host (HTTP/1.0) or an empty one (a target without authority): no name to route by
            return new SniffResult.Found(Optional.empty(), consumed);
        }
        return hostPort(in, host, hostEnd, consumed, "Host");
    }

    /** uri-host [ ":" port ], where uri-host is a DNS name, IPv4 address or bracketed IPv6 literal. */
    private static SniffResult hostPort(ByteBuf b, int from, int to, int consumed, String what) {
        int hostEnd;
        int portStart;
        if (b.getByte(from) == '[') {
            int close = b.indexOf(from, to, (byte) ']');
            if (close < 0) {
                return new SniffResult.Invalid(what + " has an unterminated IPv6 literal");
            }
            if (close + 1 < to && b.getByte(close + 1) != ':') {
                return new SniffResult.Invalid(what + " has bytes after the IPv6 literal");
            }
            SniffResult port = checkPort(b, close + 2, to, what);
            return port != null ? port : ipv6(b, from + 1, close, consumed, what);
        }
        int colon = b.indexOf(from, to, (byte) ':');
        hostEnd = colon < 0 ? to : colon;
        portStart = colon < 0 ? to : colon + 1;
        SniffResult port = checkPort(b, portStart, to, what);
        return port != null ? port : Names.found(b, from, hostEnd, consumed, what);
    }

    /** null when {@code b[from, to)} is a port (up to 5 digits, may be empty per RFC 3986). */
    private static SniffResult checkPort(ByteBuf b, int from, int to, String what) {
        if (to - from > 5) {
            return new SniffResult.Invalid(what + " has an invalid port");
        }
        for (int i = from; i < to; i++) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') {
                return new SniffResult.Invalid(what + " has an invalid port");
            }
        }
        return null;
    }

    private static SniffResult ipv6(ByteBuf b, int from, int to, int consumed, String what) {
        int len = to - from;
        if (len < 2 || len > 45) { // "::" .. "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
            return new SniffResult.Invalid(what + " has an invalid IPv6 literal");
        }
        byte[] out = new byte[len];
        boolean colon = false;
        for (int i = 0; i < len; i++) {
            int c = b.getByte(from + i);
            if (c >= 'A' && c <= 'F') {
                c += 'a' - 'A';
            } else if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.')) {
                return new SniffResult.Invalid(what + " has an invalid IPv6 literal"); // incl. zone ids, IPvFuture
            }
            colon |= c == ':';
            out[i] = (byte) c;
        }
        if (!colon) {
            return new SniffResult.Invalid(what + " has an invalid IPv6 literal");
        }
        return new SniffResult.Found(Optional.of(new String(out, StandardCharsets.ISO_8859_1)), consumed);
    }

    private static SniffResult moreOrTooLarge(boolean capped, int maxBytes) {
        return capped
                ? new SniffResult.Invalid("request head larger than " + maxBytes + " bytes")
                : SniffResult.NEED_MORE;
    }

    /** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); false for an empty or missing one. */
    private static boolean isScheme(ByteBuf b, int from, int to) {
        if (to <= from) {
            return false;
        }
        for (int i = from; i < to; i++) {
            int c = b.getByte(i);
            boolean alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
            if (!alpha && (i == from || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isOws(byte c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isHost(ByteBuf b, int from, int to) {
        return to - from == 4
                && (b.getByte(from) | 0x20) == 'h' && (b.getByte(from + 1) | 0x20) == 'o'
                && (b.getByte(from + 2) | 0x20) == 's' && (b.getByte(from + 3) | 0x20) == 't';
    }

    private static boolean isConnect(ByteBuf b, int from, int to) {
        return to - from == CONNECT.length && startsWith(b, from, CONNECT);
    }

    private static boolean startsWith(ByteBuf b, int at, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (b.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsIgnoreCase(ByteBuf b, int from1, int to1, int from2, int to2) {
        if (to1 - from1 != to2 - from2) {
            return false;
        }
        for (int i = 0; i < to1 - from1; i++) {
            int x = b.getByte(from1 + i);
            int y = b.getByte(from2 + i);
            if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) {
                return false;
            }
        }
        return true;
    }
}
