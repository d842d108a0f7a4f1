package io.sniproxy.proxy.client;

import io.sniproxy.config.Limits;
import io.sniproxy.config.PerClientLimits;
import java.net.InetAddress;
import java.util.Optional;

/**
 * The per-client limiter of the config in force ({@code limits.perClient}; none when it is off).
 * A reload that keeps the settings keeps the table and its counts; one that changes them starts a
 * new table (connections admitted before still release into the old one).
 */
public final class ClientLimits {

    /** Table slots beyond the connection limits, so a table of live clients cannot fill (see ClientLimiter). */
    static final int RESERVE = 1024;

    private volatile Optional<PerClientLimits> settings = Optional.empty();
    private volatile ClientLimiter limiter;

    public synchronized void apply(Limits limits) {
        Optional<PerClientLimits> wanted = limits.perClient();
        if (wanted.equals(settings)) {
            return;
        }
        settings = wanted;
        limiter = wanted.map(p -> new ClientLimiter(p.maxConnections().orElse(0),
                p.newConnectionsPerSecond().orElse(0), p.bucketSize().orElse(0), p.ipv6Prefix(),
                limits.maxConnections() + limits.maxUdpSessions() + RESERVE, System::nanoTime)).orElse(null);
    }

    /** Admits or refuses a connection or session from {@code client}; {@link ClientLimiter#UNLIMITED} when off. */
    public ClientLimiter.Permit acquire(InetAddress client) {
        ClientLimiter l = limiter;
        return l == null ? ClientLimiter.UNLIMITED : l.acquire(client);
    }
}
