package io.sniproxy.proxy.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sniproxy.config.AcceptProxyProtocol;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Timeouts;
import io.sniproxy.proxy.balance.BackendState;
import io.sniproxy.proxy.client.ClientLimiter;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaderEncoder;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaderGate;
import io.sniproxy.proxy.route.BackendPlan;
import io.sniproxy.proxy.route.BackendTarget;
import io.sniproxy.proxy.route.RoutingRefusal;
import io.sniproxy.proxy.runtime.ConnectionLedger;
import io.sniproxy.proxy.runtime.ConnectionRegistry;
import io.sniproxy.proxy.runtime.ServerContext;
import io.sniproxy.proxy.runtime.Snapshot;
import io.sniproxy.proxy.sniff.ClientHelloParser;
import io.sniproxy.proxy.sniff.HttpHeadParser;
import io.sniproxy.proxy.sniff.ProtocolSniffer;
import io.sniproxy.proxy.sniff.SniffResult;
import io.sniproxy.proxy.sniff.SniffedProtocol;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: {@code READING_HELLO → CONNECTING → PIPING → CLOSED}. It is the client
 * channel's handler and owns the backend channel; every path, success or failure, ends in
 * {@link #close}, which cancels the timer, closes both sockets, releases the buffered hello and
 * closes the {@link ConnectionLedger} (outcome once, slot, access log). All state is touched only
 * on the client's event loop (the backend channel is registered on the same loop).
 *
 * <p>In READING_HELLO, on a listener that accepts PROXY headers, the header comes first (a trusted
 * peer's names the real client from then on; see {@link ProxyHeaderGate}); then the client takes
 * its per-client slot ({@code limits.perClient}). CONNECTING walks the {@link BackendPlan}: each
 * backend in the balancer's order until one connects, within {@code timeouts.connect}.
 *
 * <p>{@code backend} is null until a socket exists: when the OS refuses one (EMFILE, ENFILE,
 * ENOBUFS) Netty hands back a channel that was never registered, and such a channel is never kept
 * (closing it would throw). So {@link #close} never throws and always reaches the client's socket.
 *
 * <p>A FIN is passed on, not turned into a close: once a side has sent its last byte, what was read
 * from it is flushed to the other side and that side's output is shut down, while the other
 * direction keeps flowing. The connection closes when both directions are done (or on a reset, an
 * error or the idle timeout), so no byte in flight is dropped by the close of the other socket.
 */
public final class ProxyConnection extends ChannelInboundHandlerAdapter implements ConnectionRegistry.Closeable {

    enum State { READING_HELLO, CONNECTING, PIPING, CLOSED }

    /** Server-speaks-first protocols (SSH servers, SMTP, MySQL) send nothing: route them after this. */
    static final long AUTO_SILENCE_MILLIS = 1000;
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);
    /**
     * Reads of both sockets: Netty's adaptive sizes (from 2 KiB, so an idle connection holds no big
     * buffer), capped at 32 KiB instead of 64, and up to 16 reads per wakeup (what Netty's epoll
     * channels default to; a configured allocator starts at 1). Each read is written and flushed at
     * once (see {@link #forward}): one send per read of at most 32 KiB costs the kernel less than one
     * writev of a whole read burst (bench: bulk CPU per GiB, levers.tsv), the way HAProxy's 16 KiB
     * buffers go out.
     */
    static final AdaptiveRecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(64, 2048, 32 * 1024);

    static {
        READS.maxMessagesPerRead(16);
    }
    /**
     * Connect attempts on a route with one backend (the first and two retries, as HAProxy's
     * {@code retries 3}); a route with more tries each of them once. All within {@code timeouts.connect}.
     */
    static final int CONNECT_ATTEMPTS = 3;
    /** How long a refused client gets to read its alert or 4xx before its socket is closed anyway. */
    static final long FAREWELL_MILLIS = 2000;

    private final ServerContext server;
    private final Listener listener;
    private final Snapshot snapshot;
    private final Channel client;
    private final ConnectionLedger ledger;

    private State state = State.READING_HELLO;
    private ByteBuf hello;
    private Channel backend;
    private int connectAttempts;
    private ScheduledFuture<?> timer;
    private long lastActivityNanos = System.nanoTime();
    private boolean clientEof; // a FIN from the client before the backend was connected, passed on after
    private Protocol sniffed;
    private InetSocketAddress clientAddress; // the real client: the peer, or who a trusted PROXY header names
    private InetSocketAddress destination;   // what the client connected to (at the balancer, with a header)
    private boolean trustedPeer;
    private boolean proxyHeaderPending;      // the first bytes are still to be checked for a PROXY header
    private ClientLimiter.Permit permit;     // the client's per-client slot, released once in close
    private List<String> alpn = List.of();
    private BackendPlan plan;
    private int planIndex;
    private long connectStarted;
    private BackendState.Lease lease;        // the backend's open-connection count, released once in close

    ProxyConnection(ServerContext server, Listener listener, ListenerMeters meters, Snapshot snapshot, Channel client) {
        this.server = server;
        this.listener = listener;
        this.snapshot = snapshot;
        this.client = client;
        // The slot and the gauge were taken by the acceptor (TcpListenerFactory) just before.
        this.ledger = new ConnectionLedger(server, meters, snapshot, listener.name(), client.remoteAddress(), () -> {
            meters.active().decrementAndGet();
            server.registry().release(this);
        });
    }

    // ---- client side -------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        clientAddress = (InetSocketAddress) client.remoteAddress();
        destination = (InetSocketAddress) client.localAddress();
        if (listener.acceptProxyProtocol().enabled()) {
            trustedPeer = listener.trustedProxies().stream().anyMatch(c -> c.contains(clientAddress.getAddress()));
            proxyHeaderPending = true; // from anyone: an untrusted peer's first bytes must not be a header either
        }
        Timeouts t = snapshot.config().timeouts();
        long helloMillis = t.clientHello().toMillis();
        if (listener.protocol() == Protocol.AUTO && listener.defaultBackend().isPresent()) {
            long silence = Math.min(AUTO_SILENCE_MILLIS, helloMillis);
            timer = client.eventLoop().schedule(this::onAutoSilence, silence, TimeUnit.MILLISECONDS);
        } else {
            timer = client.eventLoop().schedule(() -> close(Outcome.TIMEOUT,
                    "no complete ClientHello/request head within " + t.clientHello()), helloMillis, TimeUnit.MILLISECONDS);
        }
        if (!proxyHeaderPending) {
            admit();
        }
    }

    /**
     * Takes the client's per-client slot (limits.perClient), by the real client's address: after a
     * PROXY header, the client it names. False (and closed) when refused.
     */
    private boolean admit() {
        permit = server.clientLimits().acquire(clientAddress.getAddress());
        Outcome refused = switch (permit.verdict()) {
            case ADMITTED -> null;
            case CLIENT_LIMIT -> Outcome.REFUSED_CLIENT_LIMIT;
            case RATE -> Outcome.REFUSED_RATE;
        };
        if (refused == null) {
            return true;
        }
        String why = refused == Outcome.REFUSED_RATE ? "new connections per second" : "open connections";
        ByteBuf farewell = switch (listener.protocol()) {
            case HTTP -> Refusals.http(client.alloc(), 429, "Too Many Requests", "Too many " + why + " from your address.");
            case TLS -> Refusals.tlsInternalError(client.alloc());
            default -> null;
        };
        close(refused, "client " + clientAddress.getAddress().getHostAddress() + " is over limits.perClient ("
                + why + ")", farewell);
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        switch (state) {
            case PIPING -> {
                ledger.up(in.readableBytes());
                lastActivityNanos = System.nanoTime();
                forward(in, client, backend);
            }
            case READING_HELLO -> {
                cumulate(in);
                if (!proxyHeaderPending || readProxyHeader()) {
                    sniff();
                }
            }
            case CONNECTING -> {
                cumulate(in); // TLS: early data after the hello (auto-read stays on); HTTP: a read in flight
                if (hello.readableBytes() > 2 * snapshot.config().limits().maxClientHelloBytes()) {
                    close(Outcome.TOO_LARGE, "client sent more than twice limits.maxClientHelloBytes before the backend connected");
                }
            }
            case CLOSED -> in.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (state == State.PIPING) {
            backend.config().setAutoRead(client.isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            switch (state) {
                case READING_HELLO -> close(Outcome.CLIENT_CLOSED, "client closed before the hello was complete");
                case CONNECTING -> clientEof = true;
                case PIPING -> passOnEof(backend, true);
                case CLOSED -> { }
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        switch (state) {
            case READING_HELLO -> close(Outcome.CLIENT_CLOSED, "client closed before the hello was complete");
            case CONNECTING -> close(Outcome.CLIENT_CLOSED, "client closed while the backend was connecting");
            default -> close(Outcome.ROUTED, "client closed");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // An I/O error on the client's socket (a reset): before routing, the client went away.
        close(state == State.PIPING ? Outcome.ROUTED : Outcome.CLIENT_CLOSED, "client: " + describe(cause));
    }

    @Override
    public void forceClose(String reason) {
        onLoop(() -> close(Outcome.DRAINED, reason));
    }

    // ---- READING_HELLO -----------------------------------------------------------------------

    private void cumulate(ByteBuf in) {
        if (hello == null) {
            hello = in; // common case: the whole hello in one read, forwarded later without a copy
            return;
        }
        if (hello.writableBytes() < in.readableBytes() || hello.refCnt() > 1 || hello.isReadOnly()) {
            ByteBuf bigger = client.alloc().buffer(hello.readableBytes() + in.readableBytes() + 512);
            bigger.writeBytes(hello);
            hello.release();
            hello = bigger;
        }
        hello.writeBytes(in);
        in.release();
    }

    /**
     * The listener accepts PROXY headers: a trusted peer's must come first and names the client; an
     * untrusted peer's bytes must not be one. True when the client's own bytes follow (to sniff).
     */
    private boolean readProxyHeader() {
        AcceptProxyProtocol accept = listener.acceptProxyProtocol();
        ProxyHeaderGate.Decision d = ProxyHeaderGate.decide(hello, accept.accepts(ProxyProtocol.V1),
                accept.accepts(ProxyProtocol.V2), trustedPeer, snapshot.config().limits().maxClientHelloBytes());
        switch (d) {
            case ProxyHeaderGate.Wait w -> {
                return false;
            }
            case ProxyHeaderGate.Refuse r -> {
                close(r.refusal() == ProxyHeaderGate.Refusal.UNTRUSTED ? Outcome.REFUSED_UNTRUSTED_PROXY
                        : Outcome.BAD_HELLO, r.reason() + " (peer " + clientAddress + ")");
                return false;
            }
            case ProxyHeaderGate.Pass p -> {
                proxyHeaderPending = false;
                hello.skipBytes(p.consumed()); // the header is ours: never forwarded
                p.client().ifPresent(c -> {
                    clientAddress = c;
                    ledger.client(c);
                });
                p.destination().ifPresent(dst -> destination = dst);
                return admit() && hello.isReadable();
            }
        }
    }

    private void sniff() {
        int max = snapshot.config().limits().maxClientHelloBytes();
        Protocol protocol = listener.protocol();
        if (protocol == Protocol.AUTO) {
            SniffedProtocol p = ProtocolSniffer.sniff(hello);
            if (p == null) {
                return;
            }
            switch (p) {
                case TLS -> protocol = Protocol.TLS;
                case HTTP -> protocol = Protocol.HTTP;
                case OTHER -> {
                    sniffed = Protocol.TLS; // no name: only the default backend applies
                    connect(Optional.empty());
                    return;
                }
            }
        }
        sniffed = protocol;
        SniffResult result = protocol == Protocol.HTTP
                ? HttpHeadParser.parse(hello, max)
                : ClientHelloParser.parseRecords(hello, max);
        switch (result) {
            case SniffResult.NeedMore ignored -> {
                if (hello.readableBytes() > max) {
                    refuse(Outcome.BAD_HELLO, "hello larger than limits.maxClientHelloBytes (" + max + ")");
                }
            }
            case SniffResult.Invalid invalid -> refuse(Outcome.BAD_HELLO, invalid.reason());
            case SniffResult.Found found -> {
                alpn = found.alpn();
                ledger.alpn(alpn);
                if (protocol == Protocol.TLS && snapshot.config().accessLog().enabled()) {
                    ledger.ja4(ClientHelloParser.ja4Records(hello, max).orElse(null)); // a second walk, only when logged
                }
                connect(found.hostname());
            }
        }
    }

    private void onAutoSilence() {
        boolean headerDue = proxyHeaderPending && trustedPeer; // a balancer's connection starts with its header
        if (state == State.READING_HELLO && !headerDue && (hello == null || !hello.isReadable())) {
            if (proxyHeaderPending) {
                proxyHeaderPending = false; // an untrusted peer that sends nothing: a direct client
                if (!admit()) {
                    return;
                }
            }
            sniffed = Protocol.TLS;
            connect(Optional.empty());
        } else if (state == State.READING_HELLO) {
            Timeouts t = snapshot.config().timeouts();
            long left = Math.max(1, t.clientHello().toMillis() - AUTO_SILENCE_MILLIS);
            timer = client.eventLoop().schedule(() -> close(Outcome.TIMEOUT,
                    "no complete hello within " + t.clientHello()), left, TimeUnit.MILLISECONDS);
        }
    }

    // ---- CONNECTING --------------------------------------------------------------------------

    private void connect(Optional<String> hostname) {
        state = State.CONNECTING;
        ledger.name(hostname.orElse(null));
        if (sniffed != Protocol.TLS) {
            // An HTTP client may stream a request body at once: hold it back until the backend is
            // there. A TLS client waits for the ServerHello, so reading on (bounded, see
            // channelRead) is free and saves two epoll_ctl calls per connection.
            client.config().setAutoRead(false);
        }
        cancelTimer();
        long connectMillis = snapshot.config().timeouts().connect().toMillis();
        connectStarted = System.nanoTime();
        timer = client.eventLoop().schedule(() -> close(Outcome.CONNECT_FAILED,
                "backend not connected within " + snapshot.config().timeouts().connect()), connectMillis,
                TimeUnit.MILLISECONDS);
        Future<BackendPlan> selected = server.selector().select(snapshot, listener, sniffed, hostname, alpn,
                clientAddress.getAddress());
        if (selected.isComplete()) { // a static route: answered at once, on this loop
            onSelected(selected);
        } else {
            selected.onComplete(ar -> onLoop(() -> onSelected(ar)));
        }
    }

    private void onSelected(AsyncResult<BackendPlan> ar) {
        if (state != State.CONNECTING) {
            return;
        }
        if (ar.failed()) {
            refuseFor(ar.cause());
            return;
        }
        plan = ar.result();
        attempt();
    }

    private void refuseFor(Throwable cause) {
        if (cause instanceof RoutingRefusal r) {
            refuse(r.outcome(), r.getMessage());
        } else {
            refuse(failure(cause), describe(cause));
        }
    }

    /** Resolves and dials the plan's next backend (in turn, from the balancer's choice on). */
    private void attempt() {
        connectAttempts++;
        int i = planIndex % plan.size();
        Future<BackendTarget> target = plan.target(i);
        if (target.isComplete()) { // an IP literal: permitted at once, on this loop
            onTarget(target, i);
        } else {
            target.onComplete(ar -> onLoop(() -> onTarget(ar, i)));
        }
    }

    private void onTarget(AsyncResult<BackendTarget> ar, int i) {
        if (state != State.CONNECTING) {
            return;
        }
        if (ar.failed()) {
            Throwable cause = ar.cause();
            failedAttempt(plan.choice(i).state(), cause,
                    cause instanceof RoutingRefusal r ? r.getMessage() : describe(cause));
            return;
        }
        ledger.backend(ar.result().label());
        dial(ar.result());
    }

    /**
     * A backend could not be resolved or connected: it is marked down (passive health) and the next
     * one is tried while {@code timeouts.connect} has time left: each further backend once, then
     * (a route with one backend) the same one again up to {@link #CONNECT_ATTEMPTS}. A connect that
     * timed out is not retried on the same backend: that would only wait again.
     */
    private void failedAttempt(BackendState backendState, Throwable cause, String why) {
        if (backendState != null) {
            backendState.connectFailed(System.nanoTime());
        }
        boolean timeLeft = System.nanoTime() - connectStarted
                < snapshot.config().timeouts().connect().toNanos();
        boolean another = planIndex + 1 < plan.size();
        boolean again = connectAttempts < Math.max(CONNECT_ATTEMPTS, plan.size())
                && !(cause instanceof ConnectTimeoutException) && !(cause instanceof RoutingRefusal);
        if (timeLeft && (another || again) && !FdExhaustion.is(cause)) {
            planIndex++;
            attempt();
            return;
        }
        if (cause instanceof RoutingRefusal r && connectAttempts == 1) {
            refuse(r.outcome(), r.getMessage());
            return;
        }
        refuse(FdExhaustion.is(cause) ? Outcome.FD_LIMIT : Outcome.CONNECT_FAILED, why
                + (connectAttempts > 1 ? " (" + connectAttempts + " attempts)" : ""));
    }

    /**
     * One connect attempt, on a fresh socket, within a share of what is left of {@code timeouts.connect}:
     * an unresponsive backend must leave time for the ones after it.
     */
    private void dial(BackendTarget target) {
        long connectMillis = snapshot.config().timeouts().connect().toMillis();
        long left = connectMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectStarted);
        long remaining = Math.max(1, left / Math.max(1, plan.size() - planIndex % plan.size()));
        ChannelFactory<? extends Channel> sockets = server.transport().backendSockets(target.address());
        ChannelFuture f = new Bootstrap()
                .group(client.eventLoop())
                // Reading from the start (nothing arrives before the connect completes, and then the
                // connection is PIPING first): epoll adds the socket with EPOLLIN, see EarlyRead.
                .channelFactory(() -> EarlyRead.arm(sockets.newChannel()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remaining))
                // TCP_NODELAY is Netty's default for socket channels: see TcpListenerFactory.
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.RCVBUF_ALLOCATOR, READS)
                .handler(new BackendHandler())
                .connect(target.address());
        if (!f.channel().isRegistered()) {
            // No socket (EMFILE, ENFILE, ENOBUFS) or no registration: Netty closed what there was and
            // hands back a channel without an event loop. Nothing to keep, nothing to close.
            backend = null;
            refuse(failure(f.cause()), "backend socket for " + target.address() + ": " + describe(f.cause()));
            return;
        }
        backend = f.channel();
        f.addListener((ChannelFutureListener) done -> onConnected(done, target));
    }

    private void onConnected(ChannelFuture done, BackendTarget target) {
        if (state != State.CONNECTING) {
            done.channel().close();
            return;
        }
        if (!done.isSuccess()) {
            // A backend that refuses, resets or ignores the connect: the next one (or, alone, the
            // same one again: a full accept queue or a restarting server usually takes the next).
            done.channel().close();
            backend = null;
            failedAttempt(target.state(), done.cause(), "connect " + target.address() + ": " + describe(done.cause()));
            return;
        }
        if (target.state() != null) {
            lease = target.state().connected();
        }
        ledger.connectTime(System.nanoTime() - connectStarted);
        ledger.outcome(Outcome.ROUTED);
        cancelTimer();
        state = State.PIPING;
        // the real client (after a trusted PROXY header: the one it named), not the balancer
        ByteBuf header = ProxyHeaderEncoder.encode(target.proxyProtocol(), clientAddress, destination, backend.alloc());
        if (header != null) {
            backend.write(header, backend.voidPromise());
        }
        if (hello != null) {
            ledger.up(hello.readableBytes());
            backend.write(hello, backend.voidPromise());
            hello = null; // ownership passed to the backend channel
        }
        backend.flush();
        if (clientEof) {
            passOnEof(backend, true);
        }
        lastActivityNanos = System.nanoTime();
        scheduleIdleCheck(snapshot.config().timeouts().idle().toNanos());
        client.config().setAutoRead(backend.isWritable() && !clientEof);
    }

    // ---- PIPING ------------------------------------------------------------------------------

    private final class BackendHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (state != State.PIPING) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ByteBuf in = (ByteBuf) msg;
            ledger.down(in.readableBytes());
            lastActivityNanos = System.nanoTime();
            forward(in, backend, client);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (state == State.PIPING) {
                client.config().setAutoRead(backend.isWritable());
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && state == State.PIPING) {
                passOnEof(client, false);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (state == State.PIPING) {
                close(Outcome.ROUTED, "backend closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (state == State.PIPING) {
                close(Outcome.ROUTED, "backend: " + describe(cause));
            } else {
                ctx.close(); // connect failures are handled by onConnected
            }
        }
    }

    /**
     * Writes one read from {@code from} to {@code to} and flushes it (a read is at most
     * {@link #READS}' 32 KiB): straight to the socket when nothing is queued ({@link WriteThrough}),
     * else through the channel; once {@code to}'s queue is past the high water mark (its socket not
     * taking it), reads from {@code from} pause until it drains ({@code channelWritabilityChanged}).
     */
    private static void forward(ByteBuf in, Channel from, Channel to) {
        if (WriteThrough.send(in, to)) {
            return;
        }
        to.writeAndFlush(in, to.voidPromise());
        if (!to.isWritable()) {
            from.config().setAutoRead(false);
        }
    }

    /**
     * One side sent its FIN: once everything read from it has been written to {@code to}, shut
     * {@code to}'s output (the peer reads the end of the stream). When the other direction is
     * already shut, this was the last one: a close ends both (and spares Netty's shutdownOutput,
     * which builds an exception with a stack trace every time).
     */
    private void passOnEof(Channel to, boolean upstream) {
        DuplexChannel from = (DuplexChannel) (upstream ? client : backend);
        // Its input is shut: no more reads. Netty would otherwise set EPOLLIN again after the read
        // that saw the FIN (an epoll_ctl per FIN) only to find the input shut on the next event.
        from.config().setAutoRead(false);
        if (WriteThrough.nothingQueued(to)) {
            // The usual case: what was read from it is in the socket already (flushed at the read's
            // end, before Netty reports the FIN), so the FIN can follow now, without a write to wait for.
            eofPassed(to, from);
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (state != State.PIPING) {
                return;
            }
            if (f.isSuccess()) {
                eofPassed(to, from);
            } else {
                close(Outcome.ROUTED, (upstream ? "backend: " : "client: ") + describe(f.cause()));
            }
        });
    }

    /** Everything {@code from} sent is written to {@code to}: its FIN follows, or both directions are done. */
    private void eofPassed(Channel to, DuplexChannel from) {
        if (from.isOutputShutdown()) { // the other direction is done already
            close(Outcome.ROUTED, "both sides closed");
        } else {
            HalfClose.shutdownOutput((DuplexChannel) to);
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        timer = client.eventLoop().schedule(this::onIdleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** One timer per connection, re-armed for the remainder: no timer churn on the per-read path. */
    private void onIdleCheck() {
        if (state != State.PIPING) {
            return;
        }
        long idle = snapshot.config().timeouts().idle().toNanos();
        long quiet = System.nanoTime() - lastActivityNanos;
        if (quiet >= idle) {
            close(Outcome.ROUTED, "idle for " + snapshot.config().timeouts().idle());
        } else {
            scheduleIdleCheck(idle - quiet);
        }
    }

    // ---- CLOSED ------------------------------------------------------------------------------

    /** Refuses with a protocol-appropriate word to the client (TLS alert, HTTP status), then closes. */
    private void refuse(Outcome outcome, String reason) {
        ByteBuf farewell = null;
        if (sniffed == Protocol.HTTP && client.isActive()) {
            farewell = switch (outcome) {
                case NO_ROUTE -> ledger.name() == null
                        ? Refusals.http(client.alloc(), 400, "Bad Request", "No Host header and no default backend.")
                        : Refusals.http(client.alloc(), 421, "Misdirected Request", "No route for this host.");
                case BAD_HELLO -> Refusals.http(client.alloc(), 400, "Bad Request", "Malformed request head.");
                case CONNECT_FAILED -> Refusals.http(client.alloc(), 502, "Bad Gateway", "Backend unreachable.");
                case FD_LIMIT -> Refusals.http(client.alloc(), 503, "Service Unavailable", "Proxy at its connection limit.");
                default -> null;
            };
        } else if (sniffed == Protocol.TLS && client.isActive()) {
            if (outcome == Outcome.NO_ROUTE && ledger.name() != null) {
                farewell = Refusals.tlsUnrecognizedName(client.alloc());
            } else if (outcome == Outcome.FD_LIMIT) {
                farewell = Refusals.tlsInternalError(client.alloc());
            }
        }
        close(outcome, reason, farewell);
    }

    private void close(Outcome outcome, String reason) {
        close(outcome, reason, null);
    }

    /**
     * The one end of every path; never throws, so the client's socket is always closed.
     *
     * @param outcome counted unless the connection already has one (a routed one stays routed)
     */
    private void close(Outcome outcome, String reason, ByteBuf farewell) {
        if (state == State.CLOSED) {
            if (farewell != null) {
                farewell.release();
            }
            return;
        }
        state = State.CLOSED;
        cancelTimer();
        ledger.outcome(outcome); // counted before the client can see its socket close
        if (hello != null) {
            hello.release();
            hello = null;
        }
        if (backend != null) {
            backend.close();
        }
        if (farewell != null) {
            client.writeAndFlush(farewell).addListener(ChannelFutureListener.CLOSE);
            // A client that never reads must not keep the socket: close regardless after a bound. The
            // guard is cancelled as soon as the socket closes, so a flood of refusals leaves no timers.
            ScheduledFuture<?> guard = client.eventLoop().schedule(() -> client.close(), FAREWELL_MILLIS,
                    TimeUnit.MILLISECONDS);
            client.closeFuture().addListener(f -> guard.cancel(false));
        } else {
            client.close();
        }
        if (permit != null) {
            permit.release();
        }
        if (lease != null) {
            lease.close();
        }
        ledger.close(outcome, reason);
    }

    /** A failure to get a backend: the OS refusing a socket is the fd limit, anything else a connect failure. */
    private static Outcome failure(Throwable cause) {
        return FdExhaustion.is(cause) ? Outcome.FD_LIMIT : Outcome.CONNECT_FAILED;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onLoop(Runnable task) {
        if (client.eventLoop().inEventLoop()) {
            task.run();
        } else {
            client.eventLoop().execute(task);
        }
    }

    private static String describe(Throwable t) {
        return t == null ? "unknown" : (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
}
