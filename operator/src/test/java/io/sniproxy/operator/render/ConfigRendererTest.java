package io.sniproxy.operator.render;

import static io.sniproxy.operator.testing.Resources.persisted;
import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.AcceptProxyProtocol;
import io.sniproxy.config.Backend;
import io.sniproxy.config.Balance;
import io.sniproxy.config.Cidr;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ConfigSchema;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.PerClientLimits;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.config.Route;
import io.sniproxy.operator.api.AcceptProxyProtocolMode;
import io.sniproxy.operator.api.BalanceMode;
import io.sniproxy.operator.api.LimitsSpec;
import io.sniproxy.operator.api.PerClientLimitsSpec;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import io.sniproxy.operator.routes.RouteAdmission;
import io.sniproxy.operator.routes.RouteVerdict;
import io.sniproxy.operator.api.TimeoutsSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ConfigRendererTest {

    final ConfigRenderer renderer = new ConfigRenderer("0.0.0.0");
    final RouteAdmission admission = new RouteAdmission("cluster.local", (ns, n) -> Optional.empty());

    @Test
    void renderedFileIsReadByTheProxyAsTheRoutesSay() throws Exception {
        SniProxy p = proxy("edge", "edge", tls("https", 8443), new ListenerSpec("web", 8080, ListenerProtocol.HTTP),
                new ListenerSpec("h3", 8443, ListenerProtocol.QUIC));
        List<SniRoute> routes = List.of(
                persisted(route("a", "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com"),
                        "2026-01-01T00:00:00Z"),
                persisted(route("b", "wild", "edge", BackendRef.address("10.0.0.6:443"), "*.example.org"),
                        "2026-01-02T00:00:00Z"));

        Rendering r = render(p, routes).rendering().orElseThrow();
        ProxyConfig read = ConfigReader.read("configmap", r.yaml());

        assertThat(read).isEqualTo(r.config());
        assertThat(read.listeners()).extracting(l -> l.name() + "=" + l.address() + "/" + l.protocol())
                .containsExactly("h3=0.0.0.0:8443/QUIC", "https=0.0.0.0:8443/TLS", "web=0.0.0.0:8080/HTTP");
        assertThat(read.routes()).extracting(rt -> rt.hostnames() + "->" + rt.backends().get(0))
                .containsExactly("[*.example.org]->10.0.0.6:443", "[api.example.com]->10.0.0.5:8443");
        assertThat(r.yaml()).contains("connectionPool:\n  enabled: false");
        assertThat(r.routes()).containsExactly("a/api@1", "b/wild@1");
    }

    @Test
    void sameInputsInAnyOrderGiveTheSameBytesAndHash() {
        List<SniRoute> routes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            routes.add(persisted(route("ns" + (i % 3), "r" + i, "edge", BackendRef.address("10.0.0." + (i + 1) + ":443"),
                    "h" + i + ".example.com", "alt" + i + ".example.com"), "2026-01-01T00:00:" + (10 + i) + "Z"));
        }
        Rendering first = render(proxy("edge", "edge", tls("b", 2), tls("a", 1)), routes).rendering().orElseThrow();
        for (int round = 0; round < 5; round++) {
            List<SniRoute> shuffled = new ArrayList<>(routes);
            Collections.shuffle(shuffled, new java.util.Random(round));
            Rendering again = render(proxy("edge", "edge", tls("a", 1), tls("b", 2)), shuffled).rendering().orElseThrow();
            assertThat(again.yaml()).isEqualTo(first.yaml());
            assertThat(again.hash()).isEqualTo(first.hash()).hasSize(16);
        }
    }

    @Test
    void aChangedBackendChangesTheHash() {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        String h1 = render(p, List.of(route("a", "r", "edge", BackendRef.address("10.0.0.5:8443"), "x.example.com")))
                .rendering().orElseThrow().hash();
        String h2 = render(p, List.of(route("a", "r", "edge", BackendRef.address("10.0.0.6:8443"), "x.example.com")))
                .rendering().orElseThrow().hash();
        assertThat(h1).isNotEqualTo(h2);
    }

    @Test
    void routeToTheProxysOwnListenerIsRefusedAndTheRestStillRenders() {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        RenderOutcome outcome = render(p, List.of(
                route("a", "loop", "edge", BackendRef.address("127.0.0.1:8443"), "loop.example.com"),
                route("a", "ok", "edge", BackendRef.address("10.0.0.1:443"), "ok.example.com")));

        assertThat(outcome.valid()).isTrue();
        RouteVerdict loop = outcome.verdicts().get("a/loop");
        assertThat(loop.reason()).isEqualTo(RouteVerdict.INVALID);
        assertThat(loop.message()).contains("the proxy's own listener 'https'");
        assertThat(outcome.rendering().orElseThrow().config().routes()).hasSize(1);
    }

    @Test
    void invalidSpecRendersNothingAndSaysWhere() {
        SniProxy p = proxy("edge", "edge", tls("https", 8443), tls("https", 9443), tls("other", 8443), tls("mgmt", 9000));
        p.getSpec().timeouts = new TimeoutsSpec();
        p.getSpec().timeouts.idle = "forever";

        RenderOutcome outcome = render(p, List.of());

        assertThat(outcome.valid()).isFalse();
        assertThat(outcome.specProblems()).containsExactly(
                "spec.listeners[1].name: 'https' is already used by spec.listeners[0]",
                "spec.listeners[2].port: tcp/8443 is already used by spec.listeners[0]",
                "spec.listeners[3].port: 9000 is the management port (metrics and health); pick another port or set "
                        + "spec.managementPort",
                "spec.timeouts.idle: 'forever' is not a duration (500ms, 10s, 5m, 1h)");
    }

    @Test
    void severalAddressesWithBalanceRenderAsBackendsTheProxyReads() throws Exception {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        RenderOutcome outcome = render(p, List.of(
                route("a", "api", "edge", BackendRef.addresses(BalanceMode.SOURCE, "10.0.0.5:8443", "10.0.0.6:8443"),
                        "api.example.com"),
                route("a", "one", "edge", BackendRef.address("10.0.0.7:443"), "one.example.com")));

        Rendering r = outcome.rendering().orElseThrow();
        ProxyConfig read = ConfigReader.read("configmap", r.yaml());

        assertThat(read).isEqualTo(r.config());
        Route api = read.routes().get(0);
        assertThat(api.backends()).containsExactly(new Backend.Static(HostPort.of("10.0.0.5", 8443)),
                new Backend.Static(HostPort.of("10.0.0.6", 8443)));
        assertThat(api.balance()).isEqualTo(Balance.SOURCE);
        assertThat(read.routes().get(1).backends()).hasSize(1);
        assertThat(read.routes().get(1).balance()).isEqualTo(Balance.ROUNDROBIN);
        assertThat(r.yaml()).contains("""
                    backends:
                      - 10.0.0.5:8443
                      - 10.0.0.6:8443
                    balance: source
                """).contains("    backend: 10.0.0.7:443\n");
        assertThat(outcome.verdicts().get("a/api").backend()).contains("10.0.0.5:8443, 10.0.0.6:8443");
    }

    @Test
    void aBadOrDuplicateAddressRefusesTheRouteSayingWhich() {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        RenderOutcome outcome = render(p, List.of(
                route("a", "bad", "edge", BackendRef.addresses(null, "10.0.0.5:8443", "10.0.0.6"), "bad.example.com"),
                route("a", "dup", "edge", BackendRef.addresses(null, "10.0.0.5:8443", "10.0.0.5:8443"), "dup.example.com"),
                route("a", "loop", "edge", BackendRef.addresses(null, "10.0.0.5:8443", "127.0.0.1:8443"),
                        "loop.example.com"),
                route("a", "ok", "edge", BackendRef.addresses(null, "10.0.0.5:8443"), "ok.example.com")));

        assertThat(outcome.valid()).isTrue();
        assertThat(outcome.verdicts().get("a/bad").message())
                .isEqualTo("spec.backend.addresses[1]: '10.0.0.6' is not host:port (port 1-65535; IPv6 as [addr]:port)");
        assertThat(outcome.verdicts().get("a/dup").message()).isEqualTo("the proxy refuses this route: 10.0.0.5:8443 is "
                + "already listed as routes[0].backends[0]; a backend may appear once");
        assertThat(outcome.verdicts().get("a/loop").message()).contains("127.0.0.1:8443 is the proxy's own listener 'https'");
        assertThat(outcome.rendering().orElseThrow().config().routes()).extracting(rt -> rt.hostnames().get(0))
                .containsExactly("ok.example.com");
    }

    @Test
    void aListenerBehindABalancerRendersProxyProtocolInWithItsTrustedBlocks() throws Exception {
        ListenerSpec lb = tls("lb", 8443);
        lb.acceptProxyProtocol = AcceptProxyProtocolMode.V2;
        lb.trustedProxies = List.of("10.0.0.0/8", "fd00::/8");
        SniProxy p = proxy("edge", "edge", lb);

        Rendering r = render(p, List.of()).rendering().orElseThrow();
        ProxyConfig read = ConfigReader.read("configmap", r.yaml());

        assertThat(read).isEqualTo(r.config());
        assertThat(read.listeners().get(0).acceptProxyProtocol()).isEqualTo(AcceptProxyProtocol.V2);
        assertThat(read.listeners().get(0).trustedProxies()).extracting(Cidr::toString)
                .containsExactly("10.0.0.0/8", "fd00::/8");
        assertThat(r.yaml()).contains("""
                    acceptProxyProtocol: v2
                    trustedProxies:
                      - 10.0.0.0/8
                      - fd00::/8
                """);
    }

    @Test
    void proxyProtocolInWithoutTrustedBlocksOrWithABadOneRendersNothing() {
        ListenerSpec open = tls("open", 8443);
        open.acceptProxyProtocol = AcceptProxyProtocolMode.ANY;
        ListenerSpec typo = tls("typo", 9443);
        typo.acceptProxyProtocol = AcceptProxyProtocolMode.V1;
        typo.trustedProxies = List.of("10.0.0.1/8", "vpc");

        RenderOutcome badBlocks = render(proxy("edge", "edge", typo), List.of());
        RenderOutcome noBlocks = render(proxy("edge", "edge", open), List.of());

        assertThat(badBlocks.valid()).isFalse();
        assertThat(badBlocks.specProblems()).containsExactly(
                "spec.listeners[0].trustedProxies[0]: '10.0.0.1/8' has host bits set; the block is 10.0.0.0/8 (or "
                        + "write 10.0.0.1 alone for just that address)",
                "spec.listeners[0].trustedProxies[1]: 'vpc' is not an address block: 'vpc' is not an IP address "
                        + "(write a block such as 10.0.0.0/8, fd00::/8, or one address such as 192.168.1.7)");
        assertThat(noBlocks.valid()).isFalse();
        assertThat(noBlocks.specProblems()).singleElement().asString()
                .startsWith("spec.listeners (name open): any needs trustedProxies");
    }

    @Test
    void perClientLimitsRenderWithTheProxysDefaultPrefix() throws Exception {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        p.getSpec().limits = new LimitsSpec();
        p.getSpec().limits.perClient = new PerClientLimitsSpec();
        p.getSpec().limits.perClient.maxConnections = 100;
        p.getSpec().limits.perClient.newConnectionsPerSecond = 50;

        Rendering r = render(p, List.of()).rendering().orElseThrow();

        assertThat(ConfigReader.read("configmap", r.yaml()).limits().perClient()).contains(
                new PerClientLimits(OptionalInt.of(100), OptionalInt.of(50), OptionalInt.empty(), 64));
        assertThat(r.yaml()).contains("""
                  perClient:
                    maxConnections: 100
                    newConnectionsPerSecond: 50
                    ipv6Prefix: 64
                """);
    }

    @Test
    void perClientLimitsThatLimitNothingRenderNothing() {
        SniProxy p = proxy("edge", "edge", tls("https", 8443));
        p.getSpec().limits = new LimitsSpec();
        p.getSpec().limits.perClient = new PerClientLimitsSpec();
        p.getSpec().limits.perClient.burst = 10;

        RenderOutcome outcome = render(p, List.of());

        assertThat(outcome.valid()).isFalse();
        assertThat(outcome.specProblems()).containsExactly(
                "spec.limits.perClient: sets no limit: give maxConnections, newConnectionsPerSecond or both (or remove perClient)",
                "spec.limits.perClient.burst: needs newConnectionsPerSecond: burst is how many new connections a client may "
                        + "open at once before that rate applies");
    }

    @Test
    void theCrdEnumsSpellExactlyTheConfigFilesValues() {
        // The CRD's allowed values come from these enums; the file's from ConfigSchema: they must not drift.
        assertThat(java.util.Arrays.stream(AcceptProxyProtocolMode.values()).map(m -> m.config().yamlName()))
                .containsExactlyElementsOf(ConfigSchema.Listeners.ACCEPT_PROXY_PROTOCOL.allowed());
        assertThat(java.util.Arrays.stream(BalanceMode.values()).map(m -> m.config().yamlName()))
                .containsExactlyElementsOf(ConfigSchema.Routes.BALANCE.allowed());
        assertThat(java.util.Arrays.stream(ListenerProtocol.values()).map(m -> m.config().yamlName()))
                .containsExactlyElementsOf(ConfigSchema.Listeners.PROTOCOL.allowed());
        for (Enum<?> e : List.<Enum<?>>of(AcceptProxyProtocolMode.V2, BalanceMode.LEASTCONN, ListenerProtocol.QUIC)) {
            assertThat(jsonName(e)).isEqualTo(e.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static String jsonName(Enum<?> e) {
        try {
            return e.getDeclaringClass().getField(e.name())
                    .getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class).value();
        } catch (NoSuchFieldException x) {
            throw new AssertionError(x);
        }
    }

    private RenderOutcome render(SniProxy p, List<SniRoute> routes) {
        Map<String, RouteVerdict> verdicts = admission.admit(routes);
        return renderer.render(p.getSpec(), verdicts, key -> 1L);
    }
}
