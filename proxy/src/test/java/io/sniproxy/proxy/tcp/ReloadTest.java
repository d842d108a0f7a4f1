package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** A reload changes where new connections go and leaves open ones alone. */
class ReloadTest {

    private static final String CONFIG = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
            %s
            routes:
              - hostnames: [api.example.com]
                backend: %s
            """;

    @Test
    void openConnectionSurvivesAReloadWhileNewConnectionsFollowTheNewRoutes() throws Exception {
        try (TlsEchoServer blue = new TlsEchoServer("blue");
                TlsEchoServer green = new TlsEchoServer("green");
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted("", blue.address()))) {
            try (SSLSocket before = TlsRoutingTest.tlsClient("127.0.0.1", proxy.port("tls"), "api.example.com", "TLSv1.3")) {
                BufferedReader in = reader(before);
                say(before, "one");
                assertThat(in.readLine()).isEqualTo("blue:one");

                proxy.reload(CONFIG.formatted("", green.address()));

                try (SSLSocket after = TlsRoutingTest.tlsClient("127.0.0.1", proxy.port("tls"), "api.example.com", "TLSv1.3")) {
                    say(after, "two");
                    assertThat(reader(after).readLine()).isEqualTo("green:two");
                }
                say(before, "three");
                assertThat(in.readLine()).isEqualTo("blue:three");
            }
            assertThat(proxy.server().snapshot().generation()).isEqualTo(2);
        }
    }

    @Test
    void reloadAddsAndRemovesListenersWithoutClosingTheirConnections() throws Exception {
        try (TlsEchoServer blue = new TlsEchoServer("blue");
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted("", blue.address()))) {
            String second = "  - name: tls2\n    address: 127.0.0.1:${port:tls2}\n    protocol: tls";
            proxy.reload(CONFIG.formatted(second, blue.address()));
            try (SSLSocket viaSecond = TlsRoutingTest.tlsClient("127.0.0.1", proxy.port("tls2"), "api.example.com", "TLSv1.3")) {
                BufferedReader in = reader(viaSecond);
                say(viaSecond, "x");
                assertThat(in.readLine()).isEqualTo("blue:x");

                proxy.reload(CONFIG.formatted("", blue.address())); // tls2 removed

                say(viaSecond, "still-here");
                assertThat(in.readLine()).isEqualTo("blue:still-here");
                try (Socket refused = new Socket()) {
                    org.assertj.core.api.Assertions.assertThatThrownBy(() -> refused.connect(
                            new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port("tls2")), 2000))
                            .isInstanceOf(java.io.IOException.class);
                }
            }
        }
    }

    private static void say(SSLSocket s, String line) throws Exception {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static BufferedReader reader(SSLSocket s) throws Exception {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }
}
