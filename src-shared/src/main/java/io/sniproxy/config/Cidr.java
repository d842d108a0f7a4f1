package io.sniproxy.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Optional;

/**
 * A block of addresses, {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is its own block
 * ({@code /32}, {@code /128}). Always in network form: a block with host bits set cannot be built,
 * since {@code 10.0.0.1/8} is more often a typo than a way to write {@code 10.0.0.0/8}.
 */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix /" + prefixLength + " is not 0-" + bits);
        }
        if (!Arrays.equals(network.getAddress(), mask(network.getAddress(), prefixLength))) {
            throw new IllegalArgumentException(network.getHostAddress() + "/" + prefixLength + " has host bits set");
        }
    }

    /**
     * The parsed block, or why the text is not one ({@code problem} continues a sentence that starts
     * with the text). Never resolves a name.
     */
    public static Parsed parse(String text) {
        String hint = " (write a block such as 10.0.0.0/8, fd00::/8, or one address such as 192.168.1.7)";
        if (text == null || text.isEmpty() || text.length() > 64) {
            return new Parsed(Optional.empty(), "is not an address block" + hint);
        }
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
            host = host.substring(1, host.length() - 1);
        }
        Optional<InetAddress> address = Hosts.literal(host);
        if (address.isEmpty()) {
            return new Parsed(Optional.empty(), "is not an address block: '" + host + "' is not an IP address" + hint);
        }
        int bits = address.get().getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}") || (p.length() > 1 && p.charAt(0) == '0') || Integer.parseInt(p) > bits) {
                return new Parsed(Optional.empty(), "is not an address block: the prefix length must be 0-" + bits);
            }
            prefix = Integer.parseInt(p);
        }
        byte[] raw = address.get().getAddress();
        byte[] masked = mask(raw, prefix);
        if (!Arrays.equals(raw, masked)) {
            String network = text(masked);
            return new Parsed(Optional.empty(), "has host bits set; the block is " + network + "/" + prefix
                    + " (or write " + host + " alone for just that address)");
        }
        return new Parsed(Optional.of(new Cidr(address.get(), prefix)), "");
    }

    /** A parse result: the block, or the reason ({@code problem}) it is not one. */
    public record Parsed(Optional<Cidr> cidr, String problem) {
    }

    /**
     * Whether {@code address} lies in this block. An IPv4 client seen on a dual-stack socket as
     * {@code ::ffff:a.b.c.d} counts as the IPv4 address.
     */
    public boolean contains(InetAddress address) {
        byte[] a = unmapped(address.getAddress());
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        return Arrays.equals(mask(a, prefixLength), n);
    }

    private static byte[] unmapped(byte[] a) {
        if (a.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (a[i] != 0) {
                    return a;
                }
            }
            if (a[10] == (byte) 0xff && a[11] == (byte) 0xff) {
                return Arrays.copyOfRange(a, 12, 16);
            }
        }
        return a;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    public boolean isIpv6() {
        return network instanceof Inet6Address;
    }

    public boolean isIpv4() {
        return network instanceof Inet4Address;
    }

    @Override
    public String toString() {
        return text(network.getAddress()) + "/" + prefixLength;
    }

    /** IPv4 dotted, IPv6 in the short form of RFC 5952 ({@code fd00::}, not {@code fd00:0:0:0:0:0:0:0}). */
    private static String text(byte[] a) {
        if (a.length == 4) {
            return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
