package io.sniproxy.config;

import io.sniproxy.route.Hostnames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;

/**
 * Rules that span fields: unique listener names and sockets, valid and unclaimed hostnames, and no
 * backend that is one of the proxy's own listeners (which would make it dial itself until it runs
 * out of file descriptors). Returns every problem, located by document path.
 */
public final class ConfigValidator {

    private ConfigValidator() {
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
        return problems;
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
                    selfLoop(config, (Backend.Static) b, l, path + ".defaultBackend").ifPresent(problems::add);
                }
            }
        }
    }

    private static void checkRoutes(ProxyConfig config, List<ConfigProblem> problems, Paths paths) {
        Map<String, List<Integer>> claims = new HashMap<>();
        for (int r = 0; r < config.routes().size(); r++) {
            Route route = config.routes().get(r);
            String path = paths.route(r);
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
