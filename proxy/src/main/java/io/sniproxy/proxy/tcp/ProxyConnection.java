package io.sniproxy.proxy.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.Timeouts;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaderEncoder;
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
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: {@code READING_HELLO → CONNECTING → PIPING → CLOSED}. It is the client
 * channel's handler and owns the backend channel; every path, success or failure, ends in
 * {@link #close}, which cancels the timer, closes both sockets, releases the buffered hello and
 * closes the {@link ConnectionLedger} (outcome once, slot, access log). All state is touched only
 * on the client's event loop (the backend channel is registered on the same loop).
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
    /** Connect attempts per connection (the first and two retries), all within {@code timeouts.connect}. */
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
        Timeouts t = snapshot.config().timeouts();
        long helloMillis = t.clientHello().toMillis();
        if (listener.protocol() == Protocol.AUTO && listener.defaultBackend().isPresent()) {
            long silence = Math.min(AUTO_SILENCE_MILLIS, helloMillis);
            timer = client.eventLoop().schedule(this::onAutoSilence, silence, TimeUnit.MILLISECONDS);
        } else {
            timer = client.eventLoop().schedule(() -> close(Outcome.TIMEOUT,
                    "no complete ClientHello/request head within " + t.clientHello()), helloMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        switch (state) {
            case PIPING -> {
                ledger.up(in.readableBytes());
                lastActivityNanos = System.nanoTime();
                backend.write(in, backend.voidPromise());
                if (!backend.isWritable()) {
                    client.config().setAutoRead(false);
                }
            }
            case READING_HELLO -> {
                cumulate(in);
                sniff();
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
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.PIPING) {
            backend.flush();
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
            case SniffResult.Found found -> connect(found.hostname());
        }
    }

    private void onAutoSilence() {
        if (state == State.READING_HELLO && (hello == null || !hello.isReadable())) {
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
        long started = System.nanoTime();
        timer = client.eventLoop().schedule(() -> close(Outcome.CONNECT_FAILED,
                "backend not connected within " + snapshot.config().timeouts().connect()), connectMillis,
                TimeUnit.MILLISECONDS);
        server.selector().select(snapshot, listener, sniffed, hostname)
                .onComplete(ar -> onLoop(() -> onSelected(ar, started, connectMillis)));
    }

    private void onSelected(AsyncResult<BackendTarget> ar, long started, long connectMillis) {
        if (state != State.CONNECTING) {
            return;
        }
        if (ar.failed()) {
            if (ar.cause() instanceof RoutingRefusal r) {
                refuse(r.outcome(), r.getMessage());
            } else {
                refuse(failure(ar.cause()), describe(ar.cause()));
            }
            return;
        }
        BackendTarget target = ar.result();
        ledger.backend(target.label());
        dial(target, started, connectMillis);
    }

    /** One connect attempt, on a fresh socket, within what is left of {@code timeouts.connect}. */
    private void dial(BackendTarget target, long started, long connectMillis) {
        connectAttempts++;
        long remaining = Math.max(1, connectMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        ChannelFuture f = new Bootstrap()
                .group(client.eventLoop())
                .channelFactory(server.transport().backendSockets())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remaining))
                // TCP_NODELAY is Netty's default for socket channels: see TcpListenerFactory.
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
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
        f.addListener((ChannelFutureListener) done -> onConnected(done, target, started, connectMillis));
    }

    private void onConnected(ChannelFuture done, BackendTarget target, long started, long connectMillis) {
        if (state != State.CONNECTING) {
            done.channel().close();
            return;
        }
        if (!done.isSuccess()) {
            // A backend that resets or closes a connection while it is being set up (a full accept
            // queue, a restarting server) usually takes the next one: retry on a fresh socket, like
            // HAProxy's default `retries 3`, while the connect timeout has time left.
            boolean timeLeft = System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(connectMillis);
            if (connectAttempts < CONNECT_ATTEMPTS && timeLeft && !(done.cause() instanceof ConnectTimeoutException)) {
                done.channel().close();
                dial(target, started, connectMillis);
                return;
            }
            refuse(Outcome.CONNECT_FAILED, "connect " + target.address() + ": " + describe(done.cause())
                    + (connectAttempts > 1 ? " (" + connectAttempts + " attempts)" : ""));
            return;
        }
        ledger.connectTime(System.nanoTime() - started);
        ledger.outcome(Outcome.ROUTED);
        cancelTimer();
        state = State.PIPING;
        ByteBuf header = ProxyHeaderEncoder.encode(target.proxyProtocol(),
                (InetSocketAddress) client.remoteAddress(), (InetSocketAddress) client.localAddress(), backend.alloc());
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
        backend.config().setAutoRead(true);
        client.config().setAutoRead(backend.isWritable());
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
            client.write(in, client.voidPromise());
            if (!client.isWritable()) {
                backend.config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (state == State.PIPING) {
                client.flush();
            }
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
     * One side sent its FIN: once everything read from it has been written to {@code to}, shut
     * {@code to}'s output (the peer reads the end of the stream). When the other direction is
     * already shut, this was the last one: a close ends both (and spares Netty's shutdownOutput,
     * which builds an exception with a stack trace every time).
     */
    private void passOnEof(Channel to, boolean upstream) {
        DuplexChannel from = (DuplexChannel) (upstream ? client : backend);
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (state != State.PIPING) {
                return;
            }
            if (!f.isSuccess()) {
                close(Outcome.ROUTED, (upstream ? "backend: " : "client: ") + describe(f.cause()));
            } else if (from.isOutputShutdown()) { // the other direction is done already
                close(Outcome.ROUTED, "both sides closed");
            } else {
                ((DuplexChannel) to).shutdownOutput();
            }
        });
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
