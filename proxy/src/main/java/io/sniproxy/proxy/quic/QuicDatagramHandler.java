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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One bound UDP socket of a QUIC listener (with SO_REUSEPORT, one per event loop; the kernel sends
 * a client's datagrams always to the same one). Datagrams from a known client address go to its
 * session; from an unknown one: a short header whose destination ID names an open session is that
 * session's client at a new address (see {@link ConnectionIdIndex}); a retransmission of a refused
 * attempt is dropped ({@link RefusedClients}); otherwise a session starts only if the datagram
 * holds a decryptable Initial and a slot is free — anything else is dropped and counted, and costs
 * no memory after the call.
 *
 * <p>The address map and the refused table are touched only on this socket's event loop; a
 * migrated address may map to a session of another loop, which takes its datagrams on its own.
 */
final class QuicDatagramHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(QuicDatagramHandler.class);

    private final Listener bound;
    private final ServerContext server;
    private final ListenerMeters meters;
    private final UdpMeters udp;
    private final SessionBudget budget;
    private final ConnectionIdIndex<QuicSession> index;
    private final Map<InetSocketAddress, QuicSession> sessions = new HashMap<>();
    private final RefusedClients refused = new RefusedClients();
    private boolean reading; // between a channelRead and the read burst's channelReadComplete
    private long burstNanos; // when the read burst began: the datagrams' arrival time, one clock read per burst
    private Channel channel;
    private boolean accepting = true;

    /** @param index the server connection IDs of the listener's sessions, shared by its sockets */
    QuicDatagramHandler(Listener bound, ServerContext server, ListenerMeters meters, UdpMeters udp,
            SessionBudget budget, ConnectionIdIndex<QuicSession> index) {
        this.bound = bound;
        this.server = server;
        this.meters = meters;
        this.udp = udp;
        this.budget = budget;
        this.index = index;
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
        if (!reading) {
            reading = true;
            burstNanos = System.nanoTime();
        }
        InetSocketAddress sender = packet.sender();
        ByteBuf content = packet.content();
        QuicSession session = sessions.get(sender);
        if (session != null) {
            session.onClientDatagram(sender, this, content);
        } else if (QuicHeaders.isShortHeader(content)) {
            knownConnection(sender, content);
        } else if (!refused.isEmpty()
                && refused.isRefused(sender, QuicHeaders.longHeaderDcid(content), System.nanoTime())) {
            content.release();
            udp.drop(DropReason.REFUSED_RETRANSMIT.label(), 1);
        } else {
            newClient(sender, content);
        }
    }

    /** The end of a read burst. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
    }

    /** Whether this is this socket's loop, inside one of its read bursts. */
    boolean inReadBurst() {
        return reading && channel.eventLoop().inEventLoop();
    }

    /** Now, to the read burst's start while in one: a session's silence is measured in seconds. */
    long now() {
        return inReadBurst() ? burstNanos : System.nanoTime();
    }

    /**
     * A short header from an unknown address: the client of an open session whose address changed
     * (NAT rebinding), if its destination ID starts with a server ID the listener has seen.
     */
    private void knownConnection(InetSocketAddress sender, ByteBuf content) {
        ConnectionIdIndex.Match<QuicSession> match = index.find(content, QuicHeaders.shortHeaderDcidIndex(content));
        switch (match) {
            case ConnectionIdIndex.One<QuicSession> one -> {
                sessions.put(sender, one.owner()); // later datagrams from it go straight to the session
                one.owner().onClientDatagram(sender, this, content);
            }
            case ConnectionIdIndex.Ambiguous<QuicSession> ambiguous -> {
                content.release();
                udp.migration(MigrationResult.AMBIGUOUS.label(), 1);
                udp.drop(DropReason.MIGRATION_REFUSED.label(), 1);
            }
            case ConnectionIdIndex.None<QuicSession> none -> {
                content.release();
                udp.drop(DropReason.NOT_INITIAL.label(), 1);
            }
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
            if (d.reason() == DropReason.BAD_HELLO) {
                meters.outcome(Outcome.BAD_HELLO);
                refuse(sender, QuicHeaders.longHeaderDcid(content), snapshot.config().timeouts().clientHello());
            }
            content.release();
            udp.drop(d.reason().label(), 1);
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
            s.forceClose("listener socket closed"); // a migrated client's session may live on another loop
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
        closeIfDrained();
    }

    /** A client address of {@code session} that is no longer its (any thread). */
    void unregister(InetSocketAddress client, QuicSession session) {
        if (channel.eventLoop().inEventLoop()) {
            sessions.remove(client, session);
            closeIfDrained();
        } else {
            channel.eventLoop().execute(() -> unregister(client, session));
        }
    }

    /** Retransmissions of this refused attempt are dropped for {@code ttl} (any thread). */
    void refuse(InetSocketAddress client, ConnectionId originalDcid, Duration ttl) {
        if (channel.eventLoop().inEventLoop()) {
            long now = System.nanoTime();
            refused.refuse(client, originalDcid, now, now + ttl.toNanos());
        } else {
            channel.eventLoop().execute(() -> refuse(client, originalDcid, ttl));
        }
    }

    private void closeIfDrained() {
        if (!accepting && sessions.isEmpty()) {
            channel.close();
        }
    }

    /**
     * A backend reply, sent to the client from the listener's own address: flushed per read burst
     * on this socket's loop, at once from another loop (a migrated client's session).
     */
    void reply(ByteBuf content, InetSocketAddress client) {
        if (!channel.isWritable()) { // the listener socket's send queue is full: drop, never queue without bound
            content.release();
            udp.drop(DropReason.SOCKET_FULL.label(), 1);
            return;
        }
        if (channel.eventLoop().inEventLoop()) {
            channel.write(new DatagramPacket(content, client), channel.voidPromise());
        } else {
            channel.writeAndFlush(new DatagramPacket(content, client), channel.voidPromise());
        }
    }

    void flush() {
        if (channel.eventLoop().inEventLoop()) {
            channel.flush();
        }
    }

    ConnectionIdIndex<QuicSession> index() {
        return index;
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
