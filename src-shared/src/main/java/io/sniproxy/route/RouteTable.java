package io.sniproxy.route;

import io.sniproxy.config.Protocol;
import io.sniproxy.config.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Matches a requested hostname (and the ALPN ids the client offered) to a route: exact names first,
 * then the longest {@code *.suffix}; among the routes for the most specific name, one whose
 * {@code alpn} lists an offered id beats one without {@code alpn}, and one whose {@code alpn} lists
 * none of them is skipped, as if absent (so a less specific name may then match). Several matching
 * {@code alpn} routes (a client offering both {@code acme-tls/1} and {@code h2}) are tried in the
 * client's order of preference.
 * {@code *.example.com} matches {@code a.example.com} and {@code a.b.example.com} but not
 * {@code example.com}. Case-insensitive; a trailing dot is ignored; a name with an empty label
 * ({@code .a.example.com}, {@code a..example.com}) matches nothing. Immutable, so a reload swaps
 * the whole table and connections in flight keep the one they started with.
 */
public final class RouteTable {

    private final Map<String, List<Route>> exact = new HashMap<>();
    private final Map<String, List<Route>> wildcardBySuffix = new HashMap<>();

    private RouteTable(List<Route> routes) {
        for (Route route : routes) {
            for (String pattern : route.hostnames()) {
                String n = Hostnames.normalize(pattern);
                if (n.startsWith("*.")) {
                    wildcardBySuffix.computeIfAbsent(n.substring(2), k -> new ArrayList<>(1)).add(route);
                } else {
                    exact.computeIfAbsent(n, k -> new ArrayList<>(1)).add(route);
                }
            }
        }
    }

    public static RouteTable of(List<Route> routes) {
        return new RouteTable(routes);
    }

    /** As {@link #match(String, Protocol, List)} for a client that offered no ALPN (HTTP, or TLS without it). */
    public Optional<Route> match(String hostname, Protocol protocol) {
        return match(hostname, protocol, List.of());
    }

    /**
     * @param offeredAlpn the ALPN protocol ids of the ClientHello, in the client's order; empty when
     *     there were none
     */
    public Optional<Route> match(String hostname, Protocol protocol, List<String> offeredAlpn) {
        if (hostname == null || hostname.isEmpty() || hostname.length() > Hostnames.MAX_LENGTH + 1) {
            return Optional.empty();
        }
        String name = Hostnames.normalize(hostname);
        if (name.isEmpty() || name.length() > Hostnames.MAX_LENGTH || name.charAt(0) == '.' || name.contains("..")) {
            return Optional.empty(); // an empty label: no pattern names it, and no '*' may stand for it
        }
        Route r = best(exact.get(name), protocol, offeredAlpn);
        if (r != null) {
            return Optional.of(r);
        }
        for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
            r = best(wildcardBySuffix.get(name.substring(dot + 1)), protocol, offeredAlpn);
            if (r != null) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** Among one name's routes: the first naming an offered id (client's order), else the first without alpn. */
    private static Route best(List<Route> candidates, Protocol protocol, List<String> offeredAlpn) {
        if (candidates == null) {
            return null;
        }
        for (String id : offeredAlpn) {
            for (Route r : candidates) {
                if (r.appliesTo(protocol) && r.alpn().contains(id)) {
                    return r;
                }
            }
        }
        for (Route r : candidates) {
            if (r.appliesTo(protocol) && r.alpn().isEmpty()) {
                return r;
            }
        }
        return null;
    }
}
