package io.sniproxy.route;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;

/**
 * Hostname rules shared by the proxy (normalising what clients send), the config validator and
 * the operator (validating SniRoute specs). Names are compared lower-case without a trailing dot.
 */
public final class Hostnames {

    public static final int MAX_LENGTH = 253;
    private static final int MAX_LABEL = 63;

    private Hostnames() {
    }

    /** Lower-case, trailing dot removed. Does not validate. */
    public static String normalize(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return n.toLowerCase(Locale.ROOT);
    }

    /**
     * Why {@code pattern} is not a valid route hostname (exact, or {@code *.} followed by a valid name),
     * or empty when it is valid.
     */
    public static Optional<String> patternProblem(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            return Optional.of("hostname is empty");
        }
        String n = normalize(pattern);
        String shown = quote(pattern);
        if (n.startsWith("*.")) {
            return nameProblem(n.substring(2)).map(p -> shown + " is not a valid wildcard hostname: " + p
                    + punycodeHint(pattern));
        }
        if (n.indexOf('*') >= 0) {
            return Optional.of(shown + ": a wildcard must be the whole leftmost label, as in '*.example.com'");
        }
        return nameProblem(n).map(p -> shown + " is not a valid hostname: " + p + punycodeHint(pattern));
    }

    /**
     * Clients send internationalised names in their ASCII (punycode) form, so a route must be written
     * in that form too; say which one, rather than only that a character is not allowed.
     */
    private static String punycodeHint(String pattern) {
        if (pattern.chars().allMatch(c -> c < 0x80)) {
            return "";
        }
        try {
            String ascii = IDN.toASCII(pattern, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            return nameProblem(ascii.startsWith("*.") ? ascii.substring(2) : ascii).isEmpty()
                    ? "; write internationalised names in their punycode form: '" + ascii + "'"
                    : "";
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(text.length(), 80);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        if (text.length() > limit) {
            out.append("...(").append(text.length()).append(" characters)");
        }
        return out.append('\'').toString();
    }

    /** Why an already-normalised name is not a DNS hostname (letters, digits, hyphens), or empty. */
    public static Optional<String> nameProblem(String n) {
        if (n.isEmpty()) {
            return Optional.of("it is empty");
        }
        if (n.length() > MAX_LENGTH) {
            return Optional.of("longer than " + MAX_LENGTH + " characters");
        }
        int labelStart = 0;
        for (int i = 0; i <= n.length(); i++) {
            if (i == n.length() || n.charAt(i) == '.') {
                int len = i - labelStart;
                if (len == 0) {
                    return Optional.of("empty label");
                }
                if (len > MAX_LABEL) {
                    return Optional.of("label longer than " + MAX_LABEL + " characters");
                }
                if (n.charAt(labelStart) == '-' || n.charAt(i - 1) == '-') {
                    return Optional.of("a label starts or ends with '-'");
                }
                labelStart = i + 1;
                continue;
            }
            char c = n.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c >= 'A' && c <= 'Z');
            if (!ok) {
                return Optional.of("character '" + printable(c) + "' is not allowed (letters, digits, '-' and '.')");
            }
        }
        return Optional.empty();
    }

    /** True for a syntactically valid hostname a client may ask for (not a pattern). */
    public static boolean isValidName(String normalized) {
        return nameProblem(normalized).isEmpty();
    }

    /** True when the name is an IPv4 or IPv6 literal rather than a DNS name. */
    public static boolean isIpLiteral(String name) {
        if (name.indexOf(':') >= 0) {
            return true;
        }
        int dots = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return !name.isEmpty();
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }
}
