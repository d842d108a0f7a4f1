package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PROXY protocol headers checked byte for byte at the backend, for IPv4 and IPv6 clients. */
class ProxyProtocolTest {

    static RecordingServer backend;
    static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingServer(false);
        proxy = ProxyHarness.start("""
                listeners:
                  - name: v4
                    address: 127.0.0.1:${port:v4}
                    protocol: tls
                  - name: dual
                    address: "[::]:${port:dual}"
                    protocol: tls
                routes:
                  - hostnames: [one.example.com]
                    backend: %1$s
                    proxyProtocol: v1
                  - hostnames: [two.example.com]
                    backend: %1$s
                    proxyProtocol: v2
                  - hostnames: [none.example.com]
                    backend: %1$s
                """.formatted(backend.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void v1HeaderForAnIpv4Client() throws Exception {
        byte[] hello = ClientHellos.tls13("one.example.com");
        Sent sent = send("127.0.0.1", proxy.port("v4"), hello);
        String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + sent.clientPort + " " + proxy.port("v4") + "\r\n";
        assertThat(sent.received).isEqualTo(ClientHellos.concat(expected.getBytes(StandardCharsets.US_ASCII), hello));
    }

    @Test
    void v1HeaderForAnIpv4ClientOnADualStackListenerIsTcp4NotMappedIpv6() throws Exception {
        byte[] hello = ClientHellos.tls13("one.example.com");
        Sent sent = send("127.0.0.1", proxy.port("dual"), hello);
        String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + sent.clientPort + " " + proxy.port("dual") + "\r\n";
        assertThat(new String(sent.received, 0, expected.length(), StandardCharsets.US_ASCII)).isEqualTo(expected);
    }

    @Test
    void v1HeaderForAnIpv6Client() throws Exception {
        byte[] hello = ClientHellos.tls13("one.example.com");
        Sent sent = send("::1", proxy.port("dual"), hello);
        String expected = "PROXY TCP6 0:0:0:0:0:0:0:1 0:0:0:0:0:0:0:1 " + sent.clientPort + " " + proxy.port("dual")
                + "\r\n";
        assertThat(sent.received).isEqualTo(ClientHellos.concat(expected.getBytes(StandardCharsets.US_ASCII), hello));
    }

    @Test
    void v2HeaderForAnIpv4ClientOnADualStackListener() throws Exception {
        byte[] hello = ClientHellos.tls12("two.example.com");
        Sent sent = send("127.0.0.1", proxy.port("dual"), hello);
        ByteBuffer h = ByteBuffer.allocate(28);
        h.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        h.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
        h.put(new byte[] {127, 0, 0, 1}).put(new byte[] {127, 0, 0, 1});
        h.putShort((short) sent.clientPort).putShort((short) proxy.port("dual"));
        assertThat(sent.received).isEqualTo(ClientHellos.concat(h.array(), hello));
    }

    @Test
    void v2HeaderForAnIpv6Client() throws Exception {
        byte[] hello = ClientHellos.tls13("two.example.com");
        Sent sent = send("::1", proxy.port("dual"), hello);
        byte[] loop6 = new byte[16];
        loop6[15] = 1;
        ByteBuffer h = ByteBuffer.allocate(52);
        h.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        h.put((byte) 0x21).put((byte) 0x21).putShort((short) 36);
        h.put(loop6).put(loop6);
        h.putShort((short) sent.clientPort).putShort((short) proxy.port("dual"));
        assertThat(sent.received).isEqualTo(ClientHellos.concat(h.array(), hello));
    }

    @Test
    void noHeaderUnlessTheRouteAsksForOne() throws Exception {
        byte[] hello = ClientHellos.tls13("none.example.com");
        assertThat(send("127.0.0.1", proxy.port("v4"), hello).received).isEqualTo(hello);
    }

    private record Sent(int clientPort, byte[] received) {
    }

    private static Sent send(String host, int port, byte[] hello) throws Exception {
        int before = backend.accepted();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), 5000);
            s.getOutputStream().write(hello);
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.accepted() > before
                    && HttpRoutingTest.last(backend).received().length >= hello.length);
            Thread.sleep(100); // a header, if any, came first: let the rest of the bytes settle
            byte[] got = HttpRoutingTest.last(backend).received();
            return new Sent(s.getLocalPort(), Arrays.copyOf(got, got.length));
        }
    }
}
