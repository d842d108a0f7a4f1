package io.sniproxy.proxy.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A plain UDP backend on loopback that records every datagram it receives (payload and sender),
 * and optionally answers each with {@code "echo:" + payload} to its sender.
 */
final class UdpRecorder implements AutoCloseable {

    record Received(byte[] payload, InetSocketAddress from) {
    }

    private final DatagramSocket socket;
    private final boolean echo;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Thread reader;

    UdpRecorder(boolean echo) throws SocketException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.socket.setReceiveBufferSize(1 << 20);
        this.echo = echo;
        this.reader = Thread.ofPlatform().daemon().name("udp-recorder").start(this::run);
    }

    private void run() {
        byte[] buf = new byte[65_535];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                byte[] payload = Arrays.copyOf(p.getData(), p.getLength());
                received.add(new Received(payload, (InetSocketAddress) p.getSocketAddress()));
                if (echo) {
                    byte[] reply = InitialPackets.concat("echo:".getBytes(), payload);
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    List<Received> received() {
        return received;
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        reader.join(5000);
    }
}
