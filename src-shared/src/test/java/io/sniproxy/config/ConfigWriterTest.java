package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.route.Hostnames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The operator writes the files the proxy reads: what is written must read back to the same config,
 * and the same config must always give the same bytes (the Deployment rolls on a change of its hash).
 */
class ConfigWriterTest {

    @Test
    void writesEveryFieldInTheDocumentedOrder() throws Exception {
        ProxyConfig c = ConfigReader.read(ConfigReaderTest.resource("every-field.yaml"));
        String expected = Files.readString(ConfigReaderTest.resource("every-field.written.yaml"), StandardCharsets.UTF_8);

        assertThat(ConfigWriter.toYaml(c)).isEqualTo(expected);
    }

    @Test
    void theWrittenDefaultsReadBackAsDefaults() throws Exception {
        ProxyConfig c = ConfigReader.read("t", "listeners: [{name: a, address: \"127.0.0.1:1\", protocol: tls}]\n");

        String yaml = ConfigWriter.toYaml(c);

        assertThat(yaml).contains("connectionPool:\n  enabled: false\n")
                .contains("  clientHello: 10s\n  connect: 5s\n  idle: 5m\n  udpSession: 30s\n  drain: 30s\n")
                .contains("routes: []\n");
        assertThat(ConfigReader.read("written", yaml)).isEqualTo(c);
    }

    @Test
    void theOrderOfAProtocolSetDoesNotChangeTheOutput() {
        Route a = new Route(List.of("a.example.com"), Backend.TRANSPARENT,
                EnumSet.of(Protocol.QUIC, Protocol.TLS, Protocol.HTTP), ProxyProtocol.NONE);
        Route b = new Route(List.of("a.example.com"), Backend.TRANSPARENT,
                new java.util.LinkedHashSet<>(List.of(Protocol.HTTP, Protocol.QUIC, Protocol.TLS)), ProxyProtocol.NONE);

        String yamlA = ConfigWriter.toYaml(config(List.of(a)));
        String yamlB = ConfigWriter.toYaml(config(List.of(b)));

        assertThat(yamlA).isEqualTo(yamlB).contains("    protocols:\n      - tls\n      - http\n      - quic\n");
    }

    @Test
    void valuesThatLookLikeOtherYamlTypesAreQuoted() throws Exception {
        // Names YAML would read as null, booleans or numbers, and a wildcard that would be an alias.
        List<Listener> listeners = new ArrayList<>();
        String[] names = {"null", "true", "false", "yes", "on", "1", "0x1F", "1e3", ".inf", "-", ".", "012", "1_000", "~x"};
        for (int i = 0; i < names.length; i++) {
            if (names[i].matches("[A-Za-z0-9_.-]{1,64}")) {
                listeners.add(new Listener(names[i], HostPort.of("127.0.0.1", 1000 + i), Protocol.TLS, Optional.empty()));
            }
        }
        ProxyConfig c = new ProxyConfig(listeners,
                List.of(new Route(List.of("*.example.com"), Backend.TRANSPARENT, Set.of(), ProxyProtocol.NONE)),
                Timeouts.DEFAULTS, Limits.DEFAULTS, Security.DEFAULTS, AccessLog.DEFAULTS);

        assertThat(ConfigReader.read("written", ConfigWriter.toYaml(c))).isEqualTo(c);
    }

    @Property(tries = 300)
    void writeThenReadIsTheIdentity(@ForAll("configs") ProxyConfig config) throws Exception {
        assertThat(ConfigValidator.validate(config)).as("the generator makes valid configs").isEmpty();

        String yaml = ConfigWriter.toYaml(config);

        assertThat(ConfigReader.read("written.yaml", yaml)).isEqualTo(config);
    }

    @Property(tries = 100)
    void theSameConfigAlwaysGivesTheSameBytes(@ForAll("configs") ProxyConfig config) throws Exception {
        ProxyConfig copy = ConfigReader.read("copy", ConfigWriter.toYaml(config));

        assertThat(ConfigWriter.toYaml(copy)).isEqualTo(ConfigWriter.toYaml(config));
    }

    private static ProxyConfig config(List<Route> routes) {
        return new ProxyConfig(
                List.of(new Listener("https", HostPort.of("127.0.0.1", 8443), Protocol.TLS, Optional.empty())),
                routes, Timeouts.DEFAULTS, Limits.DEFAULTS, Security.DEFAULTS, AccessLog.DEFAULTS);
    }

    // --- generators of valid configs ------------------------------------------------------------------

    @Provide
    Arbitrary<ProxyConfig> configs() {
        Arbitrary<List<Listener>> listeners = Combinators.combine(
                listenerNames().list().ofMinSize(1).ofMaxSize(4).uniqueElements(),
                Arbitraries.of("127.0.0.1", "0.0.0.0", "::1", "::", "localhost", "127.0.0.5").list().ofSize(4),
                Arbitraries.of(Protocol.class).list().ofSize(4),
                staticBackend().optional().list().ofSize(4),
                Arbitraries.of(AcceptProxyProtocol.class).list().ofSize(4),
                cidr().list().ofMinSize(1).ofMaxSize(3).uniqueElements().list().ofSize(4))
                .as((names, hosts, protocols, defaults, accepts, trusted) -> {
                    List<Listener> out = new ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                        // One port each keeps sockets unique; the backends below are never on loopback.
                        // PROXY protocol in only where the validator allows it: TCP, from named balancers.
                        boolean proxyIn = protocols.get(i).isTcp() && accepts.get(i).enabled();
                        out.add(new Listener(names.get(i), HostPort.of(hosts.get(i), 1000 + i), protocols.get(i),
                                defaults.get(i).map(b -> (Backend) b),
                                proxyIn ? accepts.get(i) : AcceptProxyProtocol.NONE,
                                proxyIn ? trusted.get(i) : List.of()));
                    }
                    return out;
                });
        Arbitrary<List<Route>> routes = patterns().list().ofMaxSize(12).uniqueElements(Hostnames::normalize)
                .flatMap(patterns -> routesFor(patterns));
        Arbitrary<Timeouts> timeouts = duration().list().ofSize(5)
                .map(d -> new Timeouts(d.get(0), d.get(1), d.get(2), d.get(3), d.get(4)));
        Arbitrary<Limits> limits = Combinators.combine(Arbitraries.integers().between(1, 10_000_000),
                Arbitraries.integers().between(512, 1 << 20), Arbitraries.integers().between(1, 10_000_000),
                perClient().optional())
                .as(Limits::new);
        return Combinators.combine(listeners, routes, timeouts, limits, Arbitraries.of(true, false),
                        Arbitraries.of(true, false))
                .as((l, r, t, lim, priv, log) -> new ProxyConfig(l, r, t, lim, new Security(priv), new AccessLog(log)));
    }

    /** Splits distinct hostnames over 1-3-name routes, so no name is claimed twice. */
    private Arbitrary<List<Route>> routesFor(List<String> patterns) {
        if (patterns.isEmpty()) {
            return Arbitraries.just(List.of());
        }
        return Combinators.combine(
                Arbitraries.integers().between(1, 3).list().ofSize(patterns.size()),
                backend().list().ofSize(patterns.size()),
                Arbitraries.subsetOf(Protocol.TLS, Protocol.HTTP, Protocol.QUIC).list().ofSize(patterns.size()),
                Arbitraries.of(ProxyProtocol.class).list().ofSize(patterns.size()),
                staticBackend().list().ofMinSize(1).ofMaxSize(3).uniqueElements(Backend::toString)
                        .list().ofSize(patterns.size()),
                Arbitraries.of(Balance.class).list().ofSize(patterns.size()),
                healthCheck().optional().list().ofSize(patterns.size()),
                alpnIds().list().ofSize(patterns.size()))
                .as((sizes, backends, protocols, proxyProtocols, lists, balances, checks, alpn) -> {
                    List<Route> out = new ArrayList<>();
                    int i = 0;
                    int r = 0;
                    while (i < patterns.size()) {
                        int n = Math.min(sizes.get(r), patterns.size() - i);
                        boolean transparent = backends.get(r) instanceof Backend.Transparent;
                        // ALPN never reaches an http-only route, so the validator refuses that pairing.
                        boolean httpOnly = protocols.get(r).equals(Set.of(Protocol.HTTP));
                        out.add(new Route(patterns.subList(i, i + n),
                                transparent ? List.of(Backend.TRANSPARENT) : List.copyOf(lists.get(r)),
                                balances.get(r), transparent ? Optional.empty() : checks.get(r),
                                httpOnly ? List.of() : alpn.get(r), protocols.get(r), proxyProtocols.get(r)));
                        i += n;
                        r++;
                    }
                    return out;
                });
    }

    private static Arbitrary<String> listenerNames() {
        Arbitrary<String> plain = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
                .withCharRange('0', '9').withChars('_', '.', '-').ofMinLength(1).ofMaxLength(64);
        Arbitrary<String> tricky = Arbitraries.of("null", "Null", "NULL", "true", "False", "yes", "no", "on", "off",
                "1", "0", "-1", "0x1F", "0o17", "1e3", ".inf", ".NaN", "-", ".", "012", "1_000", "1.0", "y", "n");
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, plain), net.jqwik.api.Tuple.of(1, tricky));
    }

    private static Arbitrary<String> patterns() {
        Arbitrary<String> label = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('-')
                .ofMinLength(1).ofMaxLength(10)
                .filter(s -> !s.startsWith("-") && !s.endsWith("-"));
        Arbitrary<String> tld = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(2).ofMaxLength(6);
        Arbitrary<String> name = Combinators.combine(label.list().ofMinSize(0).ofMaxSize(3), tld)
                .as((labels, top) -> {
                    List<String> all = new ArrayList<>(labels);
                    all.add(top);
                    return String.join(".", all);
                });
        return Combinators.combine(name, Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((n, wildcard, upper, trailingDot) -> (wildcard ? "*." : "")
                        + (upper ? n.toUpperCase(java.util.Locale.ROOT) : n) + (trailingDot ? "." : ""));
    }

    private static Arbitrary<Backend> backend() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Backend.TRANSPARENT)),
                net.jqwik.api.Tuple.of(4, staticBackend().map(b -> (Backend) b)));
    }

    private static Arbitrary<Backend.Static> staticBackend() {
        Arbitrary<String> v4 = Arbitraries.integers().between(0, 255).list().ofSize(3)
                .map(l -> "10." + l.get(0) + "." + l.get(1) + "." + l.get(2));
        Arbitrary<String> v6 = Arbitraries.integers().between(1, 0xffff).map(n -> "fd00::" + Integer.toHexString(n));
        Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20)
                .map(s -> s + ".ns.svc.cluster.local");
        Arbitrary<OptionalInt> port = Arbitraries.oneOf(Arbitraries.just(OptionalInt.empty()),
                Arbitraries.integers().between(1, 65535).map(OptionalInt::of));
        return Combinators.combine(Arbitraries.oneOf(v4, v6, name), port)
                .as((host, p) -> new Backend.Static(new HostPort(host, p)));
    }

    private static Arbitrary<Cidr> cidr() {
        Arbitrary<Cidr> v4 = Combinators.combine(Arbitraries.integers().between(0, 255), Arbitraries.integers().between(8, 32))
                .as((octet, prefix) -> Cidr.parse("10." + octet + ".0.0/" + Math.max(prefix, 16)).cidr().orElseThrow());
        Arbitrary<Cidr> v6 = Arbitraries.integers().between(1, 0xffff)
                .map(n -> Cidr.parse("fd00:" + Integer.toHexString(n) + "::/32").cidr().orElseThrow());
        return Arbitraries.oneOf(v4, v6);
    }

    private static Arbitrary<HealthCheck> healthCheck() {
        Arbitrary<Long> millis = Arbitraries.longs().between(1, 60_000);
        return Combinators.combine(millis, millis, Arbitraries.integers().between(1, 100), Arbitraries.integers().between(1, 100))
                .as((a, b, rise, fall) -> new HealthCheck(Duration.ofMillis(Math.max(a, b)), Duration.ofMillis(Math.min(a, b)),
                        rise, fall));
    }

    private static Arbitrary<List<String>> alpnIds() {
        Arbitrary<String> known = Arbitraries.of("h2", "http/1.1", "acme-tls/1", "h3", "imap", "xmpp-client");
        Arbitrary<String> any = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(20);
        return Arbitraries.oneOf(known, any).list().ofMaxSize(3).uniqueElements();
    }

    private static Arbitrary<PerClientLimits> perClient() {
        Arbitrary<OptionalInt> max = Arbitraries.integers().between(1, 10_000_000).map(OptionalInt::of);
        Arbitrary<OptionalInt> rate = Arbitraries.integers().between(1, 1_000_000).map(OptionalInt::of);
        Arbitrary<OptionalInt> burst = Arbitraries.integers().between(1, 10_000_000).map(OptionalInt::of);
        return Combinators.combine(max.injectNull(0.3), rate.injectNull(0.3), burst.injectNull(0.5),
                        Arbitraries.integers().between(1, 128))
                .as((m, r, b, prefix) -> {
                    OptionalInt mx = m == null ? OptionalInt.empty() : m;
                    OptionalInt rt = r == null ? OptionalInt.empty() : r;
                    if (mx.isEmpty() && rt.isEmpty()) {
                        mx = OptionalInt.of(100); // a section that sets no limit is refused
                    }
                    OptionalInt bs = b == null || rt.isEmpty() ? OptionalInt.empty() : b;
                    return new PerClientLimits(mx, rt, bs, prefix);
                });
    }

    private static Arbitrary<Duration> duration() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(1, 7L * 86_400_000).map(Duration::ofMillis),
                Arbitraries.longs().between(1, 7L * 86_400).map(Duration::ofSeconds),
                Arbitraries.longs().between(1, 7L * 24 * 60).map(Duration::ofMinutes));
    }
}
