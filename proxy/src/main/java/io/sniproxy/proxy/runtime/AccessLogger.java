package io.sniproxy.proxy.runtime;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import org.jboss.logging.Logger;

/**
 * One JSON line per connection on the {@code sniproxy.access} logger, when {@code accessLog.enabled}.
 * Built by hand (a few fields, escaped) so the per-connection cost is one string.
 */
public final class AccessLogger {

    private static final Logger LOG = Logger.getLogger("sniproxy.access");

    /** One finished connection. */
    /**
     * @param client the real client (from a trusted PROXY header) or the peer
     * @param alpn   the ALPN ids the client offered, comma-separated (null: none)
     * @param ja4    the ClientHello's JA4 fingerprint (null: not TLS/QUIC)
     */
    public record Entry(String client, String listener, String name, String alpn, String ja4, String backend,
            String outcome, String reason, long bytesUp, long bytesDown, long durationMillis) {
    }

    public void log(Snapshot snapshot, Entry e) {
        if (!snapshot.config().accessLog().enabled()) {
            return;
        }
        LOG.info(toJson(e));
    }

    static String toJson(Entry e) {
        StringBuilder b = new StringBuilder(256);
        b.append('{');
        field(b, "client", e.client()).append(',');
        field(b, "listener", e.listener()).append(',');
        field(b, "name", e.name()).append(',');
        field(b, "alpn", e.alpn()).append(',');
        field(b, "ja4", e.ja4()).append(',');
        field(b, "backend", e.backend()).append(',');
        field(b, "outcome", e.outcome()).append(',');
        field(b, "reason", e.reason()).append(',');
        b.append("\"bytesUp\":").append(e.bytesUp()).append(',');
        b.append("\"bytesDown\":").append(e.bytesDown()).append(',');
        b.append("\"durationMs\":").append(e.durationMillis());
        return b.append('}').toString();
    }

    private static StringBuilder field(StringBuilder b, String key, String value) {
        b.append('"').append(key).append("\":");
        if (value == null) {
            return b.append("null");
        }
        b.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, b);
        return b.append('"');
    }
}
