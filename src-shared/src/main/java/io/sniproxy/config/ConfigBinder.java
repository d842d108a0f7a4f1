package io.sniproxy.config;

import io.sniproxy.config.ConfigSchema.Key;
import io.sniproxy.config.ConfigSchema.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Turns a positioned YAML tree into config records, by the keys {@link ConfigSchema} declares.
 * Checks shape and types only (unknown keys, wrong kinds, bad enums, unparsable addresses,
 * durations and address blocks); every error is collected and binding goes on, so one run reports
 * them all. Cross-field rules live in {@link ConfigValidator}.
 */
final class ConfigBinder {

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
            error(root, ConfigPath.ROOT, "the file must be a mapping with 'listeners:' and 'routes:', found "
                    + YamlNode.describe(root));
            return Optional.empty();
        }
        ConfigPath at = ConfigPath.ROOT;
        checkKeys(map, at, ConfigSchema.Root.SECTION);
        List<Integer> listenerIndex = new ArrayList<>();
        List<Integer> routeIndex = new ArrayList<>();
        List<Listener> listeners = list(map, ConfigSchema.Root.LISTENERS, this::listener, listenerIndex);
        List<Route> routes = list(map, ConfigSchema.Root.ROUTES, this::route, routeIndex);
        Timeouts timeouts = timeouts(section(map, at, ConfigSchema.Root.TIMEOUTS));
        Limits limits = limits(section(map, at, ConfigSchema.Root.LIMITS));
        Security security = new Security(bool(section(map, at, ConfigSchema.Root.SECURITY),
                at.key(ConfigSchema.Root.SECURITY), ConfigSchema.SecurityKeys.SECTION,
                ConfigSchema.SecurityKeys.ALLOW_PRIVATE_BACKENDS));
        AccessLog accessLog = new AccessLog(bool(section(map, at, ConfigSchema.Root.ACCESS_LOG),
                at.key(ConfigSchema.Root.ACCESS_LOG), ConfigSchema.AccessLogKeys.SECTION,
                ConfigSchema.AccessLogKeys.ENABLED));
        YamlNode.Mapping pool = section(map, at, ConfigSchema.Root.CONNECTION_POOL);
        ConfigPath poolPath = at.key(ConfigSchema.Root.CONNECTION_POOL);
        if (bool(pool, poolPath, ConfigSchema.ConnectionPoolKeys.SECTION, ConfigSchema.ConnectionPoolKeys.ENABLED)) {
            Key<Boolean> enabled = ConfigSchema.ConnectionPoolKeys.ENABLED;
            error(pool.entries().get(enabled.name()).value(), poolPath.key(enabled), POOLING_REJECTED);
        }
        ProxyConfig config = new ProxyConfig(listeners, routes, timeouts, limits, security, accessLog);
        return Optional.of(new Bound(config, listenerIndex.stream().mapToInt(Integer::intValue).toArray(),
                routeIndex.stream().mapToInt(Integer::intValue).toArray()));
    }

    private <T> List<T> list(YamlNode.Mapping parent, Key<?> key, BiFunction<YamlNode, ConfigPath, T> element,
            List<Integer> positions) {
        YamlNode.Entry entry = parent.entries().get(key.name());
        List<T> out = new ArrayList<>();
        ConfigPath path = ConfigPath.ROOT.key(key);
        if (entry == null || isNull(entry.value())) {
            if (key.required()) {
                error(parent, ConfigPath.ROOT, "'" + key.name() + "' is missing; at least one is needed");
            }
            return out;
        }
        if (!(entry.value() instanceof YamlNode.Sequence seq)) {
            error(entry.value(), path, "must be a list, found " + YamlNode.describe(entry.value()));
            return out;
        }
        if (key.required() && seq.items().isEmpty()) {
            error(seq, path, "is empty; at least one is needed");
        }
        for (int i = 0; i < seq.items().size(); i++) {
            T value = element.apply(seq.items().get(i), path.index(i));
            if (value != null) {
                out.add(value);
                positions.add(i);
            }
        }
        return out;
    }

    private Listener listener(YamlNode node, ConfigPath path) {
        if (!(node instanceof YamlNode.Mapping map)) {
            error(node, path, "a listener must be a mapping with name, address and protocol");
            return null;
        }
        checkKeys(map, path, ConfigSchema.Listeners.SECTION);
        Key<String> nameKey = ConfigSchema.Listeners.NAME;
        String name = requiredString(map, path, nameKey);
        if (name != null && ConfigValidator.listenerNameProblem(name).isPresent()) {
            error(valueOf(map, nameKey), path.key(nameKey), ConfigValidator.listenerNameProblem(name).get());
            name = null;
        }
        HostPort address = null;
        Key<HostPort> addressKey = ConfigSchema.Listeners.ADDRESS;
        String addressText = requiredString(map, path, addressKey);
        if (addressText != null) {
            YamlNode at = valueOf(map, addressKey);
            address = HostPort.parse(addressText, true).orElse(null);
            if (address == null) {
                error(at, path.key(addressKey), YamlNode.quote(addressText)
                        + " is not host:port (use [::]:443 for IPv6; port 1-65535)");
            } else if (!validHost(address, at, path.key(addressKey))) {
                address = null;
            }
        }
        Protocol protocol = enumValue(map, path, ConfigSchema.Listeners.PROTOCOL);
        Optional<Backend> defaultBackend = Optional.empty();
        YamlNode db = valueOf(map, ConfigSchema.Listeners.DEFAULT_BACKEND);
        if (db != null && !isNull(db)) {
            defaultBackend = Optional.ofNullable(backend(db, path.key(ConfigSchema.Listeners.DEFAULT_BACKEND)));
        }
        AcceptProxyProtocol accept = enumValue(map, path, ConfigSchema.Listeners.ACCEPT_PROXY_PROTOCOL);
        List<Cidr> trusted = cidrs(map, path, ConfigSchema.Listeners.TRUSTED_PROXIES);
        if (name == null || address == null || protocol == null || accept == null || trusted == null) {
            return null;
        }
        return new Listener(name, address, protocol, defaultBackend, accept, trusted);
    }

    private Route route(YamlNode node, ConfigPath path) {
        if (!(node instanceof YamlNode.Mapping map)) {
            error(node, path, "a route must be a mapping with hostnames and backend");
            return null;
        }
        checkKeys(map, path, ConfigSchema.Routes.SECTION);
        List<String> hostnames = new ArrayList<>();
        Key<List<String>> hostnamesKey = ConfigSchema.Routes.HOSTNAMES;
        YamlNode h = valueOf(map, hostnamesKey);
        if (h == null) {
            error(map, path, "'" + hostnamesKey.name() + "' is missing");
        } else if (h instanceof YamlNode.Sequence seq && !seq.items().isEmpty()) {
            for (int i = 0; i < seq.items().size(); i++) {
                String s = string(seq.items().get(i), path.key(hostnamesKey).index(i));
                if (s != null) {
                    hostnames.add(s);
                }
            }
        } else {
            error(h, path.key(hostnamesKey), "must be a non-empty list of hostnames");
        }
        List<Backend> backends = backends(map, path);
        Balance balance = enumValue(map, path, ConfigSchema.Routes.BALANCE);
        Optional<HealthCheck> healthCheck = healthCheck(map, path);
        List<String> alpn = alpn(map, path);
        Set<Protocol> protocols = protocols(map, path);
        ProxyProtocol proxyProtocol = enumValue(map, path, ConfigSchema.Routes.PROXY_PROTOCOL);
        if (backends == null || hostnames.isEmpty() || balance == null || healthCheck == null || alpn == null
                || protocols == null || proxyProtocol == null) {
            return null;
        }
        return new Route(hostnames, backends, balance, healthCheck, alpn, protocols, proxyProtocol);
    }

    /** {@code backend: x} or {@code backends: [x, y]}, exactly one of them; null when unusable. */
    private List<Backend> backends(YamlNode.Mapping map, ConfigPath path) {
        Key<Backend> oneKey = ConfigSchema.Routes.BACKEND;
        Key<List<Backend>> listKey = ConfigSchema.Routes.BACKENDS;
        YamlNode one = valueOf(map, oneKey);
        YamlNode many = valueOf(map, listKey);
        boolean hasOne = one != null && !isNull(one);
        boolean hasMany = many != null && !isNull(many);
        if (hasOne && hasMany) {
            error(many, path.key(listKey), "'backend' and 'backends' are both given; 'backend: X' is the one-element "
                    + "form of 'backends: [X]', keep one of them");
            return null;
        }
        if (!hasOne && !hasMany) {
            error(map, path, "'backend' is missing (host:port, or \"*\" for transparent)");
            return null;
        }
        if (hasOne) {
            Backend b = backend(one, path.key(oneKey));
            return b == null ? null : List.of(b);
        }
        if (!(many instanceof YamlNode.Sequence seq) || seq.items().isEmpty()) {
            error(many, path.key(listKey), "must be a non-empty list such as [10.0.0.5:8443, 10.0.0.6:8443]");
            return null;
        }
        List<Backend> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < seq.items().size(); i++) {
            Backend b = backend(seq.items().get(i), path.key(listKey).index(i));
            ok &= b != null;
            out.add(b);
        }
        return ok ? out : null;
    }

    private Optional<HealthCheck> healthCheck(YamlNode.Mapping route, ConfigPath routePath) {
        Key<HealthCheck> key = ConfigSchema.Routes.HEALTH_CHECK;
        YamlNode node = valueOf(route, key);
        if (node == null || isNull(node)) {
            return Optional.empty();
        }
        ConfigPath path = routePath.key(key);
        if (!(node instanceof YamlNode.Mapping map)) {
            error(node, path, "must be a mapping such as {interval: 2s, timeout: 1s, rise: 2, fall: 3}, found "
                    + YamlNode.describe(node));
            return null;
        }
        checkKeys(map, path, ConfigSchema.HealthChecks.SECTION);
        Duration interval = duration(map, path, ConfigSchema.HealthChecks.INTERVAL);
        Duration timeout = duration(map, path, ConfigSchema.HealthChecks.TIMEOUT);
        Integer rise = integer(map, path, ConfigSchema.HealthChecks.RISE);
        Integer fall = integer(map, path, ConfigSchema.HealthChecks.FALL);
        if (interval == null || timeout == null || rise == null || fall == null) {
            return null;
        }
        return Optional.of(new HealthCheck(interval, timeout, rise, fall));
    }

    private List<String> alpn(YamlNode.Mapping map, ConfigPath routePath) {
        Key<List<String>> key = ConfigSchema.Routes.ALPN;
        YamlNode node = valueOf(map, key);
        if (node == null || isNull(node)) {
            return List.of();
        }
        ConfigPath path = routePath.key(key);
        if (!(node instanceof YamlNode.Sequence seq) || seq.items().isEmpty()) {
            error(node, path, "must be a non-empty list of ALPN protocol ids such as [h2, http/1.1] or [acme-tls/1]");
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < seq.items().size(); i++) {
            YamlNode item = seq.items().get(i);
            ConfigPath at = path.index(i);
            String id = string(item, at);
            Optional<String> problem = id == null ? Optional.empty() : Alpn.problem(id);
            problem.ifPresent(p -> error(item, at, p));
            ok &= id != null && problem.isEmpty();
            out.add(id);
        }
        return ok ? out : null;
    }

    private Set<Protocol> protocols(YamlNode.Mapping map, ConfigPath routePath) {
        Key<Protocol> key = ConfigSchema.Routes.PROTOCOLS;
        Set<Protocol> protocols = EnumSet.noneOf(Protocol.class);
        YamlNode node = valueOf(map, key);
        if (node == null || isNull(node)) {
            return protocols;
        }
        ConfigPath path = routePath.key(key);
        if (!(node instanceof YamlNode.Sequence seq)) {
            error(node, path, "must be a list such as [tls, quic]");
            return protocols;
        }
        for (int i = 0; i < seq.items().size(); i++) {
            String s = string(seq.items().get(i), path.index(i));
            if (s != null) {
                Optional<Protocol> parsed = key.parse(s);
                if (parsed.isEmpty()) {
                    error(seq.items().get(i), path.index(i), notOneOf(s, key));
                } else {
                    protocols.add(parsed.get());
                }
            }
        }
        return protocols;
    }

    /** A list of address blocks; null when any is malformed. */
    private List<Cidr> cidrs(YamlNode.Mapping map, ConfigPath parent, Key<List<Cidr>> key) {
        YamlNode node = valueOf(map, key);
        if (node == null || isNull(node)) {
            return key.dflt();
        }
        ConfigPath path = parent.key(key);
        if (!(node instanceof YamlNode.Sequence seq)) {
            error(node, path, "must be a list of address blocks such as [10.0.0.0/8, \"fd00::/8\"], found "
                    + YamlNode.describe(node));
            return null;
        }
        List<Cidr> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < seq.items().size(); i++) {
            YamlNode item = seq.items().get(i);
            String text = string(item, path.index(i));
            if (text == null) {
                ok = false;
                continue;
            }
            Cidr.Parsed parsed = Cidr.parse(text);
            if (parsed.cidr().isEmpty()) {
                error(item, path.index(i), YamlNode.quote(text) + " " + parsed.problem());
                ok = false;
            } else {
                out.add(parsed.cidr().get());
            }
        }
        return ok ? out : null;
    }

    private Backend backend(YamlNode node, ConfigPath path) {
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

    private boolean validHost(HostPort hp, YamlNode at, ConfigPath path) {
        Optional<String> problem = Hosts.problem(hp.host());
        problem.ifPresent(p -> error(at, path, p));
        return problem.isEmpty();
    }

    private Timeouts timeouts(YamlNode.Mapping map) {
        Timeouts d = Timeouts.DEFAULTS;
        if (map == null) {
            return d;
        }
        ConfigPath path = ConfigPath.ROOT.key(ConfigSchema.Root.TIMEOUTS);
        checkKeys(map, path, ConfigSchema.TimeoutKeys.SECTION);
        return new Timeouts(
                durationOrDefault(map, path, ConfigSchema.TimeoutKeys.CLIENT_HELLO),
                durationOrDefault(map, path, ConfigSchema.TimeoutKeys.CONNECT),
                durationOrDefault(map, path, ConfigSchema.TimeoutKeys.IDLE),
                durationOrDefault(map, path, ConfigSchema.TimeoutKeys.UDP_SESSION),
                durationOrDefault(map, path, ConfigSchema.TimeoutKeys.DRAIN));
    }

    private Limits limits(YamlNode.Mapping map) {
        Limits d = Limits.DEFAULTS;
        if (map == null) {
            return d;
        }
        ConfigPath path = ConfigPath.ROOT.key(ConfigSchema.Root.LIMITS);
        checkKeys(map, path, ConfigSchema.LimitKeys.SECTION);
        return new Limits(
                integerOrDefault(map, path, ConfigSchema.LimitKeys.MAX_CONNECTIONS),
                integerOrDefault(map, path, ConfigSchema.LimitKeys.MAX_CLIENT_HELLO_BYTES),
                integerOrDefault(map, path, ConfigSchema.LimitKeys.MAX_UDP_SESSIONS),
                perClient(section(map, path, ConfigSchema.LimitKeys.PER_CLIENT), path.key(ConfigSchema.LimitKeys.PER_CLIENT)));
    }

    private Optional<PerClientLimits> perClient(YamlNode.Mapping map, ConfigPath path) {
        if (map == null) {
            return Optional.empty();
        }
        checkKeys(map, path, ConfigSchema.PerClient.SECTION);
        OptionalInt max = optionalInt(map, path, ConfigSchema.PerClient.MAX_CONNECTIONS);
        OptionalInt rate = optionalInt(map, path, ConfigSchema.PerClient.NEW_CONNECTIONS_PER_SECOND);
        OptionalInt burst = optionalInt(map, path, ConfigSchema.PerClient.BURST);
        Integer prefix = integer(map, path, ConfigSchema.PerClient.IPV6_PREFIX);
        if (max == null || rate == null || burst == null || prefix == null) {
            return Optional.empty(); // the error is reported; the limits it would have set do not matter then
        }
        return Optional.of(new PerClientLimits(max, rate, burst, prefix));
    }

    /** A section's mapping; null when absent or empty (all defaults) or not a mapping (reported). */
    private YamlNode.Mapping section(YamlNode.Mapping parent, ConfigPath parentPath, Key<?> key) {
        YamlNode node = parent == null ? null : valueOf(parent, key);
        if (node == null || isNull(node)) {
            return null;
        }
        if (node instanceof YamlNode.Mapping m) {
            return m;
        }
        error(node, parentPath.key(key), "must be a mapping, found " + YamlNode.describe(node));
        return null;
    }

    private boolean bool(YamlNode.Mapping map, ConfigPath path, Section section, Key<Boolean> key) {
        if (map == null) {
            return key.dflt();
        }
        checkKeys(map, path, section);
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            return key.dflt();
        }
        if (v instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.BOOLEAN) {
            return s.text().equals("true");
        }
        String hint = v instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.STRING
                && (s.text().equalsIgnoreCase("true") || s.text().equalsIgnoreCase("false")) ? " (write it without quotes)" : "";
        error(v, path.key(key), "must be true or false, found " + YamlNode.describe(v) + hint);
        return key.dflt();
    }

    private Duration durationOrDefault(YamlNode.Mapping map, ConfigPath path, Key<Duration> key) {
        Duration d = duration(map, path, key);
        return d == null ? key.dflt() : d;
    }

    /** The key's duration, its default when absent, null when malformed (reported). */
    private Duration duration(YamlNode.Mapping map, ConfigPath parent, Key<Duration> key) {
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            return key.dflt();
        }
        String text = v instanceof YamlNode.Scalar s ? s.text() : null;
        Optional<Duration> d = Durations.parse(text);
        String hint = text != null && text.matches("[0-9]{1,12}") ? " (add a unit: " + text + "s)" : "";
        Optional<String> problem = d.isEmpty() ? Optional.of(ConfigValidator.NOT_A_DURATION) : ConfigValidator.timeoutProblem(d.get());
        if (problem.isPresent()) {
            error(v, parent.key(key), problem.get() + ", found " + YamlNode.describe(v) + hint);
            return null;
        }
        return d.get();
    }

    private int integerOrDefault(YamlNode.Mapping map, ConfigPath path, Key<Integer> key) {
        Integer v = integer(map, path, key);
        return v == null ? key.dflt() : v;
    }

    /** Present when given, empty when absent, null when malformed (reported). */
    private OptionalInt optionalInt(YamlNode.Mapping map, ConfigPath path, Key<Integer> key) {
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            return OptionalInt.empty();
        }
        Integer i = integer(map, path, key);
        return i == null ? null : OptionalInt.of(i);
    }

    /** The key's number within its range, its default when absent, null when malformed (reported). */
    private Integer integer(YamlNode.Mapping map, ConfigPath parent, Key<Integer> key) {
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            return key.dflt();
        }
        String hint = "";
        if (v instanceof YamlNode.Scalar s && s.text() != null && s.text().matches("[0-9]{1,18}")) {
            long n = Long.parseLong(s.text());
            if (s.kind() == YamlNode.Scalar.Kind.STRING) {
                hint = " (write it without quotes)";
            } else if (key.range().contains(n)) {
                return (int) n;
            }
        }
        error(v, parent.key(key), key.range().requirement() + ", found " + YamlNode.describe(v) + hint);
        return null;
    }

    /** The key's enum value, its default when absent, null when missing-but-required or malformed (reported). */
    private <E> E enumValue(YamlNode.Mapping map, ConfigPath parent, Key<E> key) {
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            if (key.required()) {
                error(map, parent, "'" + key.name() + "' is missing");
            }
            return key.dflt();
        }
        String text = string(v, parent.key(key));
        if (text == null) {
            return null;
        }
        Optional<E> e = key.parse(text);
        if (e.isEmpty()) {
            error(v, parent.key(key), notOneOf(text, key));
            return null;
        }
        return e.get();
    }

    private static String notOneOf(String text, Key<?> key) {
        return YamlNode.quote(text) + " is not one of " + key.allowedText() + didYouMean(text, key.allowed());
    }

    private String requiredString(YamlNode.Mapping map, ConfigPath parent, Key<?> key) {
        YamlNode v = valueOf(map, key);
        if (v == null || isNull(v)) {
            error(map, parent, "'" + key.name() + "' is missing");
            return null;
        }
        return string(v, parent.key(key));
    }

    private String string(YamlNode node, ConfigPath path) {
        if (node instanceof YamlNode.Scalar s && s.kind() != YamlNode.Scalar.Kind.NULL) {
            return s.text();
        }
        error(node, path, "must be a text value, found " + YamlNode.describe(node));
        return null;
    }

    private static YamlNode valueOf(YamlNode.Mapping map, Key<?> key) {
        YamlNode.Entry e = map.entries().get(key.name());
        return e == null ? null : e.value();
    }

    /** "; did you mean 'http'?" for a near miss ("htp", "TLS", "V2"), else nothing. */
    private static String didYouMean(String typed, List<String> allowed) {
        return Suggestions.closest(typed, allowed).map(k -> "; did you mean '" + k + "'?").orElse("");
    }

    private void checkKeys(YamlNode.Mapping map, ConfigPath path, Section section) {
        Set<String> allowed = section.keyNames();
        for (Map.Entry<String, YamlNode.Entry> e : map.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String hint = Suggestions.closest(e.getKey(), allowed)
                        .map(k -> "; did you mean '" + k + "'?")
                        .orElse("; expected one of " + String.join(", ", new TreeSet<>(allowed)));
                String message = "unknown key " + YamlNode.quote(e.getKey()) + hint;
                errors.add(new ConfigError(source, e.getValue().keyLine(), e.getValue().keyColumn(),
                        path.isRoot() ? message : path + ": " + message));
            }
        }
    }

    private static boolean isNull(YamlNode node) {
        return node instanceof YamlNode.Scalar s && s.kind() == YamlNode.Scalar.Kind.NULL;
    }

    private void error(YamlNode at, ConfigPath path, String message) {
        errors.add(new ConfigError(source, at.line(), at.column(), new ConfigProblem(path, message).toString()));
    }
}
