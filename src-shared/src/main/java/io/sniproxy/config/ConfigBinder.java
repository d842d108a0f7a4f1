package io.sniproxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns a positioned YAML tree into config records. Checks shape and types only (unknown keys,
 * wrong kinds, bad enums, unparsable addresses and durations); every error is collected and
 * binding goes on, so one run reports them all. Cross-field rules live in {@link ConfigValidator}.
 */
final class ConfigBinder {

    private static final Set<String> ROOT_KEYS = Set.of(
            "listeners", "routes", "timeouts", "limits", "security", "connectionPool", "accessLog");
    private static final Set<String> LISTENER_KEYS = Set.of("name", "address", "protocol", "defaultBackend");
    private static final Set<String> ROUTE_KEYS = Set.of("hostnames", "backend", "protocols", "proxyProtocol");
    private static final Set<String> TIMEOUT_KEYS = Set.of("clientHello", "connect", "idle", "udpSession", "drain");
    private static final Set<String> LIMIT_KEYS = Set.of("maxConnections", "maxClientHelloBytes", "maxUdpSessions");

    static final String POOLING_REJECTED = "must stay false: a transparent proxy has nothing to pool. Every client "
            + "connection needs its own backend connection (the bytes are the client's own TLS/QUIC session), so a "
            + "pool could only hold sockets that no one can reuse - the leak that ran the seed project out of file "
            + "descriptors. Remove the key or set it to false.";

    private final String source;
    private final List<ConfigError> errors;

    ConfigBinder(String source, List<ConfigError> errors) {
        this.source = source;
        this.errors = errors;
    }

    /**
     * What could be bound. {@code config} holds every listener and route that is well-formed on its
     * own, so cross-field validation can still run on them and report its errors in the same pass;
     * {@code listenerIndex[i]} / {@code routeIndex[i]} is where element {@code i} sits in the file.
     */
    record Bound(ProxyConfig config, int[] listenerIndex, int[] routeIndex) {
    }

    /** Empty only when the document is not a mapping at all. */
    Optional<Bound> bind(YamlNode root) {
        if (!(root instanceof YamlNode.Mapping map)) {
            error(root, "", "the file must be a mapping with 'listeners:' and 'routes:', found " + YamlNode.describe(root));
            return Optional.empty();
        }
        checkKeys(map, "", ROOT_KEYS);
        List<Integer> listenerIndex = new ArrayList<>();
        List<Integer> routeIndex = new ArrayList<>();
        List<Listener> listeners = list(map, "listeners", true, this::listener, listenerIndex);
        List<Route> routes = list(map, "routes", false, this::route, routeIndex);
        Timeouts timeouts = timeouts(map.entries().get("timeouts"));
        Limits limits = limits(map.entries().get("limits"));
        Security security = new Security(bool(map, "security", "allowPrivateBackends", Security.DEFAULTS.allowPrivateBackends()));
        AccessLog accessLog = new AccessLog(bool(map, "accessLog", "enabled", AccessLog.DEFAULTS.enabled()));
        if (bool(map, "connectionPool", "enabled", false)) {
            YamlNode.Mapping pool = (YamlNode.Mapping) map.entries().get("connectionPool").value();
            error(pool.entries().get("enabled").value(), "connectionPool.enabled", POOLING_REJECTED);
        }
        ProxyConfig config = new ProxyConfig(listeners, routes, timeouts, limits, security, accessLog);
        return Optional.of(new Bound(config, listenerIndex.stream().mapToInt(Integer::intValue).toArray(),
                routeIndex.stream().mapToInt(Integer::intValue).toArray()));
    }

    private <T> List<T> list(YamlNode.Mapping parent, String key, boolean required,
            java.util.function.BiFunction<YamlNode, String, T> element, List<Integer> positions) {
        YamlNode.Entry entry = parent.entries().get(key);
        List<T> out = new ArrayList<>();
        if (entry == null || isNull(entry.value())) {
            if (required) {
                error(parent, "", "'" + key + "' is missing; at least one is needed");
            }
            return out;
        }
        if (!(entry.value() instanceof YamlNode.Sequence seq)) {
            error(entry.value(), key, "must be a list, found " + YamlNode.describe(entry.value()));
            return out;
        }
        if (required && seq.items().isEmpty()) {
            error(seq, key, "is empty; at least one is needed");
        }
        for (int i = 0; i < seq.items().size(); i++) {
            T value = element.apply(seq.items().get(i), key + "[" + i + "]");
            if (value != null) {
                out.add(value);
                positions.add(i);
            }
        }
        return out;
    }

    private Listener listener(YamlNode node, String path) {
        if (!(node instanceof YamlNode.Mapping map)) {
            error(node, path, "a listener must be a mapping with name, address and protocol");
            return null;
        }
        checkKeys(map, path, LISTENER_KEYS);
        String name = requiredString(map, path, "name");
        if (name != null && ConfigValidator.listenerNameProblem(name).isPresent()) {
            error(map.entries().get("name").value(), path + ".name", ConfigValidator.listenerNameProblem(name).get());
            name = null;
        }
        HostPort address = null;
        String addressText = requiredString(map, path, "address");
        if (addressText != null) {
            YamlNode at = map.entries().get("address").value();
            address = HostPort.parse(addressText, true).orElse(null);
            if (address == null) {
                error(at, path + ".address", YamlNode.quote(addressText) + " is not host:port (use [::]:443 for IPv6; "
                        + "port 1-65535)");
            } else if (!validHost(address, at, path + ".address")) {
                address = null;
            }
        }
        Protocol protocol = null;
        String protocolText = requiredString(map, path, "protocol");
        if (protocolText != null) {
            protocol = Protocol.parse(protocolText).orElse(null);
            if (protocol == null) {
                error(map.entries().get("protocol").value(), path + ".protocol",
                        YamlNode.quote(protocolText) + " is not one of tls, http, quic, auto"
                                + didYouMean(protocolText, List.of("tls", "http", "quic", "auto")));
            }
        }
        Optional<Backend> defaultBackend = Optional.empty();
        YamlNode.Entry db = map.entries().get("defaultBackend");
        if (db != null && !isNull(db.value())) {
            defaultBackend = Optional.ofNullable(backend(db.value(), path + ".defaultBackend"));
        }
        if (name == null || address == null || protocol == null) {
            return null;
        }
        return new Listener(name, address, protocol, defaultBackend);
    }

    private Route route(YamlNode node, String path) {
        if (!(node instanceof YamlNode.Mapping map)) {
            error(node, path, "a route must be a mapping with hostnames and backend");
            return null;
        }
        checkKeys(map, path, ROUTE_KEYS);
        List<String> hostnames = new ArrayList<>();
        YamlNode.Entry h = map.entries().get("hostnames");
        if (h == null) {
            error(map, path, "'hostnames' is missing");
        } else if (h.value() instanceof YamlNode.Sequence seq && !seq.items().isEmpty()) {
            for (int i = 0; i < seq.items().size(); i++) {
                String s = string(seq.items().get(i), path + ".hostnames[" + i + "]");
                if (s != null) {
                    hostnames.add(s);
                }
            }
        } else {
            error(h.value(), path + ".hostnames", "must be a non-empty list of hostnames");
        }
        Backend backend = null;
        YamlNode.Entry b = map.entries().get("backend");
        if (b == null || isNull(b.value())) {
            error(map, path, "'backend' is missing (host:port, or \"*\" for transparent)");
        } else {
            backend = backend(b.value(), path + ".backend");
        }
        Set<Protocol> protocols = EnumSet.noneOf(Protocol.class);
        YamlNode.Entry p = map.entries().get("protocols");
        if (p != null && !isNull(p.value())) {
            if (p.value() instanceof YamlNode.Sequence seq) {
                for (int i = 0; i < seq.items().size(); i++) {
                    String s = string(seq.items().get(i), path + ".protocols[" + i + "]");
                    if (s != null) {
                        Optional<Protocol> parsed = Protocol.parse(s).filter(x -> x != Protocol.AUTO);
                        if (parsed.isEmpty()) {
                            error(seq.items().get(i), path + ".protocols[" + i + "]",
                                    YamlNode.quote(s) + " is not one of tls, http, quic"
                                            + didYouMean(s, List.of("tls", "http", "quic")));
                        } else {
                            protocols.add(parsed.get());
                        }
                    }
                }
            } else {
                error(p.value(), path + ".protocols", "must be a list such as [tls, quic]");
            }
        }
        ProxyProtocol proxyProtocol = enumValue(map, path, "proxyProtocol", ProxyProtocol.NONE,
                ProxyProtocol::parse, List.of("none", "v1", "v2"));
        if (backend == null || hostnames.isEmpty() || proxyProtocol == null) {
            return null;
        }
        return new Route(hostnames, backend, protocols, proxyProtocol);
    }

    private Backend backend(YamlNode node, String path) {
        String text = string(node, path);
        if (text == null) {
            return null;
        }
        if (text.equals("*")) {
            return Backend.TRANSPARENT;
        }
        Optional<HostPort> hp = HostPort.parse(text, false);
        if (hp.isEmpty()) {
            error(node, path, YamlNode.quote(text) + " is not host:port, host, [v6]:port or \"*\" (port 1-65535)");
            return null;
        }
        if (!validHost(hp.get(), node, path)) {
            return null;
        }
        return new Backend.Static(hp.get());
    }

    private boolean validHost(HostPort hp, YamlNode at, String path) {
        Optional<String> problem = Hosts.problem(hp.host());
        problem.ifPresent(p -> error(at, path, p));
        return problem.isEmpty();
    }

    private Timeouts timeouts(YamlNode.Entry entry) {
        Timeouts d = Timeouts.DEFAULTS;
        YamlNode.Mapping map = section(entry, "timeouts");
        if (map == null) {
            return d;
        }
        checkKeys(map, "timeouts", TIMEOUT_KEYS);
        return new Timeouts(
                duration(map, "clientHello", d.clientHello()),
                duration(map, "connect", d.connect()),
                duration(map, "idle", d.idle()),
                duration(map, "udpSession", d.udpSession()),
                duration(map, "drain", d.drain()));
    }

    private Limits limits(YamlNode.Entry entry) {
        Limits d = Limits.DEFAULTS;
        YamlNode.Mapping map = section(entry, "limits");
        if (map == null) {
            return d;
        }
        checkKeys(map, "limits", LIMIT_KEYS);
        return new Limits(
                integer(map, "limits", "maxConnections", d.maxConnections(), ConfigValidator.MAX_CONNECTIONS),
                integer(map, "limits", "maxClientHelloBytes", d.maxClientHelloBytes(), ConfigValidator.MAX_CLIENT_HELLO_BYTES),
                integer(map, "limits", "maxUdpSessions", d.maxUdpSessions(), ConfigValidator.MAX_UDP_SESSIONS));
    }

    private boolean bool(YamlNode.Mapping root, String section, String key, boolean dflt) {
        YamlNode.Mapping map = section(root.entries().get(section), section);
        if (map == null) {
            return dflt;
        }
        checkKeys(map, section, Set.of(key));
        YamlNode.Entry e = map.entries().get(key);
        if (e == null || isNull(e.value())) {
            return dflt;
        }
        if (e.value() instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.BOOLEAN) {
            return s.text().equals("true");
        }
        String hint = e.value() instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.STRING
                && (s.text().equalsIgnoreCase("true") || s.text().equalsIgnoreCase("false")) ? " (write it without quotes)" : "";
        error(e.value(), section + "." + key, "must be true or false, found " + YamlNode.describe(e.value()) + hint);
        return dflt;
    }

    private YamlNode.Mapping section(YamlNode.Entry entry, String path) {
        if (entry == null || isNull(entry.value())) {
            return null;
        }
        if (entry.value() instanceof YamlNode.Mapping m) {
            return m;
        }
        error(entry.value(), path, "must be a mapping, found " + YamlNode.describe(entry.value()));
        return null;
    }

    private Duration duration(YamlNode.Mapping map, String key, Duration dflt) {
        YamlNode.Entry e = map.entries().get(key);
        if (e == null || isNull(e.value())) {
            return dflt;
        }
        String path = "timeouts." + key;
        String text = e.value() instanceof YamlNode.Scalar s ? s.text() : null;
        Optional<Duration> d = Durations.parse(text);
        String hint = text != null && text.matches("[0-9]{1,12}") ? " (add a unit: " + text + "s)" : "";
        Optional<String> problem = d.isEmpty() ? Optional.of(ConfigValidator.NOT_A_DURATION) : ConfigValidator.timeoutProblem(d.get());
        if (problem.isPresent()) {
            error(e.value(), path, problem.get() + ", found " + YamlNode.describe(e.value()) + hint);
            return dflt;
        }
        return d.get();
    }

    private int integer(YamlNode.Mapping map, String section, String key, int dflt, ConfigValidator.Range range) {
        YamlNode.Entry e = map.entries().get(key);
        if (e == null || isNull(e.value())) {
            return dflt;
        }
        String path = section + "." + key;
        String hint = "";
        if (e.value() instanceof YamlNode.Scalar s && s.text() != null && s.text().matches("[0-9]{1,18}")) {
            long v = Long.parseLong(s.text());
            if (s.kind() == YamlNode.Scalar.Kind.STRING) {
                hint = " (write it without quotes)";
            } else if (range.contains(v)) {
                return (int) v;
            }
        }
        error(e.value(), path, range.requirement() + ", found " + YamlNode.describe(e.value()) + hint);
        return dflt;
    }

    private <E> E enumValue(YamlNode.Mapping map, String path, String key, E dflt,
            Function<String, Optional<E>> parse, List<String> allowed) {
        YamlNode.Entry e = map.entries().get(key);
        if (e == null || isNull(e.value())) {
            return dflt;
        }
        String text = string(e.value(), path + "." + key);
        if (text == null) {
            return null;
        }
        Optional<E> v = parse.apply(text);
        if (v.isEmpty()) {
            error(e.value(), path + "." + key, YamlNode.quote(text) + " is not one of " + String.join(", ", allowed)
                    + didYouMean(text, allowed));
            return null;
        }
        return v.get();
    }

    private String requiredString(YamlNode.Mapping map, String path, String key) {
        YamlNode.Entry e = map.entries().get(key);
        if (e == null || isNull(e.value())) {
            error(map, path, "'" + key + "' is missing");
            return null;
        }
        return string(e.value(), path + "." + key);
    }

    private String string(YamlNode node, String path) {
        if (node instanceof YamlNode.Scalar s && s.kind() != YamlNode.Scalar.Kind.NULL) {
            return s.text();
        }
        error(node, path, "must be a text value, found " + YamlNode.describe(node));
        return null;
    }

    /** "; did you mean 'http'?" for a near miss ("htp", "TLS", "V2"), else nothing. */
    private static String didYouMean(String typed, List<String> allowed) {
        return Suggestions.closest(typed, allowed).map(k -> "; did you mean '" + k + "'?").orElse("");
    }

    private void checkKeys(YamlNode.Mapping map, String path, Set<String> allowed) {
        for (Map.Entry<String, YamlNode.Entry> e : map.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String hint = Suggestions.closest(e.getKey(), allowed)
                        .map(k -> "; did you mean '" + k + "'?")
                        .orElse("; expected one of " + String.join(", ", new java.util.TreeSet<>(allowed)));
                String message = "unknown key " + YamlNode.quote(e.getKey()) + hint;
                errors.add(new ConfigError(source, e.getValue().keyLine(), e.getValue().keyColumn(),
                        path.isEmpty() ? message : path + ": " + message));
            }
        }
    }

    private static boolean isNull(YamlNode node) {
        return node instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.NULL;
    }

    private void error(YamlNode at, String path, String message) {
        String text = path.isEmpty() ? message : path + ": " + message;
        errors.add(new ConfigError(source, at.line(), at.column(), text));
    }
}
