package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.sniproxy.config.Listener;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import io.sniproxy.proxy.metrics.ProxyMetrics.UdpMeters;
import io.sniproxy.proxy.runtime.ServerContext;
import io.sniproxy.proxy.runtime.Snapshot;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One bound UDP socket of a QUIC listener (with SO_REUSEPORT, one per event loop; the kernel sends
 * a client's datagrams always to the same one). Datagrams from a known client go to its session;
 * from an unknown client, a session starts only if the datagram holds a decryptable Initial and a
 * slot is free — anything else is dropped and counted, and costs no memory after the call.
 *
 * <p>The session map is touched only on this socket's event loop.
 */
final class QuicDatagramHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(QuicDatagramHandler.class);

    private final Listener bound;
    private final ServerContext server;
    private final ListenerMeters meters;
    private final UdpMeters udp;
    private final SessionBudget budget;
    private final Map<InetSocketAddress, QuicSession> sessions = new HashMap<>();
    private Channel channel;
    private boolean accepting = true;

    QuicDatagramHandler(Listener bound, ServerContext server, ListenerMeters meters, UdpMeters udp,
            SessionBudget budget) {
        this.bound = bound;
        this.server = server;
        this.meters = meters;
        this.udp = udp;
        this.budget = budget;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        InetSocketAddress sender = packet.sender();
        ByteBuf content = packet.content();
        QuicSession session = sessions.get(sender);
        if (session != null) {
            session.onClientDatagram(content);
        } else {
            newClient(sender, content);
        }
    }

    private void newClient(InetSocketAddress sender, ByteBuf content) {
        Snapshot snapshot = server.snapshot().get();
        Listener listener = snapshot.listener(bound);
        byte[] bytes = ByteBufUtil.getBytes(content);
        QuicInitialDecoder decoder = new QuicInitialDecoder();
        CryptoReassembler crypto = new CryptoReassembler(snapshot.config().limits().maxClientHelloBytes());
        QuicInitialDecoder.Result result = decoder.decode(bytes, bytes.length, crypto);
        if (result instanceof QuicInitialDecoder.Dropped d) {
            content.release();
            udp.drop(d.reason().label(), 1);
            if (d.reason() == DropReason.BAD_HELLO) {
                meters.outcome(Outcome.BAD_HELLO);
            }
            return;
        }
        if (!accepting) {
            content.release();
            udp.drop(DropReason.DRAINING.label(), 1);
            return;
        }
        if (!budget.tryAcquire(snapshot.limits().maxUdpSessions())) {
            content.release();
            udp.drop(DropReason.SESSION_LIMIT.label(), 1);
            meters.outcome(Outcome.REFUSED_LIMIT);
            return;
        }
        QuicSession session = new QuicSession(this, sender, snapshot, listener, decoder, crypto);
        sessions.put(sender, session);
        session.start(content);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (QuicSession s : new ArrayList<>(sessions.values())) {
            s.close(Outcome.DRAINED, "listener socket closed", DropReason.BACKEND_FAILED);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // An unconnected UDP socket gets no per-peer errors worth acting on; never close the listener for one.
        LOG.debugf("listener %s: %s", bound.name(), cause.toString());
    }

    /** No new sessions; the socket closes when its last session ends (replies need it until then). */
    void stopAccepting() {
        accepting = false;
        if (sessions.isEmpty()) {
            channel.close();
        }
    }

    void sessionClosed(QuicSession session) {
        sessions.remove(session.client(), session);
        budget.release();
        if (!accepting && sessions.isEmpty()) {
            channel.close();
        }
    }

    /** A backend reply, sent to the client from the listener's own address (flushed per read burst). */
    void reply(ByteBuf content, InetSocketAddress client) {
        channel.write(new DatagramPacket(content, client), channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    SessionBudget budget() {
        return budget;
    }

    ServerContext server() {
        return server;
    }

    ListenerMeters meters() {
        return meters;
    }

    UdpMeters udp() {
        return udp;
    }

    int sessionCount() {
        return sessions.size();
    }
}
