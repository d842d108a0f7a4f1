package io.sniproxy.proxy.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.TestCerts;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * ALPN routing with real JDK TLS clients: an {@code acme-tls/1} challenge reaches the ACME responder,
 * {@code h2}/{@code http/1.1} the service, for the same name; the access log shows what was offered
 * and the JA4 fingerprint.
 */
class AlpnRoutingTest {

    @Test
    void acmeTls1GoesToTheResponderAndH2ToTheService() throws Exception {
        try (TlsEchoServer service = new TlsEchoServer("service"); TlsEchoServer acme = new TlsEchoServer("acme");
                AccessLogCapture log = new AccessLogCapture();
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: tls
                            address: 127.0.0.1:${port:tls}
                            protocol: tls
                        routes:
                          - hostnames: [app.example.com]
                            backend: %s
                          - hostnames: [app.example.com]
                            alpn: [acme-tls/1]
                            backend: %s
                        accessLog:
                          enabled: true
                        """.formatted(service.address(), acme.address()))) {
            int port = proxy.port("tls");
            assertThat(ping(port, "acme-tls/1")).isEqualTo("acme:ping");
            assertThat(ping(port, "h2", "http/1.1")).isEqualTo("service:ping");
            assertThat(ping(port)).as("no ALPN: the route without alpn").isEqualTo("service:ping");
            assertThat(ping(port, "h2", "acme-tls/1")).as("any offered id of the alpn route").isEqualTo("acme:ping");

            await().atMost(Duration.ofSeconds(10)).until(() -> log.entries().size() >= 4);
            List<JsonNode> entries = log.entries();
            JsonNode acmeEntry = entries.stream().filter(e -> "acme-tls/1".equals(e.path("alpn").asText())).findFirst()
                    .orElseThrow();
            assertThat(acmeEntry.path("backend").asText()).isEqualTo(acme.address());
            assertThat(acmeEntry.path("ja4").asText()).matches("t13d\\d{4}a1_[0-9a-f]{12}_[0-9a-f]{12}");
            JsonNode h2Entry = entries.stream().filter(e -> "h2,http/1.1".equals(e.path("alpn").asText())).findFirst()
                    .orElseThrow();
            assertThat(h2Entry.path("ja4").asText()).matches("t13d\\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}");
            assertThat(entries.stream().filter(e -> e.path("alpn").isNull()).count()).isEqualTo(1);
        }
    }

    /** One line through a real TLS connection offering {@code alpn}; the echo says which backend answered. */
    static String ping(int port, String... alpn) throws Exception {
        try (SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("app.example.com")));
            p.setApplicationProtocols(alpn);
            s.setSSLParameters(p);
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }
}
