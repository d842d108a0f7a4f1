package io.sniproxy.proxy.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Arrays;

/**
 * A one-client UDP "NAT" on loopback, as a home router or a mobile network does it: the client
 * sends to {@link #inside()}, the NAT sends on to {@code target} from its current outside port and
 * passes the target's answers back. {@link #rebind()} drops the mapping and takes a new outside
 * port, so the target sees the same client arrive from a new address (a NAT rebinding).
 */
final class UdpNat implements AutoCloseable {

    private final DatagramSocket inside;
    private final InetSocketAddress target;
    private final Thread upstream;
    private volatile DatagramSocket outside;
    private volatile SocketAddress client;
    private volatile Thread downstream;
    private volatile byte[] lastShortHeader;

    UdpNat(InetSocketAddress target) throws SocketException {
        this.target = target;
        this.inside = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.outside = openOutside();
        this.upstream = Thread.ofPlatform().daemon().name("nat-up").start(this::forwardUp);
    }

    /** Where the client sends. */
    InetSocketAddress inside() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), inside.getLocalPort());
    }

    /** The client's address as the target sees it now. */
    int outsidePort() {
        return outside.getLocalPort();
    }

    /** The client's last short-header datagram as it passed (what an on-path observer sees), or null. */
    byte[] lastShortHeader() {
        return lastShortHeader;
    }

    /** A new outside port; the old mapping is gone (its socket closed). Returns the new port. */
    synchronized int rebind() throws SocketException {
        DatagramSocket old = outside;
        outside = openOutside();
        old.close();
        return outside.getLocalPort();
    }

    private DatagramSocket openOutside() throws SocketException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setReceiveBufferSize(1 << 20);
        downstream = Thread.ofPlatform().daemon().name("nat-down-" + s.getLocalPort()).start(() -> forwardDown(s));
        return s;
    }

    private void forwardUp() {
        byte[] buf = new byte[65_535];
        while (!inside.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                inside.receive(p);
                client = p.getSocketAddress();
                byte[] payload = Arrays.copyOf(p.getData(), p.getLength());
                if (payload.length > 0 && (payload[0] & 0x80) == 0) {
                    lastShortHeader = payload;
                }
                try {
                    outside.send(new DatagramPacket(payload, payload.length, target));
                } catch (IOException e) {
                    // the outside socket was just replaced: this datagram is lost, as in a real NAT
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void forwardDown(DatagramSocket from) {
        byte[] buf = new byte[65_535];
        while (!from.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                from.receive(p);
                SocketAddress to = client;
                if (to != null) {
                    inside.send(new DatagramPacket(Arrays.copyOf(p.getData(), p.getLength()), p.getLength(), to));
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        inside.close();
        outside.close();
        upstream.join(5000);
        downstream.join(5000);
    }
}
