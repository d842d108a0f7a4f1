package io.sniproxy.proxy.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.sniproxy.proxy.runtime.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One network path of a QUIC session: a client address and the connected backend socket its
 * datagrams go out on. The backend sees each path as its own peer address, so when a client's
 * address changes (a NAT rebinding) the new path gets a new socket and the backend itself
 * validates the change (PATH_CHALLENGE, RFC 9000 §9.3) — the proxy never moves an old path's
 * traffic on a claim. What the backend sends on a path goes back to that path's client address.
 *
 * <p>Runs on the session's event loop. {@link #close} closes the socket once; a socket closed by
 * anything else, or an ICMP error on it, is reported to the session.
 */
final class QuicPath {

    /** Datagrams held while the socket is connecting (a rebinding client rarely sends more in 1 ms). */
    static final int MAX_QUEUED = 16;

    /** The session's side of its paths. */
    interface Session {
        /** A backend datagram on {@code path}; ownership passes. */
        void onBackendDatagram(QuicPath path, ByteBuf content);

        /** The end of a read burst on a backend socket: flush the replies. */
        void onBackendReadComplete(QuicPath path);

        /** The backend socket failed (ICMP unreachable) or was closed under the session. */
        void onBackendFailed(QuicPath path, String reason);
    }

    private final InetSocketAddress client;
    private final QuicDatagramHandler via;
    private final Session session;
    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>(0);
    private Channel backend;
    private boolean connected;
    private boolean closed;
    private boolean answered;
    private long lastActivityNanos = System.nanoTime();

    /**
     * @param via the listener socket this client address's datagrams arrive on (with SO_REUSEPORT
     *            not necessarily the session's own)
     */
    QuicPath(InetSocketAddress client, QuicDatagramHandler via, Session session) {
        this.client = client;
        this.via = via;
        this.session = session;
    }

    InetSocketAddress client() {
        return client;
    }

    QuicDatagramHandler via() {
        return via;
    }

    /**
     * Opens the connected backend socket on {@code loop}. When the OS gives no socket (EMFILE,
     * ENFILE, ENOBUFS) the returned future has already failed and nothing is held.
     */
    ChannelFuture open(EventLoop loop, Transport transport, InetSocketAddress target) {
        ChannelFuture f = DatagramReads.configure(new Bootstrap(), transport.epoll())
                .group(loop)
                .channelFactory(transport.backendDatagrams())
                .handler(new BackendHandler())
                .connect(target);
        if (f.channel().isRegistered()) { // else Netty handed back a channel without a socket
            backend = f.channel();
        }
        return f;
    }

    /** The socket is connected: what was queued goes out, in order. */
    void connected() {
        connected = true;
        for (ByteBuf b; (b = queued.poll()) != null; ) {
            backend.write(b, backend.voidPromise());
        }
        backend.flush();
    }

    /** Sends one client datagram (ownership passes); false when it had to be dropped. */
    boolean send(ByteBuf content) {
        lastActivityNanos = via.now();
        if (connected && !closed) {
            backend.writeAndFlush(content, backend.voidPromise());
            return true;
        }
        if (closed || queued.size() >= MAX_QUEUED) {
            content.release();
            return false;
        }
        queued.add(content);
        return true;
    }

    /** Whether the connected backend socket's send queue is full: a datagram now would queue in memory. */
    boolean full() {
        return connected && backend != null && !backend.isWritable();
    }

    /** For a burst: written now, flushed by {@link #flush}. */
    void write(ByteBuf content) {
        backend.write(content, backend.voidPromise());
    }

    void flush() {
        backend.flush();
    }

    /** Whether the backend has sent anything on this path. */
    boolean answered() {
        return answered;
    }

    long lastActivityNanos() {
        return lastActivityNanos;
    }

    void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /** Closes the socket and drops what was queued; once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ByteBuf b; (b = queued.poll()) != null; ) {
            b.release();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private final class BackendHandler extends ChannelInboundHandlerAdapter {
        private boolean reading; // in a read burst: its first datagram read the clock for all

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf content = msg instanceof DatagramPacket p ? p.content() : msg instanceof ByteBuf b ? b : null;
            if (closed || content == null) {
                ReferenceCountUtil.release(msg);
                return;
            }
            answered = true;
            if (!reading) {
                reading = true;
                lastActivityNanos = System.nanoTime();
            }
            session.onBackendDatagram(QuicPath.this, content);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            reading = false;
            session.onBackendReadComplete(QuicPath.this);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable on the connected socket: the backend is not there (any more).
            if (!closed) {
                session.onBackendFailed(QuicPath.this, "backend: " + QuicSession.describe(cause));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closed) {
                session.onBackendFailed(QuicPath.this, "backend socket closed");
            }
        }
    }
}
