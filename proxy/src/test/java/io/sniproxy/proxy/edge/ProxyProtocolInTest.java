package io.sniproxy.proxy.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaders;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PROXY protocol in, through real sockets: a balancer at 127.0.0.2 (trusted) sends v1 and v2 headers
 * for a client at 203.0.113.7; the proxy logs that client and names it in the v1 header it sends
 * on. A peer at 127.0.0.3 (untrusted) may connect directly, but its header is refused and counted.
 */
class ProxyProtocolInTest {

    static RecordingServer backend;
    static ProxyHarness proxy;
    static final byte[] HELLO = ClientHellos.tls13("pp.example.com");

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingServer(false);
        proxy = ProxyHarness.start("""
                listeners:
                  - name: lb
                    address: 127.0.0.1:${port:lb}
                    protocol: tls
                    acceptProxyProtocol: any
                    trustedProxies: [127.0.0.2/32]
                  - name: lb1
                    address: 127.0.0.1:${port:lb1}
                    protocol: tls
                    acceptProxyProtocol: v1
                    trustedProxies: [127.0.0.2]
                routes:
                  - hostnames: [pp.example.com]
                    backend: %s
                    proxyProtocol: v1
                accessLog:
                  enabled: true
                """.formatted(backend.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void aV1HeaderFromTheTrustedBalancerNamesTheClientInTheLogAndInTheHeaderSentOn() throws Exception {
        byte[] header = ProxyHeaders.v1("PROXY TCP4 203.0.113.7 198.51.100.1 40001 443\r\n");
        try (AccessLogCapture log = new AccessLogCapture()) {
            byte[] got = sendAndRecord("127.0.0.2", proxy.port("lb"), ClientHellos.concat(header, HELLO));
            assertThat(new String(got, StandardCharsets.ISO_8859_1))
                    .startsWith("PROXY TCP4 203.0.113.7 198.51.100.1 40001 443\r\n");
            assertThat(Arrays.copyOfRange(got, header.length, got.length)).isEqualTo(HELLO);
            assertThat(logged(log, "40001").path("client").asText()).isEqualTo("/203.0.113.7:40001");
        }
    }

    @Test
    void aV2HeaderWithTlvsFromTheTrustedBalancerNamesTheClient() throws Exception {
        byte[] header = ProxyHeaders.v2Tcp4(new int[] {203, 0, 113, 7}, 40002, new int[] {198, 51, 100, 1}, 443,
                ProxyHeaders.tlv(0x01, "h2".getBytes(StandardCharsets.US_ASCII)),
                ProxyHeaders.tlv(0xEA, "vpce-0abc".getBytes(StandardCharsets.US_ASCII)));
        try (AccessLogCapture log = new AccessLogCapture()) {
            byte[] got = sendAndRecord("127.0.0.2", proxy.port("lb"), ClientHellos.concat(header, HELLO));
            String expected = "PROXY TCP4 203.0.113.7 198.51.100.1 40002 443\r\n";
            assertThat(new String(got, 0, expected.length(), StandardCharsets.ISO_8859_1)).isEqualTo(expected);
            assertThat(Arrays.copyOfRange(got, expected.length(), got.length)).isEqualTo(HELLO);
            assertThat(logged(log, "40002").path("client").asText()).isEqualTo("/203.0.113.7:40002");
        }
    }

    @Test
    void aHeaderFromAnUntrustedPeerIsRefusedAndCountedAndNothingReachesTheBackend() throws Exception {
        double before = proxy.outcome("lb", "refused_untrusted_proxy");
        int accepted = backend.accepted();
        byte[] header = ProxyHeaders.v1("PROXY TCP4 10.9.9.9 198.51.100.1 40003 443\r\n");
        try (Socket s = Clients.from("127.0.0.3", proxy.port("lb"))) {
            s.getOutputStream().write(ClientHellos.concat(header, HELLO));
            assertThat(Clients.closedByProxy(s)).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("lb", "refused_untrusted_proxy") == before + 1);
        assertThat(backend.accepted()).isEqualTo(accepted);
    }

    @Test
    void anUntrustedPeerWithoutAHeaderIsADirectClientNamedAsItself() throws Exception {
        byte[] got = sendAndRecord("127.0.0.3", proxy.port("lb"), HELLO);
        assertThat(new String(got, StandardCharsets.ISO_8859_1)).startsWith("PROXY TCP4 127.0.0.3 127.0.0.1 ");
    }

    @Test
    void theTrustedBalancerWithoutAHeaderOrWithAMalformedOneIsBadHello() throws Exception {
        double before = proxy.outcome("lb", "bad_hello");
        for (byte[] bytes : new byte[][] {HELLO, ProxyHeaders.v1("PROXY TCP4 203.0.113.300 1.2.3.4 1 2\r\n")}) {
            try (Socket s = Clients.from("127.0.0.2", proxy.port("lb"))) {
                s.getOutputStream().write(bytes);
                assertThat(Clients.closedByProxy(s)).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("lb", "bad_hello") == before + 2);
    }

    @Test
    void aV2HeaderOnAV1OnlyListenerIsBadHello() throws Exception {
        double before = proxy.outcome("lb1", "bad_hello");
        byte[] header = ProxyHeaders.v2Tcp4(new int[] {203, 0, 113, 7}, 40004, new int[] {198, 51, 100, 1}, 443);
        try (Socket s = Clients.from("127.0.0.2", proxy.port("lb1"))) {
            s.getOutputStream().write(ClientHellos.concat(header, HELLO));
            assertThat(Clients.closedByProxy(s)).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("lb1", "bad_hello") == before + 1);
    }

    /** What the backend received for a connection that sent {@code bytes} from {@code from}. */
    static byte[] sendAndRecord(String from, int port, byte[] bytes) throws Exception {
        int before = backend.accepted();
        try (Socket s = Clients.from(from, port)) {
            s.getOutputStream().write(bytes);
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.accepted() > before
                    && backend.connections().get(backend.connections().size() - 1).received().length >= HELLO.length);
            await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(2)).until(() -> true);
            byte[] got = backend.connections().get(backend.connections().size() - 1).received();
            return Arrays.copyOf(got, got.length);
        }
    }

    static JsonNode logged(AccessLogCapture log, String clientPort) {
        await().atMost(Duration.ofSeconds(10)).until(() -> log.entries().stream()
                .anyMatch(e -> e.path("client").asText().endsWith(":" + clientPort)));
        return log.entries().stream().filter(e -> e.path("client").asText().endsWith(":" + clientPort)).findFirst()
                .orElseThrow();
    }
}
