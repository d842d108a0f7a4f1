package io.sniproxy.proxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.fd.FdBudget;
import org.junit.jupiter.api.Test;

/** What {@code --check} prints for a valid file: every listener and route, and the limits in force. */
class ConfigSummaryTest {

    private static final String EDGE = """
            listeners:
              - name: lb
                address: 0.0.0.0:443
                protocol: tls
                acceptProxyProtocol: v2
                trustedProxies: [10.0.0.0/8, "fd00::/8"]
              - name: h3
                address: 0.0.0.0:443
                protocol: quic
              - name: web
                address: 0.0.0.0:80
                protocol: http
                defaultBackend: 10.0.0.80:8080
            routes:
              - hostnames: [api.example.com]
                backends: [10.0.0.5:8443, 10.0.0.6:8443]
                balance: source
                healthCheck: {interval: 2s, timeout: 1s, rise: 2, fall: 3}
              - hostnames: [api.example.com]
                alpn: [acme-tls/1]
                backend: 10.0.0.9:443
                proxyProtocol: v1
              - hostnames: ["*.example.net"]
                backend: "*"
                protocols: [quic]
            limits:
              maxConnections: 1000
              perClient: {maxConnections: 100, newConnectionsPerSecond: 50}
            """;

    @Test
    void summarisesEveryListenerRouteAndLimit() throws Exception {
        ProxyConfig c = ConfigReader.read("edge.yaml", EDGE);
        FdBudget plenty = FdBudget.derive(c.limits(), true, true, 1_048_576, 200);

        assertThat(ConfigSummary.lines(c, plenty)).containsExactly(
                "listeners (3):",
                "  lb: tls on 0.0.0.0:443 (tcp), PROXY protocol v2 required from 10.0.0.0/8, fd00::/8",
                "  h3: quic on 0.0.0.0:443 (udp)",
                "  web: http on 0.0.0.0:80 (tcp), default backend 10.0.0.80:8080",
                "routes (3):",
                "  api.example.com -> 10.0.0.5:8443, 10.0.0.6:8443, source, probed every 2s (timeout 1s, up after 2, "
                        + "down after 3)",
                "  api.example.com [alpn acme-tls/1] -> 10.0.0.9:443, PROXY v1 to the backend",
                "  *.example.net -> the requested name itself (transparent, resolved by DNS), only quic",
                "timeouts: clientHello 10s, connect 5s, idle 5m, udpSession 30s, drain 30s",
                "limits: maxConnections 1000, maxUdpSessions 10000, maxClientHelloBytes 65536; per client: 100 "
                        + "connections at a time, 50 new per second (burst 50), IPv6 clients by /64",
                "fd limit here: RLIMIT_NOFILE 1048576 allows the configured limits (they need about 12200 fds)",
                "security: transparent routes refuse private, loopback and link-local addresses",
                "access log: off");
    }

    @Test
    void aLowFdLimitShowsTheEffectiveLimitsAndTheFix() throws Exception {
        ProxyConfig c = ConfigReader.read("edge.yaml", EDGE);
        FdBudget low = FdBudget.derive(c.limits(), true, true, 1200, 200);

        assertThat(ConfigSummary.lines(c, low)).contains("fd limit here: RLIMIT_NOFILE 1200 would cap them: effective "
                + "maxConnections 83, maxUdpSessions 833 (2 fds per connection, 1 per QUIC session, about 200 kept for "
                + "the process); raise the limit to at least 12200 to serve the configured numbers");
    }

    @Test
    void aRouteNoListenerServesIsMarkedUnused() throws Exception {
        ProxyConfig c = ConfigReader.read("t.yaml", """
                listeners: [{name: web, address: "127.0.0.1:8080", protocol: http}]
                routes: [{hostnames: [a.example.com], backend: 10.0.0.1, protocols: [quic]}]
                """);

        assertThat(ConfigSummary.lines(c, FdBudget.derive(c.limits(), true, false, -1, 0)))
                .contains("  a.example.com -> 10.0.0.1, only quic (no listener serves these protocols: unused)",
                        "fd limit here: unknown on this platform; nothing is capped");
    }
}
