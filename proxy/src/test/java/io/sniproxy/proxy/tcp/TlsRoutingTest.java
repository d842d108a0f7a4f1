package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import io.sniproxy.proxy.testing.TestCerts;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Real TLS clients through the proxy to real TLS servers, and every way a hello can be wrong. */
class TlsRoutingTest {

    static TlsEchoServer api;
    static TlsEchoServer wildcard;
    static RecordingServer recorder;
    static RecordingServer recorder6;
    static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        api = new TlsEchoServer("api");
        wildcard = new TlsEchoServer("wild");
        recorder = new RecordingServer(true);
        recorder6 = new RecordingServer(true, InetAddress.getByName("::1"));
        proxy = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                  - name: tls6
                    address: "[::1]:${port:tls6}"
                    protocol: tls
                routes:
                  - hostnames: [api.example.com]
                    backend: %s
                  - hostnames: ["*.example.org"]
                    backend: %s
                  - hostnames: [raw.example.net, big.example.net]
                    backend: %s
                  - hostnames: [v6.example.net]
                    backend: "%s"
                timeouts:
                  clientHello: 2s
                limits:
                  maxClientHelloBytes: 16384
                """.formatted(api.address(), wildcard.address(), recorder.address(), recorder6.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        api.close();
        wildcard.close();
        recorder.close();
        recorder6.close();
    }

    @ParameterizedTest
    @CsvSource({
        "TLSv1.3, api.example.com, api",
        "TLSv1.2, api.example.com, api",
        "TLSv1.3, www.example.org, wild",
        "TLSv1.2, a.b.example.org, wild",
        "TLSv1.3, API.Example.COM, api",
    })
    void realTlsClientReachesTheRoutedServerAndExchangesData(String version, String sni, String expected)
            throws Exception {
        for (String listener : List.of("tls", "tls6")) {
            String host = listener.equals("tls") ? "127.0.0.1" : "::1";
            try (SSLSocket s = tlsClient(host, proxy.port(listener), sni, version)) {
                s.startHandshake();
                assertThat(s.getSession().getProtocol()).isEqualTo(version);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                for (int i = 0; i < 3; i++) {
                    s.getOutputStream().write(("hello " + i + "\n").getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    assertThat(in.readLine()).isEqualTo(expected + ":hello " + i);
                }
            }
        }
        assertThat(proxy.outcome("tls", "routed")).isPositive();
        assertThat(proxy.outcome("tls6", "routed")).isPositive();
    }

    @Test
    void helloSentOneByteAtATimeArrivesIntactAtTheBackend() throws Exception {
        byte[] hello = ClientHellos.tls13("raw.example.net");
        RecordingServer.Conn conn = sendAndCapture(hello, 1);
        assertThat(conn.received()).isEqualTo(hello);
    }

    @Test
    void helloRefamedOverManySmallRecordsIsRoutedAndForwardedExactly() throws Exception {
        byte[] reframed = ClientHellos.reframe(ClientHellos.tls12("raw.example.net"), 7);
        RecordingServer.Conn conn = sendAndCapture(reframed, 13);
        assertThat(conn.received()).isEqualTo(reframed);
    }

    @Test
    void largePostQuantumSizedHelloIsRouted() throws Exception {
        byte[] hello = ClientHellos.large("big.example.net", 2500);
        assertThat(hello.length).isGreaterThanOrEqualTo(2048);
        RecordingServer.Conn conn = sendAndCapture(hello, 700);
        assertThat(conn.received()).isEqualTo(hello);
    }

    @Test
    void anIpv6BackendIsReachedLikeAnIpv4One() throws Exception {
        // IPv4 backends get AF_INET sockets, IPv6 ones Netty's dual-stack AF_INET6 (Transport)
        byte[] hello = ClientHellos.tls13("v6.example.net");
        RecordingServer.Conn conn = sendAndCapture(hello, hello.length, recorder6);
        assertThat(conn.received()).isEqualTo(hello);
        assertThat(conn.socket().getInetAddress().getHostAddress()).isIn("0:0:0:0:0:0:0:1", "::1");
        byte[] v4 = ClientHellos.tls13("raw.example.net");
        assertThat(sendAndCapture(v4, v4.length).socket().getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void bytesForwardedEachWayAreCountedExactly() throws Exception {
        double up = proxy.bytes("tls", "upstream");
        double down = proxy.bytes("tls", "downstream");
        byte[] both = ClientHellos.concat(ClientHellos.tls13("raw.example.net"), new byte[10_000]);
        sendAndCapture(both, 1000); // the recorder echoes every byte back
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(proxy.bytes("tls", "upstream") - up).isEqualTo(both.length);
            assertThat(proxy.bytes("tls", "downstream") - down).isEqualTo(both.length);
        });
    }

    @Test
    void bytesAfterTheHelloFollowItInOrder() throws Exception {
        byte[] hello = ClientHellos.tls13("raw.example.net");
        byte[] extra = "after-the-hello".getBytes(StandardCharsets.US_ASCII);
        byte[] both = ClientHellos.concat(hello, extra);
        RecordingServer.Conn conn = sendAndCapture(both, both.length);
        assertThat(conn.received()).isEqualTo(both);
    }

    @Test
    void helloOverTheCapNeverReachesABackend() throws Exception {
        int before = recorder.accepted();
        byte[] hello = ClientHellos.large("big.example.net", 20_000);
        assertClosedWithoutBackend(hello, "bad_hello", before);
    }

    @Test
    void unknownNameGetsUnrecognizedNameAlertAndNoBackendConnection() throws Exception {
        int before = recorder.accepted() + api.accepted() + wildcard.accepted();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(ClientHellos.tls13("unknown.example.com"));
            byte[] reply = s.getInputStream().readAllBytes();
            assertThat(reply).containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70);
        }
        assertThat(recorder.accepted() + api.accepted() + wildcard.accepted()).isEqualTo(before);
    }

    @Test
    void realClientAskingForAnUnknownNameFailsItsHandshake() {
        assertThatThrownBy(() -> {
            try (SSLSocket s = tlsClient("127.0.0.1", proxy.port("tls"), "nope.example.com", "TLSv1.3")) {
                s.startHandshake();
            }
        }).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"noSni", "garbage", "httpOnTlsPort", "truncated", "alertRecord", "wildcardApex"})
    void badHellosNeverOpenABackendConnection(String kind) throws Exception {
        int before = recorder.accepted() + api.accepted() + wildcard.accepted();
        byte[] bytes = switch (kind) {
            case "noSni" -> ClientHellos.noSni();
            case "garbage" -> "\u0016\u0003\u0001\u00ff\u00ffgarbage-garbage".getBytes(StandardCharsets.ISO_8859_1);
            case "httpOnTlsPort" -> "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            case "truncated" -> Arrays.copyOf(ClientHellos.tls13("api.example.com"), 60);
            case "alertRecord" -> new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
            case "wildcardApex" -> ClientHellos.tls13("example.org");
            default -> throw new IllegalArgumentException(kind);
        };
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(bytes);
            if (kind.equals("truncated")) {
                s.shutdownOutput(); // the client gives up mid-hello
            }
            assertThat(readUntilClosed(s.getInputStream())).isLessThanOrEqualTo(7);
        }
        assertThat(recorder.accepted() + api.accepted() + wildcard.accepted()).isEqualTo(before);
    }

    private void assertClosedWithoutBackend(byte[] bytes, String outcome, int before) throws Exception {
        double count = proxy.outcome("tls", outcome);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            s.setSoTimeout(5000);
            try {
                s.getOutputStream().write(bytes);
            } catch (IOException closedWhileWriting) {
                // the proxy may close before it has read everything: that is the point
            }
            readUntilClosed(s.getInputStream());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", outcome) > count);
        assertThat(recorder.accepted()).isEqualTo(before);
    }

    private static RecordingServer.Conn sendAndCapture(byte[] bytes, int chunk) throws Exception {
        return sendAndCapture(bytes, chunk, recorder);
    }

    private static RecordingServer.Conn sendAndCapture(byte[] bytes, int chunk, RecordingServer recorder)
            throws Exception {
        int before = recorder.accepted();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < bytes.length; i += chunk) {
                out.write(bytes, i, Math.min(chunk, bytes.length - i));
                out.flush();
                if (chunk < 16 && i % 64 == 0) {
                    Thread.sleep(1); // really separate segments, not one coalesced write
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.accepted() > before
                    && recorder.connections().get(recorder.connections().size() - 1).received().length >= bytes.length);
            // the recorder echoes: the client sees its own bytes back through the proxy
            s.setSoTimeout(5000);
            byte[] echoed = s.getInputStream().readNBytes(bytes.length);
            assertThat(echoed).isEqualTo(bytes);
        }
        return recorder.connections().get(recorder.connections().size() - 1);
    }

    static int readUntilClosed(InputStream in) throws IOException {
        int total = 0;
        try {
            byte[] b = new byte[1024];
            int n;
            while ((n = in.read(b)) > 0) {
                total += n;
            }
        } catch (java.net.SocketException reset) {
            // a reset is a close too
        }
        return total;
    }

    static SSLSocket tlsClient(String host, int port, String sni, String version) throws IOException {
        SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory().createSocket(host, port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setProtocols(new String[] {version});
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        return s;
    }
}
