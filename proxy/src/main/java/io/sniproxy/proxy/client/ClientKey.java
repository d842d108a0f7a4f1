package io.sniproxy.proxy.client;

import java.net.InetAddress;

/**
 * Who a per-client limit counts: an IPv4 address, or the {@code /prefix} network of an IPv6 address
 * (one host usually holds a whole /64, so counting single IPv6 addresses would count nothing). An
 * IPv4 client seen on a dual-stack socket as {@code ::ffff:a.b.c.d} is that IPv4 address. Two longs,
 * so a table of a few hundred thousand keys costs no per-key arrays.
 */
public record ClientKey(long high, long low) {

    /** Marks an IPv4 key, as the ::ffff:0:0/96 mapped form does: never equal to a masked IPv6 key of a real client. */
    private static final long V4_MARK = 0xffffL << 32;

    public static ClientKey of(InetAddress address, int ipv6Prefix) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return v4(b, 0);
        }
        if (isMapped(b)) {
            return v4(b, 12);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | (b[i] & 0xff);
            lo = lo << 8 | (b[8 + i] & 0xff);
        }
        int p = Math.max(0, Math.min(128, ipv6Prefix));
        hi &= p >= 64 ? -1L : (p == 0 ? 0 : -1L << (64 - p));
        lo &= p <= 64 ? 0 : (p == 128 ? -1L : -1L << (128 - p));
        return new ClientKey(hi, lo);
    }

    private static ClientKey v4(byte[] b, int at) {
        long ip = (b[at] & 0xffL) << 24 | (b[at + 1] & 0xffL) << 16 | (b[at + 2] & 0xffL) << 8 | (b[at + 3] & 0xffL);
        return new ClientKey(0, V4_MARK | ip);
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }
}
