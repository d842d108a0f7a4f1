package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way a connection can end before it is routed has its own outcome, not a catch-all: the
 * client leaving, too many bytes while connecting, a drain. Each counts once, and a routed
 * connection stays {@code routed} however it ends.
 */
class CloseOutcomesTest {

    static final byte[] ECHO = ClientHellos.tls13("echo.example.com");
    static final byte[] SLOW = ClientHellos.tls13("slow.example.com");

    RecordingServer echo;
    ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        echo = new RecordingServer(true);
        // "slow.internal" never resolves: a connection routed there stays CONNECTING.
        proxy = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                routes:
                  - hostnames: [echo.example.com]
                    backend: %s
                  - hostnames: [slow.example.com]
                    backend: slow.internal:443
                timeouts:
                  connect: 30s
                limits:
                  maxClientHelloBytes: 4096
                """.formatted(echo.address()), name -> name.equals("slow.internal")
                        ? Promise.<InetAddress>promise().future()
                        : Future.succeededFuture(InetAddress.getLoopbackAddress()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
    }

    @Test
    void aClientThatLeavesBeforeItIsRoutedIsClientClosedNotBadHello() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(Arrays.copyOf(ECHO, ECHO.length / 2)); // half a hello, then gone
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "client_closed") == 1);
        try (Socket s = connect()) {
            s.getOutputStream().write(SLOW); // routed to a backend still resolving, then reset
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openConnections() == 1);
            s.setSoLinger(true, 0); // a FIN alone is a half-close, passed on once connected; a reset is gone
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "client_closed") == 2);
        assertThat(proxy.outcome("tls", "bad_hello")).isZero();
        assertThat(proxy.outcome("tls", "connect_failed")).isZero();
    }

    @Test
    void tooMuchFromTheClientWhileItsBackendConnectsIsTooLarge() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(SLOW);
            out.write(new byte[3 * 4096]); // "early data" past twice maxClientHelloBytes
            assertThat(s.getInputStream().readAllBytes()).isEmpty();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "too_large") == 1);
        assertThat(proxy.server().openConnections()).isZero();
    }

    @Test
    void aDrainThatClosesConnectionsNotYetRoutedCountsThemDrainedAndRoutedOnesStayRouted() throws Exception {
        try (Socket reading = connect(); Socket connecting = connect(); Socket piping = connect()) {
            reading.getOutputStream().write(Arrays.copyOf(ECHO, 10));
            connecting.getOutputStream().write(SLOW);
            piping.getOutputStream().write(ECHO);
            assertThat(piping.getInputStream().readNBytes(ECHO.length)).isEqualTo(ECHO);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openConnections() == 3);

            proxy.server().drain(Duration.ZERO);

            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openConnections() == 0);
            assertThat(proxy.outcome("tls", "drained")).isEqualTo(2);
            assertThat(proxy.outcome("tls", "routed")).isEqualTo(1);
            double total = proxy.registry().find("sniproxy.connections.total").tag("listener", "tls").counters()
                    .stream().mapToDouble(c -> c.count()).sum();
            assertThat(total).as("each connection counted once").isEqualTo(3);
        }
    }

    private Socket connect() throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"));
        s.setSoTimeout(5000);
        return s;
    }
}
