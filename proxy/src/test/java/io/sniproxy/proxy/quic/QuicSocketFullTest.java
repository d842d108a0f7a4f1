package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.socket.DatagramChannel;
import java.net.DatagramSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A session's backend socket whose send queue is full (Netty: not writable) takes no more client
 * datagrams: each is dropped and counted as {@code socket_full}, as the kernel drops on a full
 * buffer, instead of queueing in memory without bound. The session stays; once the socket is
 * writable again the client's datagrams reach the backend.
 */
class QuicSocketFullTest {

    @Test
    void aFullBackendSocketDropsClientDatagramsAsSocketFullAndRecovers() throws Exception {
        DatagramChannel[] backend = new DatagramChannel[1];
        byte[] initial = QuicProxyFixture.initial("d1d2d3d4d5d6d7d8");
        try (UdpRecorder api = new UdpRecorder(false);
                QuicProxyFixture quic = QuicProxyFixture.start(api.address(), "", new QuicListenerFactory(),
                        t -> t.withBackendSockets(t.backendSockets(), QuicProxyFixture.remembering(t, backend)));
                DatagramSocket c = client()) {
            quic.send(c, initial);
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 1); // routed, forwarded

            // Full: what a backend that does not keep up (or a starved kernel) leaves in the outbound buffer.
            backend[0].eventLoop().submit(() -> backend[0].unsafe().outboundBuffer().setUserDefinedWritability(1, false))
                    .sync();
            for (int i = 0; i < 5; i++) {
                quic.send(c, initial); // the same client address and DCID: this session's datagrams
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("socket_full") == 5);
            assertThat(api.received()).hasSize(1);
            assertThat(quic.sessions()).isEqualTo(1);

            backend[0].eventLoop().submit(() -> backend[0].unsafe().outboundBuffer().setUserDefinedWritability(1, true))
                    .sync();
            quic.send(c, initial);
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 2);
            assertThat(quic.drops("socket_full")).isEqualTo(5);
        }
    }
}
