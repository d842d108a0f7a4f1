package io.sniproxy.proxy.route;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Which resolved addresses a transparent route may reach. A client chooses the name, so without
 * this the proxy would be a door into the network it runs in: loopback, private ranges, link-local
 * (cloud metadata at 169.254.169.254), CGNAT, ULA, multicast and reserved ranges are refused.
 * IPv4-mapped and NAT64-embedded IPv4 addresses are judged by the IPv4 address inside.
 */
public final class AddressPolicy {

    private AddressPolicy() {
    }

    /** Why {@code address} is not a public unicast address, or empty when it is. */
    public static Optional<String> nonPublicReason(InetAddress address) {
        InetAddress a = unwrapEmbeddedIpv4(address);
        if (a.isAnyLocalAddress()) {
            return Optional.of("unspecified address");
        }
        if (a.isLoopbackAddress()) {
            return Optional.of("loopback address");
        }
        if (a.isLinkLocalAddress()) {
            return Optional.of("link-local address (e.g. cloud metadata)");
        }
        if (a.isMulticastAddress()) {
            return Optional.of("multicast address");
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int o0 = b[0] & 0xff;
            int o1 = b[1] & 0xff;
            if (o0 == 10 || (o0 == 172 && (o1 & 0xf0) == 16) || (o0 == 192 && o1 == 168)) {
                return Optional.of("private address");
            }
            if (o0 == 100 && (o1 & 0xc0) == 64) {
                return Optional.of("shared (CGNAT) address");
            }
            if (o0 == 0 || o0 >= 240 || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0)
                    || (o0 == 198 && (o1 & 0xfe) == 18)) {
                return Optional.of("reserved address");
            }
            return Optional.empty();
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return Optional.of("unique-local (private) IPv6 address");
        }
        if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
            return Optional.of("site-local IPv6 address");
        }
        return Optional.empty();
    }

    /** The IPv4 address inside ::ffff:a.b.c.d, ::a.b.c.d and 64:ff9b::a.b.c.d; otherwise the address itself. */
    static InetAddress unwrapEmbeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        boolean zeroPrefix = true;
        for (int i = 0; i < 10; i++) {
            zeroPrefix &= b[i] == 0;
        }
        boolean mapped = zeroPrefix && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = zeroPrefix && b[10] == 0 && b[11] == 0 && !allZero(b, 12, 16) && !isLoopbackTail(b);
        boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff
                && (b[3] & 0xff) == 0x9b && allZero(b, 4, 12);
        if (mapped || compatible || nat64) {
            try {
                return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
            } catch (UnknownHostException e) {
                return address;
            }
        }
        return address;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLoopbackTail(byte[] b) {
        return b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1;
    }
}
