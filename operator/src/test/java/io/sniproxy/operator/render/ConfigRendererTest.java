package io.sniproxy.operator.render;

import static io.sniproxy.operator.testing.Resources.persisted;
import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
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

    private RenderOutcome render(SniProxy p, List<SniRoute> routes) {
        Map<String, RouteVerdict> verdicts = admission.admit(routes);
        return renderer.render(p.getSpec(), verdicts, key -> 1L);
    }
}
