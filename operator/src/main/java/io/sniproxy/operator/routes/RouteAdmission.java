package io.sniproxy.operator.routes;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.sniproxy.config.Backend;
import io.sniproxy.config.Balance;
import io.sniproxy.config.ConfigSchema;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Route;
import io.sniproxy.operator.api.RouteProtocol;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec;
import io.sniproxy.operator.support.ResourceKeys;
import io.sniproxy.route.Hostnames;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides, for all routes attached to one SniProxy, which are accepted. A pure function of the routes
 * and the Services they name, so the SniProxy reconciler (rendering) and the SniRoute reconciler
 * (status) always agree. Conflicts follow the Gateway API: the oldest route keeps a hostname (ties by
 * namespace/name); a later route claiming it for an overlapping protocol is refused whole.
 */
public final class RouteAdmission {

    private static final Comparator<SniRoute> AGE = Comparator
            .comparing((SniRoute r) -> created(r))
            .thenComparing(r -> r.getMetadata().getNamespace())
            .thenComparing(r -> r.getMetadata().getName());

    private final String clusterDomain;
    private final BackendLookup lookup;

    public RouteAdmission(String clusterDomain, BackendLookup lookup) {
        this.clusterDomain = clusterDomain;
        this.lookup = lookup;
    }

    /** Verdicts keyed by {@code namespace/name}, in age order; routes from any namespace may attach. */
    public Map<String, RouteVerdict> admit(List<SniRoute> routes) {
        return admit(routes, ns -> Optional.empty());
    }

    /**
     * As {@link #admit(List)}, but a route whose namespace the proxy does not accept is refused before
     * it can claim anything.
     *
     * @param refusal why a namespace may not attach, or empty when it may
     */
    public Map<String, RouteVerdict> admit(List<SniRoute> routes, java.util.function.Function<String, Optional<String>> refusal) {
        List<SniRoute> byAge = new ArrayList<>(routes);
        byAge.sort(AGE);
        Map<String, RouteVerdict> verdicts = new LinkedHashMap<>();
        Map<String, List<Claim>> claims = new HashMap<>();
        for (SniRoute route : byAge) {
            String key = ResourceKeys.of(route);
            Optional<String> notAllowed = refusal.apply(route.getMetadata().getNamespace());
            if (notAllowed.isPresent()) {
                verdicts.put(key, RouteVerdict.refused(RouteVerdict.NOT_ALLOWED_BY_PARENT, notAllowed.get(),
                        Optional.empty()));
                continue;
            }
            RouteVerdict checked = check(route);
            if (!checked.isAccepted()) {
                verdicts.put(key, checked);
                continue;
            }
            Route rendered = checked.route().orElseThrow();
            Optional<String> conflict = conflict(rendered, claims);
            if (conflict.isPresent()) {
                verdicts.put(key, RouteVerdict.refused(RouteVerdict.HOSTNAME_CONFLICT, conflict.get(), checked.backend()));
                continue;
            }
            for (String h : rendered.hostnames()) {
                claims.computeIfAbsent(h, k -> new ArrayList<>()).add(new Claim(key, rendered.protocols()));
            }
            verdicts.put(key, checked);
        }
        return verdicts;
    }

    private static Optional<String> conflict(Route route, Map<String, List<Claim>> claims) {
        for (String h : route.hostnames()) {
            for (Claim c : claims.getOrDefault(h, List.of())) {
                if (overlap(c.protocols(), route.protocols())) {
                    return Optional.of("hostname '" + h + "' is already claimed by SniRoute " + c.route()
                            + ", which is older; remove it from one of the two routes");
                }
            }
        }
        return Optional.empty();
    }

    private static boolean overlap(Set<Protocol> a, Set<Protocol> b) {
        return a.isEmpty() || b.isEmpty() || a.stream().anyMatch(b::contains);
    }

    /** Validates one route on its own and resolves its backend. */
    RouteVerdict check(SniRoute route) {
        SniRouteSpec spec = route.getSpec();
        if (spec == null) {
            return invalid("spec is missing");
        }
        if (spec.hostnames == null || spec.hostnames.isEmpty()) {
            return invalid("spec.hostnames: at least one hostname is required");
        }
        TreeSet<String> hostnames = new TreeSet<>();
        for (int i = 0; i < spec.hostnames.size(); i++) {
            String h = spec.hostnames.get(i);
            String path = "spec.hostnames[" + i + "]";
            Optional<String> problem = Hostnames.patternProblem(h);
            if (problem.isPresent()) {
                return invalid(path + ": " + problem.get());
            }
            if (Hostnames.isIpLiteral(Hostnames.normalize(h))) {
                return invalid(path + ": '" + h + "' is an IP address; SNI and Host routing need a DNS name");
            }
            if (!hostnames.add(Hostnames.normalize(h))) {
                return invalid(path + ": '" + h + "' is listed twice");
            }
        }
        Set<Protocol> protocols = EnumSet.noneOf(Protocol.class);
        if (spec.protocols != null) {
            for (int i = 0; i < spec.protocols.size(); i++) {
                RouteProtocol p = spec.protocols.get(i);
                if (p == null) {
                    return invalid("spec.protocols[" + i + "]: must be one of " + ConfigSchema.Routes.PROTOCOLS.allowedText());
                }
                protocols.add(p.config());
            }
        }
        ProxyProtocol proxyProtocol = spec.proxyProtocol == null ? ProxyProtocol.NONE : spec.proxyProtocol.config();
        if (spec.backend == null) {
            return invalid("spec.backend: set backend.service (name and port) or backend.address (host:port)");
        }
        SniRouteSpec.BackendRef b = spec.backend;
        int given = (b.service == null ? 0 : 1) + (b.address == null ? 0 : 1) + (b.addresses == null ? 0 : 1);
        if (given != 1) {
            return invalid("spec.backend: set exactly one of backend.service, backend.address and backend.addresses");
        }
        List<HostPort> targets = new ArrayList<>();
        if (b.address != null) {
            Optional<RouteVerdict> bad = address(b.address, "spec.backend.address", targets);
            if (bad.isPresent()) {
                return bad.get();
            }
        } else if (b.addresses != null) {
            if (b.addresses.isEmpty()) {
                return invalid("spec.backend.addresses: at least one host:port is required");
            }
            for (int i = 0; i < b.addresses.size(); i++) {
                Optional<RouteVerdict> bad = address(b.addresses.get(i), "spec.backend.addresses[" + i + "]", targets);
                if (bad.isPresent()) {
                    return bad.get();
                }
            }
        } else {
            Optional<RouteVerdict> bad = checkServiceRef(b.service);
            if (bad.isPresent()) {
                return bad.get();
            }
            String ns = route.getMetadata().getNamespace();
            String shown = b.service.name + "." + ns + ".svc." + clusterDomain + ":" + b.service.port;
            Optional<Service> svc = lookup.service(ns, b.service.name);
            if (svc.isEmpty()) {
                return RouteVerdict.refused(RouteVerdict.BACKEND_NOT_FOUND, "spec.backend.service: Service " + ns + "/"
                        + b.service.name + " does not exist", Optional.of(shown));
            }
            if (!hasPort(svc.get(), b.service.port)) {
                return RouteVerdict.refused(RouteVerdict.BACKEND_NOT_FOUND, "spec.backend.service.port: Service " + ns
                        + "/" + b.service.name + " has no port " + b.service.port, Optional.of(shown));
            }
            targets.add(HostPort.of(b.service.name + "." + ns + ".svc." + clusterDomain, b.service.port));
        }
        Balance balance = b.balance == null ? Balance.DEFAULT : b.balance.config();
        List<Backend> backends = targets.stream().map(t -> (Backend) new Backend.Static(t)).toList();
        Route rendered = new Route(List.copyOf(hostnames), backends, balance, Optional.empty(), List.of(), protocols,
                proxyProtocol);
        return RouteVerdict.accepted(rendered, String.join(", ", targets.stream().map(HostPort::toString).toList()));
    }

    /** Parses one {@code host:port} into {@code targets}, or says what is wrong with it at {@code path}. */
    private static Optional<RouteVerdict> address(String text, String path, List<HostPort> targets) {
        Optional<HostPort> parsed = HostPort.parse(text, true);
        if (parsed.isEmpty()) {
            return Optional.of(invalid(path + ": '" + text + "' is not host:port (port 1-65535; IPv6 as [addr]:port)"));
        }
        HostPort target = parsed.get();
        if (!Hostnames.isIpLiteral(target.host()) && Hostnames.nameProblem(Hostnames.normalize(target.host())).isPresent()) {
            return Optional.of(invalid(path + ": '" + target.host() + "' is not a valid host: "
                    + Hostnames.nameProblem(Hostnames.normalize(target.host())).get()));
        }
        targets.add(target);
        return Optional.empty();
    }

    private static Optional<RouteVerdict> checkServiceRef(SniRouteSpec.ServiceRef s) {
        if (s.name == null || s.name.isEmpty() || Hostnames.nameProblem(s.name).isPresent() || s.name.contains(".")) {
            return Optional.of(invalid("spec.backend.service.name: '" + s.name
                    + "' is not a Service name (lower-case letters, digits and '-')"));
        }
        if (s.port == null || s.port < 1 || s.port > 65535) {
            return Optional.of(invalid("spec.backend.service.port: " + s.port + " is not a port (1-65535)"));
        }
        return Optional.empty();
    }

    private static boolean hasPort(Service service, int port) {
        if (service.getSpec() == null || service.getSpec().getPorts() == null) {
            return false;
        }
        for (ServicePort p : service.getSpec().getPorts()) {
            if (p.getPort() != null && p.getPort() == port) {
                return true;
            }
        }
        return false;
    }

    private static RouteVerdict invalid(String message) {
        return RouteVerdict.refused(RouteVerdict.INVALID, message, Optional.empty());
    }

    private static Instant created(SniRoute r) {
        String ts = r.getMetadata().getCreationTimestamp();
        if (ts == null) {
            return Instant.MAX; // not yet persisted: younger than everything that is
        }
        try {
            return Instant.parse(ts);
        } catch (DateTimeParseException e) {
            return Instant.MAX;
        }
    }

    private record Claim(String route, Set<Protocol> protocols) {
    }
}
