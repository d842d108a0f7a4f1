package io.sniproxy.config;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * ALPN protocol ids as a route names them ({@code h2}, {@code http/1.1}, {@code acme-tls/1}).
 * RFC 7301 allows any 1-255 bytes; the registered ids are all visible ASCII, and a route that names
 * anything else (a space, a control character, non-ASCII) is a typo, not a protocol.
 */
public final class Alpn {

    public static final int MAX_BYTES = 255;

    private Alpn() {
    }

    /** Why {@code id} cannot be an ALPN protocol id in a route, or empty. */
    public static Optional<String> problem(String id) {
        if (id.isEmpty()) {
            return Optional.of("an ALPN protocol id cannot be empty");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return Optional.of(YamlNode.quote(id) + " is not an ALPN protocol id: only visible ASCII characters "
                        + "(as in h2, http/1.1, acme-tls/1)");
            }
        }
        if (id.getBytes(StandardCharsets.US_ASCII).length > MAX_BYTES) {
            return Optional.of(YamlNode.quote(id) + " is not an ALPN protocol id: at most " + MAX_BYTES + " characters");
        }
        return Optional.empty();
    }
}
