package io.sniproxy.proxy.client;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Per-client admission, like HAProxy's stick tables ({@code conn_cur}, {@code conn_rate}) or nginx's
 * {@code limit_conn}: at most {@code maxConnections} open at once per client, and new ones at
 * {@code ratePerSecond} with bursts of {@code burst} (a token bucket).
 *
 * <p>Memory is bounded by a fixed-size table of {@code capacity} clients. A client with connections
 * open is never evicted (its count must stay exact); a client with none is kept only for its rate
 * state, least recently seen first to go. So when the table is full the oldest idle client is
 * forgotten, and if it returns it starts with a full bucket: a flood of more distinct addresses
 * than the table holds weakens the rate limit for the oldest idle ones, never the connection
 * count. A table full of clients that all hold open connections refuses a new client
 * ({@link Verdict#CLIENT_LIMIT}); size it above the connection limits (the proxy uses
 * {@code maxConnections + maxUdpSessions} plus a reserve) and that cannot happen.
 *
 * <p>Thread-safe: one short lock per admission and release (no I/O, no allocation beyond a new
 * client's entry), shared by every event loop since a client's connections land on any of them.
 */
public final class ClientLimiter {

    /** Why a connection was refused, or that it was not. */
    public enum Verdict { ADMITTED, CLIENT_LIMIT, RATE }

    /** An admitted connection's hold on its client's count; {@link #release} once when it ends (more calls are ignored). */
    public interface Permit {
        Verdict verdict();

        void release();
    }

    /** What a refused connection gets: nothing to release. */
    private record Refused(Verdict verdict) implements Permit {
        @Override
        public void release() {
        }
    }

    private static final Permit REFUSED_CLIENT_LIMIT = new Refused(Verdict.CLIENT_LIMIT);
    private static final Permit REFUSED_RATE = new Refused(Verdict.RATE);
    /** Admitted where no limit applies: nothing counted, nothing to release. */
    public static final Permit UNLIMITED = new Refused(Verdict.ADMITTED);

    private final int maxConnections;
    private final double tokensPerNano;
    private final double burst;
    private final int ipv6Prefix;
    private final int capacity;
    private final LongSupplier nanoClock;
    /** Clients with connections open: never evicted. */
    private final Map<ClientKey, Entry> live = new HashMap<>();
    /** Clients with none, kept for their rate state; access order, so the eldest is the least recently seen. */
    private final LinkedHashMap<ClientKey, Entry> idle = new LinkedHashMap<>(16, 0.75f, true);
    private long evictions;

    /**
     * @param maxConnections concurrent connections per client; 0 = not limited
     * @param ratePerSecond  new connections per second per client; 0 = not limited
     * @param burst          bucket size (new connections allowed at once); at least 1 when rate-limited
     * @param ipv6Prefix     IPv6 clients are counted by this network prefix
     * @param capacity       clients the table holds
     */
    public ClientLimiter(int maxConnections, double ratePerSecond, int burst, int ipv6Prefix, int capacity,
            LongSupplier nanoClock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.maxConnections = Math.max(0, maxConnections);
        this.tokensPerNano = Math.max(0, ratePerSecond) / 1e9;
        this.burst = ratePerSecond > 0 ? Math.max(1, burst) : 0;
        this.ipv6Prefix = ipv6Prefix;
        this.capacity = capacity;
        this.nanoClock = nanoClock;
    }

    public int ipv6Prefix() {
        return ipv6Prefix;
    }

    /** Admits or refuses a new connection from {@code client}. */
    public Permit acquire(InetAddress client) {
        ClientKey key = ClientKey.of(client, ipv6Prefix);
        long now = nanoClock.getAsLong();
        synchronized (this) {
            Entry e = live.get(key);
            if (e == null) {
                e = idle.get(key);
            }
            if (e == null) {
                if (live.size() + idle.size() >= capacity && !evictOldestIdle()) {
                    return REFUSED_CLIENT_LIMIT;
                }
                e = new Entry(key, burst, now);
                idle.put(key, e);
            }
            if (maxConnections > 0 && e.open >= maxConnections) {
                return REFUSED_CLIENT_LIMIT;
            }
            if (tokensPerNano > 0 && !e.take(now, tokensPerNano, burst)) {
                return REFUSED_RATE;
            }
            if (e.open++ == 0) {
                idle.remove(key);
                live.put(key, e);
            }
            return new Held(e);
        }
    }

    private boolean evictOldestIdle() {
        Iterator<Entry> it = idle.values().iterator();
        if (!it.hasNext()) {
            return false;
        }
        it.next();
        it.remove();
        evictions++;
        return true;
    }

    private synchronized void release(Entry e) {
        if (--e.open == 0) {
            live.remove(e.key);
            idle.put(e.key, e);
        }
    }

    /** Clients in the table (with and without open connections). */
    public synchronized int size() {
        return live.size() + idle.size();
    }

    /** Idle clients forgotten to make room so far. */
    public synchronized long evictions() {
        return evictions;
    }

    /** Connections {@code client} holds open now. */
    public synchronized int open(InetAddress client) {
        Entry e = live.get(ClientKey.of(client, ipv6Prefix));
        return e == null ? 0 : e.open;
    }

    private static final class Entry {
        final ClientKey key;
        int open;
        double tokens;
        long refilledAt;

        Entry(ClientKey key, double tokens, long now) {
            this.key = key;
            this.tokens = tokens;
            this.refilledAt = now;
        }

        boolean take(long now, double perNano, double burst) {
            tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
            refilledAt = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    private final class Held implements Permit {
        private final Entry entry;
        private boolean released;

        Held(Entry entry) {
            this.entry = entry;
        }

        @Override
        public Verdict verdict() {
            return Verdict.ADMITTED;
        }

        @Override
        public void release() {
            synchronized (ClientLimiter.this) {
                if (released) {
                    return;
                }
                released = true;
                ClientLimiter.this.release(entry);
            }
        }
    }
}
