package io.sniproxy.proxy.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.client.ClientLimiter;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.route.BackendPlan;
import io.sniproxy.proxy.route.BackendTarget;
import io.sniproxy.proxy.route.RoutingRefusal;
import io.sniproxy.proxy.runtime.ConnectionLedger;
import io.sniproxy.proxy.runtime.ConnectionRegistry;
import io.sniproxy.proxy.runtime.Snapshot;
import io.sniproxy.proxy.sniff.ClientHelloParser;
import io.sniproxy.proxy.sniff.SniffResult;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One QUIC connection on a QUIC listener: {@code PENDING → ROUTING → FORWARDING → CLOSED}.
 *
 * <p>PENDING buffers every datagram, unchanged, until the ClientHello in the Initial packets is
 * complete (bounded by {@link #MAX_PENDING_DATAGRAMS}, {@link #MAX_PENDING_BYTES} and
 * {@code timeouts.clientHello}); ROUTING asks the same {@code BackendSelector} as TCP; FORWARDING
 * sends the buffered datagrams in order through the first {@link QuicPath} (a connected backend
 * socket for the client's address), then everything after them, and backend replies go back from
 * the listener's own address. When the client's address changes (a NAT rebinding: a short header
 * from a new address naming this session's server connection ID, see {@link ConnectionIdIndex}),
 * the new address gets a path of its own, so the backend validates it; at most {@link #MAX_PATHS}.
 * A single timer per session (the hello deadline, then {@code timeouts.udpSession} of silence both
 * ways per path, re-armed for the nearest remainder) ends paths, and the session with its last one.
 * Every way out ends in {@link #close}, which cancels the timer, releases the buffer, closes every
 * path's socket, forgets the session's connection IDs, remembers a refusal ({@link RefusedClients})
 * and closes the {@link ConnectionLedger} (outcome once, slot, access log) — the same books a TCP
 * connection keeps. A path holds no socket when the OS refuses one (EMFILE, ENFILE, ENOBUFS): for
 * the first path that ends this session as {@code fd_limit}, and {@link #close} never throws.
 *
 * <p>Everything runs on the listener socket's event loop that started the session; its backend
 * sockets are registered there too. Datagrams of a migrated path that arrive on another listener
 * socket are handed over to this loop.
 */
final class QuicSession implements ConnectionRegistry.Closeable, QuicPath.Session {

    enum State { PENDING, ROUTING, FORWARDING, CLOSED }

    /** A ClientHello of 64 KiB spans ~55 full Initials; a browser's ~2 KiB one spans two. */
    static final int MAX_PENDING_DATAGRAMS = 64;
    static final int MAX_PENDING_BYTES = 96 * 1024;
    static final int MAX_DATAGRAM = 65_535;
    /** The first path and up to three more from address changes, each with its own socket and slot. */
    static final int MAX_PATHS = 4;

    private final QuicDatagramHandler owner;
    private final InetSocketAddress client;
    private final Snapshot snapshot;
    private final Listener listener;
    private final QuicInitialDecoder decoder;
    private final CryptoReassembler crypto;
    private final ConnectionLedger ledger;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();

    private State state = State.PENDING;
    private int pendingBytes;
    private final List<QuicPath> paths = new ArrayList<>(1);
    private QuicPath primary;
    private BackendTarget target;
    private SessionConnectionIds<QuicSession> ids;
    private ScheduledFuture<?> timer;
    private ClientLimiter.Permit permit; // the client's per-client slot, released once in close

    QuicSession(QuicDatagramHandler owner, InetSocketAddress client, Snapshot snapshot, Listener listener,
            QuicInitialDecoder decoder, CryptoReassembler crypto) {
        this.owner = owner;
        this.client = client;
        this.snapshot = snapshot;
        this.listener = listener;
        this.decoder = decoder;
        this.crypto = crypto;
        // What start() takes (the gauge, the drain registry, the listener's slot) this gives back.
        this.ledger = new ConnectionLedger(owner.server(), owner.meters(), snapshot, listener.name(), client, () -> {
            owner.udp().sessions().decrementAndGet();
            owner.server().registry().untrack(this);
            owner.sessionClosed(this);
        });
    }

    InetSocketAddress client() {
        return client;
    }

    /** Starts with the first datagram, already decoded by the listener (it held an Initial). */
    void start(ByteBuf first) {
        ids = new SessionConnectionIds<>(owner.index(), this, first);
        owner.udp().sessions().incrementAndGet();
        owner.server().registry().track(this); // a drain waits for it
        permit = owner.server().clientLimits().acquire(client.getAddress());
        if (permit.verdict() != ClientLimiter.Verdict.ADMITTED) {
            first.release();
            boolean rate = permit.verdict() == ClientLimiter.Verdict.RATE;
            close(rate ? Outcome.REFUSED_RATE : Outcome.REFUSED_CLIENT_LIMIT, "client " + client.getAddress()
                    .getHostAddress() + " is over limits.perClient (" + (rate ? "new sessions per second"
                    : "open sessions") + ")", DropReason.CLIENT_LIMIT);
            owner.udp().drop(DropReason.CLIENT_LIMIT.label(), 1);
            return;
        }
        long helloMillis = snapshot.config().timeouts().clientHello().toMillis();
        timer = owner.loop().schedule(() -> close(Outcome.TIMEOUT, "no complete ClientHello within "
                + snapshot.config().timeouts().clientHello(), DropReason.HELLO_TIMEOUT), helloMillis,
                TimeUnit.MILLISECONDS);
        if (buffer(first)) {
            sniff();
        }
    }

    /**
     * A datagram from one of this session's client addresses, or from a new address whose
     * short-header destination ID names this session; ownership passes to the session. Any thread:
     * with SO_REUSEPORT a new address may arrive on another listener socket ({@code via}).
     */
    void onClientDatagram(InetSocketAddress sender, QuicDatagramHandler via, ByteBuf content) {
        if (!owner.loop().inEventLoop()) {
            owner.loop().execute(() -> onClientDatagram(sender, via, content));
            return;
        }
        switch (state) {
            case PENDING -> {
                byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(content);
                if (!buffer(content)) {
                    return;
                }
                // A datagram that is not an Initial (0-RTT, a retransmission with garbage) stays
                // buffered and is forwarded: the server judges it. Only an oversized hello ends here.
                if (decoder.decode(bytes, bytes.length, crypto) instanceof QuicInitialDecoder.Dropped d
                        && d.reason() == DropReason.BAD_HELLO) {
                    close(Outcome.BAD_HELLO, d.detail(), DropReason.BAD_HELLO);
                    return;
                }
                sniff();
            }
            case ROUTING -> buffer(content);
            case FORWARDING -> forward(sender, via, content);
            case CLOSED -> {
                content.release();
                owner.udp().drop(DropReason.NOT_INITIAL.label(), 1);
                if (!sender.equals(client)) {
                    owner.udp().migration(MigrationResult.CLOSED.label(), 1);
                    via.unregister(sender, this);
                }
            }
        }
    }

    // ---- PENDING -----------------------------------------------------------------------------

    /** Keeps a right-sized copy (the read buffer is sized for the largest datagram). */
    private boolean buffer(ByteBuf content) {
        int n = content.readableBytes();
        if (pending.size() >= MAX_PENDING_DATAGRAMS || pendingBytes + n > MAX_PENDING_BYTES
                || !owner.budget().tryReserve(n)) {
            content.release();
            owner.udp().drop(DropReason.PENDING_FULL.label(), 1);
            close(Outcome.BAD_HELLO, "more than " + MAX_PENDING_DATAGRAMS + " datagrams or " + MAX_PENDING_BYTES
                    + " bytes (or the listeners' shared pending budget) before the ClientHello was complete",
                    DropReason.PENDING_FULL);
            return false;
        }
        ByteBuf copy = owner.alloc().buffer(n, n);
        copy.writeBytes(content, content.readerIndex(), n);
        content.release();
        pending.add(copy);
        pendingBytes += n;
        return true;
    }

    private void sniff() {
        int have = crypto.contiguous();
        if (have == 0 || state != State.PENDING) {
            return;
        }
        SniffResult result = ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(crypto.buffer(), 0, have),
                crypto.maxBytes());
        switch (result) {
            case SniffResult.NeedMore ignored -> {
            }
            case SniffResult.Invalid invalid -> close(Outcome.BAD_HELLO, invalid.reason(), DropReason.BAD_HELLO);
            case SniffResult.Found found -> {
                ledger.alpn(found.alpn());
                if (snapshot.config().accessLog().enabled()) {
                    ledger.ja4(ClientHelloParser.ja4Handshake(Unpooled.wrappedBuffer(crypto.buffer(), 0, have),
                            crypto.maxBytes()).orElse(null));
                }
                route(found.hostname(), found.alpn());
            }
        }
    }

    // ---- ROUTING -----------------------------------------------------------------------------

    private void route(Optional<String> hostname, List<String> alpn) {
        state = State.ROUTING;
        ledger.name(hostname.orElse(null));
        cancelTimer();
        long connectMillis = snapshot.config().timeouts().connect().toMillis();
        long started = System.nanoTime();
        timer = owner.loop().schedule(() -> close(Outcome.CONNECT_FAILED, "backend not resolved within "
                + snapshot.config().timeouts().connect(), DropReason.BACKEND_FAILED), connectMillis,
                TimeUnit.MILLISECONDS);
        // The balancer's choice, once: a session stays on that backend (QUIC has no connect to fail over on).
        owner.server().selector().select(snapshot, listener, Protocol.QUIC, hostname, alpn, client.getAddress())
                .compose(plan -> firstResolvable(plan, 0))
                .onComplete(ar -> onLoop(() -> onSelected(ar, started)));
    }

    /** The plan's first backend that resolves and is permitted. */
    private static Future<BackendTarget> firstResolvable(BackendPlan plan, int i) {
        return plan.target(i).recover(e -> i + 1 < plan.size() ? firstResolvable(plan, i + 1) : Future.failedFuture(e));
    }

    private void onSelected(AsyncResult<BackendTarget> ar, long started) {
        if (state != State.ROUTING) {
            return;
        }
        if (ar.failed()) {
            if (ar.cause() instanceof RoutingRefusal r) {
                close(r.outcome(), r.getMessage(),
                        r.outcome() == Outcome.NO_ROUTE ? DropReason.NO_ROUTE : DropReason.BACKEND_FAILED);
            } else {
                close(failure(ar.cause()), describe(ar.cause()), DropReason.BACKEND_FAILED);
            }
            return;
        }
        target = ar.result();
        ledger.backend(target.label());
        primary = new QuicPath(client, owner, this);
        ChannelFuture f = primary.open(owner.loop(), owner.server().transport(), target.address());
        if (!f.channel().isRegistered()) {
            // No socket (EMFILE, ENFILE, ENOBUFS): Netty hands back a channel without an event loop.
            close(failure(f.cause()), "backend socket for " + target.address() + ": " + describe(f.cause()),
                    DropReason.BACKEND_FAILED);
            return;
        }
        paths.add(primary);
        f.addListener((ChannelFutureListener) done -> onConnected(done, target, started));
    }

    private void onConnected(ChannelFuture done, BackendTarget target, long started) {
        if (state != State.ROUTING) {
            done.channel().close();
            return;
        }
        if (!done.isSuccess()) {
            close(failure(done.cause()), "backend socket for " + target.address() + ": " + describe(done.cause()),
                    DropReason.BACKEND_FAILED);
            return;
        }
        ledger.connectTime(System.nanoTime() - started);
        ledger.outcome(Outcome.ROUTED);
        cancelTimer();
        state = State.FORWARDING;
        primary.connected();
        for (ByteBuf b; (b = pending.poll()) != null; ) {
            countUp(b.readableBytes());
            primary.write(b);
        }
        owner.budget().unreserve(pendingBytes);
        pendingBytes = 0;
        primary.flush();
        primary.touch();
        scheduleExpiryCheck(snapshot.config().timeouts().udpSession().toNanos());
    }

    // ---- FORWARDING --------------------------------------------------------------------------

    private void forward(InetSocketAddress sender, QuicDatagramHandler via, ByteBuf content) {
        QuicPath path = pathOf(sender);
        if (path == null) {
            migrate(sender, via, content);
            return;
        }
        if (path.full()) {
            content.release();
            owner.udp().drop(DropReason.SOCKET_FULL.label(), 1);
            return;
        }
        int n = content.readableBytes();
        if (path.send(content)) {
            countUp(n);
        } else {
            owner.udp().drop(DropReason.BACKEND_FAILED.label(), 1);
        }
    }

    private QuicPath pathOf(InetSocketAddress sender) {
        for (QuicPath p : paths) {
            if (p.client().equals(sender)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The client's address changed (its short-header destination ID is this session's server ID):
     * a new path with its own backend socket carries it, so the backend sees the new address and
     * validates it; the old path stays as it is until its own silence ends it.
     */
    private void migrate(InetSocketAddress sender, QuicDatagramHandler via, ByteBuf content) {
        MigrationResult refused = null;
        if (paths.size() >= MAX_PATHS) {
            evictUnanswered();
        }
        if (paths.size() >= MAX_PATHS) {
            refused = MigrationResult.PATH_LIMIT;
        } else if (!owner.budget().tryAcquire(snapshot.limits().maxUdpSessions())) { // effective: fd-capped
            refused = MigrationResult.SESSION_LIMIT;
        } else {
            QuicPath path = new QuicPath(sender, via, this);
            ChannelFuture f = path.open(owner.loop(), owner.server().transport(), target.address());
            if (f.channel().isRegistered()) {
                paths.add(path);
                f.addListener((ChannelFutureListener) done -> onPathConnected(path, done));
                owner.udp().migration(MigrationResult.MIGRATED.label(), 1);
                int n = content.readableBytes();
                if (path.send(content)) {
                    countUp(n);
                }
                return;
            }
            owner.budget().release();
            refused = MigrationResult.BACKEND_FAILED;
        }
        content.release();
        owner.udp().migration(refused.label(), 1);
        owner.udp().drop(DropReason.MIGRATION_REFUSED.label(), 1);
        via.unregister(sender, this);
    }

    /**
     * Makes room for a new claim: the oldest migrated path the backend never answered goes (a claim
     * it did not take up: forged IDs from an on-path observer must not lock the real client out).
     */
    private void evictUnanswered() {
        for (QuicPath p : paths) {
            if (p != primary && !p.answered()) {
                closePath(p);
                return;
            }
        }
    }

    private void onPathConnected(QuicPath path, ChannelFuture done) {
        if (!paths.contains(path)) {
            return; // closed meanwhile
        }
        if (done.isSuccess()) {
            path.connected();
        } else {
            owner.udp().migration(MigrationResult.BACKEND_FAILED.label(), 1);
            closePath(path);
        }
    }

    /**
     * Ends one path: its socket and its address in the listener's map. Slots follow sockets: the
     * session's own slot covers its last path, every other path gives its slot back here.
     */
    private void closePath(QuicPath path) {
        paths.remove(path);
        path.close();
        path.via().unregister(path.client(), this);
        if (!paths.isEmpty()) {
            owner.budget().release();
        }
        if (path != primary && !path.answered()) {
            owner.udp().migration(MigrationResult.UNANSWERED.label(), 1);
        }
    }

    private void countUp(int n) {
        ledger.up(n);
        owner.udp().upstream();
    }

    @Override
    public void onBackendDatagram(QuicPath path, ByteBuf content) {
        if (state != State.FORWARDING) {
            content.release();
            return;
        }
        ids.learnFromBackend(content);
        ledger.down(content.readableBytes());
        owner.udp().downstream();
        path.via().reply(content, path.client());
    }

    @Override
    public void onBackendReadComplete(QuicPath path) {
        path.via().flush();
    }

    @Override
    public void onBackendFailed(QuicPath path, String reason) {
        close(Outcome.CONNECT_FAILED, reason, DropReason.BACKEND_FAILED);
    }

    private void scheduleExpiryCheck(long delayNanos) {
        timer = owner.loop().schedule(this::onExpiryCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One timer per session, re-armed for the nearest remainder: nothing is rescheduled per
     * datagram. Each path ends after its own silence; the session ends with its last path.
     */
    private void onExpiryCheck() {
        if (state != State.FORWARDING) {
            return;
        }
        long limit = snapshot.config().timeouts().udpSession().toNanos();
        long now = System.nanoTime();
        long next = limit;
        for (QuicPath p : List.copyOf(paths)) {
            long quiet = now - p.lastActivityNanos();
            if (quiet >= limit) {
                closePath(p);
            } else {
                next = Math.min(next, limit - quiet);
            }
        }
        if (paths.isEmpty()) {
            close(Outcome.ROUTED, "no datagram either way for " + snapshot.config().timeouts().udpSession(), null);
        } else {
            scheduleExpiryCheck(next);
        }
    }

    // ---- CLOSED ------------------------------------------------------------------------------

    /**
     * Ends the session on every path, once.
     *
     * @param outcome counted unless the session already has one (a forwarding session stays routed)
     * @param drop    why the datagrams still buffered reach no backend (counted per datagram)
     */
    void close(Outcome outcome, String reason, DropReason drop) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        cancelTimer();
        int dropped = pending.size();
        for (ByteBuf b; (b = pending.poll()) != null; ) {
            b.release();
        }
        owner.budget().unreserve(pendingBytes);
        pendingBytes = 0;
        if (dropped > 0) {
            owner.udp().drop((drop != null ? drop : DropReason.BACKEND_FAILED).label(), dropped);
        }
        for (QuicPath p : List.copyOf(paths)) {
            closePath(p);
        }
        if (ids != null) {
            ids.forget();
            if (RefusedClients.isRefusal(outcome)) {
                owner.refuse(client, ids.originalDcid(), snapshot.config().timeouts().clientHello());
            }
        }
        if (permit != null) {
            permit.release();
        }
        ledger.close(outcome, reason);
    }

    /** The drain bound was reached (any thread): end it on its own loop. */
    @Override
    public void forceClose(String reason) {
        onLoop(() -> close(Outcome.DRAINED, reason, DropReason.DRAINING));
    }

    /** The OS refusing a socket is the fd limit, anything else a backend failure. */
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
        if (owner.loop().inEventLoop()) {
            task.run();
        } else {
            owner.loop().execute(task);
        }
    }

    static String describe(Throwable t) {
        return t == null ? "unknown" : (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
}
