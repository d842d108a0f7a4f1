package io.sniproxy.config;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A host (name, IPv4 or IPv6 literal without brackets) and an optional port.
 * Listener addresses always carry a port; a backend may omit it (then the listener's port is used).
 */
public record HostPort(String host, OptionalInt port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
    }

    public static HostPort of(String host, int port) {
        return new HostPort(host, OptionalInt.of(port));
    }

    public boolean isIpv6Literal() {
        return host.indexOf(':') >= 0;
    }

    public int portOr(int fallback) {
        return port.orElse(fallback);
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}, {@code host} or {@code [v6]}; empty when malformed.
     * An IPv6 literal must be in brackets even without a port: {@code 2001:db8::1:443} could be either.
     */
    public static Optional<HostPort> parse(String text, boolean portRequired) {
        if (text == null || text.isEmpty() || text.length() > 300) {
            return Optional.empty();
        }
        String host;
        String portText = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 2) {
                return Optional.empty();
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return Optional.empty();
                }
                portText = rest.substring(1);
            }
            if (host.indexOf(':') < 0) {
                return Optional.empty();
            }
        } else {
            int first = text.indexOf(':');
            int last = text.lastIndexOf(':');
            if (first >= 0 && first != last) {
                return Optional.empty(); // unbracketed IPv6 is ambiguous with a port
            }
            if (first >= 0) {
                host = text.substring(0, first);
                portText = text.substring(first + 1);
            } else {
                host = text;
            }
        }
        if (host.isEmpty()) {
            return Optional.empty();
        }
        if (portText == null) {
            return portRequired ? Optional.empty() : Optional.of(new HostPort(host, OptionalInt.empty()));
        }
        OptionalInt port = parsePort(portText);
        return port.isPresent() ? Optional.of(new HostPort(host, port)) : Optional.empty();
    }

    private static OptionalInt parsePort(String text) {
        if (text.isEmpty() || text.length() > 5) {
            return OptionalInt.empty();
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalInt.empty();
            }
            value = value * 10 + (c - '0');
        }
        return value >= 1 && value <= 65535 ? OptionalInt.of(value) : OptionalInt.empty();
    }

    @Override
    public String toString() {
        String h = isIpv6Literal() ? "[" + host + "]" : host;
        return port.isPresent() ? h + ":" + port.getAsInt() : h;
    }
}
