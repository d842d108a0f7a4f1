package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.RefusingSockets;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The OS refuses a QUIC session its backend UDP socket (ENOBUFS at {@code socket(2)}, through the
 * transport seam): that session ends as {@code fd_limit}, its slot and buffered datagrams are given
 * back, the listener goes on, and sessions route again once sockets can be made.
 */
class QuicBackendSocketRefusedTest {

    @Test
    void aRefusedBackendSocketEndsThatSessionAsFdLimitAndTheListenerRecovers() throws Exception {
        RefusingSockets sockets = new RefusingSockets();
        byte[] initial = QuicProxyFixture.initial("b1b2b3b4b5b6b7b8");
        try (UdpRecorder api = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(api.address(), """
                        limits:
                          maxUdpSessions: 5
                        """, new QuicListenerFactory(), sockets.transport())) {
            // More refused sessions than there are slots: a slot that was not given back would show.
            for (int i = 0; i < 8; i++) {
                try (DatagramSocket client = client()) {
                    quic.send(client, initial);
                    int expected = i + 1;
                    await().atMost(Duration.ofSeconds(5)).until(() -> quic.outcome("fd_limit") == expected);
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
            assertThat(quic.proxy().server().openSessions()).isZero();
            assertThat(quic.drops("backend_failed")).isEqualTo(8);
            assertThat(quic.outcome("refused_limit")).isZero();
            assertThat(api.received()).isEmpty();

            sockets.refusing(false);
            try (DatagramSocket client = client()) {
                quic.send(client, initial);
                byte[] buf = new byte[2048];
                DatagramPacket reply = new DatagramPacket(buf, buf.length);
                client.receive(reply);
                assertThat(new String(buf, 0, 5)).isEqualTo("echo:");
            }
            assertThat(quic.outcome("routed")).isEqualTo(1);
            assertThat(quic.outcome("fd_limit")).isEqualTo(8);
        }
    }
}
