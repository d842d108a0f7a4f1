package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.sniproxy.proxy.runtime.Transport;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the QUIC tests share: a proxy with one {@code quic} listener (named "quic") that routes
 * {@code api.example.com} to a UDP backend, its counters, and the plain-UDP client side (sockets,
 * Initials holding a ClientHello for {@code api.example.com}). Closing it closes the proxy; the
 * backend belongs to the test.
 */
final class QuicProxyFixture implements AutoCloseable {

    static final String LISTENER = "quic";
    static final String HOST = "api.example.com";

    private final ProxyHarness proxy;
    private final QuicListenerFactory factory;

    private QuicProxyFixture(ProxyHarness proxy, QuicListenerFactory factory) {
        this.proxy = proxy;
        this.factory = factory;
    }

    /**
     * @param backend where {@code api.example.com} goes ({@code host:port})
     * @param more    YAML that follows the route: more route items (indented as {@code "  - hostnames:"})
     *                and top-level keys ({@code timeouts:}, {@code limits:}), or ""
     */
    static QuicProxyFixture start(String backend, String more) throws Exception {
        return start(backend, more, new QuicListenerFactory(), UnaryOperator.identity());
    }

    /** With the factory to read session slots from, and the transport adjusted (refused sockets). */
    static QuicProxyFixture start(String backend, String more, QuicListenerFactory factory,
            UnaryOperator<Transport> transport) throws Exception {
        return new QuicProxyFixture(ProxyHarness.start(config(backend, more), transport, List.of(factory)), factory);
    }

    /** The fixture's YAML: the quic listener, the one route, then {@code more}. */
    static String config(String backend, String more) {
        return """
                listeners:
                  - name: quic
                    address: 127.0.0.1:${port:quic}
                    protocol: quic
                routes:
                  - hostnames: [api.example.com]
                    backend: %s
                """.formatted(backend) + more;
    }

    ProxyHarness proxy() {
        return proxy;
    }

    QuicListenerFactory factory() {
        return factory;
    }

    InetSocketAddress listener() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port(LISTENER));
    }

    double outcome(String outcome) {
        return proxy.outcome(LISTENER, outcome);
    }

    double sessions() {
        return proxy.udpSessions(LISTENER);
    }

    double drops(String reason) {
        return proxy.udpDrops(LISTENER, reason);
    }

    double datagrams(String direction) {
        return proxy.udpDatagrams(LISTENER, direction);
    }

    /** The {@code sniproxy.udp.migrations} counter of one result, -1 while it does not exist. */
    double migrations(String result) {
        var c = proxy.registry().find("sniproxy.udp.migrations").tags("listener", LISTENER, "result", result).counter();
        return c == null ? -1 : c.count();
    }

    void send(DatagramSocket client, byte[] payload) throws Exception {
        client.send(new DatagramPacket(payload, payload.length, listener()));
    }

    @Override
    public void close() throws Exception {
        proxy.close();
    }

    // ---- the client side -----------------------------------------------------------------------

    /** A UDP socket on the loopback address with a 5 s receive timeout. */
    static DatagramSocket client() throws Exception {
        return client(InetAddress.getLoopbackAddress());
    }

    /** The same on {@code address} (another loopback address is another client IP). */
    static DatagramSocket client(InetAddress address) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(address, 0));
        s.setSoTimeout(5000);
        return s;
    }

    /** Sends {@code payload} and expects an answer from {@code listener}'s own address. */
    static void exchange(DatagramSocket client, InetSocketAddress listener, byte[] payload) throws Exception {
        client.send(new DatagramPacket(payload, payload.length, listener));
        DatagramPacket reply = receive(client);
        assertThat(reply.getSocketAddress()).isEqualTo(listener);
    }

    static DatagramPacket receive(DatagramSocket client) throws Exception {
        byte[] buf = new byte[65_535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        client.receive(p);
        return p;
    }

    /** A 1,200-byte QUIC v1 Initial with destination ID {@code dcidHex} and a ClientHello for {@link #HOST}. */
    static byte[] initial(String dcidHex) {
        return initial(HexFormat.of().parseHex(dcidHex));
    }

    static byte[] initial(byte[] dcid) {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13(HOST));
        return seal(QuicVersion.V1, dcid, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
    }

    /** The transport's own backend datagram sockets, the last one made kept for the test. */
    static ChannelFactory<DatagramChannel> remembering(Transport t, DatagramChannel[] last) {
        ChannelFactory<? extends DatagramChannel> real = t.backendDatagrams();
        return () -> {
            DatagramChannel c = real.newChannel();
            last[0] = c;
            return c;
        };
    }
}
