package io.sniproxy.proxy.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Several backends behind one name, through real sockets: distribution, failover when a backend is
 * killed mid-test (the client never notices), recovery by active health checks when it returns,
 * and source stickiness per client address.
 */
class BackendFailoverTest {

    // Probe timeout 1 s, not 200 ms: with fall 1, one probe that a loaded machine delays past its timeout
    // takes a live backend out for two intervals and skews the exact shares. A killed backend refuses at
    // once, so detecting it does not wait for the timeout.
    static final String CONFIG = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
            routes:
              - hostnames: [rr.example.com]
                backends: [%1$s, %2$s, %3$s]
                balance: roundrobin
                healthCheck: {interval: 1s, timeout: 1s, rise: 2, fall: 1}
              - hostnames: [src.example.com]
                backends: [%1$s, %2$s, %3$s]
                balance: source
              - hostnames: [lc.example.com]
                backends: [%1$s, %2$s]
                balance: leastconn
            timeouts:
              connect: 3s
            """;
    /** Bound for a health state or gauge to change: generous, a loaded 2-core CI machine stalls for seconds. */
    static final Duration STATE_CHANGE = Duration.ofSeconds(30);

    @Test
    void roundRobinSpreadsEvenlyFailsOverWhenABackendIsKilledAndTakesItBackWhenItReturns() throws Exception {
        RecordingServer a = new RecordingServer(true);
        RecordingServer b = new RecordingServer(true);
        RecordingServer c = new RecordingServer(true);
        int bPort = b.port();
        try (ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted(a.address(), b.address(), c.address()))) {
            int port = proxy.port("tls");
            for (int i = 0; i < 300; i++) {
                assertThat(Clients.roundTrip("127.0.0.1", port, "rr.example.com")).isTrue();
            }
            // round-robin: an even share, exactly (health probes do not count: they are not recorded as hellos)
            List<Integer> shares = List.of(hellos(a), hellos(b), hellos(c));
            System.out.printf("balance: roundrobin over 3 backends, 300 connections: %s%n", shares);
            assertThat(shares).allSatisfy(n -> assertThat(n).isBetween(95, 105));

            b.close(); // killed mid-test
            int failedBefore = (int) proxy.outcome("tls", "connect_failed");
            for (int i = 0; i < 60; i++) {
                assertThat(Clients.roundTrip("127.0.0.1", port, "rr.example.com"))
                        .as("connection %d after the kill", i).isTrue();
            }
            assertThat(proxy.outcome("tls", "connect_failed")).isEqualTo(failedBefore);
            // down: by a client's failed connect (passive) or a failed probe (active), whichever came first
            await().atMost(STATE_CHANGE).until(() -> backendUp(proxy, b.address()) == 0);
            System.out.printf("failover: 60 connections after the kill, all served; %s failures_total=%.0f%n",
                    b.address(), backendFailures(proxy, b.address()));

            try (RecordingServer back = new RecordingServer(true, InetAddress.getLoopbackAddress(), bPort)) {
                await().atMost(STATE_CHANGE).until(() -> backendUp(proxy, back.address()) == 1);
                for (int i = 0; i < 30; i++) {
                    assertThat(Clients.roundTrip("127.0.0.1", port, "rr.example.com")).isTrue();
                }
                assertThat(hellos(back)).as("the returned backend takes its share again").isBetween(8, 12);
            }
        } finally {
            a.close();
            c.close();
        }
    }

    @Test
    void sourceKeepsEachClientAddressOnOneBackendAndSpreadsAddresses() throws Exception {
        try (RecordingServer a = new RecordingServer(true); RecordingServer b = new RecordingServer(true);
                RecordingServer c = new RecordingServer(true);
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted(a.address(), b.address(), c.address()))) {
            int port = proxy.port("tls");
            List<RecordingServer> servers = List.of(a, b, c);
            Map<String, Integer> backendOf = new HashMap<>();
            for (int client = 2; client <= 13; client++) {
                String from = "127.0.0." + client;
                Set<Integer> seen = new HashSet<>();
                for (int i = 0; i < 8; i++) {
                    int[] before = servers.stream().mapToInt(BackendFailoverTest::hellos).toArray();
                    assertThat(Clients.roundTrip(from, port, "src.example.com")).isTrue();
                    for (int s = 0; s < 3; s++) {
                        if (hellos(servers.get(s)) > before[s]) {
                            seen.add(s);
                        }
                    }
                }
                assertThat(seen).as("client %s sticks to one backend", from).hasSize(1);
                backendOf.put(from, seen.iterator().next());
            }
            System.out.printf("balance: source, 12 client addresses x 8 connections -> backends %s%n", backendOf);
            assertThat(new HashSet<>(backendOf.values())).as("12 addresses spread over the backends").hasSizeGreaterThan(1);
        }
    }

    @Test
    void leastConnSendsNewConnectionsToTheBackendWithFewerOpen() throws Exception {
        try (RecordingServer a = new RecordingServer(true); RecordingServer b = new RecordingServer(true);
                RecordingServer c = new RecordingServer(true);
                ProxyHarness proxy = ProxyHarness.start(CONFIG.formatted(a.address(), b.address(), c.address()))) {
            int port = proxy.port("tls");
            // hold 4 connections open: leastconn puts them 2 and 2
            List<java.net.Socket> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    java.net.Socket s = Clients.from("127.0.0.1", port);
                    held.add(s);
                    assertThat(Clients.echoed(s, io.sniproxy.proxy.testing.ClientHellos.tls13("lc.example.com"))).isTrue();
                }
                assertThat(List.of(hellos(a), hellos(b))).containsExactly(2, 2);
                held.remove(0).close(); // a or b now holds one fewer
                await().atMost(STATE_CHANGE).until(() -> open(proxy, a.address()) + open(proxy, b.address()) == 3);
                String fewer = open(proxy, a.address()) < open(proxy, b.address()) ? "a" : "b";
                java.net.Socket s = Clients.from("127.0.0.1", port);
                held.add(s);
                assertThat(Clients.echoed(s, io.sniproxy.proxy.testing.ClientHellos.tls13("lc.example.com"))).isTrue();
                assertThat(open(proxy, a.address())).isEqualTo(2);
                assertThat(open(proxy, b.address())).as("the new one went to %s", fewer).isEqualTo(2);
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    /** Connections that carried a hello (health probes connect and close without a byte). */
    static int hellos(RecordingServer s) {
        return (int) s.connections().stream().filter(conn -> conn.received().length > 0).count();
    }

    static double backendUp(ProxyHarness proxy, String backend) {
        Gauge g = proxy.registry().find("sniproxy.backend.up").tag("backend", backend).gauge();
        return g == null ? -1 : g.value();
    }

    static double open(ProxyHarness proxy, String backend) {
        Gauge g = proxy.registry().find("sniproxy.backend.connections.active").tag("backend", backend).gauge();
        return g == null ? -1 : g.value();
    }

    static double backendFailures(ProxyHarness proxy, String backend) {
        FunctionCounter c = proxy.registry().find("sniproxy.backend.failures").tag("backend", backend).functionCounter();
        return c == null ? 0 : c.count();
    }
}
