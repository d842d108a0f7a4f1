package io.sniproxy.operator.agreement;

import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.WithTestResource;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.RealApiServer;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.RouteProtocol;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import io.sniproxy.proxy.testing.TestCerts;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator and the proxy agree: the ConfigMap the operator renders from SniRoutes is loaded by
 * the real proxy (its own config reader, listeners, SNI parser and pipes, from the proxy module), and
 * real TLS (and HTTP) clients land exactly where the routes say, and nowhere a refused route points.
 */
@QuarkusTest
@WithTestResource(RealApiServer.class)
class OperatorProxyAgreementTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /** The tests act as a cluster admin; the operator runs with its own RBAC. */
    final KubernetesClient client = ControlPlane.get().admin();

    @BeforeAll
    static void namespaces() {
        ControlPlane.get().namespace("agree");
        ControlPlane.get().namespace("other");
        ControlPlane.get().namespace("agree-http");
    }

    @Test
    void tlsConnectionsAreRoutedAsTheSniRoutesSay() throws Exception {
        String ns = "agree";
        int port = ProxyHarness.freePort();
        try (TlsEchoServer api = new TlsEchoServer("api");
                TlsEchoServer wild = new TlsEchoServer("wild");
                TlsEchoServer loser = new TlsEchoServer("loser")) {
            SniProxy edge = proxy(ns, "edge", tls("https", port));
            edge.getSpec().allowedRouteNamespaces = List.of("*");
            client.resource(edge).create();
            client.resource(route(ns, "api", "edge", BackendRef.address(api.address()), "api.example.com")).create();
            client.resource(route(ns, "wild", "edge", BackendRef.address(wild.address()), "*.example.org")).create();
            await().atMost(WAIT).until(() -> accepted(ns, "api") && accepted(ns, "wild"));
            java.time.Instant created = java.time.Instant.parse(client.resources(SniRoute.class).inNamespace(ns)
                    .withName("wild").get().getMetadata().getCreationTimestamp());
            await().atMost(WAIT).until(() -> java.time.Instant.now().isAfter(created.plusSeconds(1)));
            SniRoute thief = route("other", "thief", "edge", BackendRef.address(loser.address()), "api.example.com");
            thief.getSpec().proxyRef.namespace = ns;
            client.resource(thief).create();
            await().atMost(WAIT).until(() -> reason("other", "thief").equals("HostnameConflict"));

            String yaml = await().atMost(WAIT).until(
                    () -> client.configMaps().inNamespace(ns).withName("edge-config").get(),
                    cm -> cm != null && cm.getData().get("config.yaml").contains("*.example.org"))
                    .getData().get("config.yaml");

            try (ProxyHarness proxy = ProxyHarness.start(yaml)) {
                assertThat(exchange(port, "api.example.com")).isEqualTo("api:hello");
                assertThat(exchange(port, "www.example.org")).isEqualTo("wild:hello");
                assertThat(exchange(port, "deep.sub.example.org")).isEqualTo("wild:hello");
                assertThatThrownBy(() -> exchange(port, "unrouted.example.net")).isInstanceOf(IOException.class);
                assertThat(proxy.outcome("https", "routed")).isEqualTo(3);
                assertThat(proxy.outcome("https", "no_route")).isEqualTo(1);
            }
            assertThat(api.sniSeen()).containsExactly("api.example.com");
            assertThat(wild.sniSeen()).containsExactly("www.example.org", "deep.sub.example.org");
            assertThat(loser.accepted()).as("the refused route's backend is never dialled").isZero();
        }
    }

    @Test
    void httpHostRoutingAndProtocolLimitsAgreeToo() throws Exception {
        String ns = "agree-http";
        int tlsPort = ProxyHarness.freePort();
        int httpPort = ProxyHarness.freePort();
        try (RecordingServer web = new RecordingServer(false);
                TlsEchoServer secure = new TlsEchoServer("secure")) {
            client.resource(proxy(ns, "edge", tls("https", tlsPort),
                    new ListenerSpec("web", httpPort, ListenerProtocol.HTTP))).create();
            SniRoute plain = route(ns, "plain", "edge", BackendRef.address(web.address()), "shop.example.com");
            plain.getSpec().protocols = List.of(RouteProtocol.HTTP);
            client.resource(plain).create();
            SniRoute tlsOnly = route(ns, "tls-only", "edge", BackendRef.address(secure.address()), "shop.example.com");
            tlsOnly.getSpec().protocols = List.of(RouteProtocol.TLS);
            client.resource(tlsOnly).create();

            String yaml = await().atMost(WAIT).until(
                    () -> client.configMaps().inNamespace(ns).withName("edge-config").get(),
                    cm -> cm != null && cm.getData().get("config.yaml").contains("- tls")
                            && cm.getData().get("config.yaml").contains("- http"))
                    .getData().get("config.yaml");

            try (ProxyHarness proxy = ProxyHarness.start(yaml)) {
                assertThat(exchange(tlsPort, "shop.example.com")).isEqualTo("secure:hello");
                String request = "GET /cart HTTP/1.1\r\nHost: shop.example.com\r\n\r\n";
                try (Socket s = new Socket("127.0.0.1", httpPort)) {
                    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    await().atMost(WAIT).until(() -> web.connections().size() == 1
                            && new String(web.connections().get(0).received(), StandardCharsets.US_ASCII).equals(request));
                }
            }
            assertThat(secure.sniSeen()).containsExactly("shop.example.com");
        }
    }

    /** One real TLS session with SNI through the proxy: send a line, read the echo. */
    private static String exchange(int port, String sni) throws IOException {
        try (SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(params);
            s.startHandshake();
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            return in.readLine();
        }
    }

    private boolean accepted(String ns, String name) {
        return "Accepted".equals(reason(ns, name));
    }

    private String reason(String ns, String name) {
        SniRoute r = client.resources(SniRoute.class).inNamespace(ns).withName(name).get();
        if (r == null || r.getStatus() == null) {
            return "";
        }
        return r.getStatus().conditions.stream().filter(c -> c.getType().equals("Accepted")).findFirst()
                .map(c -> c.getReason()).orElse("");
    }

}
