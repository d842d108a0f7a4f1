package io.sniproxy.route;

import io.sniproxy.config.Protocol;
import io.sniproxy.config.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Matches a requested hostname to a route: exact names first, then the longest {@code *.suffix}.
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

    public Optional<Route> match(String hostname, Protocol protocol) {
        if (hostname == null || hostname.isEmpty() || hostname.length() > Hostnames.MAX_LENGTH + 1) {
            return Optional.empty();
        }
        String name = Hostnames.normalize(hostname);
        if (name.isEmpty() || name.length() > Hostnames.MAX_LENGTH || name.charAt(0) == '.' || name.contains("..")) {
            return Optional.empty(); // an empty label: no pattern names it, and no '*' may stand for it
        }
        Route r = first(exact.get(name), protocol);
        if (r != null) {
            return Optional.of(r);
        }
        for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
            r = first(wildcardBySuffix.get(name.substring(dot + 1)), protocol);
            if (r != null) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static Route first(List<Route> candidates, Protocol protocol) {
        if (candidates == null) {
            return null;
        }
        for (Route r : candidates) {
            if (r.appliesTo(protocol)) {
                return r;
            }
        }
        return null;
    }
}
