package io.sniproxy.proxy.proxyprotocol;

import static io.sniproxy.proxy.proxyprotocol.ProxyProtocolWire.V1_MAX_LINE;
import static io.sniproxy.proxy.proxyprotocol.ProxyProtocolWire.V1_PREFIX;
import static io.sniproxy.proxy.proxyprotocol.ProxyProtocolWire.V2_HEADER;
import static io.sniproxy.proxy.proxyprotocol.ProxyProtocolWire.V2_SIGNATURE;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the PROXY protocol header (v1 text line or v2 binary block, HAProxy's proxy-protocol.txt)
 * that a balancer in front writes before the client's own bytes.
 *
 * <p>Pure, like the sniffers: no I/O, no DNS (addresses are literals), no exceptions for any input,
 * the caller's indices untouched; every prefix of a header answers NeedMore and the whole one the same
 * Found however TCP split it. Bytes that cannot begin a header answer Absent as soon as one byte
 * decides it, so a listener that does not require a header loses no time on a direct client.
 */
public final class ProxyHeaderParser {

    private static final byte[] V1 = V1_PREFIX.getBytes(StandardCharsets.US_ASCII);

    private ProxyHeaderParser() {
    }

    /**
     * @param maxBytes cap on the header (a v2 length field beyond it is Invalid); the v1 line is
     *                 capped by the specification at 107 bytes
     */
    public static ProxyHeaderResult parse(ByteBuf in, int maxBytes) {
        int start = in.readerIndex();
        int avail = in.readableBytes();
        if (avail == 0) {
            return ProxyHeaderResult.NEED_MORE;
        }
        if (prefixMatches(in, start, avail, V2_SIGNATURE)) {
            return avail < V2_SIGNATURE.length ? ProxyHeaderResult.NEED_MORE : v2(in, start, avail, maxBytes);
        }
        if (prefixMatches(in, start, avail, V1)) {
            return avail < V1.length ? ProxyHeaderResult.NEED_MORE : v1(in, start, avail);
        }
        return ProxyHeaderResult.ABSENT;
    }

    private static boolean prefixMatches(ByteBuf in, int start, int avail, byte[] prefix) {
        int n = Math.min(avail, prefix.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(start + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    // ---- v1: "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" ---------------------------------

    private static ProxyHeaderResult v1(ByteBuf in, int start, int avail) {
        int limit = Math.min(avail, V1_MAX_LINE);
        int cr = -1;
        for (int i = V1.length; i < limit; i++) {
            int c = in.getUnsignedByte(start + i);
            if (c == '\r') {
                cr = i;
                break;
            }
            if (c < 0x20 || c > 0x7e) {
                return invalid("v1 header has a non-printable byte");
            }
        }
        if (cr < 0) {
            return avail >= V1_MAX_LINE ? invalid("v1 header longer than " + V1_MAX_LINE + " bytes")
                    : ProxyHeaderResult.NEED_MORE;
        }
        if (cr + 1 >= avail) {
            return ProxyHeaderResult.NEED_MORE;
        }
        if (in.getUnsignedByte(start + cr + 1) != '\n') {
            return invalid("v1 header: CR not followed by LF");
        }
        int consumed = cr + 2;
        String line = in.toString(start + V1.length, cr - V1.length, StandardCharsets.US_ASCII);
        if (line.equals("UNKNOWN") || line.startsWith("UNKNOWN ")) {
            // §2.1: the rest of the line is to be ignored; the connection's own addresses stand
            return new ProxyHeaderResult.Found(1, Optional.empty(), Optional.empty(), consumed, 0);
        }
        String[] f = line.split(" ", -1);
        if (f.length != 5) {
            return invalid("v1 header needs 'TCP4|TCP6 src dst sport dport'");
        }
        boolean v4;
        switch (f[0]) {
            case "TCP4" -> v4 = true;
            case "TCP6" -> v4 = false;
            default -> {
                return invalid("v1 header protocol is neither TCP4, TCP6 nor UNKNOWN");
            }
        }
        InetAddress src = literal(f[1], v4);
        InetAddress dst = literal(f[2], v4);
        if (src == null || dst == null) {
            return invalid("v1 header address is not an " + (v4 ? "IPv4" : "IPv6") + " literal");
        }
        int sport = port(f[3]);
        int dport = port(f[4]);
        if (sport < 0 || dport < 0) {
            return invalid("v1 header port is not a number from 0 to 65535");
        }
        return new ProxyHeaderResult.Found(1, Optional.of(new InetSocketAddress(src, sport)),
                Optional.of(new InetSocketAddress(dst, dport)), consumed, 0);
    }

    private static InetAddress literal(String s, boolean v4) {
        if (v4 ? !NetUtil.isValidIpV4Address(s) : !NetUtil.isValidIpV6Address(s)) {
            return null;
        }
        byte[] b = NetUtil.createByteArrayFromIpAddressString(s);
        return b == null ? null : address(b);
    }

    /** 1–5 decimal digits, no sign, no leading zero (§2.1), at most 65535; -1 otherwise. */
    private static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= 65535 ? v : -1;
    }

    // ---- v2: signature, ver/cmd, family/transport, length, addresses, TLVs --------------------

    private static ProxyHeaderResult v2(ByteBuf in, int start, int avail, int maxBytes) {
        if (avail < V2_HEADER) {
            // version and command are checked as soon as they arrive: garbage is refused early
            if (avail > 12 && (in.getUnsignedByte(start + 12) & 0xf0) != ProxyProtocolWire.V2_VERSION) {
                return invalid("v2 header version is not 2");
            }
            return ProxyHeaderResult.NEED_MORE;
        }
        int verCmd = in.getUnsignedByte(start + 12);
        if ((verCmd & 0xf0) != ProxyProtocolWire.V2_VERSION) {
            return invalid("v2 header version is not 2");
        }
        int command = verCmd & 0x0f;
        if (command != ProxyProtocolWire.V2_CMD_LOCAL && command != ProxyProtocolWire.V2_CMD_PROXY) {
            return invalid("v2 header command " + command + " is neither LOCAL nor PROXY");
        }
        int famTransport = in.getUnsignedByte(start + 13);
        int family = famTransport >> 4;
        int transport = famTransport & 0x0f;
        int length = in.getUnsignedShort(start + 14);
        int total = V2_HEADER + length;
        if (total > maxBytes) {
            return invalid("v2 header of " + total + " bytes is larger than " + maxBytes);
        }
        int addresses = switch (family) {
            case ProxyProtocolWire.V2_AF_UNSPEC -> 0;
            case ProxyProtocolWire.V2_AF_INET -> ProxyProtocolWire.V2_INET_ADDRESSES;
            case ProxyProtocolWire.V2_AF_INET6 -> ProxyProtocolWire.V2_INET6_ADDRESSES;
            case ProxyProtocolWire.V2_AF_UNIX -> ProxyProtocolWire.V2_UNIX_ADDRESSES;
            default -> -1;
        };
        if (addresses < 0 || transport > ProxyProtocolWire.V2_TRANSPORT_DGRAM
                || (family != ProxyProtocolWire.V2_AF_UNSPEC && transport == 0)) {
            return invalid("v2 header family/transport 0x" + Integer.toHexString(famTransport) + " is not defined");
        }
        if (length < addresses) {
            return invalid("v2 header length " + length + " is shorter than its addresses (" + addresses + ")");
        }
        if (avail < total) {
            return ProxyHeaderResult.NEED_MORE;
        }
        int tlvs = countTlvs(in, start + V2_HEADER + addresses, start + total);
        if (tlvs < 0) {
            return invalid("v2 header TLV overruns the header");
        }
        // §2.2: LOCAL (a balancer's own health check) and the families we do not route on keep the
        // connection's own addresses; the datagram transport is read alike, its addresses are addresses
        boolean inet = family == ProxyProtocolWire.V2_AF_INET || family == ProxyProtocolWire.V2_AF_INET6;
        if (command == ProxyProtocolWire.V2_CMD_LOCAL || !inet) {
            return new ProxyHeaderResult.Found(2, Optional.empty(), Optional.empty(), total, tlvs);
        }
        int alen = family == ProxyProtocolWire.V2_AF_INET ? 4 : 16;
        int p = start + V2_HEADER;
        InetAddress src = address(bytes(in, p, alen));
        InetAddress dst = address(bytes(in, p + alen, alen));
        int sport = in.getUnsignedShort(p + 2 * alen);
        int dport = in.getUnsignedShort(p + 2 * alen + 2);
        return new ProxyHeaderResult.Found(2, Optional.of(new InetSocketAddress(src, sport)),
                Optional.of(new InetSocketAddress(dst, dport)), total, tlvs);
    }

    /** Walks type(1) length(2) value TLVs in {@code [p, end)}; their count, or -1 when one overruns. */
    private static int countTlvs(ByteBuf in, int p, int end) {
        int n = 0;
        while (p < end) {
            if (end - p < 3) {
                return -1;
            }
            int len = in.getUnsignedShort(p + 1);
            p += 3;
            if (len > end - p) {
                return -1;
            }
            p += len;
            n++;
        }
        return n;
    }

    private static byte[] bytes(ByteBuf in, int p, int n) {
        byte[] b = new byte[n];
        in.getBytes(p, b);
        return b;
    }

    private static InetAddress address(byte[] b) {
        try {
            return InetAddress.getByAddress(b); // 4 or 16 bytes: never a lookup, never a failure
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static ProxyHeaderResult invalid(String reason) {
        return new ProxyHeaderResult.Invalid(reason);
    }
}
