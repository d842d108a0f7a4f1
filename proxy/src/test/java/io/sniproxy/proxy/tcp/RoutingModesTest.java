package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.route.HostResolver;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Transparent routes and their security rules, and the auto listener's sniffing. */
class RoutingModesTest {

    /** Test DNS: names the test controls, mapped to loopback or to forbidden ranges. */
    private static HostResolver dns(Map<String, String> names) {
        return name -> {
            String ip = names.get(name);
            if (ip == null) {
                return Future.failedFuture(new UnknownHostException(name));
            }
            try {
                return Future.succeededFuture(InetAddress.getByName(ip));
            } catch (UnknownHostException e) {
                return Future.failedFuture(e);
            }
        };
    }

    private static final String TRANSPARENT = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
            routes:
              - hostnames: ["*.example.net"]
                backend: "*"
            security:
              allowPrivateBackends: %s
            """;

    @Test
    void transparentRouteConnectsToTheResolvedNameWhenPrivateBackendsAreAllowed() throws Exception {
        // The transparent backend port is the listener's own: the backend listens on 127.0.0.2, same port.
        int port = ProxyHarness.freePort();
        try (RecordingServer backend = new RecordingServer(true, InetAddress.getByName("127.0.0.2"), port)) {
            String yaml = TRANSPARENT.formatted("true").replace("${port:tls}", String.valueOf(port));
            try (ProxyHarness proxy = ProxyHarness.start(yaml, dns(Map.of("app.example.net", "127.0.0.2")))) {
                byte[] hello = ClientHellos.tls13("app.example.net");
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.getOutputStream().write(hello);
                    s.setSoTimeout(5000);
                    assertThat(s.getInputStream().readNBytes(hello.length)).isEqualTo(hello);
                }
                assertThat(backend.accepted()).isEqualTo(1);
            }
        }
    }

    @Test
    void transparentRouteRefusesPrivateLoopbackAndMetadataAddressesByDefault() throws Exception {
        Map<String, String> names = Map.of(
                "loop.example.net", "127.0.0.1",
                "private.example.net", "10.0.0.5",
                "metadata.example.net", "169.254.169.254",
                "mapped.example.net", "::ffff:192.168.1.1",
                "ula.example.net", "fd00::1");
        try (ProxyHarness proxy = ProxyHarness.start(TRANSPARENT.formatted("false"), dns(names))) {
            for (String name : names.keySet()) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(ClientHellos.tls13(name));
                    // refused before any connect: the client hears unrecognized_name
                    assertThat(s.getInputStream().readAllBytes()).as(name)
                            .containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70);
                }
            }
            assertThat(proxy.outcome("tls", "no_route")).isEqualTo(names.size());
            assertThat(proxy.outcome("tls", "routed")).isZero();
        }
    }

    @Test
    void transparentRouteRefusesTheProxysOwnListenerEvenWhenPrivateIsAllowed() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(TRANSPARENT.formatted("true"),
                dns(Map.of("self.example.net", "127.0.0.1")))) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(ClientHellos.tls13("self.example.net"));
                assertThat(s.getInputStream().readAllBytes()).hasSize(7);
            }
            assertThat(proxy.outcome("tls", "no_route")).isEqualTo(1);
            assertThat(proxy.outcome("tls", "routed")).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
        }
    }

    @Test
    void unresolvableNameCountsAsConnectFailed() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(TRANSPARENT.formatted("true"), dns(Map.of()))) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(ClientHellos.tls13("nxdomain.example.net"));
                TlsRoutingTest.readUntilClosed(s.getInputStream());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "connect_failed") == 1);
        }
    }

    @Test
    void autoListenerSniffsTlsHttpAndEverythingElse() throws Exception {
        try (RecordingServer tls = new RecordingServer(false);
                RecordingServer http = new RecordingServer(false);
                RecordingServer ssh = new RecordingServer(false)) {
            String yaml = """
                    listeners:
                      - name: auto
                        address: 127.0.0.1:${port:auto}
                        protocol: auto
                        defaultBackend: %s
                    routes:
                      - hostnames: [secure.example.com]
                        backend: %s
                        protocols: [tls]
                      - hostnames: [secure.example.com]
                        backend: %s
                        protocols: [http]
                    """.formatted(ssh.address(), tls.address(), http.address());
            try (ProxyHarness proxy = ProxyHarness.start(yaml)) {
                byte[] hello = ClientHellos.tls13("secure.example.com");
                byte[] request = "GET / HTTP/1.1\r\nHost: secure.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                byte[] banner = "SSH-2.0-OpenSSH_9.6\r\n".getBytes(StandardCharsets.US_ASCII);
                sendAndAwait(proxy, hello, tls);
                sendAndAwait(proxy, request, http);
                sendAndAwait(proxy, banner, ssh);
                // A server-speaks-first client sends nothing: after a short silence it goes to the default.
                try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), proxy.port("auto"))) {
                    await().atMost(Duration.ofSeconds(5)).until(() -> ssh.accepted() == 2);
                }
                assertThat(tls.connections().get(0).received()).isEqualTo(hello);
                assertThat(http.connections().get(0).received()).isEqualTo(request);
                assertThat(ssh.connections().get(0).received()).isEqualTo(banner);
            }
        }
    }

    private static void sendAndAwait(ProxyHarness proxy, byte[] bytes, RecordingServer target) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("auto"))) {
            s.getOutputStream().write(bytes);
            await().atMost(Duration.ofSeconds(5)).until(() -> target.accepted() == 1
                    && target.connections().get(0).received().length == bytes.length);
        }
    }
}
