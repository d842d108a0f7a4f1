package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import io.sniproxy.proxy.testing.RefusingSockets;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OS refuses the backend socket (EMFILE at {@code socket(2)}, through the transport seam):
 * exactly that connection ends, with its farewell, counted as {@code fd_limit}; its slot and its
 * client socket are given back, nothing escapes {@code close()}, and once sockets can be made
 * again the same listener routes as before.
 */
class BackendSocketRefusedTest {

    static final byte[] HELLO = ClientHellos.tls13("echo.example.com");
    static final byte[] INTERNAL_ERROR_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};

    RecordingServer echo;
    RefusingSockets sockets;
    ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        echo = new RecordingServer(true);
        sockets = new RefusingSockets();
        proxy = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                  - name: http
                    address: 127.0.0.1:${port:http}
                    protocol: http
                routes:
                  - hostnames: [echo.example.com]
                    backend: %s
                """.formatted(echo.address()), sockets.transport(), List.of());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
    }

    @Test
    void aRefusedBackendSocketEndsThatTlsConnectionWithAnAlertAndCountsItAsFdLimit() throws Exception {
        try (Socket client = connect("tls")) {
            client.getOutputStream().write(HELLO);
            assertThat(client.getInputStream().readAllBytes()).containsExactly(INTERNAL_ERROR_ALERT);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "fd_limit") == 1);
        assertReleased();
        assertThat(sockets.refused()).isEqualTo(1); // one attempt: no retry on a socket the OS will not give
        assertThat(echo.accepted()).isZero();
    }

    @Test
    void aRefusedBackendSocketAnswersAnHttpClientWith503() throws Exception {
        try (Socket client = connect("http")) {
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: echo.example.com\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 503 Service Unavailable\r\n").contains("Connection: close");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("http", "fd_limit") == 1);
        assertReleased();
    }

    @Test
    void manyRefusalsAtOnceEachEndTheirOwnConnectionAndRoutingComesBackWhenSocketsDo() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                Socket s = connect("tls");
                s.getOutputStream().write(HELLO);
                clients.add(s);
            }
            for (Socket s : clients) {
                assertThat(s.getInputStream().readAllBytes()).containsExactly(INTERNAL_ERROR_ALERT);
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "fd_limit") == 100);
        assertReleased();

        sockets.refusing(false);
        try (Socket client = connect("tls")) {
            client.getOutputStream().write(HELLO);
            assertThat(client.getInputStream().readNBytes(HELLO.length)).isEqualTo(HELLO); // echoed
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "routed") == 1);
        assertThat(proxy.outcome("tls", "fd_limit")).isEqualTo(100);
        assertReleased();
    }

    @Test
    void aDnsQueryWithoutASocketIsFdLimitToo() throws Exception {
        // Vert.x's resolver needs a UDP socket to ask; at the limit that fails with EMFILE.
        try (ProxyHarness transparent = ProxyHarness.start("""
                listeners:
                  - name: http
                    address: 127.0.0.1:${port:http}
                    protocol: http
                routes:
                  - hostnames: ["*.example.net"]
                    backend: "*"
                """, name -> Future.failedFuture(RefusingSockets.emfile("newSocketDgram")))) {
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), transparent.port("http"))) {
                client.setSoTimeout(5000);
                client.getOutputStream().write("GET / HTTP/1.1\r\nHost: www.example.net\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .startsWith("HTTP/1.1 503 ");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> transparent.outcome("http", "fd_limit") == 1);
            assertThat(transparent.outcome("http", "connect_failed")).isZero();
            assertThat(transparent.server().openConnections()).isZero();
        }
    }

    private void assertReleased() {
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openConnections() == 0);
        assertThat(proxy.active("tls")).isZero();
        assertThat(proxy.active("http")).isZero();
    }

    private Socket connect(String listener) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port(listener));
        s.setSoTimeout(5000);
        return s;
    }
}
