package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One JSON access-log line per connection, with every field, and none when disabled. */
class AccessLogTest {

    private static final String CONFIG = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
              - name: web
                address: 127.0.0.1:${port:web}
                protocol: http
            routes:
              - hostnames: [api.example.com]
                backend: %s
            accessLog:
              enabled: %s
            """;

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger accessLogger = Logger.getLogger("sniproxy.access");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureAccessLog() {
        accessLogger.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        accessLogger.removeHandler(capture);
    }

    @Test
    void writesOneJsonLinePerConnectionWithEveryField() throws Exception {
        try (TlsEchoServer blue = new TlsEchoServer("blue");
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted(blue.address(), "true"))) {
            assertThat(ping(proxy)).isEqualTo("blue:ping");
            try (Socket s = new Socket("127.0.0.1", proxy.port("web"))) {
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHost: \"quoted\\name\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                s.getInputStream().readAllBytes();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> lines.size() >= 2);

            ObjectMapper json = new ObjectMapper();
            JsonNode routed = lines.stream().map(l -> parse(json, l)).filter(n -> n.path("listener").asText().equals("tls"))
                    .findFirst().orElseThrow();
            assertThat(routed.path("client").asText()).contains("127.0.0.1");
            assertThat(routed.path("name").asText()).isEqualTo("api.example.com");
            assertThat(routed.path("backend").asText()).contains(String.valueOf(blue.port()));
            assertThat(routed.path("outcome").asText()).isEqualTo("routed");
            assertThat(routed.path("bytesUp").asLong()).isGreaterThan(200); // the ClientHello at least
            assertThat(routed.path("bytesDown").asLong()).isGreaterThan(100);
            assertThat(routed.path("durationMs").isIntegralNumber()).isTrue();

            JsonNode refused = lines.stream().map(l -> parse(json, l)).filter(n -> n.path("listener").asText().equals("web"))
                    .findFirst().orElseThrow();
            assertThat(refused.path("outcome").asText()).isIn("no_route", "bad_hello");
            assertThat(refused.path("backend").isNull()).isTrue();
            assertThat(lines).hasSize(2);
        }
    }

    @Test
    void aFailedConnectIsRetriedOnFreshSocketsBeforeTheClientIsRefused() throws Exception {
        int closedPort = ProxyHarness.freePort();
        try (ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted("127.0.0.1:" + closedPort, "true"))) {
            try (SSLSocket s = TlsRoutingTest.tlsClient("127.0.0.1", proxy.port("tls"), "api.example.com", "TLSv1.3")) {
                s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8)); // starts the handshake
            } catch (java.io.IOException expected) {
                // the proxy closes the client once every attempt has failed
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> !lines.isEmpty());
            JsonNode failed = parse(new ObjectMapper(), lines.get(0));
            assertThat(failed.path("outcome").asText()).isEqualTo("connect_failed");
            assertThat(failed.path("reason").asText())
                    .contains("127.0.0.1:" + closedPort)
                    .contains("(" + ProxyConnection.CONNECT_ATTEMPTS + " attempts)");
            assertThat(proxy.outcome("tls", "connect_failed")).isEqualTo(1); // one connection, counted once
            assertThat(proxy.server().openConnections()).isZero();
        }
    }

    @Test
    void writesNothingWhenDisabled() throws Exception {
        try (TlsEchoServer blue = new TlsEchoServer("blue");
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted(blue.address(), "false"))) {
            assertThat(ping(proxy)).isEqualTo("blue:ping");
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.outcome("tls", "routed") == 1);
            Thread.sleep(200);
            assertThat(lines).isEmpty();
        }
    }

    private static String ping(ProxyHarness proxy) throws Exception {
        try (SSLSocket s = TlsRoutingTest.tlsClient("127.0.0.1", proxy.port("tls"), "api.example.com", "TLSv1.3")) {
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    private static JsonNode parse(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
