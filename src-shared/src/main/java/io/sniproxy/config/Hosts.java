package io.sniproxy.config;

import io.sniproxy.route.Hostnames;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * The host part of a listener address or a backend: a DNS name, an IPv4 literal or an IPv6 literal.
 * Literals are compared in canonical form, so {@code [::1]} and {@code [0:0:0:0:0:0:0:1]} are one
 * address. Never resolves a name: only strings made of address characters reach {@link InetAddress}.
 */
final class Hosts {

    private Hosts() {
    }

    /** Why {@code host} cannot be dialled or bound, or empty when it is fine. */
    static Optional<String> problem(String host) {
        if (host.indexOf(':') >= 0) {
            return ipv6(host).isPresent() ? Optional.empty()
                    : Optional.of("'" + host + "' is not a valid IPv6 address");
        }
        if (looksNumeric(host)) {
            return ipv4(host).isPresent() ? Optional.empty()
                    : Optional.of("'" + host + "' is not a valid IPv4 address (four numbers 0-255, no leading zeros)");
        }
        return Hostnames.nameProblem(Hostnames.normalize(host))
                .map(p -> "'" + host + "' is not a valid hostname: " + p);
    }

    /** A form in which two spellings of the same address are equal; names are lower-cased. */
    static String canonical(String host) {
        if (host.indexOf(':') >= 0) {
            return ipv6(host).orElse(host.toLowerCase(Locale.ROOT));
        }
        if (looksNumeric(host)) {
            return ipv4(host).orElse(host);
        }
        return Hostnames.normalize(host);
    }

    /** The address an IPv4 or IPv6 literal stands for; empty for a name or a malformed literal. Never looks up. */
    static Optional<InetAddress> literal(String host) {
        Optional<String> text = host.indexOf(':') >= 0 ? ipv6(host) : looksNumeric(host) ? ipv4(host) : Optional.empty();
        try {
            // Only canonical literal text reaches the JDK here, so it parses and never resolves.
            return text.isPresent() ? Optional.of(InetAddress.getByName(text.get())) : Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** The text of the address, as the JDK prints it, or empty when it is not a literal. */
    private static Optional<String> ipv6(String host) {
        char first = host.charAt(0);
        if (first != ':' && Character.digit(first, 16) < 0) {
            return Optional.empty(); // the JDK treats only these starts as literals; anything else it would look up
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                return Optional.empty(); // also refuses zone ids (%eth0): they name an interface of one machine
            }
        }
        try {
            // Only hex digits, ':' and '.', so the JDK parses it as a literal and never looks it up.
            return Optional.of(InetAddress.getByName(host).getHostAddress());
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> ipv4(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                return Optional.empty(); // leading zeros read as octal in some resolvers: refuse the ambiguity
            }
            int v = Integer.parseInt(part);
            if (v > 255) {
                return Optional.empty();
            }
            out.append(out.isEmpty() ? "" : ".").append(v);
        }
        return Optional.of(out.toString());
    }

    /** Digits and dots only: meant as an IPv4 address, since no top-level domain is numeric. */
    private static boolean looksNumeric(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty()) {
            return false;
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if ((c < '0' || c > '9') && c != '.') {
                return false;
            }
        }
        return true;
    }
}
