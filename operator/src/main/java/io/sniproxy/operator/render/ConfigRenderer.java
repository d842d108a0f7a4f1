package io.sniproxy.operator.render;

import io.sniproxy.config.AcceptProxyProtocol;
import io.sniproxy.config.AccessLog;
import io.sniproxy.config.Backend;
import io.sniproxy.config.Cidr;
import io.sniproxy.config.ConfigException;
import io.sniproxy.config.ConfigProblem;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ConfigSchema;
import io.sniproxy.config.ConfigValidator;
import io.sniproxy.config.ConfigWriter;
import io.sniproxy.config.Durations;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.Limits;
import io.sniproxy.config.Listener;
import io.sniproxy.config.PerClientLimits;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.config.Route;
import io.sniproxy.config.Security;
import io.sniproxy.config.Timeouts;
import io.sniproxy.operator.api.LimitsSpec;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.PerClientLimitsSpec;
import io.sniproxy.operator.api.SniProxySpec;
import io.sniproxy.operator.api.TimeoutsSpec;
import io.sniproxy.operator.routes.RouteVerdict;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * SniProxy spec + accepted routes → the proxy's config file. Deterministic: listeners sorted by name,
 * routes by their first hostname, hostnames sorted; the same inputs always give the same bytes and
 * hash, so an operator restart rolls nothing. The result is validated by the proxy's own
 * {@link ConfigValidator} and read back by its {@link ConfigReader}: the operator never writes a file
 * the proxy would refuse.
 */
public final class ConfigRenderer {

    private final String listenHost;

    public ConfigRenderer(String listenHost) {
        this.listenHost = listenHost;
    }

    /**
     * @param verdicts route verdicts keyed by {@code namespace/name}
     * @param generations route generation by the same key (recorded in the rendering's route list)
     */
    public RenderOutcome render(SniProxySpec spec, Map<String, RouteVerdict> verdicts, Function<String, Long> generations) {
        List<String> problems = ProxySpecCheck.problems(spec);
        if (!problems.isEmpty()) {
            return new RenderOutcome(problems, Optional.empty(), verdicts);
        }
        Map<String, RouteVerdict> current = new HashMap<>(verdicts);
        List<Listener> listeners = listeners(spec);
        // Each pass drops the routes the proxy's validator refuses; bounded by the number of routes.
        for (int pass = 0; pass <= verdicts.size(); pass++) {
            List<Map.Entry<String, Route>> routes = acceptedInOrder(current);
            ProxyConfig config = new ProxyConfig(listeners, routes.stream().map(Map.Entry::getValue).toList(),
                    timeouts(spec.timeouts), limits(spec.limits),
                    new Security(Boolean.TRUE.equals(spec.allowPrivateBackends)), AccessLog.DEFAULTS);
            List<ConfigProblem> found = ConfigValidator.validate(config);
            boolean routeRefused = false;
            List<String> listenerProblems = new ArrayList<>();
            for (ConfigProblem p : found) {
                OptionalInt route = p.at().indexUnder(ConfigSchema.Root.ROUTES);
                if (route.isPresent()) {
                    String key = routes.get(route.getAsInt()).getKey();
                    RouteVerdict was = current.get(key);
                    if (was.isAccepted()) {
                        current.put(key, RouteVerdict.refused(RouteVerdict.INVALID,
                                "the proxy refuses this route: " + p.message(), was.backend()));
                        routeRefused = true;
                    }
                } else {
                    listenerProblems.add(describe(p, listeners));
                }
            }
            if (!listenerProblems.isEmpty()) {
                return new RenderOutcome(listenerProblems, Optional.empty(), current);
            }
            if (routeRefused) {
                continue;
            }
            String yaml = ConfigWriter.toYaml(config);
            try {
                ConfigReader.read("rendered config", yaml);
            } catch (ConfigException e) {
                return new RenderOutcome(List.of("the rendered config is refused by the proxy: " + e.getMessage()),
                        Optional.empty(), current);
            }
            List<String> keys = routes.stream()
                    .map(e -> e.getKey() + "@" + generations.apply(e.getKey()))
                    .sorted()
                    .toList();
            return new RenderOutcome(List.of(), Optional.of(new Rendering(config, yaml, hash(yaml), keys)), current);
        }
        throw new IllegalStateException("route validation did not settle");
    }

    private List<Listener> listeners(SniProxySpec spec) {
        return spec.listeners.stream()
                .sorted(Comparator.comparing((ListenerSpec l) -> l.name))
                .map(l -> new Listener(l.name, HostPort.of(listenHost, l.port), l.protocol.config(),
                        Optional.ofNullable(l.defaultBackend)
                                .flatMap(b -> HostPort.parse(b, true))
                                .map(Backend.Static::new),
                        l.acceptProxyProtocol == null ? AcceptProxyProtocol.NONE : l.acceptProxyProtocol.config(),
                        trustedProxies(l.trustedProxies)))
                .toList();
    }

    /** The blocks as the proxy reads them; {@link ProxySpecCheck} has refused a spec with a malformed one. */
    private static List<Cidr> trustedProxies(List<String> blocks) {
        return blocks == null ? List.of()
                : blocks.stream().map(b -> Cidr.parse(b).cidr().orElseThrow()).toList();
    }

    private static List<Map.Entry<String, Route>> acceptedInOrder(Map<String, RouteVerdict> verdicts) {
        List<Map.Entry<String, Route>> routes = new ArrayList<>();
        verdicts.forEach((key, v) -> v.route().ifPresent(r -> routes.add(Map.entry(key, r))));
        routes.sort(Comparator.comparing((Map.Entry<String, Route> e) -> e.getValue().hostnames().get(0))
                .thenComparing(Map.Entry::getKey));
        return routes;
    }

    private static Timeouts timeouts(TimeoutsSpec t) {
        Timeouts d = Timeouts.DEFAULTS;
        if (t == null) {
            return d;
        }
        return new Timeouts(or(t.clientHello, d.clientHello()), or(t.connect, d.connect()), or(t.idle, d.idle()),
                or(t.udpSession, d.udpSession()), or(t.drain, d.drain()));
    }

    private static Duration or(String text, Duration fallback) {
        return text == null ? fallback : Durations.parse(text).orElse(fallback);
    }

    private static Limits limits(LimitsSpec l) {
        Limits d = Limits.DEFAULTS;
        if (l == null) {
            return d;
        }
        return new Limits(l.maxConnections == null ? d.maxConnections() : l.maxConnections,
                l.maxClientHelloBytes == null ? d.maxClientHelloBytes() : l.maxClientHelloBytes,
                l.maxUdpSessions == null ? d.maxUdpSessions() : l.maxUdpSessions,
                Optional.ofNullable(l.perClient).map(ConfigRenderer::perClient));
    }

    private static PerClientLimits perClient(PerClientLimitsSpec p) {
        return new PerClientLimits(optional(p.maxConnections), optional(p.newConnectionsPerSecond), optional(p.burst),
                p.ipv6Prefix == null ? ConfigSchema.PerClient.IPV6_PREFIX.dflt() : p.ipv6Prefix);
    }

    private static OptionalInt optional(Integer v) {
        return v == null ? OptionalInt.empty() : OptionalInt.of(v);
    }

    private static String describe(ConfigProblem p, List<Listener> listeners) {
        OptionalInt listener = p.at().indexUnder(ConfigSchema.Root.LISTENERS);
        if (listener.isPresent()) {
            return "spec.listeners (name " + listeners.get(listener.getAsInt()).name() + "): " + p.message();
        }
        // timeouts and limits carry the file's names in the spec too
        return "spec." + p;
    }

    /** First 16 hex digits of the SHA-256 of the file: short enough for a column, long enough to never collide in practice. */
    public static String hash(String yaml) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(yaml.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
