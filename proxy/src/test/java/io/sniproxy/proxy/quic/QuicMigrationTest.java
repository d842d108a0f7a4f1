package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.nio.NioEventLoopGroup;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client whose address changes keeps its QUIC connection: a real QUIC client (quiche) behind a
 * small UDP NAT that switches its outside port mid-connection, a real QUIC server (quiche) behind
 * the proxy. The proxy finds the session by the server's connection ID in the client's short
 * headers and gives the new address its own backend socket, so the server validates the new path
 * itself; a known ID sent from a third address never takes the server's traffic away from the
 * real client.
 */
class QuicMigrationTest {

    static NioEventLoopGroup group;
    QuicPeers.Server api;
    QuicProxyFixture quic;
    /** The listener factory: how many session slots (backend sockets) are taken. */
    QuicListenerFactory factory;
    ProxyHarness proxy;

    @BeforeAll
    static void startGroup() {
        group = new NioEventLoopGroup(2);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws Exception {
        api = new QuicPeers.Server(group, "api", false);
        quic = QuicProxyFixture.start(api.address(), """
                timeouts:
                  udpSession: 2s
                """);
        factory = quic.factory();
        proxy = quic.proxy();
    }

    @AfterEach
    void stop() throws Exception {
        quic.close();
        api.close();
    }

    @Test
    void aNatRebindingMidConnectionKeepsTheConnectionAndTheOldPathExpiresOnItsOwn() throws Exception {
        try (UdpNat nat = new UdpNat(quic.listener());
                QuicPeers.Client client = QuicPeers.Client.connect(group, nat.inside(), "api.example.com", 10_000)) {
            assertThat(client.request("before the switch")).isEqualTo("api:before the switch");
            assertThat(factory.openSessions()).isEqualTo(1);
            int oldPort = nat.outsidePort();
            int newPort = nat.rebind();
            assertThat(newPort).isNotEqualTo(oldPort);

            assertThat(client.request("after the switch")).isEqualTo("api:after the switch");
            assertThat(api.connections.get()).as("the same QUIC connection").isEqualTo(1);
            assertThat(quic.migrations("migrated")).isEqualTo(1);
            assertThat(proxy.outcome("quic", "routed")).isEqualTo(1);
            assertThat(quic.sessions()).isEqualTo(1);
            assertThat(factory.openSessions()).as("the new path has its own backend socket").isEqualTo(2);

            // The old path hears nothing more and ends after udpSession; the connection goes on.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
                assertThat(client.request("still there")).isEqualTo("api:still there");
                return factory.openSessions() == 1;
            });
            assertThat(quic.sessions()).isEqualTo(1);
            assertThat(client.request("later")).isEqualTo("api:later");
            assertThat(api.connections.get()).isEqualTo(1);
            assertThat(quic.migrations("migrated")).isEqualTo(1);
            assertThat(quic.migrations("unanswered")).isZero();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> quic.sessions() == 0 && factory.openSessions() == 0);
        assertThat(quic.drops("not_initial")).isZero();
    }

    @Test
    void aKnownConnectionIdFromAThirdAddressDoesNotTakeTheServersTrafficAwayFromTheRealClient() throws Exception {
        try (UdpNat nat = new UdpNat(quic.listener());
                QuicPeers.Client client = QuicPeers.Client.connect(group, nat.inside(), "api.example.com", 10_000);
                DatagramSocket replayer = spoofer();
                DatagramSocket forger = spoofer()) {
            assertThat(client.request("one")).isEqualTo("api:one");
            byte[] observed = nat.lastShortHeader();
            assertThat(observed).as("the client's short-header datagram, as an on-path observer sees it").isNotNull();
            // A replay of the real datagram from one address; the known ID in front of bytes nobody
            // can decrypt from another.
            byte[] forged = Arrays.copyOf(observed, observed.length);
            Arrays.fill(forged, 1 + 20, forged.length, (byte) 0x5a);
            replayer.send(new DatagramPacket(observed, observed.length, quic.listener()));
            forger.send(new DatagramPacket(forged, forged.length, quic.listener()));
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.migrations("migrated") == 2);

            for (int i = 0; i < 5; i++) {
                assertThat(client.request("after the spoof " + i)).isEqualTo("api:after the spoof " + i);
            }
            assertThat(api.connections.get()).isEqualTo(1);
            assertThat(api.streams.get()).isEqualTo(6);
            // The server saw new peers it did not validate: none of the connection's data goes there.
            int toReplayer = drain(replayer);
            int toForger = drain(forger);
            assertThat(toReplayer).as("datagrams to the replaying address (at most path challenges)")
                    .isLessThanOrEqualTo(3);
            // The server cannot decrypt the forged datagram, yet now and then (1 run in 8 at load 10+)
            // it sends one datagram on that path; whatever it sends, the proxy passes it to that
            // path's address only. None of the connection's data goes there: the five requests
            // above were all answered to the real client.
            assertThat(toForger).as("datagrams to the forging address").isLessThanOrEqualTo(3);
            System.out.printf("QuicMigrationTest: spoofed claims: %d datagram(s) to the replayer, %d to the forger%n",
                    toReplayer, toForger);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> quic.sessions() == 0 && factory.openSessions() == 0);
        assertThat(quic.migrations("unanswered")).as("the forged claim's path ended without one datagram from the server")
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void forgedClaimsThatFillTheSessionsPathsDoNotLockTheRealClientOutOfItsRebinding() throws Exception {
        List<DatagramSocket> forgers = new ArrayList<>();
        int answeredForgers = 0;
        try (UdpNat nat = new UdpNat(quic.listener());
                QuicPeers.Client client = QuicPeers.Client.connect(group, nat.inside(), "api.example.com", 10_000)) {
            assertThat(client.request("one")).isEqualTo("api:one");
            byte[] forged = Arrays.copyOf(nat.lastShortHeader(), nat.lastShortHeader().length);
            Arrays.fill(forged, 1 + 20, forged.length, (byte) 0x5a);
            for (int i = 1; i < QuicSession.MAX_PATHS; i++) {
                DatagramSocket forger = spoofer();
                forgers.add(forger);
                forger.send(new DatagramPacket(forged, forged.length, quic.listener()));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.migrations("migrated") == QuicSession.MAX_PATHS - 1);
            assertThat(factory.openSessions()).isEqualTo(QuicSession.MAX_PATHS);

            nat.rebind(); // every path is taken: the oldest one the server never answered makes room
            assertThat(client.request("after the switch")).isEqualTo("api:after the switch");
            assertThat(api.connections.get()).isEqualTo(1);
            assertThat(quic.migrations("migrated")).isEqualTo(QuicSession.MAX_PATHS);
            assertThat(quic.migrations("path_limit")).isZero();
            assertThat(quic.migrations("unanswered")).isEqualTo(1);
            assertThat(factory.openSessions()).isEqualTo(QuicSession.MAX_PATHS);
            for (DatagramSocket f : forgers) {
                answeredForgers += drain(f) > 0 ? 1 : 0;
            }
        } finally {
            for (DatagramSocket f : forgers) {
                f.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> quic.sessions() == 0 && factory.openSessions() == 0);
        // A path the server answered is not "unanswered", whoever claimed it. The server is not
        // ours: twice under load one forged path was not counted (2, not 3), which fits the server
        // sending on it. Whatever the server sent there reached that forger, so count from that.
        assertThat(quic.migrations("unanswered"))
                .as("forged paths the server never answered (%d forger(s) heard from it)", answeredForgers)
                .isEqualTo(QuicSession.MAX_PATHS - 1 - answeredForgers);
    }

    static DatagramSocket spoofer() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(300);
        return s;
    }

    /** How many datagrams reach {@code socket} until 300 ms pass without one. */
    static int drain(DatagramSocket socket) throws Exception {
        int n = 0;
        byte[] buf = new byte[2048];
        try {
            while (n < 100) {
                socket.receive(new DatagramPacket(buf, buf.length));
                n++;
            }
        } catch (SocketTimeoutException e) {
            // quiet now
        }
        return n;
    }
}
