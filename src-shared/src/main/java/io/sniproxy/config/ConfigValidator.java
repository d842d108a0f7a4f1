package io.sniproxy.config;

import io.sniproxy.config.ConfigSchema.Key;
import io.sniproxy.config.ConfigSchema.Range;
import io.sniproxy.route.Hostnames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import java.util.regex.Pattern;

/**
 * Every rule a config must follow once its values are parsed: valid listener names, hosts, timeouts
 * and limits; unique listener names and sockets; PROXY protocol only from named balancers; valid and
 * unclaimed hostnames (per protocol and ALPN id); backend lists that can be balanced; and no backend
 * that is one of the proxy's own listeners (which would make it dial itself until it runs out of file
 * descriptors). Returns every problem, located by document path.
 *
 * <p>The reader checks the same value rules while binding (to quote what was written) and drops what
 * fails, so a file's errors are not reported twice; code that builds a {@link ProxyConfig} itself,
 * like the operator, gets them here.
 */
public final class ConfigValidator {

    static final String NOT_A_DURATION = "must be a positive duration such as 500ms, 10s, 1m30s or PT10S";
    private static final Pattern LISTENER_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private ConfigValidator() {
    }

    /** Why {@code name} cannot name a listener, or empty. */
    static Optional<String> listenerNameProblem(String name) {
        return LISTENER_NAME.matcher(name).matches() ? Optional.empty()
                : Optional.of(YamlNode.quote(name) + " must be 1-64 letters, digits, '_', '.' or '-' (it is a metric label)");
    }

    /** Why {@code d} cannot be a timeout, or empty. */
    static Optional<String> timeoutProblem(Duration d) {
        if (d.isNegative() || d.isZero()) {
            return Optional.of(NOT_A_DURATION);
        }
        if (d.compareTo(ConfigSchema.TimeoutKeys.MAX) > 0) {
            return Optional.of("must be at most 7d");
        }
        if (d.getNano() % 1_000_000 != 0) {
            // The proxy's timers tick in milliseconds; refusing finer values keeps write-then-read exact.
            return Optional.of("must be a whole number of milliseconds");
        }
        return Optional.empty();
    }

    public static List<ConfigProblem> validate(ProxyConfig config) {
        return validate(config, i -> i, i -> i);
    }

    /**
     * As {@link #validate(ProxyConfig)}, for a config from which the reader dropped malformed elements:
     * the mappings give each remaining listener's and route's index in the file, so paths stay true.
     */
    static List<ConfigProblem> validate(ProxyConfig config, IntUnaryOperator listenerIndex, IntUnaryOperator routeIndex) {
        List<ConfigProblem> problems = new ArrayList<>();
        Paths paths = new Paths(listenerIndex, routeIndex);
        checkListeners(config, problems, paths);
        checkRoutes(config, problems, paths);
        checkTimeouts(config.timeouts(), problems);
        checkLimits(config.limits(), problems);
        return problems;
    }

    /**
     * Where a route's {@code j}-th backend is written: {@code backend} for a route of one (the form the
     * writer uses for it), {@code backends[j]} otherwise. The reader's locator maps either onto the other.
     */
    public static ConfigPath backendPath(ConfigPath route, Route r, int j) {
        return r.backends().size() == 1 ? route.key(ConfigSchema.Routes.BACKEND)
                : route.key(ConfigSchema.Routes.BACKENDS).index(j);
    }

    private static void checkTimeouts(Timeouts t, List<ConfigProblem> problems) {
        ConfigPath at = ConfigPath.ROOT.key(ConfigSchema.Root.TIMEOUTS);
        timeout(problems, at, ConfigSchema.TimeoutKeys.CLIENT_HELLO, t.clientHello());
        timeout(problems, at, ConfigSchema.TimeoutKeys.CONNECT, t.connect());
        timeout(problems, at, ConfigSchema.TimeoutKeys.IDLE, t.idle());
        timeout(problems, at, ConfigSchema.TimeoutKeys.UDP_SESSION, t.udpSession());
        timeout(problems, at, ConfigSchema.TimeoutKeys.DRAIN, t.drain());
    }

    private static void timeout(List<ConfigProblem> problems, ConfigPath parent, Key<Duration> key, Duration d) {
        Optional<String> problem = d == null ? Optional.of("is missing") : timeoutProblem(d);
        problem.ifPresent(p -> problems.add(new ConfigProblem(parent.key(key), p + (d == null ? "" : ", found " + d))));
    }

    private static void checkLimits(Limits l, List<ConfigProblem> problems) {
        ConfigPath at = ConfigPath.ROOT.key(ConfigSchema.Root.LIMITS);
        limit(problems, at, ConfigSchema.LimitKeys.MAX_CONNECTIONS, l.maxConnections());
        limit(problems, at, ConfigSchema.LimitKeys.MAX_CLIENT_HELLO_BYTES, l.maxClientHelloBytes());
        limit(problems, at, ConfigSchema.LimitKeys.MAX_UDP_SESSIONS, l.maxUdpSessions());
        if (l.perClient() == null) {
            problems.add(new ConfigProblem(at.key(ConfigSchema.LimitKeys.PER_CLIENT), "is missing (use Optional.empty() for off)"));
        } else if (l.perClient().isPresent()) {
            checkPerClient(l.perClient().get(), at.key(ConfigSchema.LimitKeys.PER_CLIENT), problems);
        }
    }

    private static void checkPerClient(PerClientLimits p, ConfigPath at, List<ConfigProblem> problems) {
        limit(problems, at, ConfigSchema.PerClient.MAX_CONNECTIONS, p.maxConnections());
        limit(problems, at, ConfigSchema.PerClient.NEW_CONNECTIONS_PER_SECOND, p.newConnectionsPerSecond());
        limit(problems, at, ConfigSchema.PerClient.BURST, p.burst());
        limit(problems, at, ConfigSchema.PerClient.IPV6_PREFIX, p.ipv6Prefix());
        if (p.maxConnections().isEmpty() && p.newConnectionsPerSecond().isEmpty()) {
            problems.add(new ConfigProblem(at, "sets no limit: give maxConnections, newConnectionsPerSecond or both "
                    + "(or remove perClient)"));
        }
        if (p.burst().isPresent() && p.newConnectionsPerSecond().isEmpty()) {
            problems.add(new ConfigProblem(at.key(ConfigSchema.PerClient.BURST), "needs newConnectionsPerSecond: burst "
                    + "is how many new connections a client may open at once before that rate applies"));
        }
    }

    private static void limit(List<ConfigProblem> problems, ConfigPath parent, Key<Integer> key, OptionalInt value) {
        value.ifPresent(v -> limit(problems, parent, key, v));
    }

    private static void limit(List<ConfigProblem> problems, ConfigPath parent, Key<Integer> key, int value) {
        Range range = key.range();
        if (!range.contains(value)) {
            problems.add(new ConfigProblem(parent.key(key), range.requirement() + ", found " + value));
        }
    }

    /** A static backend's or listener's host that cannot be dialled or bound. */
    private static Optional<ConfigProblem> hostProblem(HostPort address, ConfigPath path) {
        return Hosts.problem(address.host()).map(p -> new ConfigProblem(path, p));
    }

    private record Paths(IntUnaryOperator listenerIndex, IntUnaryOperator routeIndex) {
        ConfigPath listener(int i) {
            return ConfigPath.ROOT.key(ConfigSchema.Root.LISTENERS).index(listenerIndex.applyAsInt(i));
        }

        ConfigPath route(int i) {
            return ConfigPath.ROOT.key(ConfigSchema.Root.ROUTES).index(routeIndex.applyAsInt(i));
        }
    }

    private static void checkListeners(ProxyConfig config, List<ConfigProblem> problems, Paths paths) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> sockets = new HashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            Listener l = config.listeners().get(i);
            ConfigPath path = paths.listener(i);
            ConfigPath namePath = path.key(ConfigSchema.Listeners.NAME);
            ConfigPath addressPath = path.key(ConfigSchema.Listeners.ADDRESS);
            listenerNameProblem(l.name()).ifPresent(p -> problems.add(new ConfigProblem(namePath, p)));
            hostProblem(l.address(), addressPath).ifPresent(problems::add);
            Integer prev = names.putIfAbsent(l.name(), i);
            if (prev != null) {
                problems.add(new ConfigProblem(namePath,
                        "listener name '" + l.name() + "' is already used by " + paths.listener(prev)));
            }
            // Two listeners on one socket would both bind (SO_REUSEPORT) and silently share its traffic.
            String socket = (l.protocol().isTcp() ? "tcp " : "udp ") + Hosts.canonical(l.address().host()) + " "
                    + l.port();
            prev = sockets.putIfAbsent(socket, i);
            if (prev != null) {
                problems.add(new ConfigProblem(addressPath,
                        l.address() + " is already bound by " + paths.listener(prev) + " (" + socket.substring(0, 3) + ")"));
            }
            if (l.defaultBackend().isPresent()) {
                ConfigPath dbPath = path.key(ConfigSchema.Listeners.DEFAULT_BACKEND);
                Backend b = l.defaultBackend().get();
                if (b instanceof Backend.Transparent) {
                    problems.add(new ConfigProblem(dbPath,
                            "cannot be \"*\": without a name there is nothing to resolve; give host:port"));
                } else {
                    Backend.Static s = (Backend.Static) b;
                    Optional<ConfigProblem> bad = hostProblem(s.address(), dbPath);
                    bad.or(() -> selfLoop(config, s, l, dbPath)).ifPresent(problems::add);
                }
            }
            checkProxyProtocolIn(l, path, problems);
        }
    }

    /** PROXY protocol in: only from named balancers, and only where a stream carries it. */
    private static void checkProxyProtocolIn(Listener l, ConfigPath path, List<ConfigProblem> problems) {
        ConfigPath acceptPath = path.key(ConfigSchema.Listeners.ACCEPT_PROXY_PROTOCOL);
        ConfigPath trustedPath = path.key(ConfigSchema.Listeners.TRUSTED_PROXIES);
        AcceptProxyProtocol accept = l.acceptProxyProtocol();
        if (accept.enabled() && l.protocol() == Protocol.QUIC) {
            problems.add(new ConfigProblem(acceptPath, accept.yamlName() + " is not supported on a quic listener: a "
                    + "PROXY header prefixes a TCP stream, and UDP balancers in front of QUIC do not send one; "
                    + "remove the key (quic sees the balancer's address, or the client's when the balancer keeps it)"));
        } else if (accept.enabled() && l.trustedProxies().isEmpty()) {
            problems.add(new ConfigProblem(acceptPath, accept.yamlName() + " needs trustedProxies: the address blocks "
                    + "of the balancers in front, such as [10.0.0.0/8]. A PROXY header names the client, so from "
                    + "anyone else it would let a client claim any address; write [0.0.0.0/0, \"::/0\"] to trust every peer"));
        } else if (!accept.enabled() && !l.trustedProxies().isEmpty()) {
            problems.add(new ConfigProblem(trustedPath, "has no effect while acceptProxyProtocol is none; set "
                    + "acceptProxyProtocol to what the balancer sends (v1, v2 or any), or remove trustedProxies"));
        }
        Set<Cidr> seen = new HashSet<>();
        for (int c = 0; c < l.trustedProxies().size(); c++) {
            Cidr cidr = l.trustedProxies().get(c);
            if (!seen.add(cidr)) {
                problems.add(new ConfigProblem(trustedPath.index(c), cidr + " is listed twice"));
            }
        }
    }

    private static void checkRoutes(ProxyConfig config, List<ConfigProblem> problems, Paths paths) {
        Map<String, List<Integer>> claims = new HashMap<>();
        for (int r = 0; r < config.routes().size(); r++) {
            Route route = config.routes().get(r);
            ConfigPath path = paths.route(r);
            ConfigPath hostnamesPath = path.key(ConfigSchema.Routes.HOSTNAMES);
            if (route.hostnames().isEmpty()) {
                problems.add(new ConfigProblem(hostnamesPath, "must be a non-empty list of hostnames"));
            }
            for (int h = 0; h < route.hostnames().size(); h++) {
                String raw = route.hostnames().get(h);
                ConfigPath hPath = hostnamesPath.index(h);
                Optional<String> problem = Hostnames.patternProblem(raw);
                if (problem.isPresent()) {
                    problems.add(new ConfigProblem(hPath, problem.get()));
                    continue;
                }
                String name = Hostnames.normalize(raw);
                List<Integer> earlier = claims.computeIfAbsent(name, k -> new ArrayList<>());
                if (earlier.contains(r)) {
                    problems.add(new ConfigProblem(hPath, "'" + raw + "' is listed twice in this route"));
                    continue;
                }
                for (int other : earlier) {
                    Route o = config.routes().get(other);
                    if (overlap(route, o)) {
                        Optional<String> sharedAlpn = route.alpn().stream().filter(o.alpn()::contains).findFirst();
                        problems.add(new ConfigProblem(hPath, sharedAlpn
                                .map(id -> "'" + raw + "' is already routed by " + paths.route(other) + " for the same "
                                        + "protocols and ALPN id '" + id + "'; a name may appear once per protocol and "
                                        + "ALPN id")
                                .orElse("'" + raw + "' is already routed by " + paths.route(other)
                                        + " for the same protocols; a name may appear once per protocol")));
                        break;
                    }
                }
                earlier.add(r);
            }
            checkBackends(config, route, path, problems);
            route.healthCheck().ifPresent(hc -> checkHealthCheck(route, hc, path.key(ConfigSchema.Routes.HEALTH_CHECK), problems));
            checkAlpn(route, path.key(ConfigSchema.Routes.ALPN), problems);
        }
    }

    private static void checkBackends(ProxyConfig config, Route route, ConfigPath path, List<ConfigProblem> problems) {
        if (route.backends().isEmpty()) {
            problems.add(new ConfigProblem(path, "'backend' is missing (host:port, or \"*\" for transparent)"));
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int j = 0; j < route.backends().size(); j++) {
            ConfigPath bPath = backendPath(path, route, j);
            Backend backend = route.backends().get(j);
            if (!(backend instanceof Backend.Static s)) {
                if (route.backends().size() > 1) {
                    problems.add(new ConfigProblem(bPath, "\"*\" must be the route's only backend: a transparent "
                            + "route connects to the name the client asked for"));
                }
                continue;
            }
            Optional<ConfigProblem> bad = hostProblem(s.address(), bPath);
            if (bad.isPresent()) {
                problems.add(bad.get());
                continue;
            }
            String key = Hosts.canonical(s.address().host()) + " " + s.address().port();
            Integer prev = seen.putIfAbsent(key, j);
            if (prev != null) {
                problems.add(new ConfigProblem(bPath, s.address() + " is already listed as "
                        + backendPath(path, route, prev) + "; a backend may appear once"));
                continue;
            }
            for (Listener l : config.listeners()) {
                if (route.appliesTo(effective(l.protocol()))) {
                    Optional<ConfigProblem> loop = selfLoop(config, s, l, bPath);
                    if (loop.isPresent()) {
                        problems.add(loop.get());
                        break;
                    }
                }
            }
        }
    }

    private static void checkHealthCheck(Route route, HealthCheck hc, ConfigPath at, List<ConfigProblem> problems) {
        if (route.isTransparent()) {
            problems.add(new ConfigProblem(at, "a transparent route (backend \"*\") has no fixed backends to probe; "
                    + "remove healthCheck"));
        }
        Key<Duration> intervalKey = ConfigSchema.HealthChecks.INTERVAL;
        Key<Duration> timeoutKey = ConfigSchema.HealthChecks.TIMEOUT;
        timeout(problems, at, intervalKey, hc.interval());
        timeout(problems, at, timeoutKey, hc.timeout());
        boolean durationsValid = hc.interval() != null && hc.timeout() != null
                && timeoutProblem(hc.interval()).isEmpty() && timeoutProblem(hc.timeout()).isEmpty();
        if (durationsValid && hc.timeout().compareTo(hc.interval()) > 0) {
            problems.add(new ConfigProblem(at.key(timeoutKey), "must not be longer than interval ("
                    + Durations.format(hc.interval()) + "): a probe would still run when the next one is due, found "
                    + Durations.format(hc.timeout())));
        }
        limit(problems, at, ConfigSchema.HealthChecks.RISE, hc.rise());
        limit(problems, at, ConfigSchema.HealthChecks.FALL, hc.fall());
    }

    private static void checkAlpn(Route route, ConfigPath at, List<ConfigProblem> problems) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < route.alpn().size(); i++) {
            String id = route.alpn().get(i);
            Optional<String> problem = Alpn.problem(id);
            if (problem.isPresent()) {
                problems.add(new ConfigProblem(at.index(i), problem.get()));
                continue;
            }
            Integer prev = seen.putIfAbsent(id, i);
            if (prev != null) {
                problems.add(new ConfigProblem(at.index(i), "'" + id + "' is listed twice"));
            }
        }
        if (!route.alpn().isEmpty() && route.protocols().equals(Set.of(Protocol.HTTP))) {
            problems.add(new ConfigProblem(at, "never matches: an http connection offers no ALPN (only TLS and QUIC "
                    + "ClientHellos carry it); remove alpn or add tls/quic to protocols"));
        }
    }

    private static Protocol effective(Protocol p) {
        return p == Protocol.AUTO ? Protocol.TLS : p;
    }

    /**
     * Whether two routes for one name compete for the same connections: their protocols overlap, and
     * either neither names ALPN ids or they name a common one. A route with {@code alpn} next to one
     * without is not a conflict: it is the more specific one (see {@code RouteTable}).
     */
    private static boolean overlap(Route a, Route b) {
        boolean protocols = a.protocols().isEmpty() || b.protocols().isEmpty()
                || a.protocols().stream().anyMatch(b.protocols()::contains);
        boolean alpn = a.alpn().isEmpty() && b.alpn().isEmpty() || a.alpn().stream().anyMatch(b.alpn()::contains);
        return protocols && alpn;
    }

    /** A backend reached from {@code via} that is itself one of our listeners of the same transport. */
    private static Optional<ConfigProblem> selfLoop(ProxyConfig config, Backend.Static backend, Listener via, ConfigPath path) {
        String host = backend.address().host();
        int port = backend.address().portOr(via.port());
        for (int i = 0; i < config.listeners().size(); i++) {
            Listener target = config.listeners().get(i);
            if (target.protocol().isTcp() != via.protocol().isTcp() || target.port() != port) {
                continue;
            }
            if (sameHost(target.address().host(), host)) {
                String how = backend.address().port().isPresent() ? "" : " (the port is taken from listener '"
                        + via.name() + "')";
                return Optional.of(new ConfigProblem(path, backend.address() + " is the proxy's own listener '"
                        + target.name() + "'" + how + "; the proxy would connect to itself until it runs out of "
                        + "file descriptors"));
            }
        }
        return Optional.empty();
    }

    private static final String ANY_V4 = "0.0.0.0";
    private static final String ANY_V6 = Hosts.canonical("::");
    private static final String LOOPBACK_V6 = Hosts.canonical("::1");

    /** Whether a connection to {@code backendHost} reaches a socket bound to {@code listenerHost}. */
    private static boolean sameHost(String listenerHost, String backendHost) {
        String l = Hosts.canonical(listenerHost);
        String b = Hosts.canonical(backendHost);
        if (l.equals(b)) {
            return true;
        }
        boolean backendLocal = isLoopback(b) || b.equals(ANY_V4) || b.equals(ANY_V6);
        boolean listenerAny = l.equals(ANY_V4) || l.equals(ANY_V6);
        // "localhost" may resolve to either loopback address; assume the one that loops.
        boolean localhostVsLoopback = (l.equals("localhost") && localhostAddress(b))
                || (b.equals("localhost") && localhostAddress(l));
        return (listenerAny && backendLocal) || localhostVsLoopback;
    }

    private static boolean localhostAddress(String canonical) {
        return canonical.equals("127.0.0.1") || canonical.equals(LOOPBACK_V6);
    }

    private static boolean isLoopback(String canonical) {
        return canonical.equals("localhost") || canonical.equals(LOOPBACK_V6)
                || (canonical.startsWith("127.") && Hosts.problem(canonical).isEmpty());
    }
}
