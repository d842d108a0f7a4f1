package io.sniproxy.proxy.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.proxyprotocol.ProxyHeaders;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * limits.perClient through real sockets: clients bound to 127.0.0.2 and 127.0.0.3 hit their caps
 * and rates while 127.0.0.4 is unaffected; behind a trusted balancer the cap counts the client the
 * PROXY header names, not the balancer.
 */
class PerClientLimitsTest {

    static final byte[] HELLO = ClientHellos.tls13("limit.example.com");

    @Test
    void eachClientAddressHoldsAtMostMaxConnectionsAndAThirdAddressIsUnaffected() throws Exception {
        try (RecordingServer echo = new RecordingServer(true);
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: tls
                            address: 127.0.0.1:${port:tls}
                            protocol: tls
                        routes:
                          - hostnames: [limit.example.com]
                            backend: %s
                        limits:
                          perClient: {maxConnections: 2}
                        """.formatted(echo.address()))) {
            int port = proxy.port("tls");
            List<Socket> held = new ArrayList<>();
            try {
                for (String from : new String[] {"127.0.0.2", "127.0.0.3"}) {
                    for (int i = 0; i < 2; i++) {
                        Socket s = Clients.from(from, port);
                        held.add(s);
                        assertThat(Clients.echoed(s, HELLO)).as("%s connection %d", from, i).isTrue();
                    }
                    try (Socket third = Clients.from(from, port)) {
                        assertThat(Clients.closedByProxy(third)).as("%s over its cap", from).isTrue();
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("tls", "refused_client_limit") == 2);
                for (int i = 0; i < 3; i++) {
                    assertThat(Clients.roundTrip("127.0.0.4", port, "limit.example.com")).as("127.0.0.4 unaffected")
                            .isTrue();
                }
                held.remove(0).close(); // 127.0.0.2 gives one back
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 3);
                Socket again = Clients.from("127.0.0.2", port);
                held.add(again);
                assertThat(Clients.echoed(again, HELLO)).isTrue();
                assertThat(proxy.outcome("tls", "refused_client_limit")).isEqualTo(2);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void newConnectionsPerSecondAreCappedPerClientWithABurst() throws Exception {
        try (RecordingServer echo = new RecordingServer(true);
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: tls
                            address: 127.0.0.1:${port:tls}
                            protocol: tls
                        routes:
                          - hostnames: [limit.example.com]
                            backend: %s
                        limits:
                          perClient: {newConnectionsPerSecond: 1, burst: 3}
                        """.formatted(echo.address()))) {
            int port = proxy.port("tls");
            for (String from : new String[] {"127.0.0.2", "127.0.0.3"}) {
                long start = System.nanoTime();
                int admitted = 0;
                for (int i = 0; i < 8; i++) {
                    admitted += Clients.roundTrip(from, port, "limit.example.com") ? 1 : 0;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("perClient rate 1/s burst 3: %s admitted %d of 8 in %.2f s%n", from, admitted, seconds);
                // the burst, plus at most what the bucket refilled meanwhile (a slow machine)
                assertThat(admitted).isBetween(3, 3 + (int) Math.floor(seconds));
            }
            assertThat(proxy.outcome("tls", "refused_rate")).isPositive();
            assertThat(Clients.roundTrip("127.0.0.4", port, "limit.example.com")).as("127.0.0.4 unaffected").isTrue();
            assertThat(proxy.outcome("tls", "refused_rate") + proxy.outcome("tls", "routed")).isEqualTo(17);
        }
    }

    @Test
    void behindATrustedBalancerTheCapCountsTheRealClient() throws Exception {
        try (RecordingServer echo = new RecordingServer(true);
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: lb
                            address: 127.0.0.1:${port:lb}
                            protocol: tls
                            acceptProxyProtocol: v1
                            trustedProxies: [127.0.0.2]
                        routes:
                          - hostnames: [limit.example.com]
                            backend: %s
                        limits:
                          perClient: {maxConnections: 1}
                        """.formatted(echo.address()))) {
            int port = proxy.port("lb");
            List<Socket> held = new ArrayList<>();
            try {
                // two clients through one balancer: each gets its own slot
                for (String client : new String[] {"203.0.113.7", "203.0.113.8"}) {
                    Socket s = Clients.from("127.0.0.2", port);
                    held.add(s);
                    s.getOutputStream().write(ProxyHeaders.v1("PROXY TCP4 " + client + " 198.51.100.1 4000 443\r\n"));
                    assertThat(Clients.echoed(s, HELLO)).as(client).isTrue();
                }
                try (Socket s = Clients.from("127.0.0.2", port)) {
                    s.getOutputStream().write(ProxyHeaders.v1("PROXY TCP4 203.0.113.7 198.51.100.1 4001 443\r\n"));
                    s.getOutputStream().write(HELLO);
                    assertThat(Clients.closedByProxy(s)).as("203.0.113.7's second connection").isTrue();
                }
                await().atMost(5, TimeUnit.SECONDS).until(() -> proxy.outcome("lb", "refused_client_limit") == 1);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
