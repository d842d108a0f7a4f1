package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static io.sniproxy.proxy.quic.QuicProxyFixture.initial;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** limits.perClient applies to QUIC sessions: one client address, one session; another address is unaffected. */
class QuicPerClientLimitsTest {

    @Test
    void aSecondSessionFromTheSameAddressIsRefusedWhileAnotherAddressIsRouted() throws Exception {
        try (UdpRecorder api = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(api.address(), """
                        limits:
                          perClient: {maxConnections: 1}
                        """);
                DatagramSocket first = client(InetAddress.getByName("127.0.0.2"));
                DatagramSocket second = client(InetAddress.getByName("127.0.0.2"));
                DatagramSocket other = client(InetAddress.getByName("127.0.0.3"))) {
            quic.send(first, initial("a1a2a3a4a5a6a7a8"));
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 1);
            quic.send(second, initial("b1b2b3b4b5b6b7b8"));
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.outcome("refused_client_limit") == 1);
            assertThat(quic.drops("client_limit")).isEqualTo(1);
            // Its retransmissions repeat the same attempt: dropped, not a second refusal each.
            quic.send(second, initial("b1b2b3b4b5b6b7b8"));
            quic.send(second, initial("b1b2b3b4b5b6b7b8"));
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("refused_retransmit") == 2);
            assertThat(quic.outcome("refused_client_limit")).isEqualTo(1);
            assertThat(quic.drops("client_limit")).isEqualTo(1);
            quic.send(other, initial("c1c2c3c4c5c6c7c8"));
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 2);
            assertThat(api.received()).extracting(UdpRecorder.Received::payload).hasSize(2);
            assertThat(quic.outcome("routed")).isEqualTo(2);
        }
    }
}
