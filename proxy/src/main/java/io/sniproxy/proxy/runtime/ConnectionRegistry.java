package io.sniproxy.proxy.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every open client connection and UDP session of the process, across listeners: enforces
 * {@code limits.maxConnections} (TCP; UDP sessions have their own cap and are only tracked here)
 * and lets a drain wait for both and force-close whatever outlives its bound.
 */
public final class ConnectionRegistry {

    /** Anything the registry can close. */
    public interface Closeable {
        void forceClose(String reason);
    }

    private final AtomicInteger count = new AtomicInteger();
    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
    private final Set<Closeable> sessions = ConcurrentHashMap.newKeySet();

    /** Reserves a slot; false when {@code max} are already open. */
    public boolean tryAcquire(int max) {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    public void register(Closeable c) {
        open.add(c);
    }

    /** Releases the slot taken by {@link #tryAcquire}; call exactly once per acquired slot. */
    public void release(Closeable c) {
        open.remove(c);
        count.decrementAndGet();
    }

    public int count() {
        return count.get();
    }

    /** A UDP session, tracked for drain only. */
    public void track(Closeable session) {
        sessions.add(session);
    }

    public void untrack(Closeable session) {
        sessions.remove(session);
    }

    public int sessionCount() {
        return sessions.size();
    }

    public void closeAll(String reason) {
        for (Closeable c : open.toArray(new Closeable[0])) {
            c.forceClose(reason);
        }
        for (Closeable c : sessions.toArray(new Closeable[0])) {
            c.forceClose(reason);
        }
    }
}
