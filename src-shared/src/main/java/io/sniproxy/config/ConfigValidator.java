package io.sniproxy.config;

import io.sniproxy.route.Hostnames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import java.util.regex.Pattern;

/**
 * Every rule a config must follow once its values are parsed: valid listener names, hosts, timeouts
 * and limits; unique listener names and sockets; valid and unclaimed hostnames; and no backend that
 * is one of the proxy's own listeners (which would make it dial itself until it runs out of file
 * descriptors). Returns every problem, located by document path.
 *
 * <p>The reader checks the same value rules while binding (to quote what was written) and drops what
 * fails, so a file's errors are not reported twice; code that builds a {@link ProxyConfig} itself,
 * like the operator, gets them here.
 */
public final class ConfigValidator {

    static final String NOT_A_DURATION = "must be a positive duration such as 500ms, 10s, 1m30s or PT10S";
    static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    static final Range MAX_CONNECTIONS = new Range(1, 10_000_000);
    static final Range MAX_CLIENT_HELLO_BYTES = new Range(512, 1 << 20);
    static final Range MAX_UDP_SESSIONS = new Range(1, 10_000_000);
    private static final Pattern LISTENER_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** An inclusive range of whole numbers. */
    record Range(long min, long max) {
        boolean contains(long v) {
            return v >= min && v <= max;
        }

        String requirement() {
            return "must be a whole number from " + min + " to " + max;
        }
    }

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
        if (d.compareTo(MAX_TIMEOUT) > 0) {
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

    private static void checkTimeouts(Timeouts t, List<ConfigProblem> problems) {
        Map<String, Duration> all = new LinkedHashMap<>();
        all.put("clientHello", t.clientHello());
        all.put("connect", t.connect());
        all.put("idle", t.idle());
        all.put("udpSession", t.udpSession());
        all.put("drain", t.drain());
        all.forEach((key, d) -> {
            Optional<String> problem = d == null ? Optional.of("is missing") : timeoutProblem(d);
            problem.ifPresent(p -> problems.add(new ConfigProblem("timeouts." + key,
                    p + (d == null ? "" : ", found " + d))));
        });
    }

    private static void checkLimits(Limits l, List<ConfigProblem> problems) {
        limit(problems, "maxConnections", l.maxConnections(), MAX_CONNECTIONS);
        limit(problems, "maxClientHelloBytes", l.maxClientHelloBytes(), MAX_CLIENT_HELLO_BYTES);
        limit(problems, "maxUdpSessions", l.maxUdpSessions(), MAX_UDP_SESSIONS);
    }

    private static void limit(List<ConfigProblem> problems, String key, int value, Range range) {
        if (!range.contains(value)) {
            problems.add(new ConfigProblem("limits." + key, range.requirement() + ", found " + value));
        }
    }

    /** A static backend's or listener's host that cannot be dialled or bound. */
    private static Optional<ConfigProblem> hostProblem(HostPort address, String path) {
        return Hosts.problem(address.host()).map(p -> new ConfigProblem(path, p));
    }

    private record Paths(IntUnaryOperator listenerIndex, IntUnaryOperator routeIndex) {
        String listener(int i) {
            return "listeners[" + listenerIndex.applyAsInt(i) + "]";
        }

        String route(int i) {
            return "routes[" + routeIndex.applyAsInt(i) + "]";
        }
    }

    private static void checkListeners(ProxyConfig config, List<ConfigProblem> problems, Paths paths) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> sockets = new HashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            Listener l = config.listeners().get(i);
            String path = paths.listener(i);
            listenerNameProblem(l.name()).ifPresent(p -> problems.add(new ConfigProblem(path + ".name", p)));
            hostProblem(l.address(), path + ".address").ifPresent(problems::add);
            Integer prev = names.putIfAbsent(l.name(), i);
            if (prev != null) {
                problems.add(new ConfigProblem(path + ".name",
                        "listener name '" + l.name() + "' is already used by " + paths.listener(prev)));
            }
            // Two listeners on one socket would both bind (SO_REUSEPORT) and silently share its traffic.
            String socket = (l.protocol().isTcp() ? "tcp " : "udp ") + Hosts.canonical(l.address().host()) + " "
                    + l.port();
            prev = sockets.putIfAbsent(socket, i);
            if (prev != null) {
                problems.add(new ConfigProblem(path + ".address",
                        l.address() + " is already bound by " + paths.listener(prev) + " (" + socket.substring(0, 3) + ")"));
            }
            if (l.defaultBackend().isPresent()) {
                Backend b = l.defaultBackend().get();
                if (b instanceof Backend.Transparent) {
                    problems.add(new ConfigProblem(path + ".defaultBackend",
                            "cannot be \"*\": without a name there is nothing to resolve; give host:port"));
                } else {
                    Backend.Static s = (Backend.Static) b;
                    Optional<ConfigProblem> bad = hostProblem(s.address(), path + ".defaultBackend");
                    bad.or(() -> selfLoop(config, s, l, path + ".defaultBackend")).ifPresent(problems::add);
                }
            }
        }
    }

    private static void checkRoutes(ProxyConfig config, List<ConfigProblem> problems, Paths paths) {
        Map<String, List<Integer>> claims = new HashMap<>();
        for (int r = 0; r < config.routes().size(); r++) {
            Route route = config.routes().get(r);
            String path = paths.route(r);
            if (route.hostnames().isEmpty()) {
                problems.add(new ConfigProblem(path + ".hostnames", "must be a non-empty list of hostnames"));
            }
            for (int h = 0; h < route.hostnames().size(); h++) {
                String raw = route.hostnames().get(h);
                String hPath = path + ".hostnames[" + h + "]";
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
                        problems.add(new ConfigProblem(hPath, "'" + raw + "' is already routed by " + paths.route(other)
                                + " for the same protocols; a name may appear once per protocol"));
                        break;
                    }
                }
                earlier.add(r);
            }
            if (route.backend() instanceof Backend.Static s) {
                Optional<ConfigProblem> bad = hostProblem(s.address(), path + ".backend");
                if (bad.isPresent()) {
                    problems.add(bad.get());
                    continue;
                }
                for (Listener l : config.listeners()) {
                    if (route.appliesTo(effective(l.protocol()))) {
                        Optional<ConfigProblem> loop = selfLoop(config, s, l, path + ".backend");
                        if (loop.isPresent()) {
                            problems.add(loop.get());
                            break;
                        }
                    }
                }
            }
        }
    }

    private static Protocol effective(Protocol p) {
        return p == Protocol.AUTO ? Protocol.TLS : p;
    }

    private static boolean overlap(Route a, Route b) {
        if (a.protocols().isEmpty() || b.protocols().isEmpty()) {
            return true;
        }
        return a.protocols().stream().anyMatch(b.protocols()::contains);
    }

    /** A backend reached from {@code via} that is itself one of our listeners of the same transport. */
    private static Optional<ConfigProblem> selfLoop(ProxyConfig config, Backend.Static backend, Listener via, String path) {
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
