package io.sniproxy.proxy.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;

/**
 * How the QUIC sockets (the listener's and every path's backend socket) read. With epoll, one
 * {@code recvmmsg} takes up to {@value #BATCH} datagrams of up to {@value #MAX_PAYLOAD} bytes into one
 * 32 KiB buffer (a size Netty's per-thread caches keep), each handed on as a slice of it; otherwise
 * (NIO) one datagram of up to 64 KiB per read.
 *
 * <p>A datagram above {@value #MAX_PAYLOAD} bytes arrives cut short, so it fails its packet
 * protection at the peer: it is lost, as on a path whose MTU is that size. QUIC sends nothing larger
 * than the path MTU it validated (RFC 9000 §14): only a path MTU probe can be that large, and a lost
 * probe just keeps the connection at the size it has. Ethernet's 1,500 bytes fit.
 */
final class DatagramReads {

    static final int MAX_PAYLOAD = 2048;
    static final int BATCH = 16;
    /**
     * Kernel receive buffer of every QUIC socket, the listener's and each path's backend socket: a
     * burst of Initials from many clients, or of a backend's datagrams while the loop is busy
     * elsewhere, must not overflow it. The default (~208 KiB, ~90 datagrams of 1,200 bytes) lost
     * backend bursts under load, silently (the kernel's drop, no counter of ours sees it). A limit,
     * not an allocation: only what is queued takes memory.
     */
    static final int RECEIVE_BUFFER = 1 << 20;

    private DatagramReads() {
    }

    static Bootstrap configure(Bootstrap bootstrap, boolean epoll) {
        bootstrap.option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER);
        if (!epoll) {
            return bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(QuicSession.MAX_DATAGRAM));
        }
        return bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_PAYLOAD * BATCH))
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_PAYLOAD);
    }
}
