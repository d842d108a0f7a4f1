package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.nio.NioEventLoopGroup;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real QUIC client and real QUIC servers (Netty's QUIC codec: quiche + BoringSSL) complete their
 * handshake through the proxy's quic listener and exchange data on a stream; the proxy reads only
 * the SNI from the client's Initial packets.
 */
class QuicEndToEndTest {

    static NioEventLoopGroup group;
    QuicPeers.Server api;
    QuicPeers.Server org;
    QuicProxyFixture quic;
    ProxyHarness proxy;

    @BeforeAll
    static void startGroup() {
        group = new NioEventLoopGroup(2);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws Exception {
        api = new QuicPeers.Server(group, "api", false);
        org = new QuicPeers.Server(group, "org", true);
        quic = QuicProxyFixture.start(api.address(), """
                  - hostnames: ["*.example.org"]
                    backend: %s
                    protocols: [quic]
                timeouts:
                  udpSession: 3s
                """.formatted(org.address()));
        proxy = quic.proxy();
    }

    @AfterEach
    void stop() throws Exception {
        quic.close();
        api.close();
        org.close();
    }

    @Test
    void exactRouteCompletesAHandshakeAndAStreamExchangeAndTheOtherServerGetsNothing() throws Exception {
        String answer = QuicPeers.exchange(group, quic.listener(), "api.example.com", "hello over quic", 5000);
        assertThat(answer).isEqualTo("api:hello over quic");
        assertThat(api.streams.get()).isEqualTo(1);
        assertThat(org.datagrams.get()).isZero();
        assertThat(proxy.outcome("quic", "routed")).isEqualTo(1);
        assertThat(proxy.bytes("quic", "upstream")).isGreaterThan(1200);
        assertThat(proxy.bytes("quic", "downstream")).isGreaterThan(0);
        assertThat(quic.datagrams("upstream")).isGreaterThanOrEqualTo(3);
        assertThat(quic.datagrams("downstream")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void wildcardRouteReachesItsServerThroughARetryAndTheOtherServerGetsNothing() throws Exception {
        String answer = QuicPeers.exchange(group, quic.listener(), "www.example.org", "second", 5000);
        assertThat(answer).isEqualTo("org:second");
        assertThat(org.streams.get()).isEqualTo(1);
        assertThat(api.datagrams.get()).isZero();
        String again = QuicPeers.exchange(group, quic.listener(), "cdn.example.org", "third", 5000);
        assertThat(again).isEqualTo("org:third");
        assertThat(api.datagrams.get()).isZero();
        assertThat(proxy.outcome("quic", "routed")).isEqualTo(2);
    }

    @Test
    void anUnmatchedNameReachesNoServerAndItsSessionsEnd() {
        assertThatThrownBy(() -> QuicPeers.exchange(group, quic.listener(), "nobody.example.net", "x", 1500))
                .isInstanceOf(Exception.class);
        assertThat(api.datagrams.get()).isZero();
        assertThat(org.datagrams.get()).isZero();
        assertThat(quic.drops("no_route")).isGreaterThanOrEqualTo(1);
        assertThat(proxy.outcome("quic", "no_route")).isGreaterThanOrEqualTo(1);
        assertThat(proxy.outcome("quic", "routed")).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
    }

    @Test
    void sessionsExpireAfterTheirSilenceAndTheGaugeReturnsToZero() throws Exception {
        QuicPeers.exchange(group, quic.listener(), "api.example.com", "one", 5000);
        QuicPeers.exchange(group, quic.listener(), "www.example.org", "two", 5000);
        assertThat(quic.sessions()).isBetween(1.0, 2.0);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> quic.sessions() == 0);
    }
}
