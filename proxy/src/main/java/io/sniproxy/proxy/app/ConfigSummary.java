package io.sniproxy.proxy.app;

import io.sniproxy.config.Backend;
import io.sniproxy.config.Cidr;
import io.sniproxy.config.Durations;
import io.sniproxy.config.HealthCheck;
import io.sniproxy.config.Limits;
import io.sniproxy.config.Listener;
import io.sniproxy.config.PerClientLimits;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Route;
import io.sniproxy.config.Timeouts;
import io.sniproxy.proxy.fd.FdBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a valid config would do, in a few lines a reviewer can read: each listener, each route with
 * its backends and how they are chosen, the timeouts and the limits in force. A pure function of
 * the config, so {@code --check} output is stable enough to diff in a pipeline.
 */
final class ConfigSummary {

    private ConfigSummary() {
    }

    /**
     * @param fds the effective limits if the proxy started in this environment ({@code RLIMIT_NOFILE}
     *     of the checking process); unknown limits (-1) cap nothing
     */
    static List<String> lines(ProxyConfig c, FdBudget fds) {
        List<String> out = new ArrayList<>();
        out.add("listeners (" + c.listeners().size() + "):");
        for (Listener l : c.listeners()) {
            out.add("  " + listener(l));
        }
        out.add("routes (" + c.routes().size() + "):" + (c.routes().isEmpty()
                ? " none; every name goes to a listener's defaultBackend or is refused" : ""));
        for (Route r : c.routes()) {
            out.add("  " + route(r, c));
        }
        out.add("timeouts: " + timeouts(c.timeouts()));
        out.add("limits: " + limits(c.limits()));
        out.add("fd limit here: " + fdLimit(fds));
        out.add("security: " + (c.security().allowPrivateBackends()
                ? "transparent routes may reach private and loopback addresses (allowPrivateBackends)"
                : "transparent routes refuse private, loopback and link-local addresses"));
        out.add("access log: " + (c.accessLog().enabled() ? "on" : "off"));
        return out;
    }

    private static String listener(Listener l) {
        StringBuilder s = new StringBuilder(l.name()).append(": ").append(l.protocol().yamlName()).append(" on ")
                .append(l.address()).append(l.protocol().isTcp() ? " (tcp)" : " (udp)");
        l.defaultBackend().ifPresent(b -> s.append(", default backend ").append(b));
        if (l.acceptProxyProtocol().enabled()) {
            s.append(", PROXY protocol ").append(l.acceptProxyProtocol().yamlName()).append(" required from ")
                    .append(l.trustedProxies().stream().map(Cidr::toString).collect(Collectors.joining(", ")));
        }
        return s.toString();
    }

    private static String route(Route r, ProxyConfig c) {
        StringBuilder s = new StringBuilder(String.join(", ", r.hostnames()));
        if (!r.alpn().isEmpty()) {
            s.append(" [alpn ").append(String.join(", ", r.alpn())).append(']');
        }
        s.append(" -> ");
        if (r.isTransparent()) {
            s.append("the requested name itself (transparent, resolved by DNS)");
        } else {
            s.append(r.backends().stream().map(Backend::toString).collect(Collectors.joining(", ")));
            if (r.backends().size() > 1) {
                s.append(", ").append(r.balance().yamlName());
            }
        }
        r.healthCheck().ifPresent(hc -> s.append(", ").append(healthCheck(hc)));
        if (!r.protocols().isEmpty()) {
            s.append(", only ").append(r.protocols().stream().sorted().map(Protocol::yamlName)
                    .collect(Collectors.joining(", ")));
        }
        if (r.proxyProtocol() != ProxyProtocol.NONE) {
            s.append(", PROXY ").append(r.proxyProtocol().yamlName()).append(" to the backend");
        }
        if (c.listeners().stream().flatMap(l -> served(l.protocol()).stream()).noneMatch(r::appliesTo)) {
            s.append(" (no listener serves these protocols: unused)");
        }
        return s.toString();
    }

    /** What a listener's connections can be: an auto listener sniffs tls or http. */
    private static List<Protocol> served(Protocol listener) {
        return listener == Protocol.AUTO ? List.of(Protocol.TLS, Protocol.HTTP) : List.of(listener);
    }

    private static String healthCheck(HealthCheck hc) {
        return "probed every " + Durations.format(hc.interval()) + " (timeout " + Durations.format(hc.timeout())
                + ", up after " + hc.rise() + ", down after " + hc.fall() + ")";
    }

    private static String timeouts(Timeouts t) {
        return "clientHello " + Durations.format(t.clientHello()) + ", connect " + Durations.format(t.connect())
                + ", idle " + Durations.format(t.idle()) + ", udpSession " + Durations.format(t.udpSession())
                + ", drain " + Durations.format(t.drain());
    }

    private static String limits(Limits l) {
        StringBuilder s = new StringBuilder("maxConnections ").append(l.maxConnections())
                .append(", maxUdpSessions ").append(l.maxUdpSessions())
                .append(", maxClientHelloBytes ").append(l.maxClientHelloBytes());
        s.append(l.perClient().map(ConfigSummary::perClient).orElse("; no per-client limits"));
        return s.toString();
    }

    private static String fdLimit(FdBudget b) {
        if (b.fdLimit() <= 0) {
            return "unknown on this platform; nothing is capped";
        }
        if (!b.capped()) {
            return "RLIMIT_NOFILE " + b.fdLimit() + " allows the configured limits (they need about " + b.needed()
                    + " fds)";
        }
        return "RLIMIT_NOFILE " + b.fdLimit() + " would cap them: effective maxConnections " + b.maxConnections()
                + ", maxUdpSessions " + b.maxUdpSessions() + " (2 fds per connection, 1 per QUIC session, about "
                + b.reserve() + " kept for the process); raise the limit to at least " + b.needed()
                + " to serve the configured numbers";
    }

    private static String perClient(PerClientLimits p) {
        List<String> parts = new ArrayList<>();
        p.maxConnections().ifPresent(m -> parts.add(m + " connections at a time"));
        p.newConnectionsPerSecond().ifPresent(r -> parts.add(r + " new per second (burst " + p.bucketSize().getAsInt() + ")"));
        return "; per client: " + String.join(", ", parts) + ", IPv6 clients by /" + p.ipv6Prefix();
    }
}
