package io.sniproxy.proxy.proxyprotocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sniproxy.config.ProxyProtocol;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * PROXY protocol v1 (text) and v2 (binary) headers, as in HAProxy's specification. An IPv4 client
 * accepted on a dual-stack socket arrives as {@code ::ffff:a.b.c.d}; it is written as TCP4 / AF_INET,
 * never as a mapped IPv6 address, so backends log and filter the real address.
 */
public final class ProxyHeaderEncoder {

    private ProxyHeaderEncoder() {
    }

    /** The header for a connection from {@code client} accepted at {@code local}; null for {@link ProxyProtocol#NONE}. */
    public static ByteBuf encode(ProxyProtocol version, InetSocketAddress client, InetSocketAddress local,
            ByteBufAllocator alloc) {
        if (version == ProxyProtocol.NONE) {
            return null;
        }
        InetAddress src = unmap(client.getAddress());
        InetAddress dst = unmap(local.getAddress());
        if (src instanceof Inet4Address != dst instanceof Inet4Address) {
            // Mixed families cannot be expressed; widen the IPv4 side to IPv6 (only happens with odd binds).
            src = toV6(src);
            dst = toV6(dst);
        }
        return version == ProxyProtocol.V1
                ? v1(src, client.getPort(), dst, local.getPort(), alloc)
                : v2(src, client.getPort(), dst, local.getPort(), alloc);
    }

    private static ByteBuf v1(InetAddress src, int sport, InetAddress dst, int dport, ByteBufAllocator alloc) {
        String family = src instanceof Inet4Address ? "TCP4" : "TCP6";
        String line = ProxyProtocolWire.V1_PREFIX + family + " " + text(src) + " " + text(dst) + " " + sport + " " + dport + "\r\n";
        byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    private static ByteBuf v2(InetAddress src, int sport, InetAddress dst, int dport, ByteBufAllocator alloc) {
        boolean v4 = src instanceof Inet4Address;
        int addressLength = v4 ? ProxyProtocolWire.V2_INET_ADDRESSES : ProxyProtocolWire.V2_INET6_ADDRESSES;
        ByteBuf out = alloc.buffer(ProxyProtocolWire.V2_HEADER + addressLength);
        out.writeBytes(ProxyProtocolWire.V2_SIGNATURE);
        out.writeByte(ProxyProtocolWire.V2_VERSION | ProxyProtocolWire.V2_CMD_PROXY);
        out.writeByte((v4 ? ProxyProtocolWire.V2_AF_INET : ProxyProtocolWire.V2_AF_INET6) << 4
                | ProxyProtocolWire.V2_TRANSPORT_STREAM);
        out.writeShort(addressLength);
        out.writeBytes(src.getAddress());
        out.writeBytes(dst.getAddress());
        out.writeShort(sport);
        out.writeShort(dport);
        return out;
    }

    private static String text(InetAddress a) {
        String s = a.getHostAddress();
        int zone = s.indexOf('%');
        return zone >= 0 ? s.substring(0, zone) : s;
    }

    /** {@code ::ffff:a.b.c.d} → {@code a.b.c.d}; anything else unchanged. */
    public static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return a;
                }
            }
            if ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    return a;
                }
            }
        }
        return a;
    }

    private static InetAddress toV6(InetAddress a) {
        if (a instanceof Inet6Address) {
            return a;
        }
        byte[] b = a.getAddress();
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(b, 0, v6, 12, 4);
        try {
            return Inet6Address.getByAddress(null, v6, -1);
        } catch (UnknownHostException e) {
            return a;
        }
    }
}
