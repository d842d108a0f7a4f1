package io.sniproxy.proxy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sniproxy.proxy.it.ProxyUnderTestResource.InjectProxy;
import io.sniproxy.proxy.quic.QuicPeers;
import io.sniproxy.proxy.testing.TestCerts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole application as users run it: config from a file named by {@code sniproxy.config}, real
 * TLS, HTTP and QUIC clients and servers on loopback, metrics and health on the management interface, and
 * reload of the file. {@link ProxyApplicationIT} runs these same tests against the packaged
 * artifact. Ordered because the later tests read counters the earlier ones moved, and the reload
 * test changes the routing.
 */
@QuarkusTest
@WithTestResource(ProxyUnderTestResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class ProxyApplicationTest {

    @InjectProxy
    ProxyUnderTest proxy;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    @Test
    @Order(1)
    void tlsIsRoutedBySniToTheBackendTheConfigFileNames() throws Exception {
        assertThat(tlsExchange("api.example.com", "hi")).isEqualTo("blue:hi");
        assertThat(proxy.blue.sniSeen()).contains("api.example.com");
        assertThat(proxy.green.accepted()).isZero();
    }

    @Test
    @Order(2)
    void unknownSniIsRefusedWithoutOpeningABackendConnection() {
        int before = proxy.blue.accepted() + proxy.green.accepted();
        assertThatThrownBy(() -> tlsExchange("other.example.net", "nope")).isInstanceOf(IOException.class);
        assertThat(proxy.blue.accepted() + proxy.green.accepted()).isEqualTo(before);
    }

    @Test
    @Order(3)
    void httpIsRoutedByTheHostHeader() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + proxy.port("http") + "/hello?x=1")).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("web saw Host=localhost:" + proxy.port("http") + " path=/hello?x=1");
    }

    @Test
    @Order(4)
    void unknownHostGetsA421FromTheProxyItself() throws Exception {
        try (Socket s = new Socket("127.0.0.1", proxy.port("http"))) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: unknown.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(status).startsWith("HTTP/1.1 421");
        }
    }

    @Test
    @Order(5)
    void quicIsRoutedBySniFromTheInitialPacketsOnTheTlsPortNumber() throws Exception {
        String answer = QuicPeers.exchange(proxy.quicGroup, new InetSocketAddress("127.0.0.1", proxy.port("tls")),
                "quic.example.com", "hello over quic", 5000);
        assertThat(answer).isEqualTo("quic:hello over quic");
        assertThat(proxy.quic.streams.get()).isEqualTo(1);
    }

    @Test
    @Order(6)
    void metricsUseTheContractNamesOnTheManagementInterface() throws Exception {
        tlsExchange("api.example.com", "count-me");
        HttpResponse<String> r = get("/q/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        String body = r.body();
        assertThat(body)
                .contains("sniproxy_connections_active{listener=\"tls\"} ")
                .contains("sniproxy_connect_seconds_bucket{listener=\"tls\",le=")
                .contains("sniproxy_udp_sessions_active{listener=\"quic\"} ")
                .contains("sniproxy_pool_size 0.0")
                .contains("sniproxy_pool_active_connections 0.0");
        assertThat(value(body, "sniproxy_connections_total{listener=\"tls\",outcome=\"routed\"}")).isGreaterThanOrEqualTo(2);
        assertThat(value(body, "sniproxy_connections_total{listener=\"tls\",outcome=\"no_route\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(body, "sniproxy_connections_total{listener=\"http\",outcome=\"routed\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(body, "sniproxy_connections_total{listener=\"http\",outcome=\"no_route\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(body, "sniproxy_connections_total{listener=\"quic\",outcome=\"routed\"}")).isGreaterThanOrEqualTo(1);
        // A QUIC client's first flight is padded to at least 1200 bytes.
        assertThat(value(body, "sniproxy_bytes_total{direction=\"upstream\",listener=\"quic\"}")).isGreaterThan(1200);
        // A TLS handshake is several hundred bytes each way.
        assertThat(value(body, "sniproxy_bytes_total{direction=\"upstream\",listener=\"tls\"}")).isGreaterThan(300);
        assertThat(value(body, "sniproxy_bytes_total{direction=\"downstream\",listener=\"tls\"}")).isGreaterThan(300);
        assertThat(value(body, "process_open_fds")).isBetween(10.0, 100_000.0);
        assertThat(value(body, "process_max_fds")).isGreaterThan(value(body, "process_open_fds"));
    }

    @Test
    @Order(7)
    void healthIsUpAndReportsOpenFds() throws Exception {
        HttpResponse<String> live = get("/q/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"status\": \"UP\"");
        HttpResponse<String> ready = get("/q/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\": \"UP\"").contains("\"openFds\"");
    }

    @Test
    @Order(8)
    void changedFileIsReloadedAndABadOneIsRejectedKeepingTheRunningConfig() throws Exception {
        proxy.routeApiTo(proxy.green);
        await().atMost(Duration.ofSeconds(15)).until(() -> tlsExchange("api.example.com", "x").equals("green:x"));

        proxy.write("listeners: [this is: not valid\n");
        // The watcher polls every 200 ms: after a few polls it has read the bad file and rejected it.
        await().pollDelay(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5))
                .until(() -> tlsExchange("api.example.com", "still").equals("green:still"));
        assertThat(get("/q/health/ready").statusCode()).isEqualTo(200);

        proxy.routeApiTo(proxy.blue);
        await().atMost(Duration.ofSeconds(15)).until(() -> tlsExchange("api.example.com", "y").equals("blue:y"));
    }

    private String tlsExchange(String sni, String line) throws IOException {
        try (SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory()
                .createSocket("127.0.0.1", proxy.port("tls"))) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(p);
            s.setSoTimeout(5000);
            s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (answer == null) {
                throw new IOException("closed without an answer");
            }
            return answer;
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(proxy.management(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double value(String body, String series) {
        return body.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + body));
    }
}
